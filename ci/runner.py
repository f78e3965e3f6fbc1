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
emulator.  Under Bochs, Shoji always boots from a GRUB rescue CD, and a
bare run boots the guest itself from one: a multiboot guest with "bare"
first on its command line (as under QEMU), a bzImage through GRUB's linux
and initrd commands.

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
              compares nothing); bochs-compare names a VT-x allow-list
  firmware    ovmf: boot through UEFI from an ESP (keys in ci/uefi.py)
  exit        the emulator must end by itself with this status (a poweroff)
  check       region-hidden: Shoji's region is in no System RAM, EFI runtime
              or NVS range and reads as zeros (ci/uefi.py)
  shoji-args  Shoji's own command line (vmm.* keys)
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
import termios
import time

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


class Artifacts:
    def __init__(self, build, deps, tmp):
        self.build, self.deps, self.tmp = build, deps, tmp

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
            path = os.path.join(self.build, "shoji.bin")
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


class SerialLog:
    """Turns the serial output into lines as it arrives: writes each to the
    log (and to stdout if echo), and notes when one matches a stop pattern."""

    # GRUB's serial console draws with VT100 escapes and ends its lines
    # "\n\r", so a guest's first line can start with "\r" and escapes;
    # drop them so that patterns anchored with ^ still match.
    TERMINAL_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")

    def __init__(self, log, stop_on, echo=False):
        self.log, self.echo = log, echo
        self.stop = [re.compile(p) for p in stop_on]
        self.lines, self.buf, self.stopped = [], b"", False

    def _line(self, raw):
        line = self.TERMINAL_CONTROL.sub("", raw.decode("utf-8", "replace"))
        self.lines.append(line)
        self.log.write(line + "\n")
        if self.echo:
            print(line, flush=True)
        if any(p.search(line) for p in self.stop):
            self.stopped = True

    def feed(self, chunk):
        """Takes more output; returns True once a stop pattern was seen."""
        self.buf += chunk
        while b"\n" in self.buf:
            raw, self.buf = self.buf.split(b"\n", 1)
            self._line(raw)
        return self.stopped

    def finish(self):
        """Takes the last, unterminated line (a guest may stop mid-line)."""
        if self.buf:
            self._line(self.buf)
        self.buf = b""


def run_emulator(args, timeout, stop_on, log_path):
    """Runs QEMU with the serial console on its stdout, echoing nothing;
    returns (lines, exit code or None if stopped, timed_out)."""
    with open(log_path, "w") as log:
        log.write("# " + " ".join(args) + "\n")
        serial = SerialLog(log, stop_on)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        timed_out = False
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
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        rc = proc.wait()
        stopped = serial.stopped
        log.write(f"# exit {rc}{' (stopped)' if stopped else ''}"
                  f"{' (timed out)' if timed_out else ''}\n")
    return serial.lines, (None if stopped else rc), timed_out


# Bochs, the only emulator with Intel VT-x.  Debian's bochs-bin has the
# built-in debugger, which reads commands before the first instruction:
# an rc file tells it to continue, and to quit once the simulation ends.
BOCHS = "bochs-bin"
BOCHS_CPU = "corei7_skylake_x"
BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
# A link into the vgabios package, dangling if that is not installed.
BOCHS_VGABIOS = "/usr/share/bochs/VGABIOS-lgpl-latest"
# Emulated instructions per emulated second.  With clock sync=none Bochs'
# clock follows its instruction count, so a run repeats and a loaded host
# does not make the guest's timers fire early.  Measured with Debian's Linux
# on corei7_skylake_x at 100 M: Linux calibrates the TSC against the PIT at
# 3499.9 MHz, in agreement with the model's 3.5 GHz, and boots in about 25 s
# (50 M and 200 M took the same wall time).
BOCHS_IPS = 100_000_000
# Keys whose QEMU value means nothing to Bochs: Bochs has its own
# default, given by bochs-KEY.
BOCHS_DEFAULTS = {"cpu": BOCHS_CPU}


