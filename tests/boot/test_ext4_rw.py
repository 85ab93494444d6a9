"""ext4 read-write in the guest. Each test that writes ends with e2fsck -fn
on the image after QEMU exits (no errors), and compares the contents with a
model of what the guest wrote:

- `fstest rw`: a random workload (seed printed) run by the guest on ext4
  and replayed here with the same operations on a host directory; the hash
  of every operation's result must match, and the tree Linux's debugfs
  dumps from the image must equal the host's (on virtio-blk over its three
  transports, virtio-scsi, NVMe and AHCI; ext3's block maps).
- Kestrel reads and changes what Linux wrote (mkfs.ext4 -d, then debugfs -w).
- Crash consistency: `fstest crash` is SIGKILLed at random times; the next
  boot's mount replays the journal, every file the guest fsynced must hold
  what it synced, and e2fsck -fn must be clean. A short run here; set
  KESTREL_CRASH_KILLS (make check-crash: 50) for more.
- Read-only media and :ro mounts stay read-only.
"""

import os
import random
import re
import subprocess
import sys
import time

import pytest

import fs_images as fi
from ext4_workload import replay

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import kestrel_qemu as kq  # noqa: E402
from conftest import app_kernel  # noqa: E402

E2FSCK = fi.E2FSCK
DEBUGFS = fi.DEBUGFS


def drive(preset, image, kind="virtio-blk", readonly=False):
    ro = ",readonly=on" if readonly else ""
    if kind == "virtio-blk":
        dev = {"pc": "virtio-blk-pci,disable-modern=on", "q35": "virtio-blk-pci,disable-legacy=on",
               "microvm": "virtio-blk-device"}[preset]
        return {"extra": ["-drive", "file=%s,if=none,id=d0,format=raw%s" % (image, ro), "-device", "%s,drive=d0" % dev]}
    if kind == "virtio-scsi":
        hba = {"pc": "virtio-scsi-pci,disable-modern=on", "q35": "virtio-scsi-pci,disable-legacy=on",
               "microvm": "virtio-scsi-device"}[preset]
        return {"extra": ["-device", "%s,id=hba0" % hba, "-drive", "file=%s,if=none,id=d0,format=raw" % image,
                          "-device", "scsi-hd,drive=d0,bus=hba0.0"]}
    return {"disks": [image]}  # the preset's own controller: NVMe on ec2, AHCI on virtualbox


def mkfs(path, size="64M", options=("-b", "4096")):
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run([fi.MKFS, "-q", "-F", *options, path, size], check=True, stdout=subprocess.DEVNULL)
    return path


def fsck_clean(image):
    r = subprocess.run([E2FSCK, "-fn", image], capture_output=True, text=True)
    assert r.returncode == 0, "e2fsck -fn found errors:\n" + r.stdout + r.stderr
    return r.stdout


