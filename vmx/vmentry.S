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
#include "gpregs_asm.h"
#include "percpu.h"

#define VMCS_HOST_RSP 0x6C14


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
	movq GPR_RAX(%rdi), %rax
	GPRS_LOAD %rdi
	movq GPR_RDI(%rdi), %rdi
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
	movq %rax, GPR_RAX(%rdi)
	GPRS_STORE %rdi
	popq GPR_RDI(%rdi)
	xorl %eax, %eax
9:	addq $8, %rsp /* regs */
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
