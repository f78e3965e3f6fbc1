"""VMCS field encodings (SDM Vol. 3C appendix B), MSR indexes, the names
vmcs-check gives them, and the control and register bits its checks read."""

MASK64 = (1 << 64) - 1

# Field encodings, SDM Vol. 3C appendix B.  NAMES follows vmx/entry_fail.c,
# so that messages use the names the dump shows.  Segment registers are indexed in
# encoding order: ES, CS, SS, DS, FS, GS, LDTR, TR.
SEG_INDEX = {"es": 0, "cs": 1, "ss": 2, "ds": 3, "fs": 4, "gs": 5, "ldtr": 6, "tr": 7}
CR0, CR3, CR4, DR7, RSP, RIP, RFLAGS = 0x6800, 0x6802, 0x6804, 0x681A, 0x681C, 0x681E, 0x6820
PENDING_DBG, SYSENTER_ESP, SYSENTER_EIP = 0x6822, 0x6824, 0x6826
S_CET, SSP, INTR_SSP_TABLE = 0x6828, 0x682A, 0x682C
GDTR_BASE, IDTR_BASE, GDTR_LIMIT, IDTR_LIMIT = 0x6816, 0x6818, 0x4810, 0x4812
INTERRUPTIBILITY, ACTIVITY, SYSENTER_CS = 0x4824, 0x4826, 0x482A
LINK_POINTER, DEBUGCTL, PAT, EFER, PERF_GLOBAL = 0x2800, 0x2802, 0x2804, 0x2806, 0x2808
PDPTE = (0x280A, 0x280C, 0x280E, 0x2810)
BNDCFGS, RTIT_CTL, LBR_CTL, PKRS = 0x2812, 0x2814, 0x2816, 0x2818
PIN, PROC, PROC2, EXIT_CTLS, ENTRY_CTLS = 0x4000, 0x4002, 0x401E, 0x400C, 0x4012
ENTRY_INTR_INFO, ENTRY_ERROR_CODE, EPTP = 0x4016, 0x4018, 0x201A

MSR_VMX_BASIC, MSR_VMX_MISC = 0x480, 0x485
MSR_CR0_FIXED0, MSR_CR0_FIXED1, MSR_CR4_FIXED0, MSR_CR4_FIXED1 = 0x486, 0x487, 0x488, 0x489
CPUID_80000008 = 0x80000008

NAMES = {
    CR0: "guest_cr0", CR3: "guest_cr3", CR4: "guest_cr4", DR7: "guest_dr7",
    RSP: "guest_rsp", RIP: "guest_rip", RFLAGS: "guest_rflags",
    PENDING_DBG: "guest_pending_dbg_exceptions", SYSENTER_ESP: "guest_sysenter_esp",
    SYSENTER_EIP: "guest_sysenter_eip", S_CET: "guest_s_cet", SSP: "guest_ssp",
    INTR_SSP_TABLE: "guest_interrupt_ssp_table_addr",
    GDTR_BASE: "guest_gdtr_base", IDTR_BASE: "guest_idtr_base",
    GDTR_LIMIT: "guest_gdtr_limit", IDTR_LIMIT: "guest_idtr_limit",
    INTERRUPTIBILITY: "guest_interruptibility_info", ACTIVITY: "guest_activity_state",
    SYSENTER_CS: "guest_sysenter_cs", LINK_POINTER: "vmcs_link_pointer",
    DEBUGCTL: "guest_ia32_debugctl", PAT: "guest_ia32_pat", EFER: "guest_ia32_efer",
    PERF_GLOBAL: "guest_ia32_perf_global_ctrl", BNDCFGS: "guest_ia32_bndcfgs",
    RTIT_CTL: "guest_ia32_rtit_ctl", LBR_CTL: "guest_ia32_lbr_ctl", PKRS: "guest_ia32_pkrs",
    PIN: "pin_based_controls", PROC: "primary_proc_based_controls",
    PROC2: "secondary_proc_based_controls", EXIT_CTLS: "exit_controls",
    ENTRY_CTLS: "entry_controls", ENTRY_INTR_INFO: "entry_interruption_info",
    ENTRY_ERROR_CODE: "entry_exception_error_code", EPTP: "ept_pointer",
    MSR_VMX_BASIC: "ia32_vmx_basic", MSR_VMX_MISC: "ia32_vmx_misc",
    MSR_CR0_FIXED0: "ia32_vmx_cr0_fixed0", MSR_CR0_FIXED1: "ia32_vmx_cr0_fixed1",
    MSR_CR4_FIXED0: "ia32_vmx_cr4_fixed0", MSR_CR4_FIXED1: "ia32_vmx_cr4_fixed1",
    CPUID_80000008: "cpuid_80000008_eax",
}
for _i, _p in enumerate(PDPTE):
    NAMES[_p] = f"guest_pdpte{_i}"


def seg_field(seg, kind):
    """Encoding of a segment register's selector, limit, access rights or base."""
    i = SEG_INDEX[seg]
    return {"sel": 0x0800, "limit": 0x4800, "ar": 0x4814, "base": 0x6806}[kind] + 2 * i


for _s in SEG_INDEX:
    for _k, _n in (("sel", "selector"), ("limit", "limit"), ("ar", "access_rights"),
                   ("base", "base")):
        NAMES[seg_field(_s, _k)] = f"guest_{_s}_{_n}"

# Control bits the checks depend on (SDM Vol. 3C 25.6 and 25.8).
PIN_VIRTUAL_NMIS = 1 << 5
PROC_ACTIVATE_SECONDARY = 1 << 31
PROC2_ENABLE_EPT, PROC2_UNRESTRICTED = 1 << 1, 1 << 7
ENTRY_LOAD_DEBUG, ENTRY_IA32E, ENTRY_SMM = 1 << 2, 1 << 9, 1 << 10
ENTRY_LOAD_PAT, ENTRY_LOAD_EFER, ENTRY_LOAD_BNDCFGS = 1 << 14, 1 << 15, 1 << 16
ENTRY_LOAD_CET, ENTRY_LOAD_LBR_CTL, ENTRY_LOAD_PKRS = 1 << 20, 1 << 21, 1 << 22

CR0_PE, CR0_NE, CR0_WP, CR0_NW, CR0_CD, CR0_PG = 1, 1 << 5, 1 << 16, 1 << 29, 1 << 30, 1 << 31
CR4_PAE, CR4_PCIDE, CR4_CET = 1 << 5, 1 << 17, 1 << 23
EFER_LME, EFER_LMA = 1 << 8, 1 << 10
RFLAGS_TF, RFLAGS_IF, RFLAGS_VM = 1 << 8, 1 << 9, 1 << 17

# Interruption types of the VM-entry interruption-information field (25.8.3).
INTR_EXTERNAL, INTR_NMI, INTR_HW_EXCEPTION, INTR_OTHER = 0, 2, 3, 7
ACTIVITY_NAMES = {0: "active", 1: "HLT", 2: "shutdown", 3: "wait-for-SIPI"}
