"""Reads and checks the static manifest (domains/manifest.toml) for
tools/manifest.  The format is described at the top of domains/manifest.toml;
the limits are below.  Every problem found is reported, each as
"FILE: domain 'D'[: cap slot N]: key 'K' = VALUE: what was expected".
"""
import re
import tomllib
from dataclasses import dataclass, field

CNODE_SLOTS = 64          # kernel/include/manifest.h MANIFEST_CNODE_SLOTS
MAX_DOMAINS = 64
PAGE = 0x1000
SLOT_WINDOW = 1 << 30     # IPC_OP_MAP maps a slot's grant in its own 1 GiB (ipc/ABI.md)
PHYS_LIMIT = 1 << 52      # the architectural MAXPHYADDR
BUDGET_US = (10, 100_000)
STACK = (PAGE, 1 << 20)
BACKOFF_MS = (1, 60_000)
VECTORS = (0x20, 0xEF)    # 0x00-0x1F are exceptions; 0xF0-0xFF are the core's
NAME = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")
IMAGE = re.compile(r"[A-Za-z0-9._-]+\Z")

DOMAIN_KEYS = {"name", "image", "budget_us", "stack_size", "fpu", "backoff_ms", "cap"}
CAP_KEYS = {"slot", "kind"}
# kind: (required keys, optional keys, the rights it may hold)
KINDS = {
    "endpoint": ({"target", "rights"}, {"badge"}, ("call", "grant")),
    "notification": ({"rights"}, {"target"}, ("signal", "poll")),
    "memory": ({"size", "rights"}, set(), ("read", "write", "exec", "grant")),
    "ioport": ({"first", "count"}, set(), ()),
    "mmio": ({"base", "size", "rights"}, set(), ("read", "write")),
    "irq": ({"vector"}, set(), ()),
    "dma": ({"base", "size", "rights"}, set(), ("read", "write")),
}
# Kinds whose grants name a device resource: one owner each.
# Keys whose values messages show in hex.
HEX_KEYS = ("base", "first", "vector", "size", "badge", "stack_size")
EXCLUSIVE = {"ioport": "I/O ports", "mmio": "MMIO", "irq": "IRQ vector", "dma": "DMA window"}


class ManifestError(Exception):
    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Cap:
    slot: int
    kind: str
    rights: tuple = ()
    target: str = None
    base: int = 0
    size: int = 0
    badge: int = 0


@dataclass
class Domain:
    name: str
    image: str
    budget_us: int
    stack_size: int
    fpu: bool
    backoff_ms: int
    caps: list = field(default_factory=list)


def show(key, value):
    if type(value) is int and key in HEX_KEYS:
        return hex(value)
    return repr(value)


