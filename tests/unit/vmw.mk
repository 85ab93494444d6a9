# VMware pure logic (drivers/vmw): the RPCI message channel against a model
# of the hypervisor, PVSCSI and VMXNET3 rings against hostile devices.
UNIT_TESTS += test_vmw_rpci
test_vmw_rpci_SRCS := tests/unit/test_vmw_rpci.c drivers/vmw/rpci.c
UNIT_TESTS += test_pvscsi_ring test_vmxnet3_ring
test_pvscsi_ring_SRCS := tests/unit/test_pvscsi_ring.c drivers/vmw/pvscsi_ring.c
test_vmxnet3_ring_SRCS := tests/unit/test_vmxnet3_ring.c drivers/vmw/vmxnet3_ring.c
UNIT_TESTS += test_tsc_hint
test_tsc_hint_SRCS := tests/unit/test_tsc_hint.c drivers/clock/tsc_freq.c
# Our backdoor and RPCI constants against open-vm-tools' definitions (a cited table).
UNIT_TESTS += test_vmw_defs
test_vmw_defs_SRCS := tests/unit/test_vmw_defs.c
# VMware tools' TCLO channel against a model of a vSphere host.
UNIT_TESTS += test_vmw_tclo
test_vmw_tclo_SRCS := tests/unit/test_vmw_tclo.c drivers/vmw/tclo.c drivers/vmw/rpci.c
