/* The guest's NMI blocking on SVM (issue #5).  An NMI Shoji injects blocks
 * further NMIs until the guest's IRET, but a VMCB without vNMI does not say
 * when that IRET has run, and EVENTINJ would deliver a second NMI into the
 * handler.  So: after injecting an NMI, intercept IRET; the intercept comes
 * before the IRET executes, so single-step it; at the step's #DB the guest
 * can take NMIs again.  An NMI pending in an STI or MOV SS shadow, which
 * EVENTINJ would not respect, waits for a single step past the shadowed
 * instruction likewise.
 *
 * The step (APM Vol. 2 13.1.4, 15.12): TF and RF in the guest's RFLAGS, the
 * #DB intercept on; the trap comes after the one instruction, whatever
 * RFLAGS it loaded (RF: an instruction breakpoint there does not fault
 * first).  Never with an event queued: its delivery would push the TF.
 * The guest's own TF and DR6 are kept, and a #DB of its own is passed on. */
#include "svm.h"
#include "x86.h"

#define RFLAGS_TF BIT(8)
#define RFLAGS_NT BIT(14)
#define RFLAGS_RF BIT(16)
#define RFLAGS_VM BIT(17)
#define DR6_BS BIT(14)
#define DR6_B0_B3 0xFu
#define DB_VECTOR 1

void svm_nmi_injected(struct svm_vcpu *s)
{
	s->nmi_masked = true;
	s->vmcb->control.intercept_misc1 |= INTERCEPT_IRET;
}

void svm_step_start(struct svm_vcpu *s, enum svm_step why)
{
	struct vmcb_save *g = &s->vmcb->save;

	if (s->step)
		return;
	s->step = why;
	s->guest_tf = g->rflags & RFLAGS_TF;
	s->guest_dr6 = g->dr6;
	g->rflags |= RFLAGS_TF | RFLAGS_RF;
	s->vmcb->control.intercept_exceptions |= BIT(DB_VECTOR);
}

/* Takes Shoji's TF out of the guest's RFLAGS again. */
static void step_end(struct svm_vcpu *s)
{
	struct vmcb_save *g = &s->vmcb->save;

	g->rflags = (g->rflags & ~(uint64_t)RFLAGS_TF) | (s->guest_tf ? RFLAGS_TF : 0);
	s->vmcb->control.intercept_exceptions &= ~(uint32_t)BIT(DB_VECTOR);
	s->step = SVM_STEP_NONE;
}

/* Before VMRUN: an event queued while a step is set up (an exit before
 * the stepped instruction ran, then an injection) goes in without TF; an
 * IRET not yet stepped is intercepted again. */
void svm_step_check_entry(struct svm_vcpu *s)
{
	if (!(s->vmcb->control.event_inject & EVENT_VALID))
		return;
	if (s->step == SVM_STEP_IRET)
		s->vmcb->control.intercept_misc1 |= INTERCEPT_IRET;
	step_end(s);
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
	s->vmcb->control.intercept_misc1 &= ~(uint32_t)INTERCEPT_IRET;
	if (iret_is_task_return(&s->vmcb->save)) {
		s->nmi_masked = false;
		return;
	}
	svm_step_start(s, SVM_STEP_IRET);
}

/* True if the #DB was Shoji's single step (passed on to the guest only if
 * it was stepping too or a breakpoint of its own hit); false for a #DB
 * that is the guest's alone. */
bool svm_debug_intercepted(struct vcpu *v, struct svm_vcpu *s)
{
	uint64_t dr6 = s->vmcb->save.dr6;

	if (!s->step)
		return false;
	if (s->step == SVM_STEP_IRET)
		s->nmi_masked = false;
	step_end(s);
	if (s->guest_tf || (dr6 & DR6_B0_B3) || !(dr6 & DR6_BS)) {
		if (!s->guest_tf)
			s->vmcb->save.dr6 = dr6 & ~(uint64_t)DR6_BS;
		svm_inject_exception(v, DB_VECTOR, false, 0);
		return true;
	}
	s->vmcb->save.dr6 = s->guest_dr6;
	return true;
}

void svm_nmi_state_reset(struct svm_vcpu *s)
{
	s->nmi_masked = false;
	s->step = SVM_STEP_NONE;
	s->vmcb->control.intercept_misc1 &= ~(uint32_t)(INTERCEPT_IRET | INTERCEPT_VINTR);
	s->vmcb->control.intercept_exceptions &= ~(uint32_t)BIT(DB_VECTOR);
}
