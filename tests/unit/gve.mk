# gVNIC (drivers/gve): the admin queue, device descriptor, queue page lists
# and GQI rings against a device model, well-behaved and hostile.
UNIT_TESTS += test_gve
test_gve_SRCS := tests/unit/test_gve.c tests/unit/gve_model.c drivers/gve/gve_aq.c drivers/gve/gve_ring.c drivers/gve/gve_dev.c
