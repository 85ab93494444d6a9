/* A small AML scanner, not an interpreter: it finds Name(\_S5, Package{...})
 * for the S5 sleep type, and Device() blocks whose _HID is one we use
 * (LNRO0005 virtio-mmio, QEMU0001 pvpanic) with their _CRS resources.
 * Every length is checked against the table; a malformed spot is skipped. */
#include <string.h>
#include "firmware.h"
#include "log.h"
#include "acpi_aml.h"

#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_BUFFER_OP 0x11
#define AML_STRING_PREFIX 0x0d
#define AML_DWORD_PREFIX 0x0c
#define AML_WORD_PREFIX 0x0b
#define AML_BYTE_PREFIX 0x0a

/* PkgLength at p (bounded by end): value and its own size, or 0 on error. */
uint32_t aml_pkg_length(const uint8_t *p, const uint8_t *end, unsigned *nbytes)
{
    if (p >= end)
        return 0;
    unsigned extra = p[0] >> 6;
    if ((size_t)(end - p) < 1 + extra)
        return 0;
    uint32_t v = extra ? (p[0] & 0x0f) : (p[0] & 0x3f);
    for (unsigned i = 0; i < extra; i++)
        v |= (uint32_t)p[1 + i] << (4 + 8 * i);
    *nbytes = 1 + extra;
    return v;
}

/* An integer data object (Zero, One, Ones, Byte/Word/DWordConst). */
int aml_int(const uint8_t **pp, const uint8_t *end, uint32_t *v)
{
    const uint8_t *p = *pp;
    if (p >= end)
        return -1;
    switch (p[0]) {
    case 0x00:
    case 0x01:
        *v = p[0];
        *pp = p + 1;
        return 0;
    case 0xff:
        *v = 0xffffffff;
        *pp = p + 1;
        return 0;
    case AML_BYTE_PREFIX:
        if (end - p < 2)
            return -1;
        *v = p[1];
        *pp = p + 2;
        return 0;
    case AML_WORD_PREFIX:
        if (end - p < 3)
            return -1;
        *v = fw_le16(p + 1);
        *pp = p + 3;
        return 0;
    case AML_DWORD_PREFIX:
        if (end - p < 5)
            return -1;
        *v = fw_le32(p + 1);
        *pp = p + 5;
        return 0;
    }
    return -1;
}

static void find_s5(struct machine *m, const uint8_t *aml, uint32_t len)
{
    const uint8_t *end = aml + len;
    for (const uint8_t *p = aml; p + 5 < end; p++) {
        if (memcmp(p, "_S5_", 4) != 0)
            continue;
        /* Name op directly before, or before a root prefix '\'. */
        if (!((p > aml && p[-1] == AML_NAME_OP) || (p > aml + 1 && p[-1] == '\\' && p[-2] == AML_NAME_OP)))
            continue;
        const uint8_t *q = p + 4;
        if (q >= end || *q != AML_PACKAGE_OP)
            continue;
        unsigned nb;
        uint32_t plen = aml_pkg_length(q + 1, end, &nb);
        if (!plen || plen > (uint32_t)(end - (q + 1)))
            continue;
        const uint8_t *pend = q + 1 + plen;
        q += 1 + nb;
        if (q >= pend || *q < 2)
            continue; /* NumElements: need SLP_TYPa and SLP_TYPb */
        q++;
        uint32_t a, b;
        if (aml_int(&q, pend, &a) < 0 || aml_int(&q, pend, &b) < 0)
            continue;
        m->s5_valid = true;
        m->slp_typ_a = (uint8_t)(a & 7);
        m->slp_typ_b = (uint8_t)(b & 7);
        return;
    }
}

/* Expands a compressed EISA id (DWordConst) into its 7-character form. */
static void eisa_id(uint32_t v, char out[8])
{
    uint32_t id = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24);
    out[0] = (char)('@' + ((id >> 26) & 0x1f));
    out[1] = (char)('@' + ((id >> 21) & 0x1f));
    out[2] = (char)('@' + ((id >> 16) & 0x1f));
    for (int i = 0; i < 4; i++) {
        unsigned nib = (id >> (12 - 4 * i)) & 0xf;
        out[3 + i] = (char)(nib < 10 ? '0' + nib : 'A' + nib - 10);
    }
    out[7] = 0;
}

/* Name(NAME, ...) inside [p, end): pointer to the object after the name. */
const uint8_t *aml_find_name(const uint8_t *p, const uint8_t *end, const char *name)
{
    for (; p + 5 < end; p++) {
        if (p[0] == AML_NAME_OP && memcmp(p + 1, name, 4) == 0)
            return p + 5;
    }
    return NULL;
}

int aml_read_hid(const uint8_t *obj, const uint8_t *end, char out[16])
{
    if (obj >= end)
        return -1;
    if (obj[0] == AML_STRING_PREFIX) {
        size_t n = strnlen((const char *)obj + 1, (size_t)(end - obj - 1));
        if (n >= 16 || obj + 1 + n >= end)
            return -1;
        memcpy(out, obj + 1, n);
        out[n] = 0;
        return 0;
    }
    uint32_t v;
    if (obj[0] == AML_DWORD_PREFIX && aml_int(&obj, end, &v) == 0) {
        eisa_id(v, out);
        return 0;
    }
    return -1;
}


