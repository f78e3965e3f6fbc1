/* mtrr_range_type and ept_plan_range against the page-at-a-time reference
 * on random MTRR sets: contiguous and sparse masks, overlaps of every type,
 * fixed ranges on and off, queries aligned and not, beyond MAXPHYADDR too.
 * A small MAXPHYADDR keeps the reference exhaustive.  The seed is fixed so
 * a failure repeats; SHOJI_TEST_SEED picks another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mtrr_ref.h"
#include "plan_check.h"

#define PB 24 /* 16 MiB: 4096 pages */
#define PAGES (BIT(PB) / PAGE_SIZE)
#define SETS 400
#define QUERIES 200

static uint64_t rng_state;

/* xorshift64*: enough spread for test cases, and repeatable. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

/* Few types, so that ranges overlap with equal types as well as unequal. */
static int random_type(void)
{
	static const int types[] = { MTRR_UC, MTRR_WB, MTRR_WB, MTRR_WT, MTRR_WP, MTRR_WC };

	return types[below(sizeof(types) / sizeof(types[0]))];
}

static void random_state(struct mtrr_state *s)
{
	unsigned vcnt = (unsigned)below(MTRR_VAR_MAX + 1);

	ref_state(s, vcnt, random_type());
	if (below(2))
		s->def_type |= MTRR_DEF_FE;
	if (below(16) == 0)
		s->def_type &= ~MTRR_DEF_E;
	/* Fixed ranges in runs of equal bytes, so that uniform spans exist. */
	int t = random_type();

	for (unsigned i = 0; i < MTRR_FIXED_MSRS; i++)
		for (unsigned b = 0; b < 8; b++) {
			if (below(6) == 0)
				t = random_type();
			s->fixed[i] |= (uint64_t)t << (8 * b);
		}
	for (unsigned n = 0; n < vcnt; n++) {
		uint64_t addr = (BIT(PB) - 1) & ~0xFFFULL, mask;

		if (below(3) == 0) {
			mask = rnd() & addr; /* sparse */
		} else {
			unsigned k = 12 + (unsigned)below(PB - 12 + 1);

			mask = addr & ~(BIT(k) - 1); /* contiguous, 2^k bytes */
		}
		s->base[n] = (rnd() & addr) | (uint64_t)random_type();
		s->mask[n] = mask | (below(8) ? MTRR_MASK_V : 0);
	}
}

/* Per-page types of the whole space, from the reference. */
static int page_type[PAGES];

static int ref_span(uint64_t first, uint64_t last)
{
	int t = page_type[(first / PAGE_SIZE) % PAGES];

	for (uint64_t a = first; a <= last; a += PAGE_SIZE)
		if (page_type[(a / PAGE_SIZE) % PAGES] != t)
			return MTRR_MIXED;
	return t;
}

static void check_query(const struct mtrr_state *s, uint64_t start, uint64_t size)
{
	uint64_t first = start & ~0xFFFULL, last = (start + size - 1) & ~0xFFFULL;
	int got = mtrr_range_type(s, start, size, PB), want;

	/* Above MAXPHYADDR the variable ranges alias low memory, but the fixed
	 * ranges stay at 0-1 MiB: take the reference page by page there. */
	if (last >= BIT(PB))
		want = ref_range_type(s, first, last + PAGE_SIZE, PB);
	else
		want = ref_span(first, last);
	if (got != want)
		fail_msg("[%#llx, +%#llx): got %d, want %d", (unsigned long long)start,
			 (unsigned long long)size, got, want);
}

static void test_random_range_types(void **state)
{
	struct mtrr_state s;

	(void)state;
	for (unsigned set = 0; set < SETS; set++) {
		random_state(&s);
		for (uint64_t p = 0; p < PAGES; p++)
			page_type[p] = ref_page_type(&s, p * PAGE_SIZE, PB);
		for (unsigned q = 0; q < QUERIES; q++) {
			unsigned k = 12 + (unsigned)below(PB - 12 + 1);
			uint64_t start, size;

			switch (below(3)) {
			case 0: /* an aligned block, as EPT asks */
				size = BIT(k);
				start = below(BIT(PB + 1) / size) * size;
				break;
			case 1: /* any byte range */
				start = below(BIT(PB));
				size = 1 + below(BIT(PB) - start);
				break;
			default: /* short, around the fixed ranges */
				start = below(MiB(2));
				size = 1 + below(MiB(1));
				break;
			}
			check_query(&s, start, size);
		}
	}
}

/* The plan of the whole space: right types, and a large page wherever one
 * fits (a uniform aligned 2 MiB block never comes out as 4 KiB pages). */
static void test_random_plans(void **state)
{
	struct mtrr_state s;
	struct plan p = { 0 };

	(void)state;
	for (unsigned set = 0; set < SETS; set++) {
		random_state(&s);
		for (uint64_t i = 0; i < PAGES; i++)
			page_type[i] = ref_page_type(&s, i * PAGE_SIZE, PB);
		assert_true(plan_make(&p, &s, 0, BIT(PB), PAGE_1G, PB));
		plan_check(&p, &s, 0, BIT(PB), PAGE_1G, PB, true);

		size_t big = 0;

		for (uint64_t a = 0; a < BIT(PB); a += PAGE_2M)
			big += ref_span(a, a + PAGE_2M - PAGE_SIZE) != MTRR_MIXED;
		for (size_t i = 0; i < p.count; i++)
			big -= p.leaves[i].size == PAGE_2M;
		assert_int_equal(big, 0);
	}
	plan_free(&p);
}

static int setup(void **state)
{
	const char *seed = getenv("SHOJI_TEST_SEED");

	(void)state;
	rng_state = seed ? strtoull(seed, NULL, 0) : 0x5EED0F3A7C1D2B49ULL;
	if (rng_state == 0)
		rng_state = 1;
	printf("seed %#llx\n", (unsigned long long)rng_state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_random_range_types, setup),
		cmocka_unit_test_setup(test_random_plans, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
