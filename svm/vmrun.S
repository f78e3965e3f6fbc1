/* void svm_vmrun(struct gpregs *regs, paddr_t vmcb_pa, paddr_t host_vmcb_pa)
 *
 * The world switch.  GIF is clear on entry (the core runs with GIF clear;
 * #VMEXIT clears it again), so nothing - NMI, SMI, interrupt - can come
 * between VMLOAD of the guest's TR/FS/GS/syscall MSRs and VMLOAD of the
 * host's (SPEC.md item 1: an NMI that arrives after the core's last check
 * stays pending and is taken by the guest right after VMRUN).  RAX, RSP,
 * RIP and RFLAGS travel in the VMCB; the other guest GPRs in *regs. */

#include "gpregs_asm.h"


	.text
	.globl svm_vmrun
svm_vmrun:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi /* regs */
	pushq %rdx /* host VMCB */
	movq %rsi, %rax
	GPRS_LOAD %rdi
	movq GPR_RDI(%rdi), %rdi
	vmload %rax
	vmrun %rax
	.globl svm_vmrun_exit
svm_vmrun_exit: /* the benchmark plugin counts world switches here */
	vmsave %rax
	pushq %rdi
	movq 16(%rsp), %rdi /* regs */
	GPRS_STORE %rdi
	popq GPR_RDI(%rdi)
	popq %rax /* host VMCB */
	vmload %rax
	popq %rdi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
