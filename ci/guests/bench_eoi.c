/* Benchmark payload: 10,000 writes to the local APIC's EOI register (no
 * interrupt is in service, so each is harmless) between two plugin
 * markers: the cost of a trapped xAPIC write.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("bench-eoi");

#define ROUNDS 10000

void test_main(const struct kit_boot *boot)
{
	volatile uint32_t *eoi = (volatile uint32_t *)0xFEE000B0;

	(void)boot;
	KIT_MARK(1);
	for (int i = 0; i < ROUNDS; i++)
		*eoi = 0;
	KIT_MARK(2);
	kit_printf("bench-eoi: %d EOI writes done\n", ROUNDS);
	kit_success();
}
