"""Clock sources: each one forced in turn must keep time with the host;
realtime agrees with the host clock; pvpanic reaches QEMU."""

import os
import re
import signal
import subprocess
import time

import pytest

from conftest import app_kernel, kq

# (preset, source): every source each preset offers under TCG. kvmclock and
# the Xen clock need KVM or Xen; their arithmetic is host-tested (test_pvclock).
SOURCES = [("microvm", "tsc"), ("microvm", "pit"), ("pc", "hpet"), ("q35", "tsc"), ("q35", "hpet"),
           ("q35", "pit")]


@pytest.mark.parametrize("preset,source", SOURCES)
def test_forced_source_keeps_host_time(boot, preset, source):
    # The guest sleeps 2 s on its clock; the host times the two lines. The
    # rate comes from the PIT over the boot or 2 ms of it (or the source's own fixed
    # rate), good to well under 1%; a line may reach the host a few ms late
    # and a busy 2-core host can delay the vCPU, which only makes the host
    # interval longer. Hence -3% .. +15%.
    b = boot("--clock=%s ktest sleep 2000" % source, preset=preset, expect_status=0)
    assert re.search(r"^clock: %s, \d+ Hz" % source, b.output, re.M), b.output
    host = b.time_of("sleep-end") - b.time_of("sleep-start")
    assert 1.94 <= host <= 2.30, host


def sleep_with_host_stall(preset, source, stall):
    """ktest sleep 2000 with QEMU stopped (SIGSTOP: every vCPU and timer
    thread) for `stall` seconds early in the sleep, as a busy host
    stalls a vCPU. Guest time keeps running meanwhile (QEMU's virtual clock
    follows the host's), so the sleep must still end 2 s after it began."""
    cmd = kq.qemu_command(preset, app_kernel("ktest"), "--clock=%s ktest sleep 2000" % source)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    start = end = None
    out = []
    try:
        for raw in p.stdout:
            line = raw.decode(errors="replace").rstrip()
            out.append(line)
            if line == "sleep-start":
                start = time.monotonic()
                time.sleep(0.3)  # the guest has printed the line; let it reach its sleep
                os.kill(p.pid, signal.SIGSTOP)
                time.sleep(stall)
                os.kill(p.pid, signal.SIGCONT)
            elif line.startswith("sleep-end"):
                end = time.monotonic()
                break
    finally:
        p.kill()
        p.wait()
    assert start and end, "\n".join(out[-30:])
    return end - start, "\n".join(out)


@pytest.mark.parametrize("preset,source", [("microvm", "pit"), ("q35", "tsc"), ("q35", "hpet")])
def test_clock_survives_host_stall(preset, source):
    # The PIT wraps every 55 ms: a clock made of it alone loses every wrap
    # of a stall and would sleep 2 s + 1.2 s here.
    host, out = sleep_with_host_stall(preset, source, 1.2)
    assert re.search(r"^clock: %s, \d+ Hz" % source, out, re.M), out
    assert 1.94 <= host <= 2.5, host


@pytest.mark.parametrize("preset,source", [("microvm", "hpet"), ("q35", "kvmclock"), ("pc", "xen")])
def test_unavailable_source_is_a_clear_error(boot, preset, source):
    b = boot("--clock=%s hello" % source, app="hello", preset=preset, expect_status=2)
    assert "clock source '%s' is not available on this machine" % source in b.output


@pytest.mark.parametrize("preset,source", [("microvm", "tsc"), ("q35", "hpet"), ("pc", "pit")])
def test_reads_never_go_backwards(boot, preset, source):
    b = boot("--clock=%s ktest clockbench 20000" % source, preset=preset, expect_status=0)
    m = re.search(r"clockbench: source=(\w+) reads=20000 cycles_per_read=(\d+) backwards=(\d+)", b.output)
    assert m and m.group(1) == source and m.group(3) == "0"


@pytest.mark.parametrize("preset", ["microvm", "q35"])
def test_realtime_agrees_with_host(boot, preset):
    b = boot("ktest time", preset=preset, expect_status=0)
    t = b.time_of("time:")
    host_at_line = b.started_wall + t
    guest = int(re.search(r"realtime_ns=(\d+)", b.output).group(1)) / 1e9
    assert abs(guest - host_at_line) < 1.0, (guest, host_at_line)


@pytest.mark.parametrize("preset", ["microvm", "pc", "microvm-noacpi"])
def test_pvpanic_reaches_qemu(boot, preset):
    # With -action panic=exit-failure QEMU exits with 1 the moment the guest
    # writes PANICKED; without the device the kernel's own exit (125) shows.
    b = boot("ktest pagefault", preset=preset, extra=["-device", "pvpanic", "-action", "panic=exit-failure"])
    # QEMU's DSDT declares the device (QEMU0001); without ACPI the QEMU
    # platforms' hint makes the kernel probe the port instead.
    how = "probed" if preset == "microvm-noacpi" else "ACPI QEMU0001"
    assert "pvpanic: ISA device at port 0x505 (events 0x3, %s)" % how in b.output
    assert "KESTREL PANIC: page fault" in b.output
    assert b.qemu_rc == 1, b.qemu_rc
    b = boot("ktest pagefault", preset=preset, expect_status=125)
    assert "pvpanic" not in b.output


@pytest.mark.parametrize("preset,source", [("q35", "tsc"), ("q35", "hpet"), ("q35", "pit"), ("microvm", "tsc")])
def test_monotonic_across_cpus(boot, preset, source):
    # Four threads on four CPUs publish every value they read; a read below
    # a value published before it would be time going backwards.
    b = boot("--clock=%s ktest clockcross 4 50000" % source, preset=preset, smp=4, expect_status=0, timeout=120)
    m = re.search(r"clockcross: source=(\w+) threads=4 reads=50000 backwards=(\d+) cpus_used=(\d+)", b.output)
    assert m and m.group(1) == source
    assert m.group(2) == "0"
    assert int(m.group(3)) >= 2, "threads ran on %s CPU(s) only" % m.group(3)


@pytest.mark.parametrize("preset", ["q35", "pc"])
def test_pci_pvpanic_reaches_qemu(boot, preset):
    b = boot("ktest pagefault", preset=preset, extra=["-device", "pvpanic-pci", "-action", "panic=exit-failure"])
    assert re.search(r"pvpanic: PCI device \S+ \(events 0x3\)", b.output)
    assert "KESTREL PANIC: page fault" in b.output
    assert b.qemu_rc == 1, b.qemu_rc
