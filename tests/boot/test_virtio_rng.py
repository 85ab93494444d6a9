"""virtio-rng on every transport seeds the kernel's random source: entropy
is credited, and two boots give different bytes."""

import re

import pytest

DEVICES = {"pc": "virtio-rng-pci,disable-modern=on", "q35": "virtio-rng-pci,disable-legacy=on",
           "microvm": "virtio-rng-device", "microvm-noacpi": "virtio-rng-device"}


@pytest.mark.parametrize("preset,transport", [("pc", "pci-legacy"), ("q35", "pci-modern"), ("microvm", "mmio"),
                                              ("microvm-noacpi", "mmio")])
def test_rng_feeds_random_source(boot, preset, transport):
    seen = []
    for _ in range(2):
        b = boot("ktest random", preset=preset, expect_status=0, extra=["-device", DEVICES[preset]])
        assert "virtio-rng: over %s" % transport in b.output
        m = re.search(r"random: entropy_bits=(\d+) bytes=([0-9a-f]{64})", b.output)
        assert m and int(m.group(1)) > 0
        seen.append(m.group(2))
    assert seen[0] != seen[1]
    assert len(set(seen[0][i:i + 2] for i in range(0, 64, 2))) > 8  # not a constant fill


def test_no_entropy_without_a_device(boot):
    b = boot("ktest random", preset="q35", expect_status=1, timeout=30)
    assert "random: entropy_bits=0" in b.output
