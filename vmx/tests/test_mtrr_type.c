/* mtrr_range_type on hand-built MTRR sets: a PC's fixed ranges, variable
 * ranges and their overlaps (SDM Vol. 3A 12.11.4.1), MTRRs off, FE off,
 * the default type, large pages across boundaries, sparse masks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ept_types.h"
#include "mtrr_ref.h"

#define PB 36 /* MAXPHYADDR of the tests' CPU */

/* A PC below 4 GiB: fixed ranges on, WB 0-2 GiB, default UC. */
static void pc_state(struct mtrr_state *s)
{
	ref_state(s, 8, MTRR_UC);
	ref_set_pc_fixed(s);
	ref_set_var(s, 0, 0, GiB(2), MTRR_WB, PB);
}

static int rt(const struct mtrr_state *s, uint64_t start, uint64_t size)
{
	return mtrr_range_type(s, start, size, PB);
}

static void test_fixed_ranges_typical_pc(void **state)
{
	struct mtrr_state s;

	(void)state;
	pc_state(&s);
	assert_int_equal(rt(&s, 0, KiB(640)), MTRR_WB);
	assert_int_equal(rt(&s, 0x9F000, 0x2000), MTRR_MIXED);
	assert_int_equal(rt(&s, 0xA0000, 0x20000), MTRR_UC);
	assert_int_equal(rt(&s, 0xC0000, 0x8000), MTRR_WP);
	assert_int_equal(rt(&s, 0xC0000, 0x9000), MTRR_MIXED);
	assert_int_equal(rt(&s, 0xC8000, 0x18000), MTRR_UC);
	assert_int_equal(rt(&s, 0xE0000, 0x4000), MTRR_WP);
	assert_int_equal(rt(&s, 0xE4000, 0x4000), MTRR_WB);
	assert_int_equal(rt(&s, 0xE0000, 0x8000), MTRR_MIXED);
	assert_int_equal(rt(&s, 0xF0000, 0x10000), MTRR_WP);
	/* Byte ranges: a page's bytes share its type. */
	assert_int_equal(rt(&s, 0x9FFFF, 2), MTRR_MIXED);
	assert_int_equal(rt(&s, 0xBFFFF, 1), MTRR_UC);
	assert_int_equal(rt(&s, 0xA0123, 0), MTRR_UC);
	/* Above 1 MiB the variable range decides; the fixed ranges win below
	 * it even where the variable range (WB) covers them. */
	assert_int_equal(rt(&s, MiB(1), MiB(1)), MTRR_WB);
	assert_int_equal(rt(&s, 0xFF000, 0x2000), MTRR_MIXED);
	assert_int_equal(rt(&s, 0, MiB(2)), MTRR_MIXED);
	assert_int_equal(ept_leaf_type(&s, 0, PAGE_2M, PB), -1);
	assert_int_equal(ept_leaf_type(&s, 0xA0000, PAGE_SIZE, PB), EPT_MT_UC);
	assert_int_equal(ept_leaf_type(&s, PAGE_2M, PAGE_2M, PB), EPT_MT_WB);

	/* One fixed type over all 1 MiB joins the variable range. */
	for (unsigned i = 0; i < MTRR_FIXED_MSRS; i++)
		s.fixed[i] = 0x0606060606060606ULL;
	assert_int_equal(rt(&s, 0, MiB(2)), MTRR_WB);
	assert_int_equal(rt(&s, 0, GiB(1)), MTRR_WB);
	assert_int_equal(rt(&s, 0, GiB(4)), MTRR_MIXED);
}

static void test_fe_off_ignores_fixed(void **state)
{
	struct mtrr_state s;

	(void)state;
	pc_state(&s);
	s.def_type &= ~MTRR_DEF_FE;
	assert_int_equal(rt(&s, 0xA0000, 0x20000), MTRR_WB);
	assert_int_equal(rt(&s, 0, MiB(2)), MTRR_WB);
	assert_int_equal(rt(&s, 0, GiB(2)), MTRR_WB);
	assert_int_equal(ept_leaf_type(&s, 0, PAGE_1G, PB), EPT_MT_WB);
}

