/* Domain budgets: the core borrows the local APIC timer while a domain
 * runs (issue #6 item 4; SPEC.md "Interrupts and time").  The guest owns
 * the timer; neither emulator has a PMU, and VMX's preemption timer does
 * not count in root mode, so this is the one clock the core can have.
 *
 * Borrowing saves the guest's LVT timer, divide, initial and current count
 * (and IA32_TSC_DEADLINE in TSC-deadline mode) and runs a one-shot count
 * of the budget on BUDGET_VECTOR.  Giving it back restores them, less the
 * time the domain ran: a one-shot count goes on from where it would be
 * (its initial-count register then reads that remainder: reads are not
 * trapped), a periodic one restarts its period, a deadline is written back
 * as it was (the APIC fires at once if it passed, SDM Vol. 3A 11.5.4.1),
 * and a count that ran out meanwhile is posted to the guest as the
 * interrupt it would have raised. */
#include "delay.h"
#include "dom.h"
#include "lapic.h"
#include "log.h"
#include "percpu.h"
#include "vcpus.h"
#include "vm.h"
#include "x86.h"

#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_PPR 0xA0
#define SVR_ENABLE BIT(8)
#define LVT_MASKED BIT(16)
#define LVT_MODE_SHIFT 17
#define LVT_MODE_PERIODIC 1
#define LVT_MODE_DEADLINE 2
#define DIVIDE_BY_1 0xB
#define MSR_TSC_DEADLINE 0x6E0

static uint64_t timer_khz; /* local APIC timer ticks per ms, divide by 1 */

/* SDM Vol. 3A 11.5.4: bits 0, 1 and 3 of the divide configuration. */
static unsigned divisor(uint32_t dcr)
{
	unsigned v = (dcr & 3) | (dcr >> 1 & 4);

	return v == 7 ? 1 : 2u << v;
}

static void timer_save(struct lapic_timer_state *s)
{
	s->lvt = lapic_read(LAPIC_LVT_TIMER);
	s->dcr = lapic_read(LAPIC_TIMER_DIVIDE);
	s->initial = lapic_read(LAPIC_TIMER_INIT);
	s->current = lapic_read(LAPIC_TIMER_CURRENT);
	s->deadline = (s->lvt >> LVT_MODE_SHIFT & 3) == LVT_MODE_DEADLINE
			      ? rdmsr(MSR_TSC_DEADLINE) : 0;
}

/* The guest's timer counts down (one-shot or periodic, unmasked). */
static bool guest_timer_counting(const struct lapic_timer_state *s)
{
	return !(s->lvt & LVT_MASKED) && (s->lvt >> LVT_MODE_SHIFT & 3) != LVT_MODE_DEADLINE &&
	       s->initial;
}

static bool has_tsc_deadline;

/* Puts the guest's timer back, `elapsed` ticks (at divide by 1) later. */
static void timer_restore(const struct lapic_timer_state *s, uint64_t elapsed)
{
	unsigned mode = s->lvt >> LVT_MODE_SHIFT & 3;

	/* The core's count leaves a start time behind that Bochs then shows
	 * as IA32_TSC_DEADLINE if the guest switches to TSC-deadline mode
	 * (hardware reads 0 there, SDM Vol. 3A 11.5.4.1): a deadline of 0
	 * written in that mode clears it. */
	if (has_tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | LVT_MODE_DEADLINE << LVT_MODE_SHIFT);
		wrmsr(MSR_TSC_DEADLINE, 0);
	}
	lapic_write(LAPIC_LVT_TIMER, s->lvt | LVT_MASKED);
	lapic_write(LAPIC_TIMER_DIVIDE, s->dcr);
	lapic_write(LAPIC_LVT_TIMER, s->lvt);
	if (mode == LVT_MODE_DEADLINE) {
		if (s->deadline)
			wrmsr(MSR_TSC_DEADLINE, s->deadline);
		return;
	}
	if (!s->current)
		return; /* it was not counting */
	uint64_t ticks = elapsed / divisor(s->dcr);

	if (ticks < s->current) {
		lapic_write(LAPIC_TIMER_INIT, mode == LVT_MODE_PERIODIC ? s->initial
					      : s->current - (uint32_t)ticks);
		return;
	}
	/* It ran out while the domain ran: the guest gets its interrupt at
	 * the next entry; a periodic timer counts on. */
	if (!(s->lvt & LVT_MASKED) && this_cpu()->vcpu) {
		this_cpu()->vcpu->timer_expiry_posted = true;
		log_debug("CPU %u: the guest's timer ran out while a domain ran; vector %#x posted",
			  this_cpu()->index, s->lvt & 0xFF);
		vcpu_post_interrupt(this_cpu()->vcpu, (uint8_t)s->lvt);
	}
	if (mode == LVT_MODE_PERIODIC)
		lapic_write(LAPIC_TIMER_INIT, s->initial);
}

void budget_calibrate(void)
{
	struct lapic_timer_state saved;
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	has_tsc_deadline = r.ecx & BIT(24);

	timer_save(&saved);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | BUDGET_VECTOR);
	lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_1);
	lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFF);
	udelay(10000);
	timer_khz = (0xFFFFFFFFULL - lapic_read(LAPIC_TIMER_CURRENT)) / 10;
	lapic_write(LAPIC_TIMER_INIT, 0);
	timer_restore(&saved, 10 * timer_khz);
	if (!timer_khz)
		timer_khz = 1;
	log_info("domain budgets: local APIC timer at %lu kHz, TSC at %lu kHz, vector %#x",
		 timer_khz, tsc_khz, BUDGET_VECTOR);
}

/* Runs the core's count for `ticks` (divide by 1). */
static void program(struct pcpu *cpu, uint64_t ticks)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | BUDGET_VECTOR); /* ends a deadline */
	lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_1);
	lapic_write(LAPIC_LVT_TIMER, BUDGET_VECTOR);
	cpu->budget_fired = false;
	cpu->budget_armed = true;
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)MIN(MAX(ticks, 1), 0xFFFFFFFFULL));
}

/* Stops the core's count and returns what is left of it (0: it ran out).
 * The LVT is masked first: after that no firing can still be on its way
 * (QEMU raises the timer's interrupt from another thread, and checks the
 * mask when it does), so the IRR tells whether one is waiting.  It is
 * taken at once (HLT, since an emulator may look for interrupts only
 * between blocks of instructions: QEMU's TCG lets `sti; nop; cli` pass),
 * and the guest never gets it. */
static uint32_t stop(struct pcpu *cpu)
{
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | BUDGET_VECTOR);
	uint32_t left = lapic_read(LAPIC_TIMER_CURRENT);

	lapic_write(LAPIC_TIMER_INIT, 0);
	if (lapic_read(LAPIC_IRR + BUDGET_VECTOR / 32 * 0x10) & BIT(BUDGET_VECTOR % 32)) {
		if ((lapic_read(LAPIC_PPR) & 0xF0) < (BUDGET_VECTOR & 0xF0)) {
			vm_backend->host_allow_events(true); /* SVM: GIF, or HLT waits forever */
			__asm__ volatile("sti; hlt; cli" ::: "memory");
			vm_backend->host_allow_events(false);
		} else
			cpu->budget_late = true; /* held off by a guest vector in service */
	}
	cpu->budget_armed = false;
	if (cpu->budget_fired)
		left = 0;
	return left;
}

/* A one-shot count that reads 0 may have run out just now, its interrupt
 * not raised yet: QEMU raises it from another thread, a little later, and
 * borrowing the timer (a new count) cancels it.  If the guest's count ran
 * out within the last 2 ms and its vector is neither pending nor in
 * service, it is posted; at worst the guest sees one early timer
 * interrupt, which an OS tolerates, instead of none, which can hang a
 * tickless one.  On hardware and Bochs the interrupt is raised as the
 * count reaches 0, so it is found pending. */
static void catch_just_expired(struct pcpu *cpu)
{
	const struct lapic_timer_state *s = &cpu->guest_timer;
	struct vcpu *v = cpu->vcpu;

	if (!v || s->current || !v->timer_armed_count || v->timer_expiry_posted ||
	    (s->lvt & LVT_MASKED) || (s->lvt >> LVT_MODE_SHIFT & 3) != 0)
		return;
	uint64_t due = v->timer_armed_tsc +
		       (uint64_t)v->timer_armed_count * divisor(s->dcr) * tsc_khz / timer_khz;
	uint64_t now = rdtsc();
	unsigned vec = s->lvt & 0xFF, word = vec / 32 * 0x10;

	if (now < due || now - due > 2 * tsc_khz ||
	    ((lapic_read(LAPIC_IRR + word) | lapic_read(LAPIC_ISR + word)) & BIT(vec % 32)))
		return;
	v->timer_expiry_posted = true;
	vcpu_post_interrupt(v, (uint8_t)vec);
}

void budget_begin(struct budget *b, uint32_t budget_us)
{
	struct pcpu *cpu = this_cpu();

	b->left = MAX((uint64_t)budget_us * timer_khz / 1000, 1);
	if (cpu->budget_depth++ > 0)
		return;
	/* A guest may leave its local APIC software-disabled (an AP before it
	 * sets it up): then every LVT is masked and nothing is delivered, the
	 * budget's interrupt included.  It is enabled for the call, and
	 * disabled again after (SDM Vol. 3A 11.4.7.2). */
	cpu->guest_svr = lapic_read(LAPIC_SVR);
	if (!(cpu->guest_svr & SVR_ENABLE))
		lapic_write(LAPIC_SVR, cpu->guest_svr | SVR_ENABLE);
	timer_save(&cpu->guest_timer);
	cpu->budget_borrowed = rdtsc();
	catch_just_expired(cpu);
}

void budget_resume(struct budget *b)
{
	program(this_cpu(), b->left);
}

bool budget_pause(struct budget *b)
{
	b->left = stop(this_cpu());
	return b->left == 0;
}

void budget_end(struct budget *b)
{
	struct pcpu *cpu = this_cpu();

	(void)b;
	if (--cpu->budget_depth > 0)
		return;
	timer_restore(&cpu->guest_timer,
		      (rdtsc() - cpu->budget_borrowed) * timer_khz / tsc_khz);
	if (!(cpu->guest_svr & SVR_ENABLE))
		lapic_write(LAPIC_SVR, cpu->guest_svr);
}

bool budget_interrupt(unsigned vector)
{
	struct pcpu *cpu = this_cpu();

	if (vector != BUDGET_VECTOR)
		return false;
	if (cpu->budget_armed && lapic_read(LAPIC_TIMER_CURRENT) == 0) {
		cpu->budget_fired = true;
	} else if (cpu->budget_late) {
		cpu->budget_late = false; /* the one of a count that ran out in the core */
	} else if (cpu->budget_depth && guest_timer_counting(&cpu->guest_timer)) {
		/* The guest's count ran out as it was borrowed, and QEMU raised
		 * its interrupt late, through the LVT the core had just written:
		 * it is the guest's timer interrupt (a merge, re-raised). */
		lapic_write(LAPIC_EOI, 0);
		if (cpu->vcpu)
			vcpu_post_interrupt(cpu->vcpu, (uint8_t)cpu->guest_timer.lvt);
		return true;
	} else {
		return false; /* the guest's own interrupt on that vector */
	}
	lapic_write(LAPIC_EOI, 0);
	return true;
}
