/* Where capabilities live: CNodes of slots, one derivation tree across
 * all of them, and the operations on both (issue #6, item 6).
 *
 * Storage is the caller's: the core hands each domain a CNode (a struct
 * cnode and an array of struct cte).  Nothing here allocates or keeps
 * global state.  The library takes no locks: the caller serializes every
 * operation on caps that can be linked in one tree (one lock for the whole
 * cap space is the simple choice).
 *
 * The derivation tree.  Every occupied slot is a node; a cap inserted by
 * the core from the manifest is a root; copy and mint make a child of the
 * source.  A child never has more than its parent (cap_derivable), so
 * neither does any descendant.
 *   revoke  removes every descendant of a cap, deepest first, and keeps
 *           the cap itself;
 *   delete  removes one cap; its children move up to its parent (or become
 *           roots if it was one), as when seL4 unlinks a cap from its
 *           derivation list.  Nothing a revoke of an ancestor would have
 *           reached escapes it.  (So the core keeps the manifest's roots in
 *           a CNode of its own and gives domains children: a domain can then
 *           neither delete a grant out of the core's reach nor revoke what
 *           the core gave to others.)
 *   move    carries a cap with its place in the tree to another slot.
 *
 * Operations split as STYLE.md 9 asks: cap_decode_* checks everything and
 * may fail, changing nothing; cap_invoke_* takes what decode produced,
 * only mutates and cannot fail.  cap_op_* does both.
 *
 * Errors (ABI.md): a slot index beyond the CNode is E_RANGE; an empty
 * source, a wrong type, a missing right or more authority than the source
 * holds is E_DENIED; an occupied destination is E_EXISTS; a malformed
 * request (bad range, badge on a type without badges) is E_INVAL. */
#ifndef SHOJI_CAP_SPACE_H
#define SHOJI_CAP_SPACE_H

#include "cap.h"

struct cnode;

/* A capability table entry: one slot.  Links are to slots in any CNode of
 * the same cap space.  Legend: [init] set by cap_cnode_init only; [tree]
 * changed by the operations below only. */
struct cte {
	struct cap cap;            /* [tree] CAP_NULL when empty */
	struct cte *parent;        /* [tree] NULL for a root or an empty slot */
	struct cte *first_child;   /* [tree] */
	struct cte *next_sibling;  /* [tree] among the parent's children */
	struct cte *prev_sibling;  /* [tree] */
	struct cnode *cnode;       /* [init] the CNode this slot belongs to */
};

/* A CNode: the caller's array of slots. */
struct cnode {
	struct cte *slots; /* [init] */
	uint32_t count;    /* [init] number of slots */
};

/* How the core learns that a cap leaves a slot: called once for each cap
 * deleted, revoked or moved away, while the slot still holds it, before it
 * is cleared.  Anything the core built on the cap in that slot (a mapping
 * at the slot's address, an IOMMU entry, a routed IRQ) must be undone, and
 * on every CPU, before the hook returns.  The hook must not call back into
 * the cap library.  on_remove may be NULL. */
struct cap_hooks {
	void (*on_remove)(void *opaque, struct cte *slot);
	void *opaque;
};

/* Makes `cn` the CNode of `count` slots at `slots`, all empty. */
void cap_cnode_init(struct cnode *cn, struct cte *slots, uint32_t count);

/* The slot's index in its CNode. */
uint32_t cap_slot_index(const struct cte *slot);

/* The slot `index` of `cn` (E_RANGE beyond it), empty or not. */
enum err cap_slot(struct cnode *cn, uint64_t index, struct cte **out);

/* The core's hot path: the cap in slot `index` of `cn` if it is of `type`
 * and holds every right in `rights`.  E_RANGE: index beyond the CNode;
 * E_DENIED: empty, another type, or a right missing.  *out is set only on
 * E_OK. */
enum err cap_lookup(const struct cnode *cn, uint64_t index, enum cap_type type,
		    cap_rights_t rights, const struct cap **out);

/* cap_lookup, and the cap must also cover [first, first + count) (a port
 * range, a vector, a physical range); E_DENIED if it does not. */
enum err cap_lookup_range(const struct cnode *cn, uint64_t index, enum cap_type type,
			  cap_rights_t rights, uint64_t first, uint64_t count,
			  const struct cap **out);

