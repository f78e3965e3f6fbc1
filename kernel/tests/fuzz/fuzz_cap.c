/* The capability library under arbitrary operation sequences: each 8
 * input bytes are one operation (what a domain's IPC_OP_CNODE calls and
 * the core's manifest inserts could ask).  After each: cap_tree_check
 * passes, a failed operation changed nothing, the hook only heard of
 * occupied slots, and a revoked cap has no children left. */
#include <string.h>

#include "cap_space.h"
#include "fuzz.h"

const struct fuzz_seed fuzz_seeds[] = {
	/* insert an endpoint and memory, copy, mint, revoke */
	FUZZ_SEED("\x00\x00\x00\x00\x00\x02\xff\x01"
		  "\x00\x00\x01\x00\x00\x04\xff\x11"
		  "\x01\x00\x00\x01\x02\x00\x00\x00"
		  "\x02\x00\x01\x01\x03\x01\x00\x09"
		  "\x05\x00\x00\x00\x00\x00\x00\x00"),
	FUZZ_SEED("\x00\x01\x03\x00\x00\x05\x4f\x20"
		  "\x01\x01\x03\x01\x01\x00\x00\x00"
		  "\x03\x01\x01\x02\x07\x00\x00\x00"
		  "\x04\x02\x07\x00\x00\x00\x00\x00"),
	{ NULL, 0 },
};

#define NCN 3
#define NSLOT 8

static struct cte store[NCN][NSLOT];
static struct cnode cns[NCN];
static struct cnode *const cnp[NCN] = { &cns[0], &cns[1], &cns[2] };

static void on_remove(void *opaque, struct cte *slot)
{
	(void)opaque;
	fuzz_check(slot->cap.type != CAP_NULL);
}

static const struct cap_hooks hooks = { on_remove, NULL };

/* A cap from three bytes: often valid, sometimes not. */
static struct cap cap_from(uint8_t t, uint8_t r, uint8_t x)
{
	struct cap c = { .type = (uint8_t)(t % (CAP_TYPE_COUNT + 1)), .rights = r };
	const struct cap_type_info *i = cap_type_info(c.type);

	if (!(t & 0x80))
		c.rights &= i->rights;
	c.object = i->object ? x & 3 : 0;
	c.generation = i->generation ? x >> 6 : 0;
	c.badge = i->badge ? (x >> 4) & 3 : 0;
	if (i->range) {
		c.base = (uint64_t)(x & 0x0F) * i->align;
		c.size = (uint64_t)((x >> 4) + 1) * i->align;
	}
	return c;
}

static enum err one_op(const uint8_t *b)
{
	unsigned sc = b[1] % NCN, dc = b[3] % NCN;
	uint64_t s = b[2] % (NSLOT + 1), d = b[4] % (NSLOT + 1);
	struct cap c;
	struct cap_mint m;
	enum err e;

	switch (b[0] % 7) {
	case 0:
		c = cap_from(b[5], b[6], b[7]);
		return cap_insert_root(&cns[sc], s, &c);
	case 1:
		return cap_op_copy(&cns[sc], s, &cns[dc], d);
	case 2:
		m = (struct cap_mint){ .rights = b[5], .badge = b[6] & 3 };
		if (b[7]) {
			uint64_t align = s < NSLOT ? cap_type_info(store[sc][s].cap.type)->align : 1;

			m.base = store[sc][s % NSLOT].cap.base + (uint64_t)(b[7] & 7) * align;
			m.size = (uint64_t)(b[7] >> 3) * align;
		}
		return cap_op_mint(&cns[sc], s, &cns[dc], d, &m);
	case 3:
		return cap_op_move(&cns[sc], s, &cns[dc], d, &hooks);
	case 4:
		return cap_op_delete(&cns[sc], s, &hooks);
	case 5:
		e = cap_op_revoke(&cns[sc], s, &hooks);
		fuzz_check(e != E_OK || !store[sc][s].first_child);
		return e;
	default:
		return cap_op_refresh(&cns[sc], s, b[5]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cte before[NCN][NSLOT];
	char why[160];

	for (unsigned i = 0; i < NCN; i++)
		cap_cnode_init(&cns[i], store[i], NSLOT);
	for (size_t at = 0; at + 8 <= size; at += 8) {
		memcpy(before, store, sizeof(store));
		if (one_op(data + at) != E_OK)
			fuzz_check(memcmp(before, store, sizeof(store)) == 0);
		fuzz_check(cap_tree_check(cnp, NCN, why, sizeof(why)));
	}
	return 0;
}
