"""The facts the SDM phrases its guest-state checks in (virtual-8086,
IA-32e mode guest, unrestricted guest, usable segments, canonical
addresses), and how checks are registered."""
from .dump import DumpError
from .fields import (MASK64, RFLAGS, PROC, PROC2, ENTRY_CTLS, ENTRY_INTR_INFO, CPUID_80000008,
                     NAMES, seg_field, PROC_ACTIVATE_SECONDARY, PROC2_ENABLE_EPT,
                     PROC2_UNRESTRICTED, ENTRY_IA32E, RFLAGS_VM)


class Guest:
    """The dump plus the facts the SDM's checks are phrased in."""

    def __init__(self, dump):
        self.d = dump
        self.proc2 = dump[PROC2] if dump[PROC] & PROC_ACTIVATE_SECONDARY else 0
        self.unrestricted = bool(self.proc2 & PROC2_UNRESTRICTED)
        self.ept = bool(self.proc2 & PROC2_ENABLE_EPT)
        self.entry = dump[ENTRY_CTLS]
        self.ia32e = bool(self.entry & ENTRY_IA32E)
        self.v86 = bool(dump[RFLAGS] & RFLAGS_VM)
        cpuid = dump.msr(CPUID_80000008)
        self.maxphyaddr = cpuid & 0xFF
        self.linear_width = (cpuid >> 8) & 0xFF or 48
        if not 32 <= self.maxphyaddr <= 52:
            raise DumpError(f"cpuid_80000008_eax 0x{cpuid:x} gives MAXPHYADDR "
                            f"{self.maxphyaddr}, outside 32..52")
        info = dump[ENTRY_INTR_INFO]
        self.injecting = bool(info >> 31 & 1)
        self.intr_type = info >> 8 & 7
        self.intr_vector = info & 0xFF

    def ar(self, seg):
        return self.d[seg_field(seg, "ar")]

    def usable(self, seg):
        return not self.ar(seg) >> 16 & 1

    def canonical(self, value):
        top = value >> (self.linear_width - 1)
        return top in (0, (1 << (65 - self.linear_width)) - 1)

    def above_maxphyaddr(self, value):
        return value & (MASK64 << self.maxphyaddr & MASK64)


def ar_type(ar):
    """The Type field (bits 3:0) of a segment's access rights."""
    return ar & 0xF


def ar_dpl(ar):
    """The DPL field (bits 6:5) of a segment's access rights."""
    return ar >> 5 & 3


def fx(encoding, value):
    """Names a field with its value for a failure sentence."""
    return f"{NAMES[encoding]} (0x{encoding:04x}) = 0x{value:x}"


def checker(checks):
    """Returns a decorator that appends a check to the list checks, so that
    checks run in the order they are defined.  A check takes a Guest and
    returns None or a sentence naming field, value and rule."""
    def check(check_id, section):
        def register(function):
            checks.append((check_id, "SDM Vol. 3C " + section, function))
            return function
        return register
    return check


DATA_SEGS = ("cs", "ss", "ds", "es", "fs", "gs")    # the SDM's order
