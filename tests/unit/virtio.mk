# virtio pure logic: the virtio_mmio.device= parser.
UNIT_TESTS += test_virtio_mmio_param
test_virtio_mmio_param_SRCS := tests/unit/test_virtio_mmio_param.c drivers/virtio/mmio_param.c
