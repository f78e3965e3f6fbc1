/* The SVM back end: probing, per-CPU enable, and the ops table - the one
 * symbol this directory exports (STYLE.md 4). */
#include <stdio.h>

#include "cpu_features.h"
#include "lapic.h"
#include "log.h"
#include "mm.h"
#include "percpu.h"
#include "svm.h"
#include "x86.h"

#define MSR_VM_CR 0xC0010114
#define MSR_VM_HSAVE_PA 0xC0010117
#define VM_CR_SVMDIS BIT(4)

bool svm_has_next_rip;

static bool svm_probe(char *why, size_t why_size)
{
	struct cpuid_regs r;

	cpuid(0x80000000, 0, &r);
	if (r.eax < 0x8000000A) {
		snprintf(why, why_size, "this CPU has no AMD SVM (no CPUID leaf 8000_000Ah)");
		return false;
	}
	cpuid(0x80000001, 0, &r);
	if (!(r.ecx & BIT(2))) {
		snprintf(why, why_size, "this CPU has no AMD SVM (CPUID 8000_0001h ECX bit 2 clear)");
		return false;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		snprintf(why, why_size,
			 "SVM is disabled by the firmware (VM_CR.SVMDIS); enable virtualization "
			 "in the firmware setup");
		return false;
	}
	cpuid(0x8000000A, 0, &r);
	if (!(r.edx & BIT(0))) {
		snprintf(why, why_size,
			 "this CPU has SVM but no nested paging (CPUID 8000_000Ah EDX bit 0 clear); "
			 "Shoji needs NPT");
		return false;
	}
	if (r.ebx == 0) {
		snprintf(why, why_size, "this CPU's SVM offers no ASIDs");
		return false;
	}
	svm_has_next_rip = r.edx & BIT(3); /* NRIPS; QEMU lacks it, hardware has it */
	return true;
}

static enum err svm_cpu_enable(struct pcpu *cpu)
{
	struct svm_cpu *s = page_alloc();
	void *hsave = page_alloc(), *host_vmcb = page_alloc();

	if (!s || !hsave || !host_vmcb)
		return E_NOMEM;
	s->host_save_pa = virt_to_phys(hsave);
	s->host_vmcb_pa = virt_to_phys(host_vmcb);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	/* GIF stays clear whenever the core runs (see vmrun.S); it is set
	 * only in the guest and in deliberate windows (SMI). */
	__asm__ volatile("clgi");
	wrmsr(MSR_VM_HSAVE_PA, s->host_save_pa);
	/* The host's TR, FS, GS and syscall MSRs, restored after each exit. */
	__asm__ volatile("vmsave %0" : : "a"(s->host_vmcb_pa) : "memory");
	cpu->backend = s;
	log_info("CPU %u: SVM on (host save area %#lx)", cpu->index, s->host_save_pa);
	return E_OK;
}

static void svm_vcpu_run(struct vcpu *v, struct vm_exit *exit)
{
	struct svm_vcpu *s = v->backend;
	struct vmcb_save *g = &s->vmcb->save;

	if (exit->complete) {
		g->rip += exit->insn_len;
		if (!(g->efer & EFER_LMA))
			g->rip &= 0xFFFFFFFF; /* EIP wraps outside long mode */
		/* The instruction retired: an STI or MOV SS shadow it was in
		 * ends with it (APM 15.21.5), as on VT-x (vmx.c). */
		s->vmcb->control.int_state &= ~1ULL;
		exit->complete = false;
	}
	uint64_t gen = __atomic_load_n(&svm_npt_generation, __ATOMIC_ACQUIRE);

	if (s->npt_generation != gen) { /* the nested tables changed */
		s->npt_generation = gen;
		s->vmcb->control.tlb_control = 1;
	}
	g->rax = v->regs.rax;
	if (__builtin_expect(s->step != SVM_STEP_NONE, 0))
		svm_step_check_entry(s);
	s->entry_shadow_rip = (s->vmcb->control.int_state & INT_SHADOW) ? g->rip : ~0ULL;
	if (__builtin_expect(v->test_nmi_in_entry_window, 0)) {
		/* Test hook: an NMI after the core's last look.  GIF, clear
		 * from here to VMRUN, holds it; the NMI intercept takes it. */
		v->test_nmi_in_entry_window = false;
		lapic_send(v->apic_id, LAPIC_ICR_NMI);
	}
	svm_vmrun(&v->regs, s->vmcb_pa, s->cpu->host_vmcb_pa);
	v->regs.rax = s->vmcb->save.rax;
	s->vmcb->control.tlb_control = 0;
	svm_exit_decode(v, exit);
}

static enum err svm_map_identity(struct vcpu *v, paddr_t gpa, uint64_t size)
{
	(void)v;
	return svm_npt_map_identity(gpa, size);
}

static enum err svm_protect_page(paddr_t gpa, bool writable)
{
	return svm_npt_protect(gpa, writable);
}

/* SVM has no NMI window.  Inside the guest's NMI handler, the IRET
 * intercept is it (nmi.c); in an interrupt shadow, a single step.  Behind
 * a queued event, a self-NMI, held by GIF until VMRUN and recognized right
 * after that event's delivery, makes the NMI intercept exit at the first
 * moment the guest can take ours. */
static void svm_request_nmi_window(struct vcpu *v)
{
	struct svm_vcpu *s = v->backend;

	if (s->nmi_masked)
		return; /* the IRET intercept and its single step come first (nmi.c) */
	if (!(s->vmcb->control.event_inject & EVENT_VALID) &&
	    (s->vmcb->control.int_state & INT_SHADOW)) {
		svm_step_start(s, SVM_STEP_SHADOW);
		return;
	}
	if (lapic_send(v->apic_id, LAPIC_ICR_NMI) != E_OK)
		log_warn("CPU %u: an NMI waits for the next exit (local APIC disabled)", v->id);
}

/* The core runs with GIF clear; a CPU waiting for SIPI opens it for NMIs. */
static void svm_host_allow_events(bool allow)
{
	if (allow)
		__asm__ volatile("stgi" ::: "memory");
	else
		__asm__ volatile("clgi" ::: "memory");
}

/* With NPT the host's MTRRs type the guest's accesses (APM 15.25.8) and
 * the guest shares them: its accesses go to the CPU as they would bare.
 * (Unlike VT-x, no per-page type in the nested tables could stand in.) */
static enum err svm_mtrr_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *value)
{
	(void)v;
	if (write)
		return msr_write_safe(msr, *value) ? E_FAULT : E_OK;
	return msr_read_safe(msr, value) ? E_FAULT : E_OK;
}

const struct vm_ops svm_ops = {
	.name = "AMD SVM",
	.probe = svm_probe,
	.cpu_enable = svm_cpu_enable,
	.vcpu_init = svm_vcpu_init,
	.vcpu_run = svm_vcpu_run,
	.get_reg = svm_get_reg,
	.set_reg = svm_set_reg,
	.get_seg = svm_get_seg,
	.get_paging = svm_get_paging,
	.inject_exception = svm_inject_exception,
	.get_event_state = svm_get_event_state,
	.inject_nmi = svm_inject_nmi,
	.request_nmi_window = svm_request_nmi_window,
	.inject_interrupt = svm_inject_interrupt,
	.request_interrupt_window = svm_request_interrupt_window,
	.host_allow_events = svm_host_allow_events,
	.set_startup_state = svm_set_startup_state,
	.mtrr_access = svm_mtrr_access,
	.protect_page = svm_protect_page,
	.map_identity = svm_map_identity,
};
