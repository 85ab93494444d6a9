/* Power-button events that AML declares, found by matching a few shapes,
 * not by running AML (there is no interpreter here):
 *   - the power button devices: Device() blocks with _HID PNP0C0C;
 *   - the hardware-reduced Generic Event Device (ACPI0013): its interrupt
 *     (_CRS), its event selector register (a SystemMemory OperationRegion)
 *     and the selector bits of its _EVT method whose
 *     If ((x & BITS) == BITS) or If (x & BITS) branch holds
 *     Notify (button, 0x80);
 *   - a GPE method (_Lxx or _Exx) whose body holds Notify (button, 0x80).
 * Every walk is bounded by the package that holds it; a shape we do not
 * know is skipped (the fixed-feature button needs none of this). */
#include <string.h>
#include "acpi_aml.h"
#include "firmware.h"

#define MAX_BUTTONS 4
#define NOTIFY_STATUS_CHANGE 0x80 /* Notify value a power button sends when pressed */

struct buttons {
    char seg[MAX_BUTTONS][4]; /* last NameSeg of each button device */
    unsigned n;
};

/* A package-delimited object at p (opcode of oplen bytes, then PkgLength):
 * sets *body to what follows the PkgLength and returns its end, or NULL. */
static const uint8_t *package(const uint8_t *p, const uint8_t *end, unsigned oplen, const uint8_t **body)
{
    if (end - p <= (ptrdiff_t)oplen)
        return NULL;
    unsigned nb;
    uint32_t plen = aml_pkg_length(p + oplen, end, &nb);
    if (!plen || plen < nb || plen > (uint32_t)(end - (p + oplen)))
        return NULL;
    *body = p + oplen + nb;
    return p + oplen + plen;
}

/* The last NameSeg of the NameString at p (NULL for a null name), and its length in *len. */
static const uint8_t *last_seg(const uint8_t *p, const uint8_t *end, size_t *len)
{
    size_t n = aml_name_string_len(p, end);
    *len = n;
    if (n < 4 || p[n - 1] == 0)
        return NULL;
    return p + n - 4;
}

static int is_button(const struct buttons *b, const uint8_t *seg)
{
    for (unsigned i = 0; i < b->n; i++) {
        if (memcmp(b->seg[i], seg, 4) == 0)
            return 1;
    }
    return 0;
}

/* Notify (button, 0x80) anywhere in [p, end). */
static int notifies_button(const struct buttons *b, const uint8_t *p, const uint8_t *end)
{
    for (; p + 6 <= end; p++) {
        if (p[0] != AML_NOTIFY_OP)
            continue;
        size_t n;
        const uint8_t *seg = last_seg(p + 1, end, &n);
        if (!seg || !is_button(b, seg))
            continue;
        const uint8_t *v = p + 1 + n;
        uint32_t value;
        if (aml_int(&v, end, &value) == 0 && value == NOTIFY_STATUS_CHANGE)
            return 1;
    }
    return 0;
}

/* A Local, an Arg or a NameString operand: its length, or 0. */
static size_t operand_len(const uint8_t *p, const uint8_t *end)
{
    if (p >= end)
        return 0;
    if (*p >= 0x60 && *p <= 0x6e) /* Local0-7, Arg0-6 */
        return 1;
    return aml_name_string_len(p, end);
}

/* And (x, BITS, target) at p: BITS, with *next past it. 0 when not that shape. */
static uint32_t and_bits(const uint8_t *p, const uint8_t *end, const uint8_t **next)
{
    if (p >= end || *p != AML_AND_OP)
        return 0;
    p++;
    size_t n = operand_len(p, end);
    if (!n)
        return 0;
    p += n;
    uint32_t bits;
    if (aml_int(&p, end, &bits) < 0 || p >= end)
        return 0;
    if (*p == 0x00 || (*p >= 0x60 && *p <= 0x67)) /* Target: none or a Local */
        p++;
    else
        return 0;
    *next = p;
    return bits;
}

/* The bits an If predicate tests: (x & BITS) == BITS or (x & BITS). */
static uint32_t predicate_bits(const uint8_t *p, const uint8_t *end, const uint8_t **next)
{
    if (p < end && *p == AML_LEQUAL_OP) {
        uint32_t bits = and_bits(p + 1, end, next), other;
        if (!bits || aml_int(next, end, &other) < 0 || other != bits)
            return 0;
        return bits;
    }
    return and_bits(p, end, next);
}

/* The selector bits of an _EVT body whose branch notifies a button. */
static uint32_t evt_power_bits(const struct buttons *b, const uint8_t *p, const uint8_t *end)
{
    uint32_t bits = 0;
    for (; p < end; p++) {
        const uint8_t *body, *if_end;
        if (*p != AML_IF_OP || !(if_end = package(p, end, 1, &body)))
            continue;
        const uint8_t *rest;
        uint32_t tested = predicate_bits(body, if_end, &rest);
        if (tested && notifies_button(b, rest, if_end))
            bits |= tested;
    }
    return bits;
}

/* Method (NAME, ...) in [p, end): the method body (after its flags byte). */
static const uint8_t *find_method(const uint8_t *p, const uint8_t *end, const char *name, const uint8_t **mend)
{
    for (; p < end; p++) {
        const uint8_t *body, *e;
        if (*p != AML_METHOD_OP || !(e = package(p, end, 1, &body)))
            continue;
        size_t n;
        const uint8_t *seg = last_seg(body, e, &n);
        if (seg && memcmp(seg, name, 4) == 0 && body + n < e) {
            *mend = e;
            return body + n + 1;
        }
    }
    return NULL;
}

