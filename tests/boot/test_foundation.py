"""Foundation: boot, arguments, exit status, bad options, faults, threads,
sleep, heap and bootchart, checked on what the kernel did."""

import os
import re

import pytest

from conftest import ALL_PRESETS, ROOT


@pytest.mark.parametrize("preset", ALL_PRESETS)
def test_hello_with_arguments(boot, preset):
    b = boot("hello alpha 'beta gamma' --not-an-option", app="hello", preset=preset, expect_status=0)
    lines = [text for _, text in b.lines]
    i = lines.index("Hello from Kestrel")
    assert lines[i + 1:i + 4] == ["arg 1: alpha", "arg 2: beta gamma", "arg 3: --not-an-option"]


@pytest.mark.parametrize("status", [0, 7, 100])
def test_exit_status_propagates(boot, status):
    boot("ktest exit %d" % status, expect_status=status)


def test_unknown_option_is_rejected(boot):
    b = boot("--frobnicate hello", app="hello", expect_status=2)
    assert "unknown option '--frobnicate'" in b.output
    assert "Hello from Kestrel" not in b.output


@pytest.mark.parametrize("cmdline,message", [
    ("--console=vga hello", "unknown console 'vga'"),
    ("--platform hello", "option --platform needs a value"),
    ("--bootchart=1 hello", "option --bootchart takes no value"),
    ("--platform=no-such-machine hello", "unknown platform 'no-such-machine'"),
    ("--clock=sundial hello", "unknown clock source 'sundial'"),
    ("hello 'unterminated", "unterminated single quote"),
])
def test_bad_options_are_clear_errors(boot, cmdline, message):
    b = boot(cmdline, app="hello", expect_status=2)
    assert message in b.output
    assert "Hello from Kestrel" not in b.output


def help_text_in_source():
    """cmdline_help_text as core/cmdline.c spells it (C string literals joined)."""
    src = open(os.path.join(ROOT, "core", "cmdline.c")).read()
    body = src[src.index("cmdline_help_text[] ="):].split(";", 1)[0]
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    return text.encode().decode("unicode_escape")


def test_help_lists_options(boot):
    b = boot("--help", app="hello", expect_status=0)
    for opt in ["--bootchart", "--nopci", "--console=serial", "--platform=NAME", "--clock=NAME", "--verbose"]:
        assert opt in b.output
    # The whole text, past any buffer size the console might have had.
    want = help_text_in_source()
    assert len(want) > 512
    assert want in b.output.replace("\r", "") + "\n"
    assert "Hello from Kestrel" not in b.output


def test_forced_platform_and_clock(boot):
    b = boot("--platform=generic-pc --clock=tsc hello", app="hello", expect_status=0)
    assert "platform: generic-pc (forced by --platform)" in b.output
    assert re.search(r"^clock: tsc, \d+ Hz", b.output, re.M)
    # TCG has no TSC-deadline mode: the LAPIC runs one-shot, and never periodic.
    assert "timer: lapic-oneshot, no periodic tick" in b.output


@pytest.mark.parametrize("addr", ["0xdeadbeef000", "0x8"])
def test_page_fault_reports_address(boot, addr):
    b = boot("ktest pagefault %s" % addr, expect_status=125)
    want = int(addr, 16)
    m = re.search(r"KESTREL PANIC: page fault at (0x[0-9a-f]+|0) \(write, not present\) rip=(0x[0-9a-f]+)", b.output)
    assert m, b.output
    assert int(m.group(1), 16) == want
    assert re.search(r"cr2 0*%x\b" % want, b.output)
    assert "backtrace:" in b.output


def test_kernel_text_is_not_writable(boot):
    b = boot("ktest wx", expect_status=125)
    m = re.search(r"writing to kernel text at (0x[0-9a-f]+)", b.output)
    assert m
    assert "page fault at %s (write, protection violation)" % m.group(1) in b.output
    assert "text was writable" not in b.output


def test_stack_overflow_hits_guard_page(boot):
    b = boot("ktest stack-overflow", expect_status=125)
    assert "stack overflow: page fault at" in b.output
    assert "(guard page)" in b.output


@pytest.mark.parametrize("nthreads,iters", [(2, 50000), (8, 20000)])
def test_threads_mutex_condvar_exact_total(boot, nthreads, iters):
    b = boot("ktest threads %d %d" % (nthreads, iters), expect_status=0, timeout=120)
    m = re.search(r"threads: total=(\d+) expected=\d+ tokens=(\d+) expected_tokens=\d+ join_errors=(\d+)", b.output)
    assert m, b.output
    tokens_each = (iters + 15) // 16
    assert int(m.group(1)) == nthreads * iters
    assert int(m.group(2)) == sum((i + 1) * tokens_each for i in range(nthreads))
    assert int(m.group(3)) == 0


