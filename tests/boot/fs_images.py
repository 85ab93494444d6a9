"""File trees and disk images for the file-system tests and benches: a tree
of random files (built from a seed, so every run reads the same bytes),
what the host sees in it, and ext4 images, cpio archives and partitioned
disks made from it with the standard tools (mkfs.ext4 -d, cpio -H newc)."""

import hashlib
import os
import random
import re
import struct
import subprocess
import uuid
import zlib

MIB = 1024 * 1024
SIZES = [0, 1, 511, 512, 1023, 1024, 4095, 4096, 4097, 65535, 65536, 65537, MIB + 3, 5 * MIB - 1]
MKFS = "/usr/sbin/mkfs.ext4" if os.path.exists("/usr/sbin/mkfs.ext4") else "mkfs.ext4"
DEBUGFS = "/usr/sbin/debugfs" if os.path.exists("/usr/sbin/debugfs") else "debugfs"
E2FSCK = "/usr/sbin/e2fsck" if os.path.exists("/usr/sbin/e2fsck") else "e2fsck"


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def posix_layout(root):
    """What `fstest posix` expects under DIR/posix."""
    _write(os.path.join(root, "posix/file"), b"hello\nworld\n")
    os.makedirs(os.path.join(root, "posix/dir"), exist_ok=True)
    for name, target in [("loop1", "loop2"), ("loop2", "loop1"), ("rel", "../posix/file"), ("chain", "rel"),
                         ("dirlink", "dir")]:
        os.symlink(target, os.path.join(root, "posix", name))


def make_tree(root, seed=1, huge=64 * MIB, many=3000, deep=30, sparse=True):
    """Random files of every size class, a huge one, a sparse one, a deep
    path, a large directory, symlinks (fast and slow), an empty directory."""
    rnd = random.Random(seed)
    posix_layout(root)
    for s in SIZES:
        _write(os.path.join(root, "sizes/f%d" % s), rnd.randbytes(s))
    if huge:
        _write(os.path.join(root, "big/huge"), rnd.randbytes(huge))
    if sparse:
        p = os.path.join(root, "sparse/holes")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            for off in (0, 3 * MIB + 100, 8 * MIB - 7):
                f.seek(off)
                f.write(rnd.randbytes(5000))
    d = root
    for i in range(deep):
        d = os.path.join(d, "level%02d" % i)
    _write(os.path.join(d, "bottom"), rnd.randbytes(777))
    _write(os.path.join(root, "names", "n" * 255), b"longest name")
    for i in range(many):
        _write(os.path.join(root, "many/file%05d" % i), rnd.randbytes(rnd.randrange(0, 300)))
    os.makedirs(os.path.join(root, "empty"), exist_ok=True)
    os.makedirs(os.path.join(root, "mnt"), exist_ok=True)
    os.symlink("../sizes/f4096", os.path.join(root, "names/fast"))
    os.symlink("/" + "/".join(["sizes"] * 1) + "/" + "./" * 40 + "f1", os.path.join(root, "names/slow"))
    os.symlink("level00/level01", os.path.join(root, "names-deep"))
    return root


def host_view(root):
    """{"F": {path: (sha256, size)}, "L": {path: target}, "D": set(paths)}, paths relative."""
    view = {"F": {}, "L": {}, "D": set()}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if os.path.islink(full):
                view["L"][rel] = os.readlink(full)
            elif os.path.isdir(full):
                view["D"].add(rel)
            else:
                h = hashlib.sha256()
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(MIB), b""):
                        h.update(chunk)
                view["F"][rel] = (h.hexdigest(), os.path.getsize(full))
        dirnames[:] = [n for n in dirnames if not os.path.islink(os.path.join(dirpath, n))]
    return view


def guest_view(output):
    """The same shape from `fstest tree` lines."""
    view = {"F": {}, "L": {}, "D": set()}
    for line in output.splitlines():
        line = line.rstrip("\r")
        if line.startswith("F "):
            _, sha, size, path = line.split(" ", 3)
            view["F"][path] = (sha, int(size))
        elif line.startswith("L "):
            path, target = line[2:].split(" -> ", 1)
            view["L"][path] = target
        elif line.startswith("D "):
            view["D"].add(line[2:])
    view["D"].discard("lost+found")
    return view


def tree_bytes(root):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs
               if not os.path.islink(os.path.join(d, f)))


