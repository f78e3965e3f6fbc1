/* The guest's timer while domains run (issue #6 item 4): the core borrows
 * the local APIC timer for domain budgets and must give it back so the
 * guest cannot tell.  With IF clear, the guest arms its timer to fire
 * during a long domain call (its count still running when CPUID exits);
 * right after STI its handler must run (the core posted the interrupt that
 * fell due; a periodic tick may come up to a period late), and LVT, divide
 * and (periodic) initial count must read back as written.  One-shot, periodic and, where the CPU has it, TSC-deadline.
 * Then a domain that loops, called from inside the guest's interrupt
 * handler (vector 0x1F in service, no EOI yet), must still be ended by its
 * budget.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("domain-timers");

#define APIC ((volatile uint32_t *)0xFEE00000)
#define APIC_REG(off) (APIC[(off) / 4])
#define LVT_TIMER 0x320
#define TIMER_INIT 0x380
#define TIMER_CURRENT 0x390
#define TIMER_DIVIDE 0x3E0
#define TIMER_VECTOR 0x1C /* the kit handles vectors below 32 */
#define SELF_VECTOR 0x1F
#define LEAF_CALL 0x4F444F4D
#define DOM_FAULTY 1
#define LOOP 10
#define SPIN 16
#define E_DEAD 9
#define MSR_TSC_DEADLINE 0x6E0

static volatile unsigned ticks, self_hits;
static volatile uint32_t loop_err = 0xFFFF;

static uint64_t on_timer(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	ticks++;
	APIC_REG(0xB0) = 0;
	return rip;
}

static uint32_t call(unsigned label, uint32_t in0)
{
	uint32_t err, out0, rlabel, out1;

	__asm__ volatile("cpuid"
			 : "=a"(err), "=b"(out0), "=c"(rlabel), "=d"(out1)
			 : "a"(LEAF_CALL), "b"(in0), "c"(DOM_FAULTY << 16 | label), "d"(0));
	return err;
}

/* In service and not yet EOI'd: a domain that never returns. */
static uint64_t on_self(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	self_hits++;
	loop_err = call(LOOP, 0);
	APIC_REG(0xB0) = 0;
	return rip;
}

/* TSC ticks per 1,024 local APIC timer ticks (divide by 1), measured with
 * the timer masked: whether a count ran out is then read from the TSC. */
static uint64_t tsc_per_1k_ticks;

static void calibrate(void)
{
	APIC_REG(LVT_TIMER) = 1u << 16 | TIMER_VECTOR; /* masked, one-shot */
	APIC_REG(TIMER_DIVIDE) = 0xB;
	APIC_REG(TIMER_INIT) = 0xFFFFFFFF;
	uint64_t t0 = kit_rdtsc();
	uint32_t c0 = APIC_REG(TIMER_CURRENT), c1;

	while ((c1 = APIC_REG(TIMER_CURRENT)) > c0 - 2000000 && c1 != 0)
		__asm__ volatile("pause");
	tsc_per_1k_ticks = (kit_rdtsc() - t0) * 1024 / (c0 - c1);
	APIC_REG(TIMER_INIT) = 0;
	if (!tsc_per_1k_ticks)
		tsc_per_1k_ticks = 1;
}

/* Timer ticks since TSC `since`. */
static uint64_t ticks_since(uint64_t since)
{
	return (kit_rdtsc() - since) * 1024 / tsc_per_1k_ticks;
}

/* A domain call long enough for `count` ticks to run out; the timer must
 * still be counting when the guest exits. */
