"""QEMU dressed as VirtualBox (the `virtualbox` preset: PIIX3, VirtualBox
SMBIOS, an AHCI controller with two disks and an empty ATAPI CD, an e1000
NIC), and the same AHCI and e1000 drivers on q35 (its built-in ICH9 AHCI).
Disks: the guest reads the harness's pattern and writes its own, which the
harness checks in the image files after the VM exits. NIC: 60 raw frames
through QEMU's UDP socket backend must come back intact."""

import re
import socket
import subprocess
import threading
import time

from conftest import app_kernel, kq

import pytest

from test_virtio_blk import N, make_disk, pattern
from test_virtio_net import FRAMES, echo_frames, frames


def q35_ahci_disks(disks):
    """q35's own AHCI controller (00:1f.2), whose ports are buses ide.0-ide.5."""
    extra = []
    for i, d in enumerate(disks):
        extra += ["-drive", "file=%s,if=none,id=sata%d,format=raw" % (d, i),
                  "-device", "ide-hd,drive=sata%d,bus=ide.%d" % (i, i)]
    extra += ["-drive", "if=none,id=cd,media=cdrom", "-device", "ide-cd,drive=cd,bus=ide.4"]
    return extra


@pytest.mark.parametrize("preset,options", [("virtualbox", ""), ("virtualbox", "ahci.ncq=0"),
                                            ("virtualbox", "ahci.irq=intx"), ("q35", "")])
