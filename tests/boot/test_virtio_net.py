"""virtio-net on every transport, without a TCP/IP stack: QEMU's UDP socket
backend carries raw Ethernet frames between the guest and this harness on
loopback; the guest (ktest netecho) sends every frame back, and every frame
(60 to 1514 bytes) must return intact."""

import random
import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import app_kernel, kq

FRAMES = 60


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def frames(mac):
    rnd = random.Random(7)
    out = []
    for i in range(FRAMES):
        size = 60 + (i * 1454) // (FRAMES - 1)  # 60 .. 1514
        body = bytes(rnd.randrange(256) for _ in range(size - 14))
        out.append(mac + bytes([0x02, 0, 0, 0, 0, i]) + b"\x88\xb5" + body)
    return out


def echo_frames(preset, options="", nic_extra=None, want=FRAMES, echoed=None, extra=()):
    """Boots ktest netecho (the NIC on the preset's own kind, or nic_extra: a
    -device for pc/q35), sends every frame, returns (sent, got, output, status).
    With echoed(i) given, frame i is only awaited if it says so (frames that
    are not sent back go first). extra: more QEMU arguments (a bridge the
    NIC sits behind, a table)."""
    host_port, guest_port = free_port(), free_port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", host_port))
    sock.settimeout(0.2)
    backend = "socket,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (host_port, guest_port)
    # --nonet: the raw frames are the app's alone (no DHCP frames from TCP/IP).
    args = ("--nonet " + options + " ktest netecho %d" % want).strip()
    if nic_extra:
        cmd = kq.qemu_command(preset, app_kernel("ktest"), args,
                              extra=list(extra) + ["-netdev", backend + ",id=n0", "-device", nic_extra + ",netdev=n0"])
    else:
        cmd = kq.qemu_command(preset, app_kernel("ktest"), args, nics=[backend])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    out, ready = [], threading.Event()

    def reader():
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            out.append(line)
            if line.startswith("netecho: ready"):
                ready.set()
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    got, sent = [], []
    try:
        assert ready.wait(60), "\n".join(out)
        # The ready line itself: a driver may log another line after it.
        line = next(text for text in list(out) if text.startswith("netecho: ready"))
        mac = bytes(int(x, 16) for x in re.search(r"mac ([0-9a-f:]+)", line).group(1).split(":"))
        sent = frames(mac)
        if echoed:
            for i, f in enumerate(sent):
                if not echoed(i):
                    sock.sendto(f, ("127.0.0.1", guest_port))
                    time.sleep(0.02)
            sent = [f for i, f in enumerate(sent) if echoed(i)]
        for f in sent:
            sock.sendto(f, ("127.0.0.1", guest_port))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    got.append(sock.recv(4096))
                    break
                except socket.timeout:
                    continue
        proc.wait(30)
        t.join(10)  # QEMU has exited, but its last lines may still be in the pipe
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()
    return sent, got, "\n".join(out), kq.app_status(proc.returncode)


@pytest.mark.parametrize("preset,transport", [("pc", "pci-legacy"), ("q35", "pci-modern"), ("microvm", "mmio"),
                                              ("microvm-noacpi", "mmio")])
def test_frames_echoed_intact(preset, transport):
    sent, got, text, status = echo_frames(preset)
    assert re.search(r"virtio-net: vnet0 over %s" % transport, text), text
    # QEMU's TCG (CPUID "TCGTCGTCGTCG"): the receive side's empty check
    # fences through a register read, or an interrupt can be lost for good,
    # and the receive ring is polled for frames no interrupt announced.
    assert "receive fenced through the device and polled (TCG)" in text, text
    assert "drained by the poll" not in text, text  # no interrupt was lost
    assert "link up" in text
    assert len(got) == FRAMES, (len(got), text)
    for a, b in zip(sent, got):
        assert a == b
    assert "netecho: echoed=%d tx_errors=0 dropped=0" % FRAMES in text
    assert status == 0


@pytest.mark.parametrize("preset", ["q35", "microvm"])
def test_lost_transmit_notification(preset):
    """The 10th transmit notification is withheld (virtio.lose_kick=10),
    as QEMU's TCG with one vCPU now and then loses one (its fences are
    no-ops, so the event-index handshake can cross unseen): the device then
    waits at that index and every later kick is suppressed too. The
    driver's watchdog must notice the ring not moving and notify again, so
    every frame still comes back."""
    sent, got, text, status = echo_frames(preset, "virtio.lose_kick=10")
    assert len(got) == FRAMES, (len(got), text)
    assert "virtio: vnet0: queue 1: notification 10 withheld" in text, text
    assert "virtio: vnet0: queue 1: nothing completed for 10 ms; notifying the device again" in text, text
    assert all(a == b for a, b in zip(sent, got)), text
    assert "netecho: echoed=%d tx_errors=0 dropped=0" % FRAMES in text
    assert status == 0


@pytest.mark.parametrize("preset", ["q35", "microvm"])
def test_lost_receive_interrupt(preset):
    """The 10th receive interrupt with frames waiting is ignored
    (virtio_net.lose_rx_irq=10), as one lost under TCG would be: with event
    index the device then waits for a used_event only draining moves, so
    every later frame would wait too. The receive poll must find the frame
    waiting a whole period and drain it, so every frame still comes back."""
    sent, got, text, status = echo_frames(preset, "virtio_net.lose_rx_irq=10")
    assert "virtio-net: vnet0: receive interrupt 10 ignored (virtio_net.lose_rx_irq)" in text, text
    assert "virtio-net: vnet0: frames waited on the receive ring for a whole poll period" in text, text
    assert len(got) == FRAMES and all(a == b for a, b in zip(sent, got)), (len(got), text)
    assert "netecho: echoed=%d tx_errors=0 dropped=0" % FRAMES in text
    assert status == 0


@pytest.mark.parametrize("preset", ["pc", "q35", "microvm"])
def test_mergeable_receive_buffers(preset):
    """256-byte receive buffers: the device spreads each larger frame over
    several (num_buffers > 1) and the driver must put it back together."""
    sent, got, text, status = echo_frames(preset, "virtio_net.rx_buffer=256")
    assert re.search(r"virtio-net: vnet0 over \S+, rx \d+ x 256 bytes.*mergeable rx", text), text
    assert len(got) == FRAMES and all(a == b for a, b in zip(sent, got)), text
    assert status == 0
