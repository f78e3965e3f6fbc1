/* Two CPUs calling one domain at once (issue #6 item 5): calls into a
 * domain are serialized, each run on its caller's CPU.  CPU0 and CPU1 each
 * call the example domain's ping 2,000 times, together; every answer must
 * be right, none may be lost, and the domain must have served all of them.
 * E_BUSY (a CPU waited past the limit) is allowed by the ABI but counted,
 * and must not happen here: each call is short.  Needs 2 CPUs.
 *
 * Expect: SUCCESS
 */
#include <string.h>

#include "kit.h"

KIT_TEST("domain-smp");

static inline void *low(uintptr_t a)
{
	__asm__("" : "+r"(a)); /* GCC takes constant low addresses for null arithmetic */
	return (void *)a;
}

#define AP_OK (*(volatile uint32_t *)low(0x680))
#define AP_BUSY (*(volatile uint32_t *)low(0x684))
#define AP_BAD (*(volatile uint32_t *)low(0x688))
#define AP_DONE (*(volatile uint32_t *)low(0x68C))
#define AP_GO (*(volatile uint32_t *)low(0x690))
#define AP_CODE 0x30000
#define AP_VECTOR 0x20
#define APIC_ICR_LOW ((volatile uint32_t *)0xFEE00300)
#define APIC_ICR_HIGH ((volatile uint32_t *)0xFEE00310)
#define LEAF_CALL 0x4F444F4D
#define LEAF_INFO 0x4F444F49
#define CALLS 2000
#define E_BUSY 10

extern const char domain_ap_stub_start[], domain_ap_stub_end[], domain_ap_code_start[],
	domain_ap_code_end[];

static void send(uint32_t dest, uint32_t low_word)
{
	*APIC_ICR_HIGH = dest << 24;
	*APIC_ICR_LOW = low_word;
	for (int i = 0; i < 100000 && (*APIC_ICR_LOW & (1u << 12)); i++)
		__asm__ volatile("pause");
}

void test_main(const struct kit_boot *boot)
{
	static const uint64_t gdt[3] = { 0, 0x00CF9A000000FFFFULL, 0x00CF92000000FFFFULL };
	unsigned ok = 0, busy = 0, bad = 0;
	uint32_t r[4];

	kit_require_shoji(boot);
	memcpy(low(0x700), gdt, sizeof(gdt));
	*(volatile uint16_t *)low(0x6F8) = sizeof(gdt) - 1;
	*(volatile uint32_t *)low(0x6FA) = 0x700;
	memcpy((void *)(uintptr_t)(AP_VECTOR << 12), domain_ap_stub_start,
	       (size_t)(domain_ap_stub_end - domain_ap_stub_start));
	memcpy((void *)AP_CODE, domain_ap_code_start,
	       (size_t)(domain_ap_code_end - domain_ap_code_start));
	AP_OK = AP_BUSY = AP_BAD = AP_DONE = AP_GO = 0;
	kit_cpuid(LEAF_INFO, 0, r);
	uint32_t calls_before = r[2];

	send(1, 0xC500);             /* INIT, level assert */
	send(1, 0x0600 | AP_VECTOR); /* SIPI */
	AP_GO = 1;
	for (uint32_t i = 0; i < CALLS; i++) {
		uint32_t err, out0, label, out1;

		__asm__ volatile("cpuid"
				 : "=a"(err), "=b"(out0), "=c"(label), "=d"(out1)
				 : "a"(LEAF_CALL), "b"(1000000 + i), "c"(1), "d"(0));
		if (err == E_BUSY)
			busy++;
		else if (err == 0 && label == 0 && out0 == 1000001 + i)
			ok++;
		else
			bad++;
	}
	unsigned overlap = AP_DONE ? 0 : 1; /* CPU1 still calling when CPU0 finished */

	for (long i = 0; i < 2000000000L && !AP_DONE; i++)
		__asm__ volatile("pause");
	if (!AP_DONE)
		kit_failure("CPU1 did not finish (started? %u answers so far)", AP_OK);
	kit_cpuid(LEAF_INFO, 0, r);
	kit_printf("domain-smp: CPU0 %u right, %u busy, %u wrong; CPU1 %u right, %u busy, %u "
		   "wrong; the domain served %u; CPU1 %s when CPU0 was done\n", ok, busy, bad, AP_OK,
		   AP_BUSY, AP_BAD, r[2] - calls_before, overlap ? "was still calling" : "had finished");
	if (bad || AP_BAD)
		kit_failure("wrong answers: CPU0 %u, CPU1 %u", bad, AP_BAD);
	if (busy || AP_BUSY)
		kit_failure("E_BUSY answers: CPU0 %u, CPU1 %u", busy, AP_BUSY);
	if (ok != CALLS || AP_OK != CALLS || r[2] - calls_before != 2 * CALLS)
		kit_failure("answers lost: %u + %u right, %u served, %u expected", ok, AP_OK,
			    r[2] - calls_before, 2 * CALLS);
	kit_success();
}
