/* Turning what efi_entry.S captured of the firmware's CPU into the state
 * the guest resumes.  Pure logic, host-tested (kernel/tests/test_efi.c). */
#ifndef SHOJI_EFI_STATE_H
#define SHOJI_EFI_STATE_H

#include "boot_info.h"
#include "efi_capture.h"
#include "vm.h"

/* Builds *out from the capture: the guest returns from the loader's call
 * with RAX = 0 (EFI_SUCCESS) and the callee-saved registers, RSP, RFLAGS
 * and every system register as the firmware had them; `return_rip` is the
 * return address read from the firmware's stack.  Segment hidden parts
 * come from the firmware's GDT through `read` (FS and GS bases from their
 * MSRs).  Returns E_OK, or an error with the reason in `why`. */
enum err efi_state_build(const struct efi_capture *cap, uint64_t return_rip,
			 phys_read_fn read, void *opaque, struct vm_cpu_state *out, char *why,
			 size_t why_size);

/* One GDT descriptor (8 bytes, or 16 for a system descriptor in long
 * mode) as a segment register with its hidden part. */
void efi_descriptor_decode(uint16_t selector, uint64_t low, uint64_t high, bool system,
			   struct vm_segment *out);

#endif