static void test_disabled_is_uc(void **state)
{
	struct mtrr_state s;

	(void)state;
	pc_state(&s);
	s.def_type = MTRR_WB | MTRR_DEF_FE; /* E clear: FE and the default do not count */
	assert_int_equal(rt(&s, 0, BIT(PB)), MTRR_UC);
	assert_int_equal(rt(&s, 0, KiB(4)), MTRR_UC);
	assert_int_equal(rt(&s, GiB(1), GiB(1)), MTRR_UC);
}

static void test_default_type(void **state)
{
	struct mtrr_state s;

	(void)state;
	ref_state(&s, 8, MTRR_WB);
	assert_int_equal(rt(&s, 0, BIT(PB)), MTRR_WB);
	assert_int_equal(rt(&s, 0, UINT64_MAX), MTRR_WB);
	ref_state(&s, 8, MTRR_UC);
	ref_set_var(&s, 3, 0, GiB(2), MTRR_WB, PB);
	assert_int_equal(rt(&s, GiB(2), BIT(PB) - GiB(2)), MTRR_UC);
	assert_int_equal(rt(&s, GiB(2) - PAGE_SIZE, PAGE_SIZE), MTRR_WB);
	assert_int_equal(rt(&s, GiB(2) - PAGE_SIZE, 2 * PAGE_SIZE), MTRR_MIXED);
	/* A valid range beyond VCNT does not exist; nor does one without V. */
	ref_set_var(&s, 9, GiB(4), GiB(4), MTRR_WB, PB);
	s.mask[2] = MTRR_WB; /* V clear */
	assert_int_equal(rt(&s, GiB(4), GiB(4)), MTRR_UC);
}

static void test_variable_ranges_pc_layout(void **state)
{
	struct mtrr_state s;

	(void)state;
	/* WB 0-4 GiB with a UC hole at 3-4 GiB, WB 4-8 GiB, default UC. */
	ref_state(&s, 8, MTRR_UC);
	ref_set_var(&s, 0, 0, GiB(4), MTRR_WB, PB);
	ref_set_var(&s, 1, 0xC0000000, GiB(1), MTRR_UC, PB);
	ref_set_var(&s, 2, GiB(4), GiB(4), MTRR_WB, PB);
	assert_int_equal(rt(&s, 0, GiB(3)), MTRR_WB);
	assert_int_equal(rt(&s, 0xC0000000, GiB(1)), MTRR_UC);
	assert_int_equal(rt(&s, 0xBFE00000, PAGE_2M), MTRR_WB);
	assert_int_equal(rt(&s, 0xBFE00000, 2 * PAGE_2M), MTRR_MIXED);
	assert_int_equal(rt(&s, GiB(4), GiB(4)), MTRR_WB);
	assert_int_equal(rt(&s, GiB(8), BIT(PB) - GiB(8)), MTRR_UC);
	assert_int_equal(ept_leaf_type(&s, GiB(2), PAGE_1G, PB), EPT_MT_WB);
	assert_int_equal(ept_leaf_type(&s, GiB(3), PAGE_1G, PB), EPT_MT_UC);
	assert_int_equal(ept_leaf_type(&s, GiB(7), PAGE_1G, PB), EPT_MT_WB);
	assert_int_equal(ept_leaf_type(&s, GiB(8), PAGE_1G, PB), EPT_MT_UC);

	/* The same hole as "WB 0-2 GiB, WB 2-3 GiB, nothing at 3-4 GiB". */
	ref_state(&s, 8, MTRR_UC);
	ref_set_var(&s, 0, 0, GiB(2), MTRR_WB, PB);
	ref_set_var(&s, 1, GiB(2), GiB(1), MTRR_WB, PB);
	assert_int_equal(rt(&s, 0, GiB(3)), MTRR_WB);
	assert_int_equal(rt(&s, GiB(3), GiB(1)), MTRR_UC);
	assert_int_equal(rt(&s, GiB(2), GiB(2)), MTRR_MIXED);
}

/* Range 0 WB over [0, 1 GiB), range 1 of type t over [256, 512) MiB. */
static int overlap(int t, uint64_t start, uint64_t size)
{
	struct mtrr_state s;

	ref_state(&s, 2, MTRR_UC);
	ref_set_var(&s, 0, 0, GiB(1), MTRR_WB, PB);
	ref_set_var(&s, 1, MiB(256), MiB(256), t, PB);
	return rt(&s, start, size);
}

