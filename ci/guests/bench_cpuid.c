/* Benchmark payload: 10,000 CPUID exits between two plugin markers.  The
 * plugin (tools/bench) counts the instructions Shoji runs in between; on
 * Bochs, which has no plugins, the TSC delta stands in.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("bench-cpuid");

#define ROUNDS 10000

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];

	(void)boot;
	uint64_t t0, t1;

	KIT_MARK(1);
	t0 = kit_rdtsc();
	for (int i = 0; i < ROUNDS; i++)
		kit_cpuid(0, 0, r);
	t1 = kit_rdtsc();
	KIT_MARK(2);
	/* Bochs (clock sync=none) counts one TSC tick per instruction, root
	 * mode included: tools/bench reads ring-0 cost per exit from this. */
	kit_printf("bench-cpuid: %d CPUID instructions done; tsc delta %lu\n", ROUNDS,
		   (unsigned long)(t1 - t0));
	kit_success();
}
