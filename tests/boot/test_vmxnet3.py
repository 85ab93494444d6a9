"""VMXNET3 on QEMU dressed as VMware, without a TCP/IP stack: QEMU's UDP
socket backend carries raw Ethernet frames between the guest and this
harness; the guest (ktest netecho) sends every frame back, and every frame
(60 to 1514 bytes) must return intact, on each interrupt kind QEMU's
vmxnet3 offers (MSI-X, MSI, INTx), on pc and q35."""

import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import app_kernel, kq
from test_virtio_net import FRAMES, echo_frames, frames, free_port


@pytest.mark.parametrize("preset,irq", [("vmware", "msix"), ("vmware-q35", "msix"), ("vmware", "msi"),
                                        ("vmware-q35", "intx")])
def test_vmxnet3_frames_echoed_intact(preset, irq):
    sent, got, text, status = echo_frames(preset, "vmxnet3.irq=%s" % irq)
    kind = {"msix": "msi-x", "msi": "msi", "intx": "intx"}[irq]
    assert re.search(r"^vmxnet3: vmx0 revision 1, %s, mac 00:50:56:00:00:01, link up" % kind, text, re.M), text
    assert "netecho: ready on vmx0 mac 00:50:56:00:00:01 link up" in text
    assert len(got) == FRAMES, (len(got), text)
    for a, b in zip(sent, got):
        assert a == b
    assert "netecho: echoed=%d tx_errors=0 dropped=0" % FRAMES in text
    assert "bad receive completion" not in text and "tx completion for no descriptor" not in text
    assert "kestrel: power off, status 0" in text  # ACPI power-off carries no status
    assert status == 0


def test_vmware_full_dress_names_platform_disks_and_nic(boot):
    """scripts/run --preset vmware with nothing added: two scratch disks
    and a vmxnet3 NIC; the log names the platform, the backdoor version,
    each disk's capacity and the NIC's MAC, and says once that there is no
    message channel."""
    b = boot("hello", app="hello", preset="vmware", expect_status=0, timeout=60)
    assert "platform: vmware (" in b.output and "backdoor" in b.output
    assert re.search(r"^vmware: backdoor version \d+$", b.output, re.M), b.output
    assert b.output.count("vmware: no message channel (RPCI), guestinfo not read") == 1
    assert "block: sd0, %d sectors of 512 bytes" % (64 << 11) in b.output
    assert "block: sd1, %d sectors of 512 bytes" % (32 << 11) in b.output
    assert "pvscsi: request time-out 180000 ms" in b.output  # VMware's own disk time-out
    assert re.search(r"^vmxnet3: vmx0 .*mac 00:50:56:00:00:01", b.output, re.M), b.output


def test_vmxnet3_link_events(tmp_path):
    """The link taken down and up again through QEMU's monitor: the device
    raises its event interrupt (ECR link bit) and the driver logs each
    change after asking GET_LINK."""
    mon = str(tmp_path / "mon.sock")
    cmd = kq.qemu_command("vmware", app_kernel("ktest"), "ktest sleep 4000",
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
        for state, word in (("off", "down"), ("on", "up")):
            s.sendall(("set_link vmxnet3.0 %s\n" % state).encode())
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any("vmxnet3: vmx0 link %s" % word in x for x in lines):
                time.sleep(0.1)
        s.close()
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "\n".join(lines)
    down = text.find("vmxnet3: vmx0 link down")
    assert down >= 0 and text.find("vmxnet3: vmx0 link up", down) > down, text
    assert "device event" not in text


def test_vmxnet3_queue_error_resets_and_carries_on():
    """A queue error event stops the device's queues (VMXNET3_ECR_TQERR/
    RQERR); the driver resets the device and brings the rings back, and the
    NIC carries on. QEMU never raises one, so the test injects it
    (vmxnet3.inject_queue_error=20: after 20 frames the next interrupt
    carries a transmit queue error). A frame caught in the reset is sent
    again by the harness, as a peer's retransmission would; every frame
    must come back intact, and most after the reset (the old driver logged
    the event and left the queues stopped for good)."""
    host_port, guest_port = free_port(), free_port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", host_port))
    sock.settimeout(0.2)
    backend = "socket,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (host_port, guest_port)
    cmd = kq.qemu_command("vmware", app_kernel("ktest"),
                          "--nonet vmxnet3.inject_queue_error=20 ktest netecho %d" % (FRAMES + 10), nics=[backend])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    out, ready = [], threading.Event()

    def reader():
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            out.append(line)
            if line.startswith("netecho: ready"):
                ready.set()
    threading.Thread(target=reader, daemon=True).start()
    got, resent = [], 0
    try:
        assert ready.wait(60), "\n".join(out)
        line = next(text for text in list(out) if text.startswith("netecho: ready"))
        mac = bytes(int(x, 16) for x in re.search(r"mac ([0-9a-f:]+)", line).group(1).split(":"))
        sent = frames(mac)
        for f in sent:
            echo = None
            for attempt in range(4):
                resent += attempt > 0
                sock.sendto(f, ("127.0.0.1", guest_port))
                deadline = time.monotonic() + 2
                while time.monotonic() < deadline and echo is None:
                    try:
                        echo = sock.recv(4096)
                    except socket.timeout:
                        continue
                if echo is not None:
                    break
            got.append(echo)
    finally:
        proc.kill()
        proc.wait()
        sock.close()
    text = "\n".join(out)
    assert "vmxnet3: vmx0: transmit queue error; resetting the device" in text, text
    assert "vmxnet3: vmx0: device reset, queues back (restart 1)" in text, text
    assert got == sent, ([g is None for g in got], text)
    assert resent <= 2, (resent, text)
