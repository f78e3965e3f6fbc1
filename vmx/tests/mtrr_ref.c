/* See mtrr_ref.h. */
#include <string.h>

#include "mtrr_ref.h"

/* Every fixed-range granule's [first, first + size) and where its type
 * sits, listed out rather than computed as mtrr.c does. */
static bool ref_fixed(const struct mtrr_state *s, uint64_t addr, int *type)
{
	uint64_t first = 0;

	for (unsigned msr = 0; msr < MTRR_FIXED_MSRS; msr++) {
		uint64_t size = msr == 0 ? 0x10000 : msr <= 2 ? 0x4000 : 0x1000;

		for (unsigned byte = 0; byte < 8; byte++, first += size) {
			if (addr >= first && addr < first + size) {
				*type = (int)((s->fixed[msr] >> (8 * byte)) & 0xFF);
				return true;
			}
		}
	}
	return false;
}

int ref_page_type(const struct mtrr_state *s, uint64_t addr, unsigned phys_bits)
{
	uint64_t bits = (BIT(phys_bits) - 1) & ~0xFFFULL;
	bool seen[8] = { false };
	unsigned distinct = 0;
	int type = -1;

	if (!(s->def_type & MTRR_DEF_E))
		return MTRR_UC;
	if ((s->def_type & MTRR_DEF_FE) && ref_fixed(s, addr, &type))
		return type;
	for (unsigned n = 0; n < (s->cap & 0xFF) && n < MTRR_VAR_MAX; n++) {
		uint64_t mask = s->mask[n] & bits;
		int t = (int)(s->base[n] & 0xFF);

		if (!(s->mask[n] & BIT(11)) || ((addr ^ s->base[n]) & mask))
			continue;
		if (!seen[t])
			distinct++;
		seen[t] = true;
		type = t;
	}
	if (distinct == 0)
		return (int)(s->def_type & 0xFF);
	if (distinct == 1)
		return type;
	if (seen[MTRR_UC])
		return MTRR_UC;
	if (distinct == 2 && seen[MTRR_WT] && seen[MTRR_WB])
		return MTRR_WT;
	return MTRR_UC; /* undefined by the SDM; mtrr.h promises UC */
}

int ref_range_type(const struct mtrr_state *s, uint64_t start, uint64_t end,
		   unsigned phys_bits)
{
	int first = ref_page_type(s, start, phys_bits);

	for (uint64_t a = (start & ~0xFFFULL) + 0x1000; a < end; a += 0x1000)
		if (ref_page_type(s, a, phys_bits) != first)
			return MTRR_MIXED;
	return first;
}

void ref_state(struct mtrr_state *s, unsigned vcnt, int def)
{
	memset(s, 0, sizeof(*s));
	s->cap = vcnt | MTRRCAP_FIX | MTRRCAP_WC;
	s->def_type = (uint64_t)def | MTRR_DEF_E;
}

void ref_set_var(struct mtrr_state *s, unsigned n, uint64_t base, uint64_t size, int type,
		 unsigned phys_bits)
{
	s->base[n] = base | (uint64_t)type;
	s->mask[n] = (~(size - 1) & (BIT(phys_bits) - 1)) | MTRR_MASK_V;
}

/* Eight types into one fixed-range MSR value, lowest granule first. */
static uint64_t pack(const int t[8])
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)t[i] << (8 * i);
	return v;
}

void ref_set_pc_fixed(struct mtrr_state *s)
{
	static const int wb[8] = { 6, 6, 6, 6, 6, 6, 6, 6 };
	static const int uc[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	static const int wp[8] = { 5, 5, 5, 5, 5, 5, 5, 5 };
	static const int e4_wb[8] = { 5, 5, 5, 5, 6, 6, 6, 6 };

	s->def_type |= MTRR_DEF_FE;
	s->fixed[0] = pack(wb);    /* 00000-7FFFF */
	s->fixed[1] = pack(wb);    /* 80000-9FFFF */
	s->fixed[2] = pack(uc);    /* A0000-BFFFF: legacy VGA */
	s->fixed[3] = pack(wp);    /* C0000-C7FFF: video BIOS */
	for (unsigned i = 4; i <= 6; i++)
		s->fixed[i] = pack(uc); /* C8000-DFFFF: option ROMs, holes */
	s->fixed[7] = pack(e4_wb); /* E0000-E3FFF WP, E4000-E7FFF WB */
	s->fixed[8] = pack(wp);    /* E8000-EFFFF */
	s->fixed[9] = pack(wp);    /* F0000-FFFFF: system BIOS */
	s->fixed[10] = pack(wp);
}
