/* Pure logic of VMX controls and errors: builds for the host too. */
#ifndef SHOJI_VMX_CONTROLS_H
#define SHOJI_VMX_CONTROLS_H

#include "types.h"

/* One control field from its capability MSR (SDM A.3-A.5): the low half
 * holds the bits the CPU forces to 1, the high half the bits it allows
 * to be 1.  *out gets `want` adjusted to both; false (with the bits in
 * *missing) if some bit of `need` cannot be set. */
bool vmx_control_adjust(uint64_t cap, uint32_t want, uint32_t need, uint32_t *out,
			uint32_t *missing);

/* A CR0 or CR4 value made to satisfy the IA32_VMX_CRn_FIXED0/1 MSRs (bits
 * fixed to 1 set, bits fixed to 0 cleared), except the bits in `relaxed`
 * (with unrestricted guest, CR0.PE and PG may be 0). */
uint64_t vmx_cr_fixed(uint64_t value, uint64_t fixed0, uint64_t fixed1, uint64_t relaxed);

/* A VMCS field some secondary controls make the CPU use, and the value
 * Shoji gives it. */
struct vmx_field_value {
	uint32_t field;
	uint64_t value;
};

/* The fields the secondary controls `proc2` need written (at most
 * VMX_PROC2_FIELDS_MAX), into out[]; returns how many.  With "enable
 * XSAVES" the XSS-exiting bitmap is zero: no guest XSAVES/XRSTORS exits
 * (issue #5 item 6; the guest's IA32_XSS writes are filtered instead,
 * kernel/msr.c). */
#define VMX_PROC2_FIELDS_MAX 4
unsigned vmx_proc2_fields(uint32_t proc2, struct vmx_field_value *out);

/* What a VM-instruction error number means (SDM 31.4). */
const char *vmx_insn_error_name(uint32_t error);

#endif
