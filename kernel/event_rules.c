/* See event_rules.h.  The product's rules. */
#include "event_rules.h"

/* SDM Vol. 3C 26.3.1.5 and APM Vol. 2 15.20: no NMI behind another event,
 * inside the guest's NMI handler, or in an STI or MOV SS shadow (VT-x
 * refuses the entry under MOV SS blocking; SVM would inject it anyway). */
bool vm_nmi_allowed(const struct vm_event_state *s)
{
	return !s->event_queued && !s->nmi_blocked && !s->shadow;
}

/* SPEC item 2: an NMI behind an event is delivered right after it. */
bool vm_nmi_window_wanted(const struct vm_event_state *s)
{
	(void)s;
	return true;
}

/* SDM Vol. 3A 6.8.1/6.8.3, APM 15.20 (and the entry checks of SDM Vol. 3C
 * 26.3.1.5): IF set, no STI or MOV SS shadow, nothing else being injected. */
bool vm_interrupt_allowed(const struct vm_event_state *s)
{
	return s->if_set && !s->shadow && !s->event_queued;
}