static void test_overlap_precedence(void **state)
{
	(void)state;
	assert_int_equal(overlap(MTRR_UC, MiB(256), MiB(256)), MTRR_UC);
	assert_int_equal(overlap(MTRR_WT, MiB(256), MiB(256)), MTRR_WT);
	assert_int_equal(overlap(MTRR_WB, MiB(256), MiB(256)), MTRR_WB);
	/* Undefined overlaps (SDM: "behavior is undefined"): reported UC. */
	assert_int_equal(overlap(MTRR_WP, MiB(256), MiB(256)), MTRR_UC);
	assert_int_equal(overlap(MTRR_WC, MiB(256), MiB(256)), MTRR_UC);
	/* Outside the overlap range 0 alone decides. */
	assert_int_equal(overlap(MTRR_WP, 0, MiB(256)), MTRR_WB);
	assert_int_equal(overlap(MTRR_WT, MiB(255), MiB(2)), MTRR_MIXED);
	/* An overlap of the same type over the whole page is no boundary. */
	assert_int_equal(overlap(MTRR_WB, 0, GiB(1)), MTRR_WB);

	struct mtrr_state s;

	/* Three at once: WT, WB, WB give WT; add UC and UC wins; WT with WP
	 * is undefined. */
	ref_state(&s, 4, MTRR_WB);
	ref_set_var(&s, 0, 0, GiB(1), MTRR_WB, PB);
	ref_set_var(&s, 1, 0, MiB(512), MTRR_WB, PB);
	ref_set_var(&s, 2, 0, MiB(256), MTRR_WT, PB);
	assert_int_equal(rt(&s, 0, MiB(256)), MTRR_WT);
	ref_set_var(&s, 3, 0, MiB(128), MTRR_UC, PB);
	assert_int_equal(rt(&s, 0, MiB(128)), MTRR_UC);
	assert_int_equal(rt(&s, MiB(128), MiB(128)), MTRR_WT);
	ref_set_var(&s, 3, 0, MiB(128), MTRR_WP, PB);
	assert_int_equal(rt(&s, 0, MiB(128)), MTRR_UC);
}

static void test_large_pages_straddling(void **state)
{
	struct mtrr_state s;

	(void)state;
	/* WB 0-4 GiB with a 1 MiB UC range (an I/O APIC) inside a 2 MiB page. */
	ref_state(&s, 8, MTRR_UC);
	ref_set_var(&s, 0, 0, GiB(4), MTRR_WB, PB);
	ref_set_var(&s, 1, 0xFEC00000, MiB(1), MTRR_UC, PB);
	assert_int_equal(ept_leaf_type(&s, 0xFEC00000, PAGE_2M, PB), -1);
	assert_int_equal(ept_leaf_type(&s, GiB(3), PAGE_1G, PB), -1);
	assert_int_equal(ept_leaf_type(&s, 0xFEA00000, PAGE_2M, PB), EPT_MT_WB);
	assert_int_equal(ept_leaf_type(&s, 0xFEE00000, PAGE_2M, PB), EPT_MT_WB);
	assert_int_equal(ept_leaf_type(&s, 0xFEC00000, PAGE_SIZE, PB), EPT_MT_UC);
	assert_int_equal(ept_leaf_type(&s, 0xFECFF000, PAGE_SIZE, PB), EPT_MT_UC);
	assert_int_equal(ept_leaf_type(&s, 0xFED00000, PAGE_SIZE, PB), EPT_MT_WB);
	/* A 1 GiB page across the end of the WB range. */
	assert_int_equal(ept_leaf_type(&s, GiB(4) - PAGE_1G / 2, PAGE_1G, PB), -1);
}

/* Masks need not be contiguous (SDM Vol. 3A 12.11.3 only recommends it):
 * a mask of bit 12 alone matches every other page of the address space. */
