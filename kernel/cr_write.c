/* MOV to CR4, which both back ends send here: the core decides what a guest
 * may set (SDM 2.5 and 4.10.1, APM 3.1.3), so that one rule holds on both.
 * A bit the CPU lacks, VMXE or SMXE (Shoji's, hidden: SPEC item 17), PCIDE
 * outside long mode or with a nonzero PCID in CR3, clearing PAE in long
 * mode, or changing LA57 there is #GP, as on a bare CPU without them.
 * (QEMU's SVM would instead fail the next VMRUN on a reserved CR4 bit.) */
#include "cpu_features.h"
#include "exit.h"
#include "log.h"
#include "x86.h"

#define CR4_LA57_BIT BIT(12)
#define CR4_PCIDE_BIT BIT(17)

/* The value of a MOV to CRn the back end could not read (SVM without
 * decode assists): 0F 22 /r, the source in ModRM.rm (REX.B extends it). */
static bool decode_source(struct vcpu *v, struct vm_exit *e)
{
	struct insn in;

	if (guest_decode_insn(v, e->rip, &in) != E_OK || in.map != MAP_0F || in.opcode != 0x22 ||
	    ((in.modrm >> 3) & 7) != (e->cr.cr & 7))
		return false;
	unsigned reg = (in.modrm & 7) | ((in.rex & 1) ? 8 : 0);

	e->cr.value = vm_backend->get_reg(v, vm_reg_by_number[reg]);
	if (in.operand_size != 8) /* outside 64-bit mode the operand is 32 bits */
		e->cr.value = (uint32_t)e->cr.value;
	e->insn_len = in.length;
	return true;
}

static bool cr4_allowed(struct vcpu *v, uint64_t value)
{
	uint64_t old = vm_backend->get_reg(v, VM_REG_CR4);
	bool long_mode = vm_backend->get_reg(v, VM_REG_EFER) & EFER_LMA;

	if (value & ~cpu_features.cr4_writable)
		return false;
	if ((value & CR4_PCIDE_BIT) && !(old & CR4_PCIDE_BIT) &&
	    (!long_mode || (vm_backend->get_reg(v, VM_REG_CR3) & 0xFFF)))
		return false;
	if (long_mode && (!(value & CR4_PAE) || ((value ^ old) & CR4_LA57_BIT)))
		return false;
	return true;
}

void vmexit_cr_write(struct vcpu *v, struct vm_exit *e)
{
	if (e->cr.cr != 4 || (!e->cr.value_known && !decode_source(v, e))) {
		guest_stop(v, "a MOV to CR%u at %#lx that Shoji cannot read", e->cr.cr, e->rip);
		return;
	}
	if (!cr4_allowed(v, e->cr.value)) {
		log_debug("CPU %u: MOV to CR4 of %#lx refused: #GP", v->id, e->cr.value);
		vcpu_inject_gp(v);
		return;
	}
	vm_backend->set_reg(v, VM_REG_CR4, e->cr.value);
	vcpu_skip_insn(v, e);
}
