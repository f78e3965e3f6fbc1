/* The capability library, one operation at a time: each success and each
 * error of each operation, the hook, and the invariant checker catching
 * corruption it is meant to catch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cap_test_util.h"

#define SLOTS 8

static struct cte slots_a[SLOTS], slots_b[SLOTS];
static struct cnode a, b;
static struct cnode *const both[] = { &a, &b };
static struct hook_log log_;
static const struct cap_hooks hooks = { hook_record, &log_ };

static int setup(void **state)
{
	(void)state;
	cap_cnode_init(&a, slots_a, SLOTS);
	cap_cnode_init(&b, slots_b, SLOTS);
	memset(&log_, 0, sizeof(log_));
	log_.leaves_only = true;
	return 0;
}

static void tree_ok(void)
{
	char why[128];

	if (!cap_tree_check(both, 2, why, sizeof(why)))
		fail_msg("cap_tree_check: %s", why);
}

static void tree_bad(const char *expect)
{
	char why[128];

	assert_false(cap_tree_check(both, 2, why, sizeof(why)));
	if (!strstr(why, expect))
		fail_msg("expected \"%s\", got \"%s\"", expect, why);
}

static const struct cap ep_all = { .type = CAP_ENDPOINT, .rights = CAP_R_CALL | CAP_R_GRANT,
				   .object = 3, .generation = 1 };

/* ---- the value ---- */

