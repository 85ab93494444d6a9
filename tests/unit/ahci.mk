# AHCI register sequences against a misbehaving model HBA; IDENTIFY and completion checks.
UNIT_TESTS += test_ahci
test_ahci_SRCS := tests/unit/test_ahci.c drivers/ahci/ahci_proto.c
