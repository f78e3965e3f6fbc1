/* NMIs sent to a CPU that runs with IF clear and keeps exiting: CPU0 sends
 * CPU1 1,000 NMI IPIs one at a time, and CPU1's NMI handler must count
 * each before the next is sent - whether the NMI found CPU1 in the guest
 * or inside Shoji handling one of its CPUID exits, none may be lost or
 * taken for one of Shoji's own kicks.  Needs 2 CPUs.
 *
 * Expect: SUCCESS
 */
#include <string.h>

#include "kit.h"

KIT_TEST("nmi-ipi");

#define ROUNDS 1000

static inline void *low(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return (void *)a;
}

#define NMI_COUNT ((volatile uint32_t *)low(0x680))
#define AP_READY ((volatile uint32_t *)low(0x684))
#define AP_STOP ((volatile uint32_t *)low(0x688))
#define AP_EXITS ((volatile uint32_t *)low(0x68C))
#define APIC_ICR_LOW ((volatile uint32_t *)0xFEE00300)
#define APIC_ICR_HIGH ((volatile uint32_t *)0xFEE00310)

extern const char nmi_ap_stub_start[], nmi_ap_stub_end[], nmi_ap_code_start[], nmi_ap_code_end[];

static void send(uint32_t dest, uint32_t low_bits)
{
	*APIC_ICR_HIGH = dest << 24;
	*APIC_ICR_LOW = low_bits;
	for (int i = 0; i < 100000 && (*APIC_ICR_LOW & (1u << 12)); i++)
		__asm__ volatile("pause");
}

static bool wait_for(volatile uint32_t *p, uint32_t value)
{
	for (long i = 0; i < 200000000L; i++) {
		if (*p >= value)
			return true;
		__asm__ volatile("pause");
	}
	return false;
}

void test_main(const struct kit_boot *boot)
{
	static const uint64_t gdt[3] = { 0, 0x00CF9A000000FFFFULL, 0x00CF92000000FFFFULL };

	kit_require_shoji(boot);
	if (!kit_cmdline_has(boot, "cpus=2"))
		kit_error("give cpus=2 on the command line (the scenario runs 2 CPUs)");
	memcpy(low(0x700), gdt, sizeof(gdt));
	*(volatile uint16_t *)low(0x6F8) = sizeof(gdt) - 1;
	*(volatile uint32_t *)low(0x6FA) = 0x700;
	memcpy((void *)0x30000, nmi_ap_code_start, (size_t)(nmi_ap_code_end - nmi_ap_code_start));
	memcpy((void *)0x20000, nmi_ap_stub_start, (size_t)(nmi_ap_stub_end - nmi_ap_stub_start));
	*NMI_COUNT = *AP_READY = *AP_STOP = *AP_EXITS = 0;
	send(1, 0xC500);       /* INIT */
	send(1, 0x0600 | 0x20); /* SIPI at 0x20000 */
	if (!wait_for(AP_READY, 1))
		kit_error("CPU 1 did not start");
	for (uint32_t i = 1; i <= ROUNDS; i++) {
		uint32_t exits = *AP_EXITS;

		send(1, 0x4400); /* NMI */
		if (!wait_for(NMI_COUNT, i))
			kit_failure("NMI %u of %d was not acknowledged by CPU 1 (it counted %u)", i,
				    ROUNDS, *NMI_COUNT);
		/* Let CPU 1 take a few exits between NMIs, so that they land
		 * both in the guest and inside Shoji. */
		wait_for(AP_EXITS, exits + (i % 4));
	}
	*AP_STOP = 1;
	if (*NMI_COUNT != ROUNDS)
		kit_failure("CPU 1 counted %u NMIs for %d sent", *NMI_COUNT, ROUNDS);
	kit_printf("nmi-ipi: %d NMIs acknowledged while CPU 1 took %u exits\n", ROUNDS, *AP_EXITS);
	kit_success();
}
