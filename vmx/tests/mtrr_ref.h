/* What the host tests check the MTRR code against: a page-at-a-time
 * reading of SDM Vol. 3A 12.11.4.1, written apart from mtrr.c, and
 * builders for the MTRR states the tests use. */
#ifndef SHOJI_VMX_TESTS_MTRR_REF_H
#define SHOJI_VMX_TESTS_MTRR_REF_H

#include "mtrr.h"

/* The type of the page holding addr, looked up directly. */
int ref_page_type(const struct mtrr_state *s, uint64_t addr, unsigned phys_bits);

/* The type of [start, end) page by page, MTRR_MIXED if not uniform. */
int ref_range_type(const struct mtrr_state *s, uint64_t start, uint64_t end,
		   unsigned phys_bits);

/* An enabled state with vcnt variable ranges (all invalid), FIX and WC
 * present, fixed ranges off, and the given default type. */
void ref_state(struct mtrr_state *s, unsigned vcnt, int def);

/* Sets variable range n to type over [base, base + size) (size a power of
 * two, base aligned to it) for a CPU with phys_bits address bits. */
void ref_set_var(struct mtrr_state *s, unsigned n, uint64_t base, uint64_t size, int type,
		 unsigned phys_bits);

/* A typical PC's fixed ranges, FE set: 0-640K WB, A0000-BFFFF UC,
 * C0000-C7FFF WP (video BIOS), C8000-DFFFF UC, E0000-EFFFF WP except
 * E4000-E7FFF WB, F0000-FFFFF WP. */
void ref_set_pc_fixed(struct mtrr_state *s);

#endif
