"""Initrds and command lines for Linux programs run on Kestrel (scripts/run
--exec, scripts/mkimage --exec, tests/boot and bench/syscall share them).

The initrd is a cpio "newc" archive (the format Linux's initramfs uses): a
tree from the host at / and the program at the same absolute path it has on
the host. A dynamic program (PT_INTERP) brings what `ldd` reports for it:
its dynamic linker and libraries, each at the path the host's loader found
it at (regular files, symbolic links resolved), and small /etc files glibc
reads (passwd, group, nsswitch.conf, hosts), which --files may replace. The command line is the kernel options, then `--`, the program's
path and its arguments, quoted so that core/cmdline.c's tokenizer gives each
argument back unchanged."""

import os
import re
import shlex
import shutil
import stat
import struct
import subprocess

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


PT_INTERP = 3
INTERP_MAX = 4096  # linux/elf_parse.h ELF_INTERP_MAX
# ldd's lines: "name => /path (0x...)", "/path (0x...)", "name (0x...)" (the vDSO).
LDD_ARROW = re.compile(r"^\s*(\S+)\s+=>\s+(\S+)(?:\s+\(0x[0-9a-f]+\))?\s*$")
LDD_MISSING = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")
LDD_PLAIN = re.compile(r"^\s*(/\S+)\s+\(0x[0-9a-f]+\)\s*$")

# What glibc opens besides the libraries (user and group names, name
# service order, host names). Small and root-only; --files may replace them.
ETC_FILES = {
    "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    "etc/group": b"root:x:0:\nnogroup:x:65534:\n",
    "etc/nsswitch.conf": b"passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\n"
                         b"protocols: files\nservices: files\n",
    "etc/hosts": b"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
}


def interpreter(path):
    """The PT_INTERP path of the ELF64 file path, or None (static)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if len(head) < 64:
            return None
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        if phentsize != 56:
            return None
        f.seek(phoff)
        ph = f.read(56 * phnum)
        for i in range(len(ph) // 56):
            ptype, = struct.unpack_from("<I", ph, i * 56)
            if ptype != PT_INTERP:
                continue
            off, = struct.unpack_from("<Q", ph, i * 56 + 8)
            size, = struct.unpack_from("<Q", ph, i * 56 + 32)
            if size == 0 or size > INTERP_MAX:
                raise ExecError("%s: its interpreter path is %d bytes" % (path, size))
            f.seek(off)
            raw = f.read(size)
            return raw.split(b"\0")[0].decode("utf-8", "replace")
    return None


def parse_ldd(text):
    """The absolute paths in ldd's report (the vDSO and duplicates left out);
    ExecError naming a library ldd did not find."""
    paths, missing = [], []
    for line in text.splitlines():
        m = LDD_MISSING.match(line)
        if m:
            missing.append(m.group(1))
            continue
        m = LDD_ARROW.match(line)
        if m:
            if m.group(2).startswith("/"):
                paths.append(m.group(2))
            continue
        m = LDD_PLAIN.match(line)
        if m:
            paths.append(m.group(1))
    if missing:
        raise ExecError("ldd finds no %s on this host" % ", ".join(missing))
    out = []
    for p in paths:
        if p not in out:
            out.append(p)
    return out


# Where each dynamic linker looks without /etc/ld.so.cache (not put in
# images) or a path file: Debian's glibc (multiarch first), musl's default.
GLIBC_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib")
MUSL_DIRS = ("/lib", "/usr/local/lib", "/usr/lib")


def library_path(interp, libs):
    """LD_LIBRARY_PATH's value when a library ldd found lies where interp
    would not look by itself (ld.so.conf's directories, RPATH-less builds
    under /opt...): every library directory, in ldd's order; else None."""
    defaults = MUSL_DIRS if "ld-musl" in interp else GLIBC_DIRS
    dirs = []
    for lib in libs:
        d = os.path.dirname(lib)
        if d not in dirs:
            dirs.append(d)
    if all(d in defaults for d in dirs):
        return None
    return ":".join(dirs)


def library_kopts(program, kopts=()):
    """The kernel options a dynamic program's libraries need: --env=LD_LIBRARY_PATH=...
    (see library_path), unless kopts sets it already."""
    if any(k.startswith("--env=LD_LIBRARY_PATH=") for k in kopts):
        return []
    interp = interpreter(program)
    if not interp:
        return []
    libs = ["/" + n for n in dynamic_files(program) if "/" + n != interp]
    value = library_path(interp, libs)
    return ["--env=LD_LIBRARY_PATH=" + value] if value else []


