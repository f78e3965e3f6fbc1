"""SDM Vol. 3C 27.3.1.2 and 27.3.1.3: checks on guest segment registers and
descriptor-table registers."""
from .fields import CR0, RFLAGS, GDTR_BASE, IDTR_BASE, GDTR_LIMIT, IDTR_LIMIT, seg_field, CR0_PE
from .guest import ar_type, ar_dpl, fx, checker, DATA_SEGS

CHECKS = []
check = checker(CHECKS)

# ---- 27.3.1.2 Checks on guest segment registers

S2 = "27.3.1.2"


def seg_desc(g, seg):
    return fx(seg_field(seg, "ar"), g.ar(seg))


@check("tr-ti", S2)
def _(g):
    sel = g.d[seg_field("tr", "sel")]
    if sel & 4:
        return f"{fx(seg_field('tr', 'sel'), sel)} sets TI (bit 2); TR must select from the GDT"


@check("ldtr-ti", S2)
def _(g):
    sel = g.d[seg_field("ldtr", "sel")]
    if g.usable("ldtr") and sel & 4:
        return (f"{fx(seg_field('ldtr', 'sel'), sel)} sets TI (bit 2) while LDTR is usable; "
                f"it must select from the GDT")


@check("ss-rpl-cs", S2)
def _(g):
    ss, cs = g.d[seg_field("ss", "sel")], g.d[seg_field("cs", "sel")]
    if not g.v86 and not g.unrestricted and ss & 3 != cs & 3:
        return (f"{fx(seg_field('ss', 'sel'), ss)} has RPL {ss & 3} but CS selector 0x{cs:x} "
                f"has RPL {cs & 3}; they must be equal without unrestricted guest")


@check("seg-base-v86", S2)
def _(g):
    if g.v86:
        for seg in DATA_SEGS:
            base, sel = g.d[seg_field(seg, "base")], g.d[seg_field(seg, "sel")]
            if base != sel << 4:
                return (f"{fx(seg_field(seg, 'base'), base)} is not selector 0x{sel:x} * 16 "
                        f"while RFLAGS.VM = 1 (virtual-8086 guest)")


@check("base-canonical", S2)
def _(g):
    for seg in ("tr", "fs", "gs", "ldtr"):
        base = g.d[seg_field(seg, "base")]
        if (seg != "ldtr" or g.usable(seg)) and not g.canonical(base):
            return (f"{fx(seg_field(seg, 'base'), base)} is not canonical for "
                    f"{g.linear_width}-bit linear addresses"
                    + (" (LDTR is usable)" if seg == "ldtr" else ""))


@check("base-upper-zero", S2)
def _(g):
    for seg in ("cs", "ss", "ds", "es"):
        base = g.d[seg_field(seg, "base")]
        if (seg == "cs" or g.usable(seg)) and base >> 32:
            return (f"{fx(seg_field(seg, 'base'), base)} sets bits 63:32"
                    + ("" if seg == "cs" else f" while {seg.upper()} is usable"))


@check("seg-limit-v86", S2)
def _(g):
    if g.v86:
        for seg in DATA_SEGS:
            limit = g.d[seg_field(seg, "limit")]
            if limit != 0xFFFF:
                return f"{fx(seg_field(seg, 'limit'), limit)} is not 0xffff in a virtual-8086 guest"


@check("seg-ar-v86", S2)
def _(g):
    if g.v86:
        for seg in DATA_SEGS:
            if g.ar(seg) != 0xF3:
                return f"{seg_desc(g, seg)} is not 0xf3 in a virtual-8086 guest"


def protected_check(check_id, regs=DATA_SEGS):
    """Registers rule(g, seg, ar) as a check on the access rights of the
    registers regs outside virtual-8086 mode: on CS always, on the others
    when they are usable (the SDM's "if the register is CS or if the
    register is usable")."""
    def wrap(rule):
        @check(check_id, S2)
        def run(g):
            if g.v86:
                return None
            for seg in regs:
                if seg == "cs" or g.usable(seg):
                    failure = rule(g, seg, g.ar(seg))
                    if failure:
                        return failure
            return None
        return rule
    return wrap


