"""Reads and checks an interface description (TOML) for tools/ipcgen.

    name = "echo"                 # C identifier: prefix of every name
    doc = "..."                   # optional, copied into the headers
    [[method]]
    name = "ping"                 # C identifier
    label = 1                     # 1-255, unique in the interface
    in = ["value"]                # 0-4 message words (rdx, rcx, r8, r9)
    out = ["value"]               # 0-4 reply words
    doc = "..."                   # optional

Every problem found is reported, as "FILE: WHERE: WHAT", not only the first.
"""
import re
import tomllib
from dataclasses import dataclass, field

MAX_WORDS = 4        # the register message of ipc/ABI.md
MAX_LABEL = 255      # dispatch tables are indexed by label: keep them small
IDENT = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")

C_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern
    float for goto if inline int long register restrict return short signed
    sizeof static struct switch typedef union unsigned void volatile while
    bool true false asm typeof""".split())
# Parameter and local names of the generated functions.
RESERVED_WORDS = frozenset({"slot", "ep", "badge", "msg", "e"})
# Method names that would collide with other generated names.
RESERVED_METHODS = frozenset({"dispatch"})
RESERVED_METHOD_PREFIXES = ("core_", "serve_", "call_")

TOP_KEYS = {"name", "doc", "method"}
METHOD_KEYS = {"name", "label", "in", "out", "doc"}


class DescriptionError(Exception):
    """A description that cannot be used; .problems lists every message."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Method:
    name: str
    label: int
    ins: list
    outs: list
    doc: str = ""


@dataclass
class Interface:
    name: str
    source: str
    doc: str = ""
    methods: list = field(default_factory=list)


class _Checker:
    def __init__(self, path):
        self.path = path
        self.problems = []

    def bad(self, where, what):
        self.problems.append(f"{self.path}: {where}: {what}" if where else f"{self.path}: {what}")

    def unknown_keys(self, table, allowed, where):
        for key in sorted(set(table) - allowed):
            self.bad(where, f"key '{key}': unknown key; expected one of "
                            f"{', '.join(sorted(allowed))}")

    def ident(self, value, where, what):
        if not isinstance(value, str) or not IDENT.match(value):
            self.bad(where, f"{what} {value!r}: expected a lower-case C identifier "
                            "([a-z][a-z0-9_]*, at most 32 characters)")
            return False
        if value in C_KEYWORDS:
            self.bad(where, f"{what} {value!r}: a C keyword; expected another name")
            return False
        return True

    def doc(self, table, where):
        doc = table.get("doc", "")
        if not isinstance(doc, str) or "*/" in doc:
            self.bad(where, f"key 'doc': {doc!r}: expected a string without '*/'")
            return ""
        return doc

    def words(self, method, key, where):
        words = method.get(key, [])
        if not isinstance(words, list):
            self.bad(where, f"key '{key}': {words!r}: expected a list of word names")
            return []
        if len(words) > MAX_WORDS:
            self.bad(where, f"key '{key}': {len(words)} words: expected at most {MAX_WORDS} "
                            "(the register message of ipc/ABI.md)")
        good = []
        for word in words:
            if not self.ident(word, where, f"{key} word"):
                continue
            if word in RESERVED_WORDS:
                self.bad(where, f"{key} word {word!r}: reserved for the generated code; "
                                f"expected a name other than {', '.join(sorted(RESERVED_WORDS))}")
            elif word in good:
                self.bad(where, f"{key} word {word!r}: duplicate; expected distinct names")
            else:
                good.append(word)
        return good[:MAX_WORDS]

    def method(self, m, index, labels, names):
        if not isinstance(m, dict):
            self.bad(f"method #{index + 1}", "expected a [[method]] table")
            return None
        name = m.get("name")
        where = f"method '{name}'" if isinstance(name, str) else f"method #{index + 1}"
        self.unknown_keys(m, METHOD_KEYS, where)
        ok = True
        if "name" not in m:
            self.bad(where, "key 'name' missing: expected the method's name")
            ok = False
        elif not self.ident(name, where, "name"):
            ok = False
        elif name in RESERVED_METHODS or name.startswith(RESERVED_METHOD_PREFIXES):
            self.bad(where, f"name {name!r}: collides with generated names; expected a name "
                            f"other than 'dispatch' not starting with "
                            f"{', '.join(RESERVED_METHOD_PREFIXES)}")
            ok = False
        elif name in names:
            self.bad(where, f"name {name!r}: duplicate method name; expected distinct names")
            ok = False
        label = m.get("label")
        if label is None:
            self.bad(where, "key 'label' missing: expected a label 1-255")
            ok = False
        elif type(label) is not int or not 1 <= label <= MAX_LABEL:
            hint = " (0 is IPC_LABEL_INIT, the runtime's)" if label == 0 else ""
            self.bad(where, f"label {label!r}: expected an integer 1-{MAX_LABEL}{hint}")
            ok = False
        elif label in labels:
            self.bad(where, f"label {label}: already used by method '{labels[label]}'; "
                            "expected a unique label")
            ok = False
        ins = self.words(m, "in", where)
        outs = self.words(m, "out", where)
        for word in ins:
            if word.startswith("out_") and word[4:] in outs:
                self.bad(where, f"in word {word!r}: collides with the parameter of out word "
                                f"{word[4:]!r}; expected another name")
                ok = False
        doc = self.doc(m, where)
        if not ok:
            return None
        labels[label] = name
        names.add(name)
        return Method(name, label, ins, outs, doc)


def load(path, source_name=None):
    """Parses and checks the description at path; returns an Interface or
    raises DescriptionError.  source_name is how generated files name it."""
    c = _Checker(path)
    try:
        with open(path, "rb") as f:
            top = tomllib.load(f)
    except OSError as e:
        raise DescriptionError([f"{path}: cannot read: {e.strerror}"])
    except tomllib.TOMLDecodeError as e:
        raise DescriptionError([f"{path}: not valid TOML: {e}"])

    c.unknown_keys(top, TOP_KEYS, "")
    name = top.get("name")
    if name is None:
        c.bad("", "key 'name' missing: expected the interface's name")
    else:
        c.ident(name, "", "name")
    iface = Interface(name if isinstance(name, str) else "", source_name or path, c.doc(top, ""))
    methods = top.get("method")
    if not isinstance(methods, list) or not methods:
        c.bad("", "no [[method]] tables: expected at least one method")
        methods = []
    labels, names = {}, set()
    for i, m in enumerate(methods):
        method = c.method(m, i, labels, names)
        if method:
            iface.methods.append(method)
    if c.problems:
        raise DescriptionError(c.problems)
    iface.methods.sort(key=lambda m: m.label)
    return iface
