"""The host's replay of `fstest rw`, the guest's seeded random workload on ext4
(apps/fstest/main.c mirrors it): tests/boot/test_ext4_rw.py compares a guest's
results with it, and tests/xen/run computes what the Xen rig's blkfront guest
must get (`python3 tests/boot/ext4_workload.py DIR SEED STEPS SPAN` prints the
results' hash).
"""

import os
import sys

M64 = (1 << 64) - 1


class Rng:
    def __init__(self, seed):
        self.s = (seed | 1) & M64

    def __call__(self, n):
        s = self.s
        s ^= (s << 13) & M64
        s ^= s >> 7
        s ^= (s << 17) & M64
        self.s = s
        return s % n


def _res(fn):
    try:
        r = fn()
        return 0 if r is None else r
    except OSError as e:
        return -e.errno


def _path(rng, base):
    depth = 1 + rng(3)
    p = base + "/z" + "".join("/" + "abcd"[rng(4)] for _ in range(depth))
    if rng(16) == 0:
        p += "/"
    return p


def _write(path, flags, data, off=None):
    fd = os.open(path, flags, 0o644)
    try:
        return os.pwrite(fd, data, off) if off is not None else os.write(fd, data)
    finally:
        os.close(fd)


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replay(base, seed, steps, span):
    """fstest rw's operations on base; returns the results' hash."""
    rng = Rng(seed)
    pattern = bytes(ord("a") + rng(26) for _ in range(1 << 17))
    os.makedirs(base + "/z", exist_ok=True)
    h = 0
    old = os.umask(0o022)
    try:
        for _ in range(steps):
            p, q = _path(rng, base), _path(rng, base)
            op = rng(11)
            size = rng(span * 3 // 2) if rng(3) else -1
            off, n = rng(span), 1 + rng(65536 if span >= 100000 else 256)
            start = rng(65536)
            data = pattern[start:start + n]
            if op == 0:
                r = _res(lambda: _write(p, os.O_WRONLY | os.O_CREAT, data, off))
            elif op == 1:
                r = _res(lambda: os.truncate(p, size)) if size >= 0 else -22
            elif op == 2:
                r = _res(lambda: os.unlink(p))
            elif op == 3:
                r = _res(lambda: os.rmdir(p))
            elif op in (4, 5):
                r = _res(lambda: os.mkdir(p, 0o755))
            elif op in (6, 7):
                r = _res(lambda: os.rename(p, q))
            elif op == 8:
                r = _res(lambda: os.link(p, q, follow_symlinks=False))
            elif op == 9:
                r = _res(lambda: _write(p, os.O_WRONLY | os.O_APPEND, data))
            else:
                r = _res(lambda: _fsync(p))
            h = (h * 1000003 + (r & M64)) & M64
    finally:
        os.umask(old)
    return h


if __name__ == "__main__":
    d, seed, steps, span = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    print("%016x" % replay(d, seed, steps, span))
