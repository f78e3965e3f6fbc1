"""SDM Vol. 3C 27.3.1.4: checks on guest RIP and RFLAGS."""
from .fields import MASK64, CR0, RIP, RFLAGS, CR0_PE, RFLAGS_IF, INTR_EXTERNAL
from .guest import fx, checker

CHECKS = []
check = checker(CHECKS)

# ---- 27.3.1.4 Checks on guest RIP and RFLAGS

S4 = "27.3.1.4"


def long_mode_cs(g):
    return g.ia32e and g.ar("cs") & 0x2000


@check("rip-upper", S4)
def _(g):
    if not long_mode_cs(g) and g.d[RIP] >> 32:
        return (f"{fx(RIP, g.d[RIP])} sets bits 63:32 outside 64-bit mode "
                f"(\"IA-32e mode guest\" = {int(g.ia32e)}, CS.L = {g.ar('cs') >> 13 & 1})")


@check("rip-canonical", S4)
def _(g):
    if long_mode_cs(g) and not g.canonical(g.d[RIP]):
        return f"{fx(RIP, g.d[RIP])} is not canonical in 64-bit mode"


RFLAGS_RESERVED = (MASK64 << 22 & MASK64) | 1 << 15 | 1 << 5 | 1 << 3


@check("rflags-reserved", S4)
def _(g):
    value = g.d[RFLAGS]
    if value & RFLAGS_RESERVED or not value & 2:
        return (f"{fx(RFLAGS, value)} breaks the reserved bits: 63:22, 15, 5 and 3 must be 0 "
                f"and bit 1 must be 1")


@check("rflags-vm", S4)
def _(g):
    if g.v86 and (g.ia32e or not g.d[CR0] & CR0_PE):
        why = "the \"IA-32e mode guest\" entry control is 1" if g.ia32e else "CR0.PE is 0"
        return f"{fx(RFLAGS, g.d[RFLAGS])} sets VM (bit 17) while {why}"


@check("rflags-if-injection", S4)
def _(g):
    if g.injecting and g.intr_type == INTR_EXTERNAL and not g.d[RFLAGS] & RFLAGS_IF:
        return (f"{fx(RFLAGS, g.d[RFLAGS])} clears IF while the entry injects external "
                f"interrupt vector 0x{g.intr_vector:x}")