static void test_value_check(void **state)
{
	(void)state;
	struct cap ok[] = {
		ep_all,
		{ .type = CAP_DOMAIN, .rights = CAP_R_CALL, .object = 1, .generation = 7 },
		{ .type = CAP_NOTIFICATION, .rights = CAP_R_SIGNAL, .object = 2, .badge = 9 },
		cap_range(CAP_MEMORY, 0x100000, 0x2000, ALL_RW | CAP_R_MAP),
		cap_range(CAP_IOPORT, 0xFFF8, 8, ALL_RW),
		cap_range(CAP_MMIO, 0xFEE00000, 0x1000, CAP_R_MAP),
		cap_range(CAP_IRQ, 0xF0, 16, CAP_R_WAIT),
		cap_range(CAP_DMA, 0, 0x10000, CAP_R_READ),
	};
	struct cap bad[] = {
		{ .type = CAP_NULL },
		{ .type = CAP_TYPE_COUNT, .rights = CAP_R_READ },
		cap_ep(1, CAP_R_READ),                           /* right the type lacks */
		cap_range(CAP_MEMORY, 0x1000, 0, CAP_R_READ),     /* empty */
		cap_range(CAP_MEMORY, 0x1001, 0x1000, CAP_R_READ), /* misaligned base */
		cap_range(CAP_MEMORY, 0x1000, 0x1800, CAP_R_READ), /* misaligned size */
		cap_range(CAP_IOPORT, 0xFFF8, 9, CAP_R_READ),     /* past port 0xFFFF */
		cap_range(CAP_IRQ, 0xFF, 2, CAP_R_WAIT),          /* past vector 255 */
		cap_range(CAP_DMA, ~0xFFFULL, 0x2000, CAP_R_READ), /* wraps */
		{ .type = CAP_ENDPOINT, .base = 1 },              /* range on a non-range type */
		{ .type = CAP_MEMORY, .object = 1, .base = 0, .size = 0x1000 },
		{ .type = CAP_IOPORT, .badge = 1, .base = 0, .size = 1 },
		{ .type = CAP_NOTIFICATION, .generation = 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		assert_int_equal(cap_value_check(&ok[i]), E_OK);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(cap_value_check(&bad[i]), E_INVAL);
}

static void test_type_table_is_complete(void **state)
{
	(void)state;
	for (unsigned t = 1; t < CAP_TYPE_COUNT; t++) {
		const struct cap_type_info *i = cap_type_info(t);

		assert_non_null(i->name);
		assert_true(i->rights & CAP_R_GRANT);
		assert_true(!i->range || (i->align && i->limit));
	}
	assert_ptr_equal(cap_type_info(99), cap_type_info(CAP_NULL));
}

static void test_describe(void **state)
{
	(void)state;
	char buf[96];
	struct cap ep = ep_all;
	struct cap io = cap_range(CAP_IOPORT, 0x3F8, 8, ALL_RW);
	struct cap bad = { .type = 200 };

	ep.badge = 0x7;
	cap_describe(&ep, buf, sizeof(buf));
	assert_string_equal(buf, "endpoint obj=3 gen=1 badge=0x7 [call,grant]");
	cap_describe(&io, buf, sizeof(buf));
	assert_string_equal(buf, "ioport 0x3f8+0x8 [read,write]");
	cap_describe(&bad, buf, sizeof(buf));
	assert_string_equal(buf, "bad-type []");
	cap_describe(&ep, buf, 9);
	assert_string_equal(buf, "endpoint");
	cap_describe(&ep, buf, 1);
	assert_string_equal(buf, "");
}

static void test_covers(void **state)
{
	(void)state;
	struct cap io = cap_range(CAP_IOPORT, 0x3F8, 8, ALL_RW);

	assert_true(cap_covers(&io, 0x3F8, 8));
	assert_true(cap_covers(&io, 0x3FF, 1));
	assert_true(cap_covers(&io, 0x3FC, 2));
	assert_false(cap_covers(&io, 0x3F7, 1));
	assert_false(cap_covers(&io, 0x3FF, 2));
	assert_false(cap_covers(&io, 0x400, 1));
	assert_false(cap_covers(&io, 0x3F8, 0));
	assert_false(cap_covers(&io, 0x3F9, UINT64_MAX)); /* wraps */
	assert_false(cap_covers(&ep_all, 0, 1));         /* not a range type */
}

/* ---- lookup ---- */

static void test_lookup(void **state)
{
	(void)state;
	const struct cap *c = NULL;

	assert_int_equal(cap_insert_root(&a, 2, &ep_all), E_OK);
	assert_int_equal(cap_lookup(&a, 2, CAP_ENDPOINT, CAP_R_CALL, &c), E_OK);
	assert_ptr_equal(c, &slots_a[2].cap);
	assert_int_equal(cap_lookup(&a, 2, CAP_ENDPOINT, 0, &c), E_OK);
	assert_int_equal(cap_lookup(&a, SLOTS, CAP_ENDPOINT, CAP_R_CALL, &c), E_RANGE);
	assert_int_equal(cap_lookup(&a, 1ULL << 32 | 2, CAP_ENDPOINT, 0, &c), E_RANGE);
	assert_int_equal(cap_lookup(&a, 1, CAP_ENDPOINT, 0, &c), E_DENIED);  /* empty */
	assert_int_equal(cap_lookup(&a, 1, CAP_NULL, 0, &c), E_DENIED);      /* never found */
	assert_int_equal(cap_lookup(&a, 2, CAP_NOTIFICATION, 0, &c), E_DENIED);
	assert_int_equal(cap_lookup(&a, 2, CAP_ENDPOINT, CAP_R_MAP, &c), E_DENIED);
	assert_int_equal(cap_lookup(&a, 2, CAP_ENDPOINT, CAP_R_CALL | CAP_R_WAIT, &c), E_DENIED);
}

static void test_lookup_range(void **state)
{
	(void)state;
	const struct cap *c = NULL;
	struct cap io = cap_range(CAP_IOPORT, 0x60, 5, CAP_R_READ);

	assert_int_equal(cap_insert_root(&a, 0, &io), E_OK);
	assert_int_equal(cap_lookup_range(&a, 0, CAP_IOPORT, CAP_R_READ, 0x64, 1, &c), E_OK);
	assert_ptr_equal(c, &slots_a[0].cap);
	c = NULL;
	assert_int_equal(cap_lookup_range(&a, 0, CAP_IOPORT, CAP_R_READ, 0x64, 2, &c), E_DENIED);
	assert_int_equal(cap_lookup_range(&a, 0, CAP_IOPORT, CAP_R_WRITE, 0x60, 1, &c), E_DENIED);
	assert_int_equal(cap_lookup_range(&a, 9, CAP_IOPORT, CAP_R_READ, 0x60, 1, &c), E_RANGE);
	assert_null(c);
}

/* ---- insert_root ---- */

static void test_insert_root(void **state)
{
	(void)state;
	struct cap bad = cap_ep(1, CAP_R_MAP);

	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_true(cap_same(&slots_a[0].cap, &ep_all));
	assert_null(slots_a[0].parent);
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_EXISTS);
	assert_int_equal(cap_insert_root(&a, 1, &bad), E_INVAL);
	assert_int_equal(cap_insert_root(&a, SLOTS, &ep_all), E_RANGE);
	assert_int_equal(slots_a[1].cap.type, CAP_NULL);
	tree_ok();
}

/* ---- copy ---- */

static void test_copy(void **state)
{
	(void)state;
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_true(cap_same(&slots_a[1].cap, &ep_all));
	assert_ptr_equal(slots_a[1].parent, &slots_a[0]);
	assert_int_equal(cap_op_copy(&a, 0, &b, 5), E_OK); /* grant held: may leave */
	assert_ptr_equal(slots_b[5].parent, &slots_a[0]);
	assert_ptr_equal(slots_a[0].first_child, &slots_b[5]);
	assert_int_equal(cap_op_copy(&b, 5, &b, 6), E_OK); /* a grandchild */
	assert_ptr_equal(slots_b[6].parent, &slots_b[5]);
	tree_ok();
}

static void test_copy_errors(void **state)
{
	(void)state;
	struct cap no_grant = cap_ep(4, CAP_R_CALL);
	struct cte before[SLOTS];

	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_insert_root(&a, 1, &no_grant), E_OK);
	memcpy(before, slots_a, sizeof(before));
	assert_int_equal(cap_op_copy(&a, SLOTS, &a, 2), E_RANGE);
	assert_int_equal(cap_op_copy(&a, 0, &a, SLOTS), E_RANGE);
	assert_int_equal(cap_op_copy(&a, 0, &b, UINT64_MAX), E_RANGE);
	assert_int_equal(cap_op_copy(&a, 3, &a, 2), E_DENIED); /* empty source */
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_EXISTS);
	assert_int_equal(cap_op_copy(&a, 0, &a, 0), E_EXISTS); /* onto itself */
	assert_int_equal(cap_op_copy(&a, 1, &b, 0), E_DENIED); /* no grant, other CNode */
	assert_memory_equal(before, slots_a, sizeof(before));
	assert_int_equal(slots_b[0].cap.type, CAP_NULL);
	assert_int_equal(cap_op_copy(&a, 1, &a, 2), E_OK);     /* same CNode: no grant needed */
	tree_ok();
}

