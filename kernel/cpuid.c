/* CPUID exits: the real answer, filtered (kernel/cpuid_filter.c). */
#include "config.h"
#include "cpuid_filter.h"
#include "exit.h"
#include "test_hooks.h"
#include "x86.h"

void vmexit_cpuid(struct vcpu *v, struct vm_exit *e)
{
	uint32_t leaf = (uint32_t)v->regs.rax, subleaf = (uint32_t)v->regs.rcx;
	struct cpuid_regs r;

	if (__builtin_expect((leaf & 0xF0000000) == 0x40000000 && core_config->test_hooks, 0) &&
	    test_hook_cpuid(v, leaf, subleaf)) {
		vcpu_skip_insn(v, e); /* the hook answered in v->regs */
		return;
	}
	cpuid(leaf, subleaf, &r);
	struct cpuid_result out = { r.eax, r.ebx, r.ecx, r.edx };

	/* Only leaves 1 and 7 mirror CR4 bits: read it only for them. */
	cpuid_filter(leaf, subleaf, (leaf == 1 || leaf == 7) ? vm_backend->get_reg(v, VM_REG_CR4) : 0,
		     &out);
	v->regs.rax = out.eax;
	v->regs.rbx = out.ebx;
	v->regs.rcx = out.ecx;
	v->regs.rdx = out.edx;
	vcpu_skip_insn(v, e);
}
