"""Finds and parses the last vmcs-dump in a log, as vmx/ prints it on a
failed VM entry."""
import re
from .fields import NAMES



class DumpError(Exception):
    """The input holds no usable dump; the message says why."""


class Dump:
    """One parsed dump: VMCS fields and MSR lines, keyed by encoding/index."""

    def __init__(self, header, fields, msrs, line):
        self.cpu, self.reason, self.qualification = header
        self.fields, self.msrs, self.line = fields, msrs, line

    def __getitem__(self, encoding):
        if encoding not in self.fields:
            raise DumpError(f"the dump at line {self.line} lacks vmcs field 0x{encoding:04x} "
                            f"({NAMES.get(encoding, 'unnamed')})")
        return self.fields[encoding]

    def msr(self, index):
        if index not in self.msrs:
            raise DumpError(f"the dump at line {self.line} lacks msr 0x{index:x} "
                            f"({NAMES.get(index, 'unnamed')})")
        return self.msrs[index]


# printf's %#lx prints a zero qualification as "0", without "0x".
RE_BEGIN = re.compile(r"vmcs-dump begin cpu (\d+) reason (\d+) qualification "
                      r"((?:0x)?[0-9a-fA-F]+)\s*$")
RE_FIELD = re.compile(r"(?:^|\s)vmcs (0x[0-9a-fA-F]{4}) (\S+) = (0x[0-9a-fA-F]{16})\s*$")
RE_MSR = re.compile(r"(?:^|\s)msr (0x[0-9a-fA-F]{1,8}) (\S+) = (0x[0-9a-fA-F]{16})\s*$")
RE_END = re.compile(r"vmcs-dump end\s*$")
RE_DUMP_LINE = re.compile(r"(?:^|\s)(vmcs|msr) 0x")


def parse_last_dump(text):
    """Returns the last complete dump in text.  Raises DumpError if there is
    none, if a dump has no end line before the next begins or the input
    ends, or if a line of the dump is malformed or repeats a field with
    another value.  Lines inside a dump
    that are neither field nor msr lines (other log output) are skipped."""
    last, current = None, None
    for number, line in enumerate(text.splitlines(), 1):
        if "vmcs-dump begin" in line:
            m = RE_BEGIN.search(line)
            if not m:
                raise DumpError(f"line {number}: malformed dump header: {line.strip()!r}")
            if current is not None:
                raise DumpError(f"line {number}: a dump begins before the one of line "
                                f"{current[3]} ended: two CPUs' dumps interleaved, or a "
                                f"truncated dump")
            header = (int(m.group(1)), int(m.group(2)), int(m.group(3), 16))
            current = (header, {}, {}, number)
        elif "vmcs-dump end" in line and RE_END.search(line):
            if current is None:
                raise DumpError(f"line {number}: 'vmcs-dump end' without a begin line")
            last, current = Dump(*current), None
        elif current is not None and RE_DUMP_LINE.search(line):
            m = RE_FIELD.search(line) or RE_MSR.search(line)
            if not m:
                raise DumpError(f"line {number}: malformed dump line: {line.strip()!r}")
            table = current[1] if m.re is RE_FIELD else current[2]
            key, value = int(m.group(1), 16), int(m.group(3), 16)
            if table.get(key, value) != value:
                raise DumpError(f"line {number}: {m.group(2)} given twice with different values")
            table[key] = value
    if current is not None:
        raise DumpError(f"the dump that begins at line {current[3]} has no 'vmcs-dump end' "
                        f"(truncated log?)")
    if last is None:
        raise DumpError("no 'vmcs-dump begin' line in the input")
    return last
