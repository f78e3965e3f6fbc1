#!/usr/bin/env python3
"""Tests of tools/vmcs-check on dumps built here: three known-good guests
(64-bit long mode; 32-bit protected mode with unrestricted guest, as Linux's
32-bit boot protocol starts; the same with PAE paging), single-field
corruptions named by their exact check id, every line of
tools/vmcs-corruptions.txt applied to its good dump, and malformed input.

Expect: the good dumps pass and each corruption is named by its check id.
"""
import os
import subprocess
import sys
import tempfile
import unittest

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TOOL = os.path.join(TOOLS, "vmcs-check")
CORRUPTIONS = os.path.join(TOOLS, "vmcs-corruptions.txt")

sys.dont_write_bytecode = True
sys.path.insert(0, TOOLS)
from vmcscheck import fields as vf  # noqa: E402
from vmcscheck.checks import CHECK_IDS, CHECKS, first_failure  # noqa: E402
from vmcscheck.dump import parse_last_dump  # noqa: E402

MSRS = {
    0x480: 0x00DA040000000004,   # ia32_vmx_basic
    0x485: 0x00000000000001E5,   # ia32_vmx_misc: HLT, shutdown, wait-for-SIPI
    0x486: 0x0000000080000021,   # cr0_fixed0: PG, NE, PE
    0x487: 0x00000000FFFFFFFF,   # cr0_fixed1
    0x488: 0x0000000000002000,   # cr4_fixed0: VMXE
    0x489: 0x00000000003727FF,   # cr4_fixed1
    0x80000008: 0x0000302E,      # 48-bit linear, 46-bit physical addresses
}

SEGS = ("es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr")
UNUSABLE = 0x10000


def segment(fields, seg, sel, base, limit, ar):
    for kind, value in (("sel", sel), ("base", base), ("limit", limit), ("ar", ar)):
        fields[vf.seg_field(seg, kind)] = value


def common_fields():
    """What every good dump shares: controls (EPT and unrestricted guest on,
    virtual NMIs, entry loads debug controls, PAT and EFER), MSR fields,
    non-register state."""
    return {
        vf.PIN: 0x3E, vf.PROC: 0x8401E172, vf.PROC2: 0x82, vf.EXIT_CTLS: 0x003FEFFF,
        vf.ENTRY_INTR_INFO: 0, vf.ENTRY_ERROR_CODE: 0, vf.EPTP: 0x000000000123401E,
        vf.DR7: 0x400, vf.DEBUGCTL: 0, vf.PAT: 0x0007040600070406, vf.RSP: 0,
        vf.PENDING_DBG: 0, vf.INTERRUPTIBILITY: 0, vf.ACTIVITY: 0,
        vf.SYSENTER_CS: 0, vf.SYSENTER_ESP: 0, vf.SYSENTER_EIP: 0,
        vf.LINK_POINTER: vf.MASK64, vf.PDPTE[0]: 0, vf.PDPTE[1]: 0, vf.PDPTE[2]: 0,
        vf.PDPTE[3]: 0,
    }


def long_mode():
    f = common_fields()
    f.update({vf.CR0: 0x80050033, vf.CR3: 0x0000000002A0E000, vf.CR4: 0x00000000000226F0,
              vf.EFER: 0xD01, vf.ENTRY_CTLS: 0xD3FF, vf.RIP: 0xFFFFFFFF81000000,
              vf.RSP: 0xFFFFFFFF82603F58, vf.RFLAGS: 0x246,
              vf.GDTR_BASE: 0xFFFFFE0000001000, vf.GDTR_LIMIT: 0x7F,
              vf.IDTR_BASE: 0xFFFFFE0000000000, vf.IDTR_LIMIT: 0xFFF,
              vf.SYSENTER_CS: 0x10, vf.SYSENTER_ESP: 0xFFFFFE0000003000,
              vf.SYSENTER_EIP: 0xFFFFFFFF81A01B40})
    segment(f, "cs", 0x10, 0, 0xFFFFFFFF, 0xA09B)
    for seg in ("ss", "ds", "es"):
        segment(f, seg, 0x18, 0, 0xFFFFFFFF, 0xC093)
    segment(f, "fs", 0, 0, 0xFFFFFFFF, UNUSABLE)
    segment(f, "gs", 0, 0xFFFF88803EC00000, 0xFFFFFFFF, UNUSABLE)
    segment(f, "ldtr", 0, 0, 0, UNUSABLE)
    segment(f, "tr", 0x40, 0xFFFFFE0000003000, 0x4087, 0x8B)
    return f


