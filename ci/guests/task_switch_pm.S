/* The task-switch micro-guest's 32-bit excursion (task_switch.c builds the
 * GDT, TSSes and IDT it uses and checks what it recorded):
 *
 *   void ts_run(void): from 64-bit mode loads ts_gdtr, drops to 32-bit
 *     protected mode without paging (EFER.LMA = 0), loads ts_idtr and TR
 *     (task 0), then switches tasks every way there is, in this order:
 *     JMP to a TSS and through a task gate (task J, which JMPs back), CALL
 *     to a TSS and through a gate (task C, which IRETs back), INT 0x40,
 *     INT3, INTO, #UD, #GP(0x7F8), JMP to the busy task 0 (#GP(0x20)), an
 *     NMI and an external interrupt (0x41), each through a task gate in the
 *     IDT to task H.  Back in 64-bit mode with the caller's GDT and IDT.
 *
 * Every task entered calls `record`, which appends to ts_rec what the
 * switch left: task 0's saved EIP, TR, EFLAGS, the new task's back link,
 * both TSS descriptors' type bytes, CR0 (and, for H, an error code it pops
 * when ts_expect_err says one was pushed).  Each task's ESI holds its own
 * TSS's address.  For faults H moves task 0's saved EIP to ts_resume, so
 * the IRET does not run the faulting instruction again. */
#define CR0_PG 0x80000000
#define CR0_TS 0x8
#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_CODE32 0x18
#define SEL_T0 0x20
#define SEL_TJ 0x28
#define SEL_TC 0x30
#define SEL_GATE_J 0x40
#define SEL_GATE_C 0x48
#define TSS_EIP 32
#define APIC 0xFEE00000
#define TS_MAX_REC 16 /* as in task_switch.c */

	.data
	.balign 16
saved_gdtr: .word 0
	.quad 0
saved_idtr: .word 0
	.quad 0
saved_rsp: .quad 0

	.text
	.code64
	.globl ts_run
ts_run:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, saved_rsp
	sgdt saved_gdtr
	sidt saved_idtr
	lgdt ts_gdtr
	pushq $SEL_CODE32
	pushq $1f
	lretq
	.code32
1:	movl %cr0, %eax
	andl $~CR0_PG, %eax
	movl %eax, %cr0 /* compatibility mode may: now EFER.LMA = 0 */
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	lidt ts_idtr
	movw $SEL_T0, %ax
	ltr %ax
	movl $ts_tss, %esi

	ljmp $SEL_TJ, $0
	.globl ts_after_jmp
ts_after_jmp:
	ljmp $SEL_GATE_J, $0
	.globl ts_after_jmp_gate
ts_after_jmp_gate:
	lcall $SEL_TC, $0
	.globl ts_after_call
ts_after_call:
	lcall $SEL_GATE_C, $0
	.globl ts_after_call_gate
ts_after_call_gate:
	int $0x40
	.globl ts_after_int
ts_after_int:
	int3
	.globl ts_after_int3
ts_after_int3:
	movl $0x7FFFFFFF, %eax
	addl $1, %eax /* OF */
	into
	.globl ts_after_into
ts_after_into:
	movl $ts_after_ud, ts_resume
	.globl ts_ud
ts_ud:	ud2
ts_after_ud:
	movl $1, ts_expect_err
	movl $ts_after_gp, ts_resume
	movw $0x7F8, %ax /* beyond the GDT's limit */
	.globl ts_gp
ts_gp:	movw %ax, %fs
ts_after_gp:
	movl $ts_after_busy, ts_resume
	.globl ts_busy
ts_busy:
	ljmp $SEL_T0, $0 /* task 0 is busy: #GP(0x20) */
ts_after_busy:
	movl $0, ts_expect_err
	movw $SEL_DATA, %ax
	movw %ax, %fs

	/* An NMI to this CPU's own APIC ID (the "self" shorthand takes fixed
	 * interrupts only). */
	movl APIC + 0x20, %eax
	andl $0xFF000000, %eax
	movl %eax, APIC + 0x310
	movl ts_nrec, %ecx
	movl $0x4400, %eax /* NMI, assert */
	.globl ts_nmi_from
ts_nmi_from:
	movl %eax, APIC + 0x300
	movl $20000000, %edx
2:	cmpl ts_nrec, %ecx
	jne 3f
	decl %edx
	jnz 2b
	.globl ts_nmi_to
ts_nmi_to:
3:
	/* A fixed self-IPI, held by IF = 0 until the STI's shadow ends. */
	movl ts_nrec, %ecx
	movl $(1 << 18) | 0x41, %eax
	movl %eax, APIC + 0x300
	movl $1, ts_eoi
	.globl ts_irq_from
ts_irq_from:
	sti
	nop
	movl $20000000, %edx
4:	cmpl ts_nrec, %ecx
	jne 5f
	decl %edx
	jnz 4b
5:	cli
	.globl ts_irq_to
ts_irq_to:
	movl $0, ts_eoi

	movl %cr0, %eax
	movl %eax, ts_cr0_after
	clts /* the kit's 64-bit code may use the FPU */
	orl $CR0_PG, %eax
	movl %eax, %cr0 /* IA-32e mode again, in compatibility mode */
	ljmp $SEL_CODE64, $back64
	.code64
back64:
	movq saved_rsp, %rsp
	lgdt saved_gdtr
	lidt saved_idtr
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.code32
/* Appends a record; leaves %ebx pointing at it.  Clobbers %eax. */
record:
	movl ts_nrec, %ebx
	cmpl $TS_MAX_REC, %ebx
	jb 1f
	movl $TS_MAX_REC - 1, %ebx /* overflow: keep overwriting the last */
1:	shll $5, %ebx
	addl $ts_rec, %ebx
	movl ts_tss + TSS_EIP, %eax
	movl %eax, 0(%ebx)
	xorl %eax, %eax
	str %ax
	movl %eax, 4(%ebx)
	movzbl ts_gdt + 5(%eax), %eax
	movl %eax, 20(%ebx)
	pushfl
	popl %eax
	movl %eax, 8(%ebx)
	movl (%esi), %eax
	movl %eax, 12(%ebx)
	movzbl ts_gdt + SEL_T0 + 5, %eax
	movl %eax, 16(%ebx)
	movl %cr0, %eax
	movl %eax, 24(%ebx)
	movl $0, 28(%ebx)
	incl ts_nrec
	ret

/* Task J: entered by JMP; JMPs back, and its next entry resumes after. */
	.globl ts_task_j
ts_task_j:
	call record
	ljmp $SEL_T0, $0
	.globl ts_task_j_resume
ts_task_j_resume:
	jmp ts_task_j

/* Task C: entered by CALL (NT set); IRETs back to task 0. */
	.globl ts_task_c
ts_task_c:
	call record
	iret
	.globl ts_task_c_resume
ts_task_c_resume:
	jmp ts_task_c

/* Task H: every IDT task gate leads here. */
	.globl ts_task_h
ts_task_h:
	call record
	cmpl $0, ts_expect_err
	je 1f
	popl 28(%ebx)
1:	movl ts_resume, %eax
	testl %eax, %eax
	jz 2f
	movl %eax, ts_tss + TSS_EIP
	movl $0, ts_resume
2:	cmpl $0, ts_eoi
	je 3f
	movl $0, APIC + 0xB0
3:	iret
	.globl ts_task_h_resume
ts_task_h_resume:
	jmp ts_task_h
