/* Test-only (image shoji-rules-off.bin): kernel/event_rules.c with three
 * rules switched off, so that each rule's test can be seen failing without
 * it (ci/scenarios/rule-off-*.scn):
 * - NMI behind an event: no window, the NMI waits for the next exit
 *   (nmi-with-interrupt: the NMI never comes);
 * - NMI in an interrupt shadow: injected anyway (nmi-shadow: it comes
 *   before the shadowed instruction, or VT-x refuses the entry);
 * - STI blocking: an external interrupt is injected in the shadow
 *   (sti-blocking: it comes before the shadowed write; VT-x refuses the
 *   entry: SDM Vol. 3C 26.3.1.5).
 * Never built into the product image. */
#include "event_rules.h"

bool vm_nmi_allowed(const struct vm_event_state *s)
{
	return !s->event_queued && !s->nmi_blocked;
}

bool vm_nmi_window_wanted(const struct vm_event_state *s)
{
	return !s->event_queued;
}

bool vm_interrupt_allowed(const struct vm_event_state *s)
{
	return s->if_set && !s->event_queued;
}
