/* Where the core enters a domain for each call it serves (ipc/ABI.md):
 * rdi = badge, rsi = label, rdx, rcx, r8, r9 = words, rsp = the stack's
 * top, 16-byte aligned.  Those are runtime_serve's six arguments. */
	.section .text.start, "ax"
	.globl _start
_start:
	call runtime_serve
	ud2