def compatibility_mode():
    """Linux's startup_32 just after it set CR0.PG with EFER.LME: IA-32e
    mode, still running 32-bit code (CS.L = 0) at a low address."""
    f = protected_mode()
    f.update({vf.CR0: 0x80000031, vf.CR4: 0x2020, vf.CR3: 0x01A4D000, vf.EFER: 0x500,
              vf.ENTRY_CTLS: 0xD3FF, vf.RIP: 0x010001F0})
    return f


def protected_mode():
    """Linux's 32-bit boot protocol state as the VMCS holds it: CR0 is
    PE|ET|NE (the guest reads 0x11 through the read shadow: NE is forced by
    IA32_VMX_CR0_FIXED0), CR4 is VMXE only, paging off, flat 4-GByte CS
    0x10 and data 0x18, TR the reset-style busy TSS."""
    f = common_fields()
    f.update({vf.CR0: 0x31, vf.CR3: 0, vf.CR4: 0x2000, vf.EFER: 0, vf.ENTRY_CTLS: 0xD1FF,
              vf.RIP: 0x100000, vf.RSP: 0, vf.RFLAGS: 0x2,
              vf.GDTR_BASE: 0x00090000, vf.GDTR_LIMIT: 0x1F,
              vf.IDTR_BASE: 0, vf.IDTR_LIMIT: 0})
    segment(f, "cs", 0x10, 0, 0xFFFFFFFF, 0xC09B)
    for seg in ("ss", "ds", "es", "fs", "gs"):
        segment(f, seg, 0x18, 0, 0xFFFFFFFF, 0xC093)
    segment(f, "ldtr", 0, 0, 0, UNUSABLE)
    segment(f, "tr", 0, 0, 0xFFFF, 0x8B)
    return f


def pae_mode():
    """The protected-mode guest after it turned on PAE paging."""
    f = protected_mode()
    f.update({vf.CR0: 0x80000031, vf.CR4: 0x2020, vf.CR3: 0x01A4D000,
              vf.PDPTE[0]: 0x01A4E001, vf.PDPTE[1]: 0x01A4F001, vf.PDPTE[2]: 0x01A50001,
              vf.PDPTE[3]: 0x01A51001})
    return f


def restricted_long_mode():
    """Long mode without unrestricted guest, with a conforming CS so that
    SS's DPL can differ from its RPL while CS's rules hold."""
    f = long_mode()
    f[vf.PROC2] = vf.PROC2_ENABLE_EPT
    f[vf.seg_field("cs", "ar")] = 0xA09F
    return f


def usable_ldtr():
    f = long_mode()
    segment(f, "ldtr", 0x50, 0xFFFFFE0000010000, 0xFFFF, 0x82)
    return f


def data_cs():
    """Unrestricted guest with CS as a type 3 (data) segment, DPL 0."""
    f = protected_mode()
    f[vf.seg_field("cs", "ar")] = 0xC093
    return f


def optional_msrs():
    """Long mode that also loads CET state, IA32_BNDCFGS, IA32_LBR_CTL and
    PKRS: the checks on those fields apply only with their entry controls."""
    f = long_mode()
    f[vf.ENTRY_CTLS] |= (vf.ENTRY_LOAD_CET | vf.ENTRY_LOAD_BNDCFGS | vf.ENTRY_LOAD_LBR_CTL
                         | vf.ENTRY_LOAD_PKRS)
    f.update({vf.S_CET: 0, vf.SSP: 0, vf.INTR_SSP_TABLE: 0xFFFFFE0000020000,
              vf.BNDCFGS: 0xFFFFFE0000030001, vf.LBR_CTL: 0x7F0007, vf.PKRS: 0x55555554})
    return f


def sipi_smm():
    f = protected_mode()
    f[vf.ENTRY_CTLS] |= vf.ENTRY_SMM
    return f


def render(fields, msrs=None, reason=33, prefix="shoji: error: "):
    lines = [f"{prefix}vmcs-dump begin cpu 0 reason {reason} qualification 0x0"]
    for enc in sorted(fields):
        lines.append(f"{prefix}vmcs 0x{enc:04x} {vf.NAMES.get(enc, 'field')} = "
                     f"0x{fields[enc]:016x}")
    for index, value in sorted((msrs or MSRS).items()):
        lines.append(f"{prefix}msr 0x{index:x} {vf.NAMES[index]} = 0x{value:016x}")
    lines.append(f"{prefix}vmcs-dump end")
    return "\n".join(lines) + "\n"


