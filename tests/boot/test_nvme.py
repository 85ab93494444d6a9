"""NVMe (drivers/nvme): one controller with two namespaces whose sectors the
harness fills with a known pattern; the guest reads and checks them, writes
its own pattern with 8 requests in flight and flushes, then writes and reads
back one large request from a buffer that starts inside a page (PRP lists,
and with a small MDTS several commands); the harness checks the image files
after the VM exits. pc runs the INTx path, q35 MSI-X with a queue pair per
CPU, and a controller that grants one queue pair is held to it."""

import os
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import app_kernel, kq

from disk_pattern import make_disk as shared_make_disk, pattern

N = 64      # sectors checked and sectors written by `ktest blk`, per namespace
BIG = 192   # sectors of the one large request, at sector 2N
SECTORS = 2 * N + BIG


def make_disk(path, disk):
    shared_make_disk(path, disk, N, SECTORS)


def nvme_args(disks, ctrl_opts=""):
    args = ["-device", "nvme,id=nvme0,serial=kestrel0" + ctrl_opts]
    for i, d in enumerate(disks):
        args += ["-drive", "file=%s,if=none,id=ns%d,format=raw" % (d, i),
                 "-device", "nvme-ns,drive=ns%d,bus=nvme0,nsid=%d" % (i, i + 1)]
    return args


def check_images(disks):
    for i, d in enumerate(disks):
        data = open(d, "rb").read()
        for s in range(N):
            assert data[s * 512:(s + 1) * 512] == pattern(i, s, 0), (d, s)
            assert data[(N + s) * 512:(N + s + 1) * 512] == pattern(i, N + s, 1), (d, N + s)
        for s in range(2 * N, 2 * N + BIG):
            assert data[s * 512:(s + 1) * 512] == pattern(i, s, 2), (d, s)


@pytest.mark.parametrize("preset,smp,irq,opts,queues,max_kib", [
    ("pc", 1, "intx", "", 1, 512),
    ("q35", 2, "msi-x", "", 2, 512),
    ("q35", 2, "msi-x", ",max_ioqpairs=1,mdts=2", 1, 16),
])
def test_two_namespaces_read_back_and_written(boot, tmp_path, preset, smp, irq, opts, queues, max_kib):
    disks = [str(tmp_path / ("ns%d.img" % i)) for i in range(2)]
    for i, d in enumerate(disks):
        make_disk(d, i)
    params = "nvme.irq=intx " if irq == "intx" else ""
    b = boot(params + "ktest blk %d" % N, preset=preset, smp=smp, expect_status=0, timeout=90,
             extra=nvme_args(disks, opts))
    m = re.search(r'nvme0: "QEMU NVMe Ctrl" NVMe 1\.\d, (\d+) I/O queues? of \d+, (\S+?), max transfer (\d+) KiB',
                  b.output)
    assert m and m.groups() == (str(queues), irq, str(max_kib)), b.output
    names = re.findall(r"^block: (\w+), %d sectors of 512 bytes$" % SECTORS, b.output, re.M)
    assert names == ["nvme0n1", "nvme0n2"], b.output
    for name in names:
        m = re.search(r"blk: %s sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                      r"write_errors=(\d+) flush=(-?\d+)" % name, b.output)
        assert m and m.groups() == ("0", str(N // 8), "0", "0"), b.output
    assert "refused" not in b.output and "timed out" not in b.output
    # The large request, on the same images, in a second boot.
    b = boot(params + "ktest blklarge %d %d" % (2 * N, BIG), preset=preset, smp=smp, expect_status=0,
             timeout=90, extra=nvme_args(disks, opts))
    for name in names:
        assert "blklarge: %s start=%d count=%d write=0 read=0 mismatches=0" % (name, 2 * N, BIG) in b.output
    check_images(disks)


def test_namespace_with_4k_blocks(boot, tmp_path):
    d = str(tmp_path / "ns4k.img")
    with open(d, "wb") as f:
        f.write(b"\0" * 4096 * 64)
    b = boot("ktest blklarge 8 16", preset="q35", expect_status=0, timeout=60,
             extra=["-device", "nvme,id=nvme0,serial=kestrel0", "-drive", "file=%s,if=none,id=ns0,format=raw" % d,
                    "-device", "nvme-ns,drive=ns0,bus=nvme0,nsid=1,logical_block_size=4096,physical_block_size=4096"])
    assert "block: nvme0n1, 64 sectors of 4096 bytes" in b.output, b.output
    assert "blklarge: nvme0n1 start=8 count=16 write=0 read=0 mismatches=0" in b.output
    data = open(d, "rb").read()
    for s in range(8, 24):
        want = bytes(((s * 31 + k * 7 + 2 * 57) & 0xff) for k in range(4096))
        assert data[s * 4096:(s + 1) * 4096] == want, s


STALL_N = 16384  # sectors read and written by the stalled run: I/O lasts long enough to be caught


def stalled_run(tmp_path, preset, cmdline, stall_s):
    """Boots `ktest blk STALL_N` on an NVMe namespace served by qemu-nbd, and
    freezes qemu-nbd (SIGSTOP) for stall_s seconds while the guest's I/O is
    under way: a storage stall, as an EBS volume or a SAN path failover
    makes one. Returns (output lines, QEMU's exit status, image path); fails
    unless the guest's I/O result came after the stall ended (the stall
    really held requests)."""
    d = str(tmp_path / "stall.img")
    shared_make_disk(d, 0, STALL_N, 2 * STALL_N + 64)
    sock = str(tmp_path / "nbd.sock")
    nbd = subprocess.Popen(["qemu-nbd", "-f", "raw", "-k", sock, "--cache=none", d],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        cmd = kq.qemu_command(preset, app_kernel("ktest"), cmdline + " ktest blk %d" % STALL_N,
                              extra=["-device", "nvme,id=nvme0,serial=kestrel0",
                                     "-drive", "driver=nbd,server.type=unix,server.path=%s,if=none,id=ns0" % sock,
                                     "-device", "nvme-ns,drive=ns0,bus=nvme0,nsid=1"])
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        lines, done_at = [], []
        attached = threading.Event()

        def reader():
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip()
                lines.append(line)
                if line.startswith("blk: nvme0n1 sectors="):
                    done_at.append(time.monotonic())
                if line.startswith("block: nvme0n1"):
                    attached.set()
        threading.Thread(target=reader, daemon=True).start()
        try:
            assert attached.wait(60), "\n".join(lines)
            time.sleep(0.2)
            nbd.send_signal(signal.SIGSTOP)
            time.sleep(stall_s)
            nbd.send_signal(signal.SIGCONT)
            resumed = time.monotonic()
            rc = proc.wait(120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        time.sleep(0.2)  # the reader's last lines
        assert done_at and done_at[0] > resumed, "the I/O ended before the stall did:\n" + "\n".join(lines)
        return lines, kq.app_status(rc), d
    finally:
        nbd.send_signal(signal.SIGCONT)
        nbd.terminate()
        nbd.wait()


def check_stalled_image(d):
    data = open(d, "rb").read()
    for s in range(STALL_N):
        assert data[(STALL_N + s) * 512:(STALL_N + s + 1) * 512] == pattern(0, STALL_N + s, 1), s


def test_stall_past_timeout_resets_and_sends_again(tmp_path):
    """A stall longer than the 1 s command time-out: the controller is reset
    and the commands that were in flight are sent again, so every request
    ends well (no read mismatch, no write error) and the data is on the
    disk after exit: a stall is a delay, not an error (the old driver
    failed every request in flight with EIO)."""
    lines, status, d = stalled_run(tmp_path, "q35", "nvme.io_timeout_ms=1000", 4)
    text = "\n".join(lines)
    assert re.search(r"nvme0: command \d+ on queue 1 timed out after 1000 ms", text), text
    m = re.search(r"nvme0: reset done, 1 I/O queue, (\d+) commands? sent again", text)
    assert m and int(m.group(1)) >= 1, text
    assert re.search(r"blk: nvme0n1 sectors=\d+ size=512 depth=8 read_mismatches=0 writes=%d write_errors=0 flush=0"
                     % (STALL_N // 8), text), text
    assert status == 0, text
    check_stalled_image(d)


def test_cloud_default_waits_out_a_stall(tmp_path):
    """On EC2 (and GCE) the platform sets no I/O time-out, as AWS and Google
    advise for EBS and persistent disks: a stall only gets reported, never a
    reset, and every request ends well. The report comes from the watchdog
    (nvme.io_timeout_ms=0 here with a 30 s report period would need a
    longer stall; the absence of any reset and error is what is checked)."""
    lines, status, d = stalled_run(tmp_path, "ec2", "", 4)
    text = "\n".join(lines)
    assert "platform: ec2" in text, text
    assert "nvme0: no I/O time-out; commands late by 30 s are reported" in text, text
    assert "resetting the controller" not in text and "timed out" not in text, text
    assert re.search(r"blk: nvme0n1 sectors=\d+ size=512 depth=8 read_mismatches=0 writes=%d write_errors=0 flush=0"
                     % (STALL_N // 8), text), text
    assert status == 0, text
    check_stalled_image(d)


def test_threads_on_every_cpu_share_the_queues(boot, tmp_path):
    """8 threads on 2 CPUs each write, read back and compare their own 8
    sectors 32 times: requests from both CPUs (so both I/O queue pairs) in
    flight together; the last round's data is checked on the image."""
    d = str(tmp_path / "mq.img")
    with open(d, "wb") as f:
        f.write(b"\0" * 512 * 256)
    b = boot("ktest blkthreads 64 8 32", preset="q35", smp=2, expect_status=0, timeout=90,
             extra=nvme_args([d]))
    assert "2 I/O queues of 64" in b.output, b.output
    assert "blkthreads: nvme0n1 threads=8 rounds=32 errors=0 cpus_used=2 cpus=2" in b.output, b.output
    data = open(d, "rb").read()
    for s in range(64, 128):
        want = bytes(((s * 31 + k * 7 + 31 * 13 + 3) & 0xff) for k in range(512))
        assert data[s * 512:(s + 1) * 512] == want, s
    assert data[:64 * 512] == b"\0" * 64 * 512 and data[128 * 512:] == b"\0" * 128 * 512
