/* Domains' capabilities: the manifest's grants become root caps in a CNode
 * of the core's, and each domain's CNode holds copies of them, so that
 * whatever a domain does with its own (delete, move, pass on) the core
 * keeps the roots and can revoke everything derived from them.  A restart
 * deletes the domain's caps and copies the roots again. */
#include <stdio.h>
#include <string.h>

#include "dom.h"
#include "log.h"
#include "mm.h"

struct spinlock cap_lock;

/* The cap a manifest grant stands for; false if Shoji cannot grant its
 * kind yet (said in the log, the domain starts without it). */
static bool cap_from_manifest(const struct manifest_cap *m, uint32_t owner, struct cap *c)
{
	*c = (struct cap){ 0 };
	switch (m->kind) {
	case MANIFEST_CAP_ENDPOINT:
		c->type = CAP_ENDPOINT;
		c->rights = CAP_R_CALL | CAP_R_GRANT;
		c->object = m->target;
		c->generation = 1;
		c->badge = m->badge;
		return true;
	case MANIFEST_CAP_MEMORY: {
		void *pages = page_alloc_contig(m->size / PAGE_SIZE);

		if (!pages)
			return false;
		c->type = CAP_MEMORY;
		c->rights = CAP_R_MAP | CAP_R_GRANT |
			    ((m->rights & MANIFEST_RIGHT_READ) ? CAP_R_READ : 0) |
			    ((m->rights & MANIFEST_RIGHT_WRITE) ? CAP_R_WRITE : 0) |
			    ((m->rights & MANIFEST_RIGHT_EXEC) ? CAP_R_EXEC : 0);
		c->base = virt_to_phys(pages);
		c->size = m->size;
		return true;
	}
	case MANIFEST_CAP_NOTIFICATION:
		c->type = CAP_NOTIFICATION;
		c->rights = CAP_R_GRANT | ((m->rights & MANIFEST_RIGHT_SIGNAL) ? CAP_R_SIGNAL : 0) |
			    ((m->rights & MANIFEST_RIGHT_POLL) ? CAP_R_WAIT : 0);
		c->object = m->target == MANIFEST_NO_TARGET ? owner : m->target;
		return true;
	case MANIFEST_CAP_IOPORT:
		c->type = CAP_IOPORT;
		c->rights = CAP_R_READ | CAP_R_WRITE | CAP_R_GRANT;
		c->base = m->base;
		c->size = m->size;
		return true;
	default:
		return false;
	}
}

/* The domain's copy of root `slot`: the same cap, without the grant right
 * the core keeps for itself unless the manifest gives it too. */
static enum err grant(struct domain *d, uint32_t slot)
{
	const struct cap *root = &d->root_slots[slot].cap;
	bool may_grant = false;

	for (unsigned i = 0; i < d->desc->cap_count; i++)
		if (d->desc->caps[i].slot == slot)
			may_grant = d->desc->caps[i].rights & MANIFEST_RIGHT_GRANT;
	struct cap_mint mint = { .rights = root->rights &
					   (cap_rights_t)~(may_grant ? 0 : CAP_R_GRANT) };

	return cap_op_mint(&d->roots, slot, &d->cnode, slot, &mint);
}

enum err dom_caps_build(struct domain *d, char *why, size_t why_size)
{
	enum err e = E_OK;

	cap_cnode_init(&d->roots, d->root_slots, MANIFEST_CNODE_SLOTS);
	cap_cnode_init(&d->cnode, d->slots, MANIFEST_CNODE_SLOTS);
	spin_lock(&cap_lock);
	for (unsigned i = 0; i < d->desc->cap_count && e == E_OK; i++) {
		const struct manifest_cap *m = &d->desc->caps[i];
		struct cap c;

		if (!cap_from_manifest(m, d->index, &c)) {
			log_warn("domain %s: slot %u: this kind of grant is not supported yet; "
				 "left empty", d->desc->name, m->slot);
			continue;
		}
		if ((e = cap_insert_root(&d->roots, m->slot, &c)) != E_OK ||
		    (e = grant(d, m->slot)) != E_OK)
			snprintf(why, why_size, "slot %u: cannot grant (%s)", m->slot, err_name(e));
	}
	spin_unlock(&cap_lock);
	return e;
}

/* A cap leaves a domain's CNode (delete, revoke, a restart): a memory
 * grant it mapped is unmapped, and no CPU may use it once the operation
 * that removed it returns (dom_space_unmap_grant shoots the TLBs down). */
static void on_remove(void *opaque, struct cte *slot)
{
	(void)opaque;
	for (unsigned i = 0; i < dom_count; i++) {
		struct domain *d = &domains[i];

		if (slot->cnode == &d->cnode) {
			dom_space_unmap_grant(d, cap_slot_index(slot), &slot->cap);
			return;
		}
	}
}

