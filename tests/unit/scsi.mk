# SCSI CDB building and response parsing (drivers/scsi).
UNIT_TESTS += test_scsi
test_scsi_SRCS := tests/unit/test_scsi.c drivers/scsi/scsi_cdb.c
