"""UEFI boots for ci/runner.py: OVMF (Debian's ovmf) with an EFI system
partition image made with mtools, as a laptop would boot Shoji.

Scenario keys (runner.py passes the scenario here when `firmware` is set):

  firmware        ovmf: OVMF_CODE_4M.fd with fresh variables
  shoji-conf      a line of \\EFI\\shoji\\shoji.conf (repeat); none: no file
  shoji-conf-pad  pad shoji.conf with comment lines to this many bytes
  esp-image       normal (default), missing or truncated: what
                  \\EFI\\shoji\\shoji.bin is
  second-boot     kernel arguments for the boot after a reboot (startup.nsh
                  leaves a file \\booted on the ESP to tell the boots apart)

The ESP holds \\EFI\\shoji\\{loadshoji.efi,shoji.bin,shoji.conf}, the guest
kernel (module 0, a bzImage with its EFI stub) as \\vmlinuz.efi, its
initrd (module 1) as \\initrd.gz, and startup.nsh.  With fresh variables
OVMF finds no \\EFI\\BOOT\\BOOTX64.EFI and starts its UEFI shell, which runs
startup.nsh: the loader (skipped for a bare run), then Linux.  This is the
deployment sequence in miniature: the loader returns, and the firmware
carries on to the OS, under Shoji if it started and without it if not.
"""
import os
import re
import shutil
import subprocess
import sys

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
ESP_MIB = 64


