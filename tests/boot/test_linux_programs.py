"""Unmodified static Linux programs on Kestrel (issue 20): Debian's
busybox-static applets and busybox's own bc/dc testsuite, Go's standard-
library tests, a Go program and C programs of ours (glibc and musl), each
started as scripts/run --exec does (an initrd holding the program at its
host path, `-- PATH ARGS` on the command line). Every output is compared
with the same binary run on this host, or with the expected results busybox
ships; hostile programs must end as Linux ends them (signal status 128+N or
an error), within a time-out.

The programs are built by tests/linux/build (make linux-programs) into
build/linux. The slow suites (Go's tests, busybox's testsuite, the applets)
run on microvm; the programs of ours run on microvm, q35 and the vmware
dress."""

import gzip
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import time
import zlib

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import kestrel_initrd as ki  # noqa: E402
import kestrel_qemu as kq  # noqa: E402

OUT = os.path.join(ROOT, "build", "linux")
KERNEL = os.path.join(ROOT, "build", "app-hello.elf")  # what build/kestrel.elf is
BUSYBOX = "/bin/busybox"
PRESETS = ["microvm", "q35", "vmware"]
LIBCS = ["glibc", "musl"]
# Lines the kernel prints on the console (subsystem tags); the rest is the program's.
KERNEL_LINE = re.compile(r"^(memory|firmware|platform|clock|timer|smp|fs|initrd|kestrel|app|linux|exec|strace|"
                         r"net|pci|virtio[\w-]*|blk|nvme|pvscsi|scsi|ahci|vmxnet3|e1000|rng|acpi|xen|cloud|"
                         r"console|boot|panic|warning|uaccess|syscall|proc|signal|thread|mm|vm|block|part|ext4|bcache|dhcp|"
                         r"ip|lwip|cpu|fpu|xsave|apic|ioapic|hpet|pit|rtc|smbios|mptable|fw_cfg|kvm|hyperv|vmware|virtualbox|"
                         r"qemu-system-x86_64): ")

# Go standard-library tests left out by name, and why (Go 1.19 has no
# -test.skip: the rest are selected by -test.run).
GO_SKIPS = {
    "sync": {"TestMutexMisuse": "re-executes the test binary (fork/exec: ENOSYS in part 1)"},
    "os": {
        "TestStartProcess": "starts a process (fork/exec)",
        "TestKillStartProcess": "starts a process (fork/exec)",
        "TestGetppid": "re-executes the test binary (fork/exec)",
        "TestHostname": "runs /bin/hostname (fork/exec)",
        "TestStatStdin": "re-executes the test binary (fork/exec)",
        "TestStdPipe": "re-executes the test binary (fork/exec)",
        "TestReadNonblockingFd": "re-executes the test binary (fork/exec)",
        "TestExecutable": "re-executes the test binary (fork/exec)",
        "TestExecutableDeleted": "builds and runs a program (go tool, fork/exec)",
        "TestErrProcessDone": "builds and starts a program (go tool, fork/exec)",
        "TestKillFindProcess": "starts a process (fork/exec)",
        "TestRemoveAllLongPath": "a working directory 4141 bytes below / (over PATH_MAX): Kestrel keeps the "
                                 "working directory as a path of at most 4096 bytes, Linux as a dentry",
    },
    "time": {"TestLoadLocationFromTZData": "reads $GOROOT/lib/time/zoneinfo.zip, which Debian's Go does not "
                                           "ship (fails on the host too)"},
}
# Tests the guest may pass although the host skips them, and why.
GO_GUEST_ONLY = {
    "os": {"TestTTYClose": "opens /dev/tty: the guest's console is its terminal, while the host's test runner "
                           "may have none (skipped there)"},
}
GO_PACKAGES = ["sync", "sort", "strings", "strconv", "bytes", "time", "math", "os", "io/fs"]


@pytest.fixture(scope="module", autouse=True)
def programs(request):
    """Builds the programs once, and prints how long this file's tests took."""
    started = time.monotonic()
    subprocess.run(["make", "-s", "-C", ROOT, "kernel", "linux-programs"], check=True)
    yield
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    if tr:
        tr.write_line("test_linux_programs: %.0f s" % (time.monotonic() - started))


def prog(name):
    return os.path.join(OUT, name)


