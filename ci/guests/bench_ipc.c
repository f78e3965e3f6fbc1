/* Benchmark payload: IPC round trips (issue #6), through the domain-call
 * test hook (vmm.test_hook=domain-call).  Between plugin markers:
 *   1-2   ROUNDS CPUIDs of a hidden leaf: the exit alone, the baseline
 *   3-4   ROUNDS calls core -> example ping
 *   5-6   ROUNDS calls core -> faulty ping
 *   7-8   ROUNDS calls core -> faulty forward_ping -> example ping (one
 *         domain-to-domain round trip inside each)
 *   9-10  faulty's null_read crashes it; then pings until the new
 *         generation serves (its first restart: no back-off)
 * tools/bench counts what runs in between.  The TSC deltas printed around
 * 9-10 are the guest's view of the same interval.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("bench-ipc");

#define ROUNDS 1000
#define LEAF_CALL 0x4F444F4D
#define LEAF_INFO 0x4F444F49
#define LEAF_HIDDEN 0x4F444F00 /* no hook: reads zeros, like any 0x4xxxxxxx leaf */
#define DOM_EXAMPLE 0
#define DOM_FAULTY 1
#define LABEL_PING 1        /* echo.ping and faulty.ping */
#define LABEL_NULL_READ 2   /* faulty.null_read */
#define LABEL_FORWARD 15    /* faulty.forward_ping: calls example's ping */
#define E_OK 0              /* kernel/include/errors.h */
#define E_DEAD 9

struct answer {
	uint32_t err, out0, label, out1;
};

static inline struct answer call(unsigned dom, unsigned label, uint32_t in0)
{
	struct answer a;

	__asm__ volatile("cpuid"
			 : "=a"(a.err), "=b"(a.out0), "=c"(a.label), "=d"(a.out1)
			 : "a"(LEAF_CALL), "b"(in0), "c"(dom << 16 | label), "d"(0));
	return a;
}

static void check(const char *what, struct answer a, uint32_t expect)
{
	if (a.err != E_OK || a.label != E_OK || a.out0 != expect)
		kit_failure("%s: error %u, answer %u, value %u (expected %u)", what, a.err, a.label,
			    a.out0, expect);
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];
	struct answer a;

	kit_require_shoji(boot);
	/* Warm up: every domain has served once before anything is counted. */
	check("example ping", call(DOM_EXAMPLE, LABEL_PING, 1), 2);
	check("faulty ping", call(DOM_FAULTY, LABEL_PING, 1), 2);
	check("faulty -> example", call(DOM_FAULTY, LABEL_FORWARD, 1), 2);

	KIT_MARK(1);
	for (int i = 0; i < ROUNDS; i++)
		kit_cpuid(LEAF_HIDDEN, 0, r);
	KIT_MARK(2);
	if (r[0] | r[1] | r[2] | r[3])
		kit_failure("hidden leaf %#x reads %#x, not zeros", LEAF_HIDDEN, r[0]);

	KIT_MARK(3);
	for (int i = 0; i < ROUNDS; i++)
		a = call(DOM_EXAMPLE, LABEL_PING, 41);
	KIT_MARK(4);
	check("example ping", a, 42);

	KIT_MARK(5);
	for (int i = 0; i < ROUNDS; i++)
		a = call(DOM_FAULTY, LABEL_PING, 41);
	KIT_MARK(6);
	check("faulty ping", a, 42);

	KIT_MARK(7);
	for (int i = 0; i < ROUNDS; i++)
		a = call(DOM_FAULTY, LABEL_FORWARD, 41);
	KIT_MARK(8);
	check("faulty -> example", a, 42);

	kit_cpuid(LEAF_INFO, DOM_FAULTY, r);
	if (r[0] != 1)
		kit_failure("faulty is at generation %u before its crash, expected 1", r[0]);
	unsigned tries = 0;
	uint64_t t0 = kit_rdtsc();

	KIT_MARK(9);
	struct answer crash = call(DOM_FAULTY, LABEL_NULL_READ, 0);

	do
		a = call(DOM_FAULTY, LABEL_PING, 41);
	while (a.err == E_DEAD && ++tries < 100000000);
	KIT_MARK(10);
	uint64_t t1 = kit_rdtsc();

	if (crash.err != E_DEAD || crash.label != 2)
		kit_failure("null_read: error %u, generation %u; expected E_DEAD and 2", crash.err,
			    crash.label);
	if (tries)
		kit_failure("the first restart waited: %u pings answered E_DEAD", tries);
	check("first ping of generation 2", a, 42);
	kit_printf("bench-ipc: %d rounds of each; crash to first served call: tsc delta %lu\n",
		   ROUNDS, (unsigned long)(t1 - t0));
	kit_success();
}