def _mtools(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {r.stderr[-300:]}")


def make_esp(path, files, skip):
    """A FAT ESP image at path holding files: a list of (ESP path, host
    path or bytes)."""
    with open(path, "wb") as f:
        f.truncate(ESP_MIB << 20)
    _mtools("mformat", "-i", path, "-F", "::")
    made = set()
    for esp_path, _ in files:
        parts = esp_path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in made:
                _mtools("mmd", "-i", path, "::/" + d)
                made.add(d)
    for esp_path, src in files:
        if isinstance(src, bytes):
            tmp = os.path.join(os.path.dirname(path), "esp-file")
            with open(tmp, "wb") as f:
                f.write(src)
            src = tmp
        _mtools("mcopy", "-i", path, src, "::/" + esp_path.strip("/"))


def shoji_conf(sc):
    lines = sc.get("shoji-conf", [])
    if lines == ["none"]:
        return None
    text = "".join(l + "\n" for l in lines)
    pad = int(sc.get("shoji-conf-pad", "0"))
    while len(text) < pad:
        text += "# " + "x" * min(70, max(0, pad - len(text) - 3)) + "\n"
    return text.encode()


def qemu_args(sc, variant, art, modules, skip):
    """QEMU arguments that boot the scenario through OVMF."""
    for need in (OVMF_CODE, OVMF_VARS):
        if not os.path.exists(need):
            raise skip(f"{need} is missing (Debian's ovmf; run tools/shoji setup)")
    if not shutil.which("mformat"):
        raise skip("mtools is not installed (run tools/shoji setup)")
    loader = os.path.join(art.build, "loadshoji.efi")
    if not os.path.exists(loader):
        raise skip("loadshoji.efi was not built (gnu-efi missing; run tools/shoji setup)")
    if len(modules) < 1:
        sys.exit("a UEFI scenario needs the guest kernel as module 0")
    kernel, kargs = modules[0]
    files = [("EFI/shoji/loadshoji.efi", loader), ("vmlinuz.efi", kernel)]
    image = open(art.resolve("@shoji"), "rb").read()
    kind = sc.get("esp-image", "normal")
    if kind == "truncated":
        files.append(("EFI/shoji/shoji.bin", image[: len(image) // 2]))
    elif kind == "normal":
        files.append(("EFI/shoji/shoji.bin", image))
    elif kind != "missing":
        sys.exit(f"esp-image: {kind}: expected normal, missing or truncated")
    conf = shoji_conf(sc)
    if conf is not None:
        files.append(("EFI/shoji/shoji.conf", conf))
    initrd = ""
    if len(modules) > 1:
        files.append(("initrd.gz", modules[1][0]))
        initrd = " initrd=\\initrd.gz"
    loader_line = ["\\EFI\\shoji\\loadshoji.efi"] if variant == "shoji" else []
    script = ["fs0:"]
    if sc.get("second-boot"):
        script += ["if exist \\booted then"] + loader_line
        script += [f"\\vmlinuz.efi {sc['second-boot']}{initrd}", "endif",
                   "echo booted > \\booted"]
    script += loader_line + [f"\\vmlinuz.efi {kargs}{initrd}"]
    files.append(("startup.nsh", ("\r\n".join(script) + "\r\n").encode()))
    esp = os.path.join(art.tmp, "esp.img")
    make_esp(esp, files, skip)
    vars_copy = os.path.join(art.tmp, "ovmf-vars.fd")
    shutil.copy(OVMF_VARS, vars_copy)
    return ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
            "-drive", f"file={esp},format=raw,if=ide"]


REGION = re.compile(r"^shoji: reserved region (0x[0-9a-f]+)-(0x[0-9a-f]+)")
IOMEM = re.compile(r"^SHOJI-IOMEM: ([0-9a-f]+)-([0-9a-f]+) : (.*)$")
EFIMAP = re.compile(r"^SHOJI-EFIMAP: efi: mem\d+: \[([^|]*)\|.*range=\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\]")
PEEK = re.compile(r"^SHOJI-PEEK: (0x[0-9a-f]+) (0x[0-9A-Fa-f]+)")


def check(name, lines):
    """Returns None if the named check holds on the log, else why not."""
    if name != "region-hidden":
        sys.exit(f"check: {name}: unknown (expected region-hidden)")
    region = [REGION.match(l) for l in lines]
    region = [m for m in region if m]
    if not region:
        return "Shoji named no reserved region"
    rs, re_ = int(region[-1].group(1), 16), int(region[-1].group(2), 16) + 1

    def overlaps(s, e):
        return s < re_ and rs < e

    ram = efi = 0
    for l in lines:
        m = IOMEM.match(l)
        if m and m.group(3) == "System RAM":
            ram += 1
            if overlaps(int(m.group(1), 16), int(m.group(2), 16) + 1):
                return f"Shoji's region {rs:#x}-{re_ - 1:#x} lies in System RAM: {l}"
        m = EFIMAP.match(l)
        if m:
            efi += 1
            kind = m.group(1).strip()
            s, e = int(m.group(2), 16), int(m.group(3), 16) + 1
            if overlaps(s, e) and kind != "Reserved":
                return f"Shoji's region {rs:#x}-{re_ - 1:#x} lies in an EFI '{kind}' descriptor: {l}"
    if not ram or not efi:
        return "the guest printed no System RAM or no EFI memory map lines (efi=debug missing?)"
    peeks = [PEEK.match(l) for l in lines]
    at_image = [m for m in peeks if m and int(m.group(1), 16) == rs + 0x20]
    if not at_image:
        return f"the guest did not read Shoji's image at {rs + 0x20:#x}"
    if int(at_image[0].group(2), 16) != 0:
        return f"the guest read {at_image[0].group(2)} from Shoji's image at {rs + 0x20:#x}"
    return None


class _Artifacts:
    """What qemu_args needs of runner.py's Artifacts, for the command line."""

    def __init__(self, build, tmp):
        self.build, self.tmp = build, tmp

    def resolve(self, token):
        assert token == "@shoji"
        return os.path.join(self.build, "shoji.bin")


def main():
    """For `tools/shoji run --uefi`: makes the ESP in --dir and prints the
    QEMU arguments for firmware and disk, one per line."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--append", default="")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--conf", action="append", default=[])
    o = ap.parse_args()

    class NotReady(Exception):
        pass

    sc = {"shoji-conf": o.conf or ["vmm.loglevel=info"]}
    try:
        args = qemu_args(sc, "shoji", _Artifacts(o.build, o.dir),
                         [(o.kernel, o.append), (o.initrd, "")], NotReady)
    except NotReady as e:
        sys.exit(str(e))
    print("\n".join(args))


if __name__ == "__main__":
    main()
