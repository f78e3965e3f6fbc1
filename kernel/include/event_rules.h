/* The rules of event injection (SPEC.md items 1-3 and 9), once, in the
 * core: the back ends report the state (struct vm_event_state) and carry
 * out what these decide.  kernel/event_rules.c is the product's; a
 * test-only image may build a variant file with a rule switched off, to
 * show that the rule's test fails without it (ci/scenarios/rule-off-*). */
#ifndef SHOJI_EVENT_RULES_H
#define SHOJI_EVENT_RULES_H

#include "vm.h"

/* An NMI may be injected now. */
bool vm_nmi_allowed(const struct vm_event_state *s);

/* An NMI that may not be injected now gets a window (the first moment the
 * guest can take it), rather than waiting for the next exit. */
bool vm_nmi_window_wanted(const struct vm_event_state *s);

/* An external interrupt may be injected now. */
bool vm_interrupt_allowed(const struct vm_event_state *s);

#endif
