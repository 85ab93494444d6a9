# ENA (drivers/ena): the admin queue, AENQ, reset path and rings against a
# device model written from Amazon's public definitions, hostile included.
UNIT_TESTS += test_ena
test_ena_SRCS := tests/unit/test_ena.c tests/unit/ena_model.c drivers/ena/ena_admin.c drivers/ena/ena_aenq.c \
	drivers/ena/ena_ring.c drivers/ena/ena_port.c
