"""Shared by bench/blk and bench/net: the Linux guest (Debian's cloud
kernel from bench/boot, and an initramfs holding one static init built from
bench/ plus the virtio modules) and the Kestrel test app."""

import glob
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
# AHCI disks and e1000 NICs (the virtualbox preset): only Debian's generic
# kernel has them; the files are named as in the kernel package.
MODULES += ["scsi_common", "scsi_mod", "libata", "libahci", "ahci", "crct10dif_common", "crct10dif_generic",
            "crc-t10dif", "crc64", "crc64_rocksoft_generic", "crc64-rocksoft", "t10-pi", "sd_mod", "e1000"]
# Presets whose devices the cloud kernel lacks: they get Debian's generic kernel.
GENERIC_KERNEL_PRESETS = {"virtualbox"}
# pvscsi and vmxnet3 (the vmware preset; the cloud kernel has both).
MODULES += ["vmw_pvscsi", "vmxnet3"]


def load_boot_bench():
    loader = importlib.machinery.SourceFileLoader("bench_boot", os.path.join(ROOT, "bench", "boot"))
    spec = importlib.util.spec_from_loader("bench_boot", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def linux_generic_kernel():
    """Debian's generic kernel (linux-image-amd64), fetched once with apt-get
    download into build/bench/linux-generic; its directory as bench/boot's."""
    d = os.path.join(WORK, "linux-generic")
    found = glob.glob(os.path.join(d, "x", "boot", "vmlinuz-*"))
    if found:
        return found[0]
    os.makedirs(d, exist_ok=True)
    deps = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], check=True, capture_output=True,
                          text=True).stdout
    pkg = [l.split()[-1] for l in deps.splitlines() if "Depends:" in l and "linux-image-" in l][0]
    subprocess.run(["apt-get", "download", pkg], cwd=d, check=True, capture_output=True)
    deb = glob.glob(os.path.join(d, pkg + "_*.deb"))[0]
    subprocess.run(["dpkg-deb", "-x", deb, os.path.join(d, "x")], check=True)
    return glob.glob(os.path.join(d, "x", "boot", "vmlinuz-*"))[0]


def linux_guest_for(preset, name, source, boot_bench, defines=()):
    """(vmlinuz, initramfs) for the preset: the cloud kernel from bench/boot,
    or the generic one where the preset's devices need it."""
    if preset in GENERIC_KERNEL_PRESETS:
        return linux_generic_kernel(), linux_initramfs(name + "-generic", source, defines, linux_dir="linux-generic")
    return boot_bench.linux_kernel(), linux_initramfs(name, source, defines)


def copy_modules(dest, linux_dir="linux"):
    """Copies the MODULES the kernel package of build/bench/LINUX_DIR has
    into dest (linux_modules.h loads them); returns those it has."""
    os.makedirs(dest, exist_ok=True)
    kdir = [p for p in os.listdir(os.path.join(WORK, linux_dir, "x", "lib", "modules"))][0]
    kroot = os.path.join(WORK, linux_dir, "x", "lib", "modules", kdir, "kernel")
    for m in MODULES:
        for dirpath, _, files in os.walk(kroot):
            if m + ".ko" in files:
                shutil.copy(os.path.join(dirpath, m + ".ko"), dest)
    return [m for m in MODULES if os.path.exists(os.path.join(dest, m + ".ko"))]


def linux_initramfs(name, source, defines=(), linux_dir="linux", cflags=()):
    """A static init from bench/SOURCE plus the modules of the kernel package."""
    d = os.path.join(WORK, name)
    root = os.path.join(d, "root")
    shutil.rmtree(root, ignore_errors=True)
    for sub in ["dev", "proc", "sys", "modules"]:
        os.makedirs(os.path.join(root, sub))
    subprocess.run(["gcc", "-static", "-O2"] + ["-D" + x for x in defines] + list(cflags) +
                   ["-o", os.path.join(root, "init"), os.path.join(ROOT, "bench", source)], check=True)
    present = copy_modules(os.path.join(root, "modules"), linux_dir)
    names = "\n".join(["init", "dev", "proc", "sys", "modules"] + ["modules/%s.ko" % m for m in present]) + "\n"
    out = os.path.join(d, "initramfs.cpio")
    cpio = subprocess.run(["cpio", "-o", "-H", "newc"], input=names.encode(), cwd=root, capture_output=True,
                          check=True).stdout
    with open(out, "wb") as f:
        f.write(cpio)
    return out
