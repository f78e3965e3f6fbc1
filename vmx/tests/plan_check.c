/* See plan_check.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mtrr_ref.h"
#include "plan_check.h"

bool plan_record(void *ctx, uint64_t gpa, uint64_t size, int type)
{
	struct plan *p = ctx;

	if (p->count == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 256;
		p->leaves = realloc(p->leaves, p->cap * sizeof(*p->leaves));
		assert_non_null(p->leaves);
	}
	p->leaves[p->count++] = (struct leaf){ gpa, size, type };
	return p->stop_after == 0 || p->count < p->stop_after;
}

bool plan_make(struct plan *p, const struct mtrr_state *s, uint64_t start, uint64_t end,
	       uint64_t max_page, unsigned phys_bits)
{
	p->count = 0;
	return ept_plan_range(s, start, end, max_page, phys_bits, plan_record, p);
}

static void check_page(const struct leaf *l, const struct mtrr_state *s, uint64_t a,
		       unsigned phys_bits)
{
	int want = ref_page_type(s, a, phys_bits);

	if (l->type != want)
		fail_msg("leaf %#llx+%#llx has type %d, page %#llx is %d",
			 (unsigned long long)l->gpa, (unsigned long long)l->size, l->type,
			 (unsigned long long)a, want);
}

void plan_check(const struct plan *p, const struct mtrr_state *s, uint64_t start,
		uint64_t end, uint64_t max_page, unsigned phys_bits, bool exhaustive)
{
	uint64_t a = start;

	for (size_t i = 0; i < p->count; i++) {
		const struct leaf *l = &p->leaves[i];

		assert_int_equal(l->gpa, a);
		assert_true(l->size == PAGE_SIZE || l->size == PAGE_2M || l->size == PAGE_1G);
		assert_true(l->size == PAGE_SIZE || l->size <= max_page);
		assert_int_equal(l->gpa & (l->size - 1), 0);
		if (exhaustive) {
			for (uint64_t x = l->gpa; x < l->gpa + l->size; x += PAGE_SIZE)
				check_page(l, s, x, phys_bits);
		} else {
			/* Both ends, and pages spread through the leaf. */
			for (uint64_t x = 0; x < l->size; x += l->size / 64 > PAGE_SIZE ? l->size / 64 : PAGE_SIZE)
				check_page(l, s, l->gpa + x, phys_bits);
			check_page(l, s, l->gpa + l->size - PAGE_SIZE, phys_bits);
		}
		a += l->size;
	}
	assert_int_equal(a, end);
}

void plan_free(struct plan *p)
{
	free(p->leaves);
	memset(p, 0, sizeof(*p));
}
