"""The disk pattern every block driver's boot test shares (ktest blk reads
and writes the same): sector s of disk d, generation g (0: written by the
harness, 1: by the guest) holds bytes (s*31 + k*7 + d*101 + g*57) & 0xff."""


def pattern(disk, sector, gen):
    return bytes(((sector * 31 + k * 7 + disk * 101 + gen * 57) & 0xff) for k in range(512))


def make_disk(path, disk, checked, sectors):
    """A raw image of `sectors` sectors whose first `checked` hold generation 0."""
    with open(path, "wb") as f:
        for s in range(checked):
            f.write(pattern(disk, s, 0))
        f.write(b"\0" * 512 * (sectors - checked))