def test_ahci_disks_read_back_and_written(boot, tmp_path, preset, options):
    """ahci.ncq=0: READ/WRITE DMA EXT one at a time instead of NCQ;
    ahci.irq=intx: the HBA's INTx line (shared on pc) instead of MSI."""
    disks = [str(tmp_path / ("d%d.img" % i)) for i in range(2)]
    for i, d in enumerate(disks):
        make_disk(d, i)
    args = (options + " ktest blk %d" % N).strip()
    if preset == "virtualbox":
        # VirtualBox powers off through ACPI, which carries no status: the log does.
        b = boot(args, preset=preset, disks=disks, timeout=90)
        assert "kestrel: power off, status 0" in b.output, b.output
        assert "platform: virtualbox (SMBIOS vendor innotek GmbH" in b.output, b.output
        assert re.search(r"ahci: port 5: ATAPI drive .*left alone", b.output), b.output
    else:
        b = boot(args, preset=preset, expect_status=0, timeout=90, extra=q35_ahci_disks(disks))
        assert re.search(r"ahci: port 4: ATAPI drive .*left alone", b.output), b.output
    assert re.search(r"ahci: 8086:2922 at .*NCQ, 64-bit, %s$" % ("intx" if "intx" in options else "msi"),
                     b.output, re.M), b.output
    for i in range(2):
        assert re.search(r'ahci: sata%d on port %d: "QEMU HARDDISK" serial "\S+", %d sectors of 512 bytes .*%s'
                         % (i, i, 2 * N + 64, "DMA EXT depth 1" if "ncq=0" in options else "NCQ depth 32"), b.output), b.output
    assert "timed out" not in b.output and "resetting" not in b.output, b.output
    for name in ("sata0", "sata1"):
        m = re.search(r"blk: %s sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                      r"write_errors=(\d+) flush=(-?\d+)" % name, b.output)
        assert m and m.groups() == ("0", str(N // 8), "0", "0"), b.output
    for i, d in enumerate(disks):
        data = open(d, "rb").read()
        for s in range(N):
            assert data[s * 512:(s + 1) * 512] == pattern(i, s, 0), (d, s)
            assert data[(N + s) * 512:(N + s + 1) * 512] == pattern(i, N + s, 1), (d, N + s)


@pytest.mark.parametrize("once", [False, True])
def test_ahci_device_error_fails_one_request_and_port_recovers(boot, tmp_path, once):
    """QEMU's blkdebug makes the disk fail every write that covers sector
    N + 16 (EIO: the disk reports an aborted command, a task-file error on
    the port), or only the first (once). The port is reset and each request
    that was still outstanding, however many were in flight beside it, is
    run once more alone: with a lasting error that write, and only it, ends
    with an error (its 8 sectors stay zero); with a passing one nothing
    fails. The flush after them succeeds."""
    d = str(tmp_path / "d.img")
    make_disk(d, 0)
    conf = tmp_path / "blkdebug.conf"
    conf.write_text('[inject-error]\nevent = "pwritev"\nerrno = "5"\nsector = "%d"\nonce = "%s"\n'
                    % (N + 16, "on" if once else "off"))
    b = boot("ktest blk %d" % N, preset="virtualbox", timeout=90,
             extra=["-drive", "file=blkdebug:%s:%s,if=none,id=bd,format=raw" % (conf, d),
                    "-device", "ide-hd,drive=bd,bus=ahci0.0"])
    assert "kestrel: power off, status %d" % (0 if once else 1) in b.output, b.output
    assert re.search(r"ahci: sata0: task-file error .*resetting port 0", b.output), b.output
    retried = re.findall(r"ahci: sata0: sector (\d+) \((\d+)\): retried alone after the reset: (done|failed again)",
                         b.output)
    assert ((str(N + 16), "8", "done" if once else "failed again")) in retried, b.output
    assert all(r[2] == "done" for r in retried if r[0] != str(N + 16)), b.output
    m = re.search(r"blk: sata0 sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                  r"write_errors=(\d+) flush=(-?\d+)", b.output)
    assert m and m.groups() == ("0", str(N // 8), "0" if once else "1", "0"), b.output
    data = open(d, "rb").read()
    for s in range(N):
        want = b"\0" * 512 if 16 <= s < 24 and not once else pattern(0, N + s, 1)
        assert data[(N + s) * 512:(N + s + 1) * 512] == want, s


@pytest.mark.parametrize("preset,nic,model", [("virtualbox", None, "82540EM"), ("q35", "e1000", "82540EM"),
                                             ("pc", "e1000-82545em", "82545EM"), ("q35", "e1000e", "82574L")])
def test_e1000_frames_echoed_intact(preset, nic, model):
    sent, got, text, status = echo_frames(preset, nic_extra=nic)
    m = re.search(r"e1000: eth0: %s \S+ at \S+, mac ([0-9a-f:]+) \(RAL/RAH\), link up" % model, text)
    assert m, text
    assert re.search(r"netecho: ready on eth0 mac %s link up" % m.group(1), text), text
    assert len(got) == FRAMES, (len(got), text)
    for a, b in zip(sent, got):
        assert a == b
    assert "netecho: echoed=%d tx_errors=0 dropped=0" % FRAMES in text, text
    assert "dropping" not in text, text
    assert status == 0 and "kestrel: power off, status 0" in text, text


def test_e1000_spread_frames_dropped_whole():
    """256-byte receive buffers (e1000.rx_buffer=256): QEMU spreads every
    larger frame over several buffers; each such frame is dropped whole and
    counted once, and the frames that fit in one buffer come back intact."""
    small = lambda i: len(frames(b"\0" * 6)[i]) <= 256
    n_small = sum(1 for i in range(FRAMES) if small(i))
    sent, got, text, status = echo_frames("virtualbox", options="e1000.rx_buffer=256", want=n_small, echoed=small)
    assert re.search(r"e1000: eth0: .*rx 128 x 256 bytes", text), text
    assert len(got) == n_small and all(a == b for a, b in zip(sent, got)), (len(got), text)
    assert "dropping a frame spread over several buffers" in text, text
    assert "rx_dropped=%d" % (FRAMES - n_small) in text, text
    assert "kestrel: power off, status 0" in text, text


@pytest.mark.parametrize("nic,model", [("e1000", "82540EM"), ("e1000-82545em", "82545EM"), ("e1000e", "82574L")])
def test_e1000_mac_from_eeprom(boot, nic, model):
    """e1000.mac=eeprom skips RAL/RAH: the address must come out of the
    EEPROM through EERD (whose layout differs on the 82574L) and equal the
    one QEMU was given."""
    b = boot("e1000.mac=eeprom ktest netecho 0", preset="q35", timeout=60, expect_status=0,
             extra=["-netdev", "user,id=n0", "-device", nic + ",netdev=n0,mac=52:54:00:ab:cd:ef"])
    assert re.search(r"e1000: eth0: %s .*mac 52:54:00:ab:cd:ef \(EEPROM\), link up" % model, b.output), b.output
    assert "netecho: ready on eth0 mac 52:54:00:ab:cd:ef" in b.output, b.output


def test_e1000_waits_for_link_before_dhcp(tmp_path):
    """VirtualBox's e1000 brings its link up seconds after a reset and drops
    what is sent before: the guest starts with the link down (QEMU's
    set_link before the CPU runs), says it waits, and asks DHCP only once
    the link-change interrupt says up, so the lease comes right after
    link-up instead of at lwIP's next retry (2 s, then 4 s, after the lost
    first DISCOVER)."""
    mon = str(tmp_path / "mon.sock")
    cmd = kq.qemu_command("virtualbox", app_kernel("ktest"), "ktest sleep 20000", nics=["user"],
                          extra=["-S", "-monitor", "unix:%s,server=on,wait=off" % mon])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    lines, stamps = [], []

    def reader():
        for raw in proc.stdout:
            lines.append(raw.decode(errors="replace").rstrip())
            stamps.append(time.monotonic())
    threading.Thread(target=reader, daemon=True).start()

    def wait_for(pattern, limit):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            for line, t in zip(list(lines), list(stamps)):
                if re.search(pattern, line):
                    return t
            time.sleep(0.05)
        raise AssertionError("no %r in:\n%s" % (pattern, "\n".join(lines)))
    try:
        s = None
        for _ in range(100):
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(mon)
                break
            except OSError:
                time.sleep(0.1)
        s.sendall(b"set_link nic0 off\n")
        s.sendall(b"cont\n")
        wait_for(r"^net: eth0 \(\S+\): link down, waiting for it before sending$", 60)
        time.sleep(3)
        s.sendall(b"set_link nic0 on\n")
        up = wait_for(r"^net: eth0 \(\S+\): link up$", 30)
        leased = wait_for(r"^net: eth0 \(\S+\) dhcp, address 10\.0\.2\.15 ", 30)
        s.close()
    finally:
        proc.kill()
        proc.wait()
    text = "\n".join(lines)
    assert re.search(r"^e1000: \S+: link up$", text, re.M), text
    assert re.search(r"^net: eth0 \(\S+\): link up$", text, re.M), text
    # The lease follows link-up by lwIP's 1 s ARP check of the offered
    # address, well before the retry after a DISCOVER lost to the dead link
    # (sent at 0 s and 2 s, the next at 6 s: 3 s after link-up).
    assert leased - up < 2.0, (leased - up, text)
