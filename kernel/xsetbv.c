/* XSETBV, which VT-x makes exit every time.  XCR0 is not switched by the
 * hardware: the guest's value is the one live in root mode too (the core
 * never touches extended state: it is built -mgeneral-regs-only).  So the
 * write is done as the guest asked, and the CPU's own checks (unknown XCR,
 * reserved or unsupported bits, x87 off, AVX without SSE) give the #GP a
 * bare CPU would give. */
#include "exit.h"
#include "log.h"
#include "x86.h"

void vmexit_xsetbv(struct vcpu *v, struct vm_exit *e)
{
	uint32_t xcr = (uint32_t)v->regs.rcx;
	uint64_t value = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;

	if (xsetbv_safe(xcr, value) != 0) {
		log_debug("CPU %u: XSETBV of XCR%u = %#lx refused: #GP", v->id, xcr, value);
		vcpu_inject_gp(v);
		return;
	}
	vcpu_skip_insn(v, e);
}