def data_tree(root):
    """The tree the file programs work on, the same bytes every run."""
    rnd = random.Random(20)
    d = os.path.join(root, "data")
    os.makedirs(os.path.join(d, "sub"))
    os.makedirs(os.path.join(root, "tmp"))
    files = {
        "hello.txt": b"hello, world\n",
        "sub/a": b"a\n",
        "big": rnd.randbytes(100000),
        "words.txt": "\n".join(rnd.choice(["kestrel", "falcon", "osprey", "harrier", "merlin", "hobby"]) +
                               str(rnd.randrange(100)) for _ in range(500)).encode() + b"\n",
        "nums.txt": "\n".join(str(rnd.randrange(-10 ** 6, 10 ** 6)) for _ in range(300)).encode() + b"\n",
        "text.txt": b"".join(b"line %d: %s\n" % (i, b"the quick brown fox " * (i % 7)) for i in range(2000)),
        "calc.bc": b"scale=40\n4*a(1)\nsqrt(2)\ne(1)\n2^100\n(17^23) % 1000003\nl(10)\n",
    }
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    os.symlink("hello.txt", os.path.join(d, "link"))
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)
            os.utime(os.path.join(dirpath, n), (0, 0))
    return root


def run_guest(boot, tmp_path, program, args=(), files=None, kopts=(), preset="microvm", timeout=120,
              expect_status=None, memory="256M", smp=1):
    initrd = ki.write_initrd(str(tmp_path / ("initrd-%d.cpio" % time.monotonic_ns())), program, files)
    cmdline = ki.exec_cmdline(list(kopts), program, list(args))
    b = boot(cmdline, app="hello", preset=preset, memory=memory, smp=smp, timeout=timeout,
             extra=["-initrd", initrd])
    # full_status: 128+N after signal N, and the status of an ACPI power-off (vmware) from the kernel's line.
    if expect_status is not None:
        assert b.full_status == expect_status, "status %r (qemu %d), want %d; log: %s\n%s" % (
            b.full_status, b.qemu_rc, expect_status, b.log, b.output[-3000:])
    return b


def program_lines(b):
    return [t for _, t in b.lines if not KERNEL_LINE.match(t)]


