"""Kestrel's disk layout: GPT with a protective MBR, a BIOS boot partition for
GRUB's core image, an EFI system partition and the app's files partition.
Written into a plain file (no root, no loop devices); read back by the tests.

LBA 0      protective MBR, the BIOS loader's first stage in its first 440 bytes
LBA 1-33   primary GPT header and 128 partition entries
1 MiB      partition 1: BIOS boot, 2 MiB: loader stage 2 and the kernel's flat image
           (or GRUB's core.img with --bios-loader grub)
3 MiB      partition 2: EFI system partition, FAT32, ESP_SIZE
           partition 3: files (ext4, label kestrel-files), up to the end
last 33    backup partition entries and GPT header"""

import os
import struct
import uuid
import zlib

SECTOR = 512
MIB = 1 << 20
BIOS_BOOT_START = 1 * MIB
BIOS_BOOT_SIZE = 2 * MIB
ESP_SIZE = 40 * MIB  # FAT32 needs at least 65525 clusters: 33 MiB with 512-byte clusters
FILES_MIN = 4 * MIB
DEFAULT_SIZE = 128 * MIB
ESP_INDEX = 2
FILES_INDEX = 3
FILES_LABEL = "kestrel-files"
N_ENTRIES = 128
ENTRY_SIZE = 128

TYPE_BIOS_BOOT = uuid.UUID("21686148-6449-6e6f-744e-656564454649")
TYPE_ESP = uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
TYPE_LINUX_FS = uuid.UUID("0fc63daf-8483-4772-8e79-3d69d8477de4")

# GRUB boot.img (i386-pc) fields, from GRUB's include/grub/i386/pc/boot.h.
BOOT_KERNEL_SECTOR = 0x5c  # u64: LBA of core.img's first sector
BOOT_DRIVE_CHECK = 0x66  # a jump that grub-install turns into two NOPs for hard disks
MBR_CODE = 440
# diskboot.img (core.img's first sector) ends in a blocklist: u64 start, u16 count, u16 segment.
DISKBOOT_BLOCKLIST = SECTOR - 12


# Kestrel's BIOS loader (loader/bios): where mkimage patches it.
MBR_DAP = 0x1a0  # disk address packet: u16 count at +2, u64 LBA at +8
STAGE2_SECTORS = 8  # stage 2 takes the partition's first 4 KiB; the flat kernel follows
STAGE2_PARAMS = 8  # "KSTRLDR1", u64 kernel LBA, u32 sectors, load address, entry, command-line length, command line
STAGE2_MAGIC = b"KSTRLDR1"
STAGE2_CMDLINE_MAX = 2048
PT_LOAD = 1


