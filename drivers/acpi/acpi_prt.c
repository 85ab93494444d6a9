/* PCI INTx routing as ACPI describes it (ACPI 6.5, 6.2.13): tell firmware
 * we use the IO-APIC (\_PIC(1)), then evaluate each PCI root bridge's _PRT,
 * and the _PRT of any PCI-to-PCI bridge beneath one (for its secondary bus;
 * devices on buses without a table of their own swizzle up, drivers/pci).
 * An entry names either a GSI directly (source 0: level, active low) or an
 * interrupt link device whose _CRS holds the interrupt it is set to, which
 * in APIC mode is a GSI. The result lands in machine->pci_routes. */
#include <stdlib.h>
#include <string.h>
#include "firmware.h"
#include "log.h"
#include "acpi_aml_eval.h"

#define EISA_PNP0A03 0x030ad041u /* PCI host bridge */
#define EISA_PNP0A08 0x080ad041u /* PCI Express root bridge */
#define MAX_PRT_ENTRIES 1024
#define MAX_BRIDGE_DEPTH 8 /* as deep as drivers/pci scans */

/* The evaluator is large (namespace and arena, a few hundred KiB) and used
 * once at boot: from the heap, given back when the routes are out. */
static struct aml_vm *vm;
static const struct fw_mem *fw;

static int region_io(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v)
{
    const struct fw_mem *mem = ctx;
    if (!mem->aml_io)
        return -1;
    return mem->aml_io(mem->ctx, space, write, addr, width, v);
}

static bool is_root_id(const struct aml_obj *o)
{
    if (o->type == AML_T_INT)
        return o->ival == EISA_PNP0A03 || o->ival == EISA_PNP0A08;
    if (o->type == AML_T_STR)
        return (o->len == 7 && (memcmp(o->bytes, "PNP0A03", 7) == 0 || memcmp(o->bytes, "PNP0A08", 7) == 0));
    return false;
}

static bool is_root_bridge(unsigned dev)
{
    static const char *const ids[] = { "_HID", "_CID" };
    for (unsigned k = 0; k < 2; k++) {
        int c = aml_vm_child(vm, dev, ids[k]);
        struct aml_obj o;
        if (c < 0 || aml_vm_eval(vm, (unsigned)c, NULL, 0, &o) < 0)
            continue;
        if (is_root_id(&o))
            return true;
        if (o.type == AML_T_PKG) {
            for (uint32_t i = 0; i < o.len; i++) {
                if (is_root_id(&o.elems[i]))
                    return true;
            }
        }
    }
    return false;
}

static int int_child(unsigned dev, const char *seg, uint64_t *v)
{
    int c = aml_vm_child(vm, dev, seg);
    struct aml_obj o;
    if (c < 0 || aml_vm_eval(vm, (unsigned)c, NULL, 0, &o) < 0 || o.type != AML_T_INT)
        return -1;
    *v = o.ival;
    return 0;
}

/* The index-th interrupt descriptor of a resource template: its first
 * interrupt and its mode. A link set to IRQ 0 (disabled) gives -1. */
static int crs_interrupt(const struct aml_obj *buf, uint64_t index, uint32_t *irq, bool *level, bool *active_low)
{
    const uint8_t *p = buf->bytes, *end = buf->bytes + buf->len;
    uint64_t n = 0;
    while (p < end) {
        if (!(p[0] & 0x80)) { /* small item */
            unsigned type = (p[0] >> 3) & 0x0f, len = p[0] & 7;
            if ((size_t)(end - p) < 1u + len || type == 0x0f)
                return -1;
            if (type == 0x04 && len >= 2 && n++ == index) { /* IRQ: mask, optional flags */
                uint16_t mask = fw_le16(p + 1);
                uint8_t flags = len >= 3 ? p[3] : 0x01; /* no flags byte: edge, active high */
                if (!mask)
                    return -1;
                *irq = (uint32_t)__builtin_ctz(mask);
                *level = !(flags & 0x01);
                *active_low = (flags & 0x08) != 0;
                return 0;
            }
            p += 1 + len;
            continue;
        }
        if (end - p < 3)
            return -1;
        uint16_t len = fw_le16(p + 1);
        if ((size_t)(end - p) < 3u + len)
            return -1;
        const uint8_t *d = p + 3;
        if (p[0] == 0x89 && len >= 6 && d[1] >= 1 && (size_t)len >= 2u + 4u * d[1] && n++ == index) {
            *irq = fw_le32(d + 2); /* Extended Interrupt */
            *level = !(d[0] & 0x02);
            *active_low = (d[0] & 0x04) != 0;
            return *irq ? 0 : -1;
        }
        p += 3 + len;
    }
    return -1;
}

