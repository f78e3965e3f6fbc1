/* Helpers shared by the capability library's host tests: cap builders
 * and a hook that records what it was told. */
#ifndef SHOJI_CAP_TEST_UTIL_H
#define SHOJI_CAP_TEST_UTIL_H

#include "cap_space.h"

#define ALL_RW (CAP_R_READ | CAP_R_WRITE)

static inline struct cap cap_ep(uint32_t obj, cap_rights_t rights)
{
	return (struct cap){ .type = CAP_ENDPOINT, .rights = rights, .object = obj };
}

static inline struct cap cap_range(enum cap_type type, uint64_t base, uint64_t size,
				   cap_rights_t rights)
{
	return (struct cap){ .type = (uint8_t)type, .rights = rights, .base = base, .size = size };
}

/* Field by field: struct cap has padding. */
static inline bool cap_same(const struct cap *x, const struct cap *y)
{
	return x->type == y->type && x->rights == y->rights && x->object == y->object &&
	       x->generation == y->generation && x->badge == y->badge && x->base == y->base &&
	       x->size == y->size;
}

/* Every on_remove call, in order, with the cap the slot held then. */
struct hook_log {
	unsigned count;
	struct cte *slots[512];
	struct cap caps[512];
	bool leaves_only; /* every removed slot had no children when told */
};

static inline void hook_record(void *opaque, struct cte *slot)
{
	struct hook_log *l = opaque;

	if (slot->first_child)
		l->leaves_only = false;
	if (l->count < 512) {
		l->slots[l->count] = slot;
		l->caps[l->count] = slot->cap;
	}
	l->count++;
}

#endif