static const struct cap_hooks remove_hooks = { on_remove, NULL };

void dom_caps_reset(struct domain *d)
{
	spin_lock(&cap_lock);
	for (uint32_t s = 0; s < MANIFEST_CNODE_SLOTS; s++)
		cap_op_delete(&d->cnode, s, &remove_hooks); /* an empty slot just fails */
	for (uint32_t s = 0; s < MANIFEST_CNODE_SLOTS; s++) {
		const struct cap *root = &d->root_slots[s].cap;

		if (root->type == CAP_NULL)
			continue;
		if (root->type == CAP_MEMORY) /* fresh at each start */
			memset(phys_to_virt(root->base), 0, root->size);
		grant(d, s);
	}
	spin_unlock(&cap_lock);
}

enum err dom_cap_revoke_grant(struct domain *d, uint64_t slot)
{
	spin_lock(&cap_lock);
	enum err e = cap_op_revoke(&d->roots, slot, &remove_hooks);

	spin_unlock(&cap_lock);
	return e;
}

enum err dom_cap_map(struct domain *d, uint64_t slot, uint64_t *va)
{
	const struct cap *c;

	spin_lock(&cap_lock);
	enum err e = cap_lookup(&d->cnode, slot, CAP_MEMORY, CAP_R_MAP, &c);

	if (e == E_OK)
		e = dom_space_map_grant(d, (uint32_t)slot, c, va);
	spin_unlock(&cap_lock);
	return e == E_RANGE ? E_DENIED : e;
}

enum err dom_cap_get(struct domain *d, uint64_t slot, enum cap_type type, cap_rights_t rights,
		     struct cap *out)
{
	const struct cap *c;

	spin_lock(&cap_lock);
	enum err e = cap_lookup(&d->cnode, slot, type, rights, &c);

	if (e == E_OK)
		*out = *c;
	spin_unlock(&cap_lock);
	return e == E_RANGE ? E_DENIED : e;
}

struct domain *dom_by_object(uint32_t object)
{
	return object < dom_count && domains[object].present ? &domains[object] : NULL;
}

enum err dom_cap_refresh(struct domain *d, uint64_t slot)
{
	struct cap c;
	struct domain *target;
	enum err e = dom_cap_get(d, slot, CAP_ENDPOINT, CAP_R_CALL, &c);

	if (e != E_OK || !(target = dom_by_object(c.object)))
		return E_DENIED;
	spin_lock(&cap_lock);
	e = cap_op_refresh(&d->cnode, slot, __atomic_load_n(&target->generation, __ATOMIC_ACQUIRE));
	spin_unlock(&cap_lock);
	return e;
}

void dom_caps_iomap(const struct domain *d, uint8_t *iomap)
{
	for (uint32_t s = 0; s < MANIFEST_CNODE_SLOTS; s++) {
		const struct cap *c = &d->slots[s].cap;

		if (c->type != CAP_IOPORT)
			continue;
		for (uint64_t p = c->base; p < c->base + c->size && p < 0x10000; p++)
			iomap[p / 8] &= (uint8_t)~(1u << (p % 8));
	}
}


enum err dom_cap_operate(struct domain *d, const struct dom_cap_request *rq)
{
	struct cnode *dst_cn = &d->cnode;
	const struct cap *via;
	enum err e;

	spin_lock(&cap_lock);
	if (rq->via) { /* the CNode of the domain behind an endpoint with grant */
		struct domain *callee;

		e = cap_lookup(&d->cnode, rq->via, CAP_ENDPOINT, CAP_R_GRANT, &via);
		if (e != E_OK || !(callee = dom_by_object(via->object))) {
			spin_unlock(&cap_lock);
			return E_DENIED;
		}
		dst_cn = &callee->cnode;
	}
	struct cap_mint mint = { .rights = (cap_rights_t)rq->rights, .badge = rq->badge };

	switch (rq->op) {
	case CAP_OP_COPY:
		e = cap_op_copy(&d->cnode, rq->src, dst_cn, rq->dst);
		break;
	case CAP_OP_MINT:
		e = cap_op_mint(&d->cnode, rq->src, dst_cn, rq->dst, &mint);
		break;
	case CAP_OP_MOVE:
		e = cap_op_move(&d->cnode, rq->src, dst_cn, rq->dst, &remove_hooks);
		break;
	case CAP_OP_DELETE:
		e = cap_op_delete(&d->cnode, rq->src, &remove_hooks);
		break;
	case CAP_OP_REVOKE:
		e = cap_op_revoke(&d->cnode, rq->src, &remove_hooks);
		break;
	default:
		e = E_INVAL;
	}
	spin_unlock(&cap_lock);
	return e;
}
