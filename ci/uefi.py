"""UEFI boots for ci/runner.py: OVMF (Debian's ovmf) with an EFI system
partition image made with mtools, as a laptop would boot Shoji.

Scenario keys (runner.py passes the scenario here when `firmware` is set):

  firmware        ovmf: OVMF_CODE_4M.fd with fresh variables, booted
                  through the UEFI shell (below);
                  ovmf-secboot: OVMF_CODE_4M.secboot.fd (needs machine
                  q35,smm=on) with OVMF_VARS_4M.snakeoil.fd, Secure Boot on
                  with Debian's snakeoil keys, booted by the boot manager
                  (below)
  module          module 0 is what boots after the loader: a bzImage with
                  its EFI stub (@vmlinuz), an EFI application of the build
                  (@efi:NAME, build/guests/NAME.efi), or (ovmf-secboot)
                  "@uki ARGS": Debian's kernel, module 1 as its initrd and
                  ARGS as its command line in one unified kernel image
                  (systemd's EFI stub); module 1 the initrd
  shoji-conf      a line of \\EFI\\shoji\\shoji.conf (repeat); none: no file
  shoji-conf-pad  pad shoji.conf with comment lines to this many bytes
  esp-image       normal (default), missing, truncated or altered (one
                  byte changed): what shoji.bin is
  sign            ovmf-secboot: what is signed with the snakeoil key, of
                  "loader next" (default: both)
  second-boot     kernel arguments for the boot after a reboot (startup.nsh
                  leaves a file \\booted on the ESP to tell the boots apart)

The ESP holds \\EFI\\shoji\\{loadshoji.efi,shoji.bin,shoji.conf}, the guest
kernel (module 0, a bzImage with its EFI stub) as \\vmlinuz.efi, its
initrd (module 1) as \\initrd.gz, and startup.nsh.  With fresh variables
OVMF finds no \\EFI\\BOOT\\BOOTX64.EFI and starts its UEFI shell, which runs
startup.nsh: the loader (skipped for a bare run), then Linux.  This is the
deployment sequence in miniature: the loader returns, and the firmware
carries on to the OS, under Shoji if it started and without it if not.

Under Secure Boot OVMF refuses its own shell (Security Violation), so the
boot manager boots instead, as on a laptop: disk 1's \\EFI\\BOOT\\BOOTX64.EFI
is the loader (with shoji.bin and shoji.conf beside it), disk 2's is module
0.  The loader, started as Boot0001, boots Boot0002 itself once Shoji runs;
if Shoji does not start it returns an error and the boot manager goes on
to Boot0002.
"""
import os
import re
import shutil
import subprocess
import sys

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
OVMF_SB_CODE = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
OVMF_SB_VARS = "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd"
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


def resolve(token, art):
    if token.startswith("@efi:"):
        path = os.path.join(art.build, "guests", token[5:] + ".efi")
        if not os.path.exists(path):
            sys.exit(f"artifact {token} not built: {path}")
        return path
    return art.resolve(token)


