"""Dynamically linked Linux programs on Kestrel (issue 21): the program's
own dynamic linker (Debian's glibc ld-linux-x86-64.so.2, musl's
ld-musl-x86_64.so.1) is loaded from the image and maps the libraries with
mmap. The images hold what scripts/run --exec puts in them: the program,
what ldd reports for it, and small /etc files.

- tests/linux/dynamic.c, built with gcc and with musl-gcc (not -static):
  argv, --env, the auxiliary vector of an interpreted program, private and
  shared file mappings, MAP_FIXED, mprotect, munmap of a part, file I/O,
  statfs, locks, the process-group calls, fork's ENOSYS, /etc/passwd,
  /etc/group, /etc/hosts; each answer checked here; tests/linux/threads.c
  linked dynamically.
- Debian's own dynamic binaries: /usr/bin/python3 (with the few standard
  library files its start needs, and the _json extension it dlopens),
  /usr/bin/env and /bin/ls -l.
- Broken interpreters: a path that is not NUL-terminated, one the image does
  not hold, one that is not an ELF file: a clear error and status 126, not a
  crash or a hang."""

import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import kestrel_initrd as ki  # noqa: E402

OUT = os.path.join(ROOT, "build", "linux")
PROGRAM_LINE = re.compile(r"^[^:]+: ")
NOT_RUNNABLE = 126


@pytest.fixture(scope="module", autouse=True)
def programs():
    subprocess.run(["make", "-s", "-C", ROOT, "kernel", "linux-programs"], check=True)


def run_guest(boot, tmp_path, program, args=(), files=None, kopts=(), deps=True, timeout=60, nics=(),
              preset="microvm", smp=1):
    initrd = ki.write_initrd(str(tmp_path / ("initrd-%d.cpio" % time.monotonic_ns())), program, files, deps=deps)
    cmdline = ki.exec_cmdline(list(kopts), program, list(args))
    return boot(cmdline, app="hello", preset=preset, memory="256M", timeout=timeout, extra=["-initrd", initrd],
                nics=nics, smp=smp)


def texts(b):
    return [t for _, t in b.lines]


BLOB_PAGES = 1024


def data_tree(root):
    d = root / "data"
    d.mkdir(parents=True)
    (root / "tmp").mkdir()
    # Large (4 MiB and a bit): the initrd holds it page aligned, so mappings share its frames.
    base = bytes((i * 7) & 0xff for i in range(4096 + 256))
    blob = b"".join(base[p % 256:p % 256 + 4096] for p in range(BLOB_PAGES)) + base[:100]
    (d / "blob").write_bytes(blob)
    return str(root)


EXPECTED = {
    "DYN_VAR": "from the command line",
    "at_base": "ok", "at_entry": "ok", "at_phdr": "ok",
    "pread": "ok", "mmap private": "ok", "private write stays private": "ok", "mmap offset": "ok",
    "map_fixed over a mapping": "ok", "map_fixed page is read-only": "ok",
    "map_fixed with a bad descriptor keeps the mapping": "ok", "mprotect read-only": "ok",
    "mprotect writable again": "ok", "munmap a part": "ok", "mmap shared read-only": "ok", "mapping up to the end of the file": "ok",
    "shared mapping stays read-only": "ok", "faults seen": "3",
    "shared read-only mapping": "ok", "private write leaves the file and other mappings": "ok",
    "mprotect writable then written": "ok", "mapping after munmap": "ok",
    "file write and read": "ok", "statfs": "ok", "flock": "ok", "fcntl locks": "ok",
    # The program starts in "pid 1"'s group and session; setsid makes it the leader of both once.
    "getpgid": "1 getpgrp: 1 getsid: 1",
    "setsid": "ok", "setsid again": "EPERM", "setpgid self": "ok", "getpgid other": "ok", "fork": "ENOSYS", "wait": "ECHILD", "membarrier": "ok",
    "getpwuid(0)": "root", "getgrgid(0)": "root", "localhost": "127.0.0.1",
}


@pytest.mark.parametrize("flavour,preset,smp", [("glibc", "microvm", 1), ("musl", "microvm", 1), ("glibc", "q35", 2),
                                             ("nopie", "microvm", 1)])