static void add_route(struct machine *m, const struct machine_pci_route *r)
{
    for (unsigned i = 0; i < m->n_pci_routes; i++) {
        const struct machine_pci_route *o = &m->pci_routes[i];
        if (o->segment == r->segment && o->bus == r->bus && o->dev == r->dev && o->pin == r->pin)
            return; /* the first entry for a pin is the one that counts */
    }
    if (m->n_pci_routes == MACHINE_MAX_PCI_ROUTES) {
        m->pci_routes_dropped++;
        return;
    }
    m->pci_routes[m->n_pci_routes++] = *r;
}

/* One _PRT entry: Package { Address, Pin, Source, SourceIndex }. */
static int prt_entry(struct machine *m, unsigned bridge, uint64_t seg, uint64_t bus, const struct aml_obj *e)
{
    if (e->type != AML_T_PKG || e->len < 4)
        return -1;
    const struct aml_obj *addr = &e->elems[0], *pin = &e->elems[1], *src = &e->elems[2], *idx = &e->elems[3];
    if (addr->type != AML_T_INT || pin->type != AML_T_INT || idx->type != AML_T_INT || pin->ival > 3 ||
        (addr->ival >> 16) > 31)
        return -1;
    struct machine_pci_route r = { (uint16_t)seg, (uint8_t)bus, (uint8_t)(addr->ival >> 16), (uint8_t)pin->ival,
                                   true, true, 0 };
    if (src->type == AML_T_INT || src->type == AML_T_NONE) { /* a GSI, hard-wired */
        if (idx->ival > 0xffffffffull)
            return -1;
        r.gsi = (uint32_t)idx->ival;
        add_route(m, &r);
        return 0;
    }
    int link = aml_vm_resolve(vm, src);
    int crs = link >= 0 ? aml_vm_child(vm, (unsigned)link, "_CRS") : -1;
    struct aml_obj res;
    if (crs < 0) {
        pr_debug("acpi: _PRT of %.4s: dev %u pin %u names a link without _CRS\n", vm->nodes[bridge].name, r.dev,
                 r.pin);
        return -1;
    }
    if (aml_vm_eval(vm, (unsigned)crs, NULL, 0, &res) < 0 || res.type != AML_T_BUF) {
        pr_debug("acpi: %.4s._CRS: %s\n", vm->nodes[link].name, vm->error ? vm->error : "not a buffer");
        return -1;
    }
    if (crs_interrupt(&res, idx->ival, &r.gsi, &r.level, &r.active_low) < 0)
        return -1;
    add_route(m, &r);
    return 0;
}

/* The bus a PCI-to-PCI bridge's _PRT describes: its secondary bus. The
 * namespace path from the root bridge down gives each bridge's _ADR (device
 * and function on the bus above); the bridge's own Secondary Bus Number
 * register (0x19), as firmware numbered the buses, gives the bus below.
 * Every step is checked: a type-1 header, a bus number above its parent's.
 * 0 with *seg and *bus, or -1 (the table is then not used). */
static int bridge_bus(unsigned dev, uint64_t *seg, uint64_t *bus)
{
    unsigned path[MAX_BRIDGE_DEPTH], depth = 0, n = dev;
    while (!is_root_bridge(n)) {
        if (depth == MAX_BRIDGE_DEPTH || n == 0 || vm->nodes[n].kind != AML_N_DEVICE)
            return -1;
        path[depth++] = n;
        n = vm->nodes[n].parent;
    }
    *seg = 0;
    *bus = 0;
    int_child(n, "_SEG", seg);
    int_child(n, "_BBN", bus);
    if (*seg != 0 || *bus > 255 || !fw->aml_io)
        return -1; /* configuration space is reached for segment 0 only */
    while (depth--) {
        uint64_t adr;
        uint32_t hdr, sec;
        if (int_child(path[depth], "_ADR", &adr) < 0 || (adr >> 16) > 31 || (adr & 0xffff) > 7)
            return -1;
        uint64_t at = AML_PCI_ADDR(*bus, adr >> 16, adr & 7, 0);
        if (fw->aml_io(fw->ctx, AML_SPACE_PCI, false, at + 0x0e, 1, &hdr) < 0 || (hdr & 0x7f) != 1 ||
            fw->aml_io(fw->ctx, AML_SPACE_PCI, false, at + 0x19, 1, &sec) < 0 || sec > 255 || sec <= *bus)
            return -1;
        *bus = sec;
    }
    return 0;
}