def first(fields, msrs=None):
    result = first_failure(parse_last_dump(render(fields, msrs)))
    return result[0] if result else None


def run_tool(args, text):
    return subprocess.run([sys.executable, TOOL] + args, input=text, capture_output=True,
                          text=True)


class GoodDumps(unittest.TestCase):
    def test_long_mode_passes(self):
        self.assertIsNone(first(long_mode()))

    def test_protected_mode_passes(self):
        self.assertIsNone(first(protected_mode()))

    def test_compatibility_mode_passes(self):
        self.assertIsNone(first(compatibility_mode()))

    def test_pae_passes(self):
        self.assertIsNone(first(pae_mode()))

    def test_real_mode_unrestricted_passes(self):
        f = protected_mode()
        f[vf.CR0] = 0x30
        for seg in ("cs", "ss", "ds", "es", "fs", "gs"):
            segment(f, seg, 0xF000 if seg == "cs" else 0, 0xF0000 if seg == "cs" else 0,
                    0xFFFF, 0x9B if seg == "cs" else 0x93)
        self.assertIsNone(first(f))

    def test_virtual_8086_passes(self):
        f = protected_mode()
        f[vf.RFLAGS] = 0x20002
        for seg in ("cs", "ss", "ds", "es", "fs", "gs"):
            segment(f, seg, 0x1234, 0x12340, 0xFFFF, 0xF3)
        self.assertIsNone(first(f))

    def test_cli_pass(self):
        out = run_tool([], render(long_mode()))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(out.stdout, "vmcs-check: all guest-state checks pass\n")


