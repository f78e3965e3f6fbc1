/* An external interrupt Shoji injects (issue #5 item 3, SPEC item 9) waits
 * until the guest can take it.  A test hook posts vector 0x1F at a CPUID
 * exit, as the host's interrupt path will for a device's interrupt:
 * 1. posted with IF = 0, it waits through further exits until STI, and
 *    then comes only after the instruction that follows STI (the shadow);
 * 2. posted with IF = 0 again, then `sti` and a write to a page the
 *    protect-page hook write-protected: the write exits in the STI shadow
 *    (EPT violation / NPF) and is retried, and the interrupt must come
 *    after it (on VT-x an injection there fails the VM entry; on SVM it
 *    would interrupt the write before it ran).
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("sti-blocking");

#define TEST_LEAF_POST_INTERRUPT 0x4F504931
#define TEST_LEAF_PROTECT_PAGE 0x4F50524F
#define VECTOR 0x1F /* its kit stub expects no error code */

static uint8_t page[4096] __attribute__((aligned(4096)));
static volatile unsigned irqs;
static volatile uint64_t irq_rip;

static uint64_t on_irq(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	irqs++;
	irq_rip = rip;
	return rip;
}

static void post(void)
{
	uint32_t r[4];

	kit_cpuid(TEST_LEAF_POST_INTERRUPT, VECTOR, r);
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];
	uint64_t after;

	kit_require_shoji(boot);
	kit_outb(0x21, 0xFF); /* IF will be set: only the posted vector may come */
	kit_outb(0xA1, 0xFF);
	kit_set_handler(VECTOR, on_irq);

	__asm__ volatile("cli");
	post();
	for (int i = 0; i < 3; i++)
		kit_cpuid(0, 0, r); /* more exits, each a chance to inject too early */
	if (irqs)
		kit_failure("the interrupt was injected with IF = 0 (at %#lx)", irq_rip);
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "sti\n\t"
			 "nop\n"	/* in the STI shadow */
			 "1: nop\n\t"
			 "nop\n\t"
			 "cli"
			 : "=&r"(after) : : "memory");
	if (irqs != 1)
		kit_failure("after STI: %u interrupt(s), expected 1", irqs);
	if (irq_rip != after)
		kit_failure("after STI the interrupt came at %#lx, expected %#lx (after the "
			    "instruction in the STI shadow)", irq_rip, after);

	kit_cpuid(TEST_LEAF_PROTECT_PAGE, (uint32_t)((uint64_t)page >> 12), r);
	post();
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "sti\n\t"
			 "movl $1, %1\n" /* exits in the STI shadow, then is retried */
			 "1: nop\n\t"
			 "nop\n\t"
			 "cli"
			 : "=&r"(after), "=m"(page[0]) : : "memory");
	if (irqs != 2)
		kit_failure("with the write in the STI shadow: %u interrupt(s) in all, expected 2",
			    irqs);
	if (irq_rip != after)
		kit_failure("the interrupt came at %#lx, expected %#lx (after the write in the "
			    "STI shadow)", irq_rip, after);
	kit_printf("sti-blocking: the interrupt waited for IF and for the STI shadow, twice\n");
	kit_success();
}