static void test_sparse_masks(void **state)
{
	struct mtrr_state s;
	const unsigned pb = 46;

	(void)state;
	ref_state(&s, 2, MTRR_WB);
	s.base[0] = MTRR_UC;
	s.mask[0] = BIT(12) | MTRR_MASK_V;
	assert_int_equal(mtrr_range_type(&s, 0, PAGE_SIZE, pb), MTRR_UC);
	assert_int_equal(mtrr_range_type(&s, PAGE_SIZE, PAGE_SIZE, pb), MTRR_WB);
	assert_int_equal(mtrr_range_type(&s, GiB(5) + PAGE_SIZE, PAGE_SIZE, pb), MTRR_WB);
	assert_int_equal(mtrr_range_type(&s, 0, 2 * PAGE_SIZE, pb), MTRR_MIXED);
	assert_int_equal(mtrr_range_type(&s, 0, BIT(pb), pb), MTRR_MIXED);
	/* Under a UC default the alternation is invisible: the whole space is
	 * one type, found without a step per alias. */
	s.def_type = MTRR_UC | MTRR_DEF_E;
	assert_int_equal(mtrr_range_type(&s, 0, BIT(pb), pb), MTRR_UC);
	/* WT over the same pages, shadowed by the UC range. */
	s.base[1] = MTRR_WT;
	s.mask[1] = BIT(12) | MTRR_MASK_V;
	assert_int_equal(mtrr_range_type(&s, 0, BIT(pb), pb), MTRR_UC);

	/* Eight WT ranges, each inside a sparse UC range (it compares a bit
	 * of the WT range's, with the same value): UC everywhere.  Split bit
	 * by bit, the eight pairs would multiply into more blocks than the
	 * budget allows; the shadowed WT ranges are dropped instead. */
	uint64_t outside = 0; /* the pages no UC range matches */

	ref_state(&s, 16, MTRR_UC);
	for (unsigned n = 0; n < 8; n++) {
		unsigned lo = 12 + 3 * n;

		outside |= BIT(lo);

		s.base[2 * n] = MTRR_UC;
		s.mask[2 * n] = BIT(lo) | MTRR_MASK_V;
		s.base[2 * n + 1] = MTRR_WT;
		s.mask[2 * n + 1] = BIT(lo) | BIT(lo + 1) | BIT(lo + 2) | MTRR_MASK_V;
	}
	assert_int_equal(mtrr_range_type(&s, 0, BIT(52), 52), MTRR_UC);
	s.def_type = MTRR_WB | MTRR_DEF_E;
	assert_int_equal(mtrr_range_type(&s, 0, BIT(52), 52), MTRR_MIXED);
	assert_int_equal(mtrr_range_type(&s, outside, PAGE_SIZE, 52), MTRR_WB);
	assert_int_equal(mtrr_range_type(&s, 0, PAGE_SIZE, 52), MTRR_UC);

	/* Bits at and above MAXPHYADDR take no part: a state read from
	 * hardware never has them, and one filled in by hand must not
	 * depend on them. */
	ref_state(&s, 2, MTRR_WB);
	s.base[0] = BIT(pb) | BIT(63) | MTRR_UC;
	s.mask[0] = BIT(12) | BIT(pb) | BIT(63) | MTRR_MASK_V;
	assert_int_equal(mtrr_range_type(&s, 0, PAGE_SIZE, pb), MTRR_UC);
	assert_int_equal(mtrr_range_type(&s, BIT(pb), PAGE_SIZE, pb), MTRR_UC);
	assert_int_equal(mtrr_range_type(&s, BIT(pb) + PAGE_SIZE, PAGE_SIZE, pb), MTRR_WB);
}

static void test_edges_of_the_address_space(void **state)
{
	struct mtrr_state s;

	(void)state;
	pc_state(&s);
	/* A range ending at 2^64 (aliases of low memory above MAXPHYADDR). */
	assert_int_equal(rt(&s, UINT64_MAX - PAGE_SIZE + 1, PAGE_SIZE), MTRR_UC);
	assert_int_equal(rt(&s, 0, UINT64_MAX), MTRR_MIXED);
	assert_int_equal(rt(&s, BIT(PB), MiB(1)), MTRR_WB); /* no fixed ranges up there */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_ranges_typical_pc),
		cmocka_unit_test(test_fe_off_ignores_fixed),
		cmocka_unit_test(test_disabled_is_uc),
		cmocka_unit_test(test_default_type),
		cmocka_unit_test(test_variable_ranges_pc_layout),
		cmocka_unit_test(test_overlap_precedence),
		cmocka_unit_test(test_large_pages_straddling),
		cmocka_unit_test(test_sparse_masks),
		cmocka_unit_test(test_edges_of_the_address_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
