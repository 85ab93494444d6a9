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
    return iso, payload


def fnv1a(data):
    h = 0xcbf29ce484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001b3) & 0xffffffffffffffff
    return h


def test_grub_multiboot2_boot(boot, tmp_path):
    if not shutil.which("grub-mkrescue"):
        pytest.fail("grub-mkrescue missing: scripts/deps installs grub-pc-bin, xorriso and mtools")
    iso, payload = make_iso(tmp_path, "--verbose ktest exit 9")
    # 8 GiB makes the page bitmap large enough to cover a module placed
    # right after the kernel, if memory set-up did not steer around it.
    b = boot("", app=None, preset="pc", memory="8G", expect_status=9, extra=["-cdrom", str(iso)])
    assert 'booted by multiboot2, command line "--verbose ktest exit 9"' in b.output
    m = re.search(r'boot: module 0 at (0x[0-9a-f]+), (\d+) bytes, "payload-module"', b.output)
    assert m, b.output
    assert int(m.group(2)) == len(payload)
    c = re.search(r"boot: module 0 fnv1a (0x[0-9a-f]+)", b.output)
    assert c and int(c.group(1), 16) == fnv1a(payload)
    ram = re.search(r"^memory: (\d+) KiB RAM", b.output, re.M)
    assert ram and 8 * 1024 * 1024 - 2048 <= int(ram.group(1)) <= 8 * 1024 * 1024
