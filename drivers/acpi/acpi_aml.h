/* Private to drivers/acpi: the AML helpers acpi_aml.c and acpi_event.c
 * share. Every helper is bounded by end and fails rather than read past. */
#ifndef KESTREL_ACPI_AML_H
#define KESTREL_ACPI_AML_H
#include <stddef.h>
#include <stdint.h>
#include "machine.h"

#define AML_METHOD_OP 0x14
#define AML_IF_OP 0xa0
#define AML_NOTIFY_OP 0x86
#define AML_LEQUAL_OP 0x93
#define AML_AND_OP 0x7b
#define AML_EXT_PREFIX 0x5b
#define AML_EXT_DEVICE_OP 0x82
#define AML_EXT_REGION_OP 0x80

struct aml_resources {
    uint64_t mem_base, mem_size;
    uint32_t irq;
    uint16_t io_base;
    int has_mem, has_irq, has_io;
    int irq_edge, irq_active_low; /* Extended Interrupt descriptors only */
};

/* PkgLength at p: its value and (in *nbytes) its own size, or 0 on error. */
uint32_t aml_pkg_length(const uint8_t *p, const uint8_t *end, unsigned *nbytes);
/* Zero, One, Ones, Byte/Word/DWordConst at *pp; advances *pp. 0 or -1. */
int aml_int(const uint8_t **pp, const uint8_t *end, uint32_t *v);
/* Name(NAME, ...) inside [p, end): the object after the name, or NULL. */
const uint8_t *aml_find_name(const uint8_t *p, const uint8_t *end, const char *name);
/* A _HID object (string or compressed EISA id) as text. 0 or -1. */
int aml_read_hid(const uint8_t *obj, const uint8_t *end, char out[16]);
/* A _CRS Buffer's resources. 0 or -1 (a Method _CRS is not evaluated). */
int aml_read_crs(const uint8_t *obj, const uint8_t *end, struct aml_resources *r);
/* Length of the NameString at p, or 0 when malformed. */
size_t aml_name_string_len(const uint8_t *p, const uint8_t *end);

/* acpi_event.c: the power button's GED bits and GPE, from the same AML. */
void acpi_aml_scan_events(struct machine *m, const uint8_t *aml, uint32_t len);

#endif