/* ---- mint ---- */

static void test_mint_rights_and_badge(void **state)
{
	(void)state;
	struct cap_mint call_only = { .rights = CAP_R_CALL, .badge = 0x55 };
	struct cap_mint rebadge = { .rights = CAP_R_CALL, .badge = 0x66 };
	struct cap_mint keep = { .rights = CAP_R_CALL };

	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_mint(&a, 0, &b, 1, &call_only), E_OK);
	assert_int_equal(slots_b[1].cap.rights, CAP_R_CALL);
	assert_int_equal(slots_b[1].cap.badge, 0x55);
	assert_int_equal(slots_b[1].cap.object, 3);
	assert_int_equal(slots_b[1].cap.generation, 1);
	assert_ptr_equal(slots_b[1].parent, &slots_a[0]);
	/* The badged cap lacks grant: it may not leave b, nor be re-badged. */
	assert_int_equal(cap_op_mint(&b, 1, &a, 1, &keep), E_DENIED);
	assert_int_equal(cap_op_mint(&b, 1, &b, 2, &rebadge), E_DENIED);
	assert_int_equal(cap_op_mint(&b, 1, &b, 2, &call_only), E_DENIED); /* same badge too */
	assert_int_equal(cap_op_mint(&b, 1, &b, 2, &keep), E_OK);
	assert_int_equal(slots_b[2].cap.badge, 0x55);
	tree_ok();
}

