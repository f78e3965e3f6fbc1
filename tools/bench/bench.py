#!/usr/bin/env python3
"""Shoji's benchmarks: exact instruction counts under QEMU TCG with
-icount shift=0,align=off,sleep=off and the insncount plugin (built from
Debian's qemu-plugin.h).  No wall-clock time is measured or compared.

  1. CPUID exit round trip: a micro-guest runs 10,000 CPUIDs between two
     markers; per exit: instructions Shoji runs (addresses in its image),
     world switches (VMRUN executed), and the guest's own.
  2. Linux boot: Debian's kernel to its /init marker and power-off, bare and
     under Shoji with the same flags: total instructions and their ratio,
     Shoji's share, and VM exits by reason (executions of each vmexit_*
     handler of the core, and of the SVM exit path).

  3. IPC round trips (issue #6): a micro-guest calls domains through the
     domain-call test hook; per round trip: ring-0 instructions (less a
     plain CPUID exit's), CR3 loads, privilege transitions and TLB flushes,
     core -> domain and with a domain -> domain call inside; and the
     instructions from a domain's crash to the first call its new
     generation serves.

usage: bench.py --build BUILD --deps DEPS [--only cpuid|linux|apic|ipc] [--check]
  --check  also run the CPUID and IPC benchmarks twice and fail if the
           counts differ
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

KERNEL_VMA = 0xFFFFFFFFC0000000
GOAL_CPUID = 300
GOAL_RATIO = 1.02
GOAL_IPC_INSNS = 300  # ring-0 instructions per IPC round trip (issue #6)
GOAL_IPC_CR3 = 4      # CR3 loads per domain -> domain round trip (issue #6)
IPC_ROUNDS = 10 ** 3  # ci/guests/bench_ipc.c ROUNDS


def image_range(build):
    """Shoji's image in virtual memory, from its symbol table."""
    syms = symbols(build)
    return syms["_image_start"], syms["_image_end"]


def symbols(build):
    out = subprocess.run(["nm", os.path.join(build, "shoji.elf")], capture_output=True,
                         text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms


def qemu(build, plugin_args, kernel, initrd, append=None, memory=512, timeout=600, smp=1):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "counts.txt")
        plugin = ",".join([os.path.join(build, "libinsncount.so"), "out=" + out] + plugin_args)
        args = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-cpu", "max",
                "-m", str(memory), "-smp", str(smp), "-nodefaults", "-display", "none",
                "-serial", "stdio", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                "-icount", "shift=0,align=off,sleep=off", "-plugin", plugin, "-kernel", kernel]
        if initrd:
            args += ["-initrd", initrd]
        if append:
            args += ["-append", append]
        run = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        counts = {"marks": {}, "syms": {}}
        for line in open(out):
            m = re.match(r"(MARK \d+|TOTAL) (total=.*)", line)
            if m:
                # "name=count" counters, then "@symbol=count" per syms= entry
                entry = {k.lstrip("@"): int(v) for k, v in
                         (w.split("=") for w in m.group(2).split())}
                if m.group(1) == "TOTAL":
                    counts["total"] = entry
                else:
                    counts["marks"][int(m.group(1).split()[1])] = entry
            m = re.match(r"SYM (\S+) (\d+)", line)
            if m:
                counts["syms"][m.group(1)] = int(m.group(2))
        counts["serial"] = run.stdout
        return counts


def bench_cpuid(build, payload="cpuid"):
    lo, hi = image_range(build)
    c = qemu(build, [f"range={lo:x}-{hi:x}"], os.path.join(build, "shoji.bin"),
             os.path.join(build, "guests", f"guest-bench-{payload}.elf32") + f" bench-{payload}")
    if f"shoji-test bench-{payload}: SUCCESS" not in c["serial"] or 1 not in c["marks"] or 2 not in c["marks"]:
        sys.exit(f"bench: the {payload} payload did not run to its end:\n" + c["serial"][-2000:])
    a, b = c["marks"][1], c["marks"][2]
    n = 10000
    return {
        "exits": b["vmrun"] - a["vmrun"],
        "host": (b["host"] - a["host"]) / n,
        "guest": ((b["total"] - a["total"]) - (b["host"] - a["host"])) / n,
        "vmrun": (b["vmrun"] - a["vmrun"]) / n,
    }