/* Mint parameters: what the new cap keeps of its source. */
struct cap_mint {
	cap_rights_t rights; /* the new rights: a subset of the source's */
	uint64_t badge;      /* 0: keep the source's; else: badge an unbadged cap */
	uint64_t base;       /* range types with size > 0: the narrowed range */
	uint64_t size;       /* 0: keep the source's range */
};

/* A decoded copy, mint or move, ready for its invoke. */
struct cap_xfer {
	struct cte *src;
	struct cte *dst;
	struct cap cap; /* what dst will hold */
};

/* The CNode operations (ABI.md IPC_OP_CNODE, rsi = one of these). */
enum cap_op {
	CAP_OP_COPY = 1,
	CAP_OP_MINT,
	CAP_OP_MOVE,
	CAP_OP_DELETE,
	CAP_OP_REVOKE,
};

/* Decoders.  Each needs the CNodes' pointers valid; validates slot ranges,
 * an occupied source (E_DENIED), an empty destination (E_EXISTS) and, when
 * the destination CNode is not the source's, CAP_R_GRANT on the source
 * (E_DENIED).  On E_OK *out describes the operation; otherwise nothing
 * changed. */
enum err cap_decode_copy(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn,
			 uint64_t dst, struct cap_xfer *out);
/* Also: rights must be a subset of the source's (E_DENIED); a badge only
 * on a badgeable type (E_INVAL) and an unbadged source (E_DENIED); a
 * narrowed range only on a range type (E_INVAL), aligned and without
 * wrap-around (E_INVAL), inside the source's (E_DENIED). */
enum err cap_decode_mint(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn,
			 uint64_t dst, const struct cap_mint *m, struct cap_xfer *out);
enum err cap_decode_move(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn,
			 uint64_t dst, struct cap_xfer *out);
/* delete and revoke need an occupied slot; *out is that slot. */
enum err cap_decode_delete(struct cnode *cn, uint64_t index, struct cte **out);
enum err cap_decode_revoke(struct cnode *cn, uint64_t index, struct cte **out);
/* IPC_OP_REFRESH: the slot must hold a cap naming a generation (domain,
 * endpoint), else E_DENIED. */
enum err cap_decode_refresh(struct cnode *cn, uint64_t index, struct cte **out);
/* Manifest roots: `c` must pass cap_value_check (E_INVAL) and the slot
 * must be empty (E_EXISTS). */
enum err cap_decode_insert_root(struct cnode *cn, uint64_t index, const struct cap *c,
				struct cte **out);

/* Invokers.  Each needs the result of its decoder with no cap operation in
 * between; they only mutate and cannot fail.  `hooks` may be NULL. */
void cap_invoke_copy(const struct cap_xfer *x); /* dst becomes a child of src */
void cap_invoke_mint(const struct cap_xfer *x); /* likewise, with the minted value */
void cap_invoke_move(const struct cap_xfer *x, const struct cap_hooks *hooks);
void cap_invoke_delete(struct cte *slot, const struct cap_hooks *hooks);
void cap_invoke_revoke(struct cte *slot, const struct cap_hooks *hooks);
void cap_invoke_refresh(struct cte *slot, uint32_t generation);
void cap_invoke_insert_root(struct cte *slot, const struct cap *c);

/* Decode, then invoke on success. */
enum err cap_op_copy(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn, uint64_t dst);
enum err cap_op_mint(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn, uint64_t dst,
		     const struct cap_mint *m);
enum err cap_op_move(struct cnode *src_cn, uint64_t src, struct cnode *dst_cn, uint64_t dst,
		     const struct cap_hooks *hooks);
enum err cap_op_delete(struct cnode *cn, uint64_t index, const struct cap_hooks *hooks);
enum err cap_op_revoke(struct cnode *cn, uint64_t index, const struct cap_hooks *hooks);
enum err cap_op_refresh(struct cnode *cn, uint64_t index, uint32_t generation);
enum err cap_insert_root(struct cnode *cn, uint64_t index, const struct cap *c);

/* For tests: walks every slot of the `count` CNodes and the tree and
 * returns false, with a reason in `why` (size > 0), on the first
 * inconsistency: a link to a slot outside these CNodes or to an empty
 * slot, links of an empty slot, sibling or parent links that disagree, a
 * parent cycle, a wrong cnode back pointer, an invalid cap value, or a
 * child cap_derivable does not accept. */
bool cap_tree_check(struct cnode *const *cnodes, size_t count, char *why, size_t size);

#endif
