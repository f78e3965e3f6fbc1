/* CPU1 of the domain-smp micro-guest: started by INIT-SIPI at vector 0x20,
 * in 32-bit protected mode (GDT at 0x700, GDTR at 0x6F8), it calls the
 * example domain's ping CALLS times through the domain-call test hook at
 * the same time as CPU0, counting right answers, E_BUSY and wrong ones. */
#define AP_OK 0x680
#define AP_BUSY 0x684
#define AP_BAD 0x688
#define AP_DONE 0x68C
#define AP_GO 0x690
#define AP_CODE 0x30000
#define LEAF_CALL 0x4F444F4D
#define CALLS 2000
#define E_BUSY 10

	.section .rodata
	.code16
	.globl domain_ap_stub_start, domain_ap_stub_end
domain_ap_stub_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl 0x6F8
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $AP_CODE
domain_ap_stub_end:

	.code32
	.globl domain_ap_code_start, domain_ap_code_end
domain_ap_code_start:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
1:	pause /* both CPUs start together */
	cmpl $0, AP_GO
	je 1b
	xorl %esi, %esi
2:	movl $LEAF_CALL, %eax
	movl $1, %ecx /* domain 0 (example), label 1 (ping) */
	movl %esi, %ebx
	xorl %edx, %edx
	cpuid
	cmpl $E_BUSY, %eax
	jne 3f
	incl AP_BUSY
	jmp 5f
3:	testl %eax, %eax
	jnz 4f
	leal 1(%esi), %eax
	cmpl %eax, %ebx
	jne 4f
	incl AP_OK
	jmp 5f
4:	incl AP_BAD
5:	incl %esi
	cmpl $CALLS, %esi
	jb 2b
	movl $1, AP_DONE
6:	cli
	hlt
	jmp 6b
domain_ap_code_end:
