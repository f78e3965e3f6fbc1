/* STI blocking: with an interrupt pending (a self-IPI sent while IF was
 * clear), `sti; hlt` must take it only once HLT has begun, so the handler
 * returns to the instruction after the HLT - the idiom an OS's idle loop
 * relies on.  Shoji intercepts neither HLT nor interrupts: this checks it
 * keeps out of the way.  Repeated 100 times.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("sti-hlt");

#define VECTOR 0x1F /* its kit stub expects no error code */
#define APIC ((volatile uint32_t *)0xFEE00000)
#define APIC_REG(off) (APIC[(off) / 4])

static volatile unsigned hits;
static volatile uint64_t hit_rip;

static uint64_t on_irq(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	hits++;
	hit_rip = rip;
	APIC_REG(0xB0) = 0; /* EOI */
	return rip;
}

void test_main(const struct kit_boot *boot)
{
	(void)boot;
	kit_outb(0x21, 0xFF); /* the 8259s stay quiet */
	kit_outb(0xA1, 0xFF);
	APIC_REG(0x80) = 0;
	APIC_REG(0xF0) = 0x1FF;
	kit_set_handler(VECTOR, on_irq);
	for (unsigned round = 1; round <= 100; round++) {
		uint64_t after;

		APIC_REG(0x300) = (1u << 18) | VECTOR; /* fixed, to self: held by IF = 0 */
		__asm__ volatile("leaq 1f(%%rip), %0\n\t"
				 "sti\n\t"
				 "hlt\n"
				 "1: cli"
				 : "=r"(after) : : "memory");
		if (hits != round)
			kit_failure("round %u: %u interrupts taken", round, hits);
		if (hit_rip != after)
			kit_failure("round %u: the interrupt came at %#lx, not after the HLT (%#lx)",
				    round, hit_rip, after);
	}
	kit_printf("sti-hlt: 100 interrupts taken after HLT began\n");
	kit_success();
}