def bochs_scenario(sc):
    """The scenario as Bochs runs it: bochs-KEY replaces KEY, the CPU model
    is Bochs' own and the timeout three times QEMU's unless given."""
    view = dict(sc)
    view.update(BOCHS_DEFAULTS)
    view["timeout"] = str(3 * float(sc.get("timeout", "60")))
    for key, value in sc.items():
        if key.startswith("bochs-"):
            if key[6:] in LIST_KEYS:
                sys.exit(f"{key}: only one-value keys have a Bochs variant")
            view[key[6:]] = value
    return view


def bochs_missing():
    """Why Bochs cannot run here, or None."""
    if not shutil.which(BOCHS):
        return f"{BOCHS} is not installed (run tools/shoji setup: package bochs)"
    if not os.path.exists(BOCHS_BIOS):
        return f"{BOCHS_BIOS} is missing (run tools/shoji setup: package bochsbios)"
    if not os.path.exists(BOCHS_VGABIOS):
        return f"{BOCHS_VGABIOS} leads nowhere (run tools/shoji setup: package vgabios)"
    return None


def bochs_config(sc, tmp, name, iso, com1, emu_log):
    """Writes tmp/<name>.bochsrc (and the debugger's rc file) for booting
    the CD `iso`, with `com1` the COM1 mode and device; returns Bochs'
    command line."""
    reboot = 1 if sc.get("reboot") == "yes" else 0
    lines = [
        f"megs: {sc.get('memory', '512')}",
        f"romimage: file={BOCHS_BIOS}",
        f"vgaromimage: file={BOCHS_VGABIOS}",
        # Debian's Bochs has no 'nogui'; rfb with timeout=0 waits for no
        # VNC client (and takes the next free port, so runs can overlap).
        'display_library: rfb, options="timeout=0"',
        f"cpu: model={sc['cpu']}, count={sc.get('smp', '1')}, ips={BOCHS_IPS}, "
        f"reset_on_triple_fault={reboot}",
        "ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14",
        f'ata0-master: type=cdrom, path="{iso}", status=inserted',
        "boot: cdrom",
        f"com1: enabled=1, {com1}",
        f'log: "{emu_log}"',
        # A panic ends Bochs instead of asking on the console.  Bochs
        # reports the guest's power-off (port 0x8900, ACPI S5) and, when
        # it does not reset, a triple fault as panics: each ends the run.
        "panic: action=fatal", "error: action=report", "info: action=report",
        "debug: action=ignore",
        # Time from the instruction count, not the host: see BOCHS_IPS.
        "clock: sync=none, time0=local",
        "speaker: enabled=0",
    ]
    rc_path = os.path.join(tmp, name + ".bochsrc")
    with open(rc_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    dbg = os.path.join(tmp, "continue.rc")
    with open(dbg, "w") as f:
        f.write("c\nquit\n")
    # A lock left by a killed run would make Bochs refuse the image.
    if os.path.exists(iso + ".lock"):
        os.remove(iso + ".lock")
    return [BOCHS, "-q", "-f", rc_path, "-rc", dbg]


def bochs_exit_message(text):
    """The message Bochs ends with ("Shutdown port: shutdown requested",
    a triple fault, ...), from its console output."""
    m = re.search(r"Bochs is exiting with the following message:\n(.*)", text)
    return m.group(1).strip() if m else None


def run_bochs(sc, iso, tmp, name, stop_on, log_path, emu_log, timeout, echo=False):
    """Boots the CD in Bochs with COM1 going to a file, which it reads as
    it grows (the same line handling as QEMU's); returns (lines, exit code
    or None if stopped, timed_out, Bochs' exit message or None).  Bochs'
    console output is added to its log, emu_log."""
    com1 = os.path.join(tmp, name + ".com1")
    open(com1, "wb").close()
    args = bochs_config(sc, tmp, name, iso, f'mode=file, dev="{com1}"', emu_log)
    console = os.path.join(tmp, name + ".console")
    with open(log_path, "w") as log, open(com1, "rb") as serial_in, \
            open(console, "wb") as out:
        log.write("# " + " ".join(args) + "\n")
        with open(args[3]) as rc_file:
            log.writelines("#   " + l for l in rc_file)
        serial = SerialLog(log, stop_on, echo)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp)
        deadline = time.monotonic() + timeout
        timed_out = False
        while True:
            chunk = serial_in.read()
            if chunk and serial.feed(chunk):
                break
            if proc.poll() is not None:
                serial.feed(serial_in.read())  # what it wrote last
                break
            if time.monotonic() >= deadline:
                timed_out = True
                break
            if not chunk:
                time.sleep(0.05)
        serial.finish()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        rc = proc.wait()
        with open(console, errors="replace") as f:
            said = f.read()
        ended = None if serial.stopped else bochs_exit_message(said)
        log.write(f"# exit {rc}{' (stopped)' if serial.stopped else ''}"
                  f"{' (timed out)' if timed_out else ''}"
                  f"{'; Bochs: ' + ended if ended else ''}\n")
    with open(emu_log, "a") as f:
        f.write("\n# Bochs' console output:\n" + said)
    return serial.lines, (None if serial.stopped else rc), timed_out, ended


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
    for pat in sc["require"]:
        if not re.search(pat, text, re.M):
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