def test_dynamic_c(boot, tmp_path, flavour, preset, smp):
    """nopie: gcc -no-pie, an ET_EXEC program at 0x400000 with an interpreter."""
    program = os.path.join(OUT, "dynamic-" + flavour)
    interp = "/lib/ld-musl-x86_64.so.1" if flavour == "musl" else "/lib64/ld-linux-x86-64.so.2"
    assert ki.interpreter(program) == interp
    # The image holds the interpreter and the libraries ldd names, at those paths, and nothing else of the host's.
    needed = ki.program_files(program)
    assert interp.lstrip("/") in needed
    assert all(n.startswith(("lib", "usr/lib", "etc/")) for n in needed), needed
    files = data_tree(tmp_path / "tree")
    b = run_guest(boot, tmp_path, program, ["/data/blob", "/tmp", "two words"], files=files,
                  kopts=["--env=DYN_VAR=from the command line"], preset=preset, smp=smp)
    assert b.full_status == 0, "status %r; log %s\n%s" % (b.full_status, b.log, b.output[-3000:])
    lines = texts(b)
    got = {}
    for t in lines:
        if PROGRAM_LINE.match(t) and not t.startswith(("linux:", "app:", "warning:", "fs:", "initrd:")):
            k, _, v = t.partition(": ")
            got.setdefault(k, v)
    assert got.get("argc") == "4" and got.get("argv[0]") == program and got.get("argv[3]") == "two words", got
    for k, v in EXPECTED.items():
        assert got.get(k) == v, "%s: %r, want %r; log %s" % (k, got.get(k), v, b.log)
    assert "done" in lines
    # The 4 MiB blob's mapping shares the initrd's frames: touching all of it
    # costs its last page and page tables, not 4 MiB (a copy: 4100 KiB).
    drop = int(got.get("memfree drop for %d KiB mapped" % ((BLOB_PAGES + 1) * 4), "99999"))
    assert drop < 256, "MemFree fell by %d KiB; log %s" % (drop, b.log)
    # fork's refusal (three calls) is said once per way in (clone, fork), not a hang.
    said = [t for t in lines if t.startswith("warning:") and "fork" in t]
    assert said and len(said) == len(set(said)) and len(said) <= 2, said


@pytest.mark.parametrize("libc", ["glibc", "musl"])
def test_dynamic_threads(boot, tmp_path, libc):
    """tests/linux/threads.c linked dynamically (TLS set up by the dynamic
    linker, libc's pthreads) on two CPUs: the host's transcript."""
    program = os.path.join(OUT, "threads-dyn-" + libc)
    host = subprocess.run([program], capture_output=True, text=True, timeout=60).stdout.splitlines()
    b = run_guest(boot, tmp_path, program, preset="q35", smp=2)
    assert b.full_status == 0, b.log
    assert host and host[-1] in texts(b), (host, b.log)


def python_stdlib(root):
    """What python3 -c needs at start beyond its frozen modules: the encodings
    package's codec for UTF-8 and the landmark os.py."""
    lib = root / "usr" / "lib" / "python3.11"
    (lib / "encodings").mkdir(parents=True)
    (lib / "lib-dynload").mkdir()
    for name in ["__init__.py", "aliases.py", "utf_8.py"]:
        shutil.copy("/usr/lib/python3.11/encodings/" + name, lib / "encodings" / name)
    shutil.copy("/usr/lib/python3.11/os.py", lib / "os.py")
    # An extension module: Python dlopens it (the linker at work after start).
    for so in glob.glob("/usr/lib/python3.11/lib-dynload/_json.cpython-311-*.so"):
        shutil.copy(so, lib / "lib-dynload")
    return str(root)


def test_debian_python3(boot, tmp_path):
    if not os.path.exists("/usr/bin/python3.11"):
        pytest.skip("no /usr/bin/python3.11 on this host")
    files = python_stdlib(tmp_path / "tree")
    b = run_guest(boot, tmp_path, "/usr/bin/python3.11",
                  ["-c", "import sys; print(sum(range(10**5)), sys.argv[1:], len(open('/etc/passwd').read()) > 0); "
                   "import _json; print(_json.encode_basestring_ascii('caf\u00e9'), _json.__file__.endswith('.so'))",
                   "x y"], files=files)
    assert b.full_status == 0, "status %r; log %s\n%s" % (b.full_status, b.log, b.output[-3000:])
    assert "4999950000 ['x y'] True" in texts(b), b.output[-2000:]
    assert '"caf\\u00e9" True' in texts(b), b.output[-2000:]


@pytest.mark.parametrize("how,want", [("dhcp", "nameserver 10.0.2.3"), ("static", "nameserver 192.0.2.53"),
                                      ("image", "nameserver 198.51.100.1")])
