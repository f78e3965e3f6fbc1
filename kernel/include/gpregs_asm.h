/* struct gpregs (vm.h) as the world switches (svm/vmrun.S, vmx/vmentry.S)
 * see it: the offsets, checked against the C layout in kernel/vcpu.c, and
 * the moves both make.  RAX and RDI are each back end's own business (the
 * VMCB keeps RAX on SVM; RDI points at the struct). */
#ifndef SHOJI_GPREGS_ASM_H
#define SHOJI_GPREGS_ASM_H

#define GPR_RAX 0
#define GPR_RBX 8
#define GPR_RCX 16
#define GPR_RDX 24
#define GPR_RSI 32
#define GPR_RDI 40
#define GPR_RBP 48
#define GPR_R8 56
#define GPR_R9 64
#define GPR_R10 72
#define GPR_R11 80
#define GPR_R12 88
#define GPR_R13 96
#define GPR_R14 104
#define GPR_R15 112

#ifdef __ASSEMBLER__
/* Loads RBX..R15 (not RAX, RDI, RSP) from the struct at \base. */
.macro GPRS_LOAD base
	movq GPR_RBX(\base), %rbx
	movq GPR_RCX(\base), %rcx
	movq GPR_RDX(\base), %rdx
	movq GPR_RSI(\base), %rsi
	movq GPR_RBP(\base), %rbp
	movq GPR_R8(\base), %r8
	movq GPR_R9(\base), %r9
	movq GPR_R10(\base), %r10
	movq GPR_R11(\base), %r11
	movq GPR_R12(\base), %r12
	movq GPR_R13(\base), %r13
	movq GPR_R14(\base), %r14
	movq GPR_R15(\base), %r15
.endm

/* Stores RBX..R15 (not RAX, RDI, RSP) into the struct at \base. */
.macro GPRS_STORE base
	movq %rbx, GPR_RBX(\base)
	movq %rcx, GPR_RCX(\base)
	movq %rdx, GPR_RDX(\base)
	movq %rsi, GPR_RSI(\base)
	movq %rbp, GPR_RBP(\base)
	movq %r8, GPR_R8(\base)
	movq %r9, GPR_R9(\base)
	movq %r10, GPR_R10(\base)
	movq %r11, GPR_R11(\base)
	movq %r12, GPR_R12(\base)
	movq %r13, GPR_R13(\base)
	movq %r14, GPR_R14(\base)
	movq %r15, GPR_R15(\base)
.endm
#endif

#endif
