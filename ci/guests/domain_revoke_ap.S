/* CPU1 of the domain-revoke micro-guest: in 32-bit protected mode (GDT at
 * 0x700, GDTR at 0x6F8), it has the faulty domain map its memory grant
 * (slot 3), write to it, then read it in a loop (watch) until that call
 * ends; it reports each answer and the domain's last fault. */
#define AP_ADDR_LO 0x680
#define AP_ADDR_HI 0x684
#define AP_MAP_ERR 0x688
#define AP_POKE_ERR 0x68C
#define AP_POKE_VALUE 0x690
#define AP_WATCHING 0x694
#define AP_WATCH_ERR 0x698
#define AP_VECTOR 0x69C
#define AP_FAULT_ADDR 0x6A0
#define AP_DONE 0x6A4
#define AP_CODE 0x30000
#define LEAF_CALL 0x4F444F4D
#define LEAF_INFO 0x4F444F49
#define FAULTY 0x10000 /* domain 1 << 16 */

	.section .rodata
	.code16
	.globl revoke_ap_stub_start, revoke_ap_stub_end
revoke_ap_stub_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl 0x6F8
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $0x08, $AP_CODE
revoke_ap_stub_end:

	.code32
	.globl revoke_ap_code_start, revoke_ap_code_end
revoke_ap_code_start:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $LEAF_CALL, %eax /* map_grant(3) */
	movl $(FAULTY | 17), %ecx
	movl $3, %ebx
	xorl %edx, %edx
	cpuid
	movl %eax, AP_MAP_ERR
	movl %ebx, AP_ADDR_LO
	movl %edx, AP_ADDR_HI
	movl $LEAF_CALL, %eax /* poke(address) */
	movl $(FAULTY | 18), %ecx
	movl AP_ADDR_LO, %ebx
	movl AP_ADDR_HI, %edx
	cpuid
	movl %eax, AP_POKE_ERR
	movl %ebx, AP_POKE_VALUE
	movl $1, AP_WATCHING
	movl $LEAF_CALL, %eax /* watch(address): ends by a fault or the budget */
	movl $(FAULTY | 19), %ecx
	movl AP_ADDR_LO, %ebx
	movl AP_ADDR_HI, %edx
	cpuid
	movl %eax, AP_WATCH_ERR
	movl $LEAF_INFO, %eax
	movl $1, %ecx
	cpuid
	movl %ebx, AP_VECTOR
	movl %edx, AP_FAULT_ADDR
	movl $1, AP_DONE
1:	cli
	hlt
	jmp 1b
revoke_ap_code_end:
