/* IA32_TSC_DEADLINE under a TSC offset (issue #5 item 4): the guest moves
 * its TSC 2^40 ahead (a TSC write), arms its local APIC timer in
 * TSC-deadline mode (LVT timer bits 18:17 = 10b) for 4,000,000 ticks of its
 * own TSC, and the interrupt comes within 1 % of that deadline: Shoji
 * wrote the host deadline as guest deadline - offset.  Untranslated, it
 * would come 2^40 ticks late (the test gives up after 50 times the wait).
 * Also: the MSR reads back as written while armed, 0 once disarmed; a
 * TSC_ADJUST write that moves the TSC past an armed deadline fires it.
 * (No bare control: bare Bochs 2.7, after the same TSC write, never fires
 * the timer - it seems to compare with the TSC before the write.)  The interrupt is watched in the APIC's IRR with IF clear (no
 * handler, no legacy PIC in the way).
 *
 * Expect: SUCCESS (SKIP on a CPU without the TSC-deadline timer: QEMU's TCG)
 */
#include "kit.h"

KIT_TEST("tsc-deadline");

#define APIC_BASE 0xFEE00000UL
#define APIC_SVR 0xF0
#define APIC_LVT_TIMER 0x320
#define APIC_IRR 0x200
#define LVT_TSC_DEADLINE (2u << 17)
#define VECTOR 0x40
#define MSR_TSC 0x10
#define MSR_TSC_ADJUST 0x3B
#define MSR_APIC_BASE 0x1B
#define MSR_TSC_DEADLINE 0x6E0
#define WAIT 4000000
#define TWO40 ((uint64_t)1 << 40)

static volatile uint32_t *apic(unsigned reg)
{
	return (volatile uint32_t *)(APIC_BASE + reg);
}

static bool vector_pending(unsigned vector)
{
	return *apic(APIC_IRR + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];
	uint64_t t0, t, deadline, back;

	kit_require_shoji(boot);
	kit_cpuid(1, 0, r);
	if (!(r[2] & (1u << 24)))
		kit_skip("this CPU has no TSC-deadline timer (CPUID.1:ECX[24]; QEMU's TCG has none)");
	if ((kit_rdmsr(MSR_APIC_BASE) & 0xFFFFFC00) != (APIC_BASE | 0x800))
		kit_error("the local APIC is not an enabled xAPIC at %#lx (%#lx)", APIC_BASE,
			  kit_rdmsr(MSR_APIC_BASE));
	*apic(APIC_SVR) = 0x1FF; /* software-enabled, spurious vector 0xFF */
	*apic(APIC_LVT_TIMER) = VECTOR | LVT_TSC_DEADLINE;
	kit_wrmsr(MSR_TSC, kit_rdtsc() + TWO40);

	/* Read back as written while armed; 0 after disarming. */
	deadline = kit_rdtsc() + ((uint64_t)1 << 50);
	kit_wrmsr(MSR_TSC_DEADLINE, deadline);
	if ((back = kit_rdmsr(MSR_TSC_DEADLINE)) != deadline)
		kit_failure("IA32_TSC_DEADLINE: wrote %#lx, read %#lx", deadline, back);
	kit_wrmsr(MSR_TSC_DEADLINE, 0);
	if ((back = kit_rdmsr(MSR_TSC_DEADLINE)) != 0)
		kit_failure("IA32_TSC_DEADLINE reads %#lx after disarming", back);
	if (vector_pending(VECTOR))
		kit_error("vector %#x pending before the timer was armed", VECTOR);

	t0 = kit_rdtsc();
	deadline = t0 + WAIT;
	kit_wrmsr(MSR_TSC_DEADLINE, deadline);
	for (;;) {
		t = kit_rdtsc();
		if (vector_pending(VECTOR))
			break;
		if (t - t0 > 50ULL * WAIT)
			kit_failure("no timer interrupt %lu ticks after arming for %u (host deadline "
				    "not translated by the TSC offset?)",
				    t - t0, WAIT);
	}
	int64_t late = (int64_t)(t - deadline);

	kit_printf("tsc-deadline: guest TSC %#lx, deadline %u ticks ahead, interrupt %ld ticks "
		   "after it (limit %d)\n",
		   t0, WAIT, late, WAIT / 100);
	if (late < -(int64_t)(WAIT / 100) || late > (int64_t)(WAIT / 100))
		kit_failure("the interrupt came %ld ticks from the deadline (more than 1 %% of %u)",
			    late, WAIT);
	/* SDM 10.5.4.1: firing clears the MSR.  Bochs 2.7 keeps the host
	 * value (Shoji passes the real register through, translated): then
	 * the guest must read its own deadline, not the host's. */
	back = kit_rdmsr(MSR_TSC_DEADLINE);
	if (back == deadline)
		kit_printf("tsc-deadline: after firing the MSR reads the guest's deadline (this CPU "
			   "does not clear it)\n");
	else if (back != 0)
		kit_failure("IA32_TSC_DEADLINE reads %#lx after it fired (deadline %#lx)", back,
			    deadline);

	/* The TSC moves past an armed deadline (a TSC_ADJUST write of +2^37
	 * with 2^36 ticks to go): the timer fires at once, as on a CPU, since
	 * Shoji re-translates the deadline when the offset moves.  (A second
	 * vector: the first stays in the IRR, never taken with IF clear.) */
	*apic(APIC_LVT_TIMER) = (VECTOR + 1) | LVT_TSC_DEADLINE;
	t0 = kit_rdtsc();
	kit_wrmsr(MSR_TSC_DEADLINE, t0 + ((uint64_t)1 << 36));
	kit_wrmsr(MSR_TSC_ADJUST, kit_rdmsr(MSR_TSC_ADJUST) + ((uint64_t)1 << 37));
	t0 = kit_rdtsc();
	while (!vector_pending(VECTOR + 1))
		if ((t = kit_rdtsc()) - t0 > 50ULL * WAIT)
			kit_failure("TSC moved past an armed deadline, no interrupt %lu ticks later",
				    t - t0);
	kit_printf("tsc-deadline: TSC_ADJUST moved the TSC past an armed deadline: it fired\n");
	kit_success();
}
