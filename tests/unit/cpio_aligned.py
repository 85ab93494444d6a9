"""Writes an archive with scripts/kestrel_initrd.py's NewcWriter into DIR
(DIR/a.cpio) for tests/unit/test_cpio.c, and checks that GNU cpio reads it
back: `cpio -itv` lists every entry, `cpio -id` gives every file byte for
byte. The files' contents follow pattern() (the C test checks them too); a
long path makes the writer put a padded "." entry first. Exit status 0 when
all holds."""
import io
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts"))
import kestrel_initrd as k  # noqa: E402


def pattern(size, seed, elf):
    b = bytes((i * 7 + seed) & 255 for i in range(size))
    return b"\x7fELF" + b[4:] if elf and size >= 4 else b


LONG = "/".join(["d" * 250] * 8) + "/long.so"


def files(filler):
    return [
        ("lib/libone.so", pattern(9000, 1, True)),
        ("lib/small.txt", pattern(10, 2, False)),
        ("lib/page.so", pattern(8192, 3, True)),
        ("big.dat", pattern(70000, 4, False)),
        ("filler.txt", pattern(filler, 5, False)),
        (LONG, pattern(5000, 6, True)),
    ]


def build(filler):
    buf = io.BytesIO()
    w = k.NewcWriter(buf)
    dots = 0
    real = w._entry

    def counting(ino, mode, nlink, raw, data, field):
        nonlocal dots
        dots += raw == b"."
        real(ino, mode, nlink, raw, data, field)

    w._entry = counting
    for name, data in files(filler):
        w.dirs_of(name)
        w.entry(name, stat.S_IFREG | 0o644, data)
    w.trailer()
    return buf.getvalue(), dots


def main():
    out = sys.argv[1]
    for filler in range(0, 4096, 4):
        arc, dots = build(filler)
        if dots:
            break
    else:
        sys.exit("no filler size makes the writer use a '.' entry")
    with open(os.path.join(out, "a.cpio"), "wb") as f:
        f.write(arc)
    listing = subprocess.run(["cpio", "-itv"], input=arc, capture_output=True, check=True).stdout.decode()
    names = [line.split()[-1] for line in listing.splitlines()]
    for name, _ in files(filler):
        if name not in names:
            sys.exit("cpio -itv does not list %s" % name[:60])
    dest = os.path.join(out, "x")
    os.makedirs(dest)
    subprocess.run(["cpio", "-id", "--quiet"], input=arc, cwd=dest, check=True)
    for name, data in files(filler):
        with open(os.path.join(dest, name), "rb") as f:
            if f.read() != data:
                sys.exit("cpio -id gives other bytes for %s" % name[:60])
    with open(os.path.join(out, "filler"), "w") as f:
        f.write("%d\n" % filler)


main()
