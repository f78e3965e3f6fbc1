/* The derivation tree: a parent link and a doubly linked list of
 * children in each slot.  See cap_tree.h. */
#include <string.h>

#include "cap_tree.h"

static void clear_slot(struct cte *slot)
{
	memset(&slot->cap, 0, sizeof(slot->cap));
	slot->parent = slot->first_child = NULL;
	slot->next_sibling = slot->prev_sibling = NULL;
}

static void notify_remove(const struct cap_hooks *hooks, struct cte *slot)
{
	if (hooks && hooks->on_remove)
		hooks->on_remove(hooks->opaque, slot);
}

void cap_tree_insert(struct cte *parent, struct cte *dst, const struct cap *c)
{
	dst->cap = *c;
	dst->parent = parent;
	dst->first_child = NULL;
	dst->prev_sibling = NULL;
	dst->next_sibling = NULL;
	if (!parent)
		return;
	dst->next_sibling = parent->first_child;
	if (parent->first_child)
		parent->first_child->prev_sibling = dst;
	parent->first_child = dst;
}

/* Replaces `old` in its parent's list of children by the chain
 * first..last (already linked among themselves), or drops `old` from the
 * list if first is NULL.  `old` must have a parent. */
static void splice(struct cte *old, struct cte *first, struct cte *last)
{
	struct cte *prev = old->prev_sibling, *next = old->next_sibling;

	if (!first) {
		first = next;
		last = prev;
	} else {
		first->prev_sibling = prev;
		last->next_sibling = next;
	}
	if (prev)
		prev->next_sibling = first;
	else
		old->parent->first_child = first;
	if (next)
		next->prev_sibling = last;
}

void cap_tree_remove(struct cte *slot, const struct cap_hooks *hooks)
{
	struct cte *up = slot->parent, *last = NULL;

	notify_remove(hooks, slot);
	for (struct cte *c = slot->first_child, *next; c; c = next) {
		next = c->next_sibling;
		c->parent = up;
		if (!up)
			c->prev_sibling = c->next_sibling = NULL; /* roots have no siblings */
		last = c;
	}
	if (up)
		splice(slot, slot->first_child, last);
	clear_slot(slot);
}

void cap_tree_move(struct cte *src, struct cte *dst, const struct cap *c,
		   const struct cap_hooks *hooks)
{
	notify_remove(hooks, src);
	dst->cap = *c;
	dst->parent = src->parent;
	dst->first_child = src->first_child;
	dst->prev_sibling = src->prev_sibling;
	dst->next_sibling = src->next_sibling;
	if (dst->parent)
		splice(src, dst, dst);
	for (struct cte *child = dst->first_child; child; child = child->next_sibling)
		child->parent = dst;
	clear_slot(src);
}

void cap_tree_revoke(struct cte *slot, const struct cap_hooks *hooks)
{
	struct cte *n = slot->first_child;

	while (n) {
		struct cte *up;

		while (n->first_child)
			n = n->first_child;
		up = n->parent;
		cap_tree_remove(n, hooks);
		n = up == slot ? slot->first_child : up;
	}
}