static void call_through(const char *what, uint32_t lvt, uint32_t count, bool deadline)
{
	unsigned before = ticks;
	uint64_t spin = 20000;

	for (unsigned attempt = 0;; attempt++) {
		__asm__ volatile("cli");
		APIC_REG(TIMER_DIVIDE) = 0xB; /* divide by 1 */
		APIC_REG(LVT_TIMER) = lvt;
		uint64_t armed = kit_rdtsc(), due = armed + count;

		if (deadline)
			kit_wrmsr(MSR_TSC_DEADLINE, due);
		else
			APIC_REG(TIMER_INIT) = count;
		/* Running with at least half its count left when the call begins
		 * (so it falls due inside the domain, not while Shoji takes the
		 * exit: QEMU raises an expired count's interrupt late, from
		 * another thread), and due by the time the call ends (a periodic
		 * count: its first period over). */
		bool running = deadline ? kit_rdtsc() + count / 2 < due
					: ticks_since(armed) < count / 2;
		uint32_t err = call(SPIN, (uint32_t)spin);
		bool expired = deadline ? kit_rdtsc() >= due : ticks_since(armed) > count + count / 8;

		if (err != 0)
			kit_failure("%s: the spin call answered %u", what, err);
		if (running && expired)
			break;
		/* The count ran out before the call began (each APIC write exits
		 * to Shoji: it traps the page), or not in the call: adjust. */
		APIC_REG(TIMER_INIT) = 0;
		if (deadline)
			kit_wrmsr(MSR_TSC_DEADLINE, 0);
		__asm__ volatile("sti; nop; cli");
		before = ticks;
		if (!running)
			count *= 4;
		else
			spin *= 2;
		if (attempt == 16 || spin > 5000000)
			kit_error("%s: could not make the timer fall due inside a call", what);
	}
	if (APIC_REG(LVT_TIMER) != lvt || APIC_REG(TIMER_DIVIDE) != 0xB)
		kit_failure("%s: LVT %#x divide %#x read back, %#x 0xb written", what,
			    APIC_REG(LVT_TIMER), APIC_REG(TIMER_DIVIDE), lvt);
	if ((lvt & (1u << 17)) && APIC_REG(TIMER_INIT) != count)
		kit_failure("%s: initial count %u read back, %u written", what, APIC_REG(TIMER_INIT),
			    count);
	/* One-shot and deadline: the interrupt right after the call.  A
	 * periodic count restarts its period when the core gives the timer
	 * back (only its first period after a borrow is longer), so its tick
	 * may come up to a period late: wait that long. */
	if (lvt & (1u << 17)) {
		uint64_t from = kit_rdtsc();

		__asm__ volatile("sti");
		while (ticks == before && ticks_since(from) < 3 * (uint64_t)count)
			__asm__ volatile("pause");
		__asm__ volatile("cli");
	} else {
		__asm__ volatile("sti; nop; nop; cli");
	}
	if (ticks == before)
		kit_failure("%s: the timer fell due during a domain call and never came", what);
	APIC_REG(TIMER_INIT) = 0;
	if (deadline)
		kit_wrmsr(MSR_TSC_DEADLINE, 0);
	__asm__ volatile("sti; nop; cli");
	kit_printf("domain-timers: %s: the interrupt that fell due in a domain call came right "
		   "after it, registers unchanged\n", what);
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];

	kit_require_shoji(boot);
	kit_outb(0x21, 0xFF); /* the 8259s stay quiet */
	kit_outb(0xA1, 0xFF);
	APIC_REG(0xF0) = 0x1FF;
	APIC_REG(0x80) = 0;
	calibrate();
	kit_set_handler(TIMER_VECTOR, on_timer);
	kit_set_handler(SELF_VECTOR, on_self);

	call_through("one-shot", TIMER_VECTOR, 500000, false);
	call_through("periodic", TIMER_VECTOR | 1u << 17, 500000, false);
	kit_cpuid(1, 0, r);
	if (r[2] & (1u << 24))
		call_through("TSC-deadline", TIMER_VECTOR | 2u << 17, 500000, true);
	else
		kit_printf("domain-timers: TSC-deadline: skipped, this CPU has no TSC-deadline "
			   "timer (QEMU's TCG)\n");

	APIC_REG(0x300) = (1u << 18) | SELF_VECTOR; /* fixed, to self */
	__asm__ volatile("sti; nop; nop; cli");
	if (self_hits != 1)
		kit_failure("the self-IPI ran its handler %u times", self_hits);
	if (loop_err != E_DEAD)
		kit_failure("a looping domain called from an interrupt handler answered %u, not "
			    "E_DEAD", loop_err);
	kit_printf("domain-timers: a looping domain called with vector %#x in service was ended "
		   "by its budget\n", SELF_VECTOR);
	kit_success();
}
