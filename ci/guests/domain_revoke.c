/* Revoking a mapped grant shoots it down on every CPU before the revoke
 * returns (issue #6 item 6, and the isolation bullet "a grant used on CPU1
 * after it was revoked on CPU0").  CPU1 has the faulty domain map its page
 * of memory and read it in a loop; once CPU1 is inside that call, CPU0 has
 * the core revoke the grant.  CPU1's loop must then fault on the page
 * (#PF at its address): its TLB was flushed.  Without the shootdown it
 * would read on from a stale TLB entry until its budget ended it.  The
 * domain then restarts with its grant, which maps again.  Needs 2 CPUs.
 *
 * Expect: SUCCESS
 */
#include <string.h>

#include "kit.h"

KIT_TEST("domain-revoke");

static inline void *low(uintptr_t a)
{
	__asm__("" : "+r"(a)); /* GCC takes constant low addresses for null arithmetic */
	return (void *)a;
}

#define AP_U32(off) (*(volatile uint32_t *)low(off))
#define AP_ADDR_LO AP_U32(0x680)
#define AP_ADDR_HI AP_U32(0x684)
#define AP_MAP_ERR AP_U32(0x688)
#define AP_POKE_ERR AP_U32(0x68C)
#define AP_POKE_VALUE AP_U32(0x690)
#define AP_WATCHING AP_U32(0x694)
#define AP_WATCH_ERR AP_U32(0x698)
#define AP_VECTOR AP_U32(0x69C)
#define AP_FAULT_ADDR AP_U32(0x6A0)
#define AP_DONE AP_U32(0x6A4)
#define AP_CODE 0x30000
#define SIPI_VECTOR 0x20
#define APIC_ICR_LOW ((volatile uint32_t *)0xFEE00300)
#define APIC_ICR_HIGH ((volatile uint32_t *)0xFEE00310)
#define LEAF_CALL 0x4F444F4D
#define LEAF_REVOKE 0x4F444F52
#define LEAF_HOLDER 0x4F444F48
#define DOM_FAULTY 1
#define SLOT_MEMORY 3
#define E_DEAD 9

extern const char revoke_ap_stub_start[], revoke_ap_stub_end[], revoke_ap_code_start[],
	revoke_ap_code_end[];

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
	uint32_t r[4];

	kit_require_shoji(boot);
	memcpy(low(0x700), gdt, sizeof(gdt));
	*(volatile uint16_t *)low(0x6F8) = sizeof(gdt) - 1;
	*(volatile uint32_t *)low(0x6FA) = 0x700;
	memcpy((void *)(uintptr_t)(SIPI_VECTOR << 12), revoke_ap_stub_start,
	       (size_t)(revoke_ap_stub_end - revoke_ap_stub_start));
	memcpy((void *)AP_CODE, revoke_ap_code_start,
	       (size_t)(revoke_ap_code_end - revoke_ap_code_start));
	memset(low(0x680), 0, 0x28);
	send(1, 0xC500);               /* INIT, level assert */
	send(1, 0x0600 | SIPI_VECTOR); /* SIPI */

	for (long i = 0; i < 2000000000L && !AP_WATCHING; i++)
		__asm__ volatile("pause");
	if (!AP_WATCHING)
		kit_failure("CPU1 did not get as far as its watch call");
	if (AP_MAP_ERR || AP_POKE_ERR || AP_POKE_VALUE != 0x5A5A5A5A)
		kit_failure("CPU1: map %u, poke %u read back %#x", AP_MAP_ERR, AP_POKE_ERR,
			    AP_POKE_VALUE);
	/* Wait until CPU1 holds the domain (it is in the watch loop), then let
	 * the loop run a little on a warm TLB. */
	for (long i = 0;; i++) {
		kit_cpuid(LEAF_HOLDER, DOM_FAULTY, r);
		if (r[0] == 2)
			break;
		if (AP_DONE || i > 100000000)
			kit_failure("CPU1's watch call never ran (done %u, error %u)", AP_DONE,
				    AP_WATCH_ERR);
	}
	for (int i = 0; i < 20000; i++)
		__asm__ volatile("pause");
	kit_cpuid(LEAF_REVOKE, DOM_FAULTY << 16 | SLOT_MEMORY, r);
	if (r[0] != 0)
		kit_failure("the revoke answered %u", r[0]);
	for (long i = 0; i < 2000000000L && !AP_DONE; i++)
		__asm__ volatile("pause");
	if (!AP_DONE)
		kit_failure("CPU1's watch call did not end");
	kit_printf("domain-revoke: grant at %#x%08x; CPU1's watch ended with error %u, vector %u, "
		   "address %#x\n", AP_ADDR_HI, AP_ADDR_LO, AP_WATCH_ERR, AP_VECTOR,
		   AP_FAULT_ADDR);
	if (AP_WATCH_ERR != E_DEAD || AP_VECTOR != 14 || AP_FAULT_ADDR != AP_ADDR_LO)
		kit_failure("CPU1 kept the revoked page (the call should end with #PF at it)");

	/* The restart gives the grant back: it maps again. */
	for (long i = 0;; i++) {
		uint32_t err, lo, label, hi;

		__asm__ volatile("cpuid"
				 : "=a"(err), "=b"(lo), "=c"(label), "=d"(hi)
				 : "a"(LEAF_CALL), "b"(SLOT_MEMORY), "c"(DOM_FAULTY << 16 | 17),
				   "d"(0));
		if (err == 0 && label == 0 && lo == AP_ADDR_LO && hi == AP_ADDR_HI)
			break;
		if (err != E_DEAD || i > 100000000)
			kit_failure("after the restart the grant does not map (error %u, answer %u)",
				    err, label);
	}
	kit_printf("domain-revoke: the page was gone on CPU1 as soon as CPU0's revoke returned; "
		   "the restarted domain has its grant again\n");
	kit_success();
}