static void test_mint_errors(void **state)
{
	(void)state;
	struct cap mem = cap_range(CAP_MEMORY, 0x10000, 0x4000, CAP_R_READ | CAP_R_GRANT);
	struct cap_mint more = { .rights = CAP_R_READ | CAP_R_WRITE };
	struct cap_mint badge_mem = { .rights = CAP_R_READ, .badge = 1 };
	struct cap_mint range_ep = { .rights = CAP_R_CALL, .base = 0, .size = 1 };
	struct cap_mint base_only = { .rights = CAP_R_READ, .base = 0x10000 };
	struct cap_mint misaligned = { .rights = CAP_R_READ, .base = 0x10800, .size = 0x1000 };
	struct cap_mint wraps = { .rights = CAP_R_READ, .base = ~0xFFFULL, .size = 0x2000 };
	struct cap_mint below = { .rights = CAP_R_READ, .base = 0xF000, .size = 0x2000 };
	struct cap_mint beyond = { .rights = CAP_R_READ, .base = 0x13000, .size = 0x2000 };
	struct cap_mint ok = { .rights = CAP_R_READ };
	struct cte before[SLOTS];

	assert_int_equal(cap_insert_root(&a, 0, &mem), E_OK);
	assert_int_equal(cap_insert_root(&a, 1, &ep_all), E_OK);
	memcpy(before, slots_a, sizeof(before));
	assert_int_equal(cap_op_mint(&a, 0, &a, 2, &more), E_DENIED);
	assert_int_equal(cap_op_mint(&a, 0, &a, 2, &badge_mem), E_INVAL);
	assert_int_equal(cap_op_mint(&a, 1, &a, 2, &range_ep), E_INVAL);
	assert_int_equal(cap_op_mint(&a, 0, &a, 2, &base_only), E_INVAL);
	assert_int_equal(cap_op_mint(&a, 0, &a, 2, &misaligned), E_INVAL);
	assert_int_equal(cap_op_mint(&a, 0, &a, 2, &wraps), E_INVAL);
	assert_int_equal(cap_op_mint(&a, 0, &a, 2, &below), E_DENIED);
	assert_int_equal(cap_op_mint(&a, 0, &a, 2, &beyond), E_DENIED);
	assert_int_equal(cap_op_mint(&a, 0, &a, 1, &ok), E_EXISTS);
	assert_int_equal(cap_op_mint(&a, 3, &a, 2, &ok), E_DENIED);
	assert_int_equal(cap_op_mint(&a, 0, &a, 99, &ok), E_RANGE);
	assert_memory_equal(before, slots_a, sizeof(before));
	tree_ok();
}

