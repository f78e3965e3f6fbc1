#!/usr/bin/env python3
"""Boots one scenario in an emulator, bounded by a timeout, and turns the
serial log into a verdict.

    runner.py --build BUILD --deps DEPS [--emulator qemu|bochs] SCENARIO.scn
    runner.py --build BUILD --deps DEPS --emulator bochs --console SCENARIO.scn

Exit status: 0 pass, 1 fail, 77 skip (CTest's SKIP_RETURN_CODE).  The
last line printed is the verdict with its reason.  Logs go to
BUILD/ci-logs/: <id>.<variant>.log under QEMU; under Bochs
<id>.<variant>.bochs.log (the serial log) and <id>.<variant>.bochsout.txt
(Bochs' own log).  --console (for `tools/shoji run --vmx`) judges nothing:
it puts the serial console on the terminal and runs until the machine stops.

QEMU emulates AMD SVM and Bochs Intel VT-x, so each back end has its
emulator (Bochs' side is in bochs.py).  Under Bochs, Shoji always boots
from a GRUB rescue CD, and a bare run boots the guest itself from one: a
multiboot guest with "bare" first on its command line (as under QEMU), a
bzImage through GRUB's linux and initrd commands.

A scenario is a file of "key: value" lines ('#' starts a comment; keys that
take a list may repeat):

  id          stable name of the test
  expect      (the test's one-line "Expect:" statement, for the report)
  emulators   where it runs: qemu (default), bochs, or "qemu bochs";
              --emulator picks one (default: the first listed)
  boot        shoji | bare | both (run both, then compare)
  cpu, machine  QEMU's CPU model and machine
  memory, smp, timeout  MiB, CPUs, seconds (both emulators)
  reboot      yes: let the machine reset (QEMU: no -no-reboot; Bochs:
              reset_on_triple_fault=1 instead of stopping)
  icount      yes: deterministic virtual time (-icount shift=0,align=off,sleep=off),
              for guests whose output depends on timing (QEMU only: Bochs'
              clock always follows its instruction count)
  loader      qemu (default: QEMU's -kernel/-initrd multiboot loader) or grub
              (a GRUB rescue image made with grub-mkrescue, booted from CD);
              Bochs always uses grub
  bochs-cpu   Bochs' CPU model (default corei7_skylake_x: VT-x with EPT)
  bochs-timeout  seconds under Bochs (default 3 x timeout: Bochs is slower)
  bochs-KEY   any other one-value key, under Bochs only: bochs-boot: bare
              runs just the bare half of a "both" scenario there (and so
              compares nothing); bochs-compare names the VT-x allow-list
              (compare's SVM one does not carry over to Bochs)
  firmware    ovmf | ovmf-secboot: boot through UEFI from disk images that
              ci/uefi.py makes (its keys are listed there)
  exit        the emulator must end by itself with this status (a poweroff)
  check       region-hidden: Shoji's region is in no System RAM, EFI runtime
              or NVS range and reads as zeros (ci/uefi.py)
  shoji-args  Shoji's own command line (vmm.* keys)
  image       the hypervisor image in the build tree (default shoji.bin): a
              test-only variant such as shoji-rules-off.bin, whose scenarios
              require the failure that the variant's missing rule causes
  module      "<path> <args>" in boot order (repeat); the first is the guest
              kernel.  Paths may name artifacts: @guest:ID (ELF32 micro-
              guest), @guest64:ID, @data:NAME, @vmlinuz, @initrd, @truncated-vmlinuz
  verdict     guest: the micro-guest's "shoji-test" line decides
  require     regex that must appear in the log (repeat)
  reject      regex that must not appear (repeat)
  stop-on     regex after which the emulator is stopped (repeat)
  compare     allow-list file: with boot: both, lines matching `lines` must
              agree between bare and Shoji except as the list allows
  lines       regex with groups (key) (value) selecting compared lines
"""
import argparse
import glob
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import bochs
from serial_log import SerialLog, end_process_group

PASS, FAIL, SKIP = 0, 1, 77
LIST_KEYS = {"module", "require", "reject", "stop-on", "shoji-conf"}
EMULATORS = ("qemu", "bochs")
GUEST_VERDICT = re.compile(r"^shoji-test (\S+): (SUCCESS|SKIP|ERROR|FAILURE)(?:: (.*))?$")
# Lines that mean the core itself failed, whatever the scenario says.
CORE_FAILURE = re.compile(r"^shoji: error: (PANIC|core exception)")
# After these Shoji runs nothing more: stop the emulator at once.
ALWAYS_STOP = [r"^shoji: error: PANIC", r"Shoji has halted this CPU",
               r"Shoji did not start; the machine is halted"]


class Skip(Exception):
    pass


def parse_scenario(path):
    sc = {k: [] for k in LIST_KEYS}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition(":")
            if not sep:
                sys.exit(f"{path}:{n}: expected 'key: value'")
            key, value = key.strip(), value.strip()
            if key in LIST_KEYS:
                sc[key].append(value)
            else:
                sc[key] = value
    if "id" not in sc:
        sys.exit(f"{path}: no id")
    return sc


def bochs_scenario(sc):
    """The scenario as Bochs runs it: bochs-KEY replaces KEY, the CPU model
    is Bochs' own and the timeout three times QEMU's unless given.  An
    allow-list says what Shoji shows on SVM, so compare does not carry
    over: a VT-x one must be given (bochs-compare)."""
    view = dict(sc)
    view["cpu"] = bochs.BOCHS_CPU  # QEMU's model names mean nothing to Bochs
    view["timeout"] = str(3 * float(sc.get("timeout", "60")))
    if "compare" in view:
        view["compare"] = None
    for key, value in sc.items():
        if key.startswith("bochs-"):
            if key[6:] in LIST_KEYS:
                sys.exit(f"{key}: only one-value keys have a Bochs variant")
            view[key[6:]] = value
    return view


