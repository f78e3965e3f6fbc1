/* Turning a #VMEXIT into the core's vendor-neutral vm_exit.  The exits that
 * can reach here are exactly the intercepts set in vmcb.c; anything else is
 * reported as unknown with the raw code. */
#include "svm.h"

/* APM Vol. 2 15.10.2: EXITINFO1 of an IOIO intercept. */
#define IOIO_IN BIT(0)
#define IOIO_STR BIT(2)
#define IOIO_REP BIT(3)
#define IOIO_SZ8 BIT(4)
#define IOIO_SZ16 BIT(5)

/* 15.25.6: EXITINFO1 of a nested page fault. */
#define NPF_PRESENT BIT(0)
#define NPF_WRITE BIT(1)
#define NPF_FETCH BIT(4)

static const char *const svm_insn_names[] = {
	[VMEXIT_VMRUN - VMEXIT_VMRUN] = "VMRUN", [VMEXIT_VMMCALL - VMEXIT_VMRUN] = "VMMCALL",
	[VMEXIT_VMLOAD - VMEXIT_VMRUN] = "VMLOAD", [VMEXIT_VMSAVE - VMEXIT_VMRUN] = "VMSAVE",
	[VMEXIT_STGI - VMEXIT_VMRUN] = "STGI",	   [VMEXIT_CLGI - VMEXIT_VMRUN] = "CLGI",
	[VMEXIT_SKINIT - VMEXIT_VMRUN] = "SKINIT",
};

