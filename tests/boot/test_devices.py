"""Device discovery (issue 4's first part): PCI enumeration with BARs and
capabilities on pc (legacy virtio) and q35 (modern virtio, ECAM, a bridge),
virtio-mmio from the command line and from ACPI on microvm, --nopci."""

import re

import pytest


def pci_lines(out):
    return {m.group(2): m for m in re.finditer(
        r"^debug: pci: (\S+) ([0-9a-f]{4}:[0-9a-f]{4}) class (\w+) irq \d+/\d+ caps \[([0-9a-f,]*)\](.*)$", out, re.M)}


@pytest.fixture
def disk(tmp_path):
    p = tmp_path / "disk.img"
    p.write_bytes(b"\0" * (1 << 20))
    return str(p)


def test_pc_legacy_virtio_devices(boot, disk):
    b = boot("--verbose hello", app="hello", preset="pc", disks=[disk], nics=["user"], expect_status=0,
             extra=["-device", "virtio-rng-pci,disable-modern=on", "-device", "virtio-scsi-pci,disable-modern=on"])
    found = pci_lines(b.output)
    assert "pci: 8 functions (config space via ports 0xcf8/0xcfc)" in b.output
    # Transitional ids 0x1000-0x103f: net, blk, scsi, rng; each with an I/O BAR 0.
    for ident in ["1af4:1000", "1af4:1001", "1af4:1004", "1af4:1005"]:
        assert ident in found, b.output
        assert re.search(r"bar0=io:0x[0-9a-f]+\+0x[0-9a-f]+", found[ident].group(5))
    assert found["8086:1237"].group(3) == "0600"  # the i440FX host bridge


def test_q35_modern_virtio_devices_behind_a_bridge(boot, disk):
    b = boot("--verbose hello", app="hello", preset="q35", disks=[disk], nics=["user"], expect_status=0,
             extra=["-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1",
                    "-device", "virtio-rng-pci,disable-legacy=on,bus=rp1"])
    assert re.search(r"pci: \d+ functions \(config space via ECAM\)", b.output)
    found = pci_lines(b.output)
    for ident in ["1af4:1041", "1af4:1042", "1af4:1044"]:
        caps = found[ident].group(4).split(",")
        # Modern virtio: MSI-X plus the vendor capabilities (common, notify,
        # ISR, device, PCI access) and a 64-bit memory BAR holding them.
        assert "11" in caps and caps.count("09") >= 4, caps
        assert re.search(r"bar4=mem64:0x[0-9a-f]+\+0x4000", found[ident].group(5)), found[ident].group(0)
    # The rng sits behind the root port: found only by following the bridge.
    assert found["1af4:1044"].group(1).startswith("01:")
    assert found["1b36:000c"].group(3) == "0604"


@pytest.mark.parametrize("preset,source", [("microvm", "acpi"), ("microvm-noacpi", "cmdline")])
def test_microvm_virtio_mmio_devices(boot, disk, preset, source):
    b = boot("--verbose hello", app="hello", preset=preset, disks=[disk], nics=["user"], expect_status=0)
    devs = re.findall(r"virtio-mmio: (0x[0-9a-f]+)\+0x200 irq (\d+): version (\d), device id (\d+) \((\w+)\)", b.output)
    assert sorted(int(d[3]) for d in devs) == [1, 2], b.output  # net and blk
    assert all(d[4] == source for d in devs)
    assert "virtio-mmio: 2 devices" in b.output
    assert "pci:" not in b.output  # microvm: no PCI bus unless firmware lists ECAM
    # The loader appends virtio_mmio.device= after the app's arguments; they
    # are the kernel's, not the app's.
    assert "arg 1" not in b.output


def test_bad_virtio_mmio_parameter_is_reported(boot):
    b = boot("hello virtio_mmio.device=lots@nowhere:0", app="hello", preset="microvm-noacpi", expect_status=0)
    assert "cannot parse virtio_mmio.device=lots@nowhere:0" in b.output
    assert "Hello from Kestrel" in b.output


def test_nopci_skips_pci_and_is_faster(boot, disk):
    # -icount: guest time is instructions, so the two boots compare exactly.
    def app_main_ms(opts):
        b = boot("%s --bootchart hello" % opts, app="hello", preset="q35", disks=[disk], icount=True,
                 expect_status=0)
        return b, float(re.search(r"^app main: (\d+\.\d+) ms", b.output, re.M).group(1))
    with_pci, t_pci = app_main_ms("")
    without, t_nopci = app_main_ms("--nopci")
    assert "pci:" in with_pci.output and re.search(r"^pci: \d+\.\d+ ms", with_pci.output, re.M)
    assert "pci:" not in without.output
    assert t_nopci < t_pci, (t_nopci, t_pci)
