/* CPU1 of the nmi-ipi micro-guest: started by INIT-SIPI at vector 0x20, it
 * enters 32-bit protected mode (GDT at 0x700, GDTR at 0x6F8, as init-sipi),
 * loads an IDT whose vector 2 counts NMIs, and with IF clear executes CPUID
 * (an exit each time) until told to stop. */
#define NMI_COUNT 0x680  /* NMIs CPU1 took */
#define AP_READY 0x684   /* CPU1 is in its loop */
#define AP_STOP 0x688    /* CPU0: stop */
#define AP_EXITS 0x68C   /* CPUIDs CPU1 executed */
#define IDTR 0x6E0       /* limit, base */
#define IDT 0x800        /* 32 gates of 8 bytes */
#define AP_CODE 0x30000

	.section .rodata
	.code16
	.globl nmi_ap_stub_start, nmi_ap_stub_end
nmi_ap_stub_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl 0x6F8
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $AP_CODE
nmi_ap_stub_end:

	.code32
	.globl nmi_ap_code_start, nmi_ap_code_end
nmi_ap_code_start:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $0x7000, %esp
	/* IDT gate 2: interrupt gate, CS 0x08, offset nmi_handler. */
	movl $(AP_CODE + (nmi_handler - nmi_ap_code_start)), %eax
	movw %ax, IDT + 2 * 8
	movw $0x08, IDT + 2 * 8 + 2
	movw $0x8E00, IDT + 2 * 8 + 4
	shrl $16, %eax
	movw %ax, IDT + 2 * 8 + 6
	movw $(32 * 8 - 1), IDTR
	movl $IDT, IDTR + 2
	lidtl IDTR
	movl $1, AP_READY
1:	xorl %eax, %eax
	cpuid
	lock incl AP_EXITS
	cmpl $0, AP_STOP
	je 1b
2:	hlt
	jmp 2b
nmi_handler:
	lock incl NMI_COUNT
	iretl
nmi_ap_code_end:
