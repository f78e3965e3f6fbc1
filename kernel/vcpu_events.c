/* Delivering the guest's NMIs and external interrupts (issue #5 items 2-3;
 * SPEC.md items 1-3 and 9).  The core owns the pending state; before each
 * entry it asks the back end what blocks events, applies the rules of
 * kernel/event_rules.c, and has the back end inject or open a window. */
#include "event_rules.h"
#include "vcpus.h"

/* The state at the coming entry: an instruction the core completed ends
 * the STI or MOV SS shadow it was in (the back end clears it at entry). */
static void event_state(struct vcpu *v, const struct vm_exit *last, struct vm_event_state *s)
{
	vm_backend->get_event_state(v, s);
	if (last->complete)
		s->shadow = false;
}

void vcpu_deliver_nmi(struct vcpu *v, const struct vm_exit *last)
{
	struct vm_event_state s;

	if (!v->nmi_pending)
		return;
	event_state(v, last, &s);
	if (vm_nmi_allowed(&s)) {
		vm_backend->inject_nmi(v);
		v->nmi_pending = false;
	} else if (vm_nmi_window_wanted(&s)) {
		vm_backend->request_nmi_window(v);
	}
}

void vcpu_post_interrupt(struct vcpu *v, uint8_t vector)
{
	__atomic_fetch_or(&v->irq_pending[vector >> 6], 1ULL << (vector & 63), __ATOMIC_RELAXED);
}

/* The highest pending vector (the local APIC's priority order), or -1. */
static int highest_pending(struct vcpu *v)
{
	for (int i = 3; i >= 0; i--) {
		uint64_t w = __atomic_load_n(&v->irq_pending[i], __ATOMIC_RELAXED);

		if (w)
			return i * 64 + 63 - __builtin_clzll(w);
	}
	return -1;
}

void vcpu_deliver_interrupts(struct vcpu *v, const struct vm_exit *last)
{
	struct vm_event_state s;
	int vector = highest_pending(v);

	if (vector < 0)
		return;
	event_state(v, last, &s);
	if (!vm_interrupt_allowed(&s)) {
		vm_backend->request_interrupt_window(v, (uint8_t)vector);
		return;
	}
	__atomic_fetch_and(&v->irq_pending[vector >> 6], ~(1ULL << (vector & 63)), __ATOMIC_RELAXED);
	vm_backend->inject_interrupt(v, (uint8_t)vector);
}
