/* void svm_vmrun(struct gpregs *regs, paddr_t vmcb_pa, paddr_t host_vmcb_pa)
 *
 * The world switch.  GIF is clear on entry (the core runs with GIF clear;
 * #VMEXIT clears it again), so nothing - NMI, SMI, interrupt - can come
 * between VMLOAD of the guest's TR/FS/GS/syscall MSRs and VMLOAD of the
 * host's (SPEC.md item 1: an NMI that arrives after the core's last check
 * stays pending and is taken by the guest right after VMRUN).  RAX, RSP,
 * RIP and RFLAGS travel in the VMCB; the other guest GPRs in *regs. */

#define R_RBX 8
#define R_RCX 16
#define R_RDX 24
#define R_RSI 32
#define R_RDI 40
#define R_RBP 48
#define R_R8 56
#define R_R9 64
#define R_R10 72
#define R_R11 80
#define R_R12 88
#define R_R13 96
#define R_R14 104
#define R_R15 112

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
	movq R_RBX(%rdi), %rbx
	movq R_RCX(%rdi), %rcx
	movq R_RDX(%rdi), %rdx
	movq R_RSI(%rdi), %rsi
	movq R_RBP(%rdi), %rbp
	movq R_R8(%rdi), %r8
	movq R_R9(%rdi), %r9
	movq R_R10(%rdi), %r10
	movq R_R11(%rdi), %r11
	movq R_R12(%rdi), %r12
	movq R_R13(%rdi), %r13
	movq R_R14(%rdi), %r14
	movq R_R15(%rdi), %r15
	movq R_RDI(%rdi), %rdi
	vmload %rax
	vmrun %rax
	.globl svm_vmrun_exit
svm_vmrun_exit: /* the benchmark plugin counts world switches here */
	vmsave %rax
	pushq %rdi
	movq 16(%rsp), %rdi /* regs */
	movq %rbx, R_RBX(%rdi)
	movq %rcx, R_RCX(%rdi)
	movq %rdx, R_RDX(%rdi)
	movq %rsi, R_RSI(%rdi)
	movq %rbp, R_RBP(%rdi)
	movq %r8, R_R8(%rdi)
	movq %r9, R_R9(%rdi)
	movq %r10, R_R10(%rdi)
	movq %r11, R_R11(%rdi)
	movq %r12, R_R12(%rdi)
	movq %r13, R_R13(%rdi)
	movq %r14, R_R14(%rdi)
	movq %r15, R_R15(%rdi)
	popq R_RDI(%rdi)
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
