/* The CNode operations, decode then invoke (STYLE.md 9).  The decoders
 * judge everything a domain or the manifest can get wrong; the invokers
 * are the tree surgery of cap_tree.c and cannot fail.  See
 * include/cap_space.h for each operation's contract. */
#include "cap_tree.h"

/* The checks copy, mint and move share, in this order: both slots in
 * range (E_RANGE), an occupied source (E_DENIED), an empty destination
 * (E_EXISTS), the grant right to leave the source's CNode (E_DENIED). */
static enum err decode_xfer(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn,
			    uint64_t dst, struct cap_xfer *out)
{
	struct cte *s, *d;
	enum err e;

	if ((e = cap_slot(src_cn, src, &s)) != E_OK || (e = cap_slot(dst_cn, dst, &d)) != E_OK)
		return e;
	if (s->cap.type == CAP_NULL)
		return E_DENIED;
	if (d->cap.type != CAP_NULL)
		return E_EXISTS;
	if (dst_cn != src_cn && !(s->cap.rights & CAP_R_GRANT))
		return E_DENIED;
	*out = (struct cap_xfer){ .src = s, .dst = d, .cap = s->cap };
	return E_OK;
}

/* An occupied slot, or E_RANGE / E_DENIED. */
static enum err decode_occupied(struct cnode *cn, uint64_t index, struct cte **out)
{
	struct cte *s;
	enum err e = cap_slot(cn, index, &s);

	if (e != E_OK)
		return e;
	if (s->cap.type == CAP_NULL)
		return E_DENIED;
	*out = s;
	return E_OK;
}

enum err cap_decode_copy(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn,
			 uint64_t dst, struct cap_xfer *out)
{
	return decode_xfer(src_cn, src, dst_cn, dst, out);
}

enum err cap_decode_mint(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn,
			 uint64_t dst, const struct cap_mint *m, struct cap_xfer *out)
{
	struct cap_xfer x;
	const struct cap_type_info *t;
	enum err e = decode_xfer(src_cn, src, dst_cn, dst, &x);

	if (e != E_OK)
		return e;
	t = cap_type_info(x.cap.type);
	if (m->rights & ~x.cap.rights)
		return E_DENIED;
	x.cap.rights = m->rights;
	if (m->badge) {
		if (!t->badge)
			return E_INVAL;
		if (x.cap.badge)
			return E_DENIED;
		x.cap.badge = m->badge;
	}
	if (m->size || m->base) {
		if (!t->range || !m->size)
			return E_INVAL;
		x.cap.base = m->base;
		x.cap.size = m->size;
		if (cap_value_check(&x.cap) != E_OK)
			return E_INVAL;
		if (!cap_derivable(&x.src->cap, &x.cap))
			return E_DENIED;
	}
	*out = x;
	return E_OK;
}

enum err cap_decode_move(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn,
			 uint64_t dst, struct cap_xfer *out)
{
	return decode_xfer(src_cn, src, dst_cn, dst, out);
}

enum err cap_decode_delete(struct cnode *cn, uint64_t index, struct cte **out)
{
	return decode_occupied(cn, index, out);
}

enum err cap_decode_revoke(struct cnode *cn, uint64_t index, struct cte **out)
{
	return decode_occupied(cn, index, out);
}

enum err cap_decode_refresh(struct cnode *cn, uint64_t index, struct cte **out)
{
	struct cte *s;
	enum err e = decode_occupied(cn, index, &s);

	if (e != E_OK)
		return e;
	if (!cap_type_info(s->cap.type)->generation)
		return E_DENIED;
	*out = s;
	return E_OK;
}

enum err cap_decode_insert_root(struct cnode *cn, uint64_t index, const struct cap *c,
				struct cte **out)
{
	struct cte *s;
	enum err e = cap_slot(cn, index, &s);

	if (e != E_OK)
		return e;
	if (cap_value_check(c) != E_OK)
		return E_INVAL;
	if (s->cap.type != CAP_NULL)
		return E_EXISTS;
	*out = s;
	return E_OK;
}

void cap_invoke_copy(const struct cap_xfer *x)
{
	cap_tree_insert(x->src, x->dst, &x->cap);
}

void cap_invoke_mint(const struct cap_xfer *x)
{
	cap_tree_insert(x->src, x->dst, &x->cap);
}

void cap_invoke_move(const struct cap_xfer *x, const struct cap_hooks *hooks)
{
	cap_tree_move(x->src, x->dst, &x->cap, hooks);
}

void cap_invoke_delete(struct cte *slot, const struct cap_hooks *hooks)
{
	cap_tree_remove(slot, hooks);
}

void cap_invoke_revoke(struct cte *slot, const struct cap_hooks *hooks)
{
	cap_tree_revoke(slot, hooks);
}

void cap_invoke_refresh(struct cte *slot, uint32_t generation)
{
	slot->cap.generation = generation;
}

void cap_invoke_insert_root(struct cte *slot, const struct cap *c)
{
	cap_tree_insert(NULL, slot, c);
}

enum err cap_op_copy(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn, uint64_t dst)
{
	struct cap_xfer x;
	enum err e = cap_decode_copy(src_cn, src, dst_cn, dst, &x);

	if (e == E_OK)
		cap_invoke_copy(&x);
	return e;
}

enum err cap_op_mint(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn, uint64_t dst,
		     const struct cap_mint *m)
{
	struct cap_xfer x;
	enum err e = cap_decode_mint(src_cn, src, dst_cn, dst, m, &x);

	if (e == E_OK)
		cap_invoke_mint(&x);
	return e;
}

enum err cap_op_move(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn, uint64_t dst,
		     const struct cap_hooks *hooks)
{
	struct cap_xfer x;
	enum err e = cap_decode_move(src_cn, src, dst_cn, dst, &x);

	if (e == E_OK)
		cap_invoke_move(&x, hooks);
	return e;
}

enum err cap_op_delete(struct cnode *cn, uint64_t index, const struct cap_hooks *hooks)
{
	struct cte *s;
	enum err e = cap_decode_delete(cn, index, &s);

	if (e == E_OK)
		cap_invoke_delete(s, hooks);
	return e;
}

enum err cap_op_revoke(struct cnode *cn, uint64_t index, const struct cap_hooks *hooks)
{
	struct cte *s;
	enum err e = cap_decode_revoke(cn, index, &s);

	if (e == E_OK)
		cap_invoke_revoke(s, hooks);
	return e;
}

enum err cap_op_refresh(struct cnode *cn, uint64_t index, uint32_t generation)
{
	struct cte *s;
	enum err e = cap_decode_refresh(cn, index, &s);

	if (e == E_OK)
		cap_invoke_refresh(s, generation);
	return e;
}

enum err cap_insert_root(struct cnode *cn, uint64_t index, const struct cap *c)
{
	struct cte *s;
	enum err e = cap_decode_insert_root(cn, index, c, &s);

	if (e == E_OK)
		cap_invoke_insert_root(s, c);
	return e;
}
