# virtio pure logic: the virtio_mmio.device= parser.
UNIT_TESTS += test_virtio_mmio_param
test_virtio_mmio_param_SRCS := tests/unit/test_virtio_mmio_param.c drivers/virtio/mmio_param.c
UNIT_TESTS += test_virtqueue
test_virtqueue_SRCS := tests/unit/test_virtqueue.c drivers/virtio/virtqueue.c