def elf_flat_image(elf):
    """The kernel's loadable segments as one flat image from its lowest
    physical address, bss included (zeros cost nothing in a sparse disk):
    (image bytes, load address, entry)."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not a little-endian ELF64 file")
    entry, phoff = struct.unpack_from("<QQ", elf, 0x18)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    segs = []
    for i in range(phnum):
        ptype, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", elf, phoff + i * phentsize)
        if ptype == PT_LOAD and memsz:
            segs.append((paddr, off, filesz, memsz))
    if not segs:
        raise ValueError("the kernel has no loadable segment")
    lo = min(s[0] for s in segs)
    hi = max(s[0] + s[3] for s in segs)
    if lo < MIB or hi > 1 << 32:
        raise ValueError("the kernel loads at %#x-%#x, outside 1 MiB-4 GiB" % (lo, hi))
    if not any(p <= entry < p + m for p, _, _, m in segs):
        raise ValueError("the kernel's entry %#x is outside its segments" % entry)
    flat = bytearray(hi - lo)
    for paddr, off, filesz, _ in segs:
        flat[paddr - lo:paddr - lo + filesz] = elf[off:off + filesz]
    return bytes(flat), lo, entry


def kestrel_bios_loader(layout, mbr_bin, stage2_bin, kernel_elf, cmdline):
    """(MBR code, BIOS boot partition contents) for loader/bios, patched."""
    _, _, _, first, last = layout.part(1)
    flat, load, entry = elf_flat_image(kernel_elf)
    sectors = (len(flat) + SECTOR - 1) // SECTOR
    if STAGE2_SECTORS + sectors > last - first + 1:
        raise ValueError("the kernel (%d KiB loaded) does not fit the %d KiB BIOS boot partition"
                         % (len(flat) // 1024, BIOS_BOOT_SIZE // 1024))
    if len(stage2_bin) > STAGE2_SECTORS * SECTOR or stage2_bin[STAGE2_PARAMS:STAGE2_PARAMS + 8] != STAGE2_MAGIC:
        raise ValueError("loader stage 2 is not what this layout expects")
    if len(mbr_bin) > MBR_CODE or mbr_bin[MBR_DAP:MBR_DAP + 2] != b"\x10\x00":
        raise ValueError("loader stage 1 is not what this layout expects")
    raw = cmdline.encode() + b"\0"
    if len(raw) > STAGE2_CMDLINE_MAX:
        raise ValueError("the command line is longer than %d bytes" % (STAGE2_CMDLINE_MAX - 1))
    mbr = bytearray(mbr_bin)
    struct.pack_into("<H", mbr, MBR_DAP + 2, STAGE2_SECTORS)
    struct.pack_into("<Q", mbr, MBR_DAP + 8, first)
    stage2 = bytearray(stage2_bin.ljust(STAGE2_SECTORS * SECTOR, b"\0"))
    struct.pack_into("<QIIII", stage2, STAGE2_PARAMS + 8, first + STAGE2_SECTORS, sectors, load, entry, len(raw))
    p = STAGE2_PARAMS + 8 + 24
    stage2[p:p + len(raw)] = raw
    return bytes(mbr), bytes(stage2) + flat


def layout_overhead():
    """Bytes the layout takes besides the files partition."""
    return BIOS_BOOT_START + BIOS_BOOT_SIZE + ESP_SIZE + MIB  # last MiB: backup GPT, alignment


class Layout:
    def __init__(self, size):
        self.size = size
        self.sectors = size // SECTOR
        last_usable = self.sectors - 34
        self.parts = []  # (index, type, name, first_lba, last_lba)
        bios = BIOS_BOOT_START // SECTOR
        esp = bios + BIOS_BOOT_SIZE // SECTOR
        files = esp + ESP_SIZE // SECTOR
        files_end = (last_usable + 1) // (MIB // SECTOR) * (MIB // SECTOR)  # MiB-aligned end
        self.parts.append((1, TYPE_BIOS_BOOT, "bios-boot", bios, esp - 1))
        self.parts.append((ESP_INDEX, TYPE_ESP, "EFI system partition", esp, files - 1))
        self.parts.append((FILES_INDEX, TYPE_LINUX_FS, FILES_LABEL, files, files_end - 1))
        self.esp_bytes = ESP_SIZE
        self.files_bytes = (files_end - files) * SECTOR

    def part(self, index):
        return next(p for p in self.parts if p[0] == index)


def gpt_entries(layout):
    out = bytearray(N_ENTRIES * ENTRY_SIZE)
    for i, (_, ptype, name, first, last) in enumerate(layout.parts):
        # Unique GUIDs from the layout, so one size gives the same disk twice.
        unique = uuid.uuid5(uuid.NAMESPACE_URL, "kestrel:%d:%d:%d" % (layout.sectors, first, last))
        attrs = 0
        out[i * ENTRY_SIZE:(i + 1) * ENTRY_SIZE] = struct.pack(
            "<16s16sQQQ72s", ptype.bytes_le, unique.bytes_le, first, last, attrs,
            name.encode("utf-16-le")[:72])
    return bytes(out)


def gpt_header(layout, entries, backup):
    last = layout.sectors - 1
    my_lba, alt_lba = (last, 1) if backup else (1, last)
    entries_lba = last - 32 if backup else 2
    disk_guid = uuid.uuid5(uuid.NAMESPACE_URL, "kestrel:disk:%d" % layout.sectors)
    fields = [b"EFI PART", 0x00010000, 92, 0, 0, my_lba, alt_lba, 34, last - 33, disk_guid.bytes_le,
              entries_lba, N_ENTRIES, ENTRY_SIZE, zlib.crc32(entries)]
    fmt = "<8sIIIIQQQQ16sQIII"
    crc = zlib.crc32(struct.pack(fmt, *fields))
    fields[3] = crc
    return struct.pack(fmt, *fields).ljust(SECTOR, b"\0")


def protective_mbr(layout, boot_img):
    mbr = bytearray(SECTOR)
    if boot_img:
        mbr[:MBR_CODE] = boot_img[:MBR_CODE]
    mbr[440:444] = struct.pack("<I", zlib.crc32(b"kestrel%d" % layout.sectors))  # disk signature
    count = min(layout.sectors - 1, 0xffffffff)
    # Boot indicator 0, CHS 0/0/2, type 0xEE, CHS end all ones, LBA 1.
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, count)
    mbr[510:512] = b"\x55\xaa"
    return mbr


def patch_boot_img(mbr, core_lba):
    struct.pack_into("<Q", mbr, BOOT_KERNEL_SECTOR, core_lba)
    mbr[BOOT_DRIVE_CHECK:BOOT_DRIVE_CHECK + 2] = b"\x90\x90"


def patch_core_img(core, core_lba):
    """diskboot.img loads the rest of core.img from the sectors after its own."""
    core = bytearray(core)
    start, count, segment = struct.unpack_from("<QHH", core, DISKBOOT_BLOCKLIST)
    need = (len(core) + SECTOR - 1) // SECTOR - 1
    if count != need or segment != 0x820:
        raise ValueError("GRUB core.img's blocklist (count %d, segment %#x) is not what this layout expects "
                         "(count %d, segment 0x820): has GRUB's diskboot.img changed?" % (count, segment, need))
    struct.pack_into("<Q", core, DISKBOOT_BLOCKLIST, core_lba + 1)
    return bytes(core)


def copy_sparse(dst, src_path, offset):
    """Copies a file into dst at offset, skipping all-zero blocks so the
    output stays sparse."""
    with open(src_path, "rb") as src:
        pos = offset
        for chunk in iter(lambda: src.read(MIB), b""):
            if chunk.count(0) != len(chunk):
                dst.seek(pos)
                dst.write(chunk)
            pos += len(chunk)


def assemble(path, layout, esp_path, files_path, boot_img=None, core_img=None, bios_part=None):
    """boot_img and core_img: GRUB's; or boot_img (our stage 1, patched) and
    bios_part (stage 2 and the kernel) from kestrel_bios_loader()."""
    entries = gpt_entries(layout)
    with open(path, "wb") as f:
        f.truncate(layout.size)
        mbr = protective_mbr(layout, boot_img)
        if bios_part:
            _, _, _, first, _ = layout.part(1)
            f.seek(first * SECTOR)
            f.write(bios_part)
        elif boot_img and core_img:
            _, _, _, first, last = layout.part(1)
            if len(core_img) > (last - first + 1) * SECTOR:
                raise ValueError("GRUB core.img (%d bytes) does not fit the BIOS boot partition" % len(core_img))
            patch_boot_img(mbr, first)
            f.seek(first * SECTOR)
            f.write(patch_core_img(core_img, first))
        f.seek(0)
        f.write(mbr)
        f.write(gpt_header(layout, entries, backup=False))
        f.write(entries)
        f.seek((layout.sectors - 33) * SECTOR)
        f.write(entries)
        f.write(gpt_header(layout, entries, backup=True))
        for index, src in ((ESP_INDEX, esp_path), (FILES_INDEX, files_path)):
            _, _, _, first, last = layout.part(index)
            if os.path.getsize(src) > (last - first + 1) * SECTOR:
                raise ValueError("partition %d's contents do not fit" % index)
            copy_sparse(f, src, first * SECTOR)


def read_gpt(path):
    """Parses a disk's GPT the way firmware does (header and entry CRCs
    checked, backup header compared); returns (header dict, partitions)."""
    with open(path, "rb") as f:
        mbr = f.read(SECTOR)
        hdr = f.read(SECTOR)
        size = os.fstat(f.fileno()).st_size
        fields = struct.unpack_from("<8sIIIIQQQQ16sQIII", hdr)
        sig, rev, hsize, crc, _, my_lba, alt_lba, first_usable, last_usable, guid, ent_lba, n, esize, ecrc = fields
        if sig != b"EFI PART" or hsize != 92:
            raise ValueError("no GPT header")
        check = bytearray(hdr[:92])
        check[16:20] = b"\0\0\0\0"
        if zlib.crc32(check) != crc:
            raise ValueError("GPT header CRC mismatch")
        f.seek(ent_lba * SECTOR)
        entries = f.read(n * esize)
        if zlib.crc32(entries) != ecrc:
            raise ValueError("GPT entries CRC mismatch")
        f.seek(alt_lba * SECTOR)
        backup = f.read(SECTOR)
    parts = []
    for i in range(n):
        e = entries[i * esize:(i + 1) * esize]
        ptype, unique, first, last, attrs, name = struct.unpack_from("<16s16sQQQ72s", e)
        if ptype == b"\0" * 16:
            continue
        parts.append({"index": i + 1, "type": uuid.UUID(bytes_le=ptype), "first": first, "last": last,
                      "name": name.decode("utf-16-le").rstrip("\0")})
    return {"mbr": mbr, "my_lba": my_lba, "alt_lba": alt_lba, "first_usable": first_usable,
            "last_usable": last_usable, "size_sectors": size // SECTOR, "backup": backup}, parts
