"""SDM Vol. 3C 27.3.1.1: checks on guest control registers, debug registers
and MSRs."""
from .fields import (MASK64, CR0, CR3, CR4, DR7, SYSENTER_ESP, SYSENTER_EIP, S_CET, INTR_SSP_TABLE,
                     DEBUGCTL, PAT, EFER, BNDCFGS, LBR_CTL, PKRS, MSR_CR0_FIXED0, MSR_CR0_FIXED1,
                     MSR_CR4_FIXED0, MSR_CR4_FIXED1, ENTRY_LOAD_DEBUG, ENTRY_LOAD_PAT,
                     ENTRY_LOAD_EFER, ENTRY_LOAD_BNDCFGS, ENTRY_LOAD_CET, ENTRY_LOAD_LBR_CTL,
                     ENTRY_LOAD_PKRS, CR0_PE, CR0_WP, CR0_NW, CR0_CD, CR0_PG, CR4_PAE, CR4_PCIDE,
                     CR4_CET, EFER_LME, EFER_LMA)
from .guest import fx, checker

CHECKS = []
check = checker(CHECKS)

# ---- 27.3.1.1 Checks on guest control registers, debug registers and MSRs

S1 = "27.3.1.1"


def cr0_fixed0_mask(g):
    must_be_one = g.d.msr(MSR_CR0_FIXED0) & ~(CR0_CD | CR0_NW)   # CD, NW never checked
    if g.unrestricted:
        must_be_one &= ~(CR0_PE | CR0_PG)
    return must_be_one


@check("cr0-fixed0", S1)
def _(g):
    missing = cr0_fixed0_mask(g) & ~g.d[CR0]
    if missing:
        return (f"{fx(CR0, g.d[CR0])} clears bits 0x{missing:x} that IA32_VMX_CR0_FIXED0 "
                f"0x{g.d.msr(MSR_CR0_FIXED0):x} requires set in VMX operation"
                + (" (unrestricted guest exempts only PE and PG)" if g.unrestricted else ""))


@check("cr0-fixed1", S1)
def _(g):
    extra = g.d[CR0] & ~g.d.msr(MSR_CR0_FIXED1) & ~(CR0_CD | CR0_NW) & MASK64
    if extra:
        return (f"{fx(CR0, g.d[CR0])} sets bits 0x{extra:x} that IA32_VMX_CR0_FIXED1 "
                f"0x{g.d.msr(MSR_CR0_FIXED1):x} requires clear in VMX operation")


@check("cr0-pg-without-pe", S1)
def _(g):
    if g.d[CR0] & CR0_PG and not g.d[CR0] & CR0_PE:
        return f"{fx(CR0, g.d[CR0])} sets PG (bit 31) without PE (bit 0)"


@check("cr4-fixed0", S1)
def _(g):
    missing = g.d.msr(MSR_CR4_FIXED0) & ~g.d[CR4]
    if missing:
        return (f"{fx(CR4, g.d[CR4])} clears bits 0x{missing:x} that IA32_VMX_CR4_FIXED0 "
                f"0x{g.d.msr(MSR_CR4_FIXED0):x} requires set (VMXE is bit 13)")


@check("cr4-fixed1", S1)
def _(g):
    extra = g.d[CR4] & ~g.d.msr(MSR_CR4_FIXED1) & MASK64
    if extra:
        return (f"{fx(CR4, g.d[CR4])} sets bits 0x{extra:x} that IA32_VMX_CR4_FIXED1 "
                f"0x{g.d.msr(MSR_CR4_FIXED1):x} requires clear (unsupported or reserved)")


@check("cr4-cet-wp", S1)
def _(g):
    if g.d[CR4] & CR4_CET and not g.d[CR0] & CR0_WP:
        return f"{fx(CR4, g.d[CR4])} sets CET (bit 23) while guest_cr0 0x{g.d[CR0]:x} clears WP"


# IA32_DEBUGCTL bits some processor defines: LBR, BTF, BLD (2), TR, BTS,
# BTINT, BTS_OFF_OS/USR, FREEZE_LBRS/PERFMON_ON_PMI, ENABLE_UNCORE_PMI,
# FREEZE_WHILE_SMM, RTM_DEBUG (6..15).  Only bits no processor defines are
# flagged: which of these a given CPU supports needs CPUID and the model.
DEBUGCTL_DEFINED = 0xFFC7


@check("debugctl-reserved", S1)
def _(g):
    if g.entry & ENTRY_LOAD_DEBUG:
        bad = g.d[DEBUGCTL] & ~DEBUGCTL_DEFINED & MASK64
        if bad:
            return (f"{fx(DEBUGCTL, g.d[DEBUGCTL])} sets reserved bits 0x{bad:x} while "
                    f"\"load debug controls\" is 1")


@check("cr0-pg-ia32e", S1)
def _(g):
    if g.ia32e and not g.d[CR0] & CR0_PG:
        return f"{fx(CR0, g.d[CR0])} clears PG while the \"IA-32e mode guest\" entry control is 1"


