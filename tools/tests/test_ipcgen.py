#!/usr/bin/env python3
"""Tests of tools/ipcgen: good descriptions generate C that compiles cleanly
for domains (freestanding, -mgeneral-regs-only, -O0 and -O2, the gate call
assembled as an m16:32 far call through selector 0x3B) and for the core
(code model kernel); a generated dispatcher, built into a host program,
hands known labels to their methods with the right words and answers
unknown ones with E_INVAL; every rule against bad descriptions rejects with
its message.

Expect: all good descriptions compile and dispatch; every bad one exits 1
naming the file, the method and what was expected.
"""
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cbuild  # noqa: E402
from cbuild import REPO  # noqa: E402

IPCGEN = os.path.join(REPO, "tools", "ipcgen")
ECHO = os.path.join(REPO, "ipc", "interfaces", "echo.toml")

# Every shape of method: 0-4 words each way, sparse labels, documentation.
FULL = """\
name = "full"
doc = "every shape of method"
[[method]]
name = "nothing"
label = 9
[[method]]
name = "four_four"
label = 2
in = ["a", "b", "c", "d"]
out = ["w", "x", "y", "z"]
doc = "sums and products"
[[method]]
name = "only_in"
label = 200
in = ["value"]
[[method]]
name = "only_out"
label = 1
out = ["a", "b"]
[[method]]
name = "same_name"
label = 255
in = ["value"]
out = ["value"]
"""


def run_ipcgen(path, out, *extra):
    return subprocess.run([sys.executable, IPCGEN, "-o", out, *extra, path],
                          capture_output=True, text=True)


