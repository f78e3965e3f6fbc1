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

/* What a VM-instruction error number means (SDM 31.4). */
const char *vmx_insn_error_name(uint32_t error);

#endif
