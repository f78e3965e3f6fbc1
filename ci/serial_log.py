"""The serial console of an emulator run, as lines: shared by the QEMU and
Bochs runs of runner.py."""
import os
import re
import signal


def end_process_group(proc):
    """Kills the emulator (started in a session of its own, with whatever
    it started) unless it has ended; waits for it."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


class SerialLog:
    """Turns the serial output into lines as it arrives: writes each to the
    log, and notes when one matches a stop pattern."""

    # GRUB's serial console draws with VT100 escapes and ends its lines
    # "\n\r", so a guest's first line can start with "\r" and escapes;
    # drop them so that patterns anchored with ^ still match.
    TERMINAL_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")

    def __init__(self, log, stop_on):
        self.log = log
        self.stop = [re.compile(p) for p in stop_on]
        self.lines, self.buf, self.stopped = [], b"", False
        self.stop_line = None  # the line that matched a stop pattern

    def _line(self, raw):
        line = self.TERMINAL_CONTROL.sub("", raw.decode("utf-8", "replace"))
        self.lines.append(line)
        self.log.write(line + "\n")
        if not self.stopped and any(p.search(line) for p in self.stop):
            self.stopped, self.stop_line = True, line

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


