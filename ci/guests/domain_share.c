/* Capability operations from a domain (IPC_OP_CNODE) and a page shared
 * between domains: the faulty domain maps and writes its memory grant,
 * mints a read-only copy into the probe's CNode through its endpoint to
 * the probe (which has the grant right), and the probe maps it and reads
 * what faulty wrote.  Refused operations (an occupied destination, an
 * empty source) are answered, not punished.  Then faulty revokes what it
 * gave: the probe's copy is gone (unmapped, TLBs shot down), and the
 * probe's next use of that slot ends it (a bad capability).
 *
 * Expect: SUCCESS
 */
#include "domcall.h"
#include "kit.h"

KIT_TEST("domain-share");

#define DOM_FAULTY 1
#define DOM_PROBE 2
#define MAP_GRANT 17
#define POKE 18
#define SHARE 22
#define REVOKE 23
#define CNODE_OP 24
#define READ_GRANT 7
#define CAP_OP_COPY 1
#define CAP_OP_MINT 2
#define CAP_OP_MOVE 3
#define CAP_OP_DELETE 4
#define E_DENIED 8
#define E_EXISTS 7

static uint32_t generation(unsigned dom)
{
	uint32_t r[4];

	kit_cpuid(DOMCALL_LEAF_INFO, dom, r);
	return r[0];
}

/* A call that must complete; its answer is returned. */
static struct domcall_answer ok(const char *what, unsigned dom, unsigned label, uint32_t in0,
				uint32_t in1)
{
	struct domcall_answer a = domcall(dom, label, in0, in1);

	if (a.err != DOMCALL_E_OK)
		kit_failure("%s: the call failed (error %u)", what, a.err);
	return a;
}

static void expect(const char *what, struct domcall_answer a, uint32_t answer)
{
	if (a.label != answer)
		kit_failure("%s: answered %u, expected %u", what, a.label, answer);
}

void test_main(const struct kit_boot *boot)
{
	kit_require_shoji(boot);
	uint32_t faulty_gen = generation(DOM_FAULTY), probe_gen = generation(DOM_PROBE);
	struct domcall_answer m = ok("map", DOM_FAULTY, MAP_GRANT, 3, 0);

	expect("map", m, 0);
	expect("poke", ok("poke", DOM_FAULTY, POKE, m.out0, m.out1), 0);
	expect("share into the probe's slot 7", ok("share", DOM_FAULTY, SHARE, 7, 0), 0);
	struct domcall_answer r = ok("probe reads", DOM_PROBE, READ_GRANT, 7, 0);

	expect("probe reads", r, 0);
	if (r.out0 != 0x5A5A5A5A)
		kit_failure("the probe read %#x from the shared page, not 0x5a5a5a5a", r.out0);
	kit_printf("domain-share: the probe read 0x%x from faulty's page through the minted "
		   "capability\n", r.out0);

	expect("share again (slot taken)", ok("share again", DOM_FAULTY, SHARE, 7, 0), E_EXISTS);
	expect("mint 3 -> 9", ok("mint", DOM_FAULTY, CNODE_OP, CAP_OP_MINT, 3 | 9 << 8), 0);
	expect("copy 9 -> 10", ok("copy", DOM_FAULTY, CNODE_OP, CAP_OP_COPY, 9 | 10 << 8), 0);
	expect("delete 10", ok("delete", DOM_FAULTY, CNODE_OP, CAP_OP_DELETE, 10), 0);
	expect("delete 10 again (empty)", ok("delete again", DOM_FAULTY, CNODE_OP, CAP_OP_DELETE, 10),
	       E_DENIED);
	expect("move 9 -> 11", ok("move", DOM_FAULTY, CNODE_OP, CAP_OP_MOVE, 9 | 11 << 8), 0);
	if (generation(DOM_FAULTY) != faulty_gen)
		kit_failure("a refused capability operation ended faulty");
	kit_printf("domain-share: mint, copy, delete and move work in faulty's CNode; a taken "
		   "slot (E_EXISTS) and an empty one (E_DENIED) are answered\n");

	expect("revoke", ok("revoke", DOM_FAULTY, REVOKE, 0, 0), 0);
	struct domcall_answer after = domcall(DOM_PROBE, READ_GRANT, 7, 0);
	uint32_t info[4];

	kit_cpuid(DOMCALL_LEAF_INFO, DOM_PROBE, info);
	if (after.err != DOMCALL_E_DEAD || info[1] != 256 || generation(DOM_PROBE) != probe_gen + 1)
		kit_failure("after the revoke the probe still used the grant (error %u, vector %u)",
			    after.err, info[1]);
	kit_printf("domain-share: after faulty revoked it, the probe's use of the slot ended the "
		   "probe (generation %u)\n", probe_gen + 1);
	kit_success();
}
