/* Host IDT entry points, and the way back into a domain.  All of it sits in
 * .text.entry, the only core code a domain's page tables map: it runs
 * before the core's CR3 is back.
 *
 * From ring 3 (a domain faulted, or an interrupt came while it ran) the
 * frame is handed to the C code that entered the domain (dom_enter_asm
 * returns it).  From ring 0 the trap is the core's own; it may have come
 * while a domain's CR3 was still loaded (in the gate code below), so the
 * core's CR3 is loaded for the handler and the old one put back after.
 *
 * The NMI entry only counts (SPEC.md item 4: on its own IST stack, it finds
 * its CPU through that stack, never through %gs, and it works under any
 * CR3 a domain may have loaded). */
#include "percpu.h"
#include "trap.h"

/* struct trap_frame (trap.h), offsets from its start. */
#define TF_VECTOR (15 * 8)
#define TF_CS (15 * 8 + 24)

/* Loads the CPU's struct pcpu into \reg from the stack we are on. */
.macro PCPU_FROM_STACK reg
	movq %rsp, \reg
	andq $~(STACK_SIZE - 1), \reg
	movq STACK_PCPU_SLOT(\reg), \reg
.endm

/* SMAP: a domain may have left RFLAGS.AC set, which would let the core
 * touch user pages; CLAC only exists where SMAP does. */
/* The general registers in struct trap_frame's order, r15 lowest. */
.macro POP_GPRS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
.endm

.macro CLAC_IF_SMAP pcpu
	testb $1, PCPU_SMAP(\pcpu)
	jz 91f
	clac
91:
.endm

	.section .text.entry, "ax"

/* 256 entries, TRAP_ENTRY_STRIDE bytes apart (cpu.c computes the IDT from
 * that).  Vectors below 32 may also be external interrupts: a guest in
 * real mode has the PIC on vectors 8-15, and its interrupt can come while a
 * domain runs with IF set.  An exception with an error code is told from an
 * interrupt without one by the stack: in 64-bit mode the CPU aligns RSP to
 * 16 bytes before it pushes the frame (SDM Vol. 3A 6.14.2), so RSP ends in
 * 8 after five words and in 0 after six.  Vectors 9 and 15 are never
 * exceptions in 64-bit mode.  An interrupt's vector gets TRAP_EXTERNAL. */
	.balign 32
	.globl trap_entries
trap_entries:
	.set vec, 0
	.rept 256
	.balign 32
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	testb $8, %spl
	jz 1f
	pushq $0
	pushq $(vec + TRAP_EXTERNAL)
	jmp trap_common
1:	pushq $vec
	.elseif vec == 9 || vec == 15
	pushq $0
	pushq $(vec + TRAP_EXTERNAL)
	.else
	pushq $0
	pushq $vec
	.endif
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	cld
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	testb $3, TF_CS(%rsp)
	jnz domain_exit
	PCPU_FROM_STACK %rbx
	CLAC_IF_SMAP %rbx
	movq %cr3, %r12 /* kept across the call (callee-saved) */
	movq PCPU_CORE_CR3(%rbx), %rax
	cmpq %rax, %r12
	je 1f
	movq %rax, %cr3
1:	movq %rsp, %rdi
	movabsq $trap_dispatch, %rax
	call *%rax
	movq %cr3, %rax
	cmpq %rax, %r12
	je 2f
	movq %r12, %cr3
2:	POP_GPRS
	addq $16, %rsp /* vector, error code */
	iretq

/* The domain stops: back to the core's CR3 and stack, and return from
 * dom_enter_asm with the frame (on the entry or an IST stack). */
domain_exit:
	movq %rsp, %rdi
	PCPU_FROM_STACK %rbx
	movq PCPU_CORE_CR3(%rbx), %rax
	movq %rax, %cr3
	CLAC_IF_SMAP %rbx
	movq PCPU_CORE_RSP(%rbx), %rsp
	movq %rdi, %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* The IPC call gate (ipc/ABI.md).  A far CALL through a 64-bit call gate
 * pushes SS, RSP, CS and RIP on the entry stack and changes no flag (SDM
 * Vol. 3A 5.8.6): IF, DF, AC and TF are the domain's.  A TF single-step
 * trap comes before the first instruction here; trap_dispatch clears TF
 * and comes back.  The frame is made a struct trap_frame with the
 * domain's RFLAGS in it and vector IPC_GATE_VECTOR. */
	.globl ipc_gate_entry, ipc_gate_entry_end
ipc_gate_entry:
	pushfq
	cli
	cld
	pushq %rax
	movq 8(%rsp), %rax /* RFLAGS to where iretq's frame has it... */
	xchgq %rax, 24(%rsp) /* ...and CS, */
	xchgq %rax, 16(%rsp) /* and RIP, one slot down */
	movq %rax, 8(%rsp)
	popq %rax
	pushq $0
	pushq $256
	jmp trap_common
ipc_gate_entry_end:

/* struct trap_frame *dom_enter_asm(struct dom_entry_frame *f, uint64_t cr3)
 *
 * Runs a domain: saves the core's callee-saved registers and stack, loads
 * the domain's CR3 and registers from *f (on this CPU's entry stack, which
 * both address spaces map), and far-returns to ring 3.  RFLAGS comes from
 * the frame with IF clear; STI's one-instruction shadow lets the far return
 * complete before any interrupt is taken, so the first one arrives in ring
 * 3.  Returns when the domain next enters the core (domain_exit). */
	.globl dom_enter_asm
dom_enter_asm:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	PCPU_FROM_STACK %rax
	movq %rsp, PCPU_CORE_RSP(%rax)
	movq %rdi, %rsp
	movq %rsi, %cr3
	POP_GPRS
	popfq
	sti
	lretq

	.globl trap_entry_nmi
trap_entry_nmi:
	pushq %rax
	pushq %rbx
	movq %rsp, %rax
	andq $~(STACK_SIZE - 1), %rax
	movq STACK_PCPU_SLOT(%rax), %rax
	lock incl PCPU_NMI_COUNT(%rax)
	/* A TLB shootdown (a revoked grant, kernel/dom/space.c): reload
	 * whatever CR3 is live, a domain's included, then say it is done. */
	cmpl $0, PCPU_FLUSH_REQUEST(%rax)
	je 3f
	movq %cr3, %rbx
	movq %rbx, %cr3
	movl $0, PCPU_FLUSH_REQUEST(%rax)
	/* Interrupted inside park_wait before its HLT ran?  Resume after
	 * the HLT, or the wake-up this NMI brings would be slept through. */
3:	movq 16(%rsp), %rax
	movabsq $park_window_start, %rbx
	cmpq %rbx, %rax
	jb 1f
	movabsq $park_window_end, %rbx
	cmpq %rbx, %rax
	jae 1f
	movq %rbx, 16(%rsp)
	jmp 2f
	/* Interrupted in VT-x's entry window (vmx/vmentry.S)?  Abandon the
	 * entry, so the run loop sees this NMI before the guest runs on.
	 * The window's bounds come from vmx_entry_window (vmx/entry_window.S). */
1:	movabsq $vmx_entry_window, %rbx
	cmpq (%rbx), %rax
	jb 2f
	cmpq 8(%rbx), %rax
	jae 2f
	movabsq $vmx_entry_abandon, %rbx
	movq %rbx, 16(%rsp)
2:	popq %rbx
	popq %rax
	iretq
	.balign 4096, 0xcc
