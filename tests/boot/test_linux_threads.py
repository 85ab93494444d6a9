"""Threads, futexes and signals of the Linux ABI (issue 20; linux/clone.c,
linux/futex.c, linux/signal.c): programs of ours (tests/linux/*.c) built
static with glibc (gcc -static -pthread) and musl (musl-gcc -static), and a
Go program (CGO_ENABLED=0), run from a cpio initrd. Each prints what it saw;
the test recomputes the expected values (sums, counts, times measured on the
guest's clock) and checks the exit status the kernel passed to QEMU."""

import os
import re
import subprocess

import pytest

from test_linux_core import OUT, ROOT, SRC, build, initrd

FLAVOURS = ["glibc", "musl"]


def prog(name, flavour):
    return build(name + ".c", flavour, extra=["-pthread"] if flavour == "glibc" else [])


def go_prog():
    os.makedirs(OUT, exist_ok=True)
    exe = os.path.join(OUT, "gothreads")
    env = dict(os.environ, CGO_ENABLED="0", GOCACHE=os.path.join(ROOT, "build", "gocache"), GOFLAGS="-mod=mod")
    subprocess.run(["go", "build", "-o", exe, "."], cwd=os.path.join(SRC, "gothreads"), env=env, check=True)
    return exe


def run(boot, tmp_path, exe, args="", status=0, smp=1, memory="128M", timeout=120, kopts="", preset="microvm"):
    """Boots exe as /bin/prog; the kernel's power-off line carries the whole
    status, QEMU's exit code its low 7 bits (test_linux_core.run)."""
    archive = initrd(tmp_path, {"/bin/prog": exe})
    b = boot(("%s -- /bin/prog %s" % (kopts, args)).strip(), app="hello", preset=preset, smp=smp, memory=memory, timeout=timeout,
             extra=["-initrd", archive])
    assert "kestrel: power off, status %d\n" % status in b.output + "\n", b.output[-3000:]
    assert b.status == status & 0x7f, "qemu status %r, want %d" % (b.status, status & 0x7f)
    return b


def lines(b, prefix):
    return [l for l in b.output.splitlines() if l.startswith(prefix)]


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("smp", [1, 2])
def test_pthreads(boot, tmp_path, flavour, smp):
    """8 threads: mutex, condition variables, __thread values per thread,
    joins; the sum of what each returned equals the shared counter and the
    formula's value."""
    b = run(boot, tmp_path, prog("pthreads", flavour), smp=smp, status=0)
    m = re.search(r"pthreads: threads=(\d+) rounds=(\d+) sum=(\d+) shared=(\d+) tls=(\w+) tids=(\w+) main_tls=(\d+)",
                  b.output)
    assert m, b.output[-2000:]
    nt, rounds = int(m.group(1)), int(m.group(2))
    want = rounds * sum(i + 1 for i in range(nt))
    assert (int(m.group(3)), int(m.group(4))) == (want, want)
    assert m.group(5, 6, 7) == ("ok", "distinct", "7")


