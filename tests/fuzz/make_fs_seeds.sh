#!/bin/sh
# Seeds for the fs fuzzers, in $1/{ext4,cpio,part}: small images made by
# mkfs.ext4 -d and cpio -H newc from a small tree, and MBR/GPT disks.
set -e
out=$1
mkfs=/usr/sbin/mkfs.ext4
[ -x $mkfs ] || mkfs=mkfs.ext4
rm -rf "$out/ext4" "$out/ext4rw" "$out/cpio" "$out/part" "$out/tree" && mkdir -p "$out/ext4" "$out/ext4rw" "$out/cpio" "$out/part"
t=$out/tree
mkdir -p $t/d/e/f $t/empty
printf hello > $t/small
head -c 5000 /dev/urandom > $t/d/blocks
head -c 100 /dev/urandom | dd of=$t/d/sparse bs=1 seek=40000 conv=notrunc status=none
ln -s d/e/f $t/link
ln -s "$(printf 'x%.0s' $(seq 1 80))" $t/d/longlink
for i in $(seq 1 40); do : > $t/d/e/n$i; done
$mkfs -q -F -b 1024 -N 64 -O ^has_journal,^resize_inode -d $t $out/ext4/extents.img 192K >/dev/null
$mkfs -q -F -b 1024 -N 64 -O ^has_journal,^resize_inode,^extent,^64bit,^flex_bg,^metadata_csum -d $t \
    $out/ext4/blockmap.img 192K >/dev/null
# ext3 as mkfs makes it (block maps, a journal) for the block-map writer.
$mkfs -q -F -t ext3 -b 1024 -N 64 -J size=1 -d $t $out/ext4rw/ext3.img 3M >/dev/null
# An htree directory (e2fsck -D indexes it) for the index writer.
h=$out/htree-tree
rm -rf $h && mkdir -p $h/many
for i in $(seq 1 150); do : > $h/many/name-$i; done
$mkfs -q -F -b 1024 -N 200 -O ^has_journal,^resize_inode -d $h $out/ext4rw/htree.img 512K >/dev/null
e2fsck -fyD $out/ext4rw/htree.img >/dev/null 2>&1 || true
rm -rf $h
# A journal holding a transaction to replay (written by debugfs, with a
# revoke record), for fuzz_ext4_rw: the smallest journal is 1 MiB.
$mkfs -q -F -b 1024 -N 64 -O ^resize_inode -J size=1 -d $t $out/ext4rw/journal.img 3M >/dev/null
head -c 2048 /dev/urandom > $out/blk.bin
printf 'jo\njw -b 1500,1501 -r 1600 %s\njc\n' "$out/blk.bin" | debugfs -w -f - $out/ext4rw/journal.img >/dev/null 2>&1
rm -f $out/blk.bin
(cd $t && find . | cpio --quiet -o -H newc > ../cpio/tree.cpio)
python3 - "$out/part" <<'PY'
import struct, sys, zlib
out = sys.argv[1]
def mbr(entries):
    s = bytearray(512)
    for i, (t, start, n) in enumerate(entries):
        s[446 + 16 * i:462 + 16 * i] = struct.pack("<B3sB3sII", 0, b"\0" * 3, t, b"\0" * 3, start, n)
    s[510:512] = b"\x55\xaa"
    return s
disk = bytearray(64 * 512)
disk[0:512] = mbr([(0x83, 4, 10), (0x05, 20, 40)])
disk[20 * 512:21 * 512] = mbr([(0x83, 1, 4), (0x05, 10, 10)])
disk[30 * 512:31 * 512] = mbr([(0x83, 1, 4)])
open(out + "/mbr.img", "wb").write(disk)
disk = bytearray(64 * 512)
disk[0:512] = mbr([(0xee, 1, 63)])
ents = bytearray(4 * 128)
ents[0:48] = b"\xaf" * 16 + b"\x01" * 16 + struct.pack("<QQ", 40, 50)
crc = zlib.crc32(ents)
h = bytearray(struct.pack("<8sIIIIQQQQ16sQIII", b"EFI PART", 0x10000, 92, 0, 0, 1, 63, 34, 60, b"\x02" * 16, 2, 4, 128, crc))
h[16:20] = struct.pack("<I", zlib.crc32(bytes(h)))
disk[512:512 + 92] = h
disk[1024:1024 + len(ents)] = ents
open(out + "/gpt.img", "wb").write(disk)
PY
