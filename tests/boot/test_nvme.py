"""NVMe (drivers/nvme): one controller with two namespaces whose sectors the
harness fills with a known pattern; the guest reads and checks them, writes
its own pattern with 8 requests in flight and flushes, then writes and reads
back one large request from a buffer that starts inside a page (PRP lists,
and with a small MDTS several commands); the harness checks the image files
after the VM exits. pc runs the INTx path, q35 MSI-X with a queue pair per
CPU, and a controller that grants one queue pair is held to it."""

import re

import pytest

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


def test_timeout_aborts_then_resets_and_nothing_hangs(boot, tmp_path):
    """QEMU's I/O throttling holds requests far past a 300 ms command
    time-out: each late command is aborted, the controller reset, the
    waiting requests fail, and the app still finishes; the flush after the
    resets succeeds (the controller came back)."""
    d = str(tmp_path / "slow.img")
    make_disk(d, 0)
    b = boot("nvme.io_timeout_ms=300 ktest blk %d" % N, preset="q35", expect_status=1, timeout=90,
             extra=["-device", "nvme,id=nvme0,serial=kestrel0",
                    "-drive", "file=%s,if=none,id=ns0,format=raw,throttling.iops-total=2,"
                    "throttling.iops-total-max=2" % d,
                    "-device", "nvme-ns,drive=ns0,bus=nvme0,nsid=1"])
    assert re.search(r"nvme0: command \d+ on queue 1 timed out after 300 ms; aborting it", b.output), b.output
    assert re.search(r"nvme0: abort of command \d+: ", b.output)
    resets = b.output.count("nvme0: resetting the controller")
    assert resets >= 1 and b.output.count("nvme0: reset done, 1 I/O queue") == resets, b.output
    m = re.search(r"blk: nvme0n1 sectors=\d+ size=512 depth=8 read_mismatches=(\d+) writes=(\d+) "
                  r"write_errors=(\d+) flush=(-?\d+)", b.output)
    assert m, b.output
    assert int(m.group(1)) > 0 or int(m.group(3)) > 0  # some requests failed rather than hung
    assert m.group(4) == "0"


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
