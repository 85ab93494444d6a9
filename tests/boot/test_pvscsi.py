"""PVSCSI on QEMU dressed as VMware (pc: MSI and INTx; q35: MSI): two disks
on targets 0 and 1 of one controller, whose sectors the harness fills with
a known pattern; the guest reads and checks them, writes its own pattern
with every request in flight at once, in requests of 18 sectors (9 KiB, so
each crosses pages and goes out as a scatter-gather list), and flushes; the
harness then checks the image files. Also: a request time-out (adapter and
bus reset), and disks hot-plugged and pulled (message-ring events)."""

import os
import re
import socket
import subprocess
import threading
import time

import pytest

from disk_pattern import make_disk as shared_make_disk, pattern

from conftest import app_kernel, kq

N = 144  # sectors checked and sectors written, per disk
PER = 18


def make_disk(path, disk, extra):
    shared_make_disk(path, disk, N, 2 * N + extra)


@pytest.mark.parametrize("preset,irq", [("vmware", "msi"), ("vmware-q35", "msi"), ("vmware", "intx")])
def test_pvscsi_disks_read_back_and_written(boot, tmp_path, preset, irq):
    disks = [str(tmp_path / ("d%d.img" % i)) for i in range(2)]
    for i, d in enumerate(disks):
        make_disk(d, i, 64 + 32 * i)
    b = boot("pvscsi.irq=%s ktest blk %d %d" % (irq, N, PER), preset=preset, disks=disks, expect_status=0,
             timeout=90)
    assert "platform: vmware (" in b.output
    assert re.search(r"^vmware: backdoor version \d+$", b.output, re.M), b.output
    assert re.search(r"^pvscsi: \S+, \d+ requests in flight, %s, message ring on, targets 0-63 scanned$" % irq,
                     b.output, re.M), b.output
    assert re.search(r'scsi: pvscsi 0:0 "QEMU +QEMU HARDDISK *" is sd0', b.output)
    assert re.search(r'scsi: pvscsi 1:0 "QEMU +QEMU HARDDISK *" is sd1', b.output)
    # Each disk's capacity, as the device reported it.
    assert "block: sd0, %d sectors of 512 bytes" % (2 * N + 64) in b.output
    assert "block: sd1, %d sectors of 512 bytes" % (2 * N + 96) in b.output
    assert "pvscsi: completion" not in b.output and "resetting" not in b.output
    assert "kestrel: power off, status 0" in b.output  # ACPI power-off carries no status
    for name in ("sd0", "sd1"):
        m = re.search(r"blk: %s sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                      r"write_errors=(\d+) flush=(-?\d+)" % name, b.output)
        assert m and m.groups() == ("0", str(N // PER), "0", "0"), b.output
    for i, d in enumerate(disks):
        data = open(d, "rb").read()
        for s in range(N):
            assert data[s * 512:(s + 1) * 512] == pattern(i, s, 0), (d, s)
            assert data[(N + s) * 512:(N + s + 1) * 512] == pattern(i, N + s, 1), (d, N + s)



def test_pvscsi_timeout_resets_and_fails_waiting_requests(boot, tmp_path):
    """Target 0 is throttled to 2 I/Os a second and requests may take 300 ms:
    its requests time out, each time-out resets the adapter and the bus, and
    the SCSI layer sends what was ended again a bounded number of times
    before failing it (the guest ends, no hang); target 1 meets the bus
    resets' UNIT ATTENTIONs, which are sent again, so every one of its
    requests ends well (the old layer retried UNIT ATTENTION only while
    scanning, and a CHECK CONDITION of unknown length was read as an
    error: one of target 1's reads failed)."""
    disks = [str(tmp_path / ("d%d.img" % i)) for i in range(2)]
    for i, d in enumerate(disks):
        make_disk(d, i, 64)
    b = boot("pvscsi.timeout_ms=300 ktest blk %d %d" % (N, PER), preset="vmware", disks=disks, timeout=120,
             extra=["-set", "drive.disk0.throttling.iops-total=2"])
    # VMware powers off by ACPI, which carries no status: the kernel says it.
    assert "kestrel: power off, status 1" in b.output, b.output
    assert "warning: pvscsi: a request timed out; resetting the adapter and the bus (reset 1)" in b.output
    m = re.search(r"blk: sd0 sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                  r"write_errors=(\d+) flush=(-?\d+)", b.output)
    assert m and int(m.group(1)) >= 1000000 and int(m.group(3)) > 0, b.output
    m = re.search(r"blk: sd1 sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                  r"write_errors=(\d+) flush=(-?\d+)", b.output)
    assert m, b.output
    assert m.groups() == ("0", str(N // PER), "0", "0"), b.output
    data = open(disks[1], "rb").read()
    for s in range(N):
        assert data[(N + s) * 512:(N + s + 1) * 512] == pattern(1, N + s, 1), s


def test_pvscsi_message_ring_reports_hotplug(tmp_path):
    """A disk plugged into and pulled from the running controller through
    QEMU's monitor: the device says so on the message ring and the driver
    logs both events."""
    disk = str(tmp_path / "d0.img")
    make_disk(disk, 0, 64)
    hot = str(tmp_path / "hot.img")
    make_disk(hot, 1, 64)
    mon = str(tmp_path / "mon.sock")
    cmd = kq.qemu_command("vmware", app_kernel("ktest"), "ktest sleep 4000", disks=[disk],
                          extra=["-monitor", "unix:%s,server=on,wait=off" % mon])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    lines, started = [], threading.Event()

    def reader():
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            lines.append(line)
            if line.startswith("sleep-start"):
                started.set()
    threading.Thread(target=reader, daemon=True).start()
    try:
        assert started.wait(30), "\n".join(lines)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(mon)
        for c in ["drive_add 0 file=%s,if=none,id=hot,format=raw" % hot,
                  "device_add scsi-hd,drive=hot,bus=pvscsi0.0,scsi-id=5,id=hotdisk"]:
            s.sendall((c + "\n").encode())
            time.sleep(0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("device added" in x for x in lines):
            time.sleep(0.1)
        s.sendall(b"device_del hotdisk\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("device removed" in x for x in lines):
            time.sleep(0.1)
        s.close()
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "\n".join(lines)
    assert "pvscsi: device added at bus 0 target 5 lun 0" in text, text
    assert "pvscsi: device removed at bus 0 target 5 lun 0" in text, text
    assert "sleep-end" in text and "kestrel: power off, status 0" in text, text
    assert os.path.exists(hot)


def test_pvscsi_large_request_split_into_page_bounded_lists(boot, tmp_path):
    """One 1 MiB request from a buffer that starts inside a page needs 257
    scatter-gather elements: more than the 128 a list may hold inside one
    page (VMware reads past a page only through chain elements), so the
    SCSI layer splits it into commands of at most 127 pages, written and
    read back whole (the old driver built a 257-element list across two
    pages)."""
    big = 2048
    disks = [str(tmp_path / "d0.img"), str(tmp_path / "d1.img")]
    for d in disks:
        with open(d, "wb") as f:
            f.write(b"\0" * 512 * (64 + big + 64))
    b = boot("ktest blklarge 64 %d" % big, preset="vmware", disks=disks, timeout=90)
    for name in ("sd0", "sd1"):
        assert "blklarge: %s start=64 count=%d write=0 read=0 mismatches=0" % (name, big) in b.output, b.output
    for i, d in enumerate(disks):
        data = open(d, "rb").read()
        for s in range(64, 64 + big):
            assert data[s * 512:(s + 1) * 512] == pattern(i, s, 2), (d, s)
