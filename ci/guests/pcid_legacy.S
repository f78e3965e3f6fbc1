/* The pcid micro-guest's excursions out of 64-bit mode, with their own
 * GDT (adds a 32-bit code segment, 0x18) and #GP gates:
 *
 *   int pcid_compat_clear_pg(void): in compatibility mode, clears CR0.PG
 *     (which leaves IA-32e mode).  13 if that was #GP (IA-32e mode still
 *     active: the 64-bit gate catches it); -1 if it was allowed, after
 *     turning paging, and so IA-32e mode, back on.
 *   int pcid_legacy_set_pcide(void): leaves IA-32e mode (PG off: LMA = 0)
 *     and sets CR4.PCIDE.  13 if that was #GP (a 32-bit gate catches it);
 *     -1 if it was accepted (then cleared again).  Back to 64-bit mode.
 *
 * Both return in 64-bit mode with the kit's IDT and this GDT (whose 0x08
 * and 0x10 are the kit's).  Everything is identity-mapped below 4 GiB, so
 * the code runs on with paging off. */
#define CR0_PG 0x80000000
#define CR4_PCIDE 0x20000
#define GP 13

	.data
	.balign 16
pcid_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF /* 0x08: 64-bit code, as the kit's */
	.quad 0x00CF92000000FFFF /* 0x10: flat data, as the kit's */
	.quad 0x00CF9A000000FFFF /* 0x18: 32-bit code */
pcid_gdtr:
	.word 4 * 8 - 1
	.quad pcid_gdt
	.balign 16
idt64:	.skip 16 * (GP + 1)
idt64r:	.word 16 * (GP + 1) - 1
	.quad idt64
	.balign 8
idt32:	.skip 8 * (GP + 1)
idt32r:	.word 8 * (GP + 1) - 1
	.long idt32
saved_idtr: .word 0
	.quad 0
saved_rsp: .quad 0
result:	.long 0

	.text
	.code64
/* Saves what the excursion changes and installs the #GP gates. */
enter:
	sidt saved_idtr
	lgdt pcid_gdtr
	movl $gp64_handler, %eax
	movw %ax, idt64 + 16 * GP
	movw $0x08, idt64 + 16 * GP + 2
	movw $0x8E00, idt64 + 16 * GP + 4
	shrl $16, %eax
	movw %ax, idt64 + 16 * GP + 6
	movl $0, idt64 + 16 * GP + 8
	movl $gp32_handler, %eax
	movw %ax, idt32 + 8 * GP
	movw $0x18, idt32 + 8 * GP + 2
	movw $0x8E00, idt32 + 8 * GP + 4
	shrl $16, %eax
	movw %ax, idt32 + 8 * GP + 6
	lidt idt64r
	movl $-1, result
	ret

	.globl pcid_compat_clear_pg
pcid_compat_clear_pg:
	movq %rsp, saved_rsp
	call enter
	pushq $0x18
	pushq $1f
	lretq
	.code32
1:	movl %cr0, %eax
	andl $~CR0_PG, %eax
	movl %eax, %cr0 /* with PCIDE: #GP, to gp64_handler */
	orl $CR0_PG, %eax /* allowed: IA-32e mode again (EFER.LME is still set) */
	movl %eax, %cr0
	ljmp $0x08, $back64
	.code64

	.globl pcid_legacy_set_pcide
pcid_legacy_set_pcide:
	movq %rsp, saved_rsp
	call enter
	pushq $0x18
	pushq $1f
	lretq
	.code32
1:	movl %cr0, %eax
	andl $~CR0_PG, %eax
	movl %eax, %cr0 /* compatibility mode may: now EFER.LMA = 0 */
	lidt idt32r
	movl %cr4, %eax
	orl $CR4_PCIDE, %eax
	movl %eax, %cr4 /* #GP expected, to gp32_handler */
	andl $~CR4_PCIDE, %eax
	movl %eax, %cr4
legacy_resume:
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0 /* IA-32e mode again, in compatibility mode */
	ljmp $0x08, $back64

gp32_handler: /* legacy protected mode, CS 0x18 */
	movl $GP, result
	jmp legacy_resume
	.code64

gp64_handler: /* IA-32e mode, CS 0x08 */
	movl $GP, result
back64:
	movq saved_rsp, %rsp
	lidt saved_idtr
	movl result, %eax
	ret