def run_host(program, args=(), cwd=None, env=None, timeout=120):
    r = subprocess.run([program] + list(args), cwd=cwd, env=env, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace").splitlines()


def assert_same(guest, host, b):
    assert guest == host, "guest output differs from the host's; log: %s\nguest: %s\nhost: %s" % (
        b.log, guest[:60], host[:60])


# ---- C programs of ours, glibc and musl ----

ODD_ARGS = ["", "two words", "it's", 'say "hi"', "ünïcødé", "--preset", "-", "$HOME", "a=b", "*", "x\\y"]


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("libc", LIBCS)
def test_argv_env_auxv(boot, tmp_path, preset, libc):
    """argv unchanged (spaces, quotes, empty, UTF-8), --env, --cwd, the
    auxiliary vector, and the exit status."""
    p = prog("argv-" + libc)
    tree = data_tree(str(tmp_path / "tree"))
    env = ["GREETING=hello world", "X=1", "ARGV_EXIT=42"]
    b = run_guest(boot, tmp_path, p, ODD_ARGS, files=tree, preset=preset, expect_status=42,
                  kopts=["--env=" + e for e in env] + ["--cwd=/data"])
    out = program_lines(b)
    code, host = run_host(p, ODD_ARGS, cwd=os.path.join(tree, "data"), env=dict(x.split("=", 1) for x in env))
    assert code == 42
    want_argv = [l for l in host if l.startswith("argv") or l.startswith("argc")]
    assert [l for l in out if l.startswith("argv") or l.startswith("argc")] == want_argv, b.log
    guest_env = [l.split("=", 1)[1] for l in out if l.startswith("env[")]
    assert [e for e in guest_env if e in env] == env, "environment %r; log %s" % (guest_env, b.log)
    assert "cwd=/data" in out, b.log
    assert "auxv pagesz=4096 phent=56 phnum_nonzero=1 entry_nonzero=1 random=1 execfn=%s" % p in out, b.log
    assert "ids uid=0 euid=0 gid=0 egid=0 secure=0" in out, b.log


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("libc", LIBCS)
def test_files(boot, tmp_path, preset, libc):
    """open/read/write/lseek/pread/pwrite/readv/writev/stat/getdents/dup/
    fcntl/pipe2/sendfile/rename/unlink/mkdir/readlink and their errors on
    the initrd's ramfs: the transcript equals the host's on the same tree."""
    p = prog("files-" + libc)
    tree = data_tree(str(tmp_path / "tree"))
    b = run_guest(boot, tmp_path, p, ["/"], files=tree, preset=preset, expect_status=0)
    code, host = run_host(p, [tree])
    assert code == 0
    assert_same(program_lines(b), host, b)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("libc", LIBCS)
def test_threads(boot, tmp_path, preset, libc):
    """8 pthreads: mutex, condition variables, barrier, TLS, joins."""
    p = prog("threads-" + libc)
    b = run_guest(boot, tmp_path, p, preset=preset, expect_status=0, smp=2 if preset == "q35" else 1)
    code, host = run_host(p)
    assert code == 0
    assert_same(program_lines(b), host, b)


@pytest.mark.parametrize("preset,smp", [("microvm", 1), ("q35", 2)])
def test_events(boot, tmp_path, preset, smp):
    """poll/ppoll/select/pselect6 and epoll (level, edge, one-shot, nested,
    registrations gone with their file's last close) over pipes, eventfds
    and timerfds; time-outs and timers measured on the guest's clock;
    signals cutting waits short and the sigmask arguments: the transcript
    equals the host's (times only as in-range verdicts)."""
    p = prog("events")
    b = run_guest(boot, tmp_path, p, preset=preset, smp=smp, expect_status=0, timeout=120)
    code, host = run_host(p)
    assert code == 0, host
    assert_same(program_lines(b), host, b)
    assert "events done, failures 0" in program_lines(b)


def test_events_hostile(boot, tmp_path):
    """The event calls with bad pointers, huge maxevents and nfds, negative
    and malformed time-outs, wrong kinds of descriptor: the errors Linux
    gives on this host, never a kernel fault."""
    p = prog("events")
    b = run_guest(boot, tmp_path, p, ["hostile"], expect_status=0, timeout=120)
    code, host = run_host(p, ["hostile"])
    assert code == 0
    guest = program_lines(b)
    diff = [(g, h) for g, h in zip(guest, host) if g != h]
    assert guest == host, "calls that differ from Linux (guest, host): %s; log %s" % (diff[:30], b.log)


@pytest.mark.parametrize("preset", PRESETS)
def test_go_program(boot, tmp_path, preset):
    """Goroutines, channels, timers, os.ReadFile, runtime.GC()."""
    tree = data_tree(str(tmp_path / "tree"))
    b = run_guest(boot, tmp_path, prog("gohello"), ["/data/text.txt"], files=tree, preset=preset,
                  expect_status=3, timeout=180, smp=2 if preset == "q35" else 1)
    code, host = run_host(prog("gohello"), [os.path.join(tree, "data/text.txt")])
    assert code == 3
    assert_same(program_lines(b), host, b)


# Go's os tests of files its netpoller serves (pipes, deadlines, blocking
# reads cut short by a close): asserted on their own, on two dresses (the
# whole os package runs in test_go_std on microvm).
GO_OS_NETPOLL = "^Test(PipeThreads|NewFile|EPIPE|ClosedPipeRace|CloseWithBlockingRead|PipeEOF|FdRace|" \
                "NonpollableDeadline|VariousDeadlines|ReadWriteDeadlineRace|Racy)"


@pytest.mark.parametrize("preset,smp", [("microvm", 1), ("q35", 2)])
def test_go_os_netpoll(boot, tmp_path, preset, smp):
    """Go's netpoller over pipes (epoll, edge-triggered, deadlines): the
    same os tests pass as on the host, none fails."""
    binary = prog("gostd/os.test")
    args = ["-test.short", "-test.v", "-test.run", GO_OS_NETPOLL]
    code, host = run_host(binary, args, env={"HOME": "/"})
    host_pass, host_fail = go_counts(host)
    assert code == 0 and not host_fail and len(host_pass) >= 14, host
    tree = tmp_path / "tree"
    os.makedirs(tree / "tmp")  # TestNonpollableDeadline: a regular file epoll refuses (EPERM)
    b = run_guest(boot, tmp_path, binary, args, files=str(tree), kopts=["--env=HOME=/"], preset=preset,
                  smp=smp, expect_status=0, timeout=180)
    passed, failed = go_counts(program_lines(b))
    assert not failed and sorted(passed) == sorted(host_pass), "guest passed %s, failed %s; log %s" % (
        passed, failed, b.log)


# ---- busybox-static applets, compared with the same binary on the host ----

APPLETS = {
    "ls": ["ls", "-1Rp", "data"],
    "cat": ["cat", "data/hello.txt", "data/text.txt"],
    "sha256sum": ["sha256sum", "data/big", "data/text.txt", "data/words.txt"],
    "sort": ["sort", "data/words.txt"],
    "sort-n": ["sort", "-n", "-r", "data/nums.txt"],
    "wc": ["wc", "data/text.txt", "data/big", "data/words.txt"],
    "bc": ["bc", "-l", "data/calc.bc"],
    "dc": ["dc", "-e", "2 100 ^ p 7 3 / p 10 k 2 v p"],
    "find": ["find", "data", "-type", "f"],
    "gunzip": ["gunzip", "-c", "data/text.txt.gz"],
    "date": ["date", "-u", "-d", "@1234567890"],
}
# find prints in directory order, which is the file system's: compared sorted.
UNORDERED = {"find"}


@pytest.fixture(scope="module")
def bb_tree(tmp_path_factory):
    tree = data_tree(str(tmp_path_factory.mktemp("bb") / "tree"))
    with open(os.path.join(tree, "data/text.txt"), "rb") as f, \
            open(os.path.join(tree, "data/text.txt.gz"), "wb") as out:
        out.write(subprocess.run([BUSYBOX, "gzip", "-c"], stdin=f, capture_output=True, check=True).stdout)
    return tree


def applet_params():
    for name in APPLETS:
        for preset in PRESETS:
            # Every applet on microvm; two of them on the other dresses.
            if preset == "microvm" or name in ("sha256sum", "sort"):
                yield pytest.param(name, preset, id="%s-%s" % (name, preset))


@pytest.mark.parametrize("name,preset", list(applet_params()))
def test_busybox_applet(boot, tmp_path, bb_tree, name, preset):
    args = APPLETS[name]
    b = run_guest(boot, tmp_path, BUSYBOX, args, files=bb_tree, preset=preset, expect_status=0)
    code, host = run_host(BUSYBOX, args, cwd=bb_tree)
    assert code == 0
    guest = program_lines(b)
    if name in UNORDERED:
        guest, host = sorted(guest), sorted(host)
    assert_same(guest, host, b)


def test_busybox_date_is_now(boot, tmp_path):
    """The guest's wall clock (clock_gettime REALTIME) agrees with the host's."""
    b = run_guest(boot, tmp_path, BUSYBOX, ["date", "-u", "+%s"], expect_status=0)
    nums = [int(l) for l in program_lines(b) if l.strip().isdigit()]
    assert len(nums) == 1, b.log
    assert abs(nums[0] - time.time()) < 120, "guest time %d, host %d" % (nums[0], time.time())


def raw_console(cmd, timeout):
    """QEMU's serial output as bytes (the UART sends \\r before every \\n)."""
    r = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.replace(b"\r\n", b"\n")


def test_busybox_gzip_round_trip(tmp_path, bb_tree):
    """gzip in the guest (its compressed bytes off the console) gives back
    the file and the very bytes the host's gzip makes; gunzip in the guest
    of the host's archive is test_busybox_applet[gunzip]."""
    src = os.path.join(bb_tree, "data/text.txt")
    initrd = ki.write_initrd(str(tmp_path / "initrd.cpio"), BUSYBOX, bb_tree)
    cmd = kq.qemu_command("microvm", KERNEL, ki.exec_cmdline([], BUSYBOX, ["gzip", "-c", "-9", "data/text.txt"]),
                          memory="256M", extra=["-initrd", initrd])
    rc, out = raw_console(cmd, 120)
    assert kq.app_status(rc) == 0, out[-2000:]  # microvm: isa-debug-exit carries 0
    start = out.find(b"\x1f\x8b\x08")
    assert start >= 0, "no gzip stream on the console: %r" % out[-2000:]
    d = zlib.decompressobj(wbits=31)
    with open(src, "rb") as f:
        original = f.read()
    assert d.decompress(out[start:]) == original
    stream = out[start:len(out) - len(d.unused_data)]
    host = subprocess.run([BUSYBOX, "gzip", "-c", "-9", "data/text.txt"], cwd=bb_tree, capture_output=True,
                          check=True).stdout
    assert stream == host
    assert gzip.decompress(stream) == original


# ---- busybox's own testsuite (Debian's source package) ----

def suite_cases(kind):
    d = os.path.join(OUT, "busybox-src", "testsuite")
    pat = {"bc": r"^bc_.*\.bc$", "dc": r"^dc_.*\.dc$", "dcx": r"^dcx_.*\.dc$"}[kind]
    cases = []
    for f in sorted(os.listdir(d)):
        res = re.sub(r"\.(bc|dc)$", "_results.txt", f)
        if re.match(pat, f) and os.path.exists(os.path.join(d, res)):
            cases.append((f, res))
    return d, cases


def expected_lines(d, group):
    want = []
    for _, res in group:
        with open(os.path.join(d, res), "rb") as fh:
            want += fh.read().decode().splitlines()
    return want


def suite_groups(d, cases, flags, tree):
    """Files run together as long as the host's busybox gives exactly their
    expected results that way (a file that halts, quits or leaves settings
    behind starts a group of its own): fewer boots, the same checks."""
    groups, cur = [], []
    for case in cases:
        trial = cur + [case]
        code, out = run_host(BUSYBOX, flags + ["t/" + f for f, _ in trial], cwd=tree)
        if code == 0 and out == expected_lines(d, trial):
            cur = trial
            continue
        if cur:
            groups.append(cur)
        cur = [case]
    return groups + ([cur] if cur else [])


@pytest.mark.parametrize("kind", ["bc", "dc", "dcx"])
def test_busybox_testsuite(boot, tmp_path, kind):
    """testsuite/{bc,dc}_*: `bc -lq FILE`, `dc FILE`, `dc -x FILE` against
    FILE_results.txt, as testsuite/bc.tests and dc.tests run them (several
    files per boot: the host run proves the grouping changes nothing)."""
    d, cases = suite_cases(kind)
    assert len(cases) >= (20 if kind == "bc" else 1)
    flags = {"bc": ["bc", "-lq"], "dc": ["dc"], "dcx": ["dc", "-x"]}[kind]
    tree = tmp_path / "tree"
    os.makedirs(tree / "t")
    for f, res in cases:
        shutil.copy(os.path.join(d, f), tree / "t" / f)
    groups = suite_groups(d, cases, flags, str(tree))
    print("%s: %d files in %d boots" % (kind, len(cases), len(groups)))
    for group in groups:
        args = flags + ["t/" + f for f, _ in group]
        want = expected_lines(d, group)
        code, host = run_host(BUSYBOX, args, cwd=str(tree))
        assert (code, host) == (0, want), "%s fails on the host" % args
        b = run_guest(boot, tmp_path, BUSYBOX, args, files=str(tree), expect_status=0, timeout=300)
        assert_same(program_lines(b), want, b)


# ---- Go's standard-library tests ----

def go_run_regex(test_binary, skips):
    """A -test.run pattern selecting every test but skips: prefixes that no
    skipped name shares (the kernel's command line is short)."""
    names = subprocess.run([test_binary, "-test.list", "."], capture_output=True, text=True,
                           check=True).stdout.split()
    keep = set()
    for n in names:
        if n in skips:
            continue
        for i in range(1, len(n) + 1):
            p = n[:i]
            if not any(s.startswith(p) for s in skips):
                keep.add(p)
                break
        else:
            keep.add(n + "$")
    pref = sorted(k for k in keep if not any(o != k and k.startswith(o.rstrip("$")) and not o.endswith("$")
                                             for o in keep))
    return "^(" + "|".join(pref) + ")"


def go_counts(lines):
    passed = [l.split()[2] for l in lines if re.match(r"^\s*--- PASS: ", l)]
    failed = [l.split()[2] for l in lines if re.match(r"^\s*--- FAIL: ", l)]
    return passed, failed


def system_tree(tree):
    """What Go's os tests read of a Linux system: /etc/group, hosts and
    passwd (TestStat, TestFileReaddir...: sysdir), and a /usr/bin of many
    entries (TestReaddirnamesOneAtATime, TestChdirAndGetwd); the files
    scripts/run gives a dynamic program, and empty programs."""
    for name, data in ki.ETC_FILES.items():
        os.makedirs(os.path.dirname(os.path.join(tree, name)), exist_ok=True)
        with open(os.path.join(tree, name), "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(tree, "usr/bin"))
    for i in range(150):
        path = os.path.join(tree, "usr/bin/prog-%03d" % i)
        open(path, "wb").close()
        os.chmod(path, 0o755)


@pytest.mark.parametrize("pkg", GO_PACKAGES)
def test_go_std(boot, tmp_path, pkg):
    """`go test -c` binaries of Go's own tests with -test.short -test.v, in
    the package's source directory (its testdata) as go test runs them:
    the same tests pass as on the host, none fails."""
    binary = prog("gostd/%s.test" % pkg.replace("/", "_"))
    skips = GO_SKIPS.get(pkg, {})
    args = ["-test.short", "-test.v"]
    if skips:
        args += ["-test.run", go_run_regex(binary, skips)]
    srcdir = os.path.realpath(os.path.join(subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True,
                                                          check=True).stdout.strip(), "src", pkg))
    tree = tmp_path / "tree"
    shutil.copytree(srcdir, str(tree) + srcdir, symlinks=True)
    os.makedirs(tree / "tmp")
    if pkg == "os":
        system_tree(str(tree))
    host_tmp = tmp_path / "host-tmp"
    os.makedirs(host_tmp)
    code, host = run_host(binary, args, cwd=srcdir, env={"TMPDIR": str(host_tmp), "HOME": "/"}, timeout=600)
    host_pass, host_fail = go_counts(host)
    assert code == 0 and not host_fail, "fails on the host: %s" % host_fail
    b = run_guest(boot, tmp_path, binary, args, files=str(tree), kopts=["--cwd=" + srcdir, "--env=HOME=/"],
                  timeout=900)
    out = program_lines(b)
    passed, failed = go_counts(out)
    print("%s: %d tests passed (host %d), %d skipped by name" % (pkg, len(passed), len(host_pass), len(skips)))
    assert not failed, "failed in the guest: %s; log %s" % (failed, b.log)
    extra = set(passed) - set(host_pass) - set(GO_GUEST_ONLY.get(pkg, {}))
    assert set(host_pass) <= set(passed) and not extra, "passed %d, host %d; not in the guest %s, only in the " \
        "guest %s; log %s" % (len(passed), len(host_pass), sorted(set(host_pass) - set(passed)), sorted(extra), b.log)
    assert out and out[-1] == "PASS" and b.full_status == 0, b.log


# ---- hostile programs ----

def signal_line(b):
    return [t for _, t in b.lines if t.startswith("app: SIG")]


HOSTILE_MEMORY = [("kwrite", "0x100000"), ("kwrite", "0xffffffff81000000"), ("kwrite", "0xfee00000"),
                  ("kread", "0x100000"), ("jump", "0"), ("jump", "0x100000")]


def hostile_memory_params():
    # Every address on microvm; the kernel's text and address 0 on the others.
    for preset in PRESETS:
        for mode, addr in HOSTILE_MEMORY:
            if preset == "microvm" or addr in ("0x100000", "0"):
                yield pytest.param(preset, mode, addr, id="%s-%s-%s" % (preset, mode, addr))


@pytest.mark.parametrize("preset,mode,addr", list(hostile_memory_params()))
def test_hostile_memory(boot, tmp_path, preset, mode, addr):
    """Touching the kernel's text, Linux's kernel half, the local APIC's
    registers or address 0 kills the program with SIGSEGV (139) and says so;
    the kernel powers off cleanly."""
    b = run_guest(boot, tmp_path, prog("hostile"), [mode, addr], preset=preset, expect_status=139, timeout=60)
    assert signal_line(b) and "SIGSEGV" in signal_line(b)[0], b.log
    assert not [t for _, t in b.lines if "panic" in t.lower()], b.log


def test_hostile_abort(boot, tmp_path):
    b = run_guest(boot, tmp_path, prog("hostile"), ["abort"], expect_status=134, timeout=60)


def test_hostile_bad_pointers(boot, tmp_path):
    """Every pointer-taking call with six bad addresses: the error Linux
    gives on this host (EFAULT, or the check Linux makes first), never a
    kernel fault."""
    b = run_guest(boot, tmp_path, prog("hostile"), ["badptr"], expect_status=0, timeout=120)
    code, host = run_host(prog("hostile"), ["badptr"])
    assert code == 0
    guest = program_lines(b)
    diff = [(g, h) for g, h in zip(guest, host) if g != h]
    assert guest == host, "calls that differ from Linux (guest, host): %s; log %s" % (diff[:30], b.log)


def test_hostile_unknown_syscalls(boot, tmp_path):
    b = run_guest(boot, tmp_path, prog("hostile"), ["enosys"], expect_status=0, timeout=60)
    out = program_lines(b)
    rows = [l for l in out if l.startswith("syscall ")]
    assert len(rows) == 6 and all(l.endswith("rc -1 errno 38") for l in rows), b.log
    assert "still alive: pid>0 1" in out


def test_hostile_10000_threads(boot, tmp_path):
    """10,000 threads alive at once: all made and joined, or creation
    refused with EAGAIN/ENOMEM as Linux refuses past its limits."""
    b = run_guest(boot, tmp_path, prog("hostile"), ["threads", "10000"], expect_status=0, timeout=600,
                  memory="1G")
    m = [re.match(r"threads: created (\d+) of 10000, joined (\d+), create error (\d+)", l) for l in program_lines(b)]
    m = [x for x in m if x]
    assert m, b.log
    made, joined, err = (int(x) for x in m[0].groups())
    print("10000 threads: created %d, joined %d, error %d" % (made, joined, err))
    assert made == joined and made > 0
    assert made == 10000 or err in (11, 12), b.log


def test_hostile_allocate_until_refused(boot, tmp_path):
    """mmap and touch 1 MiB blocks until refused (ENOMEM, status 0) or
    killed as Linux's OOM killer would (SIGKILL, 137); the kernel lives."""
    b = run_guest(boot, tmp_path, prog("hostile"), ["alloc"], timeout=300, memory="128M")
    out = program_lines(b)
    refused = [l for l in out if l.startswith("alloc: refused after")]
    assert (b.full_status == 0 and refused and refused[0].endswith("errno 12")) or b.full_status == 137, b.log
    if b.full_status == 137:
        assert "app: out of memory at" in b.output, b.log  # the kernel's OOM kill, not a stray signal
    assert any(l.startswith("alloc: ") and "MiB" in l for l in out), b.log  # it got some memory first


def test_hostile_overcommit_is_oom_killed(boot, tmp_path):
    """1 GiB mapped (each piece fits, as Linux's heuristic allows) in a
    128 MiB guest, then touched: SIGKILL (137) with the kernel's reason when
    only its reserve is left; never SIGBUS, never a dead kernel."""
    b = run_guest(boot, tmp_path, prog("hostile"), ["overcommit"], timeout=300, memory="128M", expect_status=137)
    out = program_lines(b)
    assert "overcommit: mapped 1024 MiB" in out, b.log
    assert any(l.startswith("overcommit: touched") for l in out), b.log
    assert "app: out of memory at" in b.output, b.log
    assert "kestrel: power off, status 137" in b.output, b.log


# ---- the vDSO ----

VDSO_OK = re.compile(r"vdso: ok mode (\d), vdso (\d+) ns/call, syscall (\d+) ns/call")


VDSO_PROGS = {"glibc": "vdso", "musl": "vdso-musl", "glibc-dynamic": "vdso-dyn-glibc"}


def vdso_run(boot, tmp_path, libc, preset, smp, kopts=()):
    b = run_guest(boot, tmp_path, prog(VDSO_PROGS[libc]), kopts=kopts, preset=preset,
                  smp=smp, expect_status=0, timeout=120)
    m = [VDSO_OK.match(l) for l in program_lines(b)]
    m = [x for x in m if x]
    assert m, b.log
    clock = re.search(r"clock: (\S+),", b.output)
    print("vdso %s %s: clock %s, mode %s, vdso %s ns/call, syscall %s ns/call" % (
        libc, preset, clock and clock.group(1), *m[0].groups()))
    return b, int(m[0].group(1)), clock and clock.group(1)


def libc_time_syscalls(b):
    """clock_gettime/gettimeofday calls --strace saw between the program's two getppid markers."""
    lines = [t for _, t in b.lines if t.startswith("strace: ")]
    marks = [i for i, t in enumerate(lines) if t.startswith("strace: getppid(")]
    assert len(marks) >= 2, b.log
    return [t for t in lines[marks[-2] + 1:marks[-1]] if "clock_gettime(" in t or "gettimeofday(" in t]


@pytest.mark.parametrize("libc,preset,smp", [("glibc", "microvm", 1), ("musl", "q35", 2), ("glibc-dynamic", "microvm", 1)])
def test_vdso(boot, tmp_path, libc, preset, smp):
    """The vDSO by AT_SYSINFO_EHDR with LINUX_2.6 versioned symbols; against
    the system calls: realtime within 1 ms, monotonic never back across 4
    threads; on the TSC it answers in user mode, and the C library uses it."""
    b, mode, clock = vdso_run(boot, tmp_path, libc, preset, smp)
    assert mode == (1 if clock == "tsc" else 0), b.log
    b = run_guest(boot, tmp_path, prog(VDSO_PROGS[libc]), ["libc"], kopts=["--strace"],
                  preset=preset, smp=smp, expect_status=0)
    if mode == 1:
        assert libc_time_syscalls(b) == [], b.log


def test_vdso_go(boot, tmp_path):
    """Go's runtime finds __vdso_clock_gettime by its LINUX_2.6 version: on
    the TSC its time.Now and timers make no clock_gettime system call."""
    b = run_guest(boot, tmp_path, prog("gohello"), ["/nonexistent"], kopts=["--strace"], expect_status=1,
                  timeout=180)
    assert re.search(r"clock: tsc,", b.output), b.log
    calls = [t for _, t in b.lines if t.startswith("strace: ")]
    assert len(calls) > 20, b.log  # it ran, and --strace saw its calls
    assert not [t for t in calls if "clock_gettime(" in t or "gettimeofday(" in t], b.log


def test_vdso_falls_back_off_the_tsc(boot, tmp_path):
    """Another clock source (HPET): the vDSO makes the system calls, and the
    answers are as right."""
    b, mode, clock = vdso_run(boot, tmp_path, "glibc", "q35", 1, kopts=["--clock=hpet"])
    assert clock == "hpet" and mode == 0, b.log
    b = run_guest(boot, tmp_path, prog("vdso"), ["libc"], kopts=["--clock=hpet", "--strace"], preset="q35",
                  expect_status=0)
    assert len(libc_time_syscalls(b)) == 3, b.log


def test_quiet(boot, tmp_path):
    """--quiet (Linux's quiet): the kernel's info lines are gone, its
    warnings stay (rseq, unimplemented, once), the program's output and
    exit status are untouched, and so is the power-off line scripts/run
    reads. Without it the info lines are there: the option is what
    silences them."""
    hello = prog("hello-static")
    loud = run_guest(boot, tmp_path, hello, expect_status=0)
    quiet = run_guest(boot, tmp_path, hello, kopts=["--quiet"], expect_status=0)
    assert any(t.startswith("platform: ") for _, t in loud.lines), loud.log
    text = [t for _, t in quiet.lines if t.strip()]
    assert text == ["warning: linux: system call rseq (334) is not implemented: ENOSYS",
                    "hello from a static Linux program",
                    "kestrel: power off, status 0"], "quiet boot printed %r; log %s" % (text, quiet.log)
    contra = boot("--quiet --verbose", app="hello", timeout=60)
    assert "--verbose and --quiet contradict" in contra.output, contra.log


# ---- scripts/run itself ----

def test_scripts_run_exec(tmp_path):
    """scripts/run --exec: arguments after -- unchanged, --kopt, --files,
    the program's exit status."""
    tree = data_tree(str(tmp_path / "tree"))
    cmd = [os.path.join(ROOT, "scripts", "run"), "--timeout", "120", "--files", tree, "--kopt", "--env=ARGV_EXIT=7",
           "--kopt", "--cwd=/data", "--exec", prog("argv-musl"), "--", "two words", "", "--exec", "it's"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert r.returncode == 7, r.stdout[-2000:] + r.stderr[-2000:]
    for line in ["argc=5", "argv[1]=two words", "argv[2]=", "argv[3]=--exec", "argv[4]=it's", "cwd=/data"]:
        assert line in r.stdout.splitlines(), r.stdout[-2000:]


@pytest.mark.parametrize("arg,why", [("a.b=c", "module parameter"), ("tab\there", "control character")])
def test_scripts_run_refuses_what_the_cmdline_cannot_carry(arg, why):
    r = subprocess.run([os.path.join(ROOT, "scripts", "run"), "--exec", prog("argv-musl"), "--", arg],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 255 and why in r.stderr, r.stderr


# ---- scripts/mkimage --exec: the program on the image's ext4 partition ----

MKIMAGE_BOOTS = {
    # format: (preset, QEMU disk format, the device that attaches it, firmware)
    "raw": ("q35", "raw", ["-device", "virtio-blk-pci,disable-legacy=on,drive=d0,bootindex=0"], "bios"),
    "vmdk": ("vmware", "vmdk", ["-device", "scsi-hd,drive=d0,bus=pvscsi0.0,scsi-id=0,bootindex=0"], "bios"),
    "qcow2": ("q35", "qcow2", ["-device", "virtio-blk-pci,disable-legacy=on,drive=d0,bootindex=0"], "uefi"),
}


@pytest.mark.parametrize("fmt", list(MKIMAGE_BOOTS))
def test_mkimage_exec(boot, tmp_path, bb_tree, fmt):
    """scripts/mkimage --exec busybox --files TREE ... -- sha256sum FILES:
    booted from the disk (Kestrel's BIOS loader or GRUB under OVMF), the
    program and its files come from the ext4 partition; the sums are the
    host's."""
    preset, qfmt, dev, firmware = MKIMAGE_BOOTS[fmt]
    out = tmp_path / ("bb." + fmt)
    args = ["sha256sum", "data/big", "data/text.txt"]
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "mkimage"), "--exec", BUSYBOX, "--files",
                        bb_tree, "--cmdline=--cwd=/", "--size", "64M", "--format", fmt, "-o", str(out),
                        "--"] + args, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    extra = ["-drive", "file=%s,format=%s,if=none,id=d0,snapshot=on" % (out, qfmt)] + dev
    if firmware == "uefi":
        extra = ["-bios", "/usr/share/ovmf/OVMF.fd"] + extra
    # nics: the vmware dress adds no scratch disks then (the image is target 0).
    b = boot("", app=None, preset=preset, memory="256M", timeout=180, extra=extra,
             nics=("user",) if preset == "vmware" else ())
    assert b.full_status == 0, b.log
    code, host = run_host(BUSYBOX, args, cwd=bb_tree)
    assert code == 0
    guest = [l for l in program_lines(b) if re.match(r"^[0-9a-f]{64}  ", l)]
    assert_same(guest, host, b)
