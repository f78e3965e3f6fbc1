/* Benchmark payload: 10,000 CPUID exits between two plugin markers.  The
 * plugin (tools/bench) counts the instructions Shoji runs in between.
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
	KIT_MARK(1);
	for (int i = 0; i < ROUNDS; i++)
		kit_cpuid(0, 0, r);
	KIT_MARK(2);
	kit_printf("bench-cpuid: %d CPUID instructions done\n", ROUNDS);
	kit_success();
}
