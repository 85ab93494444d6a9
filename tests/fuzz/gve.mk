# gVNIC: the device descriptor and its options; the whole bring-up and data
# path against a device whose every answer is fuzzed.
FUZZ_TARGETS += fuzz_gve_descriptor fuzz_gve_dev
fuzz_fuzz_gve_descriptor_SRCS := tests/fuzz/fuzz_gve_descriptor.c drivers/gve/gve_aq.c
fuzz_fuzz_gve_dev_SRCS := tests/fuzz/fuzz_gve_dev.c drivers/gve/gve_aq.c drivers/gve/gve_ring.c drivers/gve/gve_dev.c
