#!/bin/sh
# Makes the ext4 images test_ext4 reads, in $1: a source tree per image
# (DIR/NAME.tree) and the image mkfs.ext4 -d made from it (DIR/NAME.img).
# Generated at test time; nothing big is committed.
set -e
out=$1
mkfs=/usr/sbin/mkfs.ext4
[ -x $mkfs ] || mkfs=mkfs.ext4
rm -rf "$out" && mkdir -p "$out"

common() { # a tree with every size class, holes, links and deep paths
    t=$1
    mkdir -p $t/sizes $t/deep/a/b/c/d/e/f/g/h $t/links $t/empty
    for s in 0 1 1023 1024 1025 4095 4096 4097 65536 300000; do
        head -c $s /dev/urandom > $t/sizes/f$s
    done
    head -c 5000 /dev/urandom > $t/deep/a/b/c/d/e/f/g/h/leaf
    # Sparse: data islands with holes between and a hole at the end.
    head -c 3000 /dev/urandom | dd of=$t/sizes/sparse bs=1 seek=0 conv=notrunc status=none
    head -c 3000 /dev/urandom | dd of=$t/sizes/sparse bs=1 seek=5000000 conv=notrunc status=none
    truncate -s 9000000 $t/sizes/sparse
    truncate -s 2000000 $t/sizes/allhole
    ln -s ../sizes/f4096 $t/links/fast
    ln -s "$(printf '../sizes/%.0s' 1)$(printf './%.0s' $(seq 1 60))f1" $t/links/slow
    ln -s /sizes/f1 $t/links/abs
}

# 4 KiB blocks, extents, 64-bit descriptors, flex_bg, metadata_csum (the defaults).
common $out/ext4k.tree
head -c 20000000 /dev/urandom > $out/ext4k.tree/sizes/big
$mkfs -q -F -d $out/ext4k.tree $out/ext4k.img 64M >/dev/null

# 1 KiB blocks: 8 MiB groups, so the big file's extents span block groups.
common $out/ext1k.tree
head -c 20000000 /dev/urandom > $out/ext1k.tree/sizes/big
$mkfs -q -F -b 1024 -d $out/ext1k.tree $out/ext1k.img 64M >/dev/null

# Old block maps (no extents, 32-bit descriptors): single, double and
# triple indirect blocks (a 1 KiB-block file past 64 MiB needs the last).
common $out/blockmap.tree
head -c 400000 /dev/urandom > $out/blockmap.tree/sizes/double
head -c 4000 /dev/urandom | dd of=$out/blockmap.tree/sizes/triple bs=1 seek=70000000 conv=notrunc status=none
$mkfs -q -F -b 1024 -O ^extent,^64bit,^flex_bg,^metadata_csum -d $out/blockmap.tree $out/blockmap.img 32M >/dev/null

# Hash-indexed (htree) directories: mkfs.ext4 -d writes linear ones, and
# e2fsck -D rebuilds large directories as htrees (exit status 1: it changed
# the file system).
mkdir -p $out/htree.tree/big $out/htree.tree/small
(cd $out/htree.tree/big && seq -f 'name-%05g-padding' 1 3000 | xargs touch)
head -c 7000 /dev/urandom > $out/htree.tree/big/name-01500-padding
echo x > $out/htree.tree/small/x
$mkfs -q -F -d $out/htree.tree $out/htree.img 16M >/dev/null
e2fsck=/usr/sbin/e2fsck
[ -x $e2fsck ] || e2fsck=e2fsck
$e2fsck -fyD $out/htree.img >/dev/null 2>&1 || [ $? -le 1 ]

# An empty file system and the smallest one mkfs makes.
mkdir -p $out/tiny.tree
$mkfs -q -F -b 1024 -N 16 -O ^has_journal,^resize_inode -d $out/tiny.tree $out/tiny.img 128K >/dev/null

# Features we refuse to read.
$mkfs -q -F -O inline_data -d $out/tiny.tree $out/inline.img 8M >/dev/null
