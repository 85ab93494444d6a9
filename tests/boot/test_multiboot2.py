"""The multiboot2 entry, end to end: GRUB (from a grub-mkrescue ISO) loads the
kernel and a module; the kernel must see GRUB's command line, memory map
and the module, and exit with the app's status."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import app_kernel


def make_iso(tmp_path, cmdline):
    root = tmp_path / "iso"
    (root / "boot" / "grub").mkdir(parents=True)
    shutil.copy(app_kernel("ktest"), root / "boot" / "kestrel.elf")
    payload = os.urandom(12345)
    (root / "boot" / "payload.bin").write_bytes(payload)
    (root / "boot" / "grub" / "grub.cfg").write_text(
        "set timeout=0\nserial --unit=0 --speed=115200\nterminal_output serial\n"
        "menuentry kestrel {\n  multiboot2 /boot/kestrel.elf %s\n"
        "  module2 /boot/payload.bin payload-module\n  boot\n}\n" % cmdline)
    iso = tmp_path / "kestrel.iso"
    r = subprocess.run(["grub-mkrescue", "-o", str(iso), str(root)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return iso, len(payload)


def test_grub_multiboot2_boot(boot, tmp_path):
    if not shutil.which("grub-mkrescue"):
        pytest.fail("grub-mkrescue missing: scripts/deps installs grub-pc-bin, xorriso and mtools")
    iso, size = make_iso(tmp_path, "--verbose ktest exit 9")
    b = boot("", app=None, preset="pc", expect_status=9, extra=["-cdrom", str(iso)])
    assert 'booted by multiboot2, command line "--verbose ktest exit 9"' in b.output
    m = re.search(r'boot: module 0 at (0x[0-9a-f]+), (\d+) bytes, "payload-module"', b.output)
    assert m, b.output
    assert int(m.group(2)) == size
    ram = re.search(r"^memory: (\d+) KiB RAM", b.output, re.M)
    assert ram and 63 * 1024 <= int(ram.group(1)) <= 64 * 1024
