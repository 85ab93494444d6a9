"""PCI INTx routed by ACPI's _PRT (drivers/acpi/acpi_prt.c, drivers/pci/pci_irq.c)
on q35 with the ICH9 LPC bridge's PIRQ-to-ISA routing switched off
(pci.ich9_pirq_isa=off), as VirtualBox's ICH9 behaves: INTx then reaches
only IO-APIC pins 16-23, so the Interrupt Line register (10/11, which SeaBIOS
wrote) would route the AHCI and the e1000 to pins that never fire. Both must
still work, and the log must say the route came from _PRT."""

import os
import re
import subprocess

from test_virtio_blk import N, make_disk
from test_virtio_net import FRAMES, echo_frames
from test_virtualbox import q35_ahci_disks

OPTS = "pci.ich9_pirq_isa=off pci.nomsi=1"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A PCIe root port at 00:05.0 (secondary bus 1) with a PCI bridge at 01:00.0
# (secondary bus 2) behind it: the NIC goes on bus 2, slot 2.
BRIDGES = ["-device", "pcie-root-port,id=rp,chassis=1,addr=5", "-device", "pcie-pci-bridge,id=pb,bus=rp,addr=0"]


def test_q35_ahci_intx_by_prt(boot, tmp_path):
    disk = str(tmp_path / "d0.img")
    make_disk(disk, 0)
    b = boot(OPTS + " ahci.irq=intx ktest blk %d" % N, preset="q35", expect_status=0, timeout=60,
             extra=q35_ahci_disks([disk]))
    assert "pci: ICH9 PIRQ-to-ISA routing switched off" in b.output, b.output
    # q35's AHCI is 00:1f.2, INTA: PIRQA, GSI 16 (QEMU's ICH9 D31IR default).
    assert re.search(r"pci: 00:1f\.2: INTA -> GSI 16 \(_PRT, level, active high\)", b.output), b.output
    assert re.search(r"ahci: 8086:2922 at .*, intx$", b.output, re.M), b.output
    m = re.search(r"blk: sata0 sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                  r"write_errors=(\d+) flush=(-?\d+)", b.output)
    assert m and m.groups() == ("0", str(N // 8), "0", "0"), b.output
    assert "timed out" not in b.output, b.output


def test_q35_e1000_intx_by_prt():
    sent, got, text, status = echo_frames("q35", options=OPTS, nic_extra="e1000,addr=3")
    # Slot 3, INTA: PIRQ E + ((3 + 0) & 3) = PIRQH, GSI 23.
    assert re.search(r"pci: 00:03\.0: INTA -> GSI 23 \(_PRT, level, active high\)", text), text
    assert len(got) == FRAMES and all(a == b for a, b in zip(sent, got)), (len(got), text)
    assert status == 0, text


def test_pc_without_acpi_intx_by_mp_table(boot):
    """No ACPI (-no-acpi): the MP table's PCI interrupt entry routes the
    edu device's INTA, and its interrupts arrive."""
    b = boot("ktest pciirq intx", preset="pc", extra=["-no-acpi", "-device", "edu"], expect_status=0)
    assert re.search(r"pci: 00:\d\d\.0: INTA -> GSI 1[01] \(MP table, level, active high\)", b.output), b.output
    assert "pciirq: kind=intx delivered=50/50 total=50 spurious=0 status=0" in b.output, b.output


def test_q35_intx_behind_root_port_swizzled(boot):
    """edu behind a PCIe root port at 00:05.0 (no _PRT of its own): its INTA
    reaches the root bus as the port's INTA (swizzle + device 0), PIRQ
    E + ((5 + 0) & 3) = PIRQF, GSI 21 on QEMU's ICH9."""
    extra = ["-device", "pcie-root-port,id=rp,chassis=1,addr=5", "-device", "edu,bus=rp"]
    b = boot(OPTS + " ktest pciirq intx", preset="q35", extra=extra, expect_status=0)
    assert re.search(r"pci: 01:00\.0: INTA -> GSI 21 \(_PRT via 00:05 INTA, level, active high\)", b.output), b.output
    assert "pciirq: kind=intx delivered=50/50 total=50 spurious=0 status=0" in b.output, b.output


def echo_behind_bridges(extra=()):
    sent, got, text, status = echo_frames("q35", options=OPTS, nic_extra="e1000,bus=pb,addr=2",
                                          extra=BRIDGES + list(extra))
    assert len(got) == FRAMES and all(a == b for a, b in zip(sent, got)), (len(got), text)
    assert status == 0, text
    return text


def test_q35_e1000_behind_two_bridges_swizzled():
    """e1000 at 02:02.0, behind a PCI bridge behind a root port, neither
    with a _PRT: INTA leaves the PCI bridge as its INTC (pin + slot 2) and
    the root port (device 0 on bus 1) passes it on unchanged, so 00:05 INTC:
    PIRQ E + ((5 + 2) & 3) = PIRQH, GSI 23. Any other GSI loses the frames."""
    text = echo_behind_bridges()
    assert re.search(r"pci: 02:02\.0: INTA -> GSI 23 \(_PRT via 00:05 INTC, level, active high\)", text), text


def test_q35_e1000_behind_bridge_with_own_prt(tmp_path):
    """The same, with an SSDT (tests/fixtures/aml/q35_rp5_prt.asl, by
    -acpitable) giving the root port its own _PRT: the route now comes from
    that table for bus 1 (01:00 INTC, its link KLK3: GSI 23), and the swizzle
    stops there instead of at the root bus."""
    asl = os.path.join(ROOT, "tests", "fixtures", "aml", "q35_rp5_prt.asl")
    out = str(tmp_path / "q35_rp5_prt")
    r = subprocess.run(["iasl", "-p", out, asl], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0 and os.path.exists(out + ".aml"), r.stdout
    text = echo_behind_bridges(["-acpitable", "file=" + out + ".aml"])
    assert re.search(r"pci: 02:02\.0: INTA -> GSI 23 \(_PRT via 01:00 INTC, level, active high\)", text), text