void svm_exit_decode(struct vcpu *v, struct vm_exit *exit)
{
	struct vmcb_control *c = &((struct svm_vcpu *)v->backend)->vmcb->control;
	uint64_t code = c->exit_code, info1 = c->exit_info1, info2 = c->exit_info2;

	/* Only the fields of the kind at hand are set; this runs on every exit. */
	exit->insn_len = 0;
	exit->complete = false;
	exit->in_delivery = false;
	/* An exit in the middle of delivering an event (APM 15.7.2): deliver
	 * it again on the next entry.  Software interrupts and INT3/INTO are
	 * not re-injected but re-executed: without next-RIP the return address
	 * could not be set right, and RIP still points at the instruction. */
	uint64_t intinfo = c->exit_int_info;

	if (intinfo & EVENT_VALID) {
		uint32_t type = intinfo & EVENT_TYPE_MASK, vector = intinfo & 0xFF;

		exit->in_delivery = true;
		/* QEMU 7.2 records an external interrupt cut short as an
		 * exception, and its VMRUN then refuses to inject an exception
		 * with that vector.  No exception has a vector above 30 (31 is
		 * reserved): such an event is an interrupt (type 0). */
		if (type == EVENT_TYPE_EXCEPTION && vector >= 31) {
			intinfo &= ~(uint64_t)(EVENT_TYPE_MASK | EVENT_ERROR_VALID);
			type = 0;
		}
		if (type != EVENT_TYPE_SOFT_INT &&
		    !(type == EVENT_TYPE_EXCEPTION && (vector == 3 || vector == 4)))
			c->event_inject = intinfo;
	}
	exit->rip = ((struct svm_vcpu *)v->backend)->vmcb->save.rip;
	/* With next-RIP save (APM 15.7.1) instruction intercepts give their
	 * length; without it (QEMU) the core decodes. */
	if (svm_has_next_rip && (code == VMEXIT_CPUID || code == VMEXIT_MSR || code == VMEXIT_INVD) &&
	    c->next_rip > exit->rip && c->next_rip - exit->rip <= 15)
		exit->insn_len = (uint8_t)(c->next_rip - exit->rip);
	/* QEMU 7.2's VMRUN does not load the interrupt shadow (int_state), so
	 * an NMI, SMI or virtual-interrupt exit taken before the guest's first
	 * instruction reports none: keep the shadow the guest entered with
	 * (at the same RIP no instruction can have run but in the shadow's
	 * place; at worst a later event waits one instruction longer). */
	if ((code == VMEXIT_NMI || code == VMEXIT_SMI || code == VMEXIT_VINTR) &&
	    exit->rip == ((struct svm_vcpu *)v->backend)->entry_shadow_rip)
		c->int_state |= INT_SHADOW;
	switch (code) {
	case VMEXIT_CPUID:
		exit->kind = VM_EXIT_CPUID;
		return;
	case VMEXIT_MSR:
		exit->kind = VM_EXIT_MSR;
		exit->msr.write = info1 & 1;
		exit->msr.msr = (uint32_t)v->regs.rcx;
		return;
	case VMEXIT_IOIO:
		exit->kind = VM_EXIT_IO;
		exit->io.in = info1 & IOIO_IN;
		exit->io.string = info1 & IOIO_STR;
		exit->io.rep = info1 & IOIO_REP;
		exit->io.size = (info1 & IOIO_SZ8) ? 1 : (info1 & IOIO_SZ16) ? 2 : 4;
		exit->io.port = (uint16_t)(info1 >> 16);
		/* EXITINFO2 holds the next RIP even without next-RIP save. */
		exit->insn_len = (uint8_t)(info2 - exit->rip);
		return;
	case VMEXIT_NPF:
		exit->kind = VM_EXIT_NESTED_FAULT;
		exit->npf.gpa = info2;
		exit->npf.present = info1 & NPF_PRESENT;
		exit->npf.write = info1 & NPF_WRITE;
		exit->npf.fetch = info1 & NPF_FETCH;
		exit->npf.read = !exit->npf.write && !exit->npf.fetch;
		return;
	case VMEXIT_INVD:
		exit->kind = VM_EXIT_INVD;
		return;
	case VMEXIT_CR4_WRITE:
		/* No decode assists under QEMU: the core reads the MOV. */
		exit->kind = VM_EXIT_CR_WRITE;
		exit->cr.cr = 4;
		exit->cr.value_known = false;
		return;
	case VMEXIT_SHUTDOWN:
		exit->kind = VM_EXIT_TRIPLE_FAULT;
		return;
	case VMEXIT_NMI:
		/* The NMI is still pending (GIF is clear): take it in host mode,
		 * where the core's handler counts it; the core then tells a kick
		 * from the guest's own (kernel/vcpus.c). */
		__asm__ volatile("stgi; clgi" ::: "memory");
		exit->kind = VM_EXIT_NONE;
		return;
	case VMEXIT_SMI:
		/* The SMI is still pending; open GIF so it is taken now, in host
		 * mode, outside the guest's intercepts.  An NMI that slips into
		 * this window is counted by the core's handler and handed to the
		 * guest before the next entry (kernel/nmi.c). */
		__asm__ volatile("stgi; clgi" ::: "memory");
		exit->kind = VM_EXIT_NONE;
		return;
	case VMEXIT_VINTR:
		c->int_control &= ~(V_IRQ | 0xFFULL << V_INTR_VECTOR_SHIFT);
		c->intercept_misc1 &= ~(uint32_t)INTERCEPT_VINTR;
		exit->kind = VM_EXIT_INTERRUPT_WINDOW;
		return;
	case VMEXIT_IRET:
		svm_iret_intercepted(v->backend);
		exit->kind = VM_EXIT_NONE;
		return;
	case VMEXIT_DB:
		if (!svm_debug_intercepted(v, v->backend))
			svm_inject_exception(v, 1, false, 0); /* the guest's own #DB */
		exit->kind = VM_EXIT_NONE;
		return;
	case VMEXIT_INVLPGA:
		exit->kind = VM_EXIT_UNDEFINED;
		exit->raw.what = "INVLPGA";
		return;
	case VMEXIT_INVALID:
		exit->kind = VM_EXIT_ENTRY_FAILED;
		exit->raw.what = "VMRUN refused the guest state (VMEXIT_INVALID)";
		exit->raw.code = code;
		exit->raw.info1 = exit->raw.info2 = 0;
		return;
	}
	if (code >= VMEXIT_VMRUN && code <= VMEXIT_SKINIT) {
		exit->kind = VM_EXIT_UNDEFINED;
		exit->raw.what = svm_insn_names[code - VMEXIT_VMRUN];
		return;
	}
	exit->kind = VM_EXIT_UNKNOWN;
	exit->raw.what = "unexpected SVM exit";
	exit->raw.code = code;
	exit->raw.info1 = info1;
	exit->raw.info2 = info2;
}
