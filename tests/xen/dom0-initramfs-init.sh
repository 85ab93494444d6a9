#!/bin/sh
# /init of dom0's tiny initramfs: load virtio-blk and ext4, mount the dom0 root (label xenrig-dom0)
# and the per-run payload disk (label xenrig-payload) at /xenrig, then switch_root into /xenrig/dom0-init.sh.
export PATH=/bin
mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "XENRIG-DOM0-INITRAMFS uptime=$(cut -d' ' -f1 /proc/uptime)"
for m in $(cat /modlist); do insmod /mods/$m.ko 2>/dev/null; done
i=0; while { [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; } && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
root=$(findfs LABEL=xenrig-dom0 2>/dev/null); root=${root:-/dev/vda}
payload=$(findfs LABEL=xenrig-payload 2>/dev/null); payload=${payload:-/dev/vdb}
fail() { echo "XENRIG-DOM0-FAIL $*"; ls -l /dev; sleep 2; poweroff -f; }
mount -t ext4 -o rw "$root" /newroot || fail "cannot mount the dom0 root $root"
mkdir -p /newroot/xenrig
mount -t ext4 -o ro "$payload" /newroot/xenrig || fail "cannot mount the payload disk $payload"
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /xenrig/dom0-init.sh
