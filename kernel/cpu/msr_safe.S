/* MSR access for the guest's sake.  A #GP on the access jumps to the fixup
 * (kernel/cpu/trap.c looks the faulting RIP up in .extable) and the caller
 * gets -1, which it turns into a #GP for the guest. */

	.text
	/* int msr_read_safe(uint32_t msr, uint64_t *value) */
	.globl msr_read_safe
msr_read_safe:
	movl %edi, %ecx
1:	rdmsr
	shlq $32, %rdx
	movl %eax, %eax
	orq %rdx, %rax
	movq %rax, (%rsi)
	xorl %eax, %eax
	ret
2:	movl $-1, %eax
	ret
	.pushsection .extable, "a"
	.quad 1b, 2b
	.popsection

	/* int msr_write_safe(uint32_t msr, uint64_t value) */
	.globl msr_write_safe
msr_write_safe:
	movl %edi, %ecx
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
3:	wrmsr
	xorl %eax, %eax
	ret
4:	movl $-1, %eax
	ret
	.pushsection .extable, "a"
	.quad 3b, 4b
	.popsection

	/* int xsetbv_safe(uint32_t xcr, uint64_t value): XSETBV for the guest
	 * (VT-x exits on each); the CPU's own #GP checks decide. */
	.globl xsetbv_safe
xsetbv_safe:
	movl %edi, %ecx
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
5:	xsetbv
	xorl %eax, %eax
	ret
6:	movl $-1, %eax
	ret
	.pushsection .extable, "a"
	.quad 5b, 6b
	.popsection