@protected_check("cs-type", regs=("cs",))
def _(g, seg, ar):
    allowed = {9, 11, 13, 15} | ({3} if g.unrestricted else set())
    if ar_type(ar) not in allowed:
        return (f"{seg_desc(g, seg)} has type {ar_type(ar)}; CS must be an accessed code segment "
                f"(9, 11, 13, 15)" + (" or type 3 with unrestricted guest" if g.unrestricted
                                      else " (type 3 needs unrestricted guest)"))


@protected_check("ss-type", regs=("ss",))
def _(g, seg, ar):
    if ar_type(ar) not in (3, 7):
        return (f"{seg_desc(g, seg)} has type {ar_type(ar)}; a usable SS must be 3 or 7 "
                f"(read/write, accessed)")


@protected_check("ds-type-accessed", regs=("ds", "es", "fs", "gs"))
def _(g, seg, ar):
    if not ar & 1:
        return f"{seg_desc(g, seg)} clears the accessed bit (type bit 0) of a usable {seg.upper()}"


@protected_check("ds-type-readable", regs=("ds", "es", "fs", "gs"))
def _(g, seg, ar):
    if ar & 8 and not ar & 2:
        return (f"{seg_desc(g, seg)} is an execute-only code segment in a usable "
                f"{seg.upper()}; code must be readable")


@protected_check("seg-s-bit")
def _(g, seg, ar):
    if not ar & 0x10:
        return f"{seg_desc(g, seg)} clears S (bit 4); {seg.upper()} must be a code or data segment"


@protected_check("cs-dpl-data", regs=("cs",))
def _(g, seg, ar):
    if ar_type(ar) == 3 and ar_dpl(ar) != 0:
        return (f"{seg_desc(g, seg)} is type 3 (unrestricted-guest data CS) with DPL "
                f"{ar_dpl(ar)}, not 0")


@protected_check("cs-dpl-nonconforming", regs=("cs",))
def _(g, seg, ar):
    ss_dpl = ar_dpl(g.ar("ss"))
    if ar_type(ar) in (9, 11) and ar_dpl(ar) != ss_dpl:
        return (f"{seg_desc(g, seg)} is non-conforming code with DPL {ar_dpl(ar)} but SS "
                f"DPL is {ss_dpl}; they must be equal")


@protected_check("cs-dpl-conforming", regs=("cs",))
def _(g, seg, ar):
    ss_dpl = ar_dpl(g.ar("ss"))
    if ar_type(ar) in (13, 15) and ar_dpl(ar) > ss_dpl:
        return f"{seg_desc(g, seg)} is conforming code with DPL {ar_dpl(ar)} above SS DPL {ss_dpl}"


@check("ss-dpl-rpl", S2)
def _(g):
    rpl = g.d[seg_field("ss", "sel")] & 3
    if not g.v86 and not g.unrestricted and ar_dpl(g.ar("ss")) != rpl:
        return (f"{seg_desc(g, 'ss')} has DPL {ar_dpl(g.ar('ss'))} but the SS selector's "
                f"RPL is {rpl}")


@check("ss-dpl-zero", S2)
def _(g):
    if g.v86:
        return None
    cs_data = ar_type(g.ar("cs")) == 3
    if (cs_data or not g.d[CR0] & CR0_PE) and ar_dpl(g.ar("ss")):
        why = "CS is type 3" if cs_data else f"guest_cr0 0x{g.d[CR0]:x} clears PE"
        return f"{seg_desc(g, 'ss')} has DPL {ar_dpl(g.ar('ss'))}, not 0, while {why}"


@protected_check("ds-dpl-rpl", regs=("ds", "es", "fs", "gs"))
def _(g, seg, ar):
    rpl = g.d[seg_field(seg, "sel")] & 3
    if not g.unrestricted and ar_type(ar) <= 11 and ar_dpl(ar) < rpl:
        return f"{seg_desc(g, seg)} has DPL {ar_dpl(ar)} below its selector's RPL {rpl}"


@protected_check("seg-present")
def _(g, seg, ar):
    if not ar & 0x80:
        which = "CS" if seg == "cs" else f"a usable {seg.upper()}"
        return f"{seg_desc(g, seg)} clears P (bit 7) of {which}"


@protected_check("seg-ar-reserved")
def _(g, seg, ar):
    if ar & 0xF00:
        return f"{seg_desc(g, seg)} sets reserved bits 11:8"


