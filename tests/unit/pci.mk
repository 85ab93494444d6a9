# MSI-X enable order against a strict device model (drivers/pci).
UNIT_TESTS += test_pci_msix
test_pci_msix_SRCS := tests/unit/test_pci_msix.c drivers/pci/pci_msix.c
