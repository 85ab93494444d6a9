# Platform detection scoring over the signals each machine shows.
UNIT_TESTS += test_platform_detect
test_platform_detect_SRCS := tests/unit/test_platform_detect.c platforms/detect.c \
	platforms/qemu_pc.c platforms/qemu_q35.c platforms/microvm.c platforms/firecracker.c \
	platforms/xen_hvm.c platforms/xen_pvh.c platforms/vmware.c platforms/virtualbox.c \
	platforms/ec2.c platforms/gce.c platforms/generic_pc.c
