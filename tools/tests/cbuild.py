"""Compiler invocations shared by the tools' tests: the flags the build gives
the core, the domains and the host tests (tools/cmake/shoji.cmake)."""
import os
import subprocess

REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
WARNINGS = ["-Wall", "-Wextra", "-Werror", "-Wshadow", "-Wstrict-prototypes",
            "-Wmissing-prototypes"]
GCC_INCLUDE = subprocess.run(["gcc", "-print-file-name=include"], capture_output=True,
                             text=True, check=True).stdout.strip()
FREESTANDING = ["-ffreestanding", "-fno-builtin", "-fno-pic", "-fno-pie", "-mno-red-zone",
                "-mgeneral-regs-only", "-nostdinc", "-isystem",
                os.path.join(REPO, "libc", "include"), "-isystem", GCC_INCLUDE]
DOMAIN = FREESTANDING + ["-mcmodel=small"]
CORE = FREESTANDING + ["-mcmodel=kernel"]
HOST = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def includes(*dirs):
    return [f"-I{os.path.join(REPO, d) if not os.path.isabs(d) else d}" for d in dirs]


def gcc(args):
    """Runs gcc; returns its stderr, or raises AssertionError with it."""
    r = subprocess.run(["gcc"] + WARNINGS + args, capture_output=True, text=True)
    if r.returncode:
        raise AssertionError(f"gcc {' '.join(args)}\n{r.stderr}")
    return r.stderr
