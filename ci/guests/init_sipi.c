/* INIT and SIPI, sent by the guest through its xAPIC ICR in every valid
 * combination (SDM table "Valid Combinations for the Local xAPIC ICR": no
 * shorthand with physical, logical and broadcast destinations, and
 * all-excluding-self), each restart the right CPUs at the right vector
 * inside Shoji; invalid combinations (INIT to self, SIPI to all including
 * self) change nothing; an INIT a CPU sends to its own APIC ID parks it in
 * Shoji, from where a SIPI starts it again - never a real reset.  Needs
 * "cpus=N" (N >= 4) on its command line.  With "x2apic" every CPU runs its
 * APIC in x2APIC mode (through IA32_APIC_BASE) and the IPIs go through the
 * ICR MSR: physical, cluster-logical and the 0xFFFFFFFF broadcasts.
 *
 * Expect: SUCCESS
 */
#include <string.h>

#include "kit.h"

KIT_TEST("init-sipi");

/* Low memory by address.  (Through an opaque pointer: GCC takes constant
 * addresses below 4 KiB for null-pointer arithmetic.) */
static inline void *low(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return (void *)a;
}

#define MAILBOX ((volatile uint32_t *)low(0x600))
#define SELF_INIT ((volatile uint32_t *)low(0x640))
#define START_COUNT ((volatile uint32_t *)low(0x6F0))
#define X2APIC_MODE ((volatile uint32_t *)low(0x6F4))
#define MSR_APIC_BASE 0x1B
#define MSR_X2APIC_ICR 0x830
#define AP_COMMON 0x30000
#define APIC_ICR_LOW ((volatile uint32_t *)0xFEE00300)
#define APIC_ICR_HIGH ((volatile uint32_t *)0xFEE00310)

#define INIT_ASSERT 0xC500   /* INIT, level trigger, assert */
#define INIT_DEASSERT 0x8500 /* INIT, level trigger, de-assert */
#define STARTUP 0x0600
#define LOGICAL (1u << 11)
#define SH_SELF (1u << 18)
#define SH_ALL (2u << 18)
#define SH_ALL_BUT_SELF (3u << 18)

extern const char ap_stub_start[], ap_stub_end[], ap_common_start[], ap_common_end[];

static unsigned cpus;
static uint32_t self_id;
static bool x2apic;

static void send(uint32_t dest, uint32_t low)
{
	if (x2apic) { /* the destination is 32 bits, in the ICR's high half */
		kit_wrmsr(MSR_X2APIC_ICR, (uint64_t)dest << 32 | low);
		return;
	}
	*APIC_ICR_HIGH = dest << 24;
	*APIC_ICR_LOW = low;
	for (int i = 0; i < 100000 && (*APIC_ICR_LOW & (1u << 12)); i++)
		__asm__ volatile("pause");
}

/* Spins long enough for a CPU that should not start to show itself. */
static void settle(void)
{
	for (volatile int i = 0; i < 2000000; i++)
		__asm__ volatile("pause");
}

/* Waits until `n` starts were reported (the bound only matters when the
 * test fails: a loaded host can deschedule an emulated CPU for a while);
 * returns how many there were. */
static unsigned wait_starts(unsigned n)
{
	for (long i = 0; i < 500000000 && *START_COUNT < n; i++)
		__asm__ volatile("pause");
	settle(); /* anyone who should not start has had time to */
	return *START_COUNT;
}

static void clear_mailbox(void)
{
	for (unsigned i = 0; i < 16; i++)
		MAILBOX[i] = 0;
	*START_COUNT = 0;
}

