"""Shared by bench/blk and bench/net: the Linux guest (Debian's cloud
kernel from bench/boot, and an initramfs holding one static init built from
bench/ plus the virtio modules) and the Kestrel test app."""

import importlib.machinery
import importlib.util
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "build", "bench")
KTEST = os.path.join(ROOT, "build", "app-ktest.elf")
MODULES = ["virtio", "virtio_ring", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_mmio",
           "virtio_blk", "failover", "net_failover", "virtio_net"]


def load_boot_bench():
    loader = importlib.machinery.SourceFileLoader("bench_boot", os.path.join(ROOT, "bench", "boot"))
    spec = importlib.util.spec_from_loader("bench_boot", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def linux_initramfs(name, source, defines=(), cflags=()):
    """A static init from bench/SOURCE plus the virtio modules of the kernel package."""
    d = os.path.join(WORK, name)
    root = os.path.join(d, "root")
    shutil.rmtree(root, ignore_errors=True)
    for sub in ["dev", "proc", "sys", "modules"]:
        os.makedirs(os.path.join(root, sub))
    subprocess.run(["gcc", "-static", "-O2"] + ["-D" + x for x in defines] + list(cflags) +
                   ["-o", os.path.join(root, "init"), os.path.join(ROOT, "bench", source)], check=True)
    kdir = [p for p in os.listdir(os.path.join(WORK, "linux", "x", "lib", "modules"))][0]
    kroot = os.path.join(WORK, "linux", "x", "lib", "modules", kdir, "kernel")
    for m in MODULES:
        for dirpath, _, files in os.walk(kroot):
            if m + ".ko" in files:
                shutil.copy(os.path.join(dirpath, m + ".ko"), os.path.join(root, "modules"))
    names = "\n".join(["init", "dev", "proc", "sys", "modules"] + ["modules/%s.ko" % m for m in MODULES]) + "\n"
    out = os.path.join(d, "initramfs.cpio")
    cpio = subprocess.run(["cpio", "-o", "-H", "newc"], input=names.encode(), cwd=root, capture_output=True,
                          check=True).stdout
    with open(out, "wb") as f:
        f.write(cpio)
    return out
