/* See mtrr.h.  Reads the running CPU's MTRRs; ring 0 only, so it has no
 * host test (the logic it feeds is tested in vmx/tests). */
#include "mtrr.h"
#include "x86.h"

void mtrr_read_host(struct mtrr_state *s)
{
	static const uint32_t fixed_msrs[MTRR_FIXED_MSRS] = {
		MSR_MTRR_FIX64K_00000, MSR_MTRR_FIX16K_80000, MSR_MTRR_FIX16K_A0000,
		MSR_MTRR_FIX4K_C0000 + 0, MSR_MTRR_FIX4K_C0000 + 1, MSR_MTRR_FIX4K_C0000 + 2,
		MSR_MTRR_FIX4K_C0000 + 3, MSR_MTRR_FIX4K_C0000 + 4, MSR_MTRR_FIX4K_C0000 + 5,
		MSR_MTRR_FIX4K_C0000 + 6, MSR_MTRR_FIX4K_C0000 + 7,
	};
	/* Needs CPUID.1:EDX.MTRR, which every CPU with VMX has in practice;
	 * the caller checks it before relying on this. */
	uint64_t cap = rdmsr(MSR_MTRRCAP);
	unsigned vcnt = (unsigned)MIN(cap & MTRRCAP_VCNT, MTRR_VAR_MAX);

	/* Ranges beyond MTRR_VAR_MAX are not kept, so say they do not exist
	 * rather than let a reader think they were checked. */
	s->cap = (cap & ~MTRRCAP_VCNT) | vcnt;
	s->def_type = rdmsr(MSR_MTRR_DEF_TYPE);
	for (unsigned i = 0; i < MTRR_FIXED_MSRS; i++)
		s->fixed[i] = (cap & MTRRCAP_FIX) ? rdmsr(fixed_msrs[i]) : 0;
	for (unsigned i = 0; i < MTRR_VAR_MAX; i++) {
		s->base[i] = i < vcnt ? rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i) : 0;
		s->mask[i] = i < vcnt ? rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i + 1) : 0;
	}
}