static void test_mint_narrows_ranges(void **state)
{
	(void)state;
	struct cap mem = cap_range(CAP_MEMORY, 0x10000, 0x4000, ALL_RW | CAP_R_GRANT);
	struct cap io = cap_range(CAP_IOPORT, 0x3F8, 8, ALL_RW | CAP_R_GRANT);
	struct cap irq = cap_range(CAP_IRQ, 0xF0, 4, CAP_R_WAIT);
	struct cap_mint page = { .rights = CAP_R_READ, .base = 0x12000, .size = 0x1000 };
	struct cap_mint port = { .rights = CAP_R_WRITE | CAP_R_GRANT, .base = 0x3FD, .size = 3 };
	struct cap_mint vec = { .rights = CAP_R_WAIT, .base = 0xF3, .size = 1 };
	struct cap_mint whole = { .rights = CAP_R_WAIT };
	const struct cap *c;

	assert_int_equal(cap_insert_root(&a, 0, &mem), E_OK);
	assert_int_equal(cap_insert_root(&a, 1, &io), E_OK);
	assert_int_equal(cap_insert_root(&a, 2, &irq), E_OK);
	assert_int_equal(cap_op_mint(&a, 0, &b, 0, &page), E_OK);
	assert_int_equal(cap_op_mint(&a, 1, &b, 1, &port), E_OK);
	assert_int_equal(cap_op_mint(&a, 2, &a, 3, &vec), E_OK);
	assert_int_equal(cap_op_mint(&a, 2, &a, 4, &whole), E_OK);
	assert_int_equal(slots_b[0].cap.base, 0x12000);
	assert_int_equal(slots_b[0].cap.size, 0x1000);
	assert_int_equal(cap_lookup_range(&b, 1, CAP_IOPORT, CAP_R_WRITE, 0x3FD, 3, &c), E_OK);
	assert_int_equal(cap_lookup_range(&b, 1, CAP_IOPORT, CAP_R_WRITE, 0x3F8, 1, &c), E_DENIED);
	assert_int_equal(slots_a[3].cap.base, 0xF3);
	assert_int_equal(slots_a[4].cap.base, 0xF0);
	assert_int_equal(slots_a[4].cap.size, 4);
	tree_ok();
}

/* ---- move ---- */

static void test_move_carries_the_tree(void **state)
{
	(void)state;
	/* a0 -> a1 -> { a2, a3 }; move a1 to b4. */
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &a, 2), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &a, 3), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 5), E_OK); /* a sibling of a1 */
	assert_int_equal(cap_op_move(&a, 1, &b, 4, &hooks), E_OK);
	assert_int_equal(slots_a[1].cap.type, CAP_NULL);
	assert_null(slots_a[1].parent);
	assert_ptr_equal(slots_b[4].parent, &slots_a[0]);
	assert_ptr_equal(slots_a[2].parent, &slots_b[4]);
	assert_ptr_equal(slots_a[3].parent, &slots_b[4]);
	assert_int_equal(log_.count, 1); /* the cap left a1 */
	assert_ptr_equal(log_.slots[0], &slots_a[1]);
	assert_int_equal(log_.caps[0].type, CAP_ENDPOINT);
	tree_ok();
	/* A root moves too, and stays a root. */
	assert_int_equal(cap_op_move(&a, 0, &a, 7, NULL), E_OK);
	assert_null(slots_a[7].parent);
	assert_ptr_equal(slots_b[4].parent, &slots_a[7]);
	tree_ok();
}

static void test_move_errors(void **state)
{
	(void)state;
	struct cap no_grant = cap_ep(4, CAP_R_CALL);

	assert_int_equal(cap_insert_root(&a, 0, &no_grant), E_OK);
	assert_int_equal(cap_insert_root(&a, 1, &ep_all), E_OK);
	assert_int_equal(cap_op_move(&a, 0, &b, 0, &hooks), E_DENIED);
	assert_int_equal(cap_op_move(&a, 0, &a, 1, &hooks), E_EXISTS);
	assert_int_equal(cap_op_move(&a, 2, &a, 3, &hooks), E_DENIED);
	assert_int_equal(cap_op_move(&a, 0, &a, SLOTS, &hooks), E_RANGE);
	assert_int_equal(log_.count, 0);
	assert_int_equal(cap_op_move(&a, 0, &a, 2, &hooks), E_OK);
	tree_ok();
}

/* ---- delete ---- */

