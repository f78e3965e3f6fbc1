/* The UEFI entry: the loader (kernel/boot/efi/) calls
 *     uint64_t efi_entry64(struct efi_handoff *handoff)
 * in the firmware's long mode, SysV ABI, with the image at the start of
 * the reserved region and the firmware's page tables mapping memory
 * one-to-one.  We save the firmware's CPU state (efi_capture.h) - the
 * guest resumes it, returning 0 from this call - and build the same boot
 * page tables as the multiboot entry (0..4 GiB identity and at
 * DIRECT_MAP_BASE, the image at KERNEL_VMA), for wherever the image lies.
 * Until the switch below, code and data are reached RIP-relative, which
 * gives their physical addresses.
 *
 * efi_return_to_firmware undoes this when Shoji cannot start. */
#include "efi_capture.h"
#include "layout.h"

#define PTE_P  0x1
#define PTE_W  0x2
#define PTE_PS 0x80
#define MSR_EFER 0xC0000080
#define MSR_PAT 0x277
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101

	.section .boot.text, "ax"
	.code64
	.globl efi_entry64
efi_entry64:
	pushfq
	cli
	cld
	leaq efi_capture(%rip), %rax
	popq CAP_RFLAGS(%rax)
	movq %rbx, CAP_RBX(%rax)
	movq %rbp, CAP_RBP(%rax)
	movq %r12, CAP_R12(%rax)
	movq %r13, CAP_R13(%rax)
	movq %r14, CAP_R14(%rax)
	movq %r15, CAP_R15(%rax)
	movq %rsp, CAP_RSP(%rax)
	movq %rdi, CAP_HANDOFF(%rax)
	movq %cr0, %rdx
	movq %rdx, CAP_CR0(%rax)
	movq %cr3, %rdx
	movq %rdx, CAP_CR3(%rax)
	movq %cr4, %rdx
	movq %rdx, CAP_CR4(%rax)
	sgdt CAP_GDTR(%rax)
	sidt CAP_IDTR(%rax)
	movw %cs, CAP_CS(%rax)
	movw %ss, CAP_SS(%rax)
	movw %ds, CAP_DS(%rax)
	movw %es, CAP_ES(%rax)
	movw %fs, CAP_FS(%rax)
	movw %gs, CAP_GS(%rax)
	str CAP_TR(%rax)
	sldt CAP_LDTR(%rax)
	movq %rax, %rsi
	movl $MSR_EFER, %ecx
	rdmsr
	movl %eax, CAP_EFER(%rsi)
	movl %edx, CAP_EFER+4(%rsi)
	movl $MSR_PAT, %ecx
	rdmsr
	movl %eax, CAP_PAT(%rsi)
	movl %edx, CAP_PAT+4(%rsi)
	movl $MSR_FS_BASE, %ecx
	rdmsr
	movl %eax, CAP_FS_BASE(%rsi)
	movl %edx, CAP_FS_BASE+4(%rsi)
	movl $MSR_GS_BASE, %ecx
	rdmsr
	movl %eax, CAP_GS_BASE(%rsi)
	movl %edx, CAP_GS_BASE+4(%rsi)

	/* Our page tables use NX bits: EFER.NXE, when the CPU has NX (the
	 * firmware's own tables stay valid either way). */
	movl $0x80000001, %eax
	cpuid
	btl $20, %edx
	jnc 1f
	movl $MSR_EFER, %ecx
	rdmsr
	orl $0x800, %eax
	wrmsr
1:
	/* PML4: slots 0 and 256 share one PDPT; slot 511 covers KERNEL_VMA. */
	leaq boot_pml4(%rip), %rdi
	leaq boot_pdpt_low(%rip), %rax
	orq $(PTE_P + PTE_W), %rax
	movq %rax, (%rdi)
	movq %rax, 256 * 8(%rdi)
	leaq boot_pdpt_high(%rip), %rax
	orq $(PTE_P + PTE_W), %rax
	movq %rax, 511 * 8(%rdi)

	/* Four page directories of 2 MiB pages: 0..4 GiB. */
	leaq boot_pdpt_low(%rip), %rdi
	leaq boot_pd(%rip), %rax
	orq $(PTE_P + PTE_W), %rax
	xorl %ecx, %ecx
2:	movq %rax, (%rdi, %rcx, 8)
	addq $4096, %rax
	incl %ecx
	cmpl $4, %ecx
	jb 2b
	leaq boot_pd(%rip), %rdi
	movq $(PTE_P + PTE_W + PTE_PS), %rax
	xorl %ecx, %ecx
3:	movq %rax, (%rdi, %rcx, 8)
	addq $0x200000, %rax
	incl %ecx
	cmpl $2048, %ecx
	jb 3b

	/* The image, from where it lies, at KERNEL_VMA (2 MiB of 4 KiB pages). */
	leaq boot_pdpt_high(%rip), %rdi
	leaq boot_pd_high(%rip), %rax
	orq $(PTE_P + PTE_W), %rax
	movq %rax, 511 * 8(%rdi)
	leaq boot_pd_high(%rip), %rdi
	leaq boot_pt_high(%rip), %rax
	orq $(PTE_P + PTE_W), %rax
	movq %rax, (%rdi)
	leaq boot_pt_high(%rip), %rdi
	leaq _image_start(%rip), %rax
	orq $(PTE_P + PTE_W), %rax
	xorl %ecx, %ecx
