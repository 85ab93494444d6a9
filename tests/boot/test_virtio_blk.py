"""virtio-blk and virtio-scsi on every transport: two virtio-blk disks and a
SCSI disk behind virtio-scsi, whose sectors the harness fills with a known
pattern; the guest reads and checks them, writes its own pattern with 8
requests in flight and flushes; the harness then checks the image files.
(pc: legacy PCI and INTx; q35: modern PCI and MSI-X; microvm: MMIO from
ACPI; microvm-noacpi: MMIO from the command line.)"""

import re

import pytest

from disk_pattern import make_disk as shared_make_disk, pattern

N = 64  # sectors checked and sectors written, per disk


def make_disk(path, disk):
    shared_make_disk(path, disk, N, 2 * N + 64)


SCSI_HBA = {"pc": "virtio-scsi-pci,disable-modern=on", "q35": "virtio-scsi-pci,disable-legacy=on",
            "microvm": "virtio-scsi-device", "microvm-noacpi": "virtio-scsi-device"}


@pytest.mark.parametrize("preset,transport", [("pc", "pci-legacy"), ("q35", "pci-modern"), ("microvm", "mmio"),
                                              ("microvm-noacpi", "mmio")])
def test_disks_read_back_and_written(boot, tmp_path, preset, transport):
    disks_read_back_and_written(boot, tmp_path, preset, transport)


@pytest.mark.parametrize("preset,transport", [("q35", "pci-modern"), ("microvm", "mmio")])
def test_lost_notifications(boot, tmp_path, preset, transport):
    """Each queue's 5th notification withheld (virtio.lose_kick=5), as QEMU's
    TCG with one vCPU now and then loses one (drivers/virtio/vq_watch.c):
    the device would wait for it for ever, and every later kick would be
    suppressed too. The watchdog notifies again and every sector still
    reads back and is written."""
    out = disks_read_back_and_written(boot, tmp_path, preset, transport, "virtio.lose_kick=5 ")
    for name, queue in (("vblk0", 0), ("vblk1", 0), ("virtio-scsi", 2)):
        assert "virtio: %s: queue %d: notification 5 withheld" % (name, queue) in out, out
        assert "virtio: %s: queue %d: nothing completed for 10 ms; notifying the device again" % (name, queue) in out, out


def disks_read_back_and_written(boot, tmp_path, preset, transport, options=""):
    disks = [str(tmp_path / ("d%d.img" % i)) for i in range(3)]
    for i, d in enumerate(disks):
        make_disk(d, i)
    scsi = ["-device", SCSI_HBA[preset] + ",id=hba", "-drive", "file=%s,if=none,id=sd0,format=raw" % disks[2],
            "-device", "scsi-hd,drive=sd0,bus=hba.0"]
    b = boot(options + "ktest blk %d" % N, preset=preset, disks=disks[:2], expect_status=0, timeout=60, extra=scsi)
    assert len(re.findall(r"virtio-blk: vblk\d over %s" % transport, b.output)) == 2, b.output
    assert "virtio-scsi: over %s" % transport in b.output
    assert re.search(r'scsi: virtio-scsi 0:0 "QEMU +QEMU HARDDISK *" is sd0', b.output)
    assert "virtqueue" not in b.output  # no device misbehaviour reported
    # Block devices register in binding order; the disk index the guest
    # uses for the pattern is its position in that order.
    names = re.findall(r"^block: (\w+), %d sectors of 512 bytes$" % (2 * N + 64), b.output, re.M)
    assert sorted(names) == ["sd0", "vblk0", "vblk1"], b.output
    for name in names:
        m = re.search(r"blk: %s sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                      r"write_errors=(\d+) flush=(-?\d+)" % name, b.output)
        assert m and m.groups() == ("0", str(N // 8), "0", "0"), b.output
    order = {"vblk0": 0, "vblk1": 1, "sd0": 2}
    assert [order[n] for n in names] == sorted(order[n] for n in names), names
    # What the guest wrote is on the host's disk images; what it read is intact.
    for i, d in enumerate(disks):
        data = open(d, "rb").read()
        for s in range(N):
            assert data[s * 512:(s + 1) * 512] == pattern(i, s, 0), (d, s)
            assert data[(N + s) * 512:(N + s + 1) * 512] == pattern(i, N + s, 1), (d, N + s)
    return b.output


def test_read_only_disk_refuses_writes(boot, tmp_path):
    d = str(tmp_path / "ro.img")
    make_disk(d, 0)
    b = boot("ktest blk %d" % N, preset="q35", expect_status=1, timeout=60,
             extra=["-drive", "file=%s,if=none,id=ro,format=raw,readonly=on" % d,
                    "-device", "virtio-blk-pci,disable-legacy=on,drive=ro"])
    assert "block: vblk0, %d sectors of 512 bytes, read-only" % (2 * N + 64) in b.output
    m = re.search(r"read_mismatches=(\d+) writes=(\d+) write_errors=(\d+)", b.output)
    assert m and m.groups() == ("0", "0", str(N // 8))  # reads fine, every write refused
