"""Platform descriptors and firmware: the right platform on each preset and
why, --platform overriding, CPU counts from firmware, all CPUs used, and
power-off by the platform's own means."""

import re

import pytest

from conftest import ALL_PRESETS

EXPECTED = {
    "microvm": ("microvm", "hardware-reduced ACPI"),
    "microvm-noacpi": ("microvm", "no ACPI"),
    "pc": ("qemu-pc", "SMBIOS product i440FX"),
    "q35": ("qemu-q35", "ACPI MCFG"),
    "vmware": ("vmware", "SMBIOS vendor VMware"),
    "virtualbox": ("virtualbox", "SMBIOS vendor innotek GmbH"),
}


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_platform_detected(boot, preset):
    name, signal = EXPECTED[preset]
    b = boot("hello", app="hello", preset=preset, expect_status=0)
    m = re.search(r"^platform: (\S+) \((.*)\)$", b.output, re.M)
    assert m, b.output
    assert m.group(1) == name
    assert signal in m.group(2)


def test_platform_override(boot):
    b = boot("--platform=gce hello", app="hello", preset="q35", expect_status=0)
    assert "platform: gce (forced by --platform)" in b.output


@pytest.mark.parametrize("preset", ALL_PRESETS)
@pytest.mark.parametrize("smp", [1, 2, 4])
def test_cpu_count_matches_smp(boot, preset, smp):
    b = boot("hello", app="hello", preset=preset, smp=smp, expect_status=0)
    source = "MP table" if preset == "microvm-noacpi" else "ACPI"
    assert re.search(r"^firmware: %s, %d CPUs?," % (source, smp), b.output, re.M), b.output
    assert re.search(r"^smp: %d CPUs? online$" % smp, b.output, re.M), b.output


@pytest.mark.parametrize("preset", ["microvm", "microvm-noacpi", "q35"])
def test_threads_use_every_cpu(boot, preset):
    b = boot("ktest threads 8 100000", preset=preset, smp=4, expect_status=0, timeout=120)
    m = re.search(r"threads: total=(\d+) .* join_errors=0 live=\d+ cpus_used=(\d+) cpus=(\d+)", b.output)
    assert m, b.output
    assert int(m.group(1)) == 8 * 100000
    assert int(m.group(3)) == 4
    assert int(m.group(2)) == 4, "workers ran on %s of 4 CPUs" % m.group(2)


@pytest.mark.parametrize("preset", ["microvm", "pc", "q35", "vmware", "virtualbox"])
def test_acpi_power_off_without_debug_exit(boot, preset):
    # No isa-debug-exit and reboots allowed: only an ACPI S5 power-off can
    # end QEMU here (a reset would boot the kernel again until the timeout).
    b = boot("hello", app="hello", preset=preset, debug_exit=False, no_reboot=False, timeout=30)
    assert b.qemu_rc == 0
    assert b.output.count("Hello from Kestrel") == 1
    assert "kestrel: power off, status 0" in b.output


def test_reset_ends_a_machine_without_acpi(boot):
    # microvm without ACPI (like Firecracker without ACPI) has no S5: the
    # kernel resets, and -no-reboot makes that the end.
    b = boot("hello", app="hello", preset="microvm-noacpi", debug_exit=False, timeout=30)
    assert b.qemu_rc == 0
    assert b.output.count("Hello from Kestrel") == 1


def test_bootchart_has_firmware_and_smp(boot):
    b = boot("--bootchart hello", app="hello", smp=2, expect_status=0)
    names = re.findall(r"^([a-z/ ]+): \d+\.\d+ ms \(\+", b.output, re.M)
    assert names.index("firmware") < names.index("platform") < names.index("smp") < names.index("app main")
