"""bench/insn, the QEMU plugin behind bench/* --insns: the marks a guest
executes are reported in order, the count between two marks grows exactly
with the work done between them, and the host's socket count and the exit
count agree with the marks."""

import os
import subprocess
import time
import sys

from conftest import ROOT, app_kernel

sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import benchlib  # noqa: E402
import kestrel_qemu as kq  # noqa: E402


def counted_clockbench(reads):
    """Instructions between ktest clockbench's two marks, and the counter."""
    c = benchlib.InsnCounter("test-clockbench")
    cmd = kq.qemu_command("microvm", app_kernel("ktest"), "ktest clockbench %d" % reads, extra=c.qemu_args())
    b = kq.boot(cmd, timeout=120)
    assert b.status == 0, b.output[-800:]
    assert "reads=%d " % reads in b.output
    return c


def test_marks_count_the_work_between_them():
    benchlib.insn_plugin()
    counts = {}
    for reads in (1000, 2000, 4000):
        c = counted_clockbench(reads)
        marks = c.marks()
        assert [i for i, _ in marks] == [benchlib.MARK_START, benchlib.MARK_END], marks
        total = c.exit_count()
        assert total is not None and total > marks[-1][1] > marks[0][1] > 0
        counts[reads] = c.between()
        c.cleanup()
    # The loop is the same code each time round: 1000 more reads cost the
    # same number of instructions whichever 1000 they are.
    per_1000 = counts[2000] - counts[1000]
    assert per_1000 > 1000  # at least one instruction per read
    assert abs((counts[4000] - counts[2000]) - 2 * per_1000) <= 0.001 * per_1000, counts


def test_socket_count_grows_and_stays_below_exit():
    benchlib.insn_plugin()
    c = benchlib.InsnCounter("test-socket")
    cmd = kq.qemu_command("microvm", app_kernel("ktest"), "ktest clockbench 50000000", extra=c.qemu_args())
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # A loaded host may take seconds to start QEMU: wait for a first count,
        # then for it to grow (the guest spins for 50 M clock reads).
        deadline = time.monotonic() + 60
        first = c.count()
        while first == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
            first = c.count()
        second = first
        while second <= first and time.monotonic() < deadline:
            time.sleep(0.2)
            second = c.count()
        assert second > first > 0, (first, second)
    finally:
        proc.kill()
        proc.wait()
    c.cleanup()