static void test_delete_reparents_children(void **state)
{
	(void)state;
	/* a0 -> a1 -> { b1, b2 }, a0 -> a3; delete a1. */
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &b, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &b, 2), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 3), E_OK);
	assert_int_equal(cap_op_delete(&a, 1, &hooks), E_OK);
	assert_int_equal(log_.count, 1);
	assert_ptr_equal(log_.slots[0], &slots_a[1]);
	assert_int_equal(log_.caps[0].type, CAP_ENDPOINT); /* told before it was cleared */
	assert_int_equal(slots_a[1].cap.type, CAP_NULL);
	assert_ptr_equal(slots_b[1].parent, &slots_a[0]);
	assert_ptr_equal(slots_b[2].parent, &slots_a[0]);
	tree_ok();
	/* A revoke of the grandparent still reaches them. */
	assert_int_equal(cap_op_revoke(&a, 0, &hooks), E_OK);
	assert_int_equal(slots_b[1].cap.type, CAP_NULL);
	assert_int_equal(slots_b[2].cap.type, CAP_NULL);
	assert_int_equal(slots_a[3].cap.type, CAP_NULL);
	assert_int_equal(log_.count, 4);
	tree_ok();
}

static void test_delete_root_makes_roots(void **state)
{
	(void)state;
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 2), E_OK);
	assert_int_equal(cap_op_delete(&a, 0, NULL), E_OK);
	assert_null(slots_a[1].parent);
	assert_null(slots_a[2].parent);
	assert_null(slots_a[1].next_sibling);
	assert_null(slots_a[2].prev_sibling);
	tree_ok();
}

static void test_delete_errors(void **state)
{
	(void)state;
	assert_int_equal(cap_op_delete(&a, 0, &hooks), E_DENIED);
	assert_int_equal(cap_op_delete(&a, SLOTS, &hooks), E_RANGE);
	assert_int_equal(cap_op_revoke(&a, 0, &hooks), E_DENIED);
	assert_int_equal(cap_op_revoke(&a, SLOTS, &hooks), E_RANGE);
	assert_int_equal(log_.count, 0);
}

/* ---- revoke ---- */

static void test_revoke_removes_all_descendants(void **state)
{
	(void)state;
	struct cap other = cap_ep(9, CAP_R_CALL | CAP_R_GRANT);

	/* a0 -> { a1 -> { b0 -> b1, a2 }, b2 }, and an unrelated a5 -> b5. */
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &b, 0), E_OK);
	assert_int_equal(cap_op_copy(&b, 0, &b, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &a, 2), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &b, 2), E_OK);
	assert_int_equal(cap_insert_root(&a, 5, &other), E_OK);
	assert_int_equal(cap_op_copy(&a, 5, &b, 5), E_OK);
	assert_int_equal(cap_op_revoke(&a, 1, &hooks), E_OK); /* the middle first */
	assert_int_equal(log_.count, 3);
	assert_int_equal(slots_a[1].cap.type, CAP_ENDPOINT); /* kept */
	assert_null(slots_a[1].first_child);
	tree_ok();
	assert_int_equal(cap_op_revoke(&a, 0, &hooks), E_OK);
	assert_int_equal(log_.count, 5);
	assert_true(log_.leaves_only); /* deepest first */
	assert_int_equal(slots_a[0].cap.type, CAP_ENDPOINT);
	assert_null(slots_a[0].first_child);
	for (unsigned i = 1; i < SLOTS; i++)
		assert_true(i == 5 || slots_a[i].cap.type == CAP_NULL);
	assert_int_equal(slots_b[5].cap.type, CAP_ENDPOINT);
	assert_int_equal(cap_op_revoke(&a, 0, &hooks), E_OK); /* nothing left: no-op */
	assert_int_equal(log_.count, 5);
	tree_ok();
}