def test_resolv_conf(boot, tmp_path, how, want):
    """/etc/resolv.conf from DHCP's answer (QEMU's user network: 10.0.2.3),
    or --nameserver's, which wins over DHCP's; the image's own wins over both."""
    tree = tmp_path / "tree"
    tree.mkdir()
    if how == "image":
        (tree / "etc").mkdir()
        (tree / "etc" / "resolv.conf").write_text("nameserver 198.51.100.1\n")
    kopts = ["--nameserver=192.0.2.53"] if how == "static" else []
    b = run_guest(boot, tmp_path, os.path.join(OUT, "dynamic-musl"), ["--resolv"], files=str(tree), kopts=kopts,
                  nics=("user",))
    assert b.full_status == 0, "status %r; log %s\n%s" % (b.full_status, b.log, b.output[-3000:])
    assert "resolv.conf: " + want in texts(b), b.log


def test_debian_env(boot, tmp_path):
    b = run_guest(boot, tmp_path, "/usr/bin/env", kopts=["--env=A=1", "--env=B=two words"])
    assert b.full_status == 0, b.log
    lines = texts(b)
    assert "A=1" in lines and "B=two words" in lines, b.output[-2000:]


def test_ldd_parsing_and_library_path():
    """Host side of scripts/*--exec: ldd's report, and LD_LIBRARY_PATH only
    when a library lies where the program's linker would not look."""
    report = ("\tlinux-vdso.so.1 (0x00007ffd)\n"
              "\tlibfoo.so.1 => /opt/foo/lib/libfoo.so.1 (0x00007f01)\n"
              "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f02)\n"
              "\t/lib64/ld-linux-x86-64.so.2 (0x00007f03)\n")
    libs = ki.parse_ldd(report)
    assert libs == ["/opt/foo/lib/libfoo.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]
    glibc = "/lib64/ld-linux-x86-64.so.2"
    assert ki.library_path(glibc, libs[:2]) == "/opt/foo/lib:/lib/x86_64-linux-gnu"
    assert ki.library_path(glibc, libs[1:2]) is None
    assert ki.library_path("/lib/ld-musl-x86_64.so.1", libs[1:2]) == "/lib/x86_64-linux-gnu"
    with pytest.raises(ki.ExecError, match="libbar.so.2"):
        ki.parse_ldd("\tlibbar.so.2 => not found\n")
    assert ki.library_kopts(os.path.join(OUT, "dynamic-glibc")) == []
    assert ki.library_kopts("/bin/busybox") == []


def test_debian_ls(boot, tmp_path):
    """Debian's /bin/ls -l (coreutils: libselinux, libpcre2 besides libc):
    owner names from the image's /etc/passwd and /etc/group, sizes, the
    xattr calls it makes for ACLs answered."""
    tree = tmp_path / "tree"
    (tree / "d").mkdir(parents=True)
    (tree / "d" / "five").write_bytes(b"12345")
    (tree / "d" / "sub").mkdir()
    b = run_guest(boot, tmp_path, "/bin/ls", ["-l", "/d"], files=str(tree))
    assert b.full_status == 0, b.log
    lines = texts(b)
    assert any(re.match(r"^-rw-r--r-- 1 root root 5 .* five$", t) for t in lines), b.output[-2000:]
    assert any(re.match(r"^drwxr-xr-x \d+ root root .* sub$", t) for t in lines), b.output[-2000:]
    assert not any("Function not implemented" in t for t in lines), b.output[-2000:]  # ls's own complaint


def test_stage_tree_stays_inside(tmp_path):
    """mkimage's staged tree: the libraries land at ldd's paths, and a
    --files tree whose /lib is an absolute symbolic link (a Debian root:
    lib -> /usr/lib) is refused rather than followed onto the host."""
    program = os.path.join(OUT, "dynamic-glibc")
    dest = ki.stage_tree(str(tmp_path / "ok"), program)
    assert os.path.isfile(os.path.join(dest, "lib64", "ld-linux-x86-64.so.2"))
    assert os.path.isfile(os.path.join(dest, "lib", "x86_64-linux-gnu", "libc.so.6"))
    assert os.path.isfile(os.path.join(dest, program.lstrip("/")))
    assert open(os.path.join(dest, "etc", "passwd")).read().startswith("root:")
    tree = tmp_path / "rootfs"
    tree.mkdir()
    os.symlink(str(tmp_path / "outside"), tree / "lib64")
    with pytest.raises(ki.ExecError, match="outside the tree"):
        ki.stage_tree(str(tmp_path / "bad"), program, str(tree))
    assert not os.path.exists(tmp_path / "outside")


# ---- broken interpreters ----

def patched(tmp_path, name, new_path, terminate=True):
    """A copy of dynamic-glibc whose PT_INTERP bytes say new_path (the same
    length as the original, its NUL kept or overwritten)."""
    src = os.path.join(OUT, "dynamic-glibc")
    data = bytearray(open(src, "rb").read())
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    for i in range(phnum):
        p = phoff + 56 * i
        if struct.unpack_from("<I", data, p)[0] == 3:
            off, = struct.unpack_from("<Q", data, p + 8)
            size, = struct.unpack_from("<Q", data, p + 32)
            raw = new_path.encode()
            assert len(raw) == size - 1
            data[off:off + size] = raw + (b"\0" if terminate else b"X")
    out = tmp_path / "bin" / name
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(bytes(data))
    out.chmod(0o755)
    return str(out)


def assert_refused(b, message):
    assert b.full_status == NOT_RUNNABLE, "status %r; log %s\n%s" % (b.full_status, b.log, b.output[-2000:])
    assert any(message in t for t in texts(b)), b.output[-2000:]
    assert "panic" not in b.output.lower()


def test_interp_not_terminated(boot, tmp_path):
    prog = patched(tmp_path, "unterminated", "/lib64/ld-linux-x86-64.so.2", terminate=False)
    b = run_guest(boot, tmp_path, prog, deps=False)
    assert_refused(b, "the interpreter path is not one NUL-terminated string")


def test_interp_missing(boot, tmp_path):
    prog = patched(tmp_path, "missing", "/lib64/ld-linux-x86-64.so.9")
    b = run_guest(boot, tmp_path, prog, deps=False)
    assert_refused(b, "needs its interpreter /lib64/ld-linux-x86-64.so.9: not in the image")


@pytest.mark.parametrize("what,message", [
    ("text", "interpreter /lib64/ld-linux-x86-64.so.2: not an ELF file"),
    ("dynamic", "interpreter /lib64/ld-linux-x86-64.so.2: has an interpreter itself"),
    ("static-exec", "interpreter /lib64/ld-linux-x86-64.so.2: is not position-independent (ET_DYN)"),
    ("directory", "needs its interpreter /lib64/ld-linux-x86-64.so.2: a directory, not a file"),
])
def test_interp_not_a_linker(boot, tmp_path, what, message):
    """The path names something that is not a dynamic linker: a script, a
    dynamic program, a static ET_EXEC one (busybox), a directory."""
    tree = tmp_path / "tree"
    (tree / "lib64").mkdir(parents=True)
    target = tree / "lib64" / "ld-linux-x86-64.so.2"
    if what == "text":
        target.write_text("#!/bin/sh\necho not a loader\n")
    elif what == "dynamic":
        shutil.copy(os.path.join(OUT, "dynamic-glibc"), target)
    elif what == "static-exec":
        shutil.copy("/bin/busybox", target)
    else:
        target.mkdir()
    b = run_guest(boot, tmp_path, os.path.join(OUT, "dynamic-glibc"), files=str(tree), deps=False)
    assert_refused(b, message)


def test_mkimage_dynamic(boot, tmp_path):
    """scripts/mkimage --exec of a dynamic program: the files partition holds
    the program, its interpreter and libraries at the paths ldd names and
    the /etc files, and the disk boots (Kestrel's BIOS loader, q35) into it."""
    program = os.path.join(OUT, "dynamic-glibc")
    tree = data_tree(tmp_path / "tree")
    out = tmp_path / "dyn.raw"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "mkimage"), "--exec", program, "--files", tree,
                        "--cmdline=--env=DYN_VAR=image", "--size", "64M", "--format", "raw",
                        "-o", str(out), "--", "/data/blob", "/tmp", "two words"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    extra = ["-drive", "file=%s,format=raw,if=none,id=d0,snapshot=on" % out,
             "-device", "virtio-blk-pci,disable-legacy=on,drive=d0,bootindex=0"]
    b = boot("", app=None, preset="q35", memory="256M", timeout=120, extra=extra)
    assert b.full_status == 0, b.log
    lines = texts(b)
    assert "DYN_VAR: image" in lines and "argv[3]: two words" in lines, b.log
    assert "at_base: ok" in lines and "mmap private: ok" in lines and "getpwuid(0): root" in lines, b.log
    assert "done" in lines, b.log
