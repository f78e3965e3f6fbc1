/* Where an application processor starts when Shoji sends it SIPI: copied
 * to TRAMPOLINE_PA (SIPI vector 6), it goes from real mode through
 * protected mode to long mode with the page tables and stack the boot CPU
 * put in its parameter block, and jumps to ap_entry64 in the image. */
#include "smp_layout.h"

#define T(x) (TRAMPOLINE_PA + ((x) - ap_trampoline_start))

	.section .rodata.ap_trampoline, "a"
	.balign 16
	.globl ap_trampoline_start
ap_trampoline_start:
	.code16
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl T(tr_gdtr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $T(tr_pm32)

	.code32
tr_pm32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $0x20, %eax /* PAE */
	movl %eax, %cr4
	movl T(tr_cr3), %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx /* EFER */
	rdmsr
	orl T(tr_efer), %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax /* PG, WP, PE */
	movl %eax, %cr0
	ljmpl $0x18, $T(tr_lm64)

	.code64
tr_lm64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq T(tr_stack), %rsp
	movq T(tr_entry), %rax
	jmp *%rax

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF /* 0x08: 32-bit code */
	.quad 0x00CF92000000FFFF /* 0x10: data */
	.quad 0x00AF9A000000FFFF /* 0x18: 64-bit code */
tr_gdtr:
	.word tr_gdtr - tr_gdt - 1
	.long T(tr_gdt)
	.balign 8
	/* Filled in by the boot CPU (struct ap_params in smp.c). */
	.globl ap_trampoline_params
ap_trampoline_params:
tr_cr3: .long 0
tr_efer: .long 0
tr_stack: .quad 0
tr_entry: .quad 0
	.globl ap_trampoline_end
ap_trampoline_end:

	.text
	/* The AP arrives here in long mode, on its boot stack. */
	.globl ap_entry64
ap_entry64:
	xorl %ebp, %ebp
	call ap_main
1:	cli
	hlt
	jmp 1b
