/* Exception entry for micro-guests, and kit_catch(): a test runs code that
 * may fault and gets the vector back instead of dying. */

	.macro STUB vec, has_error
	.globl kit_trap_\vec
kit_trap_\vec:
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vec
	jmp kit_trap_common
	.endm

	.text
	STUB 0, 0
	STUB 1, 0
	STUB 2, 0
	STUB 3, 0
	STUB 4, 0
	STUB 5, 0
	STUB 6, 0
	STUB 7, 0
	STUB 8, 1
	STUB 9, 0
	STUB 10, 1
	STUB 11, 1
	STUB 12, 1
	STUB 13, 1
	STUB 14, 1
	STUB 15, 0
	STUB 16, 0
	STUB 17, 1
	STUB 18, 0
	STUB 19, 0
	STUB 20, 0
	STUB 21, 1
	STUB 22, 0
	STUB 23, 0
	STUB 24, 0
	STUB 25, 0
	STUB 26, 0
	STUB 27, 0
	STUB 28, 0
	STUB 29, 1
	STUB 30, 1
	STUB 31, 0

	/* Frame: vector, error, rip, cs, rflags, rsp, ss. */
kit_trap_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	movq %rsp, %rdi
	call kit_trap_handler /* returns if a kit_catch is active or a handler is set */
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp
	iretq

	/* int kit_catch(void (*fn)(void *), void *arg) */
	.globl kit_catch
kit_catch:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, kit_catch_rsp(%rip)
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	movl $-1, %eax
	jmp 1f
	.globl kit_catch_resume
kit_catch_resume: /* the trap handler sends us here with eax = vector */
	movq kit_catch_rsp(%rip), %rsp
1:	movq $0, kit_catch_rsp(%rip)
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.bss
	.balign 8
	.globl kit_catch_rsp
kit_catch_rsp: .quad 0