/* Walks a resource template (the bytes of a Buffer) up to its end tag. */
static void aml_parse_resources(const uint8_t *p, const uint8_t *end, struct aml_resources *r)
{
    while (p < end) {
        uint8_t tag = p[0];
        if (!(tag & 0x80)) { /* small item */
            unsigned type = (tag >> 3) & 0x0f, len = tag & 7;
            if ((size_t)(end - p) < 1 + len || type == 0x0f)
                return;
            if (type == 0x08 && len >= 7) { /* I/O port */
                r->io_base = fw_le16(p + 2);
                r->has_io = 1;
            } else if (type == 0x04 && len >= 2 && !r->has_irq) { /* IRQ mask */
                uint16_t mask = fw_le16(p + 1);
                if (mask) {
                    r->irq = (uint32_t)__builtin_ctz(mask);
                    r->has_irq = 1;
                }
            }
            p += 1 + len;
            continue;
        }
        if (end - p < 3)
            return;
        uint16_t len = fw_le16(p + 1);
        if ((size_t)(end - p) < 3u + len)
            return;
        const uint8_t *d = p + 3;
        if (tag == 0x86 && len >= 9) { /* Memory32Fixed */
            r->mem_base = fw_le32(d + 1);
            r->mem_size = fw_le32(d + 5);
            r->has_mem = 1;
        } else if (tag == 0x89 && len >= 6 && d[1] >= 1 && !r->has_irq) { /* Extended Interrupt */
            r->irq = fw_le32(d + 2);
            r->has_irq = 1;
            r->irq_edge = (d[0] >> 1) & 1;
            r->irq_active_low = (d[0] >> 2) & 1;
        }
        p += 3 + len;
    }
}

int aml_read_crs(const uint8_t *obj, const uint8_t *end, struct aml_resources *r)
{
    memset(r, 0, sizeof(*r));
    if (obj >= end || obj[0] != AML_BUFFER_OP)
        return -1; /* a Method _CRS would need an interpreter */
    unsigned nb;
    uint32_t plen = aml_pkg_length(obj + 1, end, &nb);
    if (!plen || plen > (uint32_t)(end - (obj + 1)))
        return -1;
    const uint8_t *bend = obj + 1 + plen, *q = obj + 1 + nb;
    uint32_t size;
    if (aml_int(&q, bend, &size) < 0 || size > (uint32_t)(bend - q))
        return -1;
    aml_parse_resources(q, q + size, r);
    return 0;
}

static void device(struct machine *m, const uint8_t *body, const uint8_t *end)
{
    char hid[16];
    const uint8_t *obj = aml_find_name(body, end, "_HID");
    if (!obj || aml_read_hid(obj, end, hid) < 0)
        return;
    int virtio = strcmp(hid, "LNRO0005") == 0, pvpanic = strcmp(hid, "QEMU0001") == 0;
    if (!virtio && !pvpanic)
        return;
    struct aml_resources r;
    obj = aml_find_name(body, end, "_CRS");
    if (!obj || aml_read_crs(obj, end, &r) < 0)
        return;
    if (pvpanic && r.has_io) {
        m->pvpanic_port = r.io_base;
        return;
    }
    if (!virtio || !r.has_mem || !r.has_irq || r.mem_size == 0)
        return;
    for (unsigned i = 0; i < m->n_mmio; i++) {
        if (m->mmio[i].base == r.mem_base)
            return;
    }
    if (m->n_mmio == MACHINE_MAX_MMIO) {
        m->mmio_dropped++;
        return;
    }
    m->mmio[m->n_mmio++] = (struct machine_mmio_dev){ r.mem_base, r.mem_size, r.irq };
}

/* The length of a NameString's leading prefixes and segments (no more than
 * we need: root/parent prefixes, then one segment, a dual or a multi name). */
size_t aml_name_string_len(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *s = p;
    while (s < end && (*s == '\\' || *s == '^'))
        s++;
    if (s >= end)
        return 0;
    if (*s == 0x2e) /* DualNamePrefix */
        s += 1 + 8;
    else if (*s == 0x2f && s + 1 < end) /* MultiNamePrefix */
        s += 2 + 4 * (size_t)s[1];
    else if (*s == 0)
        s += 1;
    else
        s += 4;
    return s <= end ? (size_t)(s - p) : 0;
}

static void find_devices(struct machine *m, const uint8_t *aml, uint32_t len)
{
    const uint8_t *end = aml + len;
    for (const uint8_t *p = aml; p + 3 < end; p++) {
        if (p[0] != 0x5b || p[1] != 0x82) /* DeviceOp */
            continue;
        unsigned nb;
        uint32_t plen = aml_pkg_length(p + 2, end, &nb);
        if (!plen || plen > (uint32_t)(end - (p + 2)))
            continue;
        const uint8_t *dend = p + 2 + plen, *name = p + 2 + nb;
        size_t nlen = aml_name_string_len(name, dend);
        if (!nlen)
            continue;
        const uint8_t *body = name + nlen;
        /* Stop at a nested Device so its _HID is not taken for ours. */
        const uint8_t *stop = dend;
        for (const uint8_t *q = body; q + 1 < dend; q++) {
            if (q[0] == 0x5b && q[1] == 0x82) {
                stop = q;
                break;
            }
        }
        device(m, body, stop);
    }
}

void acpi_aml_scan(struct machine *m, const uint8_t *aml, uint32_t len)
{
    if (!m->s5_valid)
        find_s5(m, aml, len);
    find_devices(m, aml, len);
    acpi_aml_scan_events(m, aml, len);
}
