/* An NMI that arrives after Shoji's last look before entering the guest
 * (a test hook sends a self-NMI inside the entry window when the guest
 * executes CPUID 0x4E4D4921) reaches the guest at once, though the guest
 * then spins without a single exit.  Without the rule (SVM: GIF clear up to
 * VMRUN; VT-x: the NMI handler abandons an entry it interrupted) the NMI
 * would wait for an exit that never comes.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("nmi-entry-window");

#define SPINS 200000000L

static volatile unsigned nmis;

static uint64_t on_nmi(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	nmis++;
	return rip;
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];
	long i;

	kit_require_shoji(boot);
	kit_set_handler(2, on_nmi);
	kit_cpuid(0x4E4D4921, 0, r);
	for (i = 0; i < SPINS && !nmis; i++)
		__asm__ volatile("" ::: "memory"); /* no instruction here exits */
	if (!nmis)
		kit_failure("no NMI after %ld spins: the one sent in the entry window was lost", SPINS);
	kit_printf("nmi-entry-window: the NMI arrived after %ld spins\n", i);
	kit_success();
}
