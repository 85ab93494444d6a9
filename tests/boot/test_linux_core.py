"""The Linux ABI's core (issue 20, docs/linux-abi.md): static x86-64 Linux
executables from a cpio initrd run in ring 3. Programs of ours
(tests/linux/core_*.c) are built here with musl-gcc -static, gcc -static
and gcc -static -nostdlib; each checks from inside what it was given
(its privilege level, auxv, argv/envp, memory calls, EFAULT) and reports
through its exit status, which the kernel turns into QEMU's. Faults must
end the program with the kernel's SIGSEGV line and status 139 while the
kernel powers off normally; Debian's busybox-static runs echo and true."""

import os
import re
import shutil
import subprocess

import pytest

import fs_images as fi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "tests", "linux")
OUT = os.path.join(ROOT, "build", "linux-tests")
BUSYBOX = "/bin/busybox"

BUILDS = {
    "musl": ["musl-gcc", "-static", "-O1"],
    "glibc": ["gcc", "-static", "-O1"],
    "pie": ["gcc", "-static-pie", "-fPIE", "-O1"],  # Debian's musl-gcc -static-pie asks for an interpreter
}


def build(src, flavour, extra=()):
    os.makedirs(OUT, exist_ok=True)
    exe = os.path.join(OUT, "%s-%s" % (os.path.splitext(src)[0], flavour))
    cmd = (["gcc", "-static", "-nostdlib", "-O1"] if flavour == "bare" else BUILDS[flavour]) + list(extra)
    subprocess.run(cmd + ["-o", exe, os.path.join(SRC, src)], check=True)
    return exe


def initrd(tmp_path, files):
    """A cpio archive holding files ({guest path: host file})."""
    tree = tmp_path / "tree"
    for guest, host in files.items():
        dst = tree / guest.lstrip("/")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(host, dst)
    return fi.cpio_newc(str(tree), str(tmp_path / "initrd.cpio"))


def run(boot, tmp_path, exe, args="", kopts="", status=0, smp=1, guest="/bin/prog", preset="microvm", extra=()):
    """Boots with exe at guest and checks the program's exit status: the
    kernel's power-off line carries all 8 bits, QEMU's isa-debug-exit code
    the low 7 ((status << 1) | 1 in an 8-bit process status)."""
    archive = initrd(tmp_path, {guest: exe})
    cmdline = ("%s -- %s %s" % (kopts, guest, args)).strip()
    b = boot(cmdline, app="hello", smp=smp, preset=preset, extra=["-initrd", archive] + list(extra))
    assert "kestrel: power off, status %d\n" % status in b.output + "\n", b.output[-2000:]
    assert b.status == status & 0x7f, "qemu status %r, want %d" % (b.status, status & 0x7f)
    return b


@pytest.mark.parametrize("flavour", ["bare", "musl", "glibc"])
def test_runs_in_ring3(boot, tmp_path, flavour):
    """The program's CS says ring 3 (exit status = CPL)."""
    if flavour == "bare":
        b = run(boot, tmp_path, build("core_bare.c", "bare"), status=3)
        assert "bare: hello from a program without libc" in b.output
    else:
        b = run(boot, tmp_path, build("core_check.c", flavour), "cpl", status=3)
        assert "cpl 3" in b.output


@pytest.mark.parametrize("flavour", ["musl", "glibc", "pie"])
def test_auxv_argv_env(boot, tmp_path, flavour):
    exe = build("core_check.c", flavour)
    b = run(boot, tmp_path, exe, "auxv 'two words' x=y",
            kopts="--env=KESTREL_TEST='a b=c' --env=SECOND=2", status=0)
    assert "argc 4: [/bin/prog] [auxv] [two words] [x=y]" in b.output
    assert "env [KESTREL_TEST=a b=c]" in b.output and "env [SECOND=2]" in b.output


@pytest.mark.parametrize("flavour", ["musl", "glibc"])
def test_memory_calls(boot, tmp_path, flavour):
    """mmap/munmap/mprotect/mremap/madvise/brk, EFAULT from a wild write()
    buffer, ENOSYS for an unknown number (checked inside, status 0)."""
    b = run(boot, tmp_path, build("core_check.c", flavour), "memory", status=0)
    assert "memory done, 0" in b.output
    assert len(re.findall(r"unknown system call 1000: ENOSYS", b.output)) == 1
    assert len(re.findall(r"unknown system call \d+: ENOSYS \(numbers from 1024 up", b.output)) == 1


@pytest.mark.parametrize("what,sig,addr", [
    ("kernel", "SIGSEGV", "0x100000"), ("readonly", "SIGSEGV", None), ("null", "SIGSEGV", "0x8"),
    ("protnone", "SIGSEGV", None), ("jump0", "SIGSEGV", "0x0"), ("kstack", "SIGSEGV", "0x400000001000"),
    ("hlt", "SIGSEGV", "0x0"), ("ud2", "SIGILL", None), ("div0", "SIGFPE", None)])
