#!/usr/bin/env python3
"""Seeds for fuzz_acpi_prt in $1: the DSDT of each firmware fixture (found
through its FADT), and each compiled table named after it (our own test
DSDTs), prefixed with the revision and SeaBIOS's PIRQ values."""
import os
import struct
import sys

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "firmware")


def load(path):
    d, mem, i = open(path, "rb").read(), {}, 0
    while i + 12 <= len(d):
        a, n = struct.unpack_from("<QI", d, i)
        mem[a] = d[i + 12:i + 12 + n]
        i += 12 + n
    return mem


def read(mem, a, n):
    out = bytearray()
    while n > 0:
        for ca, cb in mem.items():
            if ca <= a < ca + len(cb):
                k = min(n, ca + len(cb) - a)
                out += cb[a - ca:a - ca + k]
                a, n = a + k, n - k
                break
        else:
            return None
    return bytes(out)


def main(out, extra):
    os.makedirs(out, exist_ok=True)
    for path in extra:
        t = open(path, "rb").read()
        if len(t) > 36:
            with open(os.path.join(out, os.path.basename(path) + ".seed"), "wb") as f:
                f.write(bytes([t[8], 10, 10, 11, 11]) + t[36:])
    for name in sorted(os.listdir(FIX)):
        if not name.endswith(".bin"):
            continue
        mem = load(os.path.join(FIX, name))
        for a, b in mem.items():
            j = b.find(b"FACP")
            while j >= 0:
                h = read(mem, a + j, 44)
                t = None
                if h:
                    ds = struct.unpack_from("<I", h, 40)[0]
                    hd = read(mem, ds, 8)
                    if hd and hd[:4] == b"DSDT":
                        t = read(mem, ds, struct.unpack_from("<I", hd, 4)[0])
                if t and sum(t) % 256 == 0:
                    with open(os.path.join(out, name[:-4] + ".seed"), "wb") as f:
                        f.write(bytes([t[8], 10, 10, 11, 11]) + t[36:])
                    break
                j = b.find(b"FACP", j + 1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
