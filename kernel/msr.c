/* Intercepted MSRs (the table and its reasons: intercept_rules.c).  A
 * refused access is a #GP for the guest, as a real CPU would give. */
#include "apic_trap.h"
#include "cpu_features.h"
#include "exit.h"
#include "intercept.h"
#include "log.h"
#include "mm.h"
#include "x86.h"

#define FEATURE_CONTROL_LOCK BIT(0)
#define FEATURE_CONTROL_VMXON_SMX BIT(1)
#define FEATURE_CONTROL_VMXON BIT(2)
#define VM_CR_LOCK BIT(3)
#define VM_CR_SVMDIS BIT(4)

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
	case MSR_EMUL_TSC:
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
		/* Guest TSC = host TSC + offset: make it read `value` now. */
		vm_backend->set_reg(v, VM_REG_TSC_OFFSET, value - rdtsc());
		return E_OK;
	case MSR_EMUL_TSC_ADJUST:
		if (!cpu_features.tsc_adjust)
			return E_FAULT;
		/* SDM 17.17.3: a TSC_ADJUST write moves the TSC by the change. */
		vm_backend->set_reg(v, VM_REG_TSC_OFFSET,
				    vm_backend->get_reg(v, VM_REG_TSC_OFFSET) + (value - v->tsc_adjust));
		v->tsc_adjust = value;
		return E_OK;
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
