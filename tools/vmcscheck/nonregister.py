"""SDM Vol. 3C 27.3.1.5 and 27.3.1.6: checks on guest non-register state
(activity, interruptibility, pending debug exceptions, VMCS link pointer)
and on the PDPTEs of a PAE guest."""
from .fields import (MASK64, CR0, CR4, RFLAGS, PENDING_DBG, INTERRUPTIBILITY, ACTIVITY,
                     LINK_POINTER, DEBUGCTL, PDPTE, PIN, ENTRY_INTR_INFO, MSR_VMX_MISC,
                     PIN_VIRTUAL_NMIS, ENTRY_SMM, CR0_PG, CR4_PAE, RFLAGS_TF, RFLAGS_IF,
                     INTR_EXTERNAL, INTR_NMI, INTR_HW_EXCEPTION, INTR_OTHER, ACTIVITY_NAMES)
from .guest import ar_dpl, fx, checker

CHECKS = []
check = checker(CHECKS)

# ---- 27.3.1.5 Checks on guest non-register state

S5 = "27.3.1.5"


@check("activity-state-supported", S5)
def _(g):
    state, misc = g.d[ACTIVITY], g.d.msr(MSR_VMX_MISC)
    if state > 3 or (state and not misc >> (5 + state) & 1):
        return (f"{fx(ACTIVITY, state)} is not an activity state this processor supports "
                f"(0 always; IA32_VMX_MISC 0x{misc:x} bits 8:6 give HLT, shutdown, wait-for-SIPI)")


@check("activity-ss-dpl", S5)
def _(g):
    if g.d[ACTIVITY] == 1 and ar_dpl(g.ar("ss")):
        return f"{fx(ACTIVITY, 1)} is HLT while SS DPL is {ar_dpl(g.ar('ss'))}, not 0"


@check("activity-sti-movss", S5)
def _(g):
    blocking = g.d[INTERRUPTIBILITY] & 3
    if blocking and g.d[ACTIVITY]:
        return (f"{fx(ACTIVITY, g.d[ACTIVITY])} is not active while guest_interruptibility_info "
                f"0x{g.d[INTERRUPTIBILITY]:x} reports blocking by STI or MOV SS")


def injection_allowed(state, kind, vector):
    """Whether an event of interruption type kind and this vector may be
    injected into activity state 0..3 (SDM 27.3.1.5: HLT takes external
    interrupts, NMIs, #DB, #MC and pending MTF; shutdown NMIs and #MC;
    wait-for-SIPI nothing)."""
    if state == 0:
        return True
    if state == 1:
        return (kind in (INTR_EXTERNAL, INTR_NMI)
                or (kind == INTR_HW_EXCEPTION and vector in (1, 18))
                or (kind == INTR_OTHER and vector == 0))
    if state == 2:
        return kind == INTR_NMI or (kind == INTR_HW_EXCEPTION and vector == 18)
    return False


@check("activity-injection", S5)
def _(g):
    state = g.d[ACTIVITY]
    if g.injecting and state <= 3 and not injection_allowed(state, g.intr_type, g.intr_vector):
        return (f"{fx(ACTIVITY, state)} ({ACTIVITY_NAMES[state]}) blocks the injected event "
                f"(entry_interruption_info 0x{g.d[ENTRY_INTR_INFO]:x}: type {g.intr_type}, "
                f"vector {g.intr_vector})")


@check("activity-sipi-smm", S5)
def _(g):
    if g.d[ACTIVITY] == 3 and g.entry & ENTRY_SMM:
        return f"{fx(ACTIVITY, 3)} is wait-for-SIPI while the \"entry to SMM\" control is 1"


def intr_fx(g):
    return fx(INTERRUPTIBILITY, g.d[INTERRUPTIBILITY])


@check("interruptibility-reserved", S5)
def _(g):
    if g.d[INTERRUPTIBILITY] & ~0x1F:
        return f"{intr_fx(g)} sets reserved bits 31:5"


@check("interruptibility-sti-movss", S5)
def _(g):
    if g.d[INTERRUPTIBILITY] & 3 == 3:
        return f"{intr_fx(g)} reports blocking by both STI and MOV SS"


@check("interruptibility-sti-if", S5)
def _(g):
    if g.d[INTERRUPTIBILITY] & 1 and not g.d[RFLAGS] & RFLAGS_IF:
        return (f"{intr_fx(g)} reports blocking by STI while guest_rflags "
                f"0x{g.d[RFLAGS]:x} clears IF")


@check("interruptibility-extint-injection", S5)
def _(g):
    if g.d[INTERRUPTIBILITY] & 3 and g.injecting and g.intr_type == INTR_EXTERNAL:
        return (f"{intr_fx(g)} reports blocking by STI or MOV SS while an external "
                f"interrupt is injected")


