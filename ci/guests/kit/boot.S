/* Multiboot entry of a micro-guest.  The header has no address fields:
 * the loader must read the ELF program headers (ELF32 or ELF64). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.boot, "ax"
	.code32
	.globl kit_entry32
kit_entry32:
	cli
	cld
	movl %eax, %edi
	movl %ebx, %esi
	movl $kit_stack_top, %esp
	/* 0-4 GiB identity map with 2 MiB pages. */
	movl $kit_pdpt + 3, %eax
	movl %eax, kit_pml4
	movl $kit_pdpt, %ebx
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $kit_pd + 3, %eax
	movl %eax, (%ebx, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jb 1b
	movl $kit_pd, %ebx
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, (%ebx, %ecx, 8)
	movl $0, 4(%ebx, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b
	movl %cr4, %eax
	orl $0x20, %eax
	movl %eax, %cr4
	movl $kit_pml4, %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax
	movl %eax, %cr0
	lgdt kit_gdtr
	ljmp $0x08, $kit_entry64

	.code64
kit_entry64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $kit_stack_top, %rsp
	call kit_main
3:	hlt
	jmp 3b

	.section .rodata
	.balign 8
kit_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF
	.quad 0x00CF92000000FFFF
kit_gdtr:
	.word kit_gdtr - kit_gdt - 1
	.quad kit_gdt

	.bss
	.balign 4096
kit_pml4: .skip 4096
kit_pdpt: .skip 4096
kit_pd: .skip 4 * 4096
	.balign 16
	.skip 16384
kit_stack_top:
