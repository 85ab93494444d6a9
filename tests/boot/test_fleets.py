"""Images for the engines that run VMs at scale (docs/fleets.md).

libvirt: `scripts/mkimage --format libvirt` (domain type qemu: TCG) is
defined and started by the system libvirtd (started here when it is not
running, and stopped again), the app's output is read from the serial log
the domain XML names, and `virsh shutdown` (the ACPI power button) stops it
gracefully: the app's stop hook runs, the domain ends as "shut off
(shutdown)" with no `virsh destroy`. Under SeaBIOS and under OVMF.

KubeVirt: `scripts/mkimage --format containerdisk` is an OCI archive that
skopeo reads as one amd64/linux layer, which umoci unpacks to /disk/ holding
only the qcow2, owned by uid/gid 107; that qcow2 boots under QEMU."""

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

import pytest

from conftest import ROOT, app_kernel

MKIMAGE = os.path.join(ROOT, "scripts", "mkimage")
VIRSH = ["virsh", "-c", "qemu:///system"]
IMAGES = "/var/lib/libvirt/images"  # where libvirt's qemu user may read


def need(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.fail("%s missing: scripts/deps installs them" % ", ".join(missing))


def virsh(*args, check=True):
    # define can take a minute: libvirt re-probes QEMU when /dev/kvm is
    # root-only (docs/fleets.md), as on these machines.
    r = subprocess.run(VIRSH + list(args), capture_output=True, text=True, timeout=180)
    if check:
        assert r.returncode == 0, "virsh %s: %s" % (" ".join(args), r.stderr or r.stdout)
    return r


@pytest.fixture(scope="module")
def libvirtd():
    need("virsh", "libvirtd", "virtlogd")
    started = []
    for daemon in ("virtlogd", "libvirtd"):
        if subprocess.run(["pgrep", "-x", daemon], capture_output=True).returncode != 0:
            subprocess.run([daemon, "-d"], check=True)
            started.append(daemon)
    deadline = time.monotonic() + 30
    while virsh("version", check=False).returncode != 0:
        assert time.monotonic() < deadline, "libvirtd does not answer"
        time.sleep(0.5)
    yield
    for daemon in reversed(started):  # only what this module started, by its pid file
        try:
            with open("/run/%s.pid" % daemon) as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            pass


def complete_lines(path):
    """The lines of a log the guest may still be writing, complete ones only."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    return [line.decode("utf-8", "replace").rstrip("\r") for line in data.split(b"\n")[:-1]]


def wait_for(what, check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail("timed out after %ss waiting for %s" % (timeout, what))


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_libvirt_start_and_graceful_shutdown(libvirtd, firmware):
    app_kernel("stoptest")
    work = tempfile.mkdtemp(prefix="kestrel-test-", dir=IMAGES)
    os.chmod(work, 0o755)
    out = os.path.join(work, "vm")
    name = "kestrel-test-" + secrets.token_hex(4)
    r = subprocess.run([sys.executable, MKIMAGE, "--app", "stoptest", "--cmdline", "stoptest hook 42",
                        "--firmware", firmware, "--format", "libvirt", "--libvirt-type", "qemu",
                        "--libvirt-name", name, "-o", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    log = os.path.join(out, "serial.log")
    defined = False
    try:
        virsh("define", os.path.join(out, "domain.xml"))
        defined = True
        assert "virsh shutdown %s" % name in r.stdout
        virsh("start", name)
        wait_for("the app's ready line in %s" % log,
                 lambda: any(re.match(r"stoptest: ready at \d+ ms$", x) for x in complete_lines(log)), 120)
        virsh("shutdown", name)
        wait_for("the domain to shut off",
                 lambda: virsh("domstate", name).stdout.strip() == "shut off", 60)
        assert virsh("domstate", name, "--reason").stdout.strip() == "shut off (shutdown)"
        lines = complete_lines(log)
        text = "\n".join(lines)
        assert re.search(r"^platform: qemu-q35 ", text, re.M), text
        assert re.search(r"^stop: power-off requested by the ACPI power button at \d+ ms$", text, re.M), text
        assert re.search(r"^stoptest: stop hook: power-off at \d+ ms$", text, re.M), text
        assert "stoptest: exiting with status 42 after the power-off request" in text, text
        assert lines[-1] == "kestrel: power off, status 42", lines[-5:]
        if firmware == "uefi":
            assert "boot: UEFI" in text, text
    finally:
        if defined:
            if virsh("domstate", name, check=False).stdout.strip() != "shut off":
                virsh("destroy", name, check=False)  # only after a failure
            virsh("undefine", "--nvram", name, check=False)
        shutil.rmtree(work, ignore_errors=True)


def test_containerdisk_layout_and_boot(boot, tmp_path):
    need("skopeo", "umoci", "qemu-img")
    app_kernel("hello")
    token = "tok" + secrets.token_hex(4)
    archive = tmp_path / "kestrel.tar"
    r = subprocess.run([sys.executable, MKIMAGE, "--app", "hello", "--cmdline", "hello " + token,
                        "--format", "containerdisk", "-o", str(archive)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["skopeo", "inspect", "oci-archive:%s" % archive], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["Architecture"] == "amd64" and info["Os"] == "linux", info
    assert len(info["Layers"]) == 1, info
    layout = tmp_path / "oci"
    layout.mkdir()
    with tarfile.open(archive) as t:
        t.extractall(layout)
    bundle = tmp_path / "bundle"
    r = subprocess.run(["umoci", "unpack", "--image", "%s:latest" % layout, str(bundle)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rootfs = bundle / "rootfs"
    assert sorted(os.listdir(rootfs)) == ["disk"]
    assert os.listdir(rootfs / "disk") == ["disk.qcow2"]
    for p in (rootfs / "disk", rootfs / "disk" / "disk.qcow2"):
        st = os.stat(p)
        assert (st.st_uid, st.st_gid) == (107, 107), (p, st.st_uid, st.st_gid)
    disk = rootfs / "disk" / "disk.qcow2"
    q = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(disk)],
                                  capture_output=True, text=True, check=True).stdout)
    assert q["format"] == "qcow2"
    b = boot("", app=None, preset="q35", timeout=120, expect_status=0, extra=[
        "-drive", "file=%s,if=none,id=d0,format=qcow2,snapshot=on" % disk,
        "-device", "virtio-blk-pci,disable-legacy=on,drive=d0,bootindex=0"])
    assert "arg 1: %s" % token in b.output, b.output