class Generated(unittest.TestCase):
    """Generates echo and full into a temporary directory once."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = cls.tmp.name
        full = os.path.join(cls.out, "full.toml")
        with open(full, "w") as f:
            f.write(FULL)
        for path in (ECHO, full):
            r = run_ipcgen(path, cls.out)
            assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.out, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def gen(self, *parts):
        return os.path.join(self.out, *parts)


class GoodDescriptions(Generated):
    def test_files_name_their_source_and_say_do_not_edit(self):
        for suffix in (".h", "_client.h", "_core.h", "_server.h"):
            with open(self.gen("include", "echo" + suffix)) as f:
                first = f.readline()
            self.assertIn("from ipc/interfaces/echo.toml: do not edit", first)

    def test_labels(self):
        with open(self.gen("include", "full.h")) as f:
            text = f.read()
        for line in ("#define FULL_LABEL_ONLY_OUT 1", "#define FULL_LABEL_FOUR_FOUR 2",
                     "#define FULL_LABEL_NOTHING 9", "#define FULL_LABEL_ONLY_IN 200",
                     "#define FULL_LABEL_SAME_NAME 255"):
            self.assertIn(line, text)

    def test_echo_signatures(self):
        with open(self.gen("include", "echo_client.h")) as f:
            self.assertIn("static inline enum err echo_ping(unsigned slot, uint64_t value, "
                          "uint64_t *out_value)", f.read())
        with open(self.gen("include", "echo_core.h")) as f:
            self.assertIn("static inline enum err echo_core_ping(struct ipc_endpoint_ref *ep, "
                          "uint64_t value,", f.read())
        with open(self.gen("include", "echo_server.h")) as f:
            text = f.read()
        self.assertIn("enum err echo_serve_ping(uint64_t badge, uint64_t value, "
                      "uint64_t *out_value);", text)
        self.assertIn("enum err echo_dispatch(uint64_t badge, struct ipc_msg *msg);", text)

    def domain_program(self, name):
        """A domain translation unit that calls every client stub of full."""
        return self.write(name, """\
            #include "full_client.h"
            #include "full_server.h"

            enum err use_stubs(unsigned slot);
            enum err use_stubs(unsigned slot)
            {
            	uint64_t w = 0, x = 0, y = 0, z = 0;
            	enum err e = full_nothing(slot);

            	e |= full_four_four(slot, 1, 2, 3, 4, &w, &x, &y, &z);
            	e |= full_only_in(slot, w + x + y + z);
            	e |= full_only_out(slot, &w, &x);
            	e |= full_same_name(slot, w, &x);
            	return e;
            }
            """)

    def test_domain_side_compiles_and_calls_through_the_gate(self):
        src = self.domain_program("domain.c")
        inc = cbuild.includes(self.gen("include"), "ipc/include", "domains/runtime/include",
                              "kernel/include")
        for opt in ("-O0", "-O2"):
            obj = self.gen(f"domain{opt}.o")
            cbuild.gcc(cbuild.DOMAIN + inc + [opt, "-c", src, "-o", obj])
            dump = subprocess.run(["objdump", "-d", "-s", "-j", ".text", "-j", ".rodata", obj],
                                  capture_output=True, text=True, check=True).stdout
            # FF /3 without REX.W: lcall m16:32 (SDM Vol. 2A, CALL).
            self.assertRegex(dump, r"\bff 1d .*lcall\s+\*", opt)
            self.assertNotRegex(dump, r"\b4[89a-f] ff 1d", "REX.W would make it m16:64")
            self.assertRegex(dump, r"00000000 3b00\b", "far pointer: offset 0, selector 0x3b")
        cbuild.gcc(cbuild.DOMAIN + inc + ["-O2", "-c", self.gen("src", "full_server.c"),
                                          "-o", self.gen("full_server.o")])
        cbuild.gcc(cbuild.DOMAIN + inc + ["-fsyntax-only", self.gen("src", "echo_server.c")])

    def test_core_side_compiles(self):
        src = self.write("core.c", """\
            #include "full_core.h"

            enum err use_stubs(struct ipc_endpoint_ref *ep);
            enum err use_stubs(struct ipc_endpoint_ref *ep)
            {
            	uint64_t w = 0, x = 0, y = 0, z = 0;
            	enum err e = full_core_nothing(ep);

            	e |= full_core_four_four(ep, 1, 2, 3, 4, &w, &x, &y, &z);
            	e |= full_core_only_in(ep, w + x + y + z);
            	e |= full_core_only_out(ep, &w, &x);
            	e |= full_core_same_name(ep, w, &x);
            	return e;
            }
            """)
        inc = cbuild.includes(self.gen("include"), "ipc/include", "kernel/include")
        cbuild.gcc(cbuild.CORE + inc + ["-O2", "-fsyntax-only", src])

    def test_dispatcher_on_the_host(self):
        main = self.write("dispatch_main.c", """\
            #include <stdio.h>
            #include <stdlib.h>
            #include "full_server.h"

            static uint64_t got[6];
            static int called;

            #define CHECK(c) do { if (!(c)) { printf("line %d: %s\\n", __LINE__, #c); \\
            		exit(1); } } while (0)

            enum err full_serve_nothing(uint64_t badge)
            {
            	called = 9;
            	got[0] = badge;
            	return E_RANGE;
            }

            enum err full_serve_four_four(uint64_t badge, uint64_t a, uint64_t b, uint64_t c,
            			       uint64_t d, uint64_t *w, uint64_t *x, uint64_t *y,
            			       uint64_t *z)
            {
            	called = 2;
            	got[0] = badge, got[1] = a, got[2] = b, got[3] = c, got[4] = d;
            	*w = a + b, *x = c + d, *y = a * b, *z = c * d;
            	return E_OK;
            }

            enum err full_serve_only_in(uint64_t badge, uint64_t value)
            {
            	called = 200;
            	got[0] = badge, got[1] = value;
            	return E_OK;
            }

            enum err full_serve_only_out(uint64_t badge, uint64_t *a, uint64_t *b)
            {
            	called = 1;
            	got[0] = badge;
            	*a = 0xA, *b = 0xB;
            	return E_OK;
            }

            enum err full_serve_same_name(uint64_t badge, uint64_t value, uint64_t *out_value)
            {
            	called = 255;
            	got[0] = badge;
            	*out_value = ~value;
            	return E_OK;
            }

            /* Stale reply words and label, to see the dispatcher clear them. */
            static struct ipc_msg msg_for(uint32_t label)
            {
            	struct ipc_msg m = { .label = label, .reply_label = 77,
            			     .in = { 10, 20, 30, 40 }, .out = { 5, 5, 5, 5 } };
            	return m;
            }

            int main(void)
            {
            	static const uint32_t unknown[] = { 0, 3, 8, 10, 199, 254, 256, 0xFFFFFFFF };
            	struct ipc_msg m = msg_for(FULL_LABEL_FOUR_FOUR);
            	unsigned i;

            	CHECK(full_dispatch(0xBAD6E, &m) == E_OK && called == 2);
            	CHECK(got[0] == 0xBAD6E && got[1] == 10 && got[2] == 20 && got[3] == 30 &&
            	      got[4] == 40);
            	CHECK(m.out[0] == 30 && m.out[1] == 70 && m.out[2] == 200 && m.out[3] == 1200);
            	CHECK(m.reply_label == E_OK);

            	m = msg_for(FULL_LABEL_ONLY_IN);
            	CHECK(full_dispatch(7, &m) == E_OK && called == 200 && got[1] == 10);
            	CHECK(m.out[0] == 0 && m.out[1] == 0 && m.out[2] == 0 && m.out[3] == 0);

            	m = msg_for(FULL_LABEL_ONLY_OUT);
            	CHECK(full_dispatch(7, &m) == E_OK && called == 1);
            	CHECK(m.out[0] == 0xA && m.out[1] == 0xB && m.out[2] == 0 && m.out[3] == 0);

            	m = msg_for(FULL_LABEL_SAME_NAME);
            	CHECK(full_dispatch(7, &m) == E_OK && called == 255 && m.out[0] == ~10ull);

            	m = msg_for(FULL_LABEL_NOTHING);
            	CHECK(full_dispatch(3, &m) == E_RANGE && called == 9 && got[0] == 3);
            	CHECK(m.reply_label == E_RANGE);

            	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
            		called = -1;
            		m = msg_for(unknown[i]);
            		CHECK(full_dispatch(1, &m) == E_INVAL && called == -1);
            		CHECK(m.reply_label == E_INVAL && m.out[0] == 0 && m.out[3] == 0);
            	}
            	puts("dispatch ok");
            	return 0;
            }
            """)
        exe = self.gen("dispatch")
        cbuild.gcc(cbuild.HOST + cbuild.includes(self.gen("include"), "ipc/include",
                                                 "kernel/include") +
                   ["-Wno-missing-prototypes", main, self.gen("src", "full_server.c"),
                    "-o", exe])
        r = subprocess.run([exe], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("dispatch ok", r.stdout)


GOOD_METHOD = '[[method]]\nname = "ping"\nlabel = 1\nin = ["value"]\nout = ["value"]\n'

# (what is wrong, description text, what the message must say)
BAD = [
    ("not TOML", 'name = "echo"\n[[method]\n', "not valid TOML"),
    ("no name", GOOD_METHOD, "key 'name' missing"),
    ("capital name", 'name = "Echo"\n' + GOOD_METHOD, "name 'Echo': expected a lower-case C"),
    ("name with a dash", 'name = "e-cho"\n' + GOOD_METHOD, "expected a lower-case C identifier"),
    ("keyword name", 'name = "int"\n' + GOOD_METHOD, "name 'int': a C keyword"),
    ("unknown top key", 'name = "echo"\nversion = 2\n' + GOOD_METHOD,
     "key 'version': unknown key; expected one of doc, method, name"),
    ("no method", 'name = "echo"\n', "no [[method]] tables"),
    ("unknown method key", 'name = "echo"\n' + GOOD_METHOD + 'oneway = true\n',
     "method 'ping': key 'oneway': unknown key"),
    ("method without name", 'name = "echo"\n[[method]]\nlabel = 1\n',
     "method #1: key 'name' missing"),
    ("bad method name", 'name = "echo"\n[[method]]\nname = "2x"\nlabel = 1\n',
     "name '2x': expected a lower-case C identifier"),
    ("duplicate method", 'name = "echo"\n' + GOOD_METHOD + GOOD_METHOD.replace("= 1", "= 2"),
     "method 'ping': name 'ping': duplicate method name"),
    ("method dispatch", 'name = "echo"\n[[method]]\nname = "dispatch"\nlabel = 1\n',
     "method 'dispatch': name 'dispatch': collides with generated names"),
    ("method core_x", 'name = "echo"\n[[method]]\nname = "core_x"\nlabel = 1\n',
     "collides with generated names"),
    ("no label", 'name = "echo"\n[[method]]\nname = "ping"\n',
     "method 'ping': key 'label' missing"),
    ("label 0", 'name = "echo"\n' + GOOD_METHOD.replace("= 1", "= 0"),
     "method 'ping': label 0: expected an integer 1-255 (0 is IPC_LABEL_INIT"),
    ("label 256", 'name = "echo"\n' + GOOD_METHOD.replace("= 1", "= 256"),
     "label 256: expected an integer 1-255"),
    ("negative label", 'name = "echo"\n' + GOOD_METHOD.replace("= 1", "= -1"),
     "label -1: expected an integer 1-255"),
    ("string label", 'name = "echo"\n' + GOOD_METHOD.replace("= 1", '= "1"'),
     "label '1': expected an integer"),
    ("boolean label", 'name = "echo"\n' + GOOD_METHOD.replace("= 1", "= true"),
     "label True: expected an integer"),
    ("duplicate label", 'name = "echo"\n' + GOOD_METHOD +
     GOOD_METHOD.replace('"ping"', '"pong"'),
     "method 'pong': label 1: already used by method 'ping'"),
    ("five in words", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\n'
     'in = ["a", "b", "c", "d", "e"]\n', "method 'm': key 'in': 5 words: expected at most 4"),
    ("five out words", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\n'
     'out = ["a", "b", "c", "d", "e"]\n', "key 'out': 5 words: expected at most 4"),
    ("in not a list", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\nin = "a"\n',
     "key 'in': 'a': expected a list of word names"),
    ("bad word name", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\nin = ["a b"]\n',
     "in word 'a b': expected a lower-case C identifier"),
    ("word not a string", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\nout = [3]\n',
     "out word 3: expected a lower-case C identifier"),
    ("keyword word", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\nin = ["char"]\n',
     "in word 'char': a C keyword"),
    ("duplicate word", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\nin = ["a", "a"]\n',
     "in word 'a': duplicate"),
    ("reserved word", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\nin = ["slot"]\n',
     "in word 'slot': reserved for the generated code"),
    ("out_ collision", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\n'
     'in = ["out_a"]\nout = ["a"]\n', "in word 'out_a': collides with the parameter"),
    ("comment end in doc", 'name = "echo"\n[[method]]\nname = "m"\nlabel = 1\ndoc = "a */"\n',
     "key 'doc': 'a */': expected a string without '*/'"),
]


class BadDescriptions(unittest.TestCase):
    def test_each_rule_rejects_with_its_message(self):
        with tempfile.TemporaryDirectory() as tmp:
            for what, text, message in BAD:
                with self.subTest(what):
                    path = os.path.join(tmp, "bad.toml")
                    with open(path, "w") as f:
                        f.write(text)
                    out = os.path.join(tmp, "out")
                    r = run_ipcgen(path, out)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertIn(f"ipcgen: {path}: ", r.stderr)
                    self.assertIn(message, r.stderr)
                    self.assertFalse(os.path.exists(out), "nothing is written")

    def test_every_problem_is_reported(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.toml")
            with open(path, "w") as f:
                f.write('name = "echo"\n[[method]]\nname = "a"\nlabel = 0\n'
                        '[[method]]\nname = "b"\nlabel = 1\nin = ["x", "x"]\n')
            r = run_ipcgen(path, tmp)
            self.assertEqual(r.returncode, 1)
            self.assertIn("method 'a': label 0", r.stderr)
            self.assertIn("method 'b': in word 'x': duplicate", r.stderr)

    def test_missing_file(self):
        r = run_ipcgen("/nonexistent/echo.toml", "/tmp")
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/echo.toml: cannot read", r.stderr)

    def test_name_must_be_the_registered_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_ipcgen(ECHO, tmp, "--name", "ping")
            self.assertEqual(r.returncode, 1)
            self.assertIn("name 'echo': expected 'ping'", r.stderr)


if __name__ == "__main__":
    unittest.main()
