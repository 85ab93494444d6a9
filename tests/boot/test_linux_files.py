"""The Linux ABI's file side (issue 20, docs/linux-abi.md): Debian's
busybox-static reads a tree from the initrd and its output is compared
byte for byte with the same busybox run on the host over the same tree;
tests/linux/files_check.c (musl-gcc and gcc -static) checks every file,
pipe, device, time and information call with Linux's errnos from inside;
/proc, /sys and /dev answer what the machine is."""

import os
import re
import shutil
import subprocess

import pytest

import fs_images as fi
from test_linux_core import build

BUSYBOX = "/bin/busybox"
MTIME = "2024-05-06 07:08:09"


def make_tree(root):
    """The data tree both sides read: text, a bigger file, a symlink, a
    subdirectory, fixed times (ls prints them)."""
    data = os.path.join(root, "data")
    os.makedirs(os.path.join(data, "sub", "deeper"))
    with open(os.path.join(data, "a.txt"), "w") as f:
        f.write("hello\nworld\nabc\n")
    with open(os.path.join(data, "sub", "n.txt"), "w") as f:
        f.write("".join("%d line %d\n" % ((i * 7919) % 1000, i) for i in range(3000)))
    with open(os.path.join(data, "sub", "deeper", "words"), "w") as f:
        f.write("pear\napple\nfig\nbanana\napple\n")
    os.symlink("a.txt", os.path.join(data, "link"))
    for dirpath, dirs, files in os.walk(data):
        for n in files + dirs:
            subprocess.run(["touch", "-h", "-d", MTIME, os.path.join(dirpath, n)], check=True)
    return data


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    if not os.path.exists(BUSYBOX):
        pytest.fail("%s is missing: apt-get install busybox-static (scripts/deps)" % BUSYBOX)
    root = str(tmp_path_factory.mktemp("files"))
    data = make_tree(root)
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "etc"))
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\n")
    shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
    archive = fi.cpio_newc(root, os.path.join(os.path.dirname(root), "files.cpio"))
    return data, archive


def program_output(out):
    """The program's lines: after the kernel's mount lines, before the
    power-off line, without the kernel's not-implemented warnings."""
    lines = out.split("\n")
    start = max(i for i, l in enumerate(lines) if re.match(r"fs: \S+ is \S+ on ", l)) + 1
    end = next(i for i, l in enumerate(lines) if l.startswith("kestrel: power off"))
    return "\n".join(l for l in lines[start:end] if not l.startswith("warning: linux: system call")) + "\n"


def guest(boot, archive, args, cwd="/data", status=0, smp=1):
    b = boot("--cwd=%s -- /bin/busybox %s" % (cwd, args), app="hello", memory="128M", smp=smp,
             extra=["-initrd", archive])
    assert "kestrel: power off, status %d\n" % status in b.output + "\n", b.output[-2000:]
    return program_output(b.output)


def host(data, args):
    env = {"TZ": "UTC", "LANG": "C", "PATH": "/usr/bin:/bin"}
    r = subprocess.run([BUSYBOX] + args.split(), cwd=data, env=env, capture_output=True, check=True)
    return r.stdout.decode()


@pytest.mark.parametrize("args", [
    "cat a.txt link sub/n.txt",
    "sha256sum a.txt sub/n.txt sub/deeper/words",
    "wc sub/n.txt a.txt",
    "sort sub/deeper/words sub/n.txt",
    "head -n 7 sub/n.txt",
    "ls -la a.txt link sub/n.txt",
    "ls -1a . sub",
    "ls -R",
])
def test_busybox_matches_host(boot, tree, args):
    data, archive = tree
    assert guest(boot, archive, args) == host(data, args)


def test_dotdot_names_the_parent(boot, tree):
    """getdents64's ".." carries the parent's inode number (the file
    systems do not list "." and ".."; the descriptor layer adds them)."""
    data, archive = tree
    out = guest(boot, archive, "ls -ai1 . sub")
    ino = {}
    block = None
    for line in out.splitlines():
        if line.endswith(":"):
            block = line[:-1]
        elif line.strip():
            number, name = line.split()
            ino[(block, name)] = int(number)
    assert ino[("sub", "..")] == ino[(".", ".")] != ino[("sub", ".")], out
    assert ino[("sub", ".")] == ino[(".", "sub")], out


def test_busybox_find_matches_host(boot, tree):
    """find walks with getdents64, stat and chdir; directory order is the
    file system's, so the lists are compared sorted."""
    data, archive = tree
    for args in ["find .", "find . -type f -name *.txt", "find sub -type d"]:
        g, h = guest(boot, archive, args), host(data, args)
        assert sorted(g.splitlines()) == sorted(h.splitlines()) and g.strip(), (args, g, h)