class _Checker:
    def __init__(self, path):
        self.path = path
        self.problems = []

    def bad(self, where, key, value, expected):
        item = f"key '{key}' = {show(key, value)}: " if key else ""
        self.problems.append(f"{self.path}: {where}: {item}{expected}")

    def keys(self, table, allowed, where):
        for key in sorted(set(table) - allowed):
            self.bad(where, key, table[key], "unknown key; expected one of " +
                     ", ".join(sorted(allowed)))

    def int_in(self, table, key, lo, hi, where, align=1, required=True):
        """table[key] as an int in [lo, hi] and a multiple of align, or None."""
        if key not in table:
            if required:
                self.bad(where, None, None, f"key '{key}' missing")
            return None
        v = table[key]
        fmt = hex if key in HEX_KEYS else str
        multiple = f", a multiple of {align // 1024} KiB" if align > 1 else ""
        if type(v) is not int or not lo <= v <= hi or v % align:
            self.bad(where, key, v, f"expected an integer {fmt(lo)}-{fmt(hi)}{multiple}")
            return None
        return v

    def rights(self, cap, allowed, where):
        r = cap.get("rights")
        if (not isinstance(r, list) or not r or len(set(r)) != len(r)
                or any(x not in allowed for x in r)):
            self.bad(where, "rights", r, "expected a non-empty list of distinct rights from " +
                     ", ".join(allowed))
            return ()
        return tuple(r)

    def cap(self, c, dname, names, index):
        slot = c.get("slot") if isinstance(c, dict) else None
        where = f"domain '{dname}': cap " + (f"slot {slot}" if type(slot) is int
                                             else f"#{index + 1}")
        if not isinstance(c, dict):
            self.bad(where, None, None, "expected a [[domain.cap]] table")
            return None
        kind = c.get("kind")
        if kind not in KINDS:
            self.bad(where, "kind", kind, "expected one of " + ", ".join(KINDS))
            return None
        required, optional, rights = KINDS[kind]
        self.keys(c, CAP_KEYS | required | optional, where)
        for key in sorted(required - set(c)):
            self.bad(where, None, None, f"key '{key}' missing: a {kind} needs " +
                     ", ".join(sorted(required)))
        n = len(self.problems)
        cap = Cap(self.int_in(c, "slot", 1, CNODE_SLOTS - 1, where), kind)
        if rights and "rights" in c:
            cap.rights = self.rights(c, rights, where)
        if "target" in c:
            cap.target = c["target"]
            if cap.target not in names:
                self.bad(where, "target", cap.target, "expected the name of a domain in "
                         "this manifest: " + ", ".join(sorted(names)))
            elif kind == "endpoint" and cap.target == dname:
                self.bad(where, "target", cap.target, "a domain calling itself; "
                         "expected another domain")
        if "badge" in c:
            cap.badge = self.int_in(c, "badge", 0, (1 << 64) - 1, where)
        if kind == "memory":
            cap.size = self.int_in(c, "size", PAGE, SLOT_WINDOW, where, PAGE)
        elif kind == "ioport":
            cap.base = self.int_in(c, "first", 0, 0xFFFF, where)
            cap.size = self.int_in(c, "count", 1, 0x10000, where)
            if cap.base is not None and cap.size is not None and cap.base + cap.size > 0x10000:
                self.bad(where, "count", cap.size, f"ports {cap.base:#x}-"
                         f"{cap.base + cap.size - 1:#x}: expected none above 0xffff")
        elif kind in ("mmio", "dma"):
            limit = SLOT_WINDOW if kind == "mmio" else PHYS_LIMIT
            cap.base = self.int_in(c, "base", 0, PHYS_LIMIT - PAGE, where, PAGE)
            cap.size = self.int_in(c, "size", PAGE, limit, where, PAGE)
            if cap.base is not None and cap.size is not None and cap.base + cap.size > PHYS_LIMIT:
                self.bad(where, "size", cap.size, f"expected the window below {PHYS_LIMIT:#x}")
        elif kind == "irq":
            cap.base, cap.size = self.int_in(c, "vector", *VECTORS, where), 1
        return cap if len(self.problems) == n else None

    def caps(self, d, names, into):
        """Checks the [[domain.cap]] tables of domain table d, appends the
        good ones to into and returns them."""
        dname, caps = d.get("name"), d.get("cap", [])
        if not isinstance(caps, list):
            self.bad(f"domain '{dname}'", "cap", caps, "expected [[domain.cap]] tables")
            return []
        slots = {}
        for j, table in enumerate(caps):
            slot = table.get("slot") if isinstance(table, dict) else None
            if type(slot) is int and slot in slots:
                self.bad(f"domain '{dname}': cap slot {slot}", "slot", slot,
                         f"already used by the {slots[slot]} cap; expected a free slot")
                continue
            cap = self.cap(table, dname, names, j)
            if type(slot) is int:
                slots[slot] = table.get("kind")
            if cap:
                into.append(cap)
        return into

    def domain(self, d, index):
        name = d.get("name") if isinstance(d, dict) else None
        where = f"domain '{name}'" if isinstance(name, str) else f"domain #{index + 1}"
        if not isinstance(d, dict):
            self.bad(where, None, None, "expected a [[domain]] table")
            return None
        self.keys(d, DOMAIN_KEYS, where)
        n = len(self.problems)
        image, fpu = d.get("image"), d.get("fpu")
        if "image" not in d:
            self.bad(where, None, None, "key 'image' missing")
        elif not isinstance(image, str) or not IMAGE.match(image):
            self.bad(where, "image", image, "expected the file name of the domain's ELF image")
        if "fpu" not in d:
            self.bad(where, None, None, "key 'fpu' missing")
        elif type(fpu) is not bool:
            self.bad(where, "fpu", fpu, "expected true or false")
        dom = Domain(name, image,
                     self.int_in(d, "budget_us", *BUDGET_US, where),
                     self.int_in(d, "stack_size", *STACK, where, PAGE), fpu,
                     self.int_in(d, "backoff_ms", *BACKOFF_MS, where))
        return dom if len(self.problems) == n else None


def overlaps(checker, domains):
    """One device, one owner: no two grants of a device resource overlap."""
    grants = [(cap.kind, cap.base, cap.base + cap.size, d.name, cap.slot)
              for d in domains for cap in d.caps if cap.kind in EXCLUSIVE]
    for i, (kind, lo, hi, dname, slot) in enumerate(grants):
        for kind2, lo2, hi2, dname2, slot2 in grants[:i]:
            if kind == kind2 and lo < hi2 and lo2 < hi:
                checker.bad(f"domain '{dname}': cap slot {slot}", None, None,
                            f"{EXCLUSIVE[kind]} {lo:#x}-{hi - 1:#x} overlaps domain "
                            f"'{dname2}' cap slot {slot2} ({lo2:#x}-{hi2 - 1:#x}); "
                            "expected one owner per device")


def load(path):
    """The checked manifest at path as a list of Domain; raises ManifestError."""
    try:
        with open(path, "rb") as f:
            top = tomllib.load(f)
    except OSError as e:
        raise ManifestError([f"{path}: cannot read: {e.strerror}"])
    except tomllib.TOMLDecodeError as e:
        raise ManifestError([f"{path}: not valid TOML: {e}"])
    c = _Checker(path)
    for key in sorted(set(top) - {"domain"}):
        c.problems.append(f"{path}: key '{key}': unknown key; expected [[domain]] tables")
    tables = top.get("domain")
    if not isinstance(tables, list) or not 1 <= len(tables) <= MAX_DOMAINS:
        c.problems.append(f"{path}: expected 1-{MAX_DOMAINS} [[domain]] tables")
        raise ManifestError(c.problems)
    names = set()
    for i, d in enumerate(tables):
        name = d.get("name") if isinstance(d, dict) else None
        if not isinstance(name, str) or not NAME.match(name):
            c.bad(f"domain #{i + 1}", "name", name, "expected a lower-case C identifier "
                  "([a-z][a-z0-9_]*, at most 32 characters)")
        elif name in names:
            c.bad(f"domain '{name}'", "name", name, "duplicate domain name; expected "
                  "each domain once")
        names.add(name)
    domains, granted = [], []
    for i, d in enumerate(tables):
        dom = c.domain(d, i)
        if dom:
            domains.append(dom)
        if isinstance(d, dict):
            granted.append(Domain(d.get("name"), None, 0, 0, False, 0,
                                  c.caps(d, names, dom.caps if dom else [])))
    overlaps(c, granted)
    if c.problems:
        raise ManifestError(c.problems)
    return domains
