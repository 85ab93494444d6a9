"""Initrds and command lines for Linux programs run on Kestrel (scripts/run
--exec, scripts/mkimage --exec, tests/boot and bench/syscall share them).

The initrd is a cpio "newc" archive (the format Linux's initramfs uses): a
tree from the host at / and the program at the same absolute path it has on
the host. The command line is the kernel options, then `--`, the program's
path and its arguments, quoted so that core/cmdline.c's tokenizer gives each
argument back unchanged."""

import os
import re
import shlex
import shutil
import stat

# core/main.c keeps BOOT_CMDLINE_MAX (2048) bytes of command line, and QEMU's
# microvm appends a virtio_mmio.device=... item per device; leave them room.
CMDLINE_BUDGET = 1792
# include/cmdline.h: CMDLINE_MAX_ARGS for the program's argv (path included).
MAX_ARGV = 64
# core/cmdline.c takes "key.sub=value" items anywhere on the line as module
# parameters (QEMU's microvm appends them after the app's arguments).
DOTTED_PARAM = re.compile(r"^[A-Za-z0-9_.-]*\.[A-Za-z0-9_.-]*=")


class ExecError(Exception):
    pass


def find_program(path):
    """The absolute path of the host executable PATH (a bare name is looked
    up in $PATH, as a shell would)."""
    if "/" not in path:
        found = shutil.which(path)
        if not found:
            raise ExecError("--exec %s: not found in $PATH" % path)
        path = found
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise ExecError("--exec %s: no such file" % path)
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF" or head[4] != 2 or head[18] != 62:
        raise ExecError("--exec %s: not an x86-64 ELF64 executable" % path)
    return path


def check_arg(arg):
    """Refuses what the kernel's command line cannot carry unchanged."""
    if any(ord(c) < 32 or ord(c) == 127 for c in arg):
        raise ExecError("argument %r holds a control character (tab, newline, ...): the kernel's command "
                        "line cannot carry it" % arg)
    if DOTTED_PARAM.match(arg):
        raise ExecError("argument %r looks like a module parameter (key.sub=value), which the kernel's "
                        "command line takes for drivers wherever it stands; pass it in a file instead" % arg)


def exec_cmdline(kopts, program, args):
    """'KOPTS -- PROGRAM ARGS...' with every word quoted for core/cmdline.c
    (its '...' and "..." quoting is what shlex.quote produces)."""
    argv = [program] + list(args)
    if len(argv) > MAX_ARGV:
        raise ExecError("%d program arguments: the kernel takes at most %d (the path included)"
                        % (len(args), MAX_ARGV))
    for a in argv:
        check_arg(a)
    for k in kopts:
        check_arg(k)
    line = " ".join([shlex.quote(k) for k in kopts] + ["--"] + [shlex.quote(a) for a in argv])
    if len(line.encode()) > CMDLINE_BUDGET:
        raise ExecError("the command line is %d bytes; the kernel keeps at most %d here"
                        % (len(line.encode()), CMDLINE_BUDGET))
    return line


def _header(ino, mode, size, nlink, name):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def _pad(n):
    return b"\0" * (-n % 4)


class NewcWriter:
    """cpio newc, entries owned by root, mtime 0 (the same inputs give the
    same bytes)."""

    def __init__(self, out):
        self.out = out
        self.ino = 0
        self.names = set()

    def entry(self, name, mode, data=b""):
        if name in self.names:
            return
        self.names.add(name)
        self.ino += 1
        raw = name.encode()
        nlink = 2 if stat.S_ISDIR(mode) else 1
        head = _header(self.ino, mode, len(data), nlink, raw) + raw + b"\0"
        self.out.write(head + _pad(len(head)))
        self.out.write(data + _pad(len(data)))

    def dirs_of(self, name):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.entry("/".join(parts[:i]), stat.S_IFDIR | 0o755)

    def trailer(self):
        head = _header(0, 0, 0, 1, b"TRAILER!!!") + b"TRAILER!!!\0"
        self.out.write(head + _pad(len(head)))


def write_initrd(archive, program=None, files_dir=None):
    """archive: the tree under files_dir at / and the host file program at
    its own absolute path (which wins over a file of the tree there)."""
    prog_name = program.lstrip("/") if program else None
    with open(archive, "wb") as f:
        w = NewcWriter(f)
        if program:
            w.dirs_of(prog_name)
            with open(program, "rb") as p:
                w.entry(prog_name, stat.S_IFREG | 0o755, p.read())
        if files_dir:
            for dirpath, dirnames, filenames in os.walk(files_dir):
                dirnames.sort()
                for n in sorted(dirnames) + sorted(filenames):
                    full = os.path.join(dirpath, n)
                    name = os.path.relpath(full, files_dir)
                    st = os.lstat(full)
                    w.dirs_of(name)
                    if stat.S_ISLNK(st.st_mode):
                        w.entry(name, stat.S_IFLNK | 0o777, os.readlink(full).encode())
                    elif stat.S_ISDIR(st.st_mode):
                        w.entry(name, stat.S_IFDIR | stat.S_IMODE(st.st_mode))
                    elif stat.S_ISREG(st.st_mode):
                        with open(full, "rb") as src:
                            w.entry(name, stat.S_IFREG | stat.S_IMODE(st.st_mode), src.read())
        w.trailer()
    return archive


def stage_tree(dest, program, files_dir=None):
    """A directory tree (for mkfs.ext4 -d): files_dir's contents and the
    program at its absolute path."""
    if files_dir:
        shutil.copytree(files_dir, dest, symlinks=True, dirs_exist_ok=True)
    os.makedirs(dest, exist_ok=True)
    target = os.path.join(dest, program.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.lexists(target):
        os.unlink(target)
    shutil.copyfile(program, target)
    os.chmod(target, 0o755)
    return dest