def test_fault_is_fatal_signal(boot, tmp_path, what, sig, addr):
    """A write to the kernel's memory or its thread stacks, to a PROT_READ
    page, to page 0, a read of a PROT_NONE page, a jump to 0, a privileged
    or undefined instruction, a division by zero: the signal Linux raises,
    status 128+sig, and the kernel powers off cleanly."""
    number = {"SIGSEGV": 11, "SIGILL": 4, "SIGFPE": 8}[sig]
    b = run(boot, tmp_path, build("core_check.c", "musl"), "fault " + what, status=128 + number)
    m = re.search(r"app: %s at (0x[0-9a-f]+), rip (0x[0-9a-f]+)\n" % sig, b.output)
    assert m, b.output[-2000:]
    if addr:
        assert m.group(1) == addr
    assert "panic" not in b.output.lower()


@pytest.mark.parametrize("cpu", ["qemu64", "max"])
def test_sse(boot, tmp_path, cpu):
    """Floating point in the program: FXSAVE on qemu64, XSAVE (AVX) on max."""
    b = run(boot, tmp_path, build("core_check.c", "glibc"), "sse", kopts="--strace", status=0,
            extra=["-cpu", cpu])
    assert "sse 3.375" in b.output
    assert ("fpu state by xsave" if cpu == "max" else "fpu state by fxsave (512 bytes)") in b.output


def test_smp_q35(boot, tmp_path):
    """Two CPUs (TLB shootdowns on munmap/mprotect) on q35 and -cpu max."""
    b = run(boot, tmp_path, build("core_check.c", "glibc"), "memory", status=0, smp=2, preset="q35",
            extra=["-cpu", "max"])
    assert "memory done, 0" in b.output


def test_strace(boot, tmp_path):
    b = run(boot, tmp_path, build("core_bare.c", "bare"), kopts="--strace", status=3)
    assert re.search(r"strace: write\(0x1, 0x[0-9a-f]+, 0x28, .*\) = 40\n", b.output)
    assert "strace: exit status 3" in b.output


def test_missing_and_dynamic(boot, tmp_path):
    exe = build("core_check.c", "musl")
    archive = initrd(tmp_path, {"/bin/prog": exe, "/bin/dyn": "/bin/true"})
    b = boot("-- /bin/none", app="hello", expect_status=127, extra=["-initrd", archive])
    assert "no such file" in b.output
    assert "cannot run /bin/none" in b.output
    b = boot("-- /bin/dyn", app="hello", expect_status=126, extra=["-initrd", archive])
    # A dynamic program whose dynamic linker the image lacks (tests/boot/test_linux_dynamic.py runs them).
    assert "needs its interpreter /lib64/ld-linux-x86-64.so.2: not in the image" in b.output
    b = boot("--cwd=/nowhere -- /bin/prog", app="hello", expect_status=126, extra=["-initrd", archive])
    assert "--cwd=/nowhere is not a directory" in b.output
    b = boot("--cwd=/bin -- /bin/prog cpl", app="hello", expect_status=3, extra=["-initrd", archive])


def test_busybox_echo_and_true(boot, tmp_path):
    b = run(boot, tmp_path, BUSYBOX, "echo hi from busybox", status=0, guest="/bin/busybox")
    assert "\nhi from busybox\n" in b.output.replace("\r", "")
    run(boot, tmp_path, BUSYBOX, "true", status=0, guest="/bin/busybox")
    run(boot, tmp_path, BUSYBOX, "false", status=1, guest="/bin/busybox")


@pytest.mark.parametrize("args", [["seq", "1", "3", "12"], ["basename", "/a/b/c.txt", ".txt"]])
def test_busybox_matches_host(boot, tmp_path, args):
    """Applets that need no files print what the same binary prints on the host."""
    want = subprocess.run([BUSYBOX] + args, capture_output=True, text=True, check=True).stdout
    b = run(boot, tmp_path, BUSYBOX, " ".join(args), status=0, guest="/bin/busybox")
    out = b.output.replace("\r", "")
    assert "\n" + want in out


def test_busybox_from_grub_module(boot, tmp_path):
    """GRUB puts the multiboot2 module right after the kernel, over the
    frames a program linked at 0x400000 needs: the kernel moves it up
    first, and busybox runs from it."""
    root = tmp_path / "iso"
    (root / "boot" / "grub").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "build", "app-hello.elf"), root / "boot" / "kestrel.elf")
    initrd(tmp_path, {"/bin/busybox": BUSYBOX})
    shutil.copy(tmp_path / "initrd.cpio", root / "boot" / "initrd.cpio")
    (root / "boot" / "grub" / "grub.cfg").write_text(
        "set timeout=0\nserial --unit=0 --speed=115200\nterminal_output serial\n"
        "menuentry kestrel {\n  multiboot2 /boot/kestrel.elf --verbose -- /bin/busybox echo grub ok\n"
        "  module2 /boot/initrd.cpio initrd\n  boot\n}\n")
    iso = tmp_path / "k.iso"
    r = subprocess.run(["grub-mkrescue", "-o", str(iso), str(root)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    b = boot("", app=None, preset="pc", memory="256M", expect_status=0, extra=["-cdrom", str(iso)])
    m = re.search(r"boot: module 0 at (0x[0-9a-f]+)", b.output)
    assert m and int(m.group(1), 16) >= 0x4000000, b.output[-3000:]
    assert "\ngrub ok\n" in b.output.replace("\r", "")