class Artifacts:
    def __init__(self, build, deps, tmp, image="shoji.bin"):
        self.build, self.deps, self.tmp, self.image = build, deps, tmp, image

    def vmlinuz(self):
        found = sorted(glob.glob(os.path.join(self.deps, "root/boot/vmlinuz-*")))
        if not found:
            raise Skip("Debian's Linux kernel is not unpacked in " + self.deps +
                       " (run tools/shoji setup)")
        return found[-1]

    def resolve(self, token):
        if not token.startswith("@"):
            return token
        kind, _, name = token[1:].partition(":")
        if kind == "shoji":
            path = os.path.join(self.build, self.image)
        elif kind == "guest":
            path = os.path.join(self.build, "guests", f"guest-{name}.elf32")
        elif kind == "guest64":
            path = os.path.join(self.build, "guests", f"guest-{name}.elf")
        elif kind == "data":
            path = os.path.join(self.build, "guests", name)
        elif kind == "vmlinuz":
            path = self.vmlinuz()
        elif kind == "initrd":
            path = os.path.join(self.build, "linux-initrd.gz")
            if not os.path.exists(path):
                raise Skip("the test initramfs was not built (busybox-static missing; "
                           "run tools/shoji setup)")
        elif kind == "truncated-vmlinuz":
            data = open(self.vmlinuz(), "rb").read()
            path = os.path.join(self.tmp, "truncated-vmlinuz")
            with open(path, "wb") as f:
                f.write(data[: len(data) // 3])
        else:
            sys.exit(f"unknown artifact {token}")
        if not os.path.exists(path):
            sys.exit(f"artifact {token} not built: {path}")
        return path


def is_bzimage(path):
    with open(path, "rb") as f:
        head = f.read(0x210)
    return len(head) >= 0x206 and head[0x202:0x206] == b"HdrS"


def grub_image(art, name, entry, files):
    """Makes art.tmp/<name>.iso, a GRUB rescue CD (grub-mkrescue) that runs
    one menu entry at once, with GRUB's console on COM1.  `entry` is the
    entry's GRUB commands; `files` is a list of (host path, name), each
    copied to /boot/<name>."""
    if not shutil.which("grub-mkrescue"):
        raise Skip("grub-mkrescue is not installed (run tools/shoji setup)")
    root = os.path.join(art.tmp, name)
    os.makedirs(os.path.join(root, "boot", "grub"))
    for path, target in files:
        shutil.copy(path, os.path.join(root, "boot", target))
    lines = ["serial --unit=0 --speed=115200", "terminal_input serial",
             "terminal_output serial", "set timeout=0", f'menuentry "{name}" {{']
    lines += ["  " + l for l in entry] + ["  boot", "}"]
    with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
        f.write("\n".join(lines) + "\n")
    iso = os.path.join(art.tmp, name + ".iso")
    r = subprocess.run(["grub-mkrescue", "-o", iso, root], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("grub-mkrescue failed: " + r.stderr[-500:])
    return iso


def module_lines(modules, first):
    """GRUB module commands for modules[first:], copied as /boot/m<i>.
    GRUB 2 passes only what follows the file in a module line, so each
    module string is "<name> <args>", as QEMU's loader gives it."""
    return [f"module /boot/m{i} {os.path.basename(path)} {args}".rstrip()
            for i, (path, args) in enumerate(modules) if i >= first]


def shoji_grub_image(sc, modules, art):
    """A GRUB CD booting Shoji with the modules, as a BIOS machine would."""
    entry = [f"multiboot /boot/shoji.bin {sc.get('shoji-args', '')}".rstrip()]
    entry += module_lines(modules, 0)
    files = [(art.resolve("@shoji"), "shoji.bin")]
    files += [(path, f"m{i}") for i, (path, _) in enumerate(modules)]
    return grub_image(art, "shoji", entry, files)


def bare_grub_image(modules, art):
    """A GRUB CD booting the guest itself: a bzImage (with the second module
    as its initrd) through GRUB's Linux loader, else a multiboot kernel with
    "bare" first on its command line, as qemu_args does."""
    if not modules:
        sys.exit("a bare run needs a module to boot")
    kernel, kargs = modules[0]
    if is_bzimage(kernel):
        entry = [f"linux /boot/m0 {kargs}".rstrip()]
        if len(modules) > 1:
            entry.append("initrd /boot/m1")
        files = [(p, f"m{i}") for i, (p, _) in enumerate(modules[:2])]
    else:
        entry = [f"multiboot /boot/m0 bare {kargs}".rstrip()] + module_lines(modules, 1)
        files = [(p, f"m{i}") for i, (p, _) in enumerate(modules)]
    return grub_image(art, "bare", entry, files)


def resolve_modules(sc, art):
    """The scenario's modules as (host path, arguments)."""
    modules = []
    for m in sc["module"]:
        path, _, rest = m.partition(" ")
        modules.append((art.resolve(path), rest.strip()))
    return modules


def qemu_args(sc, variant, art):
    """The QEMU command line for one variant ('shoji' or 'bare')."""
    args = ["qemu-system-x86_64", "-machine", sc.get("machine", "q35"), "-accel", "tcg",
            "-cpu", sc.get("cpu", "max"), "-m", sc.get("memory", "512"),
            "-smp", sc.get("smp", "1"), "-nodefaults", "-display", "none",
            "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]
    if sc.get("reboot") != "yes":
        args.append("-no-reboot")
    if sc.get("icount") == "yes":
        args += ["-icount", "shift=0,align=off,sleep=off"]
    if sc.get("firmware"):  # UEFI: ci/uefi.py builds the disks
        import uefi
        return args + uefi.qemu_args(sc, variant, art, Skip)
    modules = resolve_modules(sc, art)
    if variant == "shoji" and sc.get("loader") == "grub":
        return args + ["-cdrom", shoji_grub_image(sc, modules, art), "-boot", "d"]
    if variant == "shoji":
        args += ["-kernel", art.resolve("@shoji")]
        if sc.get("shoji-args"):
            args += ["-append", sc["shoji-args"]]
        if modules:
            # QEMU's multiboot module list: "path args,path args" (',' doubled).
            args += ["-initrd", ",".join(
                (p + (" " + a if a else "")).replace(",", ",,") for p, a in modules)]
        return args
    if not modules:
        sys.exit("a bare run needs a module to boot")
    kernel, kargs = modules[0]
    args += ["-kernel", kernel]
    if is_bzimage(kernel):
        if len(modules) > 1:
            args += ["-initrd", modules[1][0]]
        args += ["-append", kargs]
    else:
        # A multiboot guest: say "bare" so tests that need Shoji can skip.
        args += ["-append", ("bare " + kargs).strip()]
        if len(modules) > 1:
            args += ["-initrd", ",".join(
                (p + (" " + a if a else "")).replace(",", ",,") for p, a in modules[1:])]
    return args


def end_on_signal(signum, _frame):
    """SIGTERM (CTest's timeout, `timeout`) or SIGHUP: unwind, so that the
    emulator, in a session of its own, is killed and the temp dir removed."""
    raise SystemExit(f"runner.py: ended by signal {signum}")


def run_emulator(args, timeout, stop_on, log_path):
    """Runs QEMU with the serial console on its stdout, echoing nothing;
    returns (lines, exit code or None if stopped, timed_out)."""
    with open(log_path, "w") as log:
        log.write("# " + " ".join(args) + "\n")
        serial = SerialLog(log, stop_on)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            timed_out = False
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                ready, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
                if not ready:
                    if proc.poll() is not None:
                        break
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk or serial.feed(chunk):
                    break
            serial.finish()
        finally:
            end_process_group(proc)
        rc = proc.wait()
        stopped = serial.stopped
        log.write(f"# exit {rc}{' (stopped)' if stopped else ''}"
                  f"{' (timed out)' if timed_out else ''}\n")
    return serial.lines, (None if stopped else rc), timed_out


def guest_expectation(sc, art):
    """The "Expect:" line of the micro-guest's source, if any."""
    for m in sc["module"]:
        path = m.split()[0]
        if path.startswith("@guest"):
            name = path.split(":", 1)[1].replace("-", "_")
            src = os.path.join(os.path.dirname(__file__), "guests", name + ".c")
            for line in open(src):
                if "Expect:" in line:
                    return line.split("Expect:", 1)[1].strip()
    return None


SHOJI_LINE = re.compile(r"^(.+?)(shoji: .*)$")


def unsplice(lines):
    """The guest's lines with Shoji's log lines taken out of them.  Guest
    and Shoji share the UART: the guest writes a byte at a time, Shoji a
    whole line, so one of Shoji's lines can land inside a guest line
    ("s" + "shoji: ..." + "hoji loader: ...").  Rejoin such a guest line."""
    out, i = [], 0
    while i < len(lines):
        m = SHOJI_LINE.match(lines[i])
        if m and not m.group(1).startswith("shoji") and i + 1 < len(lines):
            out.append(m.group(1) + lines[i + 1])
            i += 2
            continue
        out.append(lines[i])
        i += 1
    return out


def judge(sc, variant, lines, rc, timed_out, art, ended=None):
    """Returns (status, reason) for one run; `ended` is the emulator's own
    account of why it stopped, if it gave one."""
    text = "\n".join(lines)
    if timed_out:
        why = "timed out"
    else:
        why = ("stopped" if rc is None else f"exit status {rc}") + (f": {ended}" if ended else "")
    for line in lines:
        if CORE_FAILURE.search(line):
            return FAIL, f"[{variant}] the core failed: {line}"
    if sc.get("check"):  # a check of the whole log, from ci/uefi.py
        import uefi
        problem = uefi.check(sc["check"], lines)
        if problem:
            return FAIL, f"[{variant}] {problem}"
    if "exit" in sc and (timed_out or rc is None or rc != int(sc["exit"])):
        return FAIL, f"[{variant}] the emulator did not end by itself with status {sc['exit']} ({why})"
    for pat in sc["reject"]:
        m = re.search(pat, text, re.M)
        if m:
            return FAIL, f"[{variant}] forbidden output: {m.group(0)!r}"
    if sc.get("verdict") == "guest":
        verdicts = [GUEST_VERDICT.match(l) for l in lines]
        verdicts = [v for v in verdicts if v]
        if not verdicts:
            return FAIL, f"[{variant}] no verdict from the guest: it crashed or hung ({why})"
        v = verdicts[-1]
        word, reason = v.group(2), v.group(3) or ""
        expect = guest_expectation(sc, art) or "SUCCESS"
        if word == "SKIP":
            return SKIP, f"[{variant}] guest skipped: {reason}"
        if not expect.startswith(word):
            return FAIL, f"[{variant}] guest said {word}: {reason} (expected {expect})"
    guest_text = "\n".join(unsplice(lines))
    for pat in sc["require"]:
        if not re.search(pat, text, re.M) and not re.search(pat, guest_text, re.M):
            return FAIL, f"[{variant}] missing output /{pat}/ ({why})"
    if timed_out and not sc["require"] and sc.get("verdict") != "guest":
        return FAIL, f"[{variant}] timed out"
    return PASS, ""


def load_allow_list(path):
    rules = []
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rule, _, reason = line.partition("|")
        if not reason.strip():
            sys.exit(f"{path}:{n}: every allowance needs a reason after '|'")
        # The pattern may hold spaces written as "\ ".
        words = [w.replace("\0", " ") for w in rule.replace("\\ ", "\0").split()]
        rules.append((re.compile(words[0] + "$"), words[1], words[2:], reason.strip(), n))
    return rules


def allowed(rules, key, bare, shoji):
    """True if the allowances for this key hold: an allowance says what
    Shoji shows, so it must hold even where bare and Shoji agree (a Shoji
    that stopped hiding something fails here).  Keys without allowances
    must agree exactly."""
    matching = [r for r in rules if r[0].match(key)]
    if not matching:
        return bare == shoji
    for pattern, action, params, _, _ in matching:
        if action == "zero":  # Shoji shows all zeros
            if shoji is not None and all(int(w, 16) == 0 for w in shoji.split()):
                return True
        elif action == "clear":  # Shoji clears these bits of word N
            index, mask = int(params[0]), int(params[1], 16)
            if bare and shoji:
                b, s = bare.split(), shoji.split()
                if len(b) == len(s) and all(
                        (int(b[i], 16) & ~mask if i == index else int(b[i], 16)) == int(s[i], 16)
                        for i in range(len(b))):
                    return True
        elif action == "value":  # Shoji shows exactly this
            if shoji == " ".join(params):
                return True
        elif action == "only-bare":  # the line may be missing under Shoji
            if shoji is None or shoji == bare:
                return True
        elif action == "only-shoji":  # the line may appear only under Shoji
            if bare is None or shoji == bare:
                return True
        else:
            sys.exit(f"unknown allowance {action}")
    return False


def compare(sc, runs):
    rules = load_allow_list(os.path.join(os.path.dirname(__file__), "..", sc["compare"]))
    sel = re.compile(sc["lines"])

    def table(lines):
        t = {}
        for l in lines:
            m = sel.search(l)
            if m:
                t[m.group(1)] = m.group(2) if sel.groups > 1 else ""
        return t

    bare, shoji = table(runs["bare"]), table(runs["shoji"])
    if not bare and sel.groups > 1:
        return FAIL, "the bare run printed no compared lines"
    bad = []
    for key in sorted(set(bare) | set(shoji)):
        b, s = bare.get(key), shoji.get(key)
        if allowed(rules, key, b, s):
            continue
        bad.append(f"{key}: bare {b!r}, under Shoji {s!r}")
    if bad:
        return FAIL, f"{len(bad)} difference(s) not in {sc['compare']}: " + "; ".join(bad[:5])
    return PASS, f"{len(bare)} lines compared"


def grub_image_for(sc, variant, art):
    """The GRUB CD that boots the variant ('shoji' or 'bare')."""
    modules = resolve_modules(sc, art)
    if variant == "shoji":
        return shoji_grub_image(sc, modules, art)
    return bare_grub_image(modules, art)


def run_variant(sc, emulator, variant, art, logs):
    """Boots one variant ('bare' or 'shoji') and judges it."""
    stop_on = sc["stop-on"] + ALWAYS_STOP
    timeout = float(sc.get("timeout", "60"))
    if emulator == "qemu":
        log = os.path.join(logs, f"{sc['id']}.{variant}.log")
        lines, rc, timed_out = run_emulator(qemu_args(sc, variant, art), timeout, stop_on, log)
        ended = None
    else:
        log = os.path.join(logs, f"{sc['id']}.{variant}.bochs.log")
        emu_log = os.path.join(logs, f"{sc['id']}.{variant}.bochsout.txt")
        lines, rc, timed_out, ended = bochs.run(sc, grub_image_for(sc, variant, art), art.tmp,
                                                variant, stop_on, log, emu_log, timeout)
    return lines, judge(sc, variant, lines, rc, timed_out, art, ended)


def main():
    signal.signal(signal.SIGTERM, end_on_signal)
    signal.signal(signal.SIGHUP, end_on_signal)
    ap = argparse.ArgumentParser(description="Boots one scenario and judges its serial log.")
    ap.add_argument("--build", required=True)
    ap.add_argument("--deps", required=True)
    ap.add_argument("--emulator", choices=EMULATORS,
                    help="run under this emulator, whatever the scenario lists")
    ap.add_argument("--console", action="store_true",
                    help="Bochs only: serial console on this terminal, no verdict")
    ap.add_argument("scenario")
    opts = ap.parse_args()
    sc = parse_scenario(opts.scenario)
    logs = os.path.join(opts.build, "ci-logs")
    os.makedirs(logs, exist_ok=True)
    listed = sc.get("emulators", "qemu").split()
    unknown = [e for e in listed if e not in EMULATORS]
    if unknown or not listed:
        sys.exit(f"{opts.scenario}: emulators: {' '.join(unknown)}: expected some of "
                 + ", ".join(EMULATORS))
    emulator = opts.emulator or listed[0]
    if opts.console and emulator != "bochs":
        sys.exit("--console is for Bochs (QEMU's console: tools/shoji run)")
    if emulator == "bochs":
        sc = bochs_scenario(sc)
        missing = bochs.missing()
    else:
        missing = (None if shutil.which("qemu-system-x86_64")
                   else "qemu-system-x86_64 is not installed (run tools/shoji setup)")
    name = sc["id"] + ("" if emulator == "qemu" else f" ({emulator})")
    if missing:
        print(f"SKIP {name}: {missing}")
        return SKIP
    boot = sc.get("boot", "shoji")
    variants = ["bare", "shoji"] if boot == "both" else [boot]
    tmp = tempfile.mkdtemp(prefix="shoji-ci-")
    art = Artifacts(opts.build, opts.deps, tmp, sc.get("image", "shoji.bin"))
    runs = {}
    status, reason = PASS, ""
    try:
        if opts.console:
            variant = variants[-1]
            bochs.console(sc, grub_image_for(sc, variant, art), art.tmp, variant, ALWAYS_STOP,
                          os.path.join(logs, f"{sc['id']}.{variant}.bochs.log"),
                          os.path.join(logs, f"{sc['id']}.{variant}.bochsout.txt"))
            return PASS
        for variant in variants:
            runs[variant], (status, reason) = run_variant(sc, emulator, variant, art, logs)
            if status != PASS:
                break
        # A Bochs run of a "both" scenario may be cut to one half (bochs-boot).
        if status == PASS and "compare" in sc and len(runs) == 2:
            if sc["compare"] is None:
                status, reason = FAIL, ("bare and Shoji ran, but this emulator has no "
                                        "allow-list to compare them (bochs-compare:)")
            else:
                status, reason = compare(sc, runs)
    except Skip as s:
        status, reason = SKIP, str(s)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    word = {PASS: "PASS", FAIL: "FAIL", SKIP: "SKIP"}[status]
    print(f"{word} {name}" + (f": {reason}" if reason else ""))
    if status == FAIL:
        print(f"  logs: {logs}/{sc['id']}.*")
    return status


if __name__ == "__main__":
    sys.exit(main())
