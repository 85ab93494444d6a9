"""PCI interrupts of every kind (drivers/pci/pci_irq.c): QEMU's edu device
raises an interrupt carrying a value when asked; ktest pciirq asks 50 times
and checks each arrives exactly once with its value, through MSI or through
the INTx line firmware routed (on pc shared with legacy virtio devices whose
handlers must leave it alone)."""

import pytest


@pytest.mark.parametrize("preset", ["pc", "q35"])
@pytest.mark.parametrize("kind,expect", [("msi", "msi"), ("intx", "intx"), ("any", "msi")])
def test_edu_interrupts(boot, preset, kind, expect):
    b = boot("ktest pciirq %s" % kind, preset=preset, extra=["-device", "edu"], expect_status=0)
    assert "pciirq: kind=%s delivered=50/50 total=50 spurious=0 status=0" % expect in b.output, b.output


def test_intx_line_shared_with_virtio(boot, tmp_path):
    disk = tmp_path / "d.img"
    disk.write_bytes(b"\0" * (1 << 20))
    # On pc, firmware spreads functions over 4 PIRQ lines: with 5 devices at
    # least two share one, and every handler sees the others' interrupts.
    extra = ["-device", "edu", "-device", "virtio-rng-pci,disable-modern=on",
             "-device", "virtio-scsi-pci,disable-modern=on", "-device", "edu"]
    b = boot("ktest pciirq intx", preset="pc", disks=[str(disk)], extra=extra, expect_status=0)
    assert "pciirq: kind=intx delivered=50/50" in b.output, b.output
