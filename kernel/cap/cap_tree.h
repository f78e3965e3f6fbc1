/* The derivation tree's link surgery, shared by the operations (cap_ops.c)
 * and nothing else.  Each function keeps every invariant cap_tree_check
 * tests, given that its preconditions hold; none can fail. */
#ifndef SHOJI_CAP_TREE_H
#define SHOJI_CAP_TREE_H

#include "cap_space.h"

/* Puts `c` in the empty slot `dst` as the newest child of `parent` (NULL:
 * as a root).  cap_derivable(&parent->cap, c) must hold. */
void cap_tree_insert(struct cte *parent, struct cte *dst, const struct cap *c);

/* Removes the cap in the occupied `slot`: calls the hook, moves its
 * children up to its parent (they become roots if it was one), clears it. */
void cap_tree_remove(struct cte *slot, const struct cap_hooks *hooks);

/* Moves the cap of the occupied `src`, replaced by `c` (the same cap), with
 * its parent and children to the empty `dst`; calls the hook on `src`. */
void cap_tree_move(struct cte *src, struct cte *dst, const struct cap *c,
		   const struct cap_hooks *hooks);

/* Removes every descendant of the occupied `slot`, each one a leaf when it
 * goes (deepest first), and keeps `slot`.  Iterative: no recursion on the
 * core's stack whatever the depth. */
void cap_tree_revoke(struct cte *slot, const struct cap_hooks *hooks);

#endif
