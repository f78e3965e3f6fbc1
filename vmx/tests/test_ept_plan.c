/* ept_plan_range tiles a range with EPT leaves of one MTRR type each,
 * large pages wherever the type allows, split exactly at MTRR boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mtrr_ref.h"
#include "plan_check.h"

#define PB 36

/* A PC: fixed ranges, WB 0-4 GiB less a UC hole at 3-4 GiB, a UC I/O APIC
 * page inside it that overlaps nothing else, WB 4-6 GiB, default UC. */
static void pc_state(struct mtrr_state *s)
{
	ref_state(s, 8, MTRR_UC);
	ref_set_pc_fixed(s);
	ref_set_var(s, 0, 0, GiB(4), MTRR_WB, PB);
	ref_set_var(s, 1, GiB(3), GiB(1), MTRR_UC, PB);
	ref_set_var(s, 2, GiB(4), GiB(2), MTRR_WB, PB);
}

static const struct leaf *leaf_at(const struct plan *p, uint64_t gpa)
{
	for (size_t i = 0; i < p->count; i++)
		if (p->leaves[i].gpa == gpa)
			return &p->leaves[i];
	fail_msg("no leaf starts at %#llx", (unsigned long long)gpa);
	return NULL;
}

static void test_plan_whole_pc_space(void **state)
{
	struct mtrr_state s;
	struct plan p = { 0 };

	(void)state;
	pc_state(&s);
	assert_true(plan_make(&p, &s, 0, BIT(PB), PAGE_1G, PB));
	plan_check(&p, &s, 0, BIT(PB), PAGE_1G, PB, false);
	/* The first 2 MiB split at the fixed ranges: 256 pages below 1 MiB
	 * (their types differ every few granules), then WB 2 MiB pages. */
	assert_int_equal(leaf_at(&p, 0)->size, PAGE_SIZE);
	assert_int_equal(leaf_at(&p, 0xA0000)->type, MTRR_UC);
	assert_int_equal(leaf_at(&p, 0xC0000)->type, MTRR_WP);
	assert_int_equal(leaf_at(&p, PAGE_2M)->size, PAGE_2M);
	assert_int_equal(leaf_at(&p, GiB(1))->size, PAGE_1G);
	assert_int_equal(leaf_at(&p, GiB(3))->size, PAGE_1G);
	assert_int_equal(leaf_at(&p, GiB(3))->type, MTRR_UC);
	assert_int_equal(leaf_at(&p, GiB(5))->type, MTRR_WB);
	assert_int_equal(leaf_at(&p, GiB(6))->type, MTRR_UC);
	/* 1 GiB pages everywhere but the first GiB: 64 - 1, plus 511 2 MiB
	 * pages and the 4 KiB pages of [0, 2 MiB). */
	assert_int_equal(p.count, 63 + 511 + 512);
	plan_free(&p);
}

static void test_plan_splits_at_a_small_range(void **state)
{
	struct mtrr_state s;
	struct plan p = { 0 };

	(void)state;
	ref_state(&s, 8, MTRR_UC);
	ref_set_var(&s, 0, 0, GiB(4), MTRR_WB, PB);
	ref_set_var(&s, 1, 0xFEC00000, MiB(1), MTRR_UC, PB);
	assert_true(plan_make(&p, &s, GiB(3), GiB(4), PAGE_1G, PB));
	plan_check(&p, &s, GiB(3), GiB(4), PAGE_1G, PB, true);
	/* 502 WB 2 MiB pages up to the I/O APIC's, its 512 pages (256 UC,
	 * 256 WB), then 9 WB 2 MiB pages to 4 GiB. */
	assert_int_equal(p.count, 502 + 512 + 9);
	assert_int_equal(leaf_at(&p, 0xFEA00000)->size, PAGE_2M);
	assert_int_equal(leaf_at(&p, 0xFECFF000)->type, MTRR_UC);
	assert_int_equal(leaf_at(&p, 0xFED00000)->type, MTRR_WB);
	assert_int_equal(leaf_at(&p, 0xFEE00000)->size, PAGE_2M);
	plan_free(&p);
}

static void test_plan_max_page_and_rounding(void **state)
{
	struct mtrr_state s;
	struct plan p = { 0 };

	(void)state;
	pc_state(&s);
	assert_true(plan_make(&p, &s, GiB(1), GiB(2), PAGE_2M, PB));
	plan_check(&p, &s, GiB(1), GiB(2), PAGE_2M, PB, false);
	assert_int_equal(p.count, 512);
	assert_true(plan_make(&p, &s, GiB(1), GiB(1) + MiB(4), PAGE_SIZE, PB));
	assert_int_equal(p.count, 1024);
	/* Unaligned ends round out to pages. */
	assert_true(plan_make(&p, &s, 0x1234, 0x5678, PAGE_1G, PB));
	plan_check(&p, &s, 0x1000, 0x6000, PAGE_1G, PB, true);
	assert_int_equal(p.count, 5);
	/* A range that is not 1 GiB-aligned gets 2 MiB pages up to the next
	 * GiB, then 1 GiB pages. */
	assert_true(plan_make(&p, &s, GiB(4) + MiB(1020), GiB(6), PAGE_1G, PB));
	plan_check(&p, &s, GiB(4) + MiB(1020), GiB(6), PAGE_1G, PB, false);
	assert_int_equal(p.count, 2 + 1);
	assert_true(plan_make(&p, &s, 0, 0, PAGE_1G, PB));
	assert_int_equal(p.count, 0);
	plan_free(&p);
}

static void test_plan_stops_when_told(void **state)
{
	struct mtrr_state s;
	struct plan p = { 0 };

	(void)state;
	pc_state(&s);
	p.stop_after = 3;
	assert_false(plan_make(&p, &s, 0, BIT(PB), PAGE_1G, PB));
	assert_int_equal(p.count, 3);
	plan_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_whole_pc_space),
		cmocka_unit_test(test_plan_splits_at_a_small_range),
		cmocka_unit_test(test_plan_max_page_and_rounding),
		cmocka_unit_test(test_plan_stops_when_told),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
