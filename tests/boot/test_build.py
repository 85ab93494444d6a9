"""The build itself: build/kestrel.elf is always the app APP names."""

import os
import subprocess

from conftest import ROOT


def built_app_name():
    """kestrel_app_name's bytes in build/kestrel.elf (its symbol, then its section's bytes)."""
    elf = os.path.join(ROOT, "build", "kestrel.elf")
    syms = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout
    addr = next(int(line.split()[0], 16) for line in syms.splitlines() if line.endswith(" kestrel_app_name"))
    dump = subprocess.run(["objdump", "-s", "--start-address=%#x" % addr, "--stop-address=%#x" % (addr + 32), elf],
                          capture_output=True, text=True, check=True).stdout
    raw = b""
    for line in dump.splitlines():
        parts = line.split()
        if parts and len(parts) > 1 and all(c in "0123456789abcdef" for c in parts[0]) and len(parts[0]) >= 6:
            raw += b"".join(bytes.fromhex(w) for w in parts[1:5] if all(c in "0123456789abcdef" for c in w))
    return raw.split(b"\0")[0].decode()


def make(*args):
    subprocess.run(["make", "-s", "-C", ROOT] + list(args), check=True, capture_output=True)


def test_kernel_follows_app_after_another_app_was_built():
    try:
        make("APP=ktest")
        assert built_app_name() == "ktest"
        make()  # APP defaults to hello: the older hello image must come back
        assert built_app_name() == "hello"
        make("APP=httpd")
        make("APP=hello")
        assert built_app_name() == "hello"
    finally:
        make()
