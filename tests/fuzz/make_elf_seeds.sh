#!/usr/bin/env bash
# Seeds for fuzz_elf_parse (its input: the file size as 8 little-endian
# bytes, then the file's first bytes): the host's static busybox, dynamic
# glibc programs (PT_INTERP) and musl's dynamic linker, first 64 KiB each.
set -euo pipefail
out=$1/elf
mkdir -p "$out"
for f in /bin/busybox /bin/ls /usr/bin/env /lib/ld-musl-x86_64.so.1 /lib64/ld-linux-x86-64.so.2; do
    [[ -f $f ]] || continue
    python3 -c 'import os, struct, sys
p = sys.argv[1]
with open(p, "rb") as f:
    sys.stdout.buffer.write(struct.pack("<Q", os.path.getsize(p)) + f.read(65536))' "$f" >"$out/$(basename "$f")"
done