@pytest.mark.parametrize("preset", ["microvm", "q35"])
@pytest.mark.parametrize("flavour", ["musl", "glibc"])
def test_files_check(boot, tmp_path, flavour, preset):
    """Every call of the file side with its errno expectations (EFAULT,
    EBADF, getdents64 into 1 byte, a pipe round trip, dup2's shared offset)."""
    exe = build("files_check.c", flavour)
    root = tmp_path / "tree"
    for d in ["bin", "data/sub", "tmp"]:
        (root / d).mkdir(parents=True)
    shutil.copy(exe, root / "bin" / "fc")
    (root / "data" / "a.txt").write_text("hello\nworld\nabc\n")
    os.symlink("a.txt", root / "data" / "link")
    archive = fi.cpio_newc(str(root), str(tmp_path / "fc.cpio"))
    b = boot("-- /bin/fc /tmp", app="hello", memory="128M", preset=preset, smp=2 if preset == "q35" else 1,
             extra=["-initrd", archive])
    out = program_output(b.output)
    assert "FAIL" not in out, out
    m = re.search(r"files_check: (\d+) passed, 0 failed", out)
    assert m and int(m.group(1)) >= 180, out
    assert "exe /bin/fc\n" in out and "uname Linux x86_64\n" in out
    assert "kestrel: power off, status 0" in b.output


def test_proc_sys_dev(boot, tree):
    """What programs read to learn the machine: CPUs and memory as the
    kernel counted them, the executable, the memory map."""
    data, archive = tree
    out = guest(boot, archive, "cat /proc/meminfo /sys/devices/system/cpu/online /proc/self/maps /proc/cpuinfo",
                smp=2)
    total = int(re.search(r"^MemTotal: +(\d+) kB$", out, re.M).group(1))
    assert 100 * 1024 < total <= 128 * 1024, out
    assert re.search(r"^0-1\n", out, re.M)
    assert re.search(r"^00400000-[0-9a-f]+ r--p ", out, re.M), out
    assert re.search(r"\[stack\]$", out, re.M) and re.search(r"\[heap\]$", out, re.M)
    assert out.count("processor\t: ") == 2
    # QEMU's TCG CPU model: its CPUID vendor and brand string
    assert re.search(r"^vendor_id\t: (GenuineIntel|AuthenticAMD)$", out, re.M), out
    assert re.search(r"^model name\t: QEMU Virtual CPU", out, re.M), out
    assert re.search(r"^flags\t\t: fpu .* sse2 .* lm ", out, re.M), out
    out = guest(boot, archive, "ls -l /proc/self/exe /proc/self/cwd /dev/stdout /proc/self/fd/1")
    assert re.search(r" /proc/self/exe -> /bin/busybox$", out, re.M), out
    assert re.search(r" /proc/self/cwd -> /data$", out, re.M), out
    assert re.search(r" /dev/stdout -> /proc/self/fd/1$", out, re.M), out
    assert re.search(r" /proc/self/fd/1 -> /dev/console$", out, re.M), out
    out = guest(boot, archive, "ls /proc/self/fd /dev")
    assert "0\n1\n2\n3\n" in out and "null\n" in out and "urandom\n" in out, out
    args = "od -N 4000 -t x1 /dev/zero /dev/null"
    assert guest(boot, archive, args) == host("/", args)


def test_files_on_ext4_root(boot, tmp_path):
    """The same checks on a read-write ext4 root (ext4rw's mutations under
    the calls): they pass, /proc /sys /dev are made and mounted, and what
    the program wrote is on the disk after it exits (exit_group syncs):
    e2fsck finds the file system clean and debugfs reads the file back
    with the contents, mode and mtime the program gave it."""
    exe = build("files_check.c", "musl")
    root = tmp_path / "tree"
    for d in ["bin", "data/sub", "tmp"]:
        (root / d).mkdir(parents=True)
    shutil.copy(exe, root / "bin" / "fc")
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    (root / "data" / "a.txt").write_text("hello\nworld\nabc\n")
    os.symlink("a.txt", root / "data" / "link")
    image = fi.mkfs_ext4(str(root), str(tmp_path / "root.ext4"))
    disk = ["-drive", "file=%s,if=none,id=d0,format=raw" % image, "-device", "virtio-blk-device,drive=d0"]
    b = boot("--rootfs=ext4 -- /bin/fc /tmp", app="hello", memory="128M", extra=disk)
    out = program_output(b.output)
    assert "FAIL" not in out and re.search(r"files_check: \d+ passed, 0 failed", out), out
    assert "kestrel: power off, status 0" in b.output
    fsck = subprocess.run(["/sbin/e2fsck", "-fn", image], capture_output=True)
    assert fsck.returncode == 0, fsck.stdout.decode()[-2000:]
    cat = subprocess.run(["/sbin/debugfs", "-R", "cat /tmp/renamed", image], capture_output=True, check=True)
    assert cat.stdout == b"0123Z"
    st = subprocess.run(["/sbin/debugfs", "-R", "stat /tmp/renamed", image], capture_output=True, check=True)
    assert re.search(rb"Mode: +0600", st.stdout) and b"mtime: 0x47868c00" in st.stdout, st.stdout
    b = boot("--rootfs=ext4 --cwd=/data -- /bin/busybox sha256sum a.txt link", app="hello", memory="128M",
             extra=disk)
    assert program_output(b.output) == host(str(root / "data"), "sha256sum a.txt link")