class Corruptions(unittest.TestCase):
    """Single-field corruptions of the good dumps, each with its check id."""

    CASES = [
        # (name, good dump, field, new value, expected check id)
        ("CR0 as the guest sees it (NE clear)", protected_mode, vf.CR0, 0x11, "cr0-fixed0"),
        ("CR0.PE clear without unrestricted guest", protected_mode, vf.PROC2, 0x02,
         "cr0-fixed0"),
        ("CR0 bit 32", long_mode, vf.CR0, 0x180050033, "cr0-fixed1"),
        ("CR0.PG without PE", protected_mode, vf.CR0, 0x80000030, "cr0-pg-without-pe"),
        ("CR4 without VMXE", long_mode, vf.CR4, 0x206F0, "cr4-fixed0"),
        ("CR4 bit 15", protected_mode, vf.CR4, 0xA000, "cr4-fixed1"),
        ("CR4.CET where fixed1 lacks it", protected_mode, vf.CR4, 0x802000, "cr4-fixed1"),
        ("DEBUGCTL bit 32", long_mode, vf.DEBUGCTL, 1 << 32, "debugctl-reserved"),
        ("long mode without CR0.PG", long_mode, vf.CR0, 0x00050033, "cr0-pg-ia32e"),
        ("long mode without CR4.PAE", long_mode, vf.CR4, 0x226D0, "cr4-pae-ia32e"),
        ("PCIDE outside IA-32e", protected_mode, vf.CR4, 0x22000, "cr4-pcide-not-ia32e"),
        ("CR3 beyond MAXPHYADDR", long_mode, vf.CR3, 1 << 50, "cr3-reserved"),
        ("DR7 bit 32", long_mode, vf.DR7, 0x100000400, "dr7-upper"),
        ("SYSENTER_EIP not canonical", long_mode, vf.SYSENTER_EIP, 0x0000800000000000,
         "sysenter-canonical"),
        ("PAT byte 3 type 2", long_mode, vf.PAT, 0x0007040602070406, "pat-type"),
        ("EFER bit 1", long_mode, vf.EFER, 0xD03, "efer-reserved"),
        ("EFER.LMA outside IA-32e", protected_mode, vf.EFER, 0x400, "efer-lma-ia32e"),
        ("EFER.LME clear in long mode", long_mode, vf.EFER, 0xC01, "efer-lme-pg"),
        ("TR selector TI", long_mode, vf.seg_field("tr", "sel"), 0x44, "tr-ti"),
        ("unusable LDTR with TI is no error", long_mode, vf.seg_field("ldtr", "sel"), 0x0C,
         None),
        ("CS base bit 32", protected_mode, vf.seg_field("cs", "base"), 1 << 32,
         "base-upper-zero"),
        ("FS base not canonical", protected_mode, vf.seg_field("fs", "base"),
         0x0000800000000000, "base-canonical"),
        ("unusable FS base not canonical", long_mode, vf.seg_field("fs", "base"),
         0x0000800000000000, "base-canonical"),
        ("CS data segment", protected_mode, vf.seg_field("cs", "ar"), 0xC091, "cs-type"),
        ("SS read-only", long_mode, vf.seg_field("ss", "ar"), 0xC091, "ss-type"),
        ("DS not accessed", protected_mode, vf.seg_field("ds", "ar"), 0xC092,
         "ds-type-accessed"),
        ("ES execute-only code", protected_mode, vf.seg_field("es", "ar"), 0xC099,
         "ds-type-readable"),
        ("GS system segment", protected_mode, vf.seg_field("gs", "ar"), 0xC083, "seg-s-bit"),
        ("CS DPL 3 over SS DPL 0", long_mode, vf.seg_field("cs", "ar"), 0xA0FB,
         "cs-dpl-nonconforming"),
        ("conforming CS DPL above SS", protected_mode, vf.seg_field("cs", "ar"), 0xC0FF,
         "cs-dpl-conforming"),
        ("SS DPL 3 in real mode", None, vf.seg_field("ss", "ar"), 0xF3, "ss-dpl-zero"),
        ("DS not present", long_mode, vf.seg_field("ds", "ar"), 0xC013, "seg-present"),
        ("CS reserved bit 8", protected_mode, vf.seg_field("cs", "ar"), 0xC19B,
         "seg-ar-reserved"),
        ("CS L and D in long mode", long_mode, vf.seg_field("cs", "ar"), 0xE09B, "cs-db-long"),
        ("SS G clear with a 4-GByte limit", protected_mode, vf.seg_field("ss", "ar"), 0x4093,
         "seg-g-limit"),
        ("DS G set with a byte limit", protected_mode, vf.seg_field("ds", "limit"), 0xFFFF0,
         "seg-g-limit"),
        ("ES reserved bit 17", long_mode, vf.seg_field("es", "ar"), 0x2C093,
         "seg-ar-reserved-high"),
        ("TR 16-bit busy TSS in long mode", long_mode, vf.seg_field("tr", "ar"), 0x83,
         "tr-type"),
        ("TR available TSS", protected_mode, vf.seg_field("tr", "ar"), 0x89, "tr-type"),
        ("TR not present", protected_mode, vf.seg_field("tr", "ar"), 0x0B, "tr-ar-present"),
        ("TR unusable", protected_mode, vf.seg_field("tr", "ar"), 0x1008B, "tr-ar-unusable"),
        ("TR limit needs G", long_mode, vf.seg_field("tr", "limit"), 0x100000,
         "tr-ar-g-limit"),
        ("LDTR usable as TSS", long_mode, vf.seg_field("ldtr", "ar"), 0x8B, "ldtr-type"),
        ("GDTR base not canonical", long_mode, vf.GDTR_BASE, 0xFFF0FE0000001000,
         "gdtr-base-canonical"),
        ("IDTR base not canonical", protected_mode, vf.IDTR_BASE, 1 << 47,
         "idtr-base-canonical"),
        ("GDTR limit bit 16", protected_mode, vf.GDTR_LIMIT, 0x1001F, "gdtr-limit"),
        ("IDTR limit bit 16", long_mode, vf.IDTR_LIMIT, 0x10FFF, "idtr-limit"),
        ("RIP above 4G in 32-bit mode", protected_mode, vf.RIP, 0x100100000, "rip-upper"),
        ("RIP not canonical", long_mode, vf.RIP, 0x7FFFFFFF81000000, "rip-canonical"),
        ("RFLAGS bit 1 clear", long_mode, vf.RFLAGS, 0x244, "rflags-reserved"),
        ("RFLAGS bit 22", protected_mode, vf.RFLAGS, 0x400002, "rflags-reserved"),
        ("RFLAGS.VM in protected mode", protected_mode, vf.RFLAGS, 0x20002, "seg-base-v86"),
        ("external interrupt injected with IF clear", protected_mode, vf.ENTRY_INTR_INFO,
         0x80000020, "rflags-if-injection"),
        ("activity state 4", long_mode, vf.ACTIVITY, 4, "activity-state-supported"),
        ("HLT at CPL 3", None, vf.ACTIVITY, 1, "activity-ss-dpl"),
        ("HLT with a #GP injected", None, vf.ENTRY_INTR_INFO, 0x80000B0D,
         "activity-injection"),
        ("HLT under MOV SS blocking", None, vf.ACTIVITY, 1, "activity-sti-movss"),
        ("interruptibility bit 5", long_mode, vf.INTERRUPTIBILITY, 0x20,
         "interruptibility-reserved"),
        ("STI and MOV SS", long_mode, vf.INTERRUPTIBILITY, 3, "interruptibility-sti-movss"),
        ("STI blocking with IF clear", protected_mode, vf.INTERRUPTIBILITY, 1,
         "interruptibility-sti-if"),
        ("STI blocking with an external interrupt injected", None, vf.INTERRUPTIBILITY, 1,
         "interruptibility-extint-injection"),
        ("MOV SS blocking with an NMI injected", None, vf.INTERRUPTIBILITY, 2,
         "interruptibility-nmi-movss"),
        ("SMI blocking outside SMM", long_mode, vf.INTERRUPTIBILITY, 4, "interruptibility-smi"),
        ("NMI blocking with a virtual NMI injected", None, vf.INTERRUPTIBILITY, 8,
         "interruptibility-nmi-virtual"),
        ("enclave interruption with MOV SS", long_mode, vf.INTERRUPTIBILITY, 0x12,
         "interruptibility-enclave-movss"),
        ("pending debug bit 4", long_mode, vf.PENDING_DBG, 0x10, "pending-dbg-reserved"),
        ("BS without TF under STI blocking", None, vf.PENDING_DBG, 0x4000, "pending-dbg-bs"),
        ("TF without BS under STI blocking", None, vf.RFLAGS, 0x346, "pending-dbg-bs"),
        ("RTM without bit 12", long_mode, vf.PENDING_DBG, 0x10000, "pending-dbg-rtm"),
        ("RTM under MOV SS blocking", None, vf.PENDING_DBG, 0x11000, "pending-dbg-rtm-movss"),
        ("link pointer unaligned", long_mode, vf.LINK_POINTER, 0x12345678,
         "vmcs-link-pointer-align"),
        ("link pointer beyond MAXPHYADDR", protected_mode, vf.LINK_POINTER, 1 << 46,
         "vmcs-link-pointer-width"),
        ("S_CET not canonical", optional_msrs, vf.S_CET, 1 << 47, "cet-canonical"),
        ("BNDCFGS bit 2", optional_msrs, vf.BNDCFGS, 0xFFFFFE0000030005, "bndcfgs-reserved"),
        ("BNDCFGS base not canonical", optional_msrs, vf.BNDCFGS, 0x0000800000000001,
         "bndcfgs-canonical"),
        ("LBR_CTL bit 4", optional_msrs, vf.LBR_CTL, 0x7F0017, "lbr-ctl-reserved"),
        ("PKRS bit 32", optional_msrs, vf.PKRS, 0x155555554, "pkrs-upper"),
        ("data CS at DPL 3", data_cs, vf.seg_field("cs", "ar"), 0xC0F3, "cs-dpl-data"),
        ("SS DPL 3 with RPL 0, restricted guest", restricted_long_mode,
         vf.seg_field("ss", "ar"), 0xC0F3, "ss-dpl-rpl"),
        ("TR code segment", protected_mode, vf.seg_field("tr", "ar"), 0x9B, "tr-ar-s"),
        ("TR reserved bit 8", long_mode, vf.seg_field("tr", "ar"), 0x18B, "tr-ar-reserved"),
        ("TR reserved bit 17", long_mode, vf.seg_field("tr", "ar"), 0x2008B,
         "tr-ar-reserved-high"),
        ("LDTR usable with TI", usable_ldtr, vf.seg_field("ldtr", "sel"), 0x54, "ldtr-ti"),
        ("LDTR data segment", usable_ldtr, vf.seg_field("ldtr", "ar"), 0x92, "ldtr-ar-s"),
        ("LDTR not present", usable_ldtr, vf.seg_field("ldtr", "ar"), 0x02, "ldtr-ar-present"),
        ("LDTR reserved bit 8", usable_ldtr, vf.seg_field("ldtr", "ar"), 0x182,
         "ldtr-ar-reserved"),
        ("LDTR limit needs G", usable_ldtr, vf.seg_field("ldtr", "limit"), 0x100000,
         "ldtr-ar-g-limit"),
        ("LDTR reserved bit 17", usable_ldtr, vf.seg_field("ldtr", "ar"), 0x20082,
         "ldtr-ar-reserved-high"),
        ("wait-for-SIPI with entry to SMM", sipi_smm, vf.ACTIVITY, 3, "activity-sipi-smm"),
        ("PDPTE0 bit 1", pae_mode, vf.PDPTE[0], 0x01A4E003, "pdpte-reserved"),
        ("PDPTE3 bit 7", pae_mode, vf.PDPTE[3], 0x01A51081, "pdpte-reserved"),
        ("PDPTE2 beyond MAXPHYADDR", pae_mode, vf.PDPTE[2], (1 << 46) | 1, "pdpte-reserved"),
    ]

    def special(self, name):
        """Good dumps one field away from the special cases marked None."""
        f = protected_mode()
        if name == "SS DPL 3 in real mode":
            f[vf.CR0] = 0x30
            segment(f, "cs", 0xF000, 0xF0000, 0xFFFF, 0x9F)  # conforming, DPL 0: no CS rule fires
        elif name == "HLT at CPL 3":
            f = long_mode()
            segment(f, "cs", 0x33, 0, 0xFFFFFFFF, 0xA0FB)
            segment(f, "ss", 0x2B, 0, 0xFFFFFFFF, 0xC0F3)
        elif name == "HLT with a #GP injected":
            f[vf.ACTIVITY] = 1
        elif name == "HLT under MOV SS blocking":
            f[vf.INTERRUPTIBILITY] = 2
        elif name.startswith("STI blocking with an external"):
            f[vf.RFLAGS] = 0x202
            f[vf.ENTRY_INTR_INFO] = 0x80000030
        elif name.startswith("MOV SS blocking with an NMI"):
            f[vf.ENTRY_INTR_INFO] = 0x80000202
        elif name.startswith("NMI blocking"):
            f[vf.ENTRY_INTR_INFO] = 0x80000202
        elif name.startswith("BS without TF") or name.startswith("TF without BS"):
            f = long_mode()
            f[vf.INTERRUPTIBILITY] = 1
        elif name.startswith("RTM under MOV SS"):
            f[vf.INTERRUPTIBILITY] = 2
        return f

    def test_each_corruption_names_its_check(self):
        for name, good, field, value, expected in self.CASES:
            with self.subTest(name):
                f = self.special(name) if good is None else good()
                self.assertIsNone(first(f), "the dump before the corruption must pass")
                f[field] = value
                self.assertEqual(first(f), expected)

    def test_every_check_is_reached(self):
        named = {case[4] for case in self.CASES}
        for other in ("rflags-vm", "seg-limit-v86", "seg-ar-v86", "ss-rpl-cs", "ds-dpl-rpl",
                      "cr4-cet-wp"):    # reached by the tests below
            named.add(other)
        self.assertEqual([i for i in CHECK_IDS if i not in named], [])

    def test_optional_field_absent(self):
        f = optional_msrs()
        del f[vf.PKRS]
        with self.assertRaisesRegex(Exception, "lacks vmcs field 0x2818"):
            first(f)

    def test_wait_for_sipi_needs_misc_bit_8(self):
        f = protected_mode()
        f[vf.ACTIVITY] = 3
        self.assertIsNone(first(f))
        self.assertEqual(first(f, {**MSRS, 0x485: 0xE5}), "activity-state-supported")

    def test_cet_requires_wp(self):
        msrs = {**MSRS, 0x489: 0xB727FF}
        f = protected_mode()
        f[vf.CR4] = 0x802000
        self.assertEqual(first(f, msrs), "cr4-cet-wp")
        f[vf.CR0] |= vf.CR0_WP
        self.assertIsNone(first(f, msrs))

    def test_ldtr_ti_when_usable(self):
        f = long_mode()
        segment(f, "ldtr", 0x0C, 0, 0xFFFF, 0x82)
        self.assertEqual(first(f), "ldtr-ti")

    def test_restricted_guest_selector_rules(self):
        f = long_mode()
        f[vf.PROC2] = 0x02
        self.assertIsNone(first(f))
        f[vf.seg_field("ss", "sel")] = 0x1B
        self.assertEqual(first(f), "ss-rpl-cs")
        f = long_mode()
        f[vf.PROC2] = 0x02
        f[vf.seg_field("ds", "sel")] = 0x1B
        self.assertEqual(first(f), "ds-dpl-rpl")

    def test_v86_rules(self):
        f = protected_mode()
        f[vf.RFLAGS] = 0x20002
        self.assertEqual(first(f), "seg-base-v86")
        for seg in ("cs", "ss", "ds", "es", "fs", "gs"):
            segment(f, seg, 0x1234, 0x12340, 0xFFFFFFFF, 0xF3)
        self.assertEqual(first(f), "seg-limit-v86")
        for seg in ("cs", "ss", "ds", "es", "fs", "gs"):
            segment(f, seg, 0x1234, 0x12340, 0xFFFF, 0xC093)
        self.assertEqual(first(f), "seg-ar-v86")

    def test_rflags_vm(self):
        """Segment state valid for virtual-8086 mode is invalid without it (CS
        type 3 needs DPL 0), so no single-field change reaches rflags-vm."""
        for good in (long_mode, protected_mode):
            f = good()
            f[vf.RFLAGS] = 0x20002
            for seg in ("cs", "ss", "ds", "es", "fs", "gs"):
                segment(f, seg, 0x10, 0x100, 0xFFFF, 0xF3)
            if good is protected_mode:
                f[vf.CR0] = 0x30
            else:
                f[vf.RIP] = 0x1000
            self.assertEqual(first(f), "rflags-vm")

    def test_pdptes_unchecked_without_ept(self):
        f = pae_mode()
        f[vf.PDPTE[0]] = 0x01A4E003
        f[vf.PROC2] = 0x80          # unrestricted guest needs EPT, but that is a control check
        self.assertIsNone(first(f))

    def test_cd_nw_never_checked(self):
        msrs = {**MSRS, 0x487: 0x9FFFFFFF}
        f = protected_mode()
        f[vf.CR0] = 0x60000031
        self.assertIsNone(first(f, msrs))


