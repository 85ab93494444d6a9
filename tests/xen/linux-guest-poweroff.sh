#!/bin/sh
# /sbin/poweroff of the self-test guest: Linux runs it when dom0 does `xl shutdown`.
/bin/xenrig-tool say KESTREL-XEN-SHUTDOWN > /dev/console 2>&1
sync
/bin/busybox poweroff -f
