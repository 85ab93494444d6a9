# ENA: admin answers, AENQ entries, tx/rx completions and read-less answers.
FUZZ_TARGETS += fuzz_ena
fuzz_fuzz_ena_SRCS := tests/fuzz/fuzz_ena.c tests/unit/ena_model.c drivers/ena/ena_admin.c drivers/ena/ena_aenq.c \
	drivers/ena/ena_ring.c drivers/ena/ena_port.c
