#!/usr/bin/env python3
"""Runs tools/vmcs-corruptions.txt against Bochs: for each line (not the
"#sdm-only" ones, which Bochs does not check, nor the "pae" ones, which the
hook cannot apply), boots Shoji with a micro-guest under Bochs with
vmm.test_vmcs_corrupt set from the line (the 64-bit build of the guest for
"long" lines: its first exit in long mode is where the hook fires), and
checks that the entry fails and that tools/vmcs-check names the line's
check on the dump vmx/ prints.

usage: vmcs_corruptions_bochs.py --build BUILD --deps DEPS [--jobs N] [NAME...]

A few seconds of Bochs per line; CTest runs it as vmx.vmcs-corruptions.
Exit status 0 if every line agrees, 1 otherwise.  Logs: BUILD/ci-logs/
vmcs-corrupt-<name>.*.

Expect: every corruption fails the first VM entry and is named by its check.
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
LIST = os.path.join(TOP, "tools", "vmcs-corruptions.txt")
TOOL = os.path.join(TOP, "tools", "vmcs-check")
RUNNER = os.path.join(TOP, "ci", "runner.py")


def corruptions(names):
    """(name, encoding, and, or, check-id, long?) for each line Bochs can run."""
    out = []
    with open(LIST, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            head, _, why = line.partition("|")
            name, enc, and_mask, or_mask, check_id = head.split()
            marker = why.split()[-1]
            if marker == "pae" or (names and name not in names):
                continue
            out.append((name, enc, and_mask, or_mask, check_id, marker == "long"))
    return out


def run_one(build, deps, entry):
    name, enc, and_mask, or_mask, check_id, long_mode = entry
    scenario_id = f"vmcs-corrupt-{name}"
    value = f"{enc}:{and_mask}:{or_mask}" + (":long" if long_mode else "")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, scenario_id + ".scn")
        with open(path, "w") as f:
            f.write(f"id: {scenario_id}\n"
                    f"expect: {name} makes a VM entry fail and vmx/ dump the VMCS\n"
                    "emulators: bochs\nboot: shoji\n"
                    f"shoji-args: vmm.loglevel=info vmm.test_vmcs_corrupt={value}\n"
                    f"module: @{'guest64' if long_mode else 'guest'}:cpuid-msr-dump "
                    "cpuid-msr-dump\n"
                    "require: vmcs-dump end\nstop-on: vmcs-dump end\n"
                    "timeout: 30\nbochs-timeout: 90\n")
        run = subprocess.run([sys.executable, RUNNER, "--build", build, "--deps", deps,
                              "--emulator", "bochs", path], capture_output=True, text=True)
    verdict = (run.stdout.strip().splitlines() or ["(no verdict)"])[-1]
    if run.returncode == 77:
        return None, f"SKIP {name}: {verdict}"
    if run.returncode != 0:
        return False, f"FAIL {name} ({check_id}): the run: {verdict}"
    log = os.path.join(build, "ci-logs", f"{scenario_id}.shoji.bochs.log")
    check = subprocess.run([sys.executable, TOOL, "--expect", check_id, log],
                           capture_output=True, text=True)
    said = (check.stdout + check.stderr).strip().replace("\n", " / ")
    ok = check.returncode == 0
    return ok, f"{'ok  ' if ok else 'FAIL'} {name} ({check_id}): {said}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", required=True)
    parser.add_argument("--deps", required=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("names", nargs="*", help="only these lines (by name)")
    args = parser.parse_args()
    entries = corruptions(set(args.names))
    build = os.path.abspath(args.build)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for ok, text in pool.map(lambda e: run_one(build, args.deps, e), entries):
            print(text, flush=True)
            results.append(ok)
    if not results:
        print("no corruption lines to run")
        return 1
    if all(r is None for r in results):
        print("every line was skipped (see above): nothing was checked")
        return 77
    failed = results.count(False)
    print(f"{len(results) - failed} of {len(results)} corruptions agree"
          + (f", {results.count(None)} skipped" if None in results else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