SDM_ONLY = "#sdm-only "


def corruption_lines(sdm_only=True):
    """Parses tools/vmcs-corruptions.txt: name, encoding, and-mask, or-mask,
    check id, then "| why", and an optional last word "long" or "pae".
    Lines marked "#sdm-only " (checks Bochs does not make) are included
    unless sdm_only is False."""
    entries = []
    with open(CORRUPTIONS, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if sdm_only and line.startswith(SDM_ONLY):
                line = line[len(SDM_ONLY):]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            head, sep, why = line.partition("|")
            words = head.split()
            if not sep or len(words) != 5 or not why.strip():
                raise ValueError(f"vmcs-corruptions.txt:{number}: malformed: {line!r}")
            marker = why.split()[-1]
            state = marker if marker in ("long", "pae") else "protected"
            entries.append((number, words[0], int(words[1], 16), int(words[2], 16),
                            int(words[3], 16), words[4], state))
    return entries


class CorruptionList(unittest.TestCase):
    """Each line of the ring-0 hook's list, applied to the good dump of its
    guest state, must be named by the tool as its expected check."""

    def test_list_and_tool_agree(self):
        good = {"protected": [protected_mode], "long": [long_mode, compatibility_mode],
                "pae": [pae_mode]}
        entries = corruption_lines()
        self.assertGreaterEqual(len(corruption_lines(sdm_only=False)), 16)
        for number, name, enc, and_mask, or_mask, expected, state in entries:
            for dump in good[state]:
                with self.subTest(f"line {number}: {name} on {dump.__name__}"):
                    self.assertIn(expected, CHECK_IDS)
                    f = dump()
                    self.assertIn(enc, f, f"{name}: 0x{enc:04x} is not in the good dump")
                    f[enc] = f[enc] & and_mask | or_mask
                    self.assertEqual(first(f), expected)

    def test_every_section_is_covered(self):
        section_of = dict((c[0], c[1]) for c in CHECKS)
        sections = {section_of[e[5]] for e in corruption_lines(sdm_only=False)}
        for s in ("27.3.1.1", "27.3.1.2", "27.3.1.3", "27.3.1.4", "27.3.1.5", "27.3.1.6"):
            self.assertIn("SDM Vol. 3C " + s, sections)

    def test_names_are_unique(self):
        names = [e[1] for e in corruption_lines()]
        self.assertEqual(len(names), len(set(names)))


class CommandLine(unittest.TestCase):
    def test_failure_line_and_status(self):
        f = long_mode()
        f[vf.RFLAGS] = 0x244
        out = run_tool([], render(f))
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stdout, r"^vmcs-check: first failing check: rflags-reserved: "
                                     r"SDM Vol. 3C 27.3.1.4: guest_rflags \(0x6820\) = 0x244 ")

    def test_expect(self):
        f = long_mode()
        f[vf.RFLAGS] = 0x244
        self.assertEqual(run_tool(["--expect", "rflags-reserved"], render(f)).returncode, 0)
        out = run_tool(["--expect", "rflags-vm"], render(f))
        self.assertEqual(out.returncode, 1)
        self.assertIn("expected rflags-vm to fail first, found rflags-reserved", out.stdout)
        out = run_tool(["--expect", "rflags-reserved"], render(long_mode()))
        self.assertEqual(out.returncode, 1)
        self.assertIn("found no failing check", out.stdout)
        out = run_tool(["--expect", "no-such-check"], render(f))
        self.assertEqual(out.returncode, 2)
        self.assertIn("no such check id", out.stderr)

    def test_last_dump_of_a_log_file_wins(self):
        bad = long_mode()
        bad[vf.RFLAGS] = 0x244
        text = ("boot noise\n" + render(bad) + "more noise\n" + render(long_mode(), prefix="")
                + "shoji: halting\n")
        with tempfile.NamedTemporaryFile("w", suffix=".log") as log:
            log.write(text)
            log.flush()
            out = subprocess.run([sys.executable, TOOL, log.name], capture_output=True,
                                 text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_back_end_format(self):
        """As vmx/ prints it: a summary line first, "%#lx" qualification (so
        0 has no 0x), fields the checks do not use (CR0 mask and shadow)."""
        f = protected_mode()
        f[vf.CR0] = 0x11
        f[0x6000], f[0x6004] = 0x80000021, 0x11
        text = render(f).replace("qualification 0x0", "qualification 0")
        text = ("shoji: error: CPU 0: VM entry failed: exit reason 0x80000021 (33, invalid "
                "guest state), qualification 0; check the dump with tools/vmcs-check\n" + text)
        out = run_tool(["--expect", "cr0-fixed0"], text)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("guest_cr0 (0x6800) = 0x11 clears bits 0x20", out.stdout)

    def test_absent_dump(self):
        out = run_tool([], "shoji: info: nothing to see\n")
        self.assertEqual(out.returncode, 2)
        self.assertIn("vmcs-check: error: no 'vmcs-dump begin' line", out.stderr)

    def test_truncated_dump(self):
        text = render(long_mode()).rsplit("shoji: error: vmcs-dump end", 1)[0]
        out = run_tool([], text)
        self.assertEqual(out.returncode, 2)
        self.assertIn("has no 'vmcs-dump end'", out.stderr)

    def test_malformed_line(self):
        text = render(long_mode()).replace("= 0x0000000000000246", "= 0x246")
        out = run_tool([], text)
        self.assertEqual(out.returncode, 2)
        self.assertIn("malformed dump line", out.stderr)

    def test_missing_field(self):
        f = long_mode()
        del f[vf.CR4]
        out = run_tool([], render(f))
        self.assertEqual(out.returncode, 2)
        self.assertIn("lacks vmcs field 0x6804 (guest_cr4)", out.stderr)

    def test_missing_msr(self):
        msrs = dict(MSRS)
        del msrs[0x486]
        out = run_tool([], render(long_mode(), msrs))
        self.assertEqual(out.returncode, 2)
        self.assertIn("lacks msr 0x486", out.stderr)

    def test_conflicting_repeat(self):
        text = render(long_mode()).replace(
            "shoji: error: vmcs-dump end",
            "shoji: error: vmcs 0x6800 guest_cr0 = 0x0000000000000031\nshoji: error: vmcs-dump end")
        out = run_tool([], text)
        self.assertEqual(out.returncode, 2)
        self.assertIn("given twice", out.stderr)

    def test_interleaved_dumps(self):
        text = render(long_mode())
        lines = text.splitlines(keepends=True)
        out = run_tool([], "".join(lines[:10] + lines + lines[10:]))
        self.assertEqual(out.returncode, 2)
        self.assertIn("a dump begins before the one of line 1 ended", out.stderr)

    def test_note_on_unrestricted_guest_without_ept(self):
        f = long_mode()
        f[vf.PROC2] = vf.PROC2_UNRESTRICTED
        out = run_tool([], render(f))
        self.assertEqual(out.returncode, 0)
        self.assertIn("unrestricted guest without EPT", out.stderr)

    def test_note_on_other_exit_reason(self):
        out = run_tool([], render(long_mode(), reason=34))
        self.assertEqual(out.returncode, 0)
        self.assertIn("exit reason 34 is not 33", out.stderr)


if __name__ == "__main__":
    unittest.main()