def bench_cpuid_bochs(build, deps):
    """Bochs has no plugins, but with `clock: sync=none` its TSC advances one
    tick per instruction, root mode included: the guest's TSC delta over
    10,000 CPUIDs, under Shoji less bare, is Shoji's cost per exit (with
    the VMRESUME and the exit itself).  One CPU, deterministic."""
    runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ci",
                          "runner.py")
    with tempfile.TemporaryDirectory() as tmp:
        scn = os.path.join(tmp, "bench-cpuid-vmx.scn")
        with open(scn, "w") as f:
            f.write("id: bench-cpuid-vmx\nexpect: CPUID exits timed by Bochs' TSC\n"
                    "boot: both\nemulators: bochs\nsmp: 1\nverdict: guest\ntimeout: 60\n"
                    "module: @guest:bench-cpuid bench-cpuid\n")
        r = subprocess.run([sys.executable, runner, "--build", build, "--deps", deps,
                            "--emulator", "bochs", scn], capture_output=True, text=True)
    if r.returncode == 77:
        return None
    delta = {}
    for variant in ("bare", "shoji"):
        log = os.path.join(build, "ci-logs", f"bench-cpuid-vmx.{variant}.bochs.log")
        m = re.search(r"tsc delta (\d+)", open(log).read()) if os.path.exists(log) else None
        if r.returncode != 0 or not m:
            sys.exit("bench: the CPUID payload did not run under Bochs:\n" + r.stdout[-2000:])
        delta[variant] = int(m.group(1))
    return {"bare": delta["bare"] / 10000, "host": (delta["shoji"] - delta["bare"]) / 10000}


def insn_address(build, func, mnemonic):
    """Address of the first `mnemonic` instruction in `func` (objdump)."""
    start = symbols(build)[func]
    out = subprocess.run(["objdump", "-d", f"--start-address={start:#x}",
                          f"--stop-address={start + 512:#x}", os.path.join(build, "shoji.elf")],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2].split()[:1] == [mnemonic]:
            return int(parts[0].strip().rstrip(":"), 16)
    sys.exit(f"bench: no {mnemonic} in {func}")