def shoji_files(sc, art, loader, where):
    """The loader, shoji.bin and shoji.conf in ESP directory `where`."""
    name = "BOOTX64.EFI" if where.endswith("/BOOT") else "loadshoji.efi"
    files = [(f"{where}/{name}", loader)]
    image = open(art.resolve("@shoji"), "rb").read()
    kind = sc.get("esp-image", "normal")
    if kind == "truncated":
        image = image[: len(image) // 2]
    elif kind == "altered":
        # A byte of code, past the header: only the digest notices.
        image = image[:0x1000] + bytes([image[0x1000] ^ 0xFF]) + image[0x1001:]
    elif kind not in ("normal", "missing"):
        sys.exit(f"esp-image: {kind}: expected normal, missing, truncated or altered")
    if kind != "missing":
        files.append((f"{where}/shoji.bin", image))
    conf = shoji_conf(sc)
    if conf is not None:
        files.append((f"{where}/shoji.conf", conf))
    return files


UKI_STUB = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"


def make_uki(sc, art, skip):
    """A unified kernel image: systemd's EFI stub with Debian's kernel,
    the initrd (module 1) and the command line (module 0's arguments) as
    sections, so that one signed file boots Linux under Secure Boot with no
    boot loader or shell to pass it arguments."""
    if not os.path.exists(UKI_STUB):
        raise skip(f"{UKI_STUB} is missing (systemd-boot-efi; run tools/shoji setup)")
    _, _, cmdline = sc["module"][0].partition(" ")
    if len(sc["module"]) < 2:
        sys.exit("@uki needs the initrd as module 1")
    parts = {"cmdline": cmdline.strip().encode(), "osrel": b"NAME=Shoji test guest\n"}
    for name, data in parts.items():
        with open(os.path.join(art.tmp, name), "wb") as f:
            f.write(data)
    out = os.path.join(art.tmp, "linux-uki.efi")
    # Section addresses above the stub's own, far enough apart for a
    # kernel of up to 16 MiB.
    r = subprocess.run([
        "objcopy",
        "--add-section", f".osrel={os.path.join(art.tmp, 'osrel')}",
        "--change-section-vma", ".osrel=0x20000",
        "--add-section", f".cmdline={os.path.join(art.tmp, 'cmdline')}",
        "--change-section-vma", ".cmdline=0x30000",
        "--add-section", f".linux={art.resolve('@vmlinuz')}",
        "--change-section-vma", ".linux=0x2000000",
        "--add-section", f".initrd={resolve(sc['module'][1].split()[0], art)}",
        "--change-section-vma", ".initrd=0x3000000",
        UKI_STUB, out], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("objcopy (unified kernel image) failed: " + r.stderr[-300:])
    return out


def snakeoil_signer(art, skip):
    """A function signing a file with Debian's snakeoil key (from ovmf)."""
    key, cert = "/usr/share/ovmf/PkKek-1-snakeoil.key", "/usr/share/ovmf/PkKek-1-snakeoil.pem"
    if not shutil.which("sbsign"):
        raise skip("sbsigntool is not installed (run tools/shoji setup)")
    if not os.path.exists(key):
        raise skip(f"{key} is missing (Debian's ovmf)")
    plain = os.path.join(art.tmp, "snakeoil.key")
    # Debian ships the key encrypted with the password "snakeoil".
    r = subprocess.run(["openssl", "rsa", "-in", key, "-passin", "pass:snakeoil", "-out", plain],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("cannot decrypt the snakeoil key: " + r.stderr[-300:])

    def sign(path):
        out = os.path.join(art.tmp, "signed-" + os.path.basename(path))
        r = subprocess.run(["sbsign", "--key", plain, "--cert", cert, "--output", out, path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"sbsign {path} failed: {r.stderr[-300:]}")
        return out
    return sign


def secboot_args(sc, variant, art, loader, skip):
    """Two disks for the boot manager: the loader's, then module 0's."""
    for need in (OVMF_SB_CODE, OVMF_SB_VARS):
        if not os.path.exists(need):
            raise skip(f"{need} is missing (Debian's ovmf; run tools/shoji setup)")
    sign = snakeoil_signer(art, skip)
    signed = sc.get("sign", "loader next").split()
    first = sc["module"][0].split()[0]
    nxt = make_uki(sc, art, skip) if first == "@uki" else resolve(first, art)
    disks = []
    if variant == "shoji":
        files = shoji_files(sc, art, sign(loader) if "loader" in signed else loader, "EFI/BOOT")
        disks.append(("loader.img", files))
    disks.append(("next.img", [("EFI/BOOT/BOOTX64.EFI", sign(nxt) if "next" in signed else nxt)]))
    args = ["-global", "driver=cfi.pflash01,property=secure,value=on"]
    vars_copy = os.path.join(art.tmp, "ovmf-vars.fd")
    shutil.copy(OVMF_SB_VARS, vars_copy)
    args += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_SB_CODE}",
             "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
    for name, files in disks:
        path = os.path.join(art.tmp, name)
        make_esp(path, files, skip)
        args += ["-drive", f"file={path},format=raw,if=ide"]
    return args


def qemu_args(sc, variant, art, skip):
    """QEMU arguments that boot the scenario through OVMF."""
    for need in (OVMF_CODE, OVMF_VARS):
        if not os.path.exists(need):
            raise skip(f"{need} is missing (Debian's ovmf; run tools/shoji setup)")
    if not shutil.which("mformat"):
        raise skip("mtools is not installed (run tools/shoji setup)")
    loader = os.path.join(art.build, "loadshoji.efi")
    if not os.path.exists(loader):
        raise skip("loadshoji.efi was not built (gnu-efi missing; run tools/shoji setup)")
    if len(sc["module"]) < 1:
        sys.exit("a UEFI scenario needs what boots after the loader as module 0")
    if sc["firmware"] == "ovmf-secboot":
        return secboot_args(sc, variant, art, loader, skip)
    if sc["firmware"] != "ovmf":
        sys.exit(f"firmware: {sc['firmware']}: expected ovmf or ovmf-secboot")
    modules = []
    for m in sc["module"]:
        path, _, rest = m.partition(" ")
        modules.append((resolve(path, art), rest.strip()))
    kernel, kargs = modules[0]
    first = "vmlinuz.efi" if not sc["module"][0].startswith("@efi:") else os.path.basename(kernel)
    files = [(first, kernel)] + shoji_files(sc, art, loader, "EFI/shoji")
    initrd = ""
    if len(modules) > 1:
        files.append(("initrd.gz", modules[1][0]))
        initrd = " initrd=\\initrd.gz"
    loader_line = ["\\EFI\\shoji\\loadshoji.efi"] if variant == "shoji" else []
    script = ["fs0:"]
    if sc.get("second-boot"):
        script += ["if exist \\booted then"] + loader_line
        script += [f"\\{first} {sc['second-boot']}{initrd}", "endif",
                   "echo booted > \\booted"]
    script += loader_line + [f"\\{first} {kargs}{initrd}".rstrip()]
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
        return os.path.join(self.build, "shoji.bin") if token == "@shoji" else token


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

    sc = {"firmware": "ovmf", "shoji-conf": o.conf or ["vmm.loglevel=info"],
          "module": [f"{o.kernel} {o.append}", o.initrd]}
    try:
        args = qemu_args(sc, "shoji", _Artifacts(o.build, o.dir), NotReady)
    except NotReady as e:
        sys.exit(str(e))
    print("\n".join(args))


if __name__ == "__main__":
    main()