@check("interruptibility-nmi-movss", S5)
def _(g):
    if g.d[INTERRUPTIBILITY] & 2 and g.injecting and g.intr_type == INTR_NMI:
        return f"{intr_fx(g)} reports blocking by MOV SS while an NMI is injected"


@check("interruptibility-smi", S5)
def _(g):
    if g.d[INTERRUPTIBILITY] & 4:
        return f"{intr_fx(g)} reports blocking by SMI, allowed only for entries made inside SMM"


@check("interruptibility-nmi-virtual", S5)
def _(g):
    if (g.d[INTERRUPTIBILITY] & 8 and g.d[PIN] & PIN_VIRTUAL_NMIS and g.injecting
            and g.intr_type == INTR_NMI):
        return (f"{intr_fx(g)} reports blocking by NMI while \"virtual NMIs\" is 1 and an NMI "
                f"is injected")


@check("interruptibility-enclave-movss", S5)
def _(g):
    if g.d[INTERRUPTIBILITY] & 0x12 == 0x12:
        return f"{intr_fx(g)} sets enclave interruption (bit 4) with blocking by MOV SS"


PENDING_DBG_RESERVED = 0xFF0 | 1 << 13 | 1 << 15 | (MASK64 << 17 & MASK64)
PENDING_BS, PENDING_ENABLED_BP, PENDING_RTM = 1 << 14, 1 << 12, 1 << 16


def pdbg_fx(g):
    return fx(PENDING_DBG, g.d[PENDING_DBG])


@check("pending-dbg-reserved", S5)
def _(g):
    if g.d[PENDING_DBG] & PENDING_DBG_RESERVED:
        return f"{pdbg_fx(g)} sets reserved bits (11:4, 13, 15 or 63:17)"


@check("pending-dbg-bs", S5)
def _(g):
    if g.d[INTERRUPTIBILITY] & 3 or g.d[ACTIVITY] == 1:
        single_step = bool(g.d[RFLAGS] & RFLAGS_TF) and not g.d[DEBUGCTL] & 2
        if bool(g.d[PENDING_DBG] & PENDING_BS) != single_step:
            return (f"{pdbg_fx(g)} has BS = {int(not single_step)} but, with blocking by "
                    f"STI/MOV SS or HLT, BS must be {int(single_step)} (RFLAGS.TF = "
                    f"{g.d[RFLAGS] >> 8 & 1}, DEBUGCTL.BTF = {g.d[DEBUGCTL] >> 1 & 1})")


@check("pending-dbg-rtm", S5)
def _(g):
    value = g.d[PENDING_DBG]
    if value & PENDING_RTM and value & ~PENDING_RTM != PENDING_ENABLED_BP:
        return f"{pdbg_fx(g)} sets RTM (bit 16) but other bits than bit 12, or not bit 12"


@check("pending-dbg-rtm-movss", S5)
def _(g):
    if g.d[PENDING_DBG] & PENDING_RTM and g.d[INTERRUPTIBILITY] & 2:
        return f"{pdbg_fx(g)} sets RTM while guest_interruptibility_info reports blocking by MOV SS"


@check("vmcs-link-pointer-align", S5)
def _(g):
    link = g.d[LINK_POINTER]
    if link != MASK64 and link & 0xFFF:
        return f"{fx(LINK_POINTER, link)} is neither ~0 nor 4-KByte aligned"


@check("vmcs-link-pointer-width", S5)
def _(g):
    link = g.d[LINK_POINTER]
    if link != MASK64 and g.above_maxphyaddr(link):
        return (f"{fx(LINK_POINTER, link)} is neither ~0 nor within the {g.maxphyaddr}-bit "
                f"physical-address width")


# ---- 27.3.1.6 Checks on guest page-directory-pointer-table entries

S6 = "27.3.1.6"
PDPTE_RESERVED_LOW = 0x6 | 0x1E0    # bits 2:1 and 8:5


def uses_pae_paging(g):
    return g.d[CR0] & CR0_PG and g.d[CR4] & CR4_PAE and not g.ia32e


@check("pdpte-reserved", S6)
def _(g):
    if not (uses_pae_paging(g) and g.ept):
        return None     # without EPT the processor reads the PDPT from memory
    for field in PDPTE:
        value = g.d[field]
        bad = value & (PDPTE_RESERVED_LOW | g.above_maxphyaddr(value)) if value & 1 else 0
        if bad:
            return (f"{fx(field, value)} is present with reserved bits 0x{bad:x} set "
                    f"(2:1, 8:5, or above the {g.maxphyaddr}-bit physical-address width)")