4:	movq %rax, (%rdi, %rcx, 8)
	addq $4096, %rax
	incl %ecx
	cmpl $512, %ecx
	jb 4b

	/* Our GDT, then our tables (both map the code we run on). */
	leaq efi_boot_gdt(%rip), %rax
	movq %rax, efi_boot_gdtr+2(%rip)
	lgdt efi_boot_gdtr(%rip)
	leaq boot_pml4(%rip), %rax
	movq %rax, %cr3
	pushq $0x08
	leaq 5f(%rip), %rax
	pushq %rax
	lretq
5:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movq efi_capture+CAP_HANDOFF(%rip), %rdi
	movabsq $efi_entry_high, %rax
	jmp *%rax

	.text
/* void efi_return_to_firmware(uint64_t status, paddr_t image_pa)
 * From the core's tables at KERNEL_VMA: back to the boot tables (which
 * map both KERNEL_VMA and the image one-to-one), down to the image's
 * physical address, then the firmware's own state, and return from
 * efi_entry64 with `status`. */
	.globl efi_return_to_firmware
efi_return_to_firmware:
	cli
	movq %rdi, %r8
	/* VT-x: leave VMX operation first (a failure may come after VMXON),
	 * while the core's IDT can still catch the #UD of a CPU that is not
	 * in it (.extable skips the VMXOFF).  CR4.VMXE goes with the rest of
	 * CR4 below, which is allowed only outside VMX operation. */
	movq %cr4, %rax
	btq $13, %rax
	jnc 12f
11:	vmxoff
12:
	.pushsection .extable, "a"
	.quad 11b, 12b
	.popsection
	movabsq $_image_start, %rax
	movabsq $boot_pml4, %rdx
	subq %rax, %rdx
	addq %rsi, %rdx
	movq %rdx, %cr3
	movabsq $6f, %rdx
	subq %rax, %rdx
	addq %rsi, %rdx
	jmp *%rdx
6:	leaq efi_capture(%rip), %rbx
	/* Leave SVM as we found it: GIF set (the core runs with it clear),
	 * then EFER without SVME. */
	movl $MSR_EFER, %ecx
	rdmsr
	btl $12, %eax
	jnc 7f
	stgi
7:	movl CAP_EFER(%rbx), %eax
	movl CAP_EFER+4(%rbx), %edx
	wrmsr
	movq CAP_CR4(%rbx), %rax
	movq %rax, %cr4
	movq CAP_CR3(%rbx), %rax
	movq %rax, %cr3
	/* Our stack is not in the firmware's tables: back on its own. */
	movq CAP_RSP(%rbx), %rsp
	lgdt CAP_GDTR(%rbx)
	lidt CAP_IDTR(%rbx)
	movzwq CAP_CS(%rbx), %rax
	pushq %rax
	leaq 8f(%rip), %rax
	pushq %rax
	lretq
8:	movw CAP_SS(%rbx), %ss
	movw CAP_DS(%rbx), %ds
	movw CAP_ES(%rbx), %es
	movw CAP_FS(%rbx), %fs
	movw CAP_GS(%rbx), %gs
	movl $MSR_FS_BASE, %ecx
	movl CAP_FS_BASE(%rbx), %eax
	movl CAP_FS_BASE+4(%rbx), %edx
	wrmsr
	movl $MSR_GS_BASE, %ecx
	movl CAP_GS_BASE(%rbx), %eax
	movl CAP_GS_BASE+4(%rbx), %edx
	wrmsr
	/* The firmware's task register, if it had one: LTR needs its
	 * descriptor marked available (type 9, not busy 11). */
	movzwq CAP_TR(%rbx), %rcx
	andq $~7, %rcx
	jz 9f
	movq CAP_GDTR+2(%rbx), %rax
	andb $~0x02, 5(%rax, %rcx)
	ltr CAP_TR(%rbx)
9:	movq CAP_RSP(%rbx), %rsp
	pushq CAP_RFLAGS(%rbx)
	movq CAP_RBP(%rbx), %rbp
	movq CAP_R12(%rbx), %r12
	movq CAP_R13(%rbx), %r13
	movq CAP_R14(%rbx), %r14
	movq CAP_R15(%rbx), %r15
	movq CAP_RBX(%rbx), %rbx
	movq %r8, %rax
	popfq
	ret

efi_entry_high:
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	call boot_main_efi
10:	cli
	hlt
	jmp 10b

	.data
	.balign 8
efi_boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF /* 0x08: 64-bit code */
	.quad 0x00CF92000000FFFF /* 0x10: data */
efi_boot_gdtr:
	.word 23
	.quad 0 /* the GDT's physical address, filled in above */

	.bss
	.balign 64
	.globl efi_capture
efi_capture:	.skip CAP_SIZE