def test_sleep_500ms_measured_by_host(boot):
    # The host stamps each serial line as it arrives. Under TCG a line can be
    # late by a few ms and the guest clock is calibrated against the emulated
    # PIT over 2 ms, so allow -5% (never early) to +40% (a loaded host).
    b = boot("ktest sleep 500", expect_status=0)
    t0, t1 = b.time_of("sleep-start"), b.time_of("sleep-end")
    assert t0 is not None and t1 is not None
    host_ms = (t1 - t0) * 1000
    guest_us = int(re.search(r"guest_elapsed_us=(\d+)", b.output).group(1))
    assert 500000 <= guest_us < 520000, guest_us
    assert 475 <= host_ms <= 700, host_ms


@pytest.mark.parametrize("preset", ["microvm", "q35"])
def test_heap_stress_no_corruption(boot, preset):
    b = boot("ktest heap 8000", preset=preset, expect_status=0, timeout=120)
    m = re.search(r"heap: allocs=8000 corrupt=(\d+) failed=(\d+) consistent=(\d) peak_pages=(\d+) "
                  r"live_before=(\d+) live_after=(\d+) bytes_before=(\d+) bytes_after=(\d+)", b.output)
    assert m, b.output
    corrupt, failed, consistent, peak, lb, la, bb, ba = map(int, m.groups())
    assert (corrupt, failed, consistent) == (0, 0, 1)
    assert peak > 100  # the stress really used the heap
    assert (la, ba) == (lb, bb)  # everything given back


def test_bootchart_phases(boot):
    b = boot("--bootchart hello", app="hello", expect_status=0)
    phases = re.findall(r"^([a-z/ ]+): (\d+\.\d+) ms \(\+(\d+\.\d+) ms\)$", b.output, re.M)
    names = [p[0] for p in phases]
    assert names[0] == "boot info" and names[-1] == "app main", names
    for want in ["memory", "cpu/irq", "platform", "clock", "scheduler"]:
        assert want in names
    times = [float(p[1]) for p in phases]
    assert times == sorted(times)
    deltas = [float(p[2]) for p in phases]
    assert abs(sum(deltas) - times[-1]) < 0.05 * len(deltas)
    assert b.output.index("app main:") < b.output.index("Hello from Kestrel")


@pytest.mark.parametrize("mem_mib", [16, 256])
def test_memory_reported_matches_machine(boot, mem_mib):
    b = boot("hello", app="hello", memory="%dM" % mem_mib, expect_status=0)
    m = re.search(r"^memory: (\d+) KiB RAM, (\d+) KiB free", b.output, re.M)
    assert m
    ram_kib, free_kib = int(m.group(1)), int(m.group(2))
    # Firmware keeps a little below 1 MiB (and on pc/q35 near the top).
    assert mem_mib * 1024 - 1024 <= ram_kib <= mem_mib * 1024
    # What the kernel keeps is its image as loaded (text, data, bss: it grows
    # with every driver) plus what boot allocates before the app (page tables,
    # per-CPU stacks, the heap's first pages): at most 1 MiB of that.
    image_kib = loaded_span(os.path.join(ROOT, "build", "app-hello.elf")) // 1024
    assert ram_kib - image_kib - 1024 <= free_kib < ram_kib - image_kib, (ram_kib, free_kib, image_kib)


def loaded_span(elf):
    """Bytes from the lowest PT_LOAD's address to the end of the highest one's memory image."""
    import struct
    data = open(elf, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    spans = []
    for i in range(phnum):
        p_type, _, _, vaddr, paddr, _, memsz = struct.unpack_from("<IIQQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and memsz:
            spans.append((paddr, paddr + memsz))
    return max(e for _, e in spans) - min(b for b, _ in spans)


def test_preemption_lets_a_sleeper_run(boot):
    # One CPU, two threads spinning without yielding: the main thread's
    # 100 ms sleep can only end if the timer slice preempts a spinner. The
    # slice is 10 ms, so it wakes within a couple of slices. Guest time runs
    # by instructions (-icount shift=0): a host that stalls QEMU's thread
    # (seen: 184 ms on a loaded machine) cannot stretch it.
    b = boot("ktest preempt", smp=1, expect_status=0, timeout=60, icount=True)
    m = re.search(r"preempt: woke after (\d+) us with two spinners, spins=(\d+)", b.output)
    assert m, b.output
    assert 100000 <= int(m.group(1)) < 150000
    assert int(m.group(2)) > 0
