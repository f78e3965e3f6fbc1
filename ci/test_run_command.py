#!/usr/bin/env python3
"""Drives `tools/shoji run [ARGS]` as a user would: waits for the guest's
shell, types a command, checks its answer, types poweroff, and expects the
emulator to end and the command with status 0.

    test_run_command.py                 QEMU (cli.run)
    test_run_command.py --vmx           Bochs, Shoji on VT-x (cli.run-vmx)
    test_run_command.py --uefi          OVMF and loadshoji.efi (cli.run-uefi)

Expect: the README's run command boots Linux under Shoji to a working shell.
"""
import os
import select
import signal
import subprocess
import sys
import time

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
env = dict(os.environ, SHOJI_NO_BUILD="1")
# Bochs is several times slower than QEMU.
slow = 3 if "--vmx" in sys.argv else 1
proc = subprocess.Popen([os.path.join(top, "tools", "shoji"), "run"] + sys.argv[1:],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                        start_new_session=True)
seen = b""


def end_run():
    """Ends the command and what it started (the runner kills Bochs on
    SIGTERM; QEMU is the command itself)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:  # it had ended
        pass


def wait_for(text, timeout):
    global seen
    deadline = time.monotonic() + timeout
    ended = False
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or ended:
            print(seen.decode(errors="replace")[-2000:])
            why = f"the command ended (status {proc.wait()})" if ended else "timed out"
            print(f"FAIL run-command: did not see {text!r}: {why}")
            end_run()
            sys.exit(1)
        if select.select([proc.stdout], [], [], min(left, 1))[0]:
            chunk = os.read(proc.stdout.fileno(), 4096)
            # End of output: the command, and all it started, has ended
            # (reading on would spin: an ended pipe is always readable).
            ended = not chunk
            seen += chunk


if "--uefi" in sys.argv:
    wait_for("shoji loader: Shoji is running; the firmware continues as its guest", 180)
wait_for("SHOJI-GUEST-INIT: init reached", 180 * slow)
wait_for("/ # ", 60)
proc.stdin.write(b"echo shoji-run-$((6*7))\n")
proc.stdin.flush()
wait_for("shoji-run-42", 60)
proc.stdin.write(b"poweroff\n")
proc.stdin.flush()
try:
    rc = proc.wait(60 * slow)
except subprocess.TimeoutExpired:
    end_run()
    print("FAIL run-command: the emulator did not end after poweroff")
    sys.exit(1)
if rc != 0:
    print(f"FAIL run-command: the run command ended with status {rc}")
    sys.exit(1)
print(f"PASS run-command{''.join(' ' + a for a in sys.argv[1:])}: Linux booted, ran a "
      "command, powered off")
