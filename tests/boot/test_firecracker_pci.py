"""The firecracker descriptor's bus plan on real boots (Firecracker itself
does not run on these machines; QEMU stands in, the descriptor forced):
with an ECAM window in firmware (q35's MCFG, as recent Firecracker releases
give for their PCI transport) PCI is probed and a virtio-blk disk on it is
found and read; without one (microvm) PCI is not probed and the disk comes
from virtio-mmio as before."""

import re

import pytest

N = 16


def make_disk(path):
    with open(path, "wb") as f:
        for s in range(N):
            f.write(bytes(((s * 31 + k * 7) & 0xff) for k in range(512)))
        f.write(b"\0" * 512 * (N + 16))


@pytest.mark.parametrize("preset,pci", [("q35", True), ("microvm", False)])
def test_firecracker_probes_pci_only_with_ecam(boot, tmp_path, preset, pci):
    d = str(tmp_path / "fc.img")
    make_disk(d)
    b = boot("--platform=firecracker ktest blk %d" % N, preset=preset, disks=[d], timeout=60)
    assert "platform: firecracker (forced by --platform)" in b.output, b.output
    assert (re.search(r"^pci: \d+ functions", b.output, re.M) is not None) == pci, b.output
    transport = "pci-modern" if pci else "mmio"
    assert "virtio-blk: vblk0 over %s" % transport in b.output, b.output
    m = re.search(r"blk: vblk0 sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                  r"write_errors=(\d+) flush=(-?\d+)", b.output)
    assert m and m.groups() == ("0", str(N // 8), "0", "0"), b.output
    data = open(d, "rb").read()
    for s in range(N):
        assert data[(N + s) * 512:(N + s + 1) * 512] == bytes(((N + s) * 31 + k * 7 + 57) & 0xff
                                                             for k in range(512)), s
