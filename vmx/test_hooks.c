/* The test hook of vmm.test_vmcs_corrupt: CPU 0's VMCS gets one field
 * made invalid (value & AND | OR) before its first entry, or before the
 * first entry after the guest is in long mode, so that CI can check how a
 * failed entry is reported and that tools/vmcs-check names the check. */
#include "config.h"
#include "log.h"
#include "vmx.h"
#include "x86.h"

bool vmx_corrupt_pending;

static void apply(const struct config_vmcs_corrupt *c)
{
	uint64_t old = vmread(c->encoding);

	vmwrite(c->encoding, (old & c->and_mask) | c->or_mask);
	log_warn("test hook: VMCS field %#lx changed from %#lx to %#lx before this entry",
		 c->encoding, old, (old & c->and_mask) | c->or_mask);
	vmx_corrupt_pending = false;
}

void vmx_test_corrupt(struct vcpu *v)
{
	const struct config_vmcs_corrupt *c = &core_config->vmcs_corrupt;

	if (!c->set || v->id != 0)
		return;
	vmx_corrupt_pending = true;
}

void vmx_test_corrupt_before_entry(struct vcpu *v)
{
	const struct config_vmcs_corrupt *c = &core_config->vmcs_corrupt;

	if (v->id != 0)
		return;
	if (c->after_long_mode && !(vmread(VMCS_GUEST_EFER) & EFER_LMA))
		return;
	apply(c);
}
