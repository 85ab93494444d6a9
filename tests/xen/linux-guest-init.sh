#!/bin/sh
# /init of the rig's self-test guest (Debian kernel + busybox + xenrig-tool), used by the tests
# pvh-linux and hvm-linux. It plays the Kestrel guest contract (see README.md) so that the rig
# itself can be tested without Kestrel. xenrig.mode=panic on the command line makes it crash instead.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
T=/bin/xenrig-tool
mode=test
for a in $(cat /proc/cmdline); do case $a in xenrig.mode=*) mode=${a#xenrig.mode=};; esac; done
if [ $mode = panic ]; then
  $T say "XENRIG-LINUX-GUEST panicking on purpose"
  echo c > /proc/sysrq-trigger
fi
GT=$(cat /sys/hypervisor/guest_type 2>/dev/null | tr 'A-Z' 'a-z')
CLK=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
$T say "KESTREL-XEN-READY platform=xen-$GT clock=$CLK domid=$($T xs-read domid)"
insmod /lib/modules/xen-blkfront.ko 2>/dev/null
insmod /lib/modules/xen-netfront.ko 2>/dev/null
i=0; while [ $i -lt 40 ] && { [ ! -b /dev/xvda ] || [ ! -e /sys/class/net/eth0 ]; }; do sleep 0.5; i=$((i+1)); done
if [ -b /dev/xvda ]; then $T guest-blk /dev/xvda 8192 4096 8; else $T say "KESTREL-XEN-BLK fail no /dev/xvda"; fi
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  $T guest-echo eth0 &
  sleep 1
  $T say "KESTREL-XEN-NET-READY mac=$(cat /sys/class/net/eth0/address)"
fi
$T xs-pingpong
# xl shutdown: Linux's xenbus watch on control/shutdown runs /sbin/poweroff (see the initramfs)
while :; do sleep 10; done
