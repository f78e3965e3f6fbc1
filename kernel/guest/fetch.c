/* Fetching the instruction behind an exit from guest memory, through the
 * guest's segmentation and paging, and decoding it. */
#include "cpu_features.h"
#include "exit.h"
#include "guest.h"
#include "gwalk.h"
#include "x86.h"

#define RFLAGS_VM BIT(17)

enum err guest_decode_insn(struct vcpu *v, struct insn *out)
{
	const struct vm_ops *o = vm_backend;
	struct vm_segment cs;
	struct gwalk_regs regs = { o->get_reg(v, VM_REG_CR0), o->get_reg(v, VM_REG_CR3),
				   o->get_reg(v, VM_REG_CR4), o->get_reg(v, VM_REG_EFER) };
	uint64_t rip = o->get_reg(v, VM_REG_RIP);
	enum insn_mode mode;
	uint64_t linear;

	o->get_seg(v, VM_SEG_CS, &cs);
	if (!(regs.cr0 & CR0_PE) || (o->get_reg(v, VM_REG_RFLAGS) & RFLAGS_VM))
		mode = INSN_MODE_16;
	else if ((regs.efer & EFER_LMA) && (cs.attr & SEG_ATTR_L))
		mode = INSN_MODE_64;
	else
		mode = (cs.attr & SEG_ATTR_DB) ? INSN_MODE_32 : INSN_MODE_16;
	linear = mode == INSN_MODE_64 ? rip : (cs.base + rip) & 0xFFFFFFFF;

	uint8_t bytes[INSN_MAX_LEN];
	size_t have = 0;

	/* Page by page: the instruction may straddle two pages. */
	while (have < sizeof(bytes)) {
		uint64_t at = linear + have;
		size_t chunk = MIN(sizeof(bytes) - have, (size_t)(PAGE_SIZE - (at & (PAGE_SIZE - 1))));
		paddr_t gpa;

		if (gwalk_translate(&regs, at, gmem_read, NULL, &gpa) != E_OK ||
		    !gmem_read(NULL, gpa, bytes + have, chunk))
			break;
		have += chunk;
	}
	if (have == 0)
		return E_FAULT;
	return insn_decode(bytes, have, mode, cpu_features.vendor, out) == INSN_OK ? E_OK : E_INVAL;
}
