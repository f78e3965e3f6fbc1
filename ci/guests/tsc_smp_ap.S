/* CPU1 of the tsc-smp micro-guest: started by INIT-SIPI at vector 0x20, it
 * enters 32-bit protected mode (GDT at 0x700, GDTR at 0x6F8, as init-sipi)
 * and, with nothing between them but the loads and stores, reads its
 * TSC_ADJUST and TSC, writes TSC_ADJUST + 2^40, reads its TSC and
 * TSC_ADJUST again, reports all four and halts. */
#define ADJ_BEFORE 0x680
#define TSC_BEFORE 0x688
#define TSC_AFTER 0x690
#define ADJ_AFTER 0x698
#define AP_DONE 0x6A0
#define AP_CODE 0x30000
#define MSR_TSC_ADJUST 0x3B

	.section .rodata
	.code16
	.globl tsc_ap_stub_start, tsc_ap_stub_end
tsc_ap_stub_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl 0x6F8
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $AP_CODE
tsc_ap_stub_end:

	.code32
	.globl tsc_ap_code_start, tsc_ap_code_end
tsc_ap_code_start:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $MSR_TSC_ADJUST, %ecx
	rdmsr
	movl %eax, ADJ_BEFORE
	movl %edx, ADJ_BEFORE + 4
	rdtsc
	movl %eax, TSC_BEFORE
	movl %edx, TSC_BEFORE + 4
	movl ADJ_BEFORE, %eax
	movl ADJ_BEFORE + 4, %edx
	addl $0x100, %edx /* + 2^40 */
	wrmsr
	rdtsc
	movl %eax, TSC_AFTER
	movl %edx, TSC_AFTER + 4
	rdmsr
	movl %eax, ADJ_AFTER
	movl %edx, ADJ_AFTER + 4
	movl $1, AP_DONE
1:	cli
	hlt
	jmp 1b
tsc_ap_code_end:
