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
#include "x86.h"

#define LAPIC_TIMER_CURRENT 0x390
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

/* Puts the guest's timer back, `elapsed` ticks (at divide by 1) later. */
static void timer_restore(const struct lapic_timer_state *s, uint64_t elapsed)
{
	unsigned mode = s->lvt >> LVT_MODE_SHIFT & 3;

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
	if (!(s->lvt & LVT_MASKED) && this_cpu()->vcpu)
		vcpu_post_interrupt(this_cpu()->vcpu, (uint8_t)s->lvt);
	if (mode == LVT_MODE_PERIODIC)
		lapic_write(LAPIC_TIMER_INIT, s->initial);
}

void budget_calibrate(void)
{
	struct lapic_timer_state saved;

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
	log_info("domain budgets: local APIC timer at %lu kHz, vector %#x", timer_khz,
		 BUDGET_VECTOR);
}

void budget_arm(uint32_t budget_us)
{
	struct pcpu *cpu = this_cpu();
	uint64_t ticks = MAX(budget_us * timer_khz / 1000, 1);

	timer_save(&cpu->guest_timer);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | BUDGET_VECTOR); /* ends a deadline */
	lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_1);
	lapic_write(LAPIC_LVT_TIMER, BUDGET_VECTOR);
	cpu->budget_ticks = (uint32_t)MIN(ticks, 0xFFFFFFFFULL);
	cpu->budget_fired = false;
	cpu->budget_armed = true;
	lapic_write(LAPIC_TIMER_INIT, cpu->budget_ticks);
}

bool budget_disarm(void)
{
	struct pcpu *cpu = this_cpu();
	uint32_t left = lapic_read(LAPIC_TIMER_CURRENT);

	lapic_write(LAPIC_TIMER_INIT, 0);
	if (!left && !cpu->budget_fired) {
		/* It ran out in the core, where IF is clear: take it now, or the
		 * guest would get BUDGET_VECTOR at its next entry. */
		__asm__ volatile("sti; nop; cli" ::: "memory");
	}
	cpu->budget_armed = false;
	timer_restore(&cpu->guest_timer, cpu->budget_ticks - left);
	return cpu->budget_fired;
}

bool budget_interrupt(unsigned vector)
{
	struct pcpu *cpu = this_cpu();

	if (vector != BUDGET_VECTOR || !cpu->budget_armed ||
	    lapic_read(LAPIC_TIMER_CURRENT) != 0)
		return false; /* the guest's own interrupt on that vector */
	cpu->budget_fired = true;
	lapic_write(LAPIC_EOI, 0);
	return true;
}