@protected_check("cs-db-long", regs=("cs",))
def _(g, seg, ar):
    if g.ia32e and ar & 0x2000 and ar & 0x4000:
        return f"{seg_desc(g, seg)} sets both L (bit 13) and D/B (bit 14) in an IA-32e mode guest"


def g_limit_rule(g, seg, ar):
    """The granularity rule shared by CS..GS, TR and LDTR."""
    limit = g.d[seg_field(seg, "limit")]
    if limit & 0xFFF != 0xFFF and ar & 0x8000:
        return f"{seg_desc(g, seg)} sets G but limit 0x{limit:x} has zeros in bits 11:0"
    if limit & 0xFFF00000 and not ar & 0x8000:
        return f"{seg_desc(g, seg)} clears G but limit 0x{limit:x} has ones in bits 31:20"
    return None


protected_check("seg-g-limit")(g_limit_rule)


@protected_check("seg-ar-reserved-high")
def _(g, seg, ar):
    if ar & 0xFFFE0000:
        return f"{seg_desc(g, seg)} sets reserved bits 31:17"


def system_check(check_id, seg, rule):
    """A check on TR (always) or LDTR (when usable)."""
    @check(check_id, S2)
    def run(g):
        if seg == "tr" or g.usable(seg):
            return rule(g, seg, g.ar(seg))
        return None


def tr_type(g, seg, ar):
    allowed = (11,) if g.ia32e else (3, 11)
    if ar_type(ar) not in allowed:
        return (f"{seg_desc(g, seg)} has type {ar_type(ar)}; TR must be a busy "
                + ("64-bit TSS (11) in an IA-32e mode guest" if g.ia32e else "TSS (3 or 11)"))


def sys_s(g, seg, ar):
    if ar & 0x10:
        return f"{seg_desc(g, seg)} sets S (bit 4); {seg.upper()} must be a system segment"


def sys_present(g, seg, ar):
    if not ar & 0x80:
        return f"{seg_desc(g, seg)} clears P (bit 7)"


def sys_reserved(g, seg, ar):
    if ar & 0xF00:
        return f"{seg_desc(g, seg)} sets reserved bits 11:8"


def sys_reserved_high(g, seg, ar):
    if ar & 0xFFFE0000:
        return f"{seg_desc(g, seg)} sets reserved bits 31:17"


def tr_unusable(g, seg, ar):
    if ar & 0x10000:
        return f"{seg_desc(g, seg)} sets the unusable bit (16); TR must be usable"


def ldtr_type(g, seg, ar):
    if ar_type(ar) != 2:
        return f"{seg_desc(g, seg)} has type {ar_type(ar)}; a usable LDTR must be type 2 (LDT)"


for _id, _rule in (("tr-type", tr_type), ("tr-ar-s", sys_s), ("tr-ar-present", sys_present),
                   ("tr-ar-reserved", sys_reserved), ("tr-ar-g-limit", g_limit_rule),
                   ("tr-ar-unusable", tr_unusable), ("tr-ar-reserved-high", sys_reserved_high)):
    system_check(_id, "tr", _rule)
for _id, _rule in (("ldtr-type", ldtr_type), ("ldtr-ar-s", sys_s),
                   ("ldtr-ar-present", sys_present), ("ldtr-ar-reserved", sys_reserved),
                   ("ldtr-ar-g-limit", g_limit_rule), ("ldtr-ar-reserved-high", sys_reserved_high)):
    system_check(_id, "ldtr", _rule)


# ---- 27.3.1.3 Checks on guest descriptor-table registers

S3 = "27.3.1.3"


@check("gdtr-base-canonical", S3)
def _(g):
    if not g.canonical(g.d[GDTR_BASE]):
        return f"{fx(GDTR_BASE, g.d[GDTR_BASE])} is not canonical"


@check("idtr-base-canonical", S3)
def _(g):
    if not g.canonical(g.d[IDTR_BASE]):
        return f"{fx(IDTR_BASE, g.d[IDTR_BASE])} is not canonical"


@check("gdtr-limit", S3)
def _(g):
    if g.d[GDTR_LIMIT] >> 16:
        return f"{fx(GDTR_LIMIT, g.d[GDTR_LIMIT])} sets bits 31:16"


@check("idtr-limit", S3)
def _(g):
    if g.d[IDTR_LIMIT] >> 16:
        return f"{fx(IDTR_LIMIT, g.d[IDTR_LIMIT])} sets bits 31:16"
