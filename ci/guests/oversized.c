/* A multiboot kernel whose bss (512 MiB) cannot fit in a 512 MiB machine:
 * Shoji must refuse it with a clear message, not start it.
 *
 * Expect: never runs (the scenario expects Shoji's message)
 */
#include "kit.h"

KIT_TEST("oversized");

static volatile uint8_t huge[512u << 20];

void test_main(const struct kit_boot *boot)
{
	(void)boot;
	huge[0] = 1;
	kit_failure("an oversized guest was started (%u)", huge[0]);
}