@check("cr4-pae-ia32e", S1)
def _(g):
    if g.ia32e and not g.d[CR4] & CR4_PAE:
        return f"{fx(CR4, g.d[CR4])} clears PAE while the \"IA-32e mode guest\" entry control is 1"


@check("cr4-pcide-not-ia32e", S1)
def _(g):
    if not g.ia32e and g.d[CR4] & CR4_PCIDE:
        return (f"{fx(CR4, g.d[CR4])} sets PCIDE (bit 17) while the \"IA-32e mode guest\" "
                f"entry control is 0")


@check("cr3-reserved", S1)
def _(g):
    bad = g.above_maxphyaddr(g.d[CR3])
    if bad:
        return (f"{fx(CR3, g.d[CR3])} sets bits 0x{bad:x} above the physical-address width "
                f"({g.maxphyaddr} bits)")


@check("dr7-upper", S1)
def _(g):
    if g.entry & ENTRY_LOAD_DEBUG and g.d[DR7] >> 32:
        return f"{fx(DR7, g.d[DR7])} sets bits 63:32 while \"load debug controls\" is 1"


@check("sysenter-canonical", S1)
def _(g):
    for field in (SYSENTER_ESP, SYSENTER_EIP):
        if not g.canonical(g.d[field]):
            return (f"{fx(field, g.d[field])} is not canonical for {g.linear_width}-bit "
                    f"linear addresses")


@check("cet-canonical", S1)
def _(g):
    if g.entry & ENTRY_LOAD_CET:
        for field in (S_CET, INTR_SSP_TABLE):
            if not g.canonical(g.d[field]):
                return f"{fx(field, g.d[field])} is not canonical while \"load CET state\" is 1"


PAT_TYPES = {0, 1, 4, 5, 6, 7}


@check("pat-type", S1)
def _(g):
    if g.entry & ENTRY_LOAD_PAT:
        for i in range(8):
            kind = g.d[PAT] >> (8 * i) & 0xFF
            if kind not in PAT_TYPES:
                return (f"{fx(PAT, g.d[PAT])} has byte {i} = 0x{kind:x}, not a memory type "
                        f"(0, 1, 4, 5, 6 or 7), while \"load IA32_PAT\" is 1")


EFER_DEFINED = 1 | EFER_LME | EFER_LMA | 1 << 11    # SCE, LME, LMA, NXE


@check("efer-reserved", S1)
def _(g):
    if g.entry & ENTRY_LOAD_EFER:
        bad = g.d[EFER] & ~EFER_DEFINED & MASK64
        if bad:
            return (f"{fx(EFER, g.d[EFER])} sets reserved bits 0x{bad:x} (only SCE, LME, LMA "
                    f"and NXE exist) while \"load IA32_EFER\" is 1")


@check("efer-lma-ia32e", S1)
def _(g):
    if g.entry & ENTRY_LOAD_EFER and bool(g.d[EFER] & EFER_LMA) != g.ia32e:
        return (f"{fx(EFER, g.d[EFER])} has LMA = {int(bool(g.d[EFER] & EFER_LMA))} but the "
                f"\"IA-32e mode guest\" entry control is {int(g.ia32e)}; they must be equal")


@check("efer-lme-pg", S1)
def _(g):
    efer = g.d[EFER]
    if (g.entry & ENTRY_LOAD_EFER and g.d[CR0] & CR0_PG
            and bool(efer & EFER_LMA) != bool(efer & EFER_LME)):
        return (f"{fx(EFER, efer)} has LMA != LME while guest_cr0 0x{g.d[CR0]:x} sets PG; "
                f"with paging on they must be equal")


@check("bndcfgs-reserved", S1)
def _(g):
    if g.entry & ENTRY_LOAD_BNDCFGS and g.d[BNDCFGS] & 0xFFC:
        return f"{fx(BNDCFGS, g.d[BNDCFGS])} sets reserved bits 11:2"


@check("bndcfgs-canonical", S1)
def _(g):
    if g.entry & ENTRY_LOAD_BNDCFGS and not g.canonical(g.d[BNDCFGS] & ~0xFFF & MASK64):
        return f"{fx(BNDCFGS, g.d[BNDCFGS])} has a non-canonical base in bits 63:12"


LBR_CTL_DEFINED = 0xF | 0x7F << 16    # LBREn, OS, USR, CALL_STACK; branch-type bits 22:16


@check("lbr-ctl-reserved", S1)
def _(g):
    if g.entry & ENTRY_LOAD_LBR_CTL and g.d[LBR_CTL] & ~LBR_CTL_DEFINED:
        return f"{fx(LBR_CTL, g.d[LBR_CTL])} sets reserved bits of IA32_LBR_CTL"


@check("pkrs-upper", S1)
def _(g):
    if g.entry & ENTRY_LOAD_PKRS and g.d[PKRS] >> 32:
        return f"{fx(PKRS, g.d[PKRS])} sets bits 63:32 while \"load PKRS\" is 1"