def futex_lines(b):
    got, seen = {}, {}
    for t, l in b.lines:
        if not l.startswith("futex: "):
            continue
        name, rest = l[len("futex: "):].split(" ", 1)
        if name == "begin":
            seen["begin " + rest] = t
            continue
        seen[name] = t
        got[name] = dict(kv.split("=") for kv in rest.split())
    return got, seen


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_futex_waits(boot, tmp_path, flavour):
    """A relative FUTEX_WAIT times out with ETIMEDOUT no sooner than asked
    (200 ms between the lines as the host receives them); a changed word is
    EAGAIN, a bad timespec EINVAL, a bad address EFAULT; a wake from another
    thread ends a 5 s wait early (or comes first: EAGAIN)."""
    b = run(boot, tmp_path, prog("futex_timeout", flavour), status=0)
    got, seen = futex_lines(b)
    assert (got["relative"]["r"], got["relative"]["errno"]) == ("-1", "110"), got
    assert 0.19 <= seen["relative"] - seen["begin relative"] < 1.5, seen
    assert (got["changed"]["r"], got["changed"]["errno"]) == ("-1", "11")
    assert (got["bad_timeout"]["r"], got["bad_timeout"]["errno"]) == ("-1", "22")
    assert (got["bad_address"]["r"], got["bad_address"]["errno"]) == ("-1", "14")
    w = got["woken"]
    assert w["word"] == "1" and (w["r"], w["errno"]) in [("0", "0"), ("-1", "11")], w
    assert seen["woken"] - seen["begin woken"] < 4, seen


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_futex_timeouts_guest_clock(boot, tmp_path, flavour):
    """Time-outs measured on the guest's monotonic clock (clock_gettime):
    relative, absolute CLOCK_MONOTONIC and absolute CLOCK_REALTIME waits end
    with ETIMEDOUT, never early."""
    b = run(boot, tmp_path, prog("futex_timeout", flavour), args="clock", status=0)
    got, _ = futex_lines(b)
    for name, ms in [("relative_guest", 200), ("absolute_monotonic", 150), ("absolute_realtime", 100)]:
        g = got[name]
        assert (g["r"], g["errno"]) == ("-1", "110"), (name, g)  # ETIMEDOUT
        # never early; late by scheduling only (TCG on a busy host)
        assert ms <= int(g["elapsed_ms"]) < ms + 1000, (name, g)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("smp", [1, 2])
def test_signals(boot, tmp_path, flavour, smp):
    """Handlers for faults (siglongjmp out of SIGSEGV, SIGFPE), a stack
    overflow on the sigaltstack, raise/kill/tgkill/tkill to a spinning and a
    blocked thread, futex waits cut short with EINTR by a handler without
    SA_RESTART, bad pointers to every signal call (EFAULT), sigsuspend
    (mask swapped and restored) and pause, sigwait/sigtimedwait (time-out,
    from kill, from another thread), masks and pending sets, SA_RESETHAND, default-ignored
    signals, SIGALRM from setitimer (one-shot, periodic) and alarm: every case reports ok."""
    b = run(boot, tmp_path, prog("signals", flavour), smp=smp, status=0)
    names = [l.split()[1] for l in lines(b, "ok ")]
    for want in ["segv_longjmp", "segv_twice", "fpe_div_zero", "sigaltstack_set", "sigaltstack_get",
                 "stack_overflow_on_altstack", "raise", "kill_self", "kill_other_pid", "kill_sig0",
                 "kill_badsig", "tgkill_spinning_thread", "tgkill_gone_thread", "tkill_blocked_thread",
                 "blocked_thread_resumed", "futex_timed_eintr", "futex_untimed_eintr", "bad_pointers_efault", "sigsuspend", "pause",
                 "sigtimedwait_timeout", "sigtimedwait_pending", "sigwait_from_thread",
                 "blocked_is_pending", "unblock_delivers", "pending_cleared",
                 "sigkill_fixed", "sig_ign", "sa_resethand", "default_ignore",
                 "itimer_disarmed", "itimer_oneshot", "itimer_periodic", "alarm_left", "itimer_bad_usec"]:
        assert want in names, (want, b.output[-3000:])
    assert not lines(b, "FAIL"), lines(b, "FAIL")
    assert re.search(r"signals: 35 passed, 0 failed", b.output)


@pytest.mark.parametrize("prog_name,line", [
    ("signals", "signals: 35 passed, 0 failed"),
    ("pthreads", "tls=ok tids=distinct main_tls=7"),
])
def test_q35_two_cpus(boot, tmp_path, prog_name, line):
    """The signal cases and the pthreads program on q35 (PCI, IOAPIC
    interrupts, LAPIC timer) with two CPUs."""
    b = run(boot, tmp_path, prog(prog_name, "glibc"), smp=2, preset="q35", status=0)
    assert line in b.output, b.output[-3000:]


