"""The ec2 and gce presets (QEMU dressed as the clouds: SMBIOS strings, a
Nitro-style system UUID, NVMe disks on ec2, a virtio-scsi PersistentDisk and
virtio-net on gce): the right platform is named for the right reasons, and
the disks are found, read, written and checked by the harness after exit."""

import re

import pytest

from disk_pattern import make_disk as shared_make_disk, pattern

N = 32


def make_disk(path, disk):
    shared_make_disk(path, disk, N, 2 * N + 32)


CLOUDS = {
    "ec2": ("SMBIOS vendor Amazon EC2", ["system UUID ec2"], ["nvme0n1", "nvme0n2"]),
    "gce": ("SMBIOS vendor Google", ["SMBIOS product Google Compute Engine", "BIOS vendor Google"], ["sd0", "sd1"]),
}


@pytest.mark.parametrize("preset", sorted(CLOUDS))
def test_cloud_preset_platform_and_disks(boot, tmp_path, preset):
    signal, more, names = CLOUDS[preset]
    disks = [str(tmp_path / ("d%d.img" % i)) for i in range(2)]
    for i, d in enumerate(disks):
        make_disk(d, i)
    nics = ["user"] if preset == "gce" else []
    b = boot("ktest blk %d" % N, preset=preset, smp=2, disks=disks, nics=nics, timeout=90)
    m = re.search(r"^platform: (\S+) \((.*)\)$", b.output, re.M)
    assert m and m.group(1) == preset, b.output
    for s in [signal] + more:
        assert s in m.group(2), m.group(2)
    if preset == "gce":
        assert re.search(r'scsi: virtio-scsi 0:0 "Google +PersistentDisk *" is sd0', b.output), b.output
        assert "virtio-net:" in b.output
    found = re.findall(r"^block: (\w+), %d sectors of 512 bytes$" % (2 * N + 32), b.output, re.M)
    assert sorted(found) == names, b.output
    for name in names:
        m = re.search(r"blk: %s sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                      r"write_errors=(\d+) flush=(-?\d+)" % name, b.output)
        assert m and m.groups() == ("0", str(N // 8), "0", "0"), b.output
    assert "kestrel: power off, status 0" in b.output
    for i, d in enumerate(disks):
        data = open(d, "rb").read()
        for s in range(N):
            assert data[s * 512:(s + 1) * 512] == pattern(i, s, 0), (d, s)
            assert data[(N + s) * 512:(N + s + 1) * 512] == pattern(i, N + s, 1), (d, N + s)


def test_xen_era_ec2_strings_name_ec2(boot):
    """The Xen-based EC2 SMBIOS strings reach detection (BIOS version
    4.11.amazon); QEMU has no Xen, so the Xen set-up and xenbus stay off and
    the machine's own devices are used."""
    b = boot("hello", app="hello", preset="q35", expect_status=0,
             extra=["-smbios", "type=0,vendor=Xen,version=4.11.amazon,date=08/24/2006",
                    "-smbios", "type=1,manufacturer=Xen,product=HVM domU"])
    m = re.search(r"^platform: (\S+) \((.*)\)$", b.output, re.M)
    assert m and m.group(1) == "ec2" and "BIOS version amazon" in m.group(2), b.output
    assert not re.search(r"^(xen|xenbus): ", b.output, re.M), b.output
    assert re.search(r"^pci: \d+ functions", b.output, re.M), b.output
