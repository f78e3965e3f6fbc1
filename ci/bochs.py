"""Bochs, the only emulator with Intel VT-x (QEMU emulates no VMX): the
bochsrc for booting a GRUB CD, a run judged from COM1 like QEMU's, and an
interactive console (tools/shoji run --vmx).  Used by runner.py.

Debian's bochs-bin has the built-in debugger, which reads commands before
the first instruction: an rc file tells it to continue, and to quit once
the simulation stops.  It has no 'nogui' display: rfb stands in.
"""
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import termios
import time
import tty

from serial_log import SerialLog, end_process_group

BOCHS = "bochs-bin"
# VT-x with EPT, VPID and unrestricted guest (emulators.md, Q2).
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
# Resets of the machine a run may go through (each needs a debugger 'c').
BOCHS_RESETS = 16


def missing():
    """Why Bochs cannot run here, or None."""
    if not shutil.which(BOCHS):
        return f"{BOCHS} is not installed (run tools/shoji setup: package bochs)"
    if not os.path.exists(BOCHS_BIOS):
        return f"{BOCHS_BIOS} is missing (run tools/shoji setup: package bochsbios)"
    if not os.path.exists(BOCHS_VGABIOS):
        return f"{BOCHS_VGABIOS} leads nowhere (run tools/shoji setup: package vgabios)"
    return None


def config(sc, tmp, name, iso, com1, emu_log):
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
    # The debugger also takes back control at each reset of the machine
    # (a triple fault with reboot: yes, a guest's reboot): one 'c' a reset.
    dbg = os.path.join(tmp, "continue.rc")
    with open(dbg, "w") as f:
        f.write("c\n" * BOCHS_RESETS + "quit\n")
    # A lock left by a killed run would make Bochs refuse the image.
    if os.path.exists(iso + ".lock"):
        os.remove(iso + ".lock")
    return [BOCHS, "-q", "-f", rc_path, "-rc", dbg]


def exit_message(text):
    """The message Bochs ends with ("Shutdown port: shutdown requested",
    a triple fault, ...), from its console output."""
    m = re.search(r"Bochs is exiting with the following message:\n(.*)", text)
    return m.group(1).strip() if m else None


def run(sc, iso, tmp, name, stop_on, log_path, emu_log, timeout):
    """Boots the CD in Bochs with COM1 going to a file, which it reads as
    it grows (the same line handling as QEMU's); returns (lines, exit code
    or None if stopped, timed_out, Bochs' exit message or None).  Bochs'
    console output is added to its log, emu_log."""
    com1 = os.path.join(tmp, name + ".com1")
    open(com1, "wb").close()
    args = config(sc, tmp, name, iso, f'mode=file, dev="{com1}"', emu_log)
    console = os.path.join(tmp, name + ".console")
    with open(log_path, "w") as log, open(com1, "rb") as serial_in, \
            open(console, "wb") as out:
        log.write("# " + " ".join(args) + "\n")
        with open(args[3]) as rc_file:
            log.writelines("#   " + l for l in rc_file)
        serial = SerialLog(log, stop_on)
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp)
        try:
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
        finally:
            end_process_group(proc)
        rc = proc.wait()
        with open(console, errors="replace") as f:
            said = f.read()
        ended = None if serial.stopped else exit_message(said)
        log.write(f"# exit {rc}{' (stopped)' if serial.stopped else ''}"
                  f"{' (timed out)' if timed_out else ''}"
                  f"{'; Bochs: ' + ended if ended else ''}\n")
    with open(emu_log, "a") as f:
        f.write("\n# Bochs' console output:\n" + said)
    return serial.lines, (None if serial.stopped else rc), timed_out, ended


def free_port():
    """A TCP port on the loopback that nobody listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect_serial(proc, port, wait=30.0):
    """Connects to Bochs' COM1 socket once Bochs listens on it (it waits
    for us before it starts the machine); None if Bochs ended first."""
    deadline = time.monotonic() + wait
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=1)
            conn.settimeout(None)
            return conn
        except OSError:
            time.sleep(0.1)
    return None


CTRL_A = 1


def console_keys(data, escape):
    """Keys typed at the console, as QEMU's -serial mon:stdio takes them:
    Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A, any other Ctrl-A
    sequence goes to the guest as typed.  `escape`: the last key was a
    lone Ctrl-A.  Returns (bytes for the guest, escape, quit)."""
    out = bytearray()
    for key in data:
        if escape:
            escape = False
            if key in b"xX":
                return bytes(out), False, True
            out += bytes([key]) if key == CTRL_A else bytes([CTRL_A, key])
        elif key == CTRL_A:
            escape = True
        else:
            out.append(key)
    return bytes(out), escape, False


def console(sc, iso, tmp, name, stop_on, log_path, emu_log):
    """Boots the CD in Bochs for a person, with COM1 on a loopback socket
    that this relays to and from the terminal (raw, so Ctrl-C reaches the
    guest; Ctrl-A x ends Bochs, as Ctrl-A X ends QEMU).  With stdin no
    terminal, what stdin gives goes to the guest as it is.  Ends when Bochs
    does or a line matches stop_on; logs as run() does."""
    port = free_port()
    args = config(sc, tmp, name, iso, f"mode=socket-server, dev=127.0.0.1:{port}", emu_log)
    console_out = os.path.join(tmp, name + ".console")
    fd_in = sys.stdin.fileno()
    saved = termios.tcgetattr(fd_in) if os.isatty(fd_in) else None
    ending = None
    with open(console_out, "wb") as out, open(log_path, "w") as log:
        # Bochs' own output would garble the guest's: it goes to its log.
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp)
        log.write("# " + " ".join(args) + "\n")
        serial = SerialLog(log, stop_on)
        conn = connect_serial(proc, port)
        try:
            if saved:
                tty.setraw(fd_in)
                raw = termios.tcgetattr(fd_in)
                raw[1] |= termios.OPOST | termios.ONLCR  # "\n" still starts a line
                termios.tcsetattr(fd_in, termios.TCSADRAIN, raw)
            inputs = [conn, fd_in] if conn else []
            escape = quit_key = False
            if not conn:
                ending = "Bochs did not open its COM1 socket"
            while conn:
                ready, _, _ = select.select(inputs, [], [], 0.5)
                if not ready and proc.poll() is not None:
                    break
                if conn in ready:
                    data = conn.recv(65536)
                    if not data:
                        break
                    os.write(sys.stdout.fileno(), data)
                    if serial.feed(data):
                        ending = "the guest stopped: " + serial.stop_line
                        break
                if fd_in in ready:
                    data = os.read(fd_in, 1024)
                    if not data:  # stdin ended: keep showing the guest
                        inputs.remove(fd_in)
                        continue
                    if saved:
                        data, escape, quit_key = console_keys(data, escape)
                    conn.sendall(data)
                    if quit_key:
                        ending = "Ctrl-A x"
                        break
        finally:
            if saved:
                termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)
            end_process_group(proc)
            if conn:
                conn.close()
            serial.finish()
    with open(console_out, errors="replace") as f:
        said = f.read()
    with open(emu_log, "a") as f:
        f.write("\n# Bochs' console output:\n" + said)
    print(f"\r\nBochs ended: {ending or exit_message(said) or 'no message'}"
          f" (its log: {emu_log})")
