/* See controls.h. */
#include "controls.h"
#include "vmcs_fields.h"

bool vmx_control_adjust(uint64_t cap, uint32_t want, uint32_t need, uint32_t *out,
			uint32_t *missing)
{
	uint32_t forced = (uint32_t)cap, allowed = (uint32_t)(cap >> 32);
	uint32_t value = ((want | need) | forced) & allowed;

	*out = value;
	*missing = need & ~value;
	return *missing == 0;
}

uint64_t vmx_cr_fixed(uint64_t value, uint64_t fixed0, uint64_t fixed1, uint64_t relaxed)
{
	return (value | (fixed0 & ~relaxed)) & (fixed1 | relaxed);
}

unsigned vmx_proc2_fields(uint32_t proc2, struct vmx_field_value *out)
{
	unsigned n = 0;

	/* SDM 25.6.20: with "enable XSAVES", XSAVES and XRSTORS exit for each
	 * set bit of (XSS-exiting bitmap AND the guest's XSS or RFBM): the
	 * field must be written, and zero, or the guest's calls exit. */
	if (proc2 & PROC2_XSAVES)
		out[n++] = (struct vmx_field_value){ VMCS_XSS_EXIT_BITMAP, 0 };
	return n;
}

const char *vmx_insn_error_name(uint32_t error)
{
	static const char *const names[] = {
		[1] = "VMCALL executed in VMX root operation",
		[2] = "VMCLEAR with invalid physical address",
		[3] = "VMCLEAR with VMXON pointer",
		[4] = "VMLAUNCH with non-clear VMCS",
		[5] = "VMRESUME with non-launched VMCS",
		[6] = "VMRESUME after VMXOFF",
		[7] = "VM entry with invalid control field(s)",
		[8] = "VM entry with invalid host-state field(s)",
		[9] = "VMPTRLD with invalid physical address",
		[10] = "VMPTRLD with VMXON pointer",
		[11] = "VMPTRLD with incorrect VMCS revision identifier",
		[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
		[13] = "VMWRITE to read-only VMCS component",
		[15] = "VMXON executed in VMX root operation",
		[16] = "VM entry with invalid executive-VMCS pointer",
		[17] = "VM entry with non-launched executive VMCS",
		[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
		[19] = "VMCALL with non-clear VMCS",
		[20] = "VMCALL with invalid VM-exit control fields",
		[22] = "VMCALL with incorrect MSEG revision identifier",
		[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
		[24] = "VMCALL with invalid SMM-monitor features",
		[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
		[26] = "VM entry with events blocked by MOV SS",
		[28] = "invalid operand to INVEPT/INVVPID",
	};

	if (error < sizeof(names) / sizeof(names[0]) && names[error])
		return names[error];
	return "unknown VM-instruction error";
}
