#!/usr/bin/env python3
"""Test of `tools/shoji new-domain` (issue #6 item 9): in a temporary copy of
the source tree, bad and taken names and a missing marker line are refused
without changing a file; hello_test is scaffolded, touching exactly the
files it lists; the copy configures and builds (the image and the new
domain's micro-guest only), and the new domain's own scenario passes under
QEMU through ci/runner.py.

    test_new_domain.py --deps DEPS [--jobs N] [--keep]

Exit status 0 pass, 1 fail, 77 skip (no QEMU).  --keep leaves the copy.

Expect: every refusal exits 1 and changes nothing; the scaffold builds, boots
and its scenario prints PASS.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
NAME = "hello_test"
TEST_ID = "domain-hello-test"
CREATED = {f"ipc/interfaces/{NAME}.toml", f"domains/{NAME}/{NAME}.c",
           f"ci/guests/domain_{NAME}.c", f"ci/scenarios/{TEST_ID}.scn"}
EDITED = {"ipc/interfaces/CMakeLists.txt", "domains/CMakeLists.txt", "domains/manifest.toml",
          "ci/guests/CMakeLists.txt"}
# Each is refused: not an identifier, a C keyword or reserved word, a domain,
# an interface, a name whose test would be domain-faults's, a name whose
# build target or header collides.
BAD_NAMES = ["", "Hello", "1st", "two-words", "a" * 33, "int", "domain", "runtime", "ipc_x",
             "example", "faulty", "echo", "faults", "echo_server", "string", "errors"]


class Failure(Exception):
    pass


def step(what):
    print(f"--- {what}", flush=True)


def copy_tree(dst):
    """The repository's files (tracked, and new ones not ignored) copied to
    dst, as they are in the working tree; no clone (the machine may have no
    network)."""
    try:
        out = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True).stdout
        files = [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = None
    if files is None:  # not a git checkout: everything but builds and deps
        shutil.copytree(REPO, dst, symlinks=True, ignore=shutil.ignore_patterns(
            ".git", ".deps", "build", "build-*", "__pycache__"))
        return
    for rel in files:
        src = os.path.join(REPO, rel)
        if not os.path.lexists(src):  # deleted in the working tree
            continue
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, rel), follow_symlinks=False)


def snapshot(top):
    """relative path -> (mode, sha256) of every file under top."""
    snap = {}
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for f in files:
            path = os.path.join(folder, f)
            with open(path, "rb") as fh:
                snap[os.path.relpath(path, top)] = (os.lstat(path).st_mode,
                                                    hashlib.sha256(fh.read()).hexdigest())
    return snap


def changes(before, after):
    return {p for p in set(before) | set(after) if before.get(p) != after.get(p)}


def new_domain(src, name):
    return subprocess.run([os.path.join(src, "tools", "shoji"), "new-domain", name],
                          capture_output=True, text=True, timeout=60)


def expect_refusal(src, name, why):
    before = snapshot(src)
    r = new_domain(src, name)
    changed = changes(before, snapshot(src))
    if r.returncode != 1 or "nothing was changed" not in r.stderr:
        raise Failure(f"new-domain {name!r} ({why}): status {r.returncode}, expected 1 and "
                      f"'nothing was changed'\nstdout: {r.stdout}\nstderr: {r.stderr}")
    if changed:
        raise Failure(f"new-domain {name!r} ({why}) was refused but changed "
                      f"{', '.join(sorted(changed))}")
    print(f"refused {name!r} ({why}): {r.stderr.strip()}")


def run(cmd, what, timeout):
    t = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode:
        raise Failure(f"{what} failed (status {r.returncode}): {' '.join(cmd)}\n"
                      f"{r.stdout[-6000:]}\n{r.stderr[-6000:]}")
    print(f"{what}: {time.monotonic() - t:.0f} s")
    return r


def test(tmp, deps, jobs):
    src, build = os.path.join(tmp, "src"), os.path.join(tmp, "build")
    step(f"copying the source tree of {REPO} to {src}")
    copy_tree(src)

    step("refusals change nothing")
    for name in BAD_NAMES:
        expect_refusal(src, name, "bad or taken name")
    for rel, marker in (("ci/guests/CMakeLists.txt", "# new-domain: add guests above"),
                        ("domains/manifest.toml", "# new-domain: add domains above")):
        path = os.path.join(src, rel)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write("".join(ln for ln in text.splitlines(keepends=True)
                            if not ln.strip().startswith(marker)))
        expect_refusal(src, NAME, f"no marker line in {rel}")
        with open(path, "w") as f:
            f.write(text)

    step(f"new-domain {NAME}")
    before = snapshot(src)
    r = new_domain(src, NAME)
    print(r.stdout + r.stderr, end="")
    if r.returncode:
        raise Failure(f"new-domain {NAME}: status {r.returncode}")
    changed = changes(before, snapshot(src))
    if changed != CREATED | EDITED:
        raise Failure(f"new-domain {NAME} changed {sorted(changed)}; expected "
                      f"{sorted(CREATED | EDITED)}")
    if f"tools/shoji test -R emu.{TEST_ID}" not in r.stdout:
        raise Failure(f"new-domain {NAME} did not say how to run its test")
    expect_refusal(src, NAME, "made already")

    step("configure and build the image and the new domain's guest")
    run(["cmake", "-S", src, "-B", build, f"-DSHOJI_DEPS_DIR={deps}",
         "-DSHOJI_TEST_IMAGES=OFF"], "configure", 300)
    run(["cmake", "--build", build, f"-j{jobs}", "--target", "shoji_image",
         f"guest-{TEST_ID}.elf"], "build", 900)

    step(f"scenario {TEST_ID} under QEMU")
    r = run([sys.executable, os.path.join(src, "ci", "runner.py"), "--build", build,
             "--deps", deps, "--emulator", "qemu",
             os.path.join(src, "ci", "scenarios", f"{TEST_ID}.scn")], "scenario", 600)
    print(r.stdout.strip())
    if f"PASS {TEST_ID}" not in r.stdout:
        raise Failure(f"the scenario did not pass:\n{r.stdout}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deps", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if not shutil.which("qemu-system-x86_64"):
        print("SKIP: no qemu-system-x86_64 (tools/shoji setup installs it)")
        return 77
    start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="shoji-new-domain-")
    ok = False
    try:
        test(tmp, os.path.realpath(args.deps), args.jobs)
        ok = True
    except Failure as e:
        print(f"FAIL: {e}")
    except subprocess.TimeoutExpired as e:
        print(f"FAIL: timed out after {e.timeout} s: {' '.join(map(str, e.cmd))}")
    finally:
        if ok and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"the copy is left in {tmp}")
    print(f"{'PASS' if ok else 'FAIL'} tools.new_domain ({time.monotonic() - start:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
