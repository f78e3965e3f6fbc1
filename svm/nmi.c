/* The guest's NMI blocking on SVM (issue #5).  An NMI Shoji injects blocks
 * further NMIs until the guest's IRET, but a VMCB without vNMI does not say
 * when that IRET has run, and EVENTINJ would deliver a second NMI into the
 * handler.  So: after injecting an NMI, intercept IRET; the intercept comes
 * before the IRET executes, so single-step it (TF with the #DB intercept:
 * the trap comes after the IRET, whatever RFLAGS it popped); at that #DB the
 * guest can take NMIs again.  The guest's own TF and DR6 are kept. */
#include "svm.h"
#include "x86.h"

#define RFLAGS_TF BIT(8)
#define RFLAGS_NT BIT(14)
#define RFLAGS_VM BIT(17)
#define DB_VECTOR 1

void svm_nmi_injected(struct svm_vcpu *s)
{
	s->nmi_masked = true;
	s->vmcb->control.intercept_misc1 |= INTERCEPT_IRET;
}

/* An IRET with NT set in protected mode (not IA-32e, not virtual-8086) is
 * a return to the previous task (SDM Vol. 3A 8.3), which the hardware
 * carries out (task switches are not intercepted).  It saves RFLAGS, a
 * step's TF included, in the outgoing task's TSS and loads the returning
 * task's own: the trap would never come and TF would stay in guest memory.
 * That IRET unblocks NMIs as it switches, so they count as unblocked from
 * here.  Left open: an NMI already pending now goes in before the IRET, in
 * the handler's task. */
static bool iret_is_task_return(const struct vmcb_save *g)
{
	return (g->cr0 & CR0_PE) && !(g->efer & EFER_LMA) && (g->rflags & RFLAGS_NT) &&
	       !(g->rflags & RFLAGS_VM);
}

void svm_iret_intercepted(struct svm_vcpu *s)
{
	struct vmcb_save *g = &s->vmcb->save;

	s->vmcb->control.intercept_misc1 &= ~(uint32_t)INTERCEPT_IRET;
	if (iret_is_task_return(g)) {
		s->nmi_masked = false;
		return;
	}
	s->stepping_iret = true;
	s->guest_tf = g->rflags & RFLAGS_TF;
	s->guest_dr6 = g->dr6;
	g->rflags |= RFLAGS_TF;
	s->vmcb->control.intercept_exceptions |= BIT(DB_VECTOR);
}

/* True if the #DB was Shoji's single step (then swallowed unless the
 * guest was single-stepping too); false for a #DB that is the guest's. */
bool svm_debug_intercepted(struct vcpu *v, struct svm_vcpu *s)
{
	if (!s->stepping_iret)
		return false;
	s->stepping_iret = false;
	s->nmi_masked = false;
	s->vmcb->control.intercept_exceptions &= ~(uint32_t)BIT(DB_VECTOR);
	if (s->guest_tf) {
		svm_inject_exception(v, DB_VECTOR, false, 0); /* its own step trap */
		return true;
	}
	s->vmcb->save.dr6 = s->guest_dr6;
	return true;
}

void svm_nmi_state_reset(struct svm_vcpu *s)
{
	s->nmi_masked = false;
	s->stepping_iret = false;
	s->vmcb->control.intercept_misc1 &= ~(uint32_t)INTERCEPT_IRET;
	s->vmcb->control.intercept_exceptions &= ~(uint32_t)BIT(DB_VECTOR);
}
