/* Each vCPU has its own TSC offset, changed only by its own writes (issue
 * #5 item 4; Linux cancels a TSC warp by writing one CPU's TSC_ADJUST): a
 * TSC_ADJUST write of +2^40 on CPU1 moves CPU1's TSC by 2^40 and its
 * TSC_ADJUST by exactly 2^40, while CPU0's TSC runs on undisturbed and its
 * TSC_ADJUST stays as it was.  Needs 2 CPUs.
 *
 * Expect: SUCCESS
 */
#include <string.h>

#include "kit.h"

KIT_TEST("tsc-smp");

static inline void *low(uintptr_t a)
{
	__asm__("" : "+r"(a)); /* GCC takes constant low addresses for null arithmetic */
	return (void *)a;
}

#define ADJ_BEFORE (*(volatile uint64_t *)low(0x680))
#define TSC_BEFORE (*(volatile uint64_t *)low(0x688))
#define TSC_AFTER (*(volatile uint64_t *)low(0x690))
#define ADJ_AFTER (*(volatile uint64_t *)low(0x698))
#define AP_DONE (*(volatile uint32_t *)low(0x6A0))
#define AP_CODE 0x30000
#define AP_VECTOR 0x20
#define APIC_ICR_LOW ((volatile uint32_t *)0xFEE00300)
#define APIC_ICR_HIGH ((volatile uint32_t *)0xFEE00310)
#define MSR_TSC_ADJUST 0x3B
#define TWO40 ((uint64_t)1 << 40)
/* Far more ticks than starting CPU1 takes on an emulator, far fewer
 * than the 2^40 the test looks for. */
#define SLACK ((uint64_t)1 << 36)

extern const char tsc_ap_stub_start[], tsc_ap_stub_end[], tsc_ap_code_start[], tsc_ap_code_end[];

static void send(uint32_t dest, uint32_t low_word)
{
	*APIC_ICR_HIGH = dest << 24;
	*APIC_ICR_LOW = low_word;
	for (int i = 0; i < 100000 && (*APIC_ICR_LOW & (1u << 12)); i++)
		__asm__ volatile("pause");
}

static int64_t diff(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b);
}

void test_main(const struct kit_boot *boot)
{
	static const uint64_t gdt[3] = { 0, 0x00CF9A000000FFFFULL, 0x00CF92000000FFFFULL };
	uint64_t adj0, b0, b1;
	uint32_t r[4];

	kit_require_shoji(boot);
	kit_cpuid(1, 0, r);
	if (r[1] >> 24 != 0)
		kit_error("expected to run on APIC ID 0, not %u", r[1] >> 24);
	memcpy(low(0x700), gdt, sizeof(gdt));
	*(volatile uint16_t *)low(0x6F8) = sizeof(gdt) - 1;
	*(volatile uint32_t *)low(0x6FA) = 0x700;
	memcpy((void *)(uintptr_t)(AP_VECTOR << 12), tsc_ap_stub_start,
	       (size_t)(tsc_ap_stub_end - tsc_ap_stub_start));
	memcpy((void *)AP_CODE, tsc_ap_code_start, (size_t)(tsc_ap_code_end - tsc_ap_code_start));
	AP_DONE = 0;

	adj0 = kit_rdmsr(MSR_TSC_ADJUST); /* the kit has no #GP catch here: none expected */
	b0 = kit_rdtsc();
	send(1, 0xC500);              /* INIT, level assert */
	send(1, 0x0600 | AP_VECTOR);  /* SIPI */
	for (long i = 0; i < 500000000 && !AP_DONE; i++)
		__asm__ volatile("pause");
	b1 = kit_rdtsc();
	if (!AP_DONE)
		kit_error("CPU1 did not report (not started?)");

	int64_t ap_moved = diff(TSC_AFTER, TSC_BEFORE), bsp_ran = diff(b1, b0);

	kit_printf("tsc-smp: CPU1: TSC_ADJUST %#lx -> %#lx, TSC moved by %ld; CPU0: TSC ran %ld, "
		   "TSC_ADJUST %#lx -> %#lx\n",
		   ADJ_BEFORE, ADJ_AFTER, ap_moved, bsp_ran, adj0, kit_rdmsr(MSR_TSC_ADJUST));
	if (ADJ_AFTER - ADJ_BEFORE != TWO40)
		kit_failure("CPU1's TSC_ADJUST moved by %ld, not 2^40", diff(ADJ_AFTER, ADJ_BEFORE));
	if (ap_moved < (int64_t)TWO40 || ap_moved > (int64_t)(TWO40 + SLACK))
		kit_failure("CPU1's TSC_ADJUST write of +2^40 moved its TSC by %ld", ap_moved);
	if (bsp_ran < 0 || bsp_ran > (int64_t)SLACK)
		kit_failure("CPU0's TSC moved by %ld while CPU1 wrote its TSC_ADJUST", bsp_ran);
	if (kit_rdmsr(MSR_TSC_ADJUST) != adj0)
		kit_failure("CPU0's TSC_ADJUST changed from %#lx to %#lx", adj0,
			    kit_rdmsr(MSR_TSC_ADJUST));
	/* The two clocks, synchronized before, now differ by the 2^40. */
	int64_t skew = diff(TSC_AFTER, b1) - (int64_t)TWO40;

	if (skew > (int64_t)SLACK || skew < -(int64_t)SLACK)
		kit_failure("CPU1's TSC is %ld ticks off CPU0's + 2^40", skew);
	kit_success();
}
