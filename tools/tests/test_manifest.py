#!/usr/bin/env python3
"""Tests of tools/manifest: domains/manifest.toml and a manifest using every
capability kind are accepted, and the table they generate compiles for the
core (code model kernel, -Wall -Wextra -Werror) and reads back right in a
host program; every rule against bad manifests rejects with its message.

Expect: the good manifests pass and generate a correct table; every bad one
exits 1 naming the file, the domain, the key, the value and what was
expected.
"""
import copy
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cbuild  # noqa: E402
from cbuild import REPO  # noqa: E402

MANIFEST = os.path.join(REPO, "tools", "manifest")
DOMAINS = os.path.join(REPO, "domains", "manifest.toml")


def domain(name, *caps, **keys):
    d = {"name": name, "image": f"{name}.elf", "budget_us": 1000, "stack_size": 0x4000,
         "fpu": False, "backoff_ms": 10}
    d.update(keys)
    d["cap"] = list(caps)
    return d


# A manifest with every kind of capability.
FULL = [
    domain("net", {"slot": 1, "kind": "ioport", "first": 0xC000, "count": 0x40},
           {"slot": 2, "kind": "mmio", "base": 0xFEB00000, "size": 0x20000,
            "rights": ["read", "write"]},
           {"slot": 3, "kind": "irq", "vector": 0x41},
           {"slot": 4, "kind": "dma", "base": 0x10000000, "size": 0x100000,
            "rights": ["read", "write"]},
           {"slot": 5, "kind": "notification", "rights": ["poll"]},
           {"slot": 63, "kind": "memory", "size": 0x40000000, "rights": ["read", "write"]},
           fpu=True, budget_us=100000, stack_size=0x100000),
    domain("dbgsh", {"slot": 1, "kind": "endpoint", "target": "net", "rights": ["call"],
                     "badge": 0xFFFFFFFFFFFFFFFF},
           {"slot": 2, "kind": "notification", "target": "net", "rights": ["signal"]},
           {"slot": 3, "kind": "ioport", "first": 0xC040, "count": 0xFFFF - 0xC040 + 1},
           {"slot": 4, "kind": "irq", "vector": 0xEF},
           {"slot": 5, "kind": "mmio", "base": 0xFEB20000, "size": 0x1000, "rights": ["read"]},
           {"slot": 6, "kind": "memory", "size": 0x1000, "rights": ["read", "write", "exec"]},
           budget_us=10, stack_size=0x1000, backoff_ms=60000),
    domain("idle"),
]


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return hex(v) if v >= 0 else str(v)
    if isinstance(v, str):
        return '"' + v + '"'
    return "[" + ", ".join(toml_value(x) for x in v) + "]"


def toml(domains):
    out = []
    for d in domains:
        out.append("[[domain]]")
        out += [f"{k} = {toml_value(v)}" for k, v in d.items() if k != "cap"]
        for cap in d.get("cap", []):
            out.append("[[domain.cap]]")
            out += [f"{k} = {toml_value(v)}" for k, v in cap.items()]
    return "\n".join(out) + "\n"


def run_manifest(path, *extra):
    return subprocess.run([sys.executable, MANIFEST, *extra, path], capture_output=True,
                          text=True)


