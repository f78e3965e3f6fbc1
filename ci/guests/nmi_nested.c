/* NMIs never nest: the guest's NMI handler sends the CPU a second NMI
 * (through its local APIC, a write that exits) and executes CPUID (another
 * exit) before it returns.  The second NMI must wait for the handler's
 * IRET, then arrive at once.  Repeated 100 times.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("nmi-nested");

#define APIC ((volatile uint32_t *)0xFEE00000)
#define APIC_REG(off) (APIC[(off) / 4])
#define ROUNDS 100

static volatile unsigned nmis, nested, in_handler, resend;

/* The self shorthand is valid only with fixed delivery (SDM 11.6.1): an
 * NMI goes to our own APIC ID. */
static void self_nmi(void)
{
	APIC_REG(0x310) = APIC_REG(0x20) & 0xFF000000;
	APIC_REG(0x300) = (4u << 8) | (1u << 14); /* NMI, assert, physical */
}

static uint64_t on_nmi(uint64_t rip, uint64_t rflags)
{
	uint32_t r[4];

	(void)rflags;
	if (in_handler)
		nested++;
	in_handler = 1;
	nmis++;
	if (resend) {
		resend = 0;
		self_nmi();
		kit_cpuid(0, 0, r); /* an exit while the second NMI waits */
	}
	in_handler = 0;
	return rip;
}

void test_main(const struct kit_boot *boot)
{
	kit_require_shoji(boot);
	APIC_REG(0xF0) = 0x1FF; /* SVR: enabled */
	kit_set_handler(2, on_nmi);
	for (unsigned round = 1; round <= ROUNDS; round++) {
		resend = 1;
		self_nmi();
		for (long i = 0; i < 50000000L && nmis < 2 * round; i++)
			__asm__ volatile("" ::: "memory");
		if (nmis != 2 * round)
			kit_failure("round %u: %u NMIs, expected %u", round, nmis, 2 * round);
		if (nested)
			kit_failure("round %u: an NMI arrived inside the NMI handler", round);
	}
	kit_printf("nmi-nested: %u NMIs in %d rounds, none nested\n", nmis, ROUNDS);
	kit_success();
}