static void bridge_routes(struct machine *m, unsigned bridge, bool root)
{
    int prt = aml_vm_child(vm, bridge, "_PRT");
    if (prt < 0)
        return;
    uint64_t seg = 0, bus = 0;
    if (root) {
        int_child(bridge, "_SEG", &seg);
        int_child(bridge, "_BBN", &bus);
    } else if (bridge_bus(bridge, &seg, &bus) < 0) {
        pr_debug("acpi: %.4s._PRT: not below a root bridge through PCI-to-PCI bridges; not used\n",
                 vm->nodes[bridge].name);
        return;
    }
    struct aml_obj t;
    if (seg > 0xffff || bus > 255)
        return;
    if (aml_vm_eval(vm, (unsigned)prt, NULL, 0, &t) < 0 || t.type != AML_T_PKG) {
        pr_warn("acpi: %.4s._PRT could not be evaluated: %s\n", vm->nodes[bridge].name,
                vm->error ? vm->error : "not a package");
        return;
    }
    /* The table stays valid while the links' _CRS run: the arena only grows. */
    unsigned ok = 0, bad = 0, n = t.len < MAX_PRT_ENTRIES ? t.len : MAX_PRT_ENTRIES;
    for (unsigned i = 0; i < n; i++) {
        if (t.elems[i].type == AML_T_NONE)
            continue;
        if (prt_entry(m, bridge, seg, bus, &t.elems[i]) == 0)
            ok++;
        else
            bad++;
    }
    pr_debug("acpi: %.4s._PRT: %u entries routed, %u not (bus %u)\n", vm->nodes[bridge].name, ok, bad,
             (unsigned)bus);
}

int acpi_pci_routes(struct machine *m, const struct fw_mem *mem, const struct acpi_aml_block *blocks, unsigned n)
{
    vm = malloc(sizeof(*vm));
    if (!vm) {
        pr_warn("acpi: no memory for the AML evaluator; PCI INTx routes from elsewhere\n");
        return -1;
    }
    fw = mem;
    aml_vm_init(vm, region_io, (void *)mem);
    unsigned loaded = 0;
    for (unsigned i = 0; i < n; i++)
        loaded += aml_vm_load(vm, blocks[i].aml, blocks[i].len, blocks[i].revision) == 0;
    if (!loaded) {
        free(vm);
        vm = NULL;
        return -1;
    }
    if (vm->load_errors)
        pr_debug("acpi: %u AML term lists only partly loaded\n", vm->load_errors);
    /* APIC mode first: firmware such as QEMU q35's and VirtualBox's picks
     * its _PRT by what _PIC was told. */
    int pic = aml_vm_find(vm, "\\_PIC");
    m->pic_mode_set = true;
    if (pic >= 0) {
        struct aml_obj one = { .type = AML_T_INT }, out;
        one.ival = 1;
        if (aml_vm_eval(vm, (unsigned)pic, &one, 1, &out) < 0) {
            /* Firmware still thinks in 8259 terms: its _PRT would give ISA
             * IRQs, not GSIs. The MP table or Interrupt Line do better. */
            pr_warn("acpi: \\_PIC(1) failed (%s); _PRT not used\n", vm->error ? vm->error : "?");
            m->pic_mode_set = false;
            free(vm);
            vm = NULL;
            return -1;
        }
    }
    unsigned before = m->n_pci_routes;
    /* Root bridges first: their entries are the ones a swizzle ends at. */
    for (unsigned pass = 0; pass < 2; pass++) {
        for (unsigned i = 1; i < vm->n_nodes; i++) {
            if (vm->nodes[i].kind == AML_N_DEVICE && aml_vm_child(vm, i, "_PRT") >= 0 &&
                is_root_bridge(i) == (pass == 0))
                bridge_routes(m, i, pass == 0);
        }
    }
    pr_debug("acpi: AML evaluator: %u nodes, %zu arena bytes, %u region reads, %u writes\n", vm->n_nodes,
             vm->arena_used, vm->io_reads, vm->io_writes);
    free(vm);
    vm = NULL;
    fw = NULL;
    if (m->n_pci_routes > before)
        m->pci_route_source = MACHINE_ROUTES_PRT;
    return m->n_pci_routes > before ? 0 : -1;
}