@pytest.mark.parametrize("how,status,line", [
    ("term", 143, "app: killed by SIGTERM"),
    ("abort", 134, "app: killed by SIGABRT"),
    ("nested", 139, "app: SIGSEGV at 0x40,"),
    ("badreturn", 139, None),
    ("garbage", 139, "app: bad rt_sigreturn frame at"),
])
def test_fatal_signals(boot, tmp_path, how, status, line):
    """Default actions end the program with 128+sig and the kernel's line; a
    fault inside its own handler (the signal blocked there) kills; a handler
    that forges its return context (kernel RIP, ring-0 CS, IOPL, bad MXCSR)
    gets a SIGSEGV in ring 3, never ring 0, and the kernel powers off; an
    rt_sigreturn over a stack of junk (non-canonical rip) is killed."""
    b = run(boot, tmp_path, prog("sigfatal", "glibc"), args=how, status=status)
    assert "sigfatal: %s" % how in b.output
    assert "still alive" not in b.output
    if line:
        assert line in b.output, b.output[-2000:]
    else:
        assert "app: SIGSEGV at" in b.output or "app: bad rt_sigreturn" in b.output, b.output[-2000:]
    assert "panic" not in b.output.lower()


@pytest.mark.parametrize("smp", [1, 2])
def test_exit_group_stops_threads(boot, tmp_path, smp):
    """exit(7) from main while two threads spin in user mode and two wait
    in futexes: the others are stopped, the status is 7, and the power-off
    comes within the kernel's 200 ms wait (not the 5 s of a hang)."""
    b = run(boot, tmp_path, prog("sigfatal", "glibc"), args="exitgroup", smp=smp, status=7)
    t = {l: ts for ts, l in b.lines}
    assert t["kestrel: power off, status 7"] - t["sigfatal: exitgroup"] < 3, b.lines[-5:]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_ten_thousand_threads(boot, tmp_path, flavour):
    """10,000 threads made and joined in batches of 100, then as many at once
    as the kernel allows: EAGAIN or all, never a hang or a panic."""
    b = run(boot, tmp_path, prog("manythreads", flavour), status=0, memory="512M", timeout=600)
    m = re.search(r"manythreads: batches made=(\d+) joined_ok=(\d+) ran=(\d+)", b.output)
    assert m and m.groups() == ("10000", "10000", "10000"), b.output[-2000:]
    m = re.search(r"manythreads: at_once=(\d+) stopped_by=(\w+)", b.output)
    assert m and (m.group(2) == "EAGAIN" or m.group(1) == "10000"), b.output[-2000:]
    assert int(m.group(1)) >= 100


@pytest.mark.parametrize("smp", [1, 2])
def test_go_program(boot, tmp_path, smp):
    """Go's runtime on Kestrel's threads: 64 goroutines over several OS
    threads (clone, futexes, its signal handlers and per-thread sigaltstacks
    installed), channels, a contended sync.Mutex. (runtime.GC's scavenger
    and timers arm runtime timers, which need the netpoller, epoll: issue
    21, and clock_gettime: the main program's "gc" and "timers" modes.)"""
    b = run(boot, tmp_path, go_prog(), smp=smp, status=0, memory="256M", timeout=300)
    sums = sum(sum(i * g for i in range(1, 1001)) for g in range(64))
    assert "go: goroutines=64 sum=%d" % sums in b.output, b.output[-3000:]
    assert "go: counter=16000" in b.output


@pytest.mark.parametrize("smp", [1, 2])
def test_go_async_preemption(boot, tmp_path, smp):
    """With one P, a goroutine spinning without calls gives the CPU back
    only when Go's sysmon preempts it: tgkill(SIGURG) to the spinning
    thread, delivery by interrupt (or the reschedule IPI on two CPUs), Go's
    handler on its sigaltstack, rt_sigreturn. sysmon's 10 ms needs
    clock_gettime and nanosleep (the time calls)."""
    b = run(boot, tmp_path, go_prog(), args="preempt", kopts="--strace", smp=smp, status=0, memory="256M",
            timeout=60)
    assert "go: preempted=yes" in b.output, b.output[-3000:]
    assert re.search(r"strace: tgkill\(0x2, 0x[0-9a-f]+, 0x17,", b.output)
    assert "strace: rt_sigreturn(" in b.output