static unsigned popcount(uint32_t m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

/* Checks exactly the CPUs in `expect` (a mask of APIC IDs) reported
 * starting at `vector`. */
static void check(const char *what, uint32_t expect, uint8_t vector)
{
	unsigned got = wait_starts(popcount(expect));

	for (uint32_t id = 0; id < cpus; id++) {
		bool want = expect & (1u << id);
		uint32_t m = MAILBOX[id];

		if (want && m != (0x100u | vector))
			kit_failure("%s: CPU %u reported %#x, expected a start at vector %#x", what, id,
				    m, vector);
		if (!want && m)
			kit_failure("%s: CPU %u started (%#x) but was not a target", what, id, m);
	}
	if (got != popcount(expect))
		kit_failure("%s: %u starts, expected %u", what, got, popcount(expect));
	kit_printf("init-sipi: %s: CPUs %#x started at vector %#x\n", what, expect, vector);
}

static uint32_t aps_mask(void)
{
	return ((1u << cpus) - 1) & ~1u;
}

static void install_ap_code(void)
{
	static const uint64_t gdt[3] = { 0, 0x00CF9A000000FFFFULL, 0x00CF92000000FFFFULL };

	memcpy(low(0x700), gdt, sizeof(gdt));
	*(volatile uint16_t *)low(0x6F8) = sizeof(gdt) - 1;
	*(volatile uint32_t *)low(0x6FA) = 0x700;
	memcpy((void *)AP_COMMON, ap_common_start, (size_t)(ap_common_end - ap_common_start));
	for (unsigned v = 0x20; v < 0x30; v++)
		memcpy((void *)(uintptr_t)(v << 12), ap_stub_start,
		       (size_t)(ap_stub_end - ap_stub_start));
	for (unsigned i = 0; i < 16; i++)
		SELF_INIT[i] = 0;
}

/* x2APIC: the same rules through the ICR MSR, with 32-bit destinations. */
static void x2apic_main(void)
{
	clear_mailbox();
	send(1, INIT_ASSERT);
	send(1, STARTUP | 0x21);
	send(1, STARTUP | 0x21);
	check("x2APIC physical INIT and SIPI to APIC 1", 0x2, 0x21);
	clear_mailbox();
	send(3, INIT_ASSERT);
	send(3, STARTUP | 0x22);
	check("x2APIC physical INIT and SIPI to APIC 3", 0x8, 0x22);
	/* Every AP in x2APIC mode from here on. */
	clear_mailbox();
	send(0, INIT_ASSERT | SH_ALL_BUT_SELF);
	send(0, STARTUP | SH_ALL_BUT_SELF | 0x23);
	check("x2APIC INIT and SIPI to all excluding self", aps_mask(), 0x23);
	/* Cluster-logical: cluster 0, bits 2 and 3 are APIC IDs 2 and 3
	 * (SDM 10.12.10.2: logical ID = (ID >> 4) << 16 | 1 << (ID & 15)). */
	clear_mailbox();
	send(0x0000000C, INIT_ASSERT | LOGICAL);
	send(0, STARTUP | SH_ALL_BUT_SELF | 0x24);
	check("x2APIC cluster-logical INIT to CPUs 2 and 3, SIPI to all excluding self", 0xC,
	      0x24);
	/* Logical SIPI: in x2APIC the logical ID survives INIT (it is the ID). */
	clear_mailbox();
	send(0x00000002, INIT_ASSERT | LOGICAL);
	send(0x00000002, STARTUP | LOGICAL | 0x2B);
	check("x2APIC cluster-logical INIT and SIPI to CPU 1", 0x2, 0x2B);
	/* The 32-bit broadcasts. */
	clear_mailbox();
	send(0, INIT_ASSERT | SH_ALL_BUT_SELF);
	send(0xFFFFFFFF, STARTUP | 0x25);
	check("x2APIC SIPI to the physical broadcast 0xFFFFFFFF", aps_mask(), 0x25);
	clear_mailbox();
	send(0, INIT_ASSERT | SH_ALL_BUT_SELF);
	send(0xFFFFFFFF, STARTUP | LOGICAL | 0x26);
	check("x2APIC SIPI to the logical broadcast 0xFFFFFFFF", aps_mask(), 0x26);
	/* 0xFF is no broadcast in x2APIC: a physical SIPI to APIC 0xFF reaches nobody. */
	clear_mailbox();
	send(0, INIT_ASSERT | SH_ALL_BUT_SELF);
	send(0xFF, STARTUP | 0x27);
	check("x2APIC SIPI to APIC 0xFF (not a broadcast in x2APIC)", 0, 0x27);
	send(0, STARTUP | SH_ALL_BUT_SELF | 0x28);
	check("x2APIC SIPI after the one that missed", aps_mask(), 0x28);
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];
	uint32_t aps;

	kit_require_shoji(boot);
	for (unsigned n = 4; n <= 8; n++) {
		char word[8] = "cpus=0";

		word[5] = (char)('0' + n);
		if (kit_cmdline_has(boot, word))
			cpus = n;
	}
	if (!cpus)
		kit_error("give cpus=N (4 to 8) on the command line");
	kit_cpuid(1, 0, r);
	self_id = r[1] >> 24;
	if (self_id != 0)
		kit_error("expected to run on APIC ID 0, not %u", self_id);
	aps = ((1u << cpus) - 1) & ~1u;
	install_ap_code();
	if (kit_cmdline_has(boot, "x2apic")) {
		kit_cpuid(1, 0, r);
		if (!(r[2] & (1u << 21)))
			kit_skip("this CPU has no x2APIC (QEMU TCG lacks it)");
		x2apic = true;
		*X2APIC_MODE = 1;
		kit_wrmsr(MSR_APIC_BASE, kit_rdmsr(MSR_APIC_BASE) | 0xC00);
		x2apic_main();
		kit_success();
	}
	*X2APIC_MODE = 0;

	/* Physical destination, one CPU each. */
	clear_mailbox();
	send(1, INIT_ASSERT);
	send(1, INIT_DEASSERT); /* as Linux sends it: a no-op on modern CPUs */
	send(1, STARTUP | 0x21);
	send(1, STARTUP | 0x21); /* the second SIPI of the sequence is ignored */
	check("physical INIT and SIPI to APIC 1", 0x2, 0x21);
	clear_mailbox();
	send(3, INIT_ASSERT);
	send(3, STARTUP | 0x22);
	check("physical INIT and SIPI to APIC 3", 0x8, 0x22);

	/* All excluding self: every AP, which also sets up their logical IDs. */
	clear_mailbox();
	send(0, INIT_ASSERT | SH_ALL_BUT_SELF);
	send(0, STARTUP | SH_ALL_BUT_SELF | 0x23);
	check("INIT and SIPI to all excluding self", aps, 0x23);

	/* Logical (flat) destination: INIT to CPUs 2 and 3.  INIT clears the
	 * logical ID, so the SIPI goes to all excluding self: only the CPUs
	 * waiting for one take it (CPU 1 runs, halted). */
	clear_mailbox();
	send(0x0C, INIT_ASSERT | LOGICAL);
	send(0, STARTUP | SH_ALL_BUT_SELF | 0x24);
	check("logical INIT to CPUs 2 and 3, SIPI to all excluding self", 0xC, 0x24);
	/* A logical SIPI to CPUs in wait-for-SIPI reaches nobody: their
	 * logical IDs were cleared by the INIT. */
	clear_mailbox();
	send(0x02, INIT_ASSERT | LOGICAL);
	send(0x02, STARTUP | LOGICAL | 0x2B);
	check("logical SIPI after INIT (LDR cleared: no target)", 0, 0x2B);
	send(1, STARTUP | 0x2C);
	check("physical SIPI to the CPU the logical one missed", 0x2, 0x2C);

	/* Broadcast destinations for SIPI: only CPUs waiting for one start. */
	clear_mailbox();
	send(0, INIT_ASSERT | SH_ALL_BUT_SELF);
	send(0xFF, STARTUP | 0x25);
	check("SIPI to the physical broadcast 0xFF", aps, 0x25);
	clear_mailbox();
	send(0, INIT_ASSERT | SH_ALL_BUT_SELF);
	send(0xFF, STARTUP | LOGICAL | 0x26);
	check("SIPI to the logical broadcast 0xFF", aps, 0x26);

	/* Invalid combinations are dropped: INIT to self must not stop us,
	 * SIPI to all including self must not start the waiting APs. */
	clear_mailbox();
	send(0, INIT_ASSERT | SH_ALL_BUT_SELF);
	send(0, INIT_ASSERT | SH_SELF);
	send(0, INIT_ASSERT | SH_ALL);
	send(0, STARTUP | SH_ALL | 0x27);
	send(0, STARTUP | SH_SELF | 0x27);
	check("INIT and SIPI with the self and all-including-self shorthands (dropped)", 0, 0x27);
	/* The APs still wait for SIPI: start them so they are known to be there. */
	send(0, STARTUP | SH_ALL_BUT_SELF | 0x28);
	check("SIPI after the dropped ones", aps, 0x28);

	/* An AP that sends INIT to its own APIC ID parks inside Shoji. */
	clear_mailbox();
	SELF_INIT[2] = 1;
	send(2, INIT_ASSERT);
	send(2, STARTUP | 0x29);
	for (long i = 0; i < 500000000 && SELF_INIT[2]; i++)
		__asm__ volatile("pause");
	settle();
	if (MAILBOX[2] || SELF_INIT[2])
		kit_failure("CPU 2 did not take its self-INIT request (mailbox %#x)", MAILBOX[2]);
	settle();
	send(2, STARTUP | 0x2A);
	check("CPU 2 restarted by SIPI after INIT to itself", 0x4, 0x2A);
	kit_success();
}
