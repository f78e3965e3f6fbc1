/* A failed VM entry, told so that a person - or tools/vmcs-check, which
 * runs the SDM's guest-state checks on this dump outside ring 0 - can say
 * which check failed.  One line per field: "vmcs <encoding> <name> = <value>". */
#include "log.h"
#include "vmx.h"
#include "x86.h"

struct dumped_field {
	uint16_t encoding;
	const char *name;
};

static const struct dumped_field guest_fields[] = {
	{ 0x0800, "guest_es_selector" }, { 0x0802, "guest_cs_selector" },
	{ 0x0804, "guest_ss_selector" }, { 0x0806, "guest_ds_selector" },
	{ 0x0808, "guest_fs_selector" }, { 0x080A, "guest_gs_selector" },
	{ 0x080C, "guest_ldtr_selector" }, { 0x080E, "guest_tr_selector" },
	{ 0x2800, "vmcs_link_pointer" }, { 0x2802, "guest_ia32_debugctl" },
	{ 0x2804, "guest_ia32_pat" }, { 0x2806, "guest_ia32_efer" },
	{ 0x280A, "guest_pdpte0" }, { 0x280C, "guest_pdpte1" },
	{ 0x280E, "guest_pdpte2" }, { 0x2810, "guest_pdpte3" },
	{ 0x4800, "guest_es_limit" }, { 0x4802, "guest_cs_limit" },
	{ 0x4804, "guest_ss_limit" }, { 0x4806, "guest_ds_limit" },
	{ 0x4808, "guest_fs_limit" }, { 0x480A, "guest_gs_limit" },
	{ 0x480C, "guest_ldtr_limit" }, { 0x480E, "guest_tr_limit" },
	{ 0x4810, "guest_gdtr_limit" }, { 0x4812, "guest_idtr_limit" },
	{ 0x4814, "guest_es_access_rights" }, { 0x4816, "guest_cs_access_rights" },
	{ 0x4818, "guest_ss_access_rights" }, { 0x481A, "guest_ds_access_rights" },
	{ 0x481C, "guest_fs_access_rights" }, { 0x481E, "guest_gs_access_rights" },
	{ 0x4820, "guest_ldtr_access_rights" }, { 0x4822, "guest_tr_access_rights" },
	{ 0x4824, "guest_interruptibility_info" }, { 0x4826, "guest_activity_state" },
	{ 0x482A, "guest_sysenter_cs" },
	{ 0x6800, "guest_cr0" }, { 0x6802, "guest_cr3" }, { 0x6804, "guest_cr4" },
	{ 0x6806, "guest_es_base" }, { 0x6808, "guest_cs_base" }, { 0x680A, "guest_ss_base" },
	{ 0x680C, "guest_ds_base" }, { 0x680E, "guest_fs_base" }, { 0x6810, "guest_gs_base" },
	{ 0x6812, "guest_ldtr_base" }, { 0x6814, "guest_tr_base" },
	{ 0x6816, "guest_gdtr_base" }, { 0x6818, "guest_idtr_base" },
	{ 0x681A, "guest_dr7" }, { 0x681C, "guest_rsp" }, { 0x681E, "guest_rip" },
	{ 0x6820, "guest_rflags" }, { 0x6822, "guest_pending_dbg_exceptions" },
	{ 0x6824, "guest_sysenter_esp" }, { 0x6826, "guest_sysenter_eip" },
	/* The controls the checks depend on. */
	{ 0x4000, "pin_based_controls" }, { 0x4002, "primary_proc_based_controls" },
	{ 0x401E, "secondary_proc_based_controls" }, { 0x400C, "exit_controls" },
	{ 0x4012, "entry_controls" }, { 0x4016, "entry_interruption_info" },
	{ 0x4018, "entry_exception_error_code" }, { 0x201A, "ept_pointer" },
	{ 0x6000, "cr0_guest_host_mask" }, { 0x6004, "cr0_read_shadow" },
};

void vmx_dump_guest_state(struct vcpu *v, uint32_t reason, uint64_t qualification)
{
	struct cpuid_regs r;

	if (reason)
		log_error("CPU %u: VM entry failed: exit reason %#x (%u%s), qualification %#lx; "
			  "check the dump with tools/vmcs-check",
			  v->id, reason, reason & 0xFFFF,
			  (reason & 0xFFFF) == EXIT_INVALID_GUEST_STATE ? ", invalid guest state"
									 : "",
			  qualification);
	else
		log_error("CPU %u: the VMCS at the failed entry instruction follows", v->id);
	log_error("vmcs-dump begin cpu %u reason %u qualification %#lx", v->id, reason & 0xFFFF,
		  qualification);
	for (unsigned i = 0; i < sizeof(guest_fields) / sizeof(guest_fields[0]); i++)
		log_error("vmcs 0x%04x %s = 0x%016lx", guest_fields[i].encoding,
			  guest_fields[i].name, vmread(guest_fields[i].encoding));
	log_error("msr 0x480 ia32_vmx_basic = 0x%016lx", vmx_caps.basic);
	log_error("msr 0x485 ia32_vmx_misc = 0x%016lx", vmx_caps.misc);
	log_error("msr 0x486 ia32_vmx_cr0_fixed0 = 0x%016lx", vmx_caps.cr0_fixed0);
	log_error("msr 0x487 ia32_vmx_cr0_fixed1 = 0x%016lx", vmx_caps.cr0_fixed1);
	log_error("msr 0x488 ia32_vmx_cr4_fixed0 = 0x%016lx", vmx_caps.cr4_fixed0);
	log_error("msr 0x489 ia32_vmx_cr4_fixed1 = 0x%016lx", vmx_caps.cr4_fixed1);
	cpuid(0x80000008, 0, &r);
	log_error("msr 0x80000008 cpuid_80000008_eax = 0x%016lx", (uint64_t)r.eax);
	log_error("vmcs-dump end");
}
