"""A server booted from a disk image as a user would deploy it (issue 21):
scripts/mkimage --exec PROGRAM --files TREE --format qcow2 (the program,
what ldd reports and the tree on the image's ext4 partition), booted by
GRUB under OVMF on q35 with the disk on virtio-blk-pci. The servers' own
checks are the callers' (tests/boot/test_linux_apps.py, test_linux_python.py,
test_linux_sockets.py)."""

import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT, kq
from test_linux_sockets import Guest, free_port

OVMF = "/usr/share/ovmf/OVMF.fd"
GUEST_IP = "--ip=eth0,10.0.2.15,255.255.255.0"


def boot_from_image(tmp_path, program, args, files, guest_port, size=None, memory="256M"):
    """Makes the image of program (run with args, files at /) and boots it
    with QEMU's hostfwd from a free host port to guest_port and a QMP socket
    (for the power button). Returns (guest, host port, QMP socket path)."""
    if not os.path.exists(OVMF):
        pytest.fail("%s missing: scripts/deps installs ovmf" % OVMF)
    image = tmp_path / (os.path.basename(program) + ".qcow2")
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "mkimage"), "--exec", program, "--files", str(files),
           "--cmdline=" + GUEST_IP, "--format", "qcow2", "-o", str(image)]
    cmd += ["--size", size] if size else []
    t0 = time.monotonic()
    r = subprocess.run(cmd + ["--"] + list(args), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    # What the image costs, for make check's time budget (pytest -s shows it).
    print("mkimage %s: %.1f s, %d KiB qcow2" % (program, time.monotonic() - t0, os.path.getsize(image) // 1024))
    port = free_port()
    qmp = str(tmp_path / "qmp.sock")
    extra = ["-bios", OVMF, "-drive", "file=%s,format=qcow2,if=none,id=d0,snapshot=on" % image,
             "-device", "virtio-blk-pci,disable-legacy=on,drive=d0,bootindex=0",
             "-qmp", "unix:%s,server=on,wait=off" % qmp]
    g = Guest(kq.qemu_command("q35", None, memory=memory, extra=extra,
                              nics=["user,hostfwd=tcp:127.0.0.1:%d-:%d" % (port, guest_port)]))
    return g, port, qmp
