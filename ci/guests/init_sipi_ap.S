/* The code the application processors of the init-sipi micro-guest run
 * when started.  The real-mode stub is copied to each start-up vector's
 * page; it enters 32-bit protected mode (GDT at 0x700, GDTR at 0x6F8) and
 * jumps to the common part, copied to AP_COMMON (0x30000), which sets the
 * CPU's local APIC up for flat logical addressing (LDR = 1 << (24 + id)),
 * reports "started at this vector" in the mailbox and halts.  If asked to
 * (SELF_INIT slot), it sends INIT to its own APIC ID instead.  In the
 * x2APIC variant it switches its APIC to x2APIC mode instead. */
#define MAILBOX 0x600       /* dword per APIC ID: 0x100 | vector */
#define SELF_INIT 0x640     /* dword per APIC ID: nonzero = INIT yourself */
#define START_COUNT 0x6F0
#define X2APIC_MODE 0x6F4   /* nonzero: the APs go to x2APIC mode */
#define AP_COMMON 0x30000
#define APIC 0xFEE00000

	.section .rodata
	.code16
	.globl ap_stub_start, ap_stub_end
ap_stub_start:
	cli
	movw %cs, %bx
	shrw $8, %bx /* the start-up vector */
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl 0x6F8
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $AP_COMMON
ap_stub_end:

	.code32
	.globl ap_common_start, ap_common_end
ap_common_start:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movzwl %bx, %esi
	movl $1, %eax
	cpuid
	shrl $24, %ebx
	movl %ebx, %edi /* APIC ID */
	cmpl $0, X2APIC_MODE
	jne 4f
	movl $0x1FF, APIC + 0xF0 /* SVR: enabled */
	movl $0xFFFFFFFF, APIC + 0xE0 /* DFR: flat */
	movl %edi, %ecx
	movl $1, %eax
	shll %cl, %eax
	shll $24, %eax
	movl %eax, APIC + 0xD0 /* LDR: one bit per CPU */
	movl SELF_INIT(, %edi, 4), %eax
	testl %eax, %eax
	jz 1f
	movl $0, SELF_INIT(, %edi, 4)
	movl %edi, %eax
	shll $24, %eax
	movl %eax, APIC + 0x310
	movl $0x0000C500, APIC + 0x300 /* INIT, level assert, to ourselves */
2:	pause
	jmp 2b /* never reached under Shoji: the INIT parks us */
	jmp 1f
	/* x2APIC: enable it (from xAPIC, or again), then SVR; the logical ID
	 * follows from the APIC ID (cluster mode). */
4:	movl $0x1B, %ecx
	rdmsr
	orl $0xC00, %eax
	wrmsr
	movl $0x80F, %ecx
	movl $0x1FF, %eax
	xorl %edx, %edx
	wrmsr
1:	movl %esi, %eax
	orl $0x100, %eax
	movl %eax, MAILBOX(, %edi, 4)
	lock incl START_COUNT
3:	cli
	hlt
	jmp 3b
ap_common_end:
