"""Disk images from scripts/mkimage: each format built once per session,
checked the way its importer would check it, and booted from its disk (no
-kernel) under SeaBIOS and under OVMF. The command line carries a token made
for this session, so the app's lines prove the image's own configuration
reached it; the kernel must also find, on its own driver, the disk it booted
from with the image's size."""

import hashlib
import json
import os
import re
import secrets
import shutil
import struct
import subprocess
import sys
import tarfile
import uuid
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, app_kernel

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import kestrel_disk as kd  # noqa: E402
import kestrel_qemu as kq  # noqa: E402

MKIMAGE = os.path.join(ROOT, "scripts", "mkimage")
OVMF = "/usr/share/ovmf/OVMF.fd"
TOKEN = "tok" + secrets.token_hex(4)
CMDLINE = "--verbose hello from-disk %s 'two words'" % TOKEN
# What the kernel is handed: Kestrel's BIOS loader passes the line as it is;
# GRUB (UEFI) rebuilds it from its words, a word with spaces in double quotes.
KERNEL_SEES = {"bios": CMDLINE, "uefi": '--verbose hello from-disk %s "two words"' % TOKEN}
FILES = {"hello.txt": b"files partition " + TOKEN.encode() + b"\n", "sub/data.bin": os.urandom(70000)}

# How the boot disk attaches, on top of the preset, and the prefix of the
# name the kernel gives the block device it binds there. bootindex=0: the
# firmware tries the disk before any NIC's network boot.
CONTROLLERS = {
    "virtio-blk-modern": (["-device", "virtio-blk-pci,disable-legacy=on,drive=d0,bootindex=0"], "vblk"),
    "virtio-blk-legacy": (["-device", "virtio-blk-pci,disable-modern=on,drive=d0,bootindex=0"], "vblk"),
    "virtio-scsi": (["-device", "virtio-scsi-pci,id=scsi0", "-device",
                     "scsi-hd,drive=d0,bus=scsi0.0,vendor=Google,product=PersistentDisk,bootindex=0"], "sd"),
    # The vmware preset brings its pvscsi controller; virtualbox its AHCI one.
    "pvscsi": (["-device", "scsi-hd,drive=d0,bus=pvscsi0.0,scsi-id=0,bootindex=0"], "sd"),
    "ahci": (["-device", "ide-hd,drive=d0,bus=ahci0.0,bootindex=0"], "sata"),
    "nvme": (["-device", "nvme,drive=d0,serial=kestrel-disk,bootindex=0"], "nvme"),
}

# format: (preset, {firmware: controller}, NICs). Each importer's hardware as
# the OVA declares it or the cloud gives it: VMware pvscsi + vmxnet3,
# VirtualBox AHCI + e1000 (the presets' NIC kinds), EC2 NVMe, GCE virtio-scsi.
# Debian's OVMF has no PVSCSI driver (VMware's own EFI has), so VMware's UEFI
# boots use NVMe, the other controller VMware offers EFI guests.
BOOTS = {
    "raw": ("q35", {"bios": "virtio-blk-modern", "uefi": "virtio-blk-modern"}, ()),
    "qcow2": ("q35", {"bios": "virtio-blk-modern", "uefi": "virtio-blk-modern"}, ()),
    "vmdk": ("vmware", {"bios": "pvscsi", "uefi": "nvme"}, ("user",)),
    "ova-vmware": ("vmware", {"bios": "pvscsi", "uefi": "nvme"}, ("user",)),
    "vdi": ("virtualbox", {"bios": "ahci", "uefi": "ahci"}, ("user",)),
    "ova-virtualbox": ("virtualbox", {"bios": "ahci", "uefi": "ahci"}, ("user",)),
    "gce": ("gce", {"bios": "virtio-scsi", "uefi": "virtio-scsi"}, ()),
    "ec2": ("ec2", {"bios": "nvme", "uefi": "nvme"}, ()),
}
SIZE = "96M"


def mkimage(*args, env=None):
    return subprocess.run([sys.executable, MKIMAGE] + list(args), capture_output=True, text=True, env=env)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every format, built once: {format: (output path, stdout, stderr)}."""
    app_kernel("hello")
    for tool in ("qemu-img", "grub-mkimage", "mformat", "mkfs.ext4"):
        if not shutil.which(tool):
            pytest.fail("%s missing: scripts/deps installs it" % tool)
    d = tmp_path_factory.mktemp("images")
    files = d / "files"
    for name, data in FILES.items():
        (files / name).parent.mkdir(parents=True, exist_ok=True)
        (files / name).write_bytes(data)
    out = {}
    for fmt in BOOTS:
        path = d / ("kestrel." + fmt)
        r = mkimage("--app", "hello", "--cmdline", CMDLINE, "--files", str(files), "--size", SIZE,
                    "--format", fmt, "-o", str(path))
        assert r.returncode == 0, "mkimage --format %s failed:\n%s" % (fmt, r.stderr)
        out[fmt] = (path, r.stdout, r.stderr)
    return out


def disk_of(built, fmt, tmp_path_factory):
    """The file a hypervisor would attach, and its QEMU format."""
    path = built[fmt][0]
    if fmt in ("ova-vmware", "ova-virtualbox"):
        d = tmp_path_factory.mktemp(fmt)
        with tarfile.open(path) as t:
            vmdk = [m for m in t.getmembers() if m.name.endswith(".vmdk")][0]
            t.extract(vmdk, d)
        return str(d / vmdk.name), "vmdk"
    if fmt == "gce":
        d = tmp_path_factory.mktemp(fmt)
        with tarfile.open(path) as t:
            t.extract("disk.raw", d)
        return str(d / "disk.raw"), "raw"
    if fmt == "ec2":
        return str(path / "disk.raw"), "raw"
    return str(path), {"raw": "raw", "qcow2": "qcow2", "vmdk": "vmdk", "vdi": "vdi"}[fmt]


def qemu_info(path):
    r = subprocess.run(["qemu-img", "info", "--output=json", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
@pytest.mark.parametrize("fmt", list(BOOTS))
def test_boots_from_disk(boot, built, tmp_path_factory, fmt, firmware):
    if firmware == "uefi" and not os.path.exists(OVMF):
        pytest.fail("%s missing: scripts/deps installs ovmf" % OVMF)
    disk, qfmt = disk_of(built, fmt, tmp_path_factory)
    preset, controllers, nics = BOOTS[fmt]
    controller = controllers[firmware]
    args, blk_prefix = CONTROLLERS[controller]
    # snapshot=on: nothing the guest or QEMU does changes the built image.
    extra = ["-drive", "file=%s,format=%s,if=none,id=d0,snapshot=on" % (disk, qfmt)] + args
    if firmware == "uefi":
        extra = ["-bios", OVMF] + extra
    b = boot("", app=None, preset=preset, memory="128M", timeout=120, expect_status=0, extra=extra, nics=nics)
    out = b.output
    assert 'booted by multiboot2, command line "%s"' % KERNEL_SEES[firmware] in out, out[-3000:]
    # ACPI either way: the loader's RSDP tag under UEFI, the kernel's own scan under BIOS.
    assert re.search(r"^firmware: ACPI, .*SMBIOS", out, re.M), out[-3000:]
    assert "Hello from Kestrel" in out
    assert re.search(r"^arg 1: from-disk\narg 2: %s\narg 3: two words$" % TOKEN, out, re.M), out[-2000:]
    sectors = qemu_info(disk)["virtual-size"] // 512
    found = [int(n) for n in re.findall(r"^block: %s\w*, (\d+) sectors of 512 bytes" % blk_prefix, out, re.M)]
    assert sectors in found, "the kernel did not bind its boot disk (%d sectors) on %s:\n%s" % (
        sectors, controller, out[-3000:])
    # Detection needs SMBIOS: under UEFI it comes from the EFI configuration tables.
    want = {"q35": "qemu-q35", "vmware": "vmware", "virtualbox": "virtualbox", "gce": "gce", "ec2": "ec2"}[preset]
    assert re.search(r"^platform: %s \(" % want, out, re.M), out[-3000:]
    uefi = re.search(r"^boot: UEFI, system table (0x[0-9a-f]+), memory map from the EFI map", out, re.M)
    if firmware == "uefi":
        assert uefi and int(uefi.group(1), 16) != 0, out[-3000:]
        assert re.search(r"EFI memory map of \d+ descriptors", out)
    else:
        assert not uefi, "a BIOS boot took the UEFI path"


def test_grub_bios_loader(boot, tmp_path):
    """--bios-loader grub, kept for comparison (bench/image): GRUB's boot.img
    and core.img patched as grub-install would, booted by SeaBIOS."""
    raw = tmp_path / "grub.raw"
    r = mkimage("--app", "hello", "--cmdline", CMDLINE, "--bios-loader", "grub", "--size", SIZE,
                "--format", "raw", "-o", str(raw))
    assert r.returncode == 0, r.stderr
    hdr, parts = kd.read_gpt(str(raw))
    mbr = hdr["mbr"]
    with open("/usr/lib/grub/i386-pc/boot.img", "rb") as f:
        assert mbr[:kd.BOOT_KERNEL_SECTOR] == f.read()[:kd.BOOT_KERNEL_SECTOR]
    core_lba = int.from_bytes(mbr[kd.BOOT_KERNEL_SECTOR:kd.BOOT_KERNEL_SECTOR + 8], "little")
    assert core_lba == [p for p in parts if p["index"] == 1][0]["first"]
    with open(raw, "rb") as f:
        f.seek(core_lba * 512)
        diskboot = f.read(512)
    assert int.from_bytes(diskboot[kd.DISKBOOT_BLOCKLIST:kd.DISKBOOT_BLOCKLIST + 8], "little") == core_lba + 1
    args, _ = CONTROLLERS["virtio-blk-modern"]
    b = boot("", app=None, preset="q35", memory="128M", timeout=120, expect_status=0,
             extra=["-drive", "file=%s,format=raw,if=none,id=d0,snapshot=on" % raw] + args)
    assert 'command line "%s"' % KERNEL_SEES["uefi"] in b.output  # GRUB's rendering
    assert re.search(r"^arg 3: two words$", b.output, re.M)


def test_raw_layout(built, tmp_path):
    """GPT and protective MBR as firmware reads them, the BIOS loader's
    patched sectors, the ESP's files, the files partition's ext4 and contents."""
    raw = str(built["raw"][0])
    hdr, parts = kd.read_gpt(raw)
    assert hdr["size_sectors"] * 512 == 96 << 20
    assert hdr["alt_lba"] == hdr["size_sectors"] - 1 and hdr["my_lba"] == 1
    assert hdr["backup"][:8] == b"EFI PART"
    mbr = hdr["mbr"]
    assert mbr[510:512] == b"\x55\xaa" and mbr[450] == 0xEE
    types = {p["index"]: (p["type"], p["name"]) for p in parts}
    assert types[1][0] == uuid.UUID("21686148-6449-6e6f-744e-656564454649")
    assert types[2][0] == uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
    assert types[3] == (uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4"), "kestrel-files")
    for p in parts:
        assert hdr["first_usable"] <= p["first"] <= p["last"] <= hdr["last_usable"]
        assert p["first"] % 2048 == 0
    # BIOS: our stage 1 in the MBR reads stage 2 from partition 1, which
    # carries the command line and is followed by the kernel's loadable image.
    with open(os.path.join(ROOT, "build", "loader", "mbr.bin"), "rb") as f:
        stage1 = f.read()
    assert mbr[:kd.MBR_DAP] == stage1[:kd.MBR_DAP]
    bios_first = [p for p in parts if p["index"] == 1][0]["first"]
    count = int.from_bytes(mbr[kd.MBR_DAP + 2:kd.MBR_DAP + 4], "little")
    assert int.from_bytes(mbr[kd.MBR_DAP + 8:kd.MBR_DAP + 16], "little") == bios_first and count == kd.STAGE2_SECTORS
    with open(raw, "rb") as f:
        f.seek(bios_first * 512)
        stage2 = f.read(kd.STAGE2_SECTORS * 512)
        p = kd.STAGE2_PARAMS
        assert stage2[p:p + 8] == kd.STAGE2_MAGIC
        lba, sectors, load, entry, cmd_len = struct.unpack_from("<QIIII", stage2, p + 8)
        assert stage2[p + 32:p + 32 + cmd_len] == CMDLINE.encode() + b"\0"
        with open(app_kernel("hello"), "rb") as k:
            flat, want_load, want_entry = kd.elf_flat_image(k.read())
        assert (lba, load, entry) == (bios_first + kd.STAGE2_SECTORS, want_load, want_entry)
        f.seek(lba * 512)
        assert f.read(sectors * 512)[:len(flat)] == flat
    # ESP: the kernel and GRUB for UEFI, read with mtools at the partition's offset.
    esp = [p for p in parts if p["index"] == 2][0]
    img = "%s@@%d" % (raw, esp["first"] * 512)
    kernel = tmp_path / "k.elf"
    subprocess.run(["mcopy", "-i", img, "::/boot/kestrel.elf", str(kernel)], check=True)
    subprocess.run(["strip", "-o", str(tmp_path / "want.elf"), app_kernel("hello")], check=True)
    assert kernel.read_bytes() == (tmp_path / "want.elf").read_bytes()
    efi = tmp_path / "BOOTX64.EFI"
    subprocess.run(["mcopy", "-i", img, "::/EFI/BOOT/BOOTX64.EFI", str(efi)], check=True)
    assert efi.read_bytes()[:2] == b"MZ"
    # Files partition: a clean ext4 labelled kestrel-files holding --files.
    files = [p for p in parts if p["index"] == 3][0]
    part = tmp_path / "files.ext4"
    with open(raw, "rb") as src, open(part, "wb") as dst:
        src.seek(files["first"] * 512)
        dst.write(src.read((files["last"] - files["first"] + 1) * 512))
    r = subprocess.run(["e2fsck", "-fn", str(part)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(["dumpe2fs", "-h", str(part)], capture_output=True, text=True)
    assert re.search(r"Filesystem volume name:\s+kestrel-files", r.stdout)
    assert re.search(r"Block size:\s+4096", r.stdout)  # docs/images.md promises fs/ this layout
    assert "has_journal" not in re.search(r"Filesystem features:(.*)", r.stdout).group(1)
    for name, data in FILES.items():
        r = subprocess.run(["debugfs", "-R", "cat /" + name, str(part)], capture_output=True)
        assert r.stdout == data, name


@pytest.mark.parametrize("fmt,qfmt,create_type", [
    ("qcow2", "qcow2", None), ("vmdk", "vmdk", "monolithicSparse"), ("vdi", "vdi", None)])
def test_subformat(built, fmt, qfmt, create_type):
    path = str(built[fmt][0])
    info = qemu_info(path)
    assert info["format"] == qfmt
    assert info["virtual-size"] == 96 << 20
    if create_type:
        assert info["format-specific"]["data"]["create-type"] == create_type
    r = subprocess.run(["qemu-img", "check", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


NS = {"ovf": "http://schemas.dmtf.org/ovf/envelope/1",
      "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
      "vssd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData",
      "vmw": "http://www.vmware.com/schema/ovf", "vbox": "http://www.virtualbox.org/ovf/machine"}
OVF = "{%s}" % NS["ovf"]


def rasd(item, key):
    e = item.find("rasd:" + key, NS)
    return e.text if e is not None else None


@pytest.mark.parametrize("fmt", ["ova-vmware", "ova-virtualbox"])
def test_ova(built, fmt, tmp_path):
    path = str(built[fmt][0])
    with open(path, "rb") as f:
        assert f.read(512)[257:263] == b"ustar\0"  # POSIX ustar, as DSP0243 asks
    with tarfile.open(path) as t:
        names = t.getnames()
        assert len(names) == 3 and names[0].endswith(".ovf") and names[1].endswith(".mf"), names
        t.extractall(tmp_path)
    # Manifest: one SHA256 line per other member, each digest right.
    lines = (tmp_path / names[1]).read_text().splitlines()
    digests = dict(re.fullmatch(r"SHA256\((.+)\)= ([0-9a-f]{64})", l).groups() for l in lines)
    assert set(digests) == {names[0], names[2]}
    for name, digest in digests.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest, name
    vmdk = str(tmp_path / names[2])
    info = qemu_info(vmdk)
    assert info["format"] == "vmdk" and info["format-specific"]["data"]["create-type"] == "streamOptimized"
    r = subprocess.run(["qemu-img", "check", vmdk], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # OVF: well-formed, references consistent.
    root = ET.parse(tmp_path / names[0]).getroot()
    assert root.tag == OVF + "Envelope"
    refs = {f.get(OVF + "id"): f for f in root.find("ovf:References", NS)}
    assert len(refs) == 1
    ref = list(refs.values())[0]
    assert ref.get(OVF + "href") == names[2]
    assert int(ref.get(OVF + "size")) == os.path.getsize(vmdk)
    disks = root.find("ovf:DiskSection", NS).findall("ovf:Disk", NS)
    assert len(disks) == 1
    disk = disks[0]
    assert disk.get(OVF + "fileRef") in refs
    assert disk.get(OVF + "format").endswith("vmdk.html#streamOptimized")
    assert int(disk.get(OVF + "capacity")) == info["virtual-size"] == 96 << 20
    vs = root.find("ovf:VirtualSystem", NS)
    hw = vs.find("ovf:VirtualHardwareSection", NS)
    items = hw.findall("ovf:Item", NS)
    by_id = {rasd(i, "InstanceID"): i for i in items}
    assert len(by_id) == len(items), "InstanceIDs must be unique"
    for i in items:  # rasd children in schema (alphabetical) order
        keys = [c.tag.split("}")[1] for c in i]
        assert keys == sorted(keys)
    disk_items = [i for i in items if rasd(i, "ResourceType") == "17"]
    assert len(disk_items) == 1
    assert rasd(disk_items[0], "HostResource") == "ovf:/disk/" + disk.get(OVF + "diskId")
    ctrl = by_id[rasd(disk_items[0], "Parent")]
    nic = [i for i in items if rasd(i, "ResourceType") == "10"][0]
    networks = [n.get(OVF + "name") for n in root.find("ovf:NetworkSection", NS)]
    assert rasd(nic, "Connection") in networks
    system_type = hw.find("ovf:System/vssd:VirtualSystemType", NS).text
    os_section = vs.find("ovf:OperatingSystemSection", NS)
    assert os_section.get(OVF + "id") == "101"  # Linux 64-bit
    if fmt == "ova-vmware":
        assert (rasd(ctrl, "ResourceType"), rasd(ctrl, "ResourceSubType")) == ("6", "VirtualSCSI")
        assert rasd(nic, "ResourceSubType") == "VmxNet3"
        assert re.fullmatch(r"vmx-(\d+)", system_type) and int(system_type[4:]) >= 13
        fw = [c for c in hw.findall("vmw:Config", NS) if c.get("{%s}key" % NS["vmw"]) == "firmware"]
        assert len(fw) == 1 and fw[0].get("{%s}value" % NS["vmw"]) == "efi"
    else:
        assert (rasd(ctrl, "ResourceType"), rasd(ctrl, "ResourceSubType")) == ("20", "AHCI")
        assert rasd(nic, "ResourceSubType") == "E1000"
        assert os_section.find("vbox:OSType", NS).text == "Linux_64"


def test_gce_tarball(built):
    path, stdout, _ = built["gce"]
    with open(path, "rb") as f:
        import gzip
        header = gzip.GzipFile(fileobj=f).read(512)
    assert header[257:265] == b"ustar  \0", "not a GNU (oldgnu) tar header"
    with tarfile.open(path, "r:gz") as t:
        members = t.getmembers()
    assert [m.name for m in members] == ["disk.raw"]
    assert members[0].size % (1 << 30) == 0 and members[0].size >= 1 << 30
    assert "--guest-os-features=UEFI_COMPATIBLE" in stdout
    assert re.search(r"^gcloud compute images create \S+ --source-uri=gs://\S+", stdout, re.M)


def test_ec2_outputs(built):
    path, stdout, _ = built["ec2"]
    raw, vmdk = path / "disk.raw", path / "disk.vmdk"
    assert os.path.getsize(raw) % (1 << 30) == 0
    kd.read_gpt(str(raw))
    info = qemu_info(str(vmdk))
    assert info["format-specific"]["data"]["create-type"] == "streamOptimized"
    assert info["virtual-size"] == os.path.getsize(raw)
    assert "aws ec2 import-snapshot" in stdout
    reg = [l for l in stdout.splitlines() if l.startswith("aws ec2 register-image")]
    assert reg and all(o in reg[0] for o in ("--boot-mode uefi-preferred", "--ena-support", "--imds-support v2.0"))


def no_leftovers(d):
    return [n for n in os.listdir(d) if n.startswith(".mkimage-")] == []


@pytest.mark.parametrize("case", ["app", "size", "format", "tool", "exists", "cmdline", "vbox-uefi"])
def test_errors_leave_nothing(tmp_path, case):
    out = tmp_path / "out.img"
    env = None
    args = ["--format", "raw", "-o", str(out)]
    if case == "app":
        args += ["--app", "no-such-app"]
        want = "no app 'no-such-app'"
    elif case == "size":
        args += ["--size", "20M"]
        want = "is too small"
    elif case == "format":
        args = ["--format", "vhdx", "-o", str(out)]
        want = "unknown format 'vhdx'"
    elif case == "tool":
        empty = tmp_path / "bin"
        empty.mkdir()
        env = dict(os.environ, PATH=str(empty))
        want = "missing tools: qemu-img (package qemu-utils)"
    elif case == "vbox-uefi":
        args = ["--format", "ova-virtualbox", "--firmware", "uefi", "-o", str(out)]
        want = "ova-virtualbox declares BIOS firmware"
    elif case == "cmdline":
        args += ["--cmdline", "hello it\\'s"]
        want = "GRUB would pass its quotes"
    else:
        out.write_bytes(b"keep")
        want = "already exists"
    r = mkimage(*args, env=env)
    assert r.returncode != 0
    assert want in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    if case == "exists":
        assert out.read_bytes() == b"keep"
    else:
        assert not out.exists()
    assert no_leftovers(tmp_path)


def test_bios_loader_reports_failure(built, tmp_path):
    """A stage 2 pointed past the end of the disk says so on COM1 and halts
    (it does not jump into garbage)."""
    raw = tmp_path / "bad.raw"
    shutil.copy(built["raw"][0], raw)
    hdr, parts = kd.read_gpt(str(raw))
    first = [p for p in parts if p["index"] == 1][0]["first"]
    with open(raw, "r+b") as f:
        f.seek(first * 512 + kd.STAGE2_PARAMS + 8)
        f.write(struct.pack("<Q", hdr["size_sectors"] + 1000))
    cmd = kq.qemu_command("q35", None, memory="128M",
                          extra=["-drive", "file=%s,format=raw,if=none,id=d0" % raw] +
                          CONTROLLERS["virtio-blk-modern"][0])
    b = kq.boot(cmd, timeout=8)
    assert "kestrel loader: disk read failed" in b.output, b.output[-2000:]
    assert "Hello from Kestrel" not in b.output and "kestrel:" not in b.output


def test_firmware_bios_only(boot, tmp_path):
    """--firmware bios: no GRUB at all, the OVA declares BIOS firmware, EC2
    registers legacy-bios, and the disk boots under SeaBIOS."""
    raw = tmp_path / "bios.raw"
    r = mkimage("--app", "hello", "--cmdline", "hello bios-only", "--firmware", "bios", "--size", "64M",
                "--format", "raw", "-o", str(raw))
    assert r.returncode == 0, r.stderr
    assert "GRUB" not in r.stderr
    esp = [p for p in kd.read_gpt(str(raw))[1] if p["index"] == 2][0]
    listing = subprocess.run(["mdir", "-b", "-i", "%s@@%d" % (raw, esp["first"] * 512), "::/EFI/BOOT"],
                             capture_output=True, text=True)
    assert "BOOTX64.EFI" not in listing.stdout
    b = boot("", app=None, preset="pc", memory="128M", timeout=120, expect_status=0,
             extra=["-drive", "file=%s,format=raw,if=none,id=d0,snapshot=on" % raw] +
             CONTROLLERS["virtio-blk-legacy"][0])
    assert "arg 1: bios-only" in b.output
    ova = tmp_path / "bios.ova"
    r = mkimage("--app", "hello", "--firmware", "bios", "--size", "64M", "--format", "ova-vmware", "-o", str(ova))
    assert r.returncode == 0, r.stderr
    with tarfile.open(ova) as t:
        ovf = t.extractfile(t.getnames()[0]).read().decode()
    assert 'vmw:key="firmware" vmw:value="bios"' in ovf
    ec2 = tmp_path / "ec2"
    r = mkimage("--app", "hello", "--firmware", "bios", "--format", "ec2", "-o", str(ec2))
    assert r.returncode == 0, r.stderr
    assert "--boot-mode legacy-bios" in r.stdout


def test_firmware_uefi_only(boot, tmp_path):
    """--firmware uefi: no boot code in the MBR, nothing in the BIOS boot
    partition, GRUB on the ESP, and the disk boots under OVMF."""
    raw = tmp_path / "uefi.raw"
    r = mkimage("--app", "hello", "--cmdline", "hello uefi-only", "--firmware", "uefi", "--size", "64M",
                "--format", "raw", "-o", str(raw))
    assert r.returncode == 0, r.stderr
    hdr, parts = kd.read_gpt(str(raw))
    assert hdr["mbr"][:kd.MBR_CODE] == bytes(kd.MBR_CODE)
    bios = [p for p in parts if p["index"] == 1][0]
    with open(raw, "rb") as f:
        f.seek(bios["first"] * 512)
        assert f.read(4096) == bytes(4096)
    b = boot("", app=None, preset="q35", memory="128M", timeout=120, expect_status=0,
             extra=["-bios", OVMF, "-drive", "file=%s,format=raw,if=none,id=d0,snapshot=on" % raw] +
             CONTROLLERS["virtio-blk-modern"][0])
    assert "arg 1: uefi-only" in b.output and "boot: UEFI" in b.output