def domains_text(build):
    """The domains' executable segments: one range holding all of them
    (each domain is linked at the same address, domains/runtime/link.ld)."""
    lo, hi = None, None
    for elf in glob.glob(os.path.join(build, "domains", "domain-*.elf")):
        out = subprocess.run(["readelf", "-lW", elf], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            w = line.split()
            if w[:1] == ["LOAD"] and "E" in w[6:-1]:
                a, size = int(w[2], 16), int(w[5], 16)
                lo = a if lo is None else min(lo, a)
                hi = a + size if hi is None else max(hi, a + size)
    return lo, hi


def ipc_per_round(a, b, n):
    """Counts per round between two snapshots: ring-0 and domain
    instructions, CR3 loads, INVLPGs, VMRUNs, and the privilege transitions:
    far calls through the gate (its first instruction), far returns to ring
    3 (the LRETQ of dom_enter_asm), and interrupts or exceptions taken in
    ring 3 (domain_exit less the gate's entries: both end there)."""
    d = {k: (b[k] - a[k]) / n for k in b if k in a}
    return {
        "host": d["host"], "user": d["user"], "cr3": d["cr3"], "invlpg": d["invlpg"],
        "vmrun": d["vmrun"], "gate": d["ipc_gate_entry"], "lret": d["dom_enter_lretq"],
        "ring3_traps": d["domain_exit"] - d["ipc_gate_entry"],
    }


def bench_ipc(build):
    lo, hi = image_range(build)
    syms = symbols(build)
    ulo, uhi = domains_text(build)
    pf_entry = syms["trap_entries"] + 14 * 32  # TRAP_ENTRY_STRIDE (kernel/include/trap.h)
    with tempfile.NamedTemporaryFile("w", suffix=".syms", delete=False) as f:
        f.write(f"{syms['ipc_gate_entry']:x} ipc_gate_entry\n{syms['domain_exit']:x} domain_exit\n"
                f"{insn_address(build, 'dom_enter_asm', 'lretq'):x} dom_enter_lretq\n")
        symfile = f.name
    try:
        c = qemu(build, [f"range={lo:x}-{hi:x}", f"user={ulo:x}-{uhi:x}", f"syms={symfile}",
                         f"mark={pf_entry:x}:99"],
                 os.path.join(build, "shoji.bin"),
                 os.path.join(build, "guests", "guest-bench-ipc.elf32") + " bench-ipc",
                 append="vmm.test_hook=domain-call")
    finally:
        os.unlink(symfile)
    marks = c["marks"]
    if "shoji-test bench-ipc: SUCCESS" not in c["serial"] or any(
            i not in marks for i in list(range(1, 11)) + [99]):
        sys.exit("bench: the ipc payload did not run to its end:\n" + c["serial"][-3000:])
    n = IPC_ROUNDS
    base = ipc_per_round(marks[1], marks[2], n)
    r = {"base": base}
    for name, (a, b) in {"example": (3, 4), "faulty": (5, 6), "forward": (7, 8)}.items():
        x = ipc_per_round(marks[a], marks[b], n)
        x["ring0"] = x["host"] - base["host"]
        r[name] = x
    r["hop"] = {k: r["forward"][k] - r["faulty"][k] for k in r["forward"]}
    tsc = re.search(r"crash to first served call: tsc delta (\d+)", c["serial"])
    logged = re.search(r"domain faulty restarted: generation 2 serves (\d+) us", c["serial"])
    r["restart"] = {
        "total": marks[10]["total"] - marks[9]["total"],
        "host": marks[10]["host"] - marks[9]["host"],
        "user": marks[10]["user"] - marks[9]["user"],
        "from_fault": marks[10]["total"] - marks[99]["total"],
        "guest_tsc": int(tsc.group(1)) if tsc else None,
        "logged_us": int(logged.group(1)) if logged else None,
    }
    return r


def print_ipc(r, check_again=None):
    def line(what, x, goal_insns=None, goal_cr3=None):
        trans = x["gate"] + x["lret"] + x["ring3_traps"]
        insns = f"{x['ring0']:.1f}"
        if goal_insns is not None:
            insns += (f"   (goal <= {goal_insns}: "
                      f"{'met' if x['ring0'] <= goal_insns else 'not met'})")
        cr3 = f"{x['cr3']:.0f}"
        if goal_cr3 is not None:
            cr3 += f"   (goal <= {goal_cr3}: {'met' if x['cr3'] <= goal_cr3 else 'not met'})"
        print(f"  {what}")
        print(f"    ring-0 instructions:          {insns}")
        print(f"    CR3 loads:                    {cr3}")
        print(f"    privilege transitions:        {trans:.0f}   ({x['gate']:.0f} in by the gate, "
              f"{x['lret']:.0f} out by far return, {x['ring3_traps']:.0f} traps from ring 3)")
        print(f"    TLB flushes:                  {x['cr3'] + x['invlpg']:.0f}   "
              f"({x['cr3']:.0f} CR3 loads, {x['invlpg']:.0f} INVLPG)")
        print(f"    domain (ring-3) instructions: {x['user']:.1f}")
        print(f"    world switches:               {2 * x['vmrun']:.0f}   (VMRUN and #VMEXIT)")

    b = r["base"]
    print(f"IPC round trips ({IPC_ROUNDS:,} each, through the domain-call test hook; a plain "
          f"CPUID exit of a hidden leaf, {b['host']:.1f} ring-0 instructions, is subtracted)")
    line("core -> example ping (CPUID hook, one domain call):", r["example"], GOAL_IPC_INSNS)
    line("core -> faulty ping:", r["faulty"], GOAL_IPC_INSNS)
    line("core -> faulty forward_ping -> example ping:", r["forward"])
    hop = dict(r["hop"], ring0=r["hop"]["host"])
    line("one domain -> domain round trip (forward_ping less faulty's ping):", hop,
         GOAL_IPC_INSNS, GOAL_IPC_CR3)
    print("  TLB flushes: QEMU's CPU has no PCID and Shoji's host CR4.PCIDE is clear, so no CR3\n"
          "  load keeps the TLB (its no-flush bit 63 counts only with PCIDE): each one flushes\n"
          "  the non-global entries.  The plugin decodes MOV to CR3 (0F 22 /3) in Shoji's image;\n"
          "  QEMU 7.2's plugin API cannot read the value loaded.")
    x = r["restart"]
    print("Domain crash to restart (faulty's null_read, its first restart: no back-off)")
    print(f"  instructions, crash call to the first call generation 2 serves: {x['total']:,}"
          f"   ({x['host']:,} ring 0, {x['user']:,} in domains)")
    print(f"  of which from the domain's #PF to the guest's answer:            "
          f"{x['from_fault']:,}")
    if x["guest_tsc"] is not None:
        print(f"  guest time (its TSC; 1 ns of virtual time per instruction):    "
              f"{x['guest_tsc']:,} ns")
    if x["logged_us"] is not None:
        print(f"  the core's log (\"serves T us after the crash\", crash to INIT answered): "
              f"{x['logged_us']} us")
    if check_again is not None:
        if check_again != r:
            sys.exit(f"bench: ipc counts differ between two runs: {r} vs {check_again}")
        print("  repeatable: a second run gave the same counts")


def bench_linux(build, deps):
    vmlinuz = sorted(glob.glob(os.path.join(deps, "root/boot/vmlinuz-*")))[-1]
    initrd = os.path.join(build, "linux-initrd.gz")
    args = "console=ttyS0 shoji.mode=marker quiet"
    marker = "SHOJI-GUEST-INIT: init reached"
    bare = qemu(build, [], vmlinuz, initrd, append=args)
    if marker not in bare["serial"]:
        sys.exit("bench: bare Linux did not reach its marker:\n" + bare["serial"][-2000:])
    lo, hi = image_range(build)
    syms = symbols(build)
    with tempfile.NamedTemporaryFile("w", suffix=".syms", delete=False) as f:
        names = [s for s in syms if s.startswith("vmexit_")] + ["svm_vmrun_exit"]
        for s in names:
            f.write(f"{syms[s]:x} {s}\n")
        symfile = f.name
    try:
        shoji = qemu(build, [f"range={lo:x}-{hi:x}", f"syms={symfile}"],
                     os.path.join(build, "shoji.bin"), f"{vmlinuz} {args},{initrd}")
    finally:
        os.unlink(symfile)
    if marker not in shoji["serial"]:
        sys.exit("bench: Linux under Shoji did not reach its marker:\n" + shoji["serial"][-2000:])
    return {
        "kernel": os.path.basename(vmlinuz),
        "bare": bare["total"]["total"],
        "shoji": shoji["total"]["total"],
        "host": shoji["total"]["host"],
        "exits": shoji["syms"].get("svm_vmrun_exit", 0),
        "by_reason": {k[len("vmexit_"):]: v for k, v in shoji["syms"].items()
                      if k.startswith("vmexit_") and v},
    }


def linux_exits(build, deps, extra, smp):
    """VM exits by reason of one Linux run under Shoji."""
    vmlinuz = sorted(glob.glob(os.path.join(deps, "root/boot/vmlinuz-*")))[-1]
    initrd = os.path.join(build, "linux-initrd.gz")
    syms = symbols(build)
    with tempfile.NamedTemporaryFile("w", suffix=".syms", delete=False) as f:
        for s in [s for s in syms if s.startswith("vmexit_")] + ["svm_vmrun_exit", "apic_page_write"]:
            f.write(f"{syms[s]:x} {s}\n")
        symfile = f.name
    try:
        args = f"console=ttyS0 quiet {extra}"
        c = qemu(build, [f"syms={symfile}"], os.path.join(build, "shoji.bin"),
                 f"{vmlinuz} {args},{initrd}", smp=smp)
    finally:
        os.unlink(symfile)
    if "SHOJI-GUEST-IDLE" not in c["serial"]:
        sys.exit("bench: the idle guest did not finish:\n" + c["serial"][-2000:])
    return c["syms"]


def bench_idle(build, deps, smp, seconds=10):
    """Exits per second of an idle Linux: a run that sleeps `seconds` less
    one that does not, over the seconds (guest time, exact under icount)."""
    short = linux_exits(build, deps, "shoji.mode=idle shoji.idle=0", smp)
    long = linux_exits(build, deps, f"shoji.mode=idle shoji.idle={seconds}", smp)
    return {k: (long.get(k, 0) - short.get(k, 0)) / seconds for k in long}


def ring0_lines(top):
    n = 0
    for d in ["kernel", "vmx", "svm", "ipc"]:
        for root, _, files in os.walk(os.path.join(top, d)):
            rel = root.replace(top, "")
            # kernel/boot/efi is the UEFI loader: firmware-side code that
            # is gone once the OS runs, counted apart (README).
            if "/test" in rel or rel.startswith("/kernel/boot/efi"):
                continue
            for f in files:
                if f.endswith((".c", ".h", ".S")):
                    for line in open(os.path.join(root, f)):
                        s = line.strip()
                        if s and not s.startswith(("//", "/*", "*")):
                            n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--deps", required=True)
    ap.add_argument("--only", choices=["cpuid", "linux", "apic", "ipc"])
    ap.add_argument("--check", action="store_true")
    o = ap.parse_args()
    if not os.path.exists(os.path.join(o.build, "libinsncount.so")):
        sys.exit("bench: the plugin libinsncount.so is not built (run tools/shoji setup, then build)")
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    print("Shoji benchmarks: QEMU 7.2 TCG, AMD SVM, -icount shift=0 (exact instruction counts)")
    if o.only in (None, "cpuid"):
        c = bench_cpuid(o.build)
        print("CPUID exit round trip (10,000 exits, no next-RIP: Shoji decodes the length)")
        print(f"  ring-0 instructions per exit:   {c['host']:.1f}   (goal <= {GOAL_CPUID}: "
              f"{'met' if c['host'] <= GOAL_CPUID else 'not met'})")
        print(f"  world switches per exit:        {2 * c['vmrun']:.0f}   (VMRUN and #VMEXIT)")
        print(f"  guest instructions per exit:    {c['guest']:.1f}")
        io = bench_cpuid(o.build, "io")
        print(f"  for comparison, an exit whose length SVM gives (IN from port 0x92): "
              f"{io['host']:.1f} ring-0 instructions")
        if o.check:
            again = bench_cpuid(o.build)
            if again != c:
                sys.exit(f"bench: counts differ between two runs: {c} vs {again}")
            print("  repeatable: a second run gave the same counts")
        v = bench_cpuid_bochs(o.build, o.deps)
        if v is None:
            print("CPUID exit on Bochs/VT-x: skipped (Bochs is not installed)")
        else:
            print("CPUID exit round trip on Bochs 2.7 / Intel VT-x (10,000 exits; Bochs' "
                  "TSC counts one tick per instruction)")
            print(f"  ring-0 instructions per exit:   {v['host']:.1f}   (goal <= {GOAL_CPUID}: "
                  f"{'met' if v['host'] <= GOAL_CPUID else 'not met'}; VT-x gives the length)")
            if o.check:
                again = bench_cpuid_bochs(o.build, o.deps)
                if again != v:
                    sys.exit(f"bench: Bochs counts differ between two runs: {v} vs {again}")
                print("  repeatable: a second run gave the same counts")
    if o.only in (None, "linux"):
        l = bench_linux(o.build, o.deps)
        ratio = l["shoji"] / l["bare"]
        print(f"Linux boot to its /init marker and power-off ({l['kernel']}, 512 MiB, 1 CPU)")
        print(f"  instructions bare:              {l['bare']:,}")
        print(f"  instructions under Shoji:       {l['shoji']:,}")
        print(f"  ratio:                          {ratio:.4f}   (goal <= {GOAL_RATIO}: "
              f"{'met' if ratio <= GOAL_RATIO else 'not met'})")
        print(f"  of which in Shoji (ring 0):     {l['host']:,} ({100 * l['host'] / l['shoji']:.2f}%)")
        print(f"  VM exits:                       {l['exits']:,}")
        for reason, count in sorted(l["by_reason"].items(), key=lambda kv: -kv[1]):
            print(f"    {reason:<28}  {count:,}")
    if o.only in (None, "apic"):
        e = bench_cpuid(o.build, "eoi")
        print("Trapped xAPIC writes (ICR trap, issue #3: the APIC page is read-only for the guest)")
        print(f"  ring-0 instructions per EOI write exit: {e['host']:.1f}")
        # One CPU only: QEMU 7.2 hangs booting Linux on two CPUs under
        # -icount (bare too), and without -icount the rate is not exact.
        rates = bench_idle(o.build, o.deps, 1)
        print(f"  Linux idle (1 CPU, 10 s of guest time): "
              f"{rates.get('svm_vmrun_exit', 0):.1f} exits/s, of which "
              f"{rates.get('apic_page_write', 0):.1f}/s APIC writes")
    if o.only in (None, "ipc"):
        r = bench_ipc(o.build)
        print_ipc(r, bench_ipc(o.build) if o.check else None)
    print(f"Ring-0 lines (kernel/ vmx/ svm/ ipc/, no tests, blanks or comment lines): "
          f"{ring0_lines(top)}")


if __name__ == "__main__":
    main()
