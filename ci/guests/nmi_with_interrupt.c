/* An NMI and an external interrupt pending at once: the guest's own
 * interrupt (a self-IPI, vector 0x1F) is cut short by an exit as its frame
 * is pushed onto a stack page a test hook write-protected, and the hook also
 * sends the CPU an NMI.  The NMI handler must run before the interrupt
 * handler's first instruction (VT-x: the NMI window right after the
 * interrupt's delivery; SVM: the NMI intercept right after it), and the
 * interrupt must still be delivered, once.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("nmi-with-interrupt");

#define TEST_LEAF_PROTECT_PAGE_NMI 0x4F50524E
#define VECTOR 0x1F /* its kit stub expects no error code */
#define APIC ((volatile uint32_t *)0xFEE00000)
#define APIC_REG(off) (APIC[(off) / 4])

extern char kit_trap_31[];

static uint8_t stack[2 * 4096] __attribute__((aligned(4096)));
static volatile unsigned order, nmi_order, irq_order, irqs, nmis;
static volatile uint64_t nmi_rip;

static uint64_t on_nmi(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	nmis++;
	nmi_order = ++order;
	nmi_rip = rip;
	return rip;
}

static uint64_t on_irq(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	irqs++;
	irq_order = ++order;
	APIC_REG(0xB0) = 0; /* EOI */
	return rip;
}

void test_main(const struct kit_boot *boot)
{
	uint64_t top = (uint64_t)stack + sizeof(stack);
	uint32_t r[4];

	kit_require_shoji(boot);
	kit_outb(0x21, 0xFF); /* the 8259s stay quiet: only our vector may come */
	kit_outb(0xA1, 0xFF);
	APIC_REG(0x80) = 0;     /* TPR */
	APIC_REG(0xF0) = 0x1FF; /* SVR: enabled */
	kit_set_handler(2, on_nmi);
	kit_set_handler(VECTOR, on_irq);
	kit_cpuid(TEST_LEAF_PROTECT_PAGE_NMI, (uint32_t)((top - 4096) >> 12), r);
	APIC_REG(0x300) = (1u << 18) | VECTOR; /* fixed, to self; held by IF = 0 */
	__asm__ volatile("movq %%rsp, %%rbx\n\t"
			 "movq %0, %%rsp\n\t"
			 "sti\n\t"
			 "nop\n\t" /* the interrupt comes after the STI shadow */
			 "nop\n\t"
			 "cli\n\t"
			 "movq %%rbx, %%rsp"
			 : : "r"(top) : "rbx", "memory");
	for (long i = 0; i < 100000000L && (!nmis || !irqs); i++)
		__asm__ volatile("" ::: "memory");
	if (irqs != 1)
		kit_failure("the interrupt handler ran %u times", irqs);
	if (nmis != 1)
		kit_failure("%u NMIs arrived, expected 1", nmis);
	if (nmi_order > irq_order)
		kit_failure("the interrupt handler ran before the NMI handler (NMI at %#lx)", nmi_rip);
	kit_printf("nmi-with-interrupt: NMI first (at %#lx; interrupt handler at %#lx), then the "
		   "interrupt, once\n", nmi_rip, (uint64_t)kit_trap_31);
	kit_success();
}
