/* Multiboot v1 entry: the loader jumps here in 32-bit protected mode with
 * paging off, EAX = 0x2BADB002 and EBX = the multiboot information.  We
 * build page tables that map
 *   - 0..4 GiB identity (only to survive the switch to long mode),
 *   - 0..4 GiB at DIRECT_MAP_BASE (how C code reaches physical memory),
 *   - the image at KERNEL_VMA (4 KiB pages, from its load address),
 * enable long mode and call boot_main(magic, mbi) on the boot stack. */
#include "layout.h"

#define PHYS(x) ((x) - KERNEL_OFFSET)

#define MB_MAGIC 0x1BADB002
/* Page-align modules, give us the memory map, use the address fields below
 * (the "a.out kludge"): the image is a flat binary. */
#define MB_FLAGS 0x00010003

#define PTE_P  0x1
#define PTE_W  0x2
#define PTE_PS 0x80

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long PHYS(mb_header)
	.long PHYS(_image_start)
	.long PHYS(_data_end)
	.long PHYS(_bss_end)
	.long PHYS(entry32)

	/* A signature a loader (and a test) can look for at a fixed place. */
	.balign 16
	.ascii "SHOJI-IMAGE-V1\0\0"
	/* The rest of the image header (include/efi_handoff.h): the UEFI
	 * entry, the file size, the size in memory, as offsets. */
	.long efi_entry64 - KERNEL_VMA
	.long _data_end - KERNEL_VMA
	.long _bss_end - KERNEL_VMA
	.long 0

	.section .boot.text, "ax"
	.code32
	.globl entry32
entry32:
	cli
	cld
	movl %eax, %edi
	movl %ebx, %esi
	movl $PHYS(boot_stack_top), %esp

	/* Long mode is the least we need; say so on COM1 if it is missing. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode
	movl %edx, %ebp /* bit 20: NX */

	/* PML4: slot 0 (identity) and slot 256 (direct map) share one PDPT;
	 * slot 511 covers KERNEL_VMA. */
	movl $(PHYS(boot_pdpt_low) + PTE_P + PTE_W), %eax
	movl %eax, PHYS(boot_pml4)
	movl %eax, PHYS(boot_pml4) + 256 * 8
	movl $(PHYS(boot_pdpt_high) + PTE_P + PTE_W), %eax
	movl %eax, PHYS(boot_pml4) + 511 * 8

	/* Four page directories of 2 MiB pages: 0..4 GiB. */
	movl $PHYS(boot_pdpt_low), %ebx
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $(PHYS(boot_pd) + PTE_P + PTE_W), %eax
	movl %eax, (%ebx, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jb 1b

	movl $PHYS(boot_pd), %ebx
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P + PTE_W + PTE_PS), %eax
	movl %eax, (%ebx, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	/* KERNEL_VMA is slot 511 of its PDPT and slot 0 of its directory. */
	movl $(PHYS(boot_pd_high) + PTE_P + PTE_W), %eax
	movl %eax, PHYS(boot_pdpt_high) + 511 * 8
	movl $(PHYS(boot_pt_high) + PTE_P + PTE_W), %eax
	movl %eax, PHYS(boot_pd_high)
	movl $PHYS(boot_pt_high), %ebx
	xorl %ecx, %ecx
3:	movl %ecx, %eax
	shll $12, %eax
	addl $(PHYS(_image_start) + PTE_P + PTE_W), %eax
	movl %eax, (%ebx, %ecx, 8)
	incl %ecx
	cmpl $512, %ecx
	jb 3b

	movl %cr4, %eax
	orl $0x20, %eax /* PAE */
	movl %eax, %cr4
	movl $PHYS(boot_pml4), %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx /* EFER */
	rdmsr
	orl $0x100, %eax /* LME */
	btl $20, %ebp
	jnc 4f
	orl $0x800, %eax /* NXE, when the CPU has NX */
4:	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax /* PG, WP, PE */
	movl %eax, %cr0

	lgdt PHYS(boot_gdtr)
	ljmp $0x08, $PHYS(entry64_low)

no_long_mode:
	movl $PHYS(msg_no_long_mode), %esi
5:	lodsb
	testb %al, %al
	jz 7f
	movb %al, %bl
	movw $0x3FD, %dx
6:	inb %dx, %al
	testb $0x20, %al
	jz 6b
	movw $0x3F8, %dx
	movb %bl, %al
	outb %al, %dx
	jmp 5b
7:	hlt
	jmp 7b

	.code64
entry64_low:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $entry64, %rax
	jmp *%rax

	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF /* 0x08: 64-bit code */
	.quad 0x00CF92000000FFFF /* 0x10: data */
boot_gdtr:
	.word boot_gdtr - boot_gdt - 1
	.long PHYS(boot_gdt)

msg_no_long_mode:
	.asciz "shoji: this CPU has no 64-bit long mode; Shoji needs an x86-64 CPU\r\n"

	.text
entry64:
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	/* edi = multiboot magic, esi = information address (zero-extended). */
	call boot_main
8:	cli
	hlt
	jmp 8b

	.bss
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
	.globl boot_pdpt_low, boot_pdpt_high, boot_pd, boot_pd_high, boot_pt_high
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4 * 4096
boot_pd_high:	.skip 4096
boot_pt_high:	.skip 4096
boot_stack:	.skip BOOT_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:
