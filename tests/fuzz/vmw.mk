# VMware: PVSCSI and VMXNET3 completion parsers, the RPCI message channel.
FUZZ_TARGETS += fuzz_pvscsi_ring fuzz_vmxnet3_ring fuzz_vmw_rpci
fuzz_fuzz_pvscsi_ring_SRCS := tests/fuzz/fuzz_pvscsi_ring.c drivers/vmw/pvscsi_ring.c
fuzz_fuzz_vmxnet3_ring_SRCS := tests/fuzz/fuzz_vmxnet3_ring.c drivers/vmw/vmxnet3_ring.c
fuzz_fuzz_vmw_rpci_SRCS := tests/fuzz/fuzz_vmw_rpci.c drivers/vmw/rpci.c
# TCLO: host commands into the dispatcher.
FUZZ_TARGETS += fuzz_vmw_tclo
fuzz_fuzz_vmw_tclo_SRCS := tests/fuzz/fuzz_vmw_tclo.c drivers/vmw/tclo.c drivers/vmw/rpci.c