class GoodManifests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def generate(self, path):
        out = os.path.join(self.tmp.name, "manifest.c")
        r = run_manifest(path, "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        cbuild.gcc(cbuild.CORE + cbuild.includes("kernel/include") +
                   ["-O2", "-fsyntax-only", out])
        return out

    def test_the_repository_manifest(self):
        out = self.generate(DOMAINS)
        with open(out) as f:
            text = f.read()
        self.assertIn("from domains/manifest.toml: do not edit", text.splitlines()[0])
        self.assertIn("extern const uint8_t _binary_example_start[], _binary_example_end[];",
                      text)
        self.assertIn(".target = 0, /* example */", text)

    def test_every_kind_reads_back_on_the_host(self):
        path = os.path.join(self.tmp.name, "full.toml")
        with open(path, "w") as f:
            f.write(toml(FULL))
        out = self.generate(path)
        main = os.path.join(self.tmp.name, "main.c")
        with open(main, "w") as f:
            f.write(HOST_CHECK)
        exe = os.path.join(self.tmp.name, "check")
        cbuild.gcc(cbuild.HOST + cbuild.includes("kernel/include") +
                   ["-Wno-missing-prototypes", main, out, "-o", exe])
        r = subprocess.run([exe], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


HOST_CHECK = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "manifest.h"

const uint8_t _binary_net_start[1], _binary_net_end[1];
const uint8_t _binary_dbgsh_start[1], _binary_dbgsh_end[1];
const uint8_t _binary_idle_start[1], _binary_idle_end[1];

#define CHECK(c) do { if (!(c)) { printf("line %d: %s\n", __LINE__, #c); exit(1); } } while (0)

int main(void)
{
	const struct manifest_domain *net = &manifest_domains[0], *dbgsh = &manifest_domains[1];
	const struct manifest_cap *c;

	CHECK(manifest_domain_count == 3);
	CHECK(!strcmp(net->name, "net") && !strcmp(dbgsh->name, "dbgsh"));
	CHECK(!strcmp(manifest_domains[2].name, "idle") && manifest_domains[2].cap_count == 0);
	CHECK(net->image_start == _binary_net_start && net->image_end == _binary_net_end);
	CHECK(net->budget_us == 100000 && net->stack_size == 0x100000 && net->fpu);
	CHECK(net->backoff_ms == 10 && net->cap_count == 6);
	CHECK(dbgsh->budget_us == 10 && dbgsh->stack_size == 0x1000 && !dbgsh->fpu);
	CHECK(dbgsh->backoff_ms == 60000 && dbgsh->cap_count == 6);

	c = net->caps;
	CHECK(c[0].slot == 1 && c[0].kind == MANIFEST_CAP_IOPORT && c[0].base == 0xC000 &&
	      c[0].size == 0x40 && c[0].rights == 0 && c[0].target == MANIFEST_NO_TARGET);
	CHECK(c[1].kind == MANIFEST_CAP_MMIO && c[1].base == 0xFEB00000 && c[1].size == 0x20000 &&
	      c[1].rights == (MANIFEST_RIGHT_READ | MANIFEST_RIGHT_WRITE));
	CHECK(c[2].kind == MANIFEST_CAP_IRQ && c[2].base == 0x41 && c[2].size == 1);
	CHECK(c[3].kind == MANIFEST_CAP_DMA && c[3].base == 0x10000000 && c[3].size == 0x100000);
	CHECK(c[4].kind == MANIFEST_CAP_NOTIFICATION && c[4].rights == MANIFEST_RIGHT_POLL &&
	      c[4].target == MANIFEST_NO_TARGET);
	CHECK(c[5].slot == 63 && c[5].kind == MANIFEST_CAP_MEMORY && c[5].size == 0x40000000);

	c = dbgsh->caps;
	CHECK(c[0].kind == MANIFEST_CAP_ENDPOINT && c[0].target == 0 &&
	      c[0].rights == MANIFEST_RIGHT_CALL && c[0].badge == 0xFFFFFFFFFFFFFFFFull);
	CHECK(c[1].kind == MANIFEST_CAP_NOTIFICATION && c[1].target == 0 &&
	      c[1].rights == MANIFEST_RIGHT_SIGNAL);
	CHECK(c[2].base == 0xC040 && c[2].size == 0x10000 - 0xC040);
	CHECK(c[3].base == 0xEF);
	CHECK(c[5].rights == (MANIFEST_RIGHT_READ | MANIFEST_RIGHT_WRITE | MANIFEST_RIGHT_EXEC));
	return 0;
}
"""


def two(cap_a=None, cap_b=None, **keys):
    """Domains a and b, optionally one capability each, a's keys changed."""
    a = domain("a", *([cap_a] if cap_a else []), **keys)
    b = domain("b", *([cap_b] if cap_b else []))
    return [a, b]


def without(d, key):
    d = copy.deepcopy(d)
    del d[key]
    return d


IOPORT = {"slot": 1, "kind": "ioport", "first": 0x60, "count": 5}
MMIO = {"slot": 1, "kind": "mmio", "base": 0xFEC00000, "size": 0x2000, "rights": ["read"]}
DMA = {"slot": 1, "kind": "dma", "base": 0x1000000, "size": 0x10000, "rights": ["write"]}
WHERE = "domain 'a': cap slot 1: "

# (what is wrong, manifest: domains or TOML text, what the message must say)
BAD = [
    ("not TOML", "[[domain]\n", "not valid TOML"),
    ("no domains", "", "expected 1-64 [[domain]] tables"),
    ("unknown top key", "version = 1\n" + toml(two()), "key 'version': unknown key"),
    ("unknown domain key", two(colour="red"),
     "domain 'a': key 'colour' = 'red': unknown key; expected one of backoff_ms, budget_us"),
    ("unknown cap key", two(dict(IOPORT, last=0x64)),
     WHERE + "key 'last' = 100: unknown key; expected one of count, first, kind, slot"),
    ("key of another kind", two(dict(IOPORT, rights=["read"])), WHERE + "key 'rights'"),
    ("bad name", [domain("Net")], "domain #1: key 'name' = 'Net': expected a lower-case C"),
    ("duplicate domain", [domain("a"), domain("a")],
     "domain 'a': key 'name' = 'a': duplicate domain name"),
    ("missing key", [without(domain("a"), "budget_us")], "domain 'a': key 'budget_us' missing"),
    ("bad image", two(image="../a.elf"), "key 'image' = '../a.elf': expected the file name"),
    ("fpu not boolean", two(fpu=1), "domain 'a': key 'fpu' = 1: expected true or false"),
    ("budget too small", two(budget_us=9), "key 'budget_us' = 9: expected an integer 10-100000"),
    ("budget too large", two(budget_us=100001), "key 'budget_us' = 100001: expected an integer"),
    ("stack too small", two(stack_size=0), "key 'stack_size' = 0x0: expected an integer "
     "0x1000-0x100000, a multiple of 4 KiB"),
    ("stack too large", two(stack_size=0x200000), "key 'stack_size' = 0x200000: expected"),
    ("stack not pages", two(stack_size=0x1800), "key 'stack_size' = 0x1800: expected"),
    ("backoff 0", two(backoff_ms=0), "key 'backoff_ms' = 0: expected an integer 1-60000"),
    ("bad kind", two({"slot": 1, "kind": "pci"}), "key 'kind' = 'pci': expected one of endpoint"),
    ("missing cap key", two({"slot": 1, "kind": "ioport", "first": 0x60}),
     WHERE + "key 'count' missing: a ioport needs count, first"),
    ("slot 64", two(dict(IOPORT, slot=64)), "cap slot 64: key 'slot' = 64: expected an integer "
     "1-63"),
    ("slot 0", two(dict(IOPORT, slot=0)), "key 'slot' = 0: expected an integer 1-63"),
    ("duplicate slot", [domain("a", IOPORT, dict(MMIO)), domain("b")],
     WHERE + "key 'slot' = 1: already used by the ioport cap; expected a free slot"),
    ("endpoint to unknown domain",
     two({"slot": 1, "kind": "endpoint", "target": "c", "rights": ["call"]}),
     WHERE + "key 'target' = 'c': expected the name of a domain in this manifest: a, b"),
    ("calling itself", two({"slot": 1, "kind": "endpoint", "target": "a", "rights": ["call"]}),
     WHERE + "key 'target' = 'a': a domain calling itself"),
    ("bad right", two({"slot": 1, "kind": "endpoint", "target": "b", "rights": ["poll"]}),
     WHERE + "key 'rights' = ['poll']: expected a non-empty list of distinct rights from call"),
    ("no rights", two(dict(MMIO, rights=[])), WHERE + "key 'rights' = []: expected"),
    ("negative badge", two({"slot": 1, "kind": "endpoint", "target": "b", "rights": ["call"],
                            "badge": -1}),
     WHERE + "key 'badge' = -0x1: expected an integer 0x0-0xffffffffffffffff"),
    ("port above 0xffff", two(dict(IOPORT, first=0x10000)),
     WHERE + "key 'first' = 0x10000: expected an integer 0x0-0xffff"),
    ("ports past 0xffff", two(dict(IOPORT, first=0xFFFE, count=3)),
     WHERE + "key 'count' = 3: ports 0xfffe-0x10000: expected none above 0xffff"),
    ("no ports", two(dict(IOPORT, count=0)), WHERE + "key 'count' = 0: expected an integer"),
    ("vector 0x1f", two({"slot": 1, "kind": "irq", "vector": 0x1F}),
     WHERE + "key 'vector' = 0x1f: expected an integer 0x20-0xef"),
    ("vector 0xf0", two({"slot": 1, "kind": "irq", "vector": 0xF0}),
     WHERE + "key 'vector' = 0xf0: expected an integer 0x20-0xef"),
    ("memory not pages", two({"slot": 1, "kind": "memory", "size": 0x1234, "rights": ["read"]}),
     WHERE + "key 'size' = 0x1234: expected an integer 0x1000-0x40000000, a multiple of 4 KiB"),
    ("memory over 1 GiB", two({"slot": 1, "kind": "memory", "size": 0x40001000,
                               "rights": ["read"]}), WHERE + "key 'size' = 0x40001000"),
    ("mmio size not pages", two(dict(MMIO, size=0x800)),
     WHERE + "key 'size' = 0x800: expected an integer 0x1000-0x40000000, a multiple of 4 KiB"),
    ("mmio base not aligned", two(dict(MMIO, base=0xFEC00010)),
     WHERE + "key 'base' = 0xfec00010: expected"),
    ("dma size not pages", two(dict(DMA, size=0x10)), WHERE + "key 'size' = 0x10: expected"),
    ("dma past 2^52", two(dict(DMA, base=0xFFFFFFFFFF000, size=0x2000)),
     WHERE + "key 'size' = 0x2000: expected the window below 0x10000000000000"),
    ("ports overlap", two(IOPORT, dict(IOPORT, first=0x64, count=1)),
     "domain 'b': cap slot 1: I/O ports 0x64-0x64 overlaps domain 'a' cap slot 1 "
     "(0x60-0x64); expected one owner per device"),
    ("mmio overlap", two(MMIO, dict(MMIO, base=0xFEC01000, size=0x1000)),
     "domain 'b': cap slot 1: MMIO 0xfec01000-0xfec01fff overlaps domain 'a' cap slot 1"),
    ("irq shared", two({"slot": 1, "kind": "irq", "vector": 0x30},
                       {"slot": 1, "kind": "irq", "vector": 0x30}),
     "domain 'b': cap slot 1: IRQ vector 0x30-0x30 overlaps domain 'a' cap slot 1"),
    ("dma overlap", two(DMA, dict(DMA, base=0x1008000, size=0x1000)),
     "domain 'b': cap slot 1: DMA window 0x1008000-0x1008fff overlaps domain 'a'"),
]


class BadManifests(unittest.TestCase):
    def test_each_rule_rejects_with_its_message(self):
        with tempfile.TemporaryDirectory() as tmp:
            for what, manifest, message in BAD:
                with self.subTest(what):
                    path = os.path.join(tmp, "manifest.toml")
                    with open(path, "w") as f:
                        f.write(manifest if isinstance(manifest, str) else toml(manifest))
                    out = os.path.join(tmp, "manifest.c")
                    r = run_manifest(path, "-o", out)
                    self.assertEqual(r.returncode, 1, f"{what}: {r.stderr}")
                    self.assertIn(f"manifest: {path}: ", r.stderr)
                    self.assertIn(message, r.stderr)
                    self.assertFalse(os.path.exists(out), "nothing is written")

    def test_adjacent_grants_do_not_overlap(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "manifest.toml")
            with open(path, "w") as f:
                f.write(toml(two(IOPORT, dict(IOPORT, first=0x65)) +
                             [domain("c", dict(MMIO, base=0xFEC02000)),
                              domain("d", dict(DMA, base=0x1010000))]))
            r = run_manifest(path)
            self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
