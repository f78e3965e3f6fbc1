/* The invariant checker the tests run after every operation.  It trusts
 * nothing: every link is checked to point at a slot of the given CNodes
 * before it is followed.  See cap_tree_check in include/cap_space.h. */
#include <stdio.h>

#include "cap_space.h"

struct check {
	struct cnode *const *cnodes;
	size_t count;
	size_t slots; /* slots in all CNodes: the bound of any walk */
	char *why;
	size_t size;
};

static bool fail(struct check *k, const struct cte *s, const char *what)
{
	snprintf(k->why, k->size, "slot %u: %s", (unsigned)cap_slot_index(s), what);
	return false;
}

/* Whether p is exactly some slot of the CNodes (compared as integers:
 * p may point anywhere). */
static bool is_slot(const struct check *k, const struct cte *p)
{
	uintptr_t a = (uintptr_t)p;

	for (size_t i = 0; i < k->count; i++) {
		uintptr_t lo = (uintptr_t)k->cnodes[i]->slots;
		uintptr_t hi = lo + (uintptr_t)k->cnodes[i]->count * sizeof(struct cte);

		if (a >= lo && a < hi && (a - lo) % sizeof(struct cte) == 0)
			return true;
	}
	return false;
}

/* A link is NULL or names an occupied slot. */
static bool link_ok(const struct check *k, const struct cte *p)
{
	return !p || (is_slot(k, p) && p->cap.type != CAP_NULL);
}

static bool check_empty(struct check *k, const struct cte *s)
{
	const struct cap *c = &s->cap;

	if (s->parent || s->first_child || s->next_sibling || s->prev_sibling)
		return fail(k, s, "empty slot with links");
	if (c->rights || c->object || c->generation || c->badge || c->base || c->size)
		return fail(k, s, "empty slot with a non-zero cap");
	return true;
}

/* The links of occupied `s` and its place among its parent's children. */
static bool check_links(struct check *k, const struct cte *s)
{
	const struct cte *up = s->parent, *prev = s->prev_sibling, *next = s->next_sibling;

	if (!link_ok(k, up) || !link_ok(k, prev) || !link_ok(k, next) ||
	    !link_ok(k, s->first_child))
		return fail(k, s, "a link to an empty slot or outside the CNodes");
	if (cap_value_check(&s->cap) != E_OK)
		return fail(k, s, "invalid cap value");
	if (!up && (prev || next))
		return fail(k, s, "a root with siblings");
	if (up && !cap_derivable(&up->cap, &s->cap))
		return fail(k, s, "more than its parent (type, object, badge, rights or range)");
	if (up && !prev && up->first_child != s)
		return fail(k, s, "first sibling but not its parent's first child");
	if (prev && (prev->next_sibling != s || prev->parent != up))
		return fail(k, s, "previous sibling disagrees");
	if (next && (next->prev_sibling != s || next->parent != up))
		return fail(k, s, "next sibling disagrees");
	if (s->first_child && (s->first_child->parent != s || s->first_child->prev_sibling))
		return fail(k, s, "first child disagrees");
	return true;
}

/* No parent cycle through `s`; counts its children into *children. */
static bool check_walks(struct check *k, const struct cte *s, size_t *children)
{
	size_t n = 0;

	for (const struct cte *a = s->parent; a; a = a->parent)
		if (++n > k->slots)
			return fail(k, s, "a cycle of parents");
	n = 0;
	for (const struct cte *c = s->first_child; c; c = c->next_sibling) {
		if (++n > k->slots)
			return fail(k, s, "a cycle of siblings");
		if (c->parent != s)
			return fail(k, s, "a child naming another parent");
	}
	*children += n;
	return true;
}

bool cap_tree_check(struct cnode *const *cnodes, size_t count, char *why, size_t size)
{
	struct check k = { cnodes, count, 0, why, size };
	size_t occupied = 0, roots = 0, children = 0;

	why[0] = '\0';
	for (size_t i = 0; i < count; i++)
		k.slots += cnodes[i]->count;
	for (size_t i = 0; i < count; i++) {
		for (uint32_t j = 0; j < cnodes[i]->count; j++) {
			const struct cte *s = &cnodes[i]->slots[j];

			if (s->cnode != cnodes[i]) {
				snprintf(why, size, "cnode %zu slot %u: wrong cnode pointer", i,
					 (unsigned)j);
				return false;
			}
			if (s->cap.type == CAP_NULL) {
				if (!check_empty(&k, s))
					return false;
				continue;
			}
			if (!check_links(&k, s) || !check_walks(&k, s, &children))
				return false;
			occupied++;
			roots += !s->parent;
		}
	}
	if (roots + children != occupied) {
		snprintf(why, size, "%zu caps but %zu roots and %zu listed children", occupied,
			 roots, children);
		return false;
	}
	return true;
}
