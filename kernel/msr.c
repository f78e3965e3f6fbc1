/* Intercepted MSRs (the table and its reasons: intercept_rules.c).  A
 * refused access is a #GP for the guest, as a real CPU would give. */
#include "apic_trap.h"
#include "cpu_features.h"
#include "exit.h"
#include "intercept.h"
#include "log.h"
#include "mm.h"
#include "msr_values.h"
#include "x86.h"

#define FEATURE_CONTROL_LOCK BIT(0)
#define FEATURE_CONTROL_VMXON_SMX BIT(1)
#define FEATURE_CONTROL_VMXON BIT(2)
#define VM_CR_LOCK BIT(3)
#define VM_CR_SVMDIS BIT(4)
#define MSR_TSC_DEADLINE 0x6E0
#define MSR_TSC_ADJUST 0x3B
#define MSR_DEBUGCTL 0x1D9
#define MSR_XSS 0xDA0
#define CPUID1_ECX_TSC_DEADLINE BIT(24)
#define CPUID_D1_EAX_XSAVES BIT(3)

static bool has_tsc_deadline(void)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	return r.ecx & CPUID1_ECX_TSC_DEADLINE;
}

/* The guest's IA32_TSC_DEADLINE is the host's (the guest owns its local
 * APIC) translated by the offset: the host value is 0 once the timer fired
 * or was disarmed, or if the timer is not in TSC-deadline mode (writes are
 * then ignored, SDM 10.5.4.1), and the guest reads 0 then too.  A CPU
 * without the timer gets the access as it is (QEMU's TCG reads 0 and
 * drops writes; a real one would #GP). */
static enum err tsc_deadline_read(struct vcpu *v, uint64_t *value)
{
	uint64_t host;

	if (msr_read_safe(MSR_TSC_DEADLINE, &host))
		return E_FAULT;
	*value = host && has_tsc_deadline() ? host + vm_backend->get_reg(v, VM_REG_TSC_OFFSET)
					    : host;
	return E_OK;
}

static enum err tsc_deadline_write(struct vcpu *v, uint64_t value)
{
	uint64_t host = value;

	if (has_tsc_deadline())
		host = tsc_deadline_to_host(value, vm_backend->get_reg(v, VM_REG_TSC_OFFSET),
					    rdtsc());
	return msr_write_safe(MSR_TSC_DEADLINE, host) ? E_FAULT : E_OK;
}

/* Moves this vCPU's TSC offset (and nothing else's: each vCPU's changes
 * only by its own writes).  An armed deadline keeps its guest value, as
 * on a CPU whose TSC is written while the timer waits. */
static void tsc_view_apply(struct vcpu *v, const struct tsc_view *t)
{
	uint64_t deadline = 0;
	bool armed = has_tsc_deadline() && tsc_deadline_read(v, &deadline) == E_OK && deadline;

	vm_backend->set_reg(v, VM_REG_TSC_OFFSET, t->offset);
	v->tsc_adjust = t->adjust;
	if (armed)
		tsc_deadline_write(v, deadline);
}

static enum err tsc_write(struct vcpu *v, uint32_t msr, uint64_t value)
{
	struct tsc_view t = { vm_backend->get_reg(v, VM_REG_TSC_OFFSET), v->tsc_adjust };

	if (msr == MSR_TSC_ADJUST) {
		if (!cpu_features.tsc_adjust)
			return E_FAULT;
		tsc_view_write_adjust(&t, value);
	} else {
		tsc_view_write_tsc(&t, value, rdtsc());
	}
	tsc_view_apply(v, &t);
	return E_OK;
}

/* IA32_DEBUGCTL: reserved bits #GP (a back end's hardware might take them
 * silently or fail the next entry); the rest goes where the guest runs
 * with it (VT-x: the VMCS guest field, SVM: see svm/vmcb.c). */
static enum err debugctl_write(struct vcpu *v, uint64_t value)
{
	struct cpuid_regs l1, l7 = { 0 }, la = { 0 }, l0;

	cpuid(0, 0, &l0);
	cpuid(1, 0, &l1);
	if (l0.eax >= 7)
		cpuid(7, 0, &l7);
	if (l0.eax >= 0xA)
		cpuid(0xA, 0, &la);
	if (value & ~debugctl_valid_bits(l1.ecx, l1.edx, l7.ebx, la.eax))
		return E_FAULT;
	vm_backend->set_reg(v, VM_REG_DEBUGCTL, value);
	return E_OK;
}

/* IA32_XSS: only the bits CPUID.(0xD,1) reports (SDM 13.3); the MSR exists
 * only with XSAVES.  Neither back end switches it and Shoji never uses
 * XSAVES: the real MSR is the guest's. */
static enum err xss_write(uint64_t value)
{
	struct cpuid_regs l0, r;

	cpuid(0, 0, &l0);
	if (l0.eax < 0xD)
		return E_FAULT;
	cpuid(0xD, 1, &r);
	if (!(r.eax & CPUID_D1_EAX_XSAVES) || (value & ~xss_valid_bits(r.ecx, r.edx)))
		return E_FAULT;
	return msr_write_safe(MSR_XSS, value) ? E_FAULT : E_OK;
}