def mkfs_ext4(tree, image, size_mib=None, options=(), htree=False):
    """An ext4 image of tree, made without root by mkfs.ext4 -d; htree=True
    then lets e2fsck -D rebuild large directories as hash-indexed ones."""
    if size_mib is None:
        size_mib = tree_bytes(tree) * 13 // 10 // MIB + 32
    if os.path.exists(image):
        os.unlink(image)
    subprocess.run([MKFS, "-q", "-F", "-d", tree, *options, image, "%dM" % size_mib], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, E2FSPROGS_FAKE_TIME="1700000000"))
    if htree:
        r = subprocess.run([E2FSCK, "-fyD", image], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert r.returncode in (0, 1), "e2fsck -D failed (%d)" % r.returncode
    return image


def cpio_newc(tree, archive):
    """A cpio newc archive of tree, as Linux initramfs images are made."""
    names = subprocess.run(["find", "."], cwd=tree, check=True, capture_output=True).stdout
    with open(archive, "wb") as out:
        subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], cwd=tree, input=names, stdout=out, check=True)
    return archive


def _copy_into(disk, image, start_sector):
    with open(image, "rb") as src, open(disk, "r+b") as dst:
        dst.seek(start_sector * 512)
        for chunk in iter(lambda: src.read(MIB), b""):
            dst.write(chunk)


def mbr_disk(disk, image, start=2048, ptype=0x83):
    """A disk with one MBR partition holding image."""
    size = os.path.getsize(image)
    sectors = start + size // 512 + 2048
    with open(disk, "wb") as f:
        f.truncate(sectors * 512)
        entry = struct.pack("<B3sB3sII", 0, b"\0\0\0", ptype, b"\0\0\0", start, size // 512)
        f.seek(446)
        f.write(entry + b"\0" * 48 + b"\x55\xaa")
    _copy_into(disk, image, start)
    return disk


def gpt_disk(disk, image, filler_mib=1):
    """A GPT disk: partition 1 is filler_mib of zeros, partition 2 holds image."""
    size = os.path.getsize(image)
    p1 = (2048, 2048 + filler_mib * 2048 - 1)
    p2 = (p1[1] + 1, p1[1] + size // 512)
    sectors = p2[1] + 1 + 2048
    linux = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4").bytes_le
    entries = b""
    for i, (s, e) in enumerate([p1, p2]):
        entries += linux + uuid.uuid4().bytes_le + struct.pack("<QQQ", s, e, 0) + ("p%d" % i).encode("utf-16le").ljust(72, b"\0")
    entries = entries.ljust(128 * 128, b"\0")
    ecrc = zlib.crc32(entries)

    def header(lba, backup, entries_lba):
        h = struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0, lba, backup, 34, sectors - 34,
                        uuid.uuid4().bytes_le, entries_lba, 128, 128, ecrc)
        h = h[:16] + struct.pack("<I", zlib.crc32(h)) + h[20:]
        return h.ljust(512, b"\0")

    with open(disk, "wb") as f:
        f.truncate(sectors * 512)
        pmbr = struct.pack("<B3sB3sII", 0, b"\0\0\0", 0xee, b"\0\0\0", 1, min(sectors - 1, 0xffffffff))
        f.seek(446)
        f.write(pmbr + b"\0" * 48 + b"\x55\xaa")
        f.seek(512)
        f.write(header(1, sectors - 1, 2))
        f.write(entries)
        f.seek((sectors - 33) * 512)
        f.write(entries)
        f.write(header(sectors - 1, 1, sectors - 33))
    _copy_into(disk, image, p2[0])
    return disk


def inode_location(image, path):
    """(byte offset of path's inode in image, block size), from debugfs."""
    out = subprocess.run([DEBUGFS, "-R", "imap %s" % path, image], check=True, capture_output=True, text=True).stdout
    m = re.search(r"located at block (\d+), offset (0x[0-9a-f]+)", out)
    block, offset = int(m.group(1)), int(m.group(2), 16)
    bs = int(subprocess.run([DEBUGFS, "-R", "stats", image], check=True, capture_output=True, text=True)
             .stdout.split("Block size:")[1].split()[0])
    return block * bs + offset, bs


def first_block(image, path):
    out = subprocess.run([DEBUGFS, "-R", "blocks %s" % path, image], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0])


def poke(image, offset, data):
    with open(image, "r+b") as f:
        f.seek(offset)
        f.write(data)
