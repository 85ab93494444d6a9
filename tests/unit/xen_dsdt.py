#!/usr/bin/env python3
"""The DSDTs Xen's hvmloader gives HVM guests, out of Debian's build of it.

Usage: xen_dsdt.py HVMLOADER OUTDIR

hvmloader carries its DSDTs as compiled AML arrays (one for each device
model it supports: qemu-xen, qemu-traditional, the 15-CPU variant). Each is
a whole ACPI table: "DSDT", a 32-bit length, and a checksum that makes all
its bytes sum to zero. Every such table in the binary is written to
OUTDIR/xen_dsdt_N.aml (in the order found); a signature whose length runs
outside the file or whose bytes do not sum to zero is not a table. At least
one table, or the script fails: the test would otherwise pass on nothing."""
import os
import struct
import sys


def tables(blob):
    at = blob.find(b"DSDT")
    while at >= 0:
        if at + 36 <= len(blob):
            n = struct.unpack_from("<I", blob, at + 4)[0]
            t = blob[at:at + n]
            if n >= 36 and len(t) == n and sum(t) % 256 == 0:
                yield t
                at = blob.find(b"DSDT", at + n)
                continue
        at = blob.find(b"DSDT", at + 1)


def main(loader, out):
    blob = open(loader, "rb").read()
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.startswith("xen_dsdt_") and name.endswith(".aml"):
            os.unlink(os.path.join(out, name))
    found = list(tables(blob))
    for i, t in enumerate(found):
        with open(os.path.join(out, "xen_dsdt_%d.aml" % i), "wb") as f:
            f.write(t)
    if not found:
        sys.exit("xen_dsdt.py: no DSDT with a valid checksum in %s" % loader)
    print("xen_dsdt.py: %d DSDTs (%s bytes) from %s" % (len(found), ", ".join(str(len(t)) for t in found), loader))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