static enum err msr_emulate_read(struct vcpu *v, const struct msr_rule *rule, uint64_t *value)
{
	switch (rule->emul) {
	case MSR_EMUL_EFER:
		*value = vm_backend->get_reg(v, VM_REG_EFER) & ~EFER_SVME;
		return E_OK;
	case MSR_EMUL_TSC_ADJUST:
		if (!cpu_features.tsc_adjust)
			return E_FAULT;
		*value = v->tsc_adjust;
		return E_OK;
	case MSR_EMUL_VM_CR:
		*value = VM_CR_SVMDIS | VM_CR_LOCK;
		return E_OK;
	case MSR_EMUL_ZERO_RO:
		*value = 0;
		return E_OK;
	case MSR_EMUL_MTRR:
		return vm_backend->mtrr_access(v, rule->msr, false, value);
	case MSR_EMUL_ABSENT:
		return E_FAULT;
	case MSR_EMUL_FEATURE_CONTROL:
		if (msr_read_safe(rule->msr, value))
			return E_FAULT;
		*value = (*value & ~(uint64_t)(FEATURE_CONTROL_VMXON_SMX | FEATURE_CONTROL_VMXON)) |
			 FEATURE_CONTROL_LOCK;
		return E_OK;
	case MSR_EMUL_TSC_DEADLINE:
		return tsc_deadline_read(v, value);
	case MSR_EMUL_DEBUGCTL:
		*value = vm_backend->get_reg(v, VM_REG_DEBUGCTL);
		return E_OK;
	case MSR_EMUL_TSC:
	case MSR_EMUL_XSS:
	case MSR_EMUL_APIC_BASE:
	case MSR_EMUL_READ_ONLY:
	case MSR_EMUL_X2APIC_ICR:
		break;
	}
	return msr_read_safe(rule->msr, value) ? E_FAULT : E_OK;
}

static enum err efer_write(struct vcpu *v, uint64_t value)
{
	uint64_t old = vm_backend->get_reg(v, VM_REG_EFER);
	uint64_t cr0 = vm_backend->get_reg(v, VM_REG_CR0);

	/* LMA is the CPU's to set; a write that differs only there is fine. */
	value &= ~EFER_LMA;
	if (value & ~cpu_features.efer_writable)
		return E_FAULT; /* reserved bits, SVME among them */
	if ((cr0 & CR0_PG) && ((value ^ old) & EFER_LME))
		return E_FAULT; /* SDM/APM: LME changes only with paging off */
	vm_backend->set_reg(v, VM_REG_EFER, value | (old & EFER_LMA) | EFER_SVME);
	return E_OK;
}

static enum err msr_emulate_write(struct vcpu *v, const struct msr_rule *rule, uint64_t value)
{
	switch (rule->emul) {
	case MSR_EMUL_EFER:
		return efer_write(v, value);
	case MSR_EMUL_TSC:
	case MSR_EMUL_TSC_ADJUST:
		return tsc_write(v, rule->msr, value);
	case MSR_EMUL_TSC_DEADLINE:
		return tsc_deadline_write(v, value);
	case MSR_EMUL_DEBUGCTL:
		return debugctl_write(v, value);
	case MSR_EMUL_XSS:
		return xss_write(value);
	case MSR_EMUL_APIC_BASE:
		return apic_base_write(v, value);
	case MSR_EMUL_X2APIC_ICR:
		return apic_x2apic_icr_write(v, value);
	case MSR_EMUL_READ_ONLY:
		log_warn("guest write of %#lx to %s refused (%s)", value, rule->name, rule->reason);
		return E_FAULT;
	case MSR_EMUL_MTRR:
		return vm_backend->mtrr_access(v, rule->msr, true, &value);
	case MSR_EMUL_VM_CR:
	case MSR_EMUL_ZERO_RO:
	case MSR_EMUL_ABSENT:
	case MSR_EMUL_FEATURE_CONTROL:
		return E_FAULT;
	}
	return E_FAULT;
}

void vmexit_msr(struct vcpu *v, struct vm_exit *e)
{
	const struct msr_rule *rule = msr_rule_find(e->msr.msr);
	uint64_t value = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	enum err r;

	if (!rule) {
		/* Not ours (a back end may exit on MSRs its bitmap cannot
		 * describe): do the access for the guest. */
		r = e->msr.write ? (msr_write_safe(e->msr.msr, value) ? E_FAULT : E_OK)
				 : (msr_read_safe(e->msr.msr, &value) ? E_FAULT : E_OK);
	} else if (e->msr.write) {
		r = msr_emulate_write(v, rule, value);
	} else {
		r = msr_emulate_read(v, rule, &value);
	}
	if (r != E_OK) {
		vcpu_inject_gp(v);
		return;
	}
	if (!e->msr.write) {
		v->regs.rax = (uint32_t)value;
		v->regs.rdx = value >> 32;
	}
	vcpu_skip_insn(v, e);
}
