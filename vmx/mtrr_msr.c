/* See mtrr.h.  The MTRR MSRs as a guest reads and writes them: which exist
 * given MTRRCAP, and which values a WRMSR may put in them (anything else
 * #GPs on the hardware, SDM Vol. 3A 12.11.2 and 12.11.2.3). */
#include "mtrr.h"

#define MSR_VAR_END (MSR_MTRR_PHYSBASE0 + 2 * MTRR_VAR_MAX)

bool mtrr_type_valid(unsigned type, uint64_t cap)
{
	switch (type) {
	case MTRR_UC:
	case MTRR_WT:
	case MTRR_WP:
	case MTRR_WB:
		return true;
	case MTRR_WC:
		/* SDM Vol. 3A 12.11.1: MTRRCAP.WC says whether WC exists. */
		return cap & MTRRCAP_WC;
	default:
		return false;
	}
}

/* Index into mtrr_state.fixed, or -1 if msr is no fixed-range MTRR. */
static int fixed_index(uint32_t msr)
{
	if (msr == MSR_MTRR_FIX64K_00000)
		return 0;
	if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
		return 1 + (int)(msr - MSR_MTRR_FIX16K_80000);
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + 8)
		return 3 + (int)(msr - MSR_MTRR_FIX4K_C0000);
	return -1;
}

/* True if msr is a PhysBase/PhysMask this CPU has (n < VCNT). */
static bool var_exists(const struct mtrr_state *s, uint32_t msr)
{
	uint64_t vcnt = MIN(s->cap & MTRRCAP_VCNT, MTRR_VAR_MAX);

	return msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * vcnt;
}

bool mtrr_is_mtrr_msr(uint32_t msr)
{
	return msr == MSR_MTRRCAP || msr == MSR_MTRR_DEF_TYPE || fixed_index(msr) >= 0 ||
	       (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_VAR_END);
}

bool mtrr_read(const struct mtrr_state *s, uint32_t msr, uint64_t *value)
{
	int f = fixed_index(msr);

	if (msr == MSR_MTRRCAP)
		*value = s->cap;
	else if (msr == MSR_MTRR_DEF_TYPE)
		*value = s->def_type;
	else if (f >= 0 && (s->cap & MTRRCAP_FIX))
		*value = s->fixed[f];
	else if (var_exists(s, msr))
		*value = (msr & 1) ? s->mask[(msr - MSR_MTRR_PHYSBASE0) / 2]
				   : s->base[(msr - MSR_MTRR_PHYSBASE0) / 2];
	else
		return false;
	return true;
}

/* Eight fixed-range types, one a byte: all must be valid encodings. */
static bool fixed_value_valid(uint64_t value, uint64_t cap)
{
	for (unsigned i = 0; i < 8; i++)
		if (!mtrr_type_valid((value >> (8 * i)) & 0xFF, cap))
			return false;
	return true;
}

bool mtrr_write(struct mtrr_state *s, uint32_t msr, uint64_t value, unsigned phys_bits)
{
	/* PhysBase and PhysMask hold address bits 12..MAXPHYADDR-1; bits at
	 * and above MAXPHYADDR are reserved. */
	uint64_t addr = (phys_bits >= 64 ? ~0ULL : BIT(phys_bits) - 1) & ~(PAGE_SIZE - 1);
	int f = fixed_index(msr);

	if (msr == MSR_MTRR_DEF_TYPE) {
		/* Bits 9:8 and 63:12 are reserved; FE is taken as reserved too
		 * when there are no fixed ranges for it to enable. */
		uint64_t ok = 0xFF | MTRR_DEF_E | ((s->cap & MTRRCAP_FIX) ? MTRR_DEF_FE : 0);

		if ((value & ~ok) || !mtrr_type_valid(value & 0xFF, s->cap))
			return false;
		s->def_type = value;
	} else if (f >= 0) {
		if (!(s->cap & MTRRCAP_FIX) || !fixed_value_valid(value, s->cap))
			return false;
		s->fixed[f] = value;
	} else if (var_exists(s, msr) && (msr & 1)) {
		/* PhysMask: bits 10:0 reserved, V is bit 11. */
		if (value & ~(addr | MTRR_MASK_V))
			return false;
		s->mask[(msr - MSR_MTRR_PHYSBASE0) / 2] = value;
	} else if (var_exists(s, msr)) {
		/* PhysBase: type in 7:0, bits 11:8 reserved. */
		if ((value & ~(addr | 0xFF)) || !mtrr_type_valid(value & 0xFF, s->cap))
			return false;
		s->base[(msr - MSR_MTRR_PHYSBASE0) / 2] = value;
	} else {
		/* MTRRCAP is read-only; the rest are absent on this CPU. */
		return false;
	}
	return true;
}
