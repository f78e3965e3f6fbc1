/* What the UEFI entry (kernel/boot/efi_entry.S) saves of the firmware's
 * CPU at the loader's call: enough to resume it as the guest, or to
 * return to it if Shoji cannot start.  Offsets shared by C and assembly. */
#ifndef SHOJI_EFI_CAPTURE_H
#define SHOJI_EFI_CAPTURE_H

#define CAP_RBX 0
#define CAP_RBP 8
#define CAP_R12 16
#define CAP_R13 24
#define CAP_R14 32
#define CAP_R15 40
#define CAP_RSP 48      /* at the call: points at the return address */
#define CAP_RFLAGS 56
#define CAP_CR0 64
#define CAP_CR3 72
#define CAP_CR4 80
#define CAP_EFER 88
#define CAP_PAT 96
#define CAP_FS_BASE 104
#define CAP_GS_BASE 112
#define CAP_GDTR 128    /* limit (2 bytes), base (8 bytes), as SGDT stores */
#define CAP_IDTR 144
#define CAP_CS 160
#define CAP_SS 162
#define CAP_DS 164
#define CAP_ES 166
#define CAP_FS 168
#define CAP_GS 170
#define CAP_TR 172
#define CAP_LDTR 174
#define CAP_HANDOFF 176
#define CAP_SIZE 184

#ifndef __ASSEMBLER__
#include "types.h"

struct efi_capture {
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint64_t rsp, rflags;
	uint64_t cr0, cr3, cr4, efer, pat;
	uint64_t fs_base, gs_base, unused;
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr;
	uint8_t pad0[6];
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr;
	uint8_t pad1[6];
	uint16_t cs, ss, ds, es, fs, gs, tr, ldtr;
	uint64_t handoff;
};

/* Filled by efi_entry.S. */
extern struct efi_capture efi_capture;

/* Back to the firmware with `status` as the entry's return value, as if
 * Shoji had never run (kernel/boot/efi_entry.S).  image_pa: where the
 * image lies. */
_Noreturn void efi_return_to_firmware(uint64_t status, paddr_t image_pa);
#endif

#endif
