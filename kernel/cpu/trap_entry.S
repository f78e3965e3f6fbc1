/* Host IDT entry points.  Exceptions build a struct trap_frame and call
 * trap_dispatch(); the NMI entry only counts (SPEC.md item 4: it runs on its
 * own IST stack, finds its CPU through that stack, never through %gs). */
#include "percpu.h"

	.macro TRAP_NOERR vec
	.globl trap_entry_\vec
trap_entry_\vec:
	pushq $0
	pushq $\vec
	jmp trap_common
	.endm

	.macro TRAP_ERR vec
	.globl trap_entry_\vec
trap_entry_\vec:
	pushq $\vec
	jmp trap_common
	.endm

	.text
TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR 8
TRAP_NOERR 9
TRAP_ERR 10
TRAP_ERR 11
TRAP_ERR 12
TRAP_ERR 13
TRAP_ERR 14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR 17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR 21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR 29
TRAP_ERR 30
TRAP_NOERR 31
	/* Any vector above 31 in host mode: the core runs with IF=0, so this
	 * is a spurious or misrouted interrupt; reported with vector 255. */
TRAP_NOERR 255

trap_common:
	cld
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp /* vector, error code */
	iretq

	.globl trap_entry_nmi
trap_entry_nmi:
	pushq %rax
	pushq %rbx
	movq %rsp, %rax
	andq $~(STACK_SIZE - 1), %rax
	movq STACK_PCPU_SLOT(%rax), %rax
	lock incl PCPU_NMI_COUNT(%rax)
	/* Interrupted inside park_wait before its HLT ran?  Resume after
	 * the HLT, or the wake-up this NMI brings would be slept through. */
	movq 16(%rsp), %rax
	movabsq $park_window_start, %rbx
	cmpq %rbx, %rax
	jb 1f
	movabsq $park_window_end, %rbx
	cmpq %rbx, %rax
	jae 1f
	movq %rbx, 16(%rsp)
	jmp 2f
	/* Interrupted in VT-x's entry window (vmx/vmentry.S)?  Abandon the
	 * entry, so the run loop sees this NMI before the guest runs on.
	 * The window's bounds come from vmx_entry_window (vmx/entry_window.S). */
1:	movabsq $vmx_entry_window, %rbx
	cmpq (%rbx), %rax
	jb 2f
	cmpq 8(%rbx), %rax
	jae 2f
	movabsq $vmx_entry_abandon, %rbx
	movq %rbx, 16(%rsp)
2:	popq %rbx
	popq %rax
	iretq