def dynamic_files(program):
    """{guest path (no leading /): host file} a dynamic program needs: its
    interpreter and what ldd reports; {} for a static program. glibc's ldd
    cannot list a musl program: its interpreter's --list can."""
    interp = interpreter(program)
    if not interp:
        return {}
    if not os.path.isfile(interp):
        raise ExecError("%s needs the interpreter %s, which this host does not have" % (program, interp))
    env = dict(os.environ, LC_ALL="C")
    r = subprocess.run(["ldd", program], capture_output=True, text=True, env=env)
    if r.returncode != 0 or "=>" not in r.stdout and interp not in r.stdout:
        r = subprocess.run([interp, "--list", program], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise ExecError("ldd %s failed: %s" % (program, (r.stderr or r.stdout).strip()))
    files = {}
    for p in [interp] + parse_ldd(r.stdout):
        files[p.lstrip("/")] = os.path.realpath(p)
    return files


def program_files(program):
    """{guest path: host file or bytes} that go into the image with program
    (not the program itself): for a dynamic one its libraries and the /etc
    files of ETC_FILES."""
    files = dynamic_files(program)
    if files:
        files.update(ETC_FILES)
    return files


def image_bytes(program):
    """What program and program_files take, each rounded up to a page."""
    total = 0
    for src in [program] + list(program_files(program).values()):
        size = len(src) if isinstance(src, bytes) else os.path.getsize(src)
        total += (size + 4095) // 4096 * 4096
    return total


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


PAGE = 4096
# Linux's initramfs unpacker refuses a name field (NUL included) longer than
# PATH_MAX.
NAME_FIELD_MAX = 4096


def page_aligned(data):
    """Whether an entry's data goes at a page-aligned offset of the archive:
    ELF files (what programs map: the kernel then maps the initrd's own
    frames, linux/memory.c) and any file of 64 KiB or more. Small other
    files stay packed (a tree of thousands of them would grow by 2 KiB each)."""
    return data[:4] == b"\x7fELF" or len(data) >= 64 * 1024


class NewcWriter:
    """cpio newc, entries owned by root, mtime 0 (the same inputs give the
    same bytes). A file's data that page_aligned picks starts at a multiple
    of 4096 bytes from the archive's start: its name field is padded with
    NULs (newc's namesize counts them; readers use the name up to its first
    NUL), and when that would make the field longer than Linux takes, a "."
    entry with a padded name goes first (every unpacker takes "." as the
    directory it unpacks into)."""

    def __init__(self, out):
        self.out = out
        self.ino = 0
        self.names = set()
        self.off = 0

    def _write(self, b):
        self.out.write(b)
        self.off += len(b)

    def _entry(self, ino, mode, nlink, raw, data, name_field):
        head = _header(ino, mode, len(data), nlink, b"\0" * (name_field - 1)) + raw
        head += b"\0" * (name_field - len(raw))
        self._write(head + _pad(len(head)))
        self._write(data + _pad(len(data)))

    def _name_field(self, raw, data):
        """The name field's length (NUL padding included) for data at self.off."""
        need = len(raw) + 1
        if not page_aligned(data):
            return need
        start = self.off + 110 + need
        return need + (-start % PAGE)

    def entry(self, name, mode, data=b""):
        if name in self.names:
            return
        self.names.add(name)
        self.ino += 1
        raw = name.encode()
        nlink = 2 if stat.S_ISDIR(mode) else 1
        field = self._name_field(raw, data)
        if field > NAME_FIELD_MAX:
            # A "." first, its name field as long as puts this entry's
            # header where its own field needs little padding.
            need = len(raw) + 1
            for dot in range(2, NAME_FIELD_MAX + 1):
                after = self.off + 110 + dot
                after += -after % 4
                if need + (-(after + 110 + need) % PAGE) <= NAME_FIELD_MAX:
                    break
            self._entry(0, stat.S_IFDIR | 0o755, 2, b".", b"", dot)
            field = self._name_field(raw, data)
        self._entry(self.ino, mode, nlink, raw, data, field)

    def dirs_of(self, name):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.entry("/".join(parts[:i]), stat.S_IFDIR | 0o755)

    def trailer(self):
        head = _header(0, 0, 0, 1, b"TRAILER!!!") + b"TRAILER!!!\0"
        self._write(head + _pad(len(head)))


def _content(src):
    if isinstance(src, bytes):
        return src, 0o644
    with open(src, "rb") as f:
        return f.read(), stat.S_IMODE(os.stat(src).st_mode)


def write_initrd(archive, program=None, files_dir=None, deps=True):
    """archive: the tree under files_dir at / and the host file program at
    its own absolute path (which wins over a file of the tree there); a
    dynamic program's libraries (program_files) win over the tree too, its
    /etc files do not. deps=False leaves them out (a test's broken program)."""
    prog_name = program.lstrip("/") if program else None
    extra = program_files(program) if program and deps else {}
    with open(archive, "wb") as f:
        w = NewcWriter(f)
        if program:
            w.dirs_of(prog_name)
            with open(program, "rb") as p:
                w.entry(prog_name, stat.S_IFREG | 0o755, p.read())
        for name, src in sorted(extra.items()):
            if name in ETC_FILES and files_dir and os.path.lexists(os.path.join(files_dir, name)):
                continue
            w.dirs_of(name)
            data, mode = _content(src)
            w.entry(name, stat.S_IFREG | mode, data)
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
    for name, src in sorted(program_files(program).items()):
        path = os.path.join(dest, name)
        if name in ETC_FILES and os.path.lexists(path):
            continue  # --files gave its own
        _stage_file(dest, path, src)
    _stage_file(dest, target, program, 0o755)
    return dest


def _stage_file(dest, path, src, mode=None):
    """Writes src at path, which must stay inside dest: a --files tree may
    hold symbolic links (an absolute /lib -> /usr/lib) that would lead a
    library's copy onto the host's own file."""
    top = os.path.realpath(dest)
    where = os.path.realpath(os.path.dirname(path))
    if where != top and not where.startswith(top + os.sep):
        raise ExecError("%s: a symbolic link of the --files tree leads it outside the tree (to %s)"
                        % (os.path.relpath(path, dest), where))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        os.unlink(path)
    data, own_mode = _content(src)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode if mode is not None else own_mode)
