/* MOV to CR0 or CR4 exits when it would change a bit of the guest/host
 * masks (vmcs.c): CR0.NE and CR4.VMXE, which VMX operation fixes to 1, and
 * CR4.SMXE and reserved bits, which a guest may not set.  The guest reads
 * back what it wrote (the read shadow); the CPU runs with the fixed bits.
 * CR4 goes to the core, which checks it for both back ends; for CR0, what
 * the MOV would have done besides is done here: the #GP checks, and
 * entering or leaving IA-32e mode or PAE paging. */
#include "exit.h"
#include "guest.h"
#include "log.h"
#include "vmx.h"
#include "x86.h"

#define VEC_GP 13
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)

/* PAE paging without IA-32e mode: with EPT the CPU takes the PDPTEs from
 * the VMCS at entry, so loading them is ours when the MOV exited
 * (SDM 4.4.1: reserved bits give #GP). */
static bool load_pdptes(uint64_t cr3)
{
	uint64_t pdpte[4];

	if (!gmem_read(NULL, cr3 & 0xFFFFFFE0, pdpte, sizeof(pdpte)))
		return false;
	for (unsigned i = 0; i < 4; i++) {
		if ((pdpte[i] & 1) && (pdpte[i] & 0xFFF00000000001E6ULL))
			return false;
		vmwrite(VMCS_GUEST_PDPTE0 + 2 * i, pdpte[i]);
	}
	return true;
}

static bool cr0_write(struct vcpu *v, uint64_t value)
{
	uint64_t old = vmx_get_reg(v, VM_REG_CR0), efer = vmread(VMCS_GUEST_EFER);
	uint64_t cr4 = vmread(VMCS_GUEST_CR4);

	if ((value >> 32) || ((value & CR0_PG) && !(value & CR0_PE)) ||
	    ((value & CR0_NW) && !(value & CR0_CD)))
		return false;
	if ((value & CR0_PG) && !(old & CR0_PG)) {
		if (efer & EFER_LME) {
			struct vm_segment cs;

			vmx_get_seg(v, VM_SEG_CS, &cs);
			if (!(cr4 & CR4_PAE) || (cs.attr & SEG_ATTR_L))
				return false;
			vmx_set_reg(v, VM_REG_EFER, efer | EFER_LMA);
		} else if ((cr4 & CR4_PAE) && !load_pdptes(vmread(VMCS_GUEST_CR3))) {
			return false;
		}
	} else if (!(value & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
		vmx_set_reg(v, VM_REG_EFER, efer & ~(uint64_t)EFER_LMA);
	}
	vmwrite(VMCS_CR0_SHADOW, value);
	vmwrite(VMCS_GUEST_CR0, vmx_guest_cr0(value));
	if ((value ^ old) & (CR0_PG | CR0_PE))
		vmx_invvpid_all(); /* as the MOV itself would flush */
	return true;
}

void vmx_cr_access(struct vcpu *v, struct vm_exit *exit)
{
	uint64_t qual = vmread(VMCS_EXIT_QUALIFICATION);
	unsigned cr = qual & 15, type = (qual >> 4) & 3;
	/* The source GPR, numbered as in SDM table 28-3 (x86 order). */
	uint64_t value = vmx_get_reg(v, vm_reg_by_number[(qual >> 8) & 15]);
	bool ok;

	exit->kind = VM_EXIT_NONE;
	if (type != 0 || (cr != 0 && cr != 4)) {
		exit->kind = VM_EXIT_UNKNOWN;
		exit->raw.what = "control-register access Shoji did not ask for";
		exit->raw.code = EXIT_CR_ACCESS;
		exit->raw.info1 = qual;
		exit->raw.info2 = 0;
		return;
	}
	if (!(vmread(VMCS_GUEST_EFER) & EFER_LMA))
		value = (uint32_t)value;
	exit->insn_len = (uint8_t)vmread(VMCS_EXIT_INSN_LEN);
	if (cr == 4) { /* the core's rules, the same on SVM (kernel/cr_write.c) */
		exit->kind = VM_EXIT_CR_WRITE;
		exit->cr.cr = 4;
		exit->cr.value_known = true;
		exit->cr.value = value;
		return;
	}
	ok = cr0_write(v, value);
	if (!ok) {
		log_debug("CPU %u: MOV to CR0 of %#lx refused: #GP", v->id, value);
		vmx_inject_exception(v, VEC_GP, true, 0);
		return;
	}
	exit->complete = true;
}
