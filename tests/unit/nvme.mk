# NVMe pure logic: queue pairs against a hostile controller, PRP lists, CAP and IDENTIFY.
NVME_PURE := drivers/nvme/nvme_queue.c drivers/nvme/nvme_prp.c drivers/nvme/nvme_identify.c
UNIT_TESTS += test_nvme
test_nvme_SRCS := tests/unit/test_nvme.c $(NVME_PURE)
