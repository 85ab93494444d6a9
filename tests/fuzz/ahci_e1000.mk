# What AHCI HBAs/disks and e1000 NICs write back: IDENTIFY data, received FISes,
# completion registers and PRD byte counts; receive/transmit descriptor write-backs.
FUZZ_TARGETS += fuzz_ahci fuzz_e1000_rx
fuzz_fuzz_ahci_SRCS := tests/fuzz/fuzz_ahci.c drivers/ahci/ahci_proto.c
fuzz_fuzz_e1000_rx_SRCS := tests/fuzz/fuzz_e1000_rx.c drivers/e1000/e1000_ring.c
