/* Benchmark payload: 10,000 reads of port 0x92 (intercepted for the A20
 * gate) between two plugin markers.  SVM gives the next RIP of an I/O
 * intercept, so this is the round trip of an exit whose length the
 * hardware provides, with no decoding.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("bench-io");

#define ROUNDS 10000

void test_main(const struct kit_boot *boot)
{
	(void)boot;
	KIT_MARK(1);
	for (int i = 0; i < ROUNDS; i++)
		(void)kit_inb(0x92);
	KIT_MARK(2);
	kit_printf("bench-io: %d port reads done\n", ROUNDS);
	kit_success();
}