def bochs_console(sc, variant, art, logs):
    """Boots the variant in Bochs for a person: with a terminal on stdin,
    COM1 is that terminal (Bochs' "term" mode: raw, both ways); without
    one, the serial output is printed as it comes.  Ends when the machine
    does; returns 0."""
    modules = resolve_modules(sc, art)
    iso = shoji_grub_image(sc, modules, art) if variant == "shoji" else bare_grub_image(modules, art)
    emu_log = os.path.join(logs, f"{sc['id']}.{variant}.bochsout.txt")
    if not sys.stdin.isatty():
        log = os.path.join(logs, f"{sc['id']}.{variant}.bochs.log")
        run_bochs(sc, iso, art.tmp, variant, [], log, emu_log, float("inf"), echo=True)
        return PASS
    tty = os.ttyname(sys.stdin.fileno())
    args = bochs_config(sc, art.tmp, variant, iso, f'mode=term, dev="{tty}"', emu_log)
    saved = termios.tcgetattr(sys.stdin.fileno())
    console = os.path.join(art.tmp, "console")
    try:
        with open(console, "wb") as out:
            # Bochs' own console output would garble the guest's: it goes
            # to its log.  stdin is not the terminal, so only COM1 reads it.
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=art.tmp)
            print(f"Bochs is process {proc.pid}; its log: {emu_log}", flush=True)
            proc.wait()
    finally:
        # Bochs leaves the terminal raw when it ends on a panic.
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
        with open(console, errors="replace") as f, open(emu_log, "a") as log:
            said = f.read()
            log.write("\n# Bochs' console output:\n" + said)
    print(f"\nBochs ended: {bochs_exit_message(said) or 'no message'}")
    return PASS


def run_variant(sc, emulator, variant, art, logs):
    """Boots one variant ('bare' or 'shoji') and judges it."""
    stop_on = sc["stop-on"] + ALWAYS_STOP
    timeout = float(sc.get("timeout", "60"))
    if emulator == "qemu":
        log = os.path.join(logs, f"{sc['id']}.{variant}.log")
        lines, rc, timed_out = run_emulator(qemu_args(sc, variant, art), timeout, stop_on, log)
        ended = None
    else:
        modules = resolve_modules(sc, art)
        iso = (shoji_grub_image(sc, modules, art) if variant == "shoji"
               else bare_grub_image(modules, art))
        log = os.path.join(logs, f"{sc['id']}.{variant}.bochs.log")
        emu_log = os.path.join(logs, f"{sc['id']}.{variant}.bochsout.txt")
        lines, rc, timed_out, ended = run_bochs(sc, iso, art.tmp, variant, stop_on, log,
                                                emu_log, timeout)
    return lines, judge(sc, variant, lines, rc, timed_out, art, ended)


def main():
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
        missing = bochs_missing()
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
    art = Artifacts(opts.build, opts.deps, tmp)
    runs = {}
    status, reason = PASS, ""
    try:
        if opts.console:
            return bochs_console(sc, variants[-1], art, logs)
        for variant in variants:
            runs[variant], (status, reason) = run_variant(sc, emulator, variant, art, logs)
            if status != PASS:
                break
        # A Bochs run of a "both" scenario may be cut to one half (bochs-boot).
        if status == PASS and "compare" in sc and len(runs) == 2:
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