static void test_revoke_wide_and_deep(void **state)
{
	(void)state;
	/* a0 -> a1 -> { a2 -> { a3, b3 }, b2 -> b4 }, a0 -> b0: revoke a0. */
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &a, 2), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &b, 2), E_OK);
	assert_int_equal(cap_op_copy(&a, 2, &a, 3), E_OK);
	assert_int_equal(cap_op_copy(&a, 2, &b, 3), E_OK);
	assert_int_equal(cap_op_copy(&b, 2, &b, 4), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &b, 0), E_OK);
	assert_int_equal(cap_op_revoke(&a, 0, &hooks), E_OK);
	assert_int_equal(log_.count, 7);
	assert_true(log_.leaves_only);
	for (unsigned i = 0; i < SLOTS; i++) {
		assert_int_equal(slots_a[i].cap.type, i == 0 ? CAP_ENDPOINT : CAP_NULL);
		assert_int_equal(slots_b[i].cap.type, CAP_NULL);
	}
	tree_ok();
}

static void test_revoke_deep_chain(void **state)
{
	(void)state;
	enum { N = 20000 };
	static struct cte big[N];
	struct cnode c;
	struct cnode *const one[] = { &c };
	char why[128];

	/* A chain 20,000 deep: revoke must not recurse. */
	cap_cnode_init(&c, big, N);
	assert_int_equal(cap_insert_root(&c, 0, &ep_all), E_OK);
	for (unsigned i = 1; i < N; i++)
		assert_int_equal(cap_op_copy(&c, i - 1, &c, i), E_OK);
	assert_int_equal(cap_op_revoke(&c, 0, &hooks), E_OK);
	assert_int_equal(log_.count, N - 1);
	assert_true(log_.leaves_only);
	assert_true(cap_tree_check(one, 1, why, sizeof(why)));
	assert_null(big[0].first_child);
}

/* ---- refresh ---- */

static void test_refresh(void **state)
{
	(void)state;
	struct cap dom = { .type = CAP_DOMAIN, .rights = CAP_R_CALL, .object = 2 };
	struct cap note = { .type = CAP_NOTIFICATION, .rights = CAP_R_SIGNAL, .object = 2 };

	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_insert_root(&a, 1, &dom), E_OK);
	assert_int_equal(cap_insert_root(&a, 2, &note), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 3), E_OK);
	assert_int_equal(cap_op_refresh(&a, 3, 5), E_OK);
	assert_int_equal(slots_a[3].cap.generation, 5);
	assert_int_equal(slots_a[0].cap.generation, 1); /* only that cap */
	assert_int_equal(cap_op_refresh(&a, 1, 9), E_OK);
	assert_int_equal(slots_a[1].cap.generation, 9);
	assert_int_equal(cap_op_refresh(&a, 2, 1), E_DENIED);
	assert_int_equal(cap_op_refresh(&a, 4, 1), E_DENIED);
	assert_int_equal(cap_op_refresh(&a, SLOTS, 1), E_RANGE);
	tree_ok();
}

/* ---- the checker catches what it should ---- */

static void build_small_tree(void)
{
	struct cap mem = cap_range(CAP_MEMORY, 0x10000, 0x4000, CAP_R_READ | CAP_R_GRANT);
	struct cap_mint page = { .rights = CAP_R_READ, .base = 0x11000, .size = 0x1000 };

	/* a0 -> { b0, a1 -> a2 } */
	assert_int_equal(cap_insert_root(&a, 0, &mem), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_int_equal(cap_op_mint(&a, 1, &a, 2, &page), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &b, 0), E_OK);
	tree_ok();
}

static void test_check_catches_rights_and_ranges(void **state)
{
	(void)state;
	build_small_tree();
	slots_a[2].cap.rights |= CAP_R_WRITE;
	tree_bad("more than its parent");
	slots_a[2].cap.rights &= (cap_rights_t)~CAP_R_WRITE;
	slots_a[2].cap.base = 0x14000;
	tree_bad("more than its parent");
	slots_a[2].cap.base = 0x11000;
	slots_a[2].cap.object = 1;
	tree_bad("invalid cap value");
	slots_a[2].cap.object = 0;
	tree_ok();
}

