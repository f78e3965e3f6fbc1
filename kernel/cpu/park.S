/* void park_wait(volatile uint32_t *flag)
 *
 * Sleeps until an NMI, unless *flag is already set.  The NMI handler
 * (trap_entry.S) moves an NMI that arrives between the test and the HLT
 * to park_window_end, so a wake-up NMI sent right after the flag was set
 * is never lost to a HLT that has not started yet.  Runs with IF clear
 * and GIF set: only NMIs (and SMIs) wake it. */
	.text
	.globl park_wait, park_window_start, park_window_end
park_wait:
park_window_start:
	cmpl $0, (%rdi)
	jne park_window_end
	hlt
park_window_end:
	ret

	/* void cpu_unblock_nmi(void): an IRET to ourselves ends any NMI
	 * blocking left from a guest NMI handler cut short by an exit
	 * (SDM 6.7.1: blocking lasts until the next IRET). */
	.globl cpu_unblock_nmi
cpu_unblock_nmi:
	movq %ss, %rax
	pushq %rax
	leaq 8(%rsp), %rax
	pushq %rax
	pushfq
	movq %cs, %rax
	pushq %rax
	leaq 1f(%rip), %rax
	pushq %rax
	iretq
1:	ret
