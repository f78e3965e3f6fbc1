/* Records an ept_plan_range plan and checks it against the page-at-a-time
 * reference: shared by the planner's fixed and randomized tests. */
#ifndef SHOJI_VMX_TESTS_PLAN_CHECK_H
#define SHOJI_VMX_TESTS_PLAN_CHECK_H

#include "ept_types.h"

struct leaf {
	uint64_t gpa, size;
	int type;
};

struct plan {
	struct leaf *leaves;
	size_t count, cap;
	size_t stop_after; /* 0: never stop */
};

/* ept_leaf_fn that appends to the struct plan in ctx. */
bool plan_record(void *ctx, uint64_t gpa, uint64_t size, int type);

/* Plans [start, end) into p (emptied first). */
bool plan_make(struct plan *p, const struct mtrr_state *s, uint64_t start, uint64_t end,
	       uint64_t max_page, unsigned phys_bits);

/* Fails the test unless p tiles [start, end) in order with aligned EPT
 * page sizes no larger than max_page, each of the type the reference gives
 * every page (all pages if exhaustive, else a sample of each leaf). */
void plan_check(const struct plan *p, const struct mtrr_state *s, uint64_t start,
		uint64_t end, uint64_t max_page, unsigned phys_bits, bool exhaustive);

void plan_free(struct plan *p);

#endif