def dump(image, path, out):
    subprocess.run(["rm", "-rf", out], check=True)
    os.makedirs(out)
    r = subprocess.run([DEBUGFS, "-R", "rdump %s %s" % (path, out), image], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def same_trees(a, b):
    r = subprocess.run(["diff", "-r", a, b], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:]


def run_workload(boot, tmp_path, preset, kind, seed, steps=1500, span=300000, image=None):
    image = image or mkfs(str(tmp_path / "rw.img"))
    print("workload seed %d, %d steps" % (seed, steps))
    b = boot("--rootfs=ramfs --mount=%s:/mnt fstest rw /mnt %d %d %d" % (
        {"virtio-blk": "vblk0", "virtio-scsi": "sd0", "pvscsi": "sd0", "nvme": "nvme0n1", "ahci": "sata0"}[kind],
        seed, steps, span),
        app="fstest", preset=preset, memory="256M", timeout=400, expect_status=0, **drive(preset, image, kind))
    m = re.search(r"fstest: rw seed=\d+ steps=(\d+) hash=([0-9a-f]{16}) odd-errors=0 ms=(\d+)", b.output)
    assert m, b.output[-3000:]
    host = str(tmp_path / "host")
    subprocess.run(["rm", "-rf", host], check=True)
    want = replay(host, seed, steps, span)
    assert int(m.group(2), 16) == want, "results differ from the host's replay (seed %d)" % seed
    fsck_clean(image)
    dump(image, "/z", str(tmp_path / "dump"))
    same_trees(host + "/z", str(tmp_path / "dump") + "/z")
    return b


@pytest.mark.parametrize("preset", ["pc", "q35", "microvm"])
def test_workload_on_virtio_blk(boot, tmp_path, preset):
    b = run_workload(boot, tmp_path, preset, "virtio-blk", random.randrange(1 << 30))
    assert re.search(r"ext4: vblk0: .*read-write with its journal", b.output), b.output[-2000:]


@pytest.mark.parametrize("kind,preset", [("virtio-scsi", "q35"), ("nvme", "ec2"), ("ahci", "virtualbox"),
                                         ("pvscsi", "vmware")])
def test_workload_on_other_controllers(boot, tmp_path, kind, preset):
    run_workload(boot, tmp_path, preset, kind, random.randrange(1 << 30), steps=600)


def test_one_k_blocks_and_no_journal(boot, tmp_path):
    img = mkfs(str(tmp_path / "k1.img"), "32M", ("-b", "1024"))
    run_workload(boot, tmp_path, "microvm", "virtio-blk", random.randrange(1 << 30), steps=800, span=100000,
                 image=img)
    img = mkfs(str(tmp_path / "nj.img"), "32M", ("-O", "^has_journal,^metadata_csum"))
    b = run_workload(boot, tmp_path, "microvm", "virtio-blk", random.randrange(1 << 30), steps=800, image=img)
    assert "with its journal" not in b.output


def test_ext3_block_maps(boot, tmp_path):
    """ext3 as mkfs makes it (no extents): files and directories written
    with block maps, offsets past the double indirect block's start."""
    img = mkfs(str(tmp_path / "e3.img"), "32M", ("-t", "ext3", "-b", "1024"))
    b = run_workload(boot, tmp_path, "microvm", "virtio-blk", random.randrange(1 << 30), steps=600, span=1000000,
                     image=img)
    assert re.search(r"ext4: vblk0: .*read-write with its journal", b.output), b.output[-2000:]
    r = subprocess.run([DEBUGFS, "-R", "stat /z", img], capture_output=True, text=True)
    assert "Flags: 0x0\n" in r.stdout, r.stdout  # still block-mapped


def test_linux_written_then_ours(boot, tmp_path):
    """A tree mkfs.ext4 -d made, changed by debugfs -w, read by Kestrel,
    which then writes more; Linux reads the result."""
    tree = fi.make_tree(str(tmp_path / "t"), seed=5, huge=0, many=200, deep=5, sparse=True)
    img = fi.mkfs_ext4(tree, str(tmp_path / "l.img"), size_mib=64, htree=True)
    extra = tmp_path / "extra.bin"
    extra.write_bytes(os.urandom(50000))
    cmds = "mkdir /added\nwrite %s /added/file\nrm /many/file00007\nsymlink /added/link file\n" % extra
    r = subprocess.run([DEBUGFS, "-w", "-f", "-", img], input=cmds, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    os.makedirs(tree + "/added")
    with open(tree + "/added/file", "wb") as f:
        f.write(extra.read_bytes())
    os.symlink("file", tree + "/added/link")
    b = boot("fstest tree /", app="fstest", preset="q35", memory="256M", timeout=300, expect_status=0,
             **drive("q35", img))
    got = fi.guest_view(b.output)
    view = fi.host_view(tree)
    assert got["F"]["added/file"] == view["F"]["added/file"]
    assert got["L"]["added/link"] == "file"
    assert "many/file00006" in got["F"] and "many/file00007" not in got["F"]
    run_workload(boot, tmp_path, "q35", "virtio-blk", random.randrange(1 << 30), steps=500, image=img)


def test_read_only_media_and_ro_mounts(boot, tmp_path):
    tree = fi.make_tree(str(tmp_path / "t"), seed=9, huge=0, many=50, deep=5, sparse=False)
    img = fi.mkfs_ext4(tree, str(tmp_path / "ro.img"))
    before = open(img, "rb").read()
    b = boot("--rootfs=ext4 fstest posix /", app="fstest", preset="q35", **drive("q35", img, readonly=True))
    assert "posix: create erofs" in b.output
    assert re.search(r"ext4: vblk0: .* read-only", b.output)
    b = boot("--rootfs=ramfs --mount=vblk0:/d:ro fstest posix /d", app="fstest", preset="q35", **drive("q35", img))
    assert "posix: create erofs" in b.output
    assert open(img, "rb").read() == before, "a read-only mount wrote to the disk"


def crash_kills():
    return int(os.environ.get("KESTREL_CRASH_KILLS", "3"))


def test_crash_consistency(tmp_path):
    kernel = app_kernel("fstest")
    img = mkfs(str(tmp_path / "crash.img"), "512M")  # sparse; each run keeps at most 300 files
    kills = crash_kills()
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    print("crash test seed %d, %d kills" % (seed, kills))
    synced = {}
    for k in range(kills):
        # Each run continues on what the last left, with its own names.
        cmd = kq.qemu_command("microvm", kernel, "--rootfs=ramfs --mount=vblk0:/mnt fstest crash /mnt/r%d %d /mnt/s" % (k, seed + k),
                              memory="128M", **drive("microvm", img))
        kill_at = rng.uniform(2.0, 9.0)
        run = kq.boot(cmd, timeout=kill_at)
        for _, line in run.lines[:-1]:  # the last line may be cut
            m = re.match(r"fstest: synced (\S+) (\d+) ([0-9a-f]{64})$", line)
            if m:
                synced[m.group(1)] = (m.group(3), int(m.group(2)))
        assert not any("fstest: crash:" in l for _, l in run.lines), run.output[-2000:]
        # Our mount replays the journal; fstest tree reports every synced file
        # (the random work's renames nest directories too deep to walk).
        check = kq.boot(kq.qemu_command("microvm", kernel, "--rootfs=ramfs --mount=vblk0:/mnt fstest tree /mnt/s", memory="128M",
                                        **drive("microvm", img)), timeout=300)
        assert check.status == 0, check.output[-3000:]
        got = fi.guest_view(check.output)
        lost = [(p, v, got["F"].get(p)) for p, v in synced.items() if got["F"].get(p) != v]
        assert not lost, "fsynced files changed after a kill at %.1fs: %s" % (kill_at, lost[:5])
        fsck_clean(img)
        print("kill %d at %.1fs: %d fsynced files intact, e2fsck clean%s" % (
            k, kill_at, len(synced), ", journal replayed" if "journal replayed" in check.output else ""))


def kill_after(cmd, line_re, delay, timeout=120):
    """Boots cmd, waits for a complete serial line matching line_re, lets
    the guest run delay more seconds, then SIGKILLs QEMU. Returns the match."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    buf, found, start = b"", None, time.monotonic()
    try:
        while not found and time.monotonic() - start < timeout:
            chunk = proc.stdout.read1(4096) if hasattr(proc.stdout, "read1") else os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            for line in buf.split(b"\n")[:-1]:  # complete lines only
                m = re.search(line_re, line.decode("utf-8", "replace"))
                if m:
                    found = m
        if found:
            time.sleep(delay)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert found, buf.decode("utf-8", "replace")[-2000:]
    return found


@pytest.mark.parametrize("interval", [1, 5])
def test_commit_interval(tmp_path, interval):
    """A file written without fsync is durable one commit interval later
    (ext4.commit=, default 5 s): QEMU is killed interval + 2 s after the write."""
    kernel = app_kernel("fstest")
    img = mkfs(str(tmp_path / "lazy.img"))
    opt = "ext4.commit=%d " % interval if interval != 5 else ""
    cmd = kq.qemu_command("microvm", kernel, "--rootfs=ramfs --mount=vblk0:/mnt %sfstest lazy /mnt" % opt,
                          memory="128M", **drive("microvm", img))
    m = kill_after(cmd, r"fstest: lazy written (\d+) ([0-9a-f]{64})", interval * 2 + 2.0)
    check = kq.boot(kq.qemu_command("microvm", kernel, "--rootfs=ramfs --mount=vblk0:/mnt fstest tree /mnt",
                                    memory="128M", **drive("microvm", img)), timeout=120)
    got = fi.guest_view(check.output)
    assert got["F"].get("lazy") == (m.group(2), int(m.group(1))), check.output[-2000:]
    fsck_clean(img)


@pytest.mark.parametrize("where", ["log", "home"])
def test_write_errors(tmp_path, where):
    """QEMU blkdebug fails every write to one block: in the journal's log,
    or at the home of the root's inode table block. The commit (log) or the
    checkpoint (home: blocks go home lazily) that meets it fails, the file
    system turns read-only with a log line, and the next boot (our replay
    of the complete transactions) leaves e2fsck -fn clean."""
    kernel = app_kernel("fstest")
    img = mkfs(str(tmp_path / "err.img"))
    r = subprocess.run([DEBUGFS, "-R", "stat <8>", img], capture_output=True, text=True).stdout
    jstart = int(re.search(r"\(0(?:-\d+)?\):(\d+)", r).group(1))
    r = subprocess.run([DEBUGFS, "-R", "imap <2>", img], capture_output=True, text=True).stdout
    itable = int(re.search(r"located at block (\d+)", r).group(1))
    block = jstart + 1 if where == "log" else itable
    cfg = tmp_path / "blkdebug.cfg"
    cfg.write_text('[inject-error]\nevent = "write_aio"\nerrno = "5"\nsector = "%d"\nonce = "off"\n' % (block * 8))
    extra = ["-drive", "file=blkdebug:%s:%s,if=none,id=d0,format=raw" % (cfg, img),
             "-device", "virtio-blk-device,drive=d0"]
    b = kq.boot(kq.qemu_command("microvm", kernel, "--rootfs=ramfs --mount=vblk0:/mnt fstest rw /mnt 5 300 100000",
                                memory="128M", extra=extra), timeout=120)
    what = "commit" if where == "log" else "checkpoint"
    assert re.search(r"ext4: vblk0: %s failed \(-5\): the file system is now read-only" % what, b.output), b.output[-2000:]
    check = kq.boot(kq.qemu_command("microvm", kernel, "--rootfs=ramfs --mount=vblk0:/mnt fstest tree /mnt",
                                    memory="128M", **drive("microvm", img)), timeout=120)
    assert check.status == 0, check.output[-2000:]
    assert "read-write with its journal" in check.output
    if where == "home":  # the log held the whole transaction: replayed home
        assert re.search(r"ext4: vblk0: journal replayed: [1-9]\d* transactions", check.output), check.output[-2000:]
    fsck_clean(img)
