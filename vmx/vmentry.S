/* int vmx_enter(struct gpregs *regs, bool launched, volatile uint32_t *test_icr)
 *
 * The world switch.  Host RSP in the VMCS is set here, to the slot holding
 * `regs`, so the exit path finds where to save the guest's registers; host
 * RIP is vmx_exit_entry.  RSP, RIP and RFLAGS of the guest live in the VMCS.
 *
 * The entry window: from the last look at the CPU's NMI count to the entry
 * instruction, an NMI (a kick, or the guest's own, taken in root mode)
 * would otherwise stay unseen until some later exit - forever for a guest
 * that spins without exits.  The core's NMI handler moves an NMI landing
 * in [vmx_entry_window_start, vmx_entry_window_end) to vmx_entry_abandon,
 * and the run loop looks again (SPEC.md item 1). */
#include "percpu.h"

#define VMCS_HOST_RSP 0x6C14

#define R_RAX 0
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
	.globl vmx_enter, vmx_exit_entry
	.globl vmx_entry_window_start, vmx_entry_window_end, vmx_entry_abandon
vmx_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi /* regs: at host RSP after an exit */
	movl $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jbe 7f
vmx_entry_window_start:
	movq %rsp, %rax
	andq $~(STACK_SIZE - 1), %rax
	movq STACK_PCPU_SLOT(%rax), %rax
	cmpl $0, PCPU_NMI_COUNT(%rax)
	jne vmx_entry_abandon
	testq %rdx, %rdx /* test hook: a self-NMI right after the last look */
	jz 2f
	movl $0x4400, (%rdx) /* ICR low: NMI, assert */
2:	testl %esi, %esi /* launched?  (MOVs below keep the flags) */
	movq R_RAX(%rdi), %rax
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
	jz 1f
	vmresume
	jmp 7f
1:	vmlaunch
vmx_entry_window_end:
7:	/* The entry instruction failed: CF VMfailInvalid, ZF VMfailValid. */
	movl $2, %eax
	jnc 9f
	movl $1, %eax
	jmp 9f
vmx_entry_abandon:
	movl $3, %eax
	jmp 9f

vmx_exit_entry: /* the benchmark plugin counts world switches here */
	pushq %rdi
	movq 8(%rsp), %rdi /* regs */
	movq %rax, R_RAX(%rdi)
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
	xorl %eax, %eax
9:	addq $8, %rsp /* regs */
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
