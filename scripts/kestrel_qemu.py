"""QEMU presets for Kestrel: the one place that knows how each machine is
started. scripts/run, tests/boot and bench/ all build their command lines here."""

import os
import re
import shutil
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU = shutil.which("qemu-system-x86_64") or "qemu-system-x86_64"

# Each preset: the -M value, and how virtio devices attach (used by later issues).
PRESETS = {
    "microvm": {"machine": "microvm", "virtio": "mmio"},
    "microvm-noacpi": {"machine": "microvm,acpi=off", "virtio": "mmio"},
    "pc": {"machine": "pc", "virtio": "pci-legacy"},
    "q35": {"machine": "q35", "virtio": "pci-modern"},
    # QEMU dressed as the other hypervisors, as far as their guests can see
    # (SMBIOS strings, VMware's backdoor port); their own devices come later.
    # VMware: disks on one pvscsi controller (target = index), NICs are
    # vmxnet3; with no disks or NICs given, two scratch disks and a NIC.
    "vmware": {"machine": "pc,vmport=on", "virtio": "pci-legacy", "disk": "pvscsi", "nic": "vmxnet3",
               "extra": ["-smbios", "type=1,manufacturer=VMware,, Inc.,product=VMware Virtual Platform"]},
    "vmware-q35": {"machine": "q35,vmport=on", "virtio": "pci-modern", "disk": "pvscsi", "nic": "vmxnet3",
                   "extra": ["-smbios", "type=1,manufacturer=VMware,, Inc.,product=VMware Virtual Platform"]},
    # VirtualBox's default for a 64-bit Linux-type VM: PIIX3, disks on an
    # AHCI controller (an empty ATAPI CD on its last port), an 82540EM NIC.
    "virtualbox": {"machine": "pc", "virtio": "pci-legacy", "disk": "ahci", "nic": "e1000",
                   "extra": ["-smbios", "type=1,manufacturer=innotek GmbH,product=VirtualBox",
                             "-device", "ahci,id=ahci0", "-drive", "if=none,id=vbox-cd,media=cdrom",
                             "-device", "ide-cd,drive=vbox-cd,bus=ahci0.5"]},
    # The clouds as their guests see them (platform-facts.md 4-5): SMBIOS strings,
    # a Nitro-style UUID, and the disk kind (NVMe; virtio-scsi PersistentDisk).
    # No ENA or gVNIC exists in QEMU: --nic gives virtio-net.
    "ec2": {"machine": "q35", "virtio": "pci-modern", "disk": "nvme",
            # A real Nitro instance's only NIC is ENA (drivers/ena, proven against a
            # device model only: docs/cloud.md); here --nic gives virtio-net.
            "extra": ["-smbios", "type=0,vendor=Amazon EC2,version=1.0,date=10/16/2017",
                      "-smbios", "type=1,manufacturer=Amazon EC2,product=m5.large",
                      "-uuid", "ec2e1f3a-9b4c-4d2e-8f10-123456789abc"]},
    # A real gce instance gets virtio-net (N1, N2, E2, ...) or gVNIC (the third
    # generation; drivers/gve, proven only against a host model: docs/cloud.md).
    "gce": {"machine": "q35", "virtio": "pci-modern", "disk": "virtio-scsi",
            "disk_opts": ",vendor=Google,product=PersistentDisk",
            "extra": ["-smbios", "type=0,vendor=Google,version=Google,date=01/01/2011",
                      "-smbios", "type=1,manufacturer=Google,product=Google Compute Engine"]},
}

# isa-debug-exit turns the status the kernel writes into (status << 1) | 1.
DEBUG_EXIT = "isa-debug-exit,iobase=0xf4,iosize=0x04"


def qemu_command(preset, kernel, cmdline="", memory="64M", smp=1, disks=(), icount=False, extra=(),
                 debug_exit=True, no_reboot=True, nics=()):
    """debug_exit=False leaves out isa-debug-exit (the kernel must end the VM
    by the platform's own means); no_reboot=False lets a reset reboot."""
    if preset not in PRESETS:
        raise ValueError("unknown preset %r (known: %s)" % (preset, ", ".join(PRESETS)))
    p = PRESETS[preset]
    cmd = [QEMU, "-M", p["machine"], "-m", str(memory), "-smp", str(smp),
           "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio"]
    cmd += ["-no-reboot"] if no_reboot else []
    cmd += ["-device", DEBUG_EXIT] if debug_exit else []
    cmd += p.get("extra", [])
    if kernel:  # None: firmware boots from a disk or CD given in extra
        cmd += ["-kernel", kernel, "-append", cmdline]
    cmd += ["-accel", "tcg"] if not icount else ["-accel", "tcg", "-icount", "shift=0"]
    if p.get("disk") == "pvscsi":
        cmd += vmware_dress(disks, nics)
        disks, nics = (), ()
    disk_kind = p.get("disk", "virtio-blk")
    if disks and disk_kind == "nvme":
        cmd += ["-device", "nvme,id=nvme0,serial=kestrel-nvme0"]
    if disks and disk_kind == "virtio-scsi":
        cmd += ["-device", "virtio-scsi-pci,disable-legacy=on,id=scsi0"]
    for i, disk in enumerate(disks):
        cmd += ["-drive", "file=%s,if=none,id=disk%d,format=raw" % (disk, i)]
        if disk_kind == "nvme":
            cmd += ["-device", "nvme-ns,drive=disk%d,bus=nvme0,nsid=%d" % (i, i + 1)]
            continue
        if disk_kind == "virtio-scsi":
            cmd += ["-device", "scsi-hd,drive=disk%d,bus=scsi0.0,scsi-id=%d%s" % (i, i, p.get("disk_opts", ""))]
            continue
        if disk_kind == "ahci":  # one SATA disk per port of the preset's ahci0
            cmd += ["-device", "ide-hd,drive=disk%d,bus=ahci0.%d" % (i, i)]
            continue
        dev = {"mmio": "virtio-blk-device",
               "pci-legacy": "virtio-blk-pci,disable-modern=on",
               "pci-modern": "virtio-blk-pci,disable-legacy=on"}[p["virtio"]]
        cmd += ["-device", "%s,drive=disk%d" % (dev, i)]
    for i, backend in enumerate(nics):
        # backend: a QEMU -netdev spec without id, e.g. "user" or
        # "socket,udp=127.0.0.1:5555,localaddr=127.0.0.1:5556"
        cmd += ["-netdev", "%s,id=nic%d" % (backend, i)]
        dev = {"mmio": "virtio-net-device",
               "pci-legacy": "virtio-net-pci,disable-modern=on",
               "pci-modern": "virtio-net-pci,disable-legacy=on"}[p["virtio"]]
        dev = p.get("nic", dev)
        cmd += ["-device", "%s,netdev=nic%d" % (dev, i)]
    cmd += list(extra)
    return cmd


def vmware_dress(disks, nics):
    """pvscsi disks (target i for the i-th) and vmxnet3 NICs; with none
    given, two scratch disks (64 and 32 MiB, reading zeroes) and one NIC."""
    cmd = ["-device", "pvscsi,id=pvscsi0"]
    if not disks and not nics:
        for i, mib in enumerate((64, 32)):
            cmd += ["-blockdev", "driver=null-co,node-name=scratch%d,size=%d,read-zeroes=on" % (i, mib << 20),
                    "-device", "scsi-hd,drive=scratch%d,bus=pvscsi0.0,scsi-id=%d" % (i, i)]
        return cmd + ["-device", "vmxnet3,mac=00:50:56:00:00:01"]
    for i, disk in enumerate(disks):
        cmd += ["-drive", "file=%s,if=none,id=disk%d,format=raw" % (disk, i),
                "-device", "scsi-hd,drive=disk%d,bus=pvscsi0.0,scsi-id=%d" % (i, i)]
    for i, backend in enumerate(nics):
        cmd += ["-netdev", "%s,id=nic%d" % (backend, i),
                "-device", "vmxnet3,netdev=nic%d,mac=00:50:56:00:00:%02x" % (i, i + 1)]
    return cmd


def app_status(qemu_rc):
    """The app's exit status from QEMU's: odd codes come from isa-debug-exit;
    0 means the VM reset or powered off without one (no status carried)."""
    if qemu_rc > 0 and qemu_rc % 2 == 1:
        return (qemu_rc - 1) // 2
    if qemu_rc == 0:
        return 0
    return None


POWER_OFF_LINE = re.compile(r"^kestrel: power off, status (\d+)$")


class Boot:
    """One finished boot: serial output lines with host timestamps (seconds
    since QEMU was started), QEMU's exit code and the app status."""

    def __init__(self, cmd, lines, qemu_rc, timed_out, elapsed, started_wall=0.0):
        self.cmd = cmd
        self.started_wall = started_wall  # host wall-clock time when QEMU started
        self.lines = lines  # [(t, text)]
        self.qemu_rc = qemu_rc
        self.timed_out = timed_out
        self.elapsed = elapsed

    @property
    def output(self):
        return "\n".join(text for _, text in self.lines)

    @property
    def status(self):
        return None if self.timed_out else app_status(self.qemu_rc)

    @property
    def full_status(self):
        """The status with all 8 bits: isa-debug-exit carries 7 ((status << 1)
        | 1 as a process exit code, 139 arrives as 11) and an ACPI power-off
        (the vmware and virtualbox platforms) none, so the kernel's
        power-off line decides when it agrees with what QEMU carried."""
        low = self.status
        if low is None:
            return None
        for _, text in reversed(self.lines):
            m = POWER_OFF_LINE.match(text)
            if m and (self.qemu_rc == 0 or int(m.group(1)) & 0x7f == low):
                return int(m.group(1))
        return low

    def time_of(self, prefix):
        for t, text in self.lines:
            if text.startswith(prefix):
                return t
        return None


def boot(cmd, timeout=60, echo=None):
    """Runs QEMU to completion (or until timeout), recording each serial line
    with the host time it arrived."""
    start = time.monotonic()
    started_wall = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
    lines, buf, timed_out = [], b"", False
    fd = proc.stdout.fileno()
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            timed_out = True
            proc.kill()
            break
        if not sel.select(min(left, 0.5)):
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(fd, 65536)
        now = time.monotonic() - start
        if not chunk:
            break
        if echo:
            echo.write(chunk.decode("utf-8", "replace"))
            echo.flush()
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            lines.append((now, line.decode("utf-8", "replace").rstrip("\r")))
    if buf:
        lines.append((time.monotonic() - start, buf.decode("utf-8", "replace").rstrip("\r")))
    rc = proc.wait()
    sel.close()
    proc.stdout.close()
    return Boot(cmd, lines, rc, timed_out, time.monotonic() - start, started_wall)
