/* Tries to switch the A20 gate off through port 0x92 and through the
 * keyboard controller (D1 output-port write, DD).  Shoji keeps A20 on: a
 * write above 1 MiB never aliases below it, and Shoji keeps answering
 * exits (under QEMU the A20 mask would apply to Shoji's own accesses).
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("isolation-a20");

static void kbc_wait(void)
{
	for (int i = 0; i < 100000 && (kit_inb(0x64) & 2); i++)
		;
}

static bool a20_aliases(void)
{
	volatile uint32_t *low = (volatile uint32_t *)0x7F00;
	volatile uint32_t *high = (volatile uint32_t *)(0x7F00 + 0x100000);
	uint32_t saved = *low;
	bool alias;

	*low = 0x11111111;
	*high = 0x22222222;
	alias = *low == 0x22222222;
	*low = saved;
	return alias;
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];

	kit_require_shoji(boot);
	if (a20_aliases())
		kit_error("A20 is off before the test");

	kit_outb(0x92, kit_inb(0x92) & ~0x02); /* fast A20 off */
	if (a20_aliases())
		kit_failure("port 0x92 switched A20 off");
	__asm__ volatile("outw %w0, %1" : : "a"((uint16_t)((kit_inb(0x92) & ~0x02) << 8)), "Nd"((uint16_t)0x91));
	if (a20_aliases())
		kit_failure("a 16-bit write at 0x91 switched A20 off through 0x92");

	kbc_wait();
	kit_outb(0x64, 0xD1); /* write output port */
	kbc_wait();
	kit_outb(0x60, 0xDD); /* bit 1 clear: A20 off */
	kbc_wait();
	if (a20_aliases())
		kit_failure("the keyboard controller's output port switched A20 off");
	kit_outb(0x64, 0xDD); /* the "A20 off" command some controllers have */
	kbc_wait();
	if (a20_aliases())
		kit_failure("keyboard controller command DD switched A20 off");

	kit_cpuid(0x80000001, 0, r);
	if (r[2] & (1u << 2))
		kit_failure("after the attempts SVM shows in CPUID: Shoji is not answering");
	kit_success();
}