/* OperationRegion (NAME, SystemMemory, ADDRESS, LENGTH) in [p, end). */
static int find_memory_region(const uint8_t *p, const uint8_t *end, uint64_t *addr)
{
    for (; p + 2 < end; p++) {
        if (p[0] != AML_EXT_PREFIX || p[1] != AML_EXT_REGION_OP)
            continue;
        const uint8_t *q = p + 2;
        size_t n = aml_name_string_len(q, end);
        if (!n || q + n >= end)
            continue;
        q += n;
        uint8_t space = *q++;
        uint32_t base, size;
        if (space != 0 || aml_int(&q, end, &base) < 0 || aml_int(&q, end, &size) < 0 || size < 4 || !base)
            continue;
        *addr = base;
        return 0;
    }
    return -1;
}

static void ged(struct machine *m, const struct buttons *b, const uint8_t *body, const uint8_t *end)
{
    struct aml_resources r;
    const uint8_t *crs = aml_find_name(body, end, "_CRS"), *evt_end;
    uint64_t reg;
    if (m->ged_valid || !crs || aml_read_crs(crs, end, &r) < 0 || !r.has_irq)
        return;
    if (find_memory_region(body, end, &reg) < 0)
        return;
    const uint8_t *evt = find_method(body, end, "_EVT", &evt_end);
    uint32_t bits = evt ? evt_power_bits(b, evt, evt_end) : 0;
    if (!bits)
        return;
    m->ged_valid = true;
    m->ged_reg = reg;
    m->ged_irq = r.irq;
    m->ged_irq_edge = r.irq_edge;
    m->ged_irq_active_low = r.irq_active_low;
    m->ged_power_bits = bits;
}

/* Calls fn for each Device's name and body (up to a nested Device). */
static void each_device(const uint8_t *aml, const uint8_t *end,
                        void (*fn)(const uint8_t *name, size_t nlen, const uint8_t *body, const uint8_t *stop,
                                   void *ctx),
                        void *ctx)
{
    for (const uint8_t *p = aml; p + 3 < end; p++) {
        const uint8_t *name, *dend;
        if (p[0] != AML_EXT_PREFIX || p[1] != AML_EXT_DEVICE_OP || !(dend = package(p, end, 2, &name)))
            continue;
        size_t nlen = aml_name_string_len(name, dend);
        if (nlen < 4)
            continue;
        const uint8_t *body = name + nlen, *stop = dend;
        for (const uint8_t *q = body; q + 1 < dend; q++) {
            if (q[0] == AML_EXT_PREFIX && q[1] == AML_EXT_DEVICE_OP) {
                stop = q;
                break;
            }
        }
        fn(name, nlen, body, stop, ctx);
    }
}

static int device_hid(const uint8_t *body, const uint8_t *stop, char hid[16])
{
    const uint8_t *obj = aml_find_name(body, stop, "_HID");
    return obj ? aml_read_hid(obj, stop, hid) : -1;
}

static void collect_button(const uint8_t *name, size_t nlen, const uint8_t *body, const uint8_t *stop, void *ctx)
{
    struct buttons *b = ctx;
    char hid[16];
    if (b->n == MAX_BUTTONS || device_hid(body, stop, hid) < 0 || strcmp(hid, "PNP0C0C") != 0)
        return;
    if (name[nlen - 1] == 0 || is_button(b, name + nlen - 4))
        return;
    memcpy(b->seg[b->n++], name + nlen - 4, 4);
}

struct ged_ctx {
    struct machine *m;
    const struct buttons *b;
};

static void match_ged(const uint8_t *name, size_t nlen, const uint8_t *body, const uint8_t *stop, void *ctx)
{
    (void)name;
    (void)nlen;
    struct ged_ctx *g = ctx;
    char hid[16];
    if (device_hid(body, stop, hid) == 0 && strcmp(hid, "ACPI0013") == 0)
        ged(g->m, g->b, body, stop);
}

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Method (_Lxx or _Exx) whose body notifies a button: the GPE number. */
static void find_gpe(struct machine *m, const struct buttons *b, const uint8_t *aml, const uint8_t *end)
{
    for (const uint8_t *p = aml; p < end && !m->power_gpe_valid; p++) {
        const uint8_t *body, *e;
        if (*p != AML_METHOD_OP || !(e = package(p, end, 1, &body)))
            continue;
        size_t n;
        const uint8_t *seg = last_seg(body, e, &n);
        if (!seg || seg[0] != '_' || (seg[1] != 'L' && seg[1] != 'E') || body + n >= e)
            continue;
        int hi = hex_digit(seg[2]), lo = hex_digit(seg[3]);
        if (hi < 0 || lo < 0 || !notifies_button(b, body + n + 1, e))
            continue;
        m->power_gpe_valid = true;
        m->power_gpe = (uint8_t)(hi << 4 | lo);
        m->power_gpe_level = seg[1] == 'L';
    }
}

void acpi_aml_scan_events(struct machine *m, const uint8_t *aml, uint32_t len)
{
    const uint8_t *end = aml + len;
    struct buttons b = { .n = 0 };
    each_device(aml, end, collect_button, &b);
    if (!b.n)
        return;
    struct ged_ctx g = { m, &b };
    each_device(aml, end, match_ged, &g);
    find_gpe(m, &b, aml, end);
}