static void test_check_catches_cycles(void **state)
{
	(void)state;
	/* a0 -> a1 -> a2, then a2 made a0's parent. */
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 1, &a, 2), E_OK);
	slots_a[0].parent = &slots_a[2];
	slots_a[2].first_child = &slots_a[0];
	tree_bad("cycle of parents");
	setup(NULL);
	/* Siblings in a ring: a0 -> { a1, a2 }, a2 linked back to a1. */
	assert_int_equal(cap_insert_root(&a, 0, &ep_all), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 1), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 2), E_OK);
	assert_int_equal(cap_op_copy(&a, 0, &a, 3), E_OK); /* list: a3 a2 a1 */
	slots_a[1].next_sibling = &slots_a[2];
	slots_a[2].prev_sibling = &slots_a[1];
	slots_a[0].first_child = &slots_a[3];
	slots_a[3].next_sibling = NULL;
	tree_bad("listed children"); /* a1 and a2 are unreachable */
}

static void test_check_catches_links(void **state)
{
	(void)state;
	struct cte outside = { 0 };

	build_small_tree();
	slots_a[2].first_child = &outside;
	tree_bad("outside the CNodes");
	slots_a[2].first_child = (struct cte *)((char *)&slots_a[5] + 8); /* inside, unaligned */
	tree_bad("outside the CNodes");
	slots_a[2].first_child = &slots_a[5]; /* empty */
	tree_bad("empty slot");
	slots_a[2].first_child = NULL;
	slots_a[6].next_sibling = &slots_a[0];
	tree_bad("empty slot with links");
	slots_a[6].next_sibling = NULL;
	slots_a[6].cap.size = 1;
	tree_bad("non-zero cap");
	slots_a[6].cap.size = 0;
	slots_a[1].prev_sibling = NULL; /* a1 is a0's second child */
	tree_bad("first sibling");
	setup(NULL);
	build_small_tree();
	slots_a[1].next_sibling = &slots_a[2]; /* a1's child as its sibling */
	tree_bad("another parent");
	setup(NULL);
	build_small_tree();
	slots_a[1].prev_sibling = &slots_a[2];
	tree_bad("previous sibling disagrees");
	setup(NULL);
	build_small_tree();
	slots_b[0].cnode = &a;
	tree_bad("wrong cnode");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_value_check, setup),
		cmocka_unit_test_setup(test_type_table_is_complete, setup),
		cmocka_unit_test_setup(test_describe, setup),
		cmocka_unit_test_setup(test_covers, setup),
		cmocka_unit_test_setup(test_lookup, setup),
		cmocka_unit_test_setup(test_lookup_range, setup),
		cmocka_unit_test_setup(test_insert_root, setup),
		cmocka_unit_test_setup(test_copy, setup),
		cmocka_unit_test_setup(test_copy_errors, setup),
		cmocka_unit_test_setup(test_mint_rights_and_badge, setup),
		cmocka_unit_test_setup(test_mint_errors, setup),
		cmocka_unit_test_setup(test_mint_narrows_ranges, setup),
		cmocka_unit_test_setup(test_move_carries_the_tree, setup),
		cmocka_unit_test_setup(test_move_errors, setup),
		cmocka_unit_test_setup(test_delete_reparents_children, setup),
		cmocka_unit_test_setup(test_delete_root_makes_roots, setup),
		cmocka_unit_test_setup(test_delete_errors, setup),
		cmocka_unit_test_setup(test_revoke_removes_all_descendants, setup),
		cmocka_unit_test_setup(test_revoke_wide_and_deep, setup),
		cmocka_unit_test_setup(test_revoke_deep_chain, setup),
		cmocka_unit_test_setup(test_refresh, setup),
		cmocka_unit_test_setup(test_check_catches_rights_and_ranges, setup),
		cmocka_unit_test_setup(test_check_catches_cycles, setup),
		cmocka_unit_test_setup(test_check_catches_links, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
