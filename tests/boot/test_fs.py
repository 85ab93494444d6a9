"""Files through the VFS: an ext4 disk made by mkfs.ext4 -d from a tree of
random files (0 bytes to 64 MiB, sparse, deep paths, symlinks, a directory
of 3000 entries) is walked by apps/fstest on every block controller and
transport; every file's SHA-256 and size, every link target and every
directory must match what the host sees in the tree. The same tree from a
cpio initrd; POSIX semantics on ext4 and on ramfs; --rootfs and --mount,
MBR and GPT partitions; corrupt images fail with a clear log line.

CONTROLLERS is the list other block drivers join: a name, the presets it
runs on, and the QEMU arguments that attach an image to it."""

import os
import re
import subprocess

import pytest

import fs_images as fi

TREE_TIMEOUT = 240


def virtio_blk(preset, image, index=0):
    dev = {"pc": "virtio-blk-pci,disable-modern=on", "q35": "virtio-blk-pci,disable-legacy=on",
           "microvm": "virtio-blk-device", "microvm-noacpi": "virtio-blk-device"}[preset]
    return ["-drive", "file=%s,if=none,id=fsd%d,format=raw" % (image, index), "-device", "%s,drive=fsd%d" % (dev, index)]


def virtio_scsi(preset, image, index=0):
    hba = {"pc": "virtio-scsi-pci,disable-modern=on", "q35": "virtio-scsi-pci,disable-legacy=on",
           "microvm": "virtio-scsi-device", "microvm-noacpi": "virtio-scsi-device"}[preset]
    return ["-device", "%s,id=fshba%d" % (hba, index), "-drive", "file=%s,if=none,id=fsd%d,format=raw" % (image, index),
            "-device", "scsi-hd,drive=fsd%d,bus=fshba%d.0" % (index, index)]


def extra(fn):
    return lambda preset, image: {"extra": fn(preset, image)}


def preset_disk(preset, image):
    """The preset's own disk kind (scripts/kestrel_qemu.py): pvscsi on vmware,
    AHCI on virtualbox, NVMe on ec2."""
    return {"disks": [image]}


# (controller, preset, attach(preset, image) -> boot() keywords, block device name in the guest)
CONTROLLERS = [
    ("virtio-blk", "pc", extra(virtio_blk), "vblk0"),
    ("virtio-blk", "q35", extra(virtio_blk), "vblk0"),
    ("virtio-blk", "microvm", extra(virtio_blk), "vblk0"),
    ("virtio-scsi", "pc", extra(virtio_scsi), "sd0"),
    ("virtio-scsi", "q35", extra(virtio_scsi), "sd0"),
    ("virtio-scsi", "microvm", extra(virtio_scsi), "sd0"),
    ("pvscsi", "vmware", preset_disk, "sd0"),
    ("ahci", "virtualbox", preset_disk, "sata0"),
    ("nvme", "ec2", preset_disk, "nvme0n1"),
]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    d = tmp_path_factory.mktemp("fs")
    root = fi.make_tree(str(d / "tree"), huge=16 * fi.MIB)
    image = fi.mkfs_ext4(root, str(d / "tree.ext4"), htree=True)
    # The 3000-entry directory is an htree (read linearly by the kernel).
    out = subprocess.run([fi.DEBUGFS, "-R", "stat /many", image], capture_output=True, text=True).stdout
    assert re.search(r"Flags: 0x[0-9a-f]*1[0-9a-f]{3}\b", out), out
    return {"root": root, "view": fi.host_view(root), "ext4": image, "dir": d}


def check_tree(output, view):
    got = fi.guest_view(output)
    m = re.search(r"fstest: tree files=(\d+) dirs=(\d+) links=(\d+) bytes=(\d+) errors=(\d+)", output)
    assert m, output[-3000:]
    assert m.group(5) == "0", [l for l in output.splitlines() if "error" in l][:20]
    missing = set(view["F"]) - set(got["F"])
    assert not missing, sorted(missing)[:20]
    bad = [p for p in view["F"] if got["F"][p] != view["F"][p]]
    assert not bad, [(p, got["F"][p], view["F"][p]) for p in bad[:10]]
    assert got["F"] == view["F"]
    assert got["L"] == view["L"]
    assert got["D"] == view["D"]
    assert int(m.group(1)) == len(view["F"]) and int(m.group(4)) == sum(s for _, s in view["F"].values())


@pytest.mark.parametrize("controller,preset,attach,dev", CONTROLLERS,
                         ids=["%s-%s" % (c[0], c[1]) for c in CONTROLLERS])
def test_ext4_tree_on_every_controller(boot, tree, controller, preset, attach, dev):
    b = boot("fstest tree /", app="fstest", preset=preset, expect_status=0, timeout=TREE_TIMEOUT,
             **attach(preset, tree["ext4"]))
    assert "fs: / is ext4 on %s" % dev in b.output, b.output[-3000:]
    check_tree(b.output, tree["view"])


def test_initrd_tree(boot, tree):
    archive = fi.cpio_newc(tree["root"], str(tree["dir"] / "tree.cpio"))
    b = boot("fstest tree /", app="fstest", preset="microvm", memory="512M", expect_status=0,
             timeout=TREE_TIMEOUT, extra=["-initrd", archive])
    assert "fs: / is ramfs on initrd" in b.output
    assert re.search(r"initrd: \d+ entries from a %d-byte cpio archive" % os.path.getsize(archive), b.output)
    check_tree(b.output, tree["view"])


def small_tree(path, seed):
    return fi.make_tree(path, seed=seed, huge=0, many=50, deep=5, sparse=False)


def test_posix_on_ext4(boot, tmp_path):
    img = fi.mkfs_ext4(small_tree(str(tmp_path / "t"), 2), str(tmp_path / "d.img"))
    ro = virtio_blk("q35", img)
    ro[1] += ",readonly=on"  # read-only medium: the mount is read-only
    b = boot("fstest posix /", app="fstest", preset="q35", expect_status=0, extra=ro)
    assert "posix: create erofs" in b.output
    b = boot("fstest posix /", app="fstest", preset="q35", expect_status=0, extra=virtio_blk("q35", img))
    assert "posix: create created" in b.output
    r = subprocess.run([fi.E2FSCK, "-fn", img], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert re.search(r"fstest: posix checks=(\d+) failed=0", b.output)


def test_posix_and_writes_on_ramfs(boot, tmp_path):
    archive = fi.cpio_newc(small_tree(str(tmp_path / "t"), 3), str(tmp_path / "i.cpio"))
    b = boot("fstest posix /", app="fstest", preset="microvm", expect_status=0, extra=["-initrd", archive])
    assert "posix: create created" in b.output
    assert re.search(r"fstest: posix checks=\d+ failed=0", b.output)
    b = boot("fstest write /", app="fstest", preset="microvm", expect_status=0, extra=["-initrd", archive])
    assert re.search(r"fstest: write checks=14 failed=0", b.output)


def test_mount_option_over_initrd_root(boot, tmp_path):
    """Initrd root by default; --mount puts a disk's ext4 under it."""
    a = small_tree(str(tmp_path / "a"), 4)
    d = small_tree(str(tmp_path / "d"), 5)
    archive = fi.cpio_newc(a, str(tmp_path / "a.cpio"))
    img = fi.mkfs_ext4(d, str(tmp_path / "d.img"))
    b = boot("--mount=vblk0:/mnt/disk fstest tree /mnt/disk", app="fstest", preset="microvm", expect_status=0,
             extra=["-initrd", archive] + virtio_blk("microvm", img))
    assert "fs: / is ramfs on initrd" in b.output
    assert "fs: /mnt/disk is ext4 on vblk0" in b.output
    check_tree(b.output, fi.host_view(d))


def test_rootfs_ext4_on_gpt_and_mount_on_mbr(boot, tmp_path):
    """--rootfs=ext4 wins over the initrd; the root comes from partition 2
    of a GPT disk, a second disk's MBR partition is mounted on /mnt."""
    a = small_tree(str(tmp_path / "a"), 6)
    g = small_tree(str(tmp_path / "g"), 7)
    m = small_tree(str(tmp_path / "m"), 8)
    archive = fi.cpio_newc(a, str(tmp_path / "a.cpio"))
    gdisk = fi.gpt_disk(str(tmp_path / "g.disk"), fi.mkfs_ext4(g, str(tmp_path / "g.img")))
    mdisk = fi.mbr_disk(str(tmp_path / "m.disk"), fi.mkfs_ext4(m, str(tmp_path / "m.img")))
    extra = ["-initrd", archive] + virtio_blk("q35", gdisk, 0) + virtio_blk("q35", mdisk, 1)
    b = boot("--rootfs=ext4 --mount=vblk1p1:/mnt fstest tree /mnt", app="fstest", preset="q35", expect_status=0,
             extra=extra)
    assert re.search(r"part: vblk0p1: sectors 2048-4095, GPT", b.output), b.output[-3000:]
    assert re.search(r"part: vblk0p2: sectors 4096-\d+, GPT", b.output)
    assert re.search(r"part: vblk1p1: sectors 2048-\d+, MBR type 0x83", b.output)
    assert "fs: / is ext4 on vblk0p2" in b.output
    assert "fs: /mnt is ext4 on vblk1p1" in b.output
    check_tree(b.output, fi.host_view(m))
    b = boot("--rootfs=ext4 fstest tree /", app="fstest", preset="q35", expect_status=0, extra=extra)
    check_tree(b.output, fi.host_view(g))


def test_corrupt_images_fail_cleanly(boot, tmp_path):
    """A feature we do not read and a broken superblock: neither mounts, each
    says why; corrupt inodes, extents and directory entries give EIO on
    those files only, each with a log line naming the fault."""
    t = small_tree(str(tmp_path / "t"), 9)
    inline = fi.mkfs_ext4(t, str(tmp_path / "inline.img"), options=["-O", "inline_data"])
    badsb = fi.mkfs_ext4(t, str(tmp_path / "badsb.img"))
    fi.poke(badsb, 1024 + 0x18, (20).to_bytes(4, "little"))  # s_log_block_size
    b = boot("fstest cat /posix/file", app="fstest", preset="q35", expect_status=1,
             extra=virtio_blk("q35", inline, 0) + virtio_blk("q35", badsb, 1))
    assert "ext4: vblk0: unsupported incompatible feature 'inline_data'" in b.output, b.output[-3000:]
    assert "ext4: vblk1: corrupt file system: block size exponent (20, 6)" in b.output
    assert "fs: no usable ext4 file system on any disk" in b.output
    assert "fs: / is ramfs on none" in b.output
    assert "fstest: error /posix/file: No such file or directory" in b.output

    img = fi.mkfs_ext4(t, str(tmp_path / "c.img"))
    ino, bs = fi.inode_location(img, "/sizes/f4097")
    fi.poke(img, ino + 0x28, b"\x00\x00")  # extent header magic
    ino, bs = fi.inode_location(img, "/sizes/f65536")
    fi.poke(img, ino + 0x28 + 12 + 8, (0xfffffff0).to_bytes(4, "little"))  # first extent's start
    ino, bs = fi.inode_location(img, "/sizes/f65537")
    fi.poke(img, ino + 0x28 + 6, (30).to_bytes(2, "little"))  # eh_depth
    blk = fi.first_block(img, "/many")
    fi.poke(img, blk * bs + 4, (3).to_bytes(2, "little"))  # rec_len of "."
    b = boot("fstest tree /", app="fstest", preset="q35", expect_status=1, extra=virtio_blk("q35", img))
    out = b.output
    assert "corrupt file system: extent header magic" in out
    assert "corrupt file system: extent points outside the file system" in out
    assert "corrupt file system: extent tree too deep" in out
    assert "corrupt file system: directory entry length" in out
    for p in ("/sizes/f4097", "/sizes/f65536", "/sizes/f65537"):
        assert "fstest: error %s: Input/output error" % p in out
    assert "fstest: error reading directory /many: Input/output error" in out
    assert re.search(r"fstest: tree files=\d+ dirs=\d+ links=\d+ bytes=\d+ errors=4", out)
    # Everything else still reads back intact.
    view, got = fi.host_view(t), fi.guest_view(out)
    for p, v in view["F"].items():
        if not p.startswith("many/") and p not in ("sizes/f4097", "sizes/f65536", "sizes/f65537"):
            assert got["F"].get(p) == v, p


def test_initrd_as_grub_multiboot2_module(boot, tmp_path):
    """The initrd handed over by GRUB's module2 (multiboot2), not QEMU's PVH loader."""
    import shutil
    import subprocess
    from conftest import app_kernel
    if not shutil.which("grub-mkrescue"):
        pytest.fail("grub-mkrescue missing: scripts/deps installs grub-pc-bin, xorriso and mtools")
    t = small_tree(str(tmp_path / "t"), 10)
    root = tmp_path / "iso"
    (root / "boot" / "grub").mkdir(parents=True)
    shutil.copy(app_kernel("fstest"), root / "boot" / "kestrel.elf")
    fi.cpio_newc(t, str(root / "boot" / "initrd.cpio"))
    (root / "boot" / "grub" / "grub.cfg").write_text(
        "set timeout=0\nserial --unit=0 --speed=115200\nterminal_output serial\n"
        "menuentry kestrel {\n  multiboot2 /boot/kestrel.elf fstest tree /\n"
        "  module2 /boot/initrd.cpio initrd\n  boot\n}\n")
    iso = tmp_path / "fs.iso"
    r = subprocess.run(["grub-mkrescue", "-o", str(iso), str(root)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    b = boot("", app=None, preset="pc", memory="256M", expect_status=0, timeout=TREE_TIMEOUT,
             extra=["-cdrom", str(iso)])
    assert "booted by multiboot2" in b.output or "fs: / is ramfs on initrd" in b.output
    assert "fs: / is ramfs on initrd" in b.output
    check_tree(b.output, fi.host_view(t))
