"""Images for engines that run VMs at scale (scripts/mkimage, docs/fleets.md):
a libvirt domain definition next to a qcow2 disk, and a KubeVirt
containerDisk (an OCI image whose single layer holds the qcow2 under /disk/,
owned by uid/gid 107, the qemu user of KubeVirt's launcher)."""

import gzip
import hashlib
import io
import json
import os
import tarfile
import xml.etree.ElementTree as ET

KUBEVIRT_QEMU_UID = 107
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def libvirt_domain(name, disk, serial_log, firmware, domain_type="kvm", memory_mib=128, network=None):
    """The domain XML: q35, ACPI (so `virsh shutdown` presses the power
    button), the disk on virtio, COM1 logged to serial_log (absolute paths).
    firmware 'uefi' asks libvirt for OVMF, else SeaBIOS (libvirt's default)."""
    dom = ET.Element("domain", type=domain_type)
    ET.SubElement(dom, "name").text = name
    ET.SubElement(dom, "memory", unit="MiB").text = str(memory_mib)
    ET.SubElement(dom, "vcpu").text = "1"
    os_el = ET.SubElement(dom, "os", **({"firmware": "efi"} if firmware == "uefi" else {}))
    if firmware == "uefi":
        # The image's GRUB is not signed: ask for OVMF without Secure Boot
        # (libvirt would otherwise pick the build with Microsoft's keys).
        fw = ET.SubElement(os_el, "firmware")
        ET.SubElement(fw, "feature", enabled="no", name="secure-boot")
        ET.SubElement(fw, "feature", enabled="no", name="enrolled-keys")
    ET.SubElement(os_el, "type", arch="x86_64", machine="q35").text = "hvm"
    ET.SubElement(os_el, "boot", dev="hd")
    features = ET.SubElement(dom, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    for event, action in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        ET.SubElement(dom, event).text = action
    devices = ET.SubElement(dom, "devices")
    d = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(d, "driver", name="qemu", type="qcow2")
    ET.SubElement(d, "source", file=disk)
    ET.SubElement(d, "target", dev="vda", bus="virtio")
    if network:
        nic = ET.SubElement(devices, "interface", type="network")
        ET.SubElement(nic, "source", network=network)
        ET.SubElement(nic, "model", type="virtio")
    serial = ET.SubElement(devices, "serial", type="file")
    ET.SubElement(serial, "source", path=serial_log)
    ET.SubElement(serial, "target", port="0")
    console = ET.SubElement(devices, "console", type="file")
    ET.SubElement(console, "source", path=serial_log)
    ET.SubElement(console, "target", type="serial", port="0")
    ET.SubElement(devices, "memballoon", model="none")
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode") + "\n"


def _blob(blobs, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def _layer(qcow2, disk_name):
    """The layer tar: /disk/ and /disk/NAME, both owned by 107:107."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        d = tarfile.TarInfo("disk")
        d.type, d.mode = tarfile.DIRTYPE, 0o755
        f = tarfile.TarInfo("disk/" + disk_name)
        f.size, f.mode = os.path.getsize(qcow2), 0o644
        for info in (d, f):
            info.uid = info.gid = KUBEVIRT_QEMU_UID
            info.mtime = 0
        tar.addfile(d)
        with open(qcow2, "rb") as src:
            tar.addfile(f, src)
    return buf.getvalue()


def containerdisk(qcow2, out_tar, work, disk_name="disk.qcow2", tag="latest"):
    """Writes an OCI image layout as a tar (skopeo's oci-archive:) to out_tar."""
    root = os.path.join(work, "oci")
    blobs = os.path.join(root, "blobs", "sha256")
    os.makedirs(blobs)
    layer = _layer(qcow2, disk_name)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(layer)
    layer_digest, layer_size = _blob(blobs, gz.getvalue())
    config = {"architecture": "amd64", "os": "linux", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "history": [{"created_by": "scripts/mkimage --format containerdisk"}]}
    config_digest, config_size = _blob(blobs, json.dumps(config, sort_keys=True).encode())
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config_size},
                "layers": [{"mediaType": OCI_LAYER, "digest": layer_digest, "size": layer_size}]}
    manifest_digest, manifest_size = _blob(blobs, json.dumps(manifest, sort_keys=True).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest_size,
        "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with tarfile.open(out_tar, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in ("oci-layout", "index.json", "blobs"):
            tar.add(os.path.join(root, name), arcname=name)
