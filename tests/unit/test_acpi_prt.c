/* PCI INTx routing from ACPI _PRT (drivers/acpi/acpi_prt.c and the AML
 * evaluator) against the DSDTs QEMU 7.2 built for the captured firmware
 * fixtures (tests/fixtures/firmware), checked against where QEMU's chipset
 * models wire each slot's pins:
 *  - pc (PIIX3, hw/isa/piix3.c): slot s pin p drives PIRQ (s + p - 1) & 3;
 *    SeaBIOS sets PIRQ A-D to IRQ 10, 10, 11, 11 in the PIIX3's registers
 *    0x60-0x63 (which the link devices' _CRS read through PCI_Config), and
 *    the PIIX4 PM function's INTA (00:01.3's slot, pin A) is the SCI, 9.
 *  - q35 (ICH9, hw/isa/lpc_ich9.c): PIRQ A-H are GSI 16-23; functions in
 *    slots 25-29 and 31 use PIRQ A-D for INTA-D, slots 24 and 30 PIRQ E-H,
 *    the others PIRQ E-H rotated by slot.
 *  - microvm,pcie=on (GPEX): (slot + pin) % 4 onto GSI 16-19.
 *  - Xen HVM (hvmloader's DSDTs, from Debian's xen-utils at build time):
 *    GSI 16 + ((4 slot + slot / 8 + pin) mod 32).
 * And _PRTs of PCI-to-PCI bridges (tests/fixtures/aml/bridge_prt.asl).
 * Plus hostile AML: loops that never end, recursion, writes to regions,
 * truncations; all must fail cleanly without routes. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "firmware.h"
#include "fw_image.h"
#include "../../drivers/acpi/acpi_aml_eval.h"

#define FIX "tests/fixtures/firmware/"

static struct fw_image img;
static struct machine m;
static struct aml_vm vm;

/* PCI configuration space as SeaBIOS leaves it, for the registers the
 * DSDTs may read; everything else is refused, so a read we did not expect
 * makes routing fail visibly. */
static unsigned piix_reads, other_reads, writes;
static uint8_t pirq_regs[4] = { 10, 10, 11, 11 };

static int model_io(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v)
{
    (void)ctx;
    if (!write && space == AML_SPACE_PCI && width == 1 && addr >= AML_PCI_ADDR(0, 1, 0, 0x60) &&
        addr < AML_PCI_ADDR(0, 1, 0, 0x64)) {
        piix_reads++;
        *v = pirq_regs[addr - AML_PCI_ADDR(0, 1, 0, 0x60)];
        return 0;
    }
    if (write)
        writes++;
    else
        other_reads++;
    return -1;
}

static int probe(const char *name, bool with_io)
{
    fw_image_free(&img);
    memset(&m, 0, sizeof(m));
    piix_reads = other_reads = writes = 0;
    if (fw_image_load(&img, name) < 0) {
        fprintf(stderr, "cannot load %s\n", name);
        check_failed++;
        return -1;
    }
    struct fw_mem mem = fw_image_mem(&img);
    if (with_io)
        mem.aml_io = model_io;
    int r = acpi_probe(&m, &mem, 0);
    if (r == 0)
        acpi_probe_pci_routes(&m, &mem);
    return r;
}

static const struct machine_pci_route *route(unsigned dev, unsigned pin)
{
    for (unsigned i = 0; i < m.n_pci_routes; i++) {
        if (m.pci_routes[i].bus == 0 && m.pci_routes[i].dev == dev && m.pci_routes[i].pin == pin)
            return &m.pci_routes[i];
    }
    return NULL;
}

static void test_pc(void)
{
    if (probe(FIX "pc-smp1.bin", true) < 0)
        return;
    CHECK(m.pic_mode_set);
    CHECK_EQ(m.pci_route_source, MACHINE_ROUTES_PRT);
    CHECK_EQ(m.n_pci_routes, 128);
    CHECK_EQ(other_reads + writes, 0);
    CHECK(piix_reads > 0);
    unsigned wrong = 0;
    for (unsigned s = 0; s < 32; s++) {
        for (unsigned p = 0; p < 4; p++) {
            const struct machine_pci_route *r = route(s, p);
            unsigned want = s == 1 && p == 0 ? 9 : pirq_regs[(s + p - 1) & 3];
            if (!r || r->gsi != want || !r->level || r->active_low) {
                if (wrong++ < 4)
                    fprintf(stderr, "pc slot %u pin %u: %s gsi %u, want %u\n", s, p, r ? "" : "no route",
                            r ? r->gsi : 0, want);
            }
        }
    }
    CHECK_EQ(wrong, 0);
    /* Other PIRQ settings flow through: the links are read, not assumed. */
    pirq_regs[0] = 5;
    pirq_regs[3] = 0x80; /* PIRQD disabled: its slots get no route */
    if (probe(FIX "pc-smp4.bin", true) < 0)
        return;
    CHECK_EQ(route(3, 2)->gsi, 5); /* (3 + 2 - 1) & 3 = PIRQA */
    CHECK(route(3, 1) == NULL);     /* PIRQD */
    CHECK_EQ(route(1, 0)->gsi, 9);
    pirq_regs[0] = 10;
    pirq_regs[3] = 11;
    /* Without configuration space reads only the fixed SCI link routes. */
    if (probe(FIX "pc-smp1.bin", false) < 0)
        return;
    CHECK_EQ(m.n_pci_routes, 1);
    CHECK(route(1, 0) && route(1, 0)->gsi == 9);
}

/* SeaBIOS's MP table on pc lists an interrupt entry per PCI device it
 * found, to the IO-APIC pin of its Interrupt Line; each must agree with the
 * PIIX3 wiring the _PRT test checks. */
static void test_pc_mptable(void)
{
    fw_image_free(&img);
    memset(&m, 0, sizeof(m));
    if (fw_image_load(&img, FIX "pc-smp4.bin") < 0) {
        check_failed++;
        return;
    }
    struct fw_mem mem = fw_image_mem(&img);
    CHECK_EQ(mptable_probe(&m, &mem), 0);
    CHECK_EQ(m.pci_route_source, MACHINE_ROUTES_MPTABLE);
    /* The fixture has no PCI devices but the chipset's: the PIIX4 PM
     * function 00:01.3 (INTA, the SCI, IO-APIC pin 9) is the one entry
     * (source IRQ 0x04: device 1, pin 0). */
    CHECK_EQ(m.n_pci_routes, 1);
    const struct machine_pci_route *pm = route(1, 0);
    /* SeaBIOS marks it active high (polarity 01) and leaves the trigger
     * conforming, which for a PCI bus means level. */
    CHECK(pm && pm->gsi == 9 && pm->level && !pm->active_low);
    unsigned wrong = 0;
    for (unsigned i = 0; i < m.n_pci_routes; i++) {
        const struct machine_pci_route *r = &m.pci_routes[i];
        unsigned want = r->dev == 1 && r->pin == 0 ? 9 : pirq_regs[(r->dev + r->pin - 1) & 3];
        if (r->bus != 0 || r->gsi != want || !r->level) {
            if (wrong++ < 4)
                fprintf(stderr, "mptable %u:%u pin %u: gsi %u, want %u\n", r->bus, r->dev, r->pin, r->gsi, want);
        }
    }
    CHECK_EQ(wrong, 0);
}

static void test_q35(void)
{
    static const char *const fixtures[] = { FIX "q35-smp2.bin", FIX "q35-smp4.bin", FIX "q35-pvpanic.bin" };
    for (unsigned f = 0; f < 3; f++) {
        if (probe(fixtures[f], true) < 0)
            return;
        CHECK(m.pic_mode_set);
        CHECK_EQ(m.pci_route_source, MACHINE_ROUTES_PRT);
        CHECK_EQ(m.n_pci_routes, 128);
        CHECK_EQ(piix_reads + other_reads + writes, 0); /* APIC mode needs no I/O at all */
        unsigned wrong = 0;
        for (unsigned s = 0; s < 32; s++) {
            for (unsigned p = 0; p < 4; p++) {
                const struct machine_pci_route *r = route(s, p);
                unsigned pirq = (s >= 25 && s <= 29) || s == 31 ? p : s == 24 || s == 30 ? 4 + p : 4 + ((s + p) & 3);
                if (!r || r->gsi != 16 + pirq || !r->level || r->active_low) {
                    if (wrong++ < 4)
                        fprintf(stderr, "q35 slot %u pin %u: gsi %u, want %u\n", s, p, r ? r->gsi : 0, 16 + pirq);
                }
            }
        }
        CHECK_EQ(wrong, 0);
    }
}

/* q35's other branch: without \_PIC(1) its _PRT returns the PIC table,
 * whose LNKA-H links read the ICH9 LPC's PIRQ registers (00:1f.0 0x60-0x63,
 * 0x68-0x6b, as SeaBIOS set them) through PCI_Config; after \_PIC(1) the
 * same method returns the GSI table. */
static uint8_t lpc_pirq[12] = { 10, 10, 11, 11, 0x80, 0x80, 0x80, 0x80, 5, 9, 10, 11 };
static unsigned lpc_reads;

static int lpc_io(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v)
{
    (void)ctx;
    if (!write && space == AML_SPACE_PCI && width == 1 && addr >= AML_PCI_ADDR(0, 31, 0, 0x60) &&
        addr < AML_PCI_ADDR(0, 31, 0, 0x6c)) {
        lpc_reads++;
        *v = lpc_pirq[addr - AML_PCI_ADDR(0, 31, 0, 0x60)];
        return 0;
    }
    return -1;
}

static void test_q35_pic_mode(void)
{
    if (probe(FIX "q35-smp2.bin", false) < 0)
        return;
    uint64_t at = fw_image_find(&img, "DSDT", 0x100000, 0x100000000ull);
    struct fw_mem mem = fw_image_mem(&img);
    const uint8_t *hdr = at ? mem.map(mem.ctx, at, 36) : NULL;
    const uint8_t *t = hdr ? mem.map(mem.ctx, at, fw_le32(hdr + 4)) : NULL;
    CHECK(t != NULL);
    if (!t)
        return;
    aml_vm_init(&vm, lpc_io, NULL);
    CHECK_EQ(aml_vm_load(&vm, t + 36, fw_le32(hdr + 4) - 36, t[8]), 0);
    int prt = aml_vm_find(&vm, "\\_SB_.PCI0._PRT");
    CHECK(prt >= 0);
    if (prt < 0)
        return;
    struct aml_obj tab, e, res;
    CHECK_EQ(aml_vm_eval(&vm, (unsigned)prt, NULL, 0, &tab), 0);
    CHECK(tab.type == AML_T_PKG && tab.len == 128);
    if (tab.type != AML_T_PKG || tab.len != 128)
        return;
    /* Slot 3 pin 1: PIRQ E + ((3 + 1) & 3) = LNKE, register 0x68: disabled
     * (0x80), which IQCR reports as IRQ 0; slot 31 pin 2: LNKC = 11. */
    unsigned wrong = 0;
    for (unsigned i = 0; i < tab.len; i++) {
        e = tab.elems[i];
        if (e.type != AML_T_PKG || e.len != 4 || e.elems[2].type != AML_T_NAME) {
            wrong++;
            continue;
        }
        unsigned slot = (unsigned)(e.elems[0].ival >> 16), pin = (unsigned)e.elems[1].ival;
        int link = aml_vm_resolve(&vm, &e.elems[2]);
        unsigned pirq = (slot >= 25 && slot <= 29) || slot == 31 ? pin : slot == 24 || slot == 30 ? 4 + pin
                        : 4 + ((slot + pin) & 3);
        char want[5] = { 'L', 'N', 'K', (char)('A' + pirq), 0 };
        if (link < 0 || memcmp(vm.nodes[link].name, want, 4) != 0) {
            wrong++;
            continue;
        }
        int crs = aml_vm_child(&vm, (unsigned)link, "_CRS");
        if (crs < 0 || aml_vm_eval(&vm, (unsigned)crs, NULL, 0, &res) < 0 || res.type != AML_T_BUF || res.len < 9) {
            wrong++;
            continue;
        }
        /* Extended Interrupt: 0x89, length, flags, count, then the IRQ. */
        uint32_t irq = fw_le32(res.bytes + 5);
        uint32_t reg = pirq < 4 ? lpc_pirq[pirq] : lpc_pirq[8 + (pirq - 4)];
        if (irq != (reg & 0x80 ? 0 : reg & 0x0f))
            wrong++;
    }
    CHECK_EQ(wrong, 0);
    CHECK(lpc_reads >= 128);
    int pic = aml_vm_find(&vm, "\\_PIC");
    struct aml_obj one = { .type = AML_T_INT }, out;
    one.ival = 1;
    CHECK(pic >= 0 && aml_vm_eval(&vm, (unsigned)pic, &one, 1, &out) == 0);
    CHECK_EQ(aml_vm_eval(&vm, (unsigned)prt, NULL, 0, &tab), 0);
    CHECK(tab.type == AML_T_PKG && tab.len == 128 && tab.elems[0].type == AML_T_PKG &&
          tab.elems[0].elems[2].type == AML_T_NAME && memcmp(tab.elems[0].elems[2].name.aml, "GSI", 3) == 0);
}

/* microvm with pcie=on: QEMU's generic PCIe host (hw/pci-host/gpex.c)
 * swizzles slot s pin p onto its four IRQs as (s + p) % 4, which microvm
 * wires to GSI 16-19; the DSDT's _PRT names GSIx link devices with fixed
 * _CRS (string _HID PNP0A08 on the bridge). */
static void test_microvm_pcie(void)
{
    CHECK_EQ(probe(FIX "microvm-pcie.bin", true), 0);
    CHECK_EQ(m.pci_route_source, MACHINE_ROUTES_PRT);
    CHECK_EQ(m.n_pci_routes, 128);
    CHECK_EQ(piix_reads + other_reads + writes, 0);
    unsigned wrong = 0;
    for (unsigned s = 0; s < 32; s++) {
        for (unsigned p = 0; p < 4; p++) {
            const struct machine_pci_route *r = route(s, p);
            if (!r || r->gsi != 16 + ((s + p) & 3) || !r->level || r->active_low)
                wrong++;
        }
    }
    CHECK_EQ(wrong, 0);
}

static void test_microvm(void)
{
    /* No PCI, no _PRT: nothing routed, nothing read, ACPI still fine. */
    CHECK_EQ(probe(FIX "microvm-smp4.bin", true), 0);
    CHECK_EQ(m.n_pci_routes, 0);
    CHECK_EQ(m.pci_route_source, MACHINE_ROUTES_NONE);
    CHECK_EQ(piix_reads + other_reads + writes, 0);
    CHECK(m.n_mmio > 0);
}

/* ---- PCI-to-PCI bridges with a _PRT of their own ---------------------------
 * tests/fixtures/aml/bridge_prt.asl, against a configuration space where
 * 00:05.0 bridges to bus 1, 01:00.0 to bus 2, 01:03.0 is an endpoint and
 * 00:06.1 claims secondary bus 0. */
static unsigned cfg_reads;
static bool refuse_cfg;

static int bridge_io(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v)
{
    (void)ctx;
    static const struct { uint64_t at; uint8_t hdr, sec; } fns[] = {
        { AML_PCI_ADDR(0, 5, 0, 0), 0x01, 1 },
        { AML_PCI_ADDR(1, 0, 0, 0), 0x81, 2 },
        { AML_PCI_ADDR(1, 3, 0, 0), 0x00, 0 },
        { AML_PCI_ADDR(0, 6, 1, 0), 0x01, 0 },
    };
    if (write || space != AML_SPACE_PCI || width != 1 || refuse_cfg)
        return -1;
    for (unsigned i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
        if (addr == fns[i].at + 0x0e || addr == fns[i].at + 0x19) {
            cfg_reads++;
            *v = addr == fns[i].at + 0x0e ? fns[i].hdr : fns[i].sec;
            return 0;
        }
    }
    return -1;
}

static const struct machine_pci_route *route_on(unsigned bus, unsigned dev, unsigned pin)
{
    for (unsigned i = 0; i < m.n_pci_routes; i++) {
        const struct machine_pci_route *r = &m.pci_routes[i];
        if (r->bus == bus && r->dev == dev && r->pin == pin)
            return r;
    }
    return NULL;
}

static void test_bridge_prt(void)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char path[256];
    snprintf(path, sizeof(path), "%s/aml/bridge_prt.aml", build);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static uint8_t table[4096];
    size_t n = fread(table, 1, sizeof(table), f);
    fclose(f);
    CHECK(n > 36 && n < sizeof(table));
    if (n <= 36)
        return;
    for (unsigned refused = 0; refused < 2; refused++) {
        memset(&m, 0, sizeof(m));
        cfg_reads = 0;
        refuse_cfg = refused;
        struct fw_mem mem = { .aml_io = bridge_io };
        uint8_t *copy = malloc(n - 36);
        memcpy(copy, table + 36, n - 36);
        struct acpi_aml_block b = { copy, (uint32_t)(n - 36), table[8] };
        CHECK_EQ(acpi_pci_routes(&m, &mem, &b, 1), 0);
        free(copy);
        /* The root's four entries always. */
        CHECK(route_on(0, 5, 0) && route_on(0, 5, 0)->gsi == 21 && route_on(0, 5, 3)->gsi == 20);
        if (refused) { /* no secondary bus known: no bridge's table used */
            CHECK_EQ(m.n_pci_routes, 4);
            continue;
        }
        CHECK_EQ(m.n_pci_routes, 4 + 4 + 1);
        const struct machine_pci_route *r = route_on(1, 0, 0);
        CHECK(r && r->gsi == 40 && r->level && r->active_low);
        CHECK(route_on(1, 0, 1) && route_on(1, 0, 1)->gsi == 41);
        r = route_on(1, 0, 2); /* through the link's Interrupt descriptor */
        CHECK(r && r->gsi == 42 && r->level && r->active_low);
        CHECK(route_on(1, 0, 3) && route_on(1, 0, 3)->gsi == 43);
        CHECK(route_on(2, 2, 0) && route_on(2, 2, 0)->gsi == 50); /* 01:00.0's bus 2, two bridges down */
        /* Not used: the endpoint's (60), the bogus bus's (61), the orphan's (62). */
        unsigned stray = 0;
        for (unsigned i = 0; i < m.n_pci_routes; i++)
            stray += m.pci_routes[i].gsi >= 60;
        CHECK_EQ(stray, 0);
        CHECK(cfg_reads >= 5);
    }
    refuse_cfg = false;
}

/* ---- Xen HVM guests: the DSDTs hvmloader builds in ------------------------
 * tests/unit/xen_dsdt.py cuts them out of Debian's hvmloader (one for each
 * device model: qemu-xen, qemu-traditional, the 15-CPU variant) into
 * $BUILD/xen-hvmloader/xen_dsdt_N.aml. Xen wires PCI INTx itself, in its
 * virtual IO-APIC and PCI-ISA link model (xen/arch/x86/include/asm/hvm/irq.h,
 * hvm_pci_intx_gsi and hvm_pci_intx_link): device d pin p is GSI
 * 16 + ((4d + d/8 + p) mod 32), and in 8259 mode link (d + p) mod 4, whose
 * ISA IRQ the PIIX3 at 00:01.0 holds in 0x60-0x63 (hvmloader sets them). */
static uint8_t *xen_dsdt(unsigned i, uint32_t *len)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char path[256];
    snprintf(path, sizeof(path), "%s/xen-hvmloader/xen_dsdt_%u.aml", build, i);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *t = malloc(1u << 20);
    size_t n = fread(t, 1, 1u << 20, f);
    fclose(f);
    if (n < 36 || n != fw_le32(t + 4)) {
        free(t);
        return NULL;
    }
    *len = (uint32_t)n;
    return t;
}

static unsigned xen_gsi(unsigned d, unsigned p)
{
    return 16 + ((d * 4 + d / 8 + p) & 31);
}

static void test_xen_hvm(void)
{
    unsigned tables = 0;
    uint32_t len;
    uint8_t *t;
    while ((t = xen_dsdt(tables, &len)) != NULL) {
        tables++;
        uint8_t sum = 0;
        for (uint32_t i = 0; i < len; i++)
            sum = (uint8_t)(sum + t[i]);
        CHECK(memcmp(t, "DSDT", 4) == 0 && sum == 0 && memcmp(t + 10, "Xen", 3) == 0);
        /* APIC mode: the whole table, every device 1-31 and pin. */
        memset(&m, 0, sizeof(m));
        piix_reads = other_reads = writes = 0;
        struct fw_mem mem = { .aml_io = model_io };
        struct acpi_aml_block b = { t + 36, len - 36, t[8] };
        CHECK_EQ(acpi_pci_routes(&m, &mem, &b, 1), 0);
        CHECK(m.pic_mode_set);
        CHECK_EQ(m.pci_route_source, MACHINE_ROUTES_PRT);
        CHECK_EQ(m.n_pci_routes, 31 * 4);
        CHECK_EQ(piix_reads + other_reads + writes, 0);
        unsigned wrong = 0;
        for (unsigned d = 1; d < 32; d++) {
            for (unsigned p = 0; p < 4; p++) {
                const struct machine_pci_route *r = route(d, p);
                if (!r || r->gsi != xen_gsi(d, p) || !r->level || !r->active_low) {
                    if (wrong++ < 4)
                        fprintf(stderr, "xen dsdt %u dev %u pin %u: gsi %u, want %u\n", tables - 1, d, p,
                                r ? r->gsi : 0, xen_gsi(d, p));
                }
            }
        }
        CHECK_EQ(wrong, 0);
        /* A few by hand, so the formula above is not only checked against itself:
         * 00:03 INTA = 28, 00:08 INTA wraps to 17, 00:1f INTD = 16 + (124+3+3)%32. */
        CHECK(route(3, 0) && route(3, 0)->gsi == 28);
        CHECK(route(8, 0) && route(8, 0)->gsi == 17);
        CHECK(route(31, 3) && route(31, 3)->gsi == 18);
        CHECK(route(0, 0) == NULL); /* the host bridge has no entry */

        /* 8259 mode (no _PIC call): the link table; each LNKx._CRS reads
         * its PIIX3 register. */
        aml_vm_init(&vm, model_io, NULL);
        CHECK_EQ(aml_vm_load(&vm, t + 36, len - 36, t[8]), 0);
        int prt = aml_vm_find(&vm, "\\_SB_.PCI0._PRT");
        struct aml_obj tab, e, res;
        CHECK(prt >= 0 && aml_vm_eval(&vm, (unsigned)prt, NULL, 0, &tab) == 0 && tab.type == AML_T_PKG &&
              tab.len == 124);
        wrong = 0;
        piix_reads = 0;
        for (unsigned i = 0; prt >= 0 && tab.type == AML_T_PKG && i < tab.len; i++) {
            e = tab.elems[i];
            if (e.type != AML_T_PKG || e.len != 4 || e.elems[2].type != AML_T_NAME) {
                wrong++;
                continue;
            }
            unsigned d = (unsigned)(e.elems[0].ival >> 16), p = (unsigned)e.elems[1].ival;
            int link = aml_vm_resolve(&vm, &e.elems[2]);
            char want[5] = { 'L', 'N', 'K', (char)('A' + ((d + p) & 3)), 0 };
            int crs = link >= 0 ? aml_vm_child(&vm, (unsigned)link, "_CRS") : -1;
            if (link < 0 || memcmp(vm.nodes[link].name, want, 4) != 0 || crs < 0 ||
                aml_vm_eval(&vm, (unsigned)crs, NULL, 0, &res) < 0 || res.type != AML_T_BUF || res.len < 3) {
                wrong++;
                continue;
            }
            /* IRQ descriptor: 0x22/0x23, then the mask of the one IRQ. */
            if ((res.bytes[0] & 0xf8) != 0x20 || fw_le16(res.bytes + 1) != 1u << pirq_regs[(d + p) & 3])
                wrong++;
        }
        CHECK_EQ(wrong, 0);
        CHECK(piix_reads >= 124);
        free(t);
    }
    /* The fixture rule makes at least one; hvmloader of 4.17 holds three. */
    CHECK(tables >= 1);
    printf("test_acpi_prt: %u Xen HVM DSDTs\n", tables);
}

/* ---- The evaluator on hand-written AML --------------------------------- */

static int run(const uint8_t *aml, size_t len, const char *path, struct aml_obj *out)
{
    aml_vm_init(&vm, model_io, NULL);
    if (aml_vm_load(&vm, aml, (uint32_t)len, 2) < 0)
        return -1000;
    int n = aml_vm_find(&vm, path);
    if (n < 0)
        return -1001;
    return aml_vm_eval(&vm, (unsigned)n, NULL, 0, out);
}

static void test_eval_basics(void)
{
    struct aml_obj o;
    /* Method(TST0) { Local0 = 0; Local1 = 0
     *   While (Local0 < 10) { Local1 += Local0 << 1; Local0++ }
     *   Return (Local1) }  = 2 * 45 */
    static const uint8_t loop[] = {
        0x14, 0x1d, 'T', 'S', 'T', '0', 0x00,
        0x70, 0x00, 0x60,                   /* Store(Zero, Local0) */
        0x70, 0x00, 0x61,                   /* Store(Zero, Local1) */
        0xa2, 0x0e, 0x95, 0x60, 0x0a, 0x0a, /* While(LLess(Local0, 10)) */
        0x72, 0x61, 0x79, 0x60, 0x01, 0x00, 0x61, /* Add(Local1, ShiftLeft(Local0, 1), Local1) */
        0x75, 0x60,                         /* Increment(Local0) */
        0xa4, 0x61,                         /* Return(Local1) */
    };
    CHECK_EQ(run(loop, sizeof(loop), "\\TST0", &o), 0);
    CHECK(o.type == AML_T_INT && o.ival == 90);

    /* Method(TST1) { While (One) { } }: the budget ends it. */
    static const uint8_t forever[] = { 0x14, 0x09, 'T', 'S', 'T', '1', 0x00, 0xa2, 0x02, 0x01 };
    CHECK(run(forever, sizeof(forever), "\\TST1", &o) < 0);
    CHECK(vm.error && strstr(vm.error, "budget"));

    /* Method(TST2) { Return (TST2()) }: the call depth ends it. */
    static const uint8_t recurse[] = { 0x14, 0x0b, 'T', 'S', 'T', '2', 0x00, 0xa4, 'T', 'S', 'T', '2' };
    CHECK(run(recurse, sizeof(recurse), "\\TST2", &o) < 0);
    CHECK(vm.error && strstr(vm.error, "deep"));

    /* OperationRegion(R0, SystemIO, 0x80, 1); Field(R0, ByteAcc) { F0, 8 }
     * Method(TST3) { Return(F0) } and Method(TST4) { F0 = 1 }: each access
     * goes to the io callback, and a refusal fails the evaluation. */
    static const uint8_t region[] = {
        0x5b, 0x80, 'R', '0', '_', '_', 0x01, 0x0a, 0x80, 0x01,
        0x5b, 0x81, 0x0b, 'R', '0', '_', '_', 0x01, 'F', '0', '_', '_', 0x08,
        0x14, 0x0b, 'T', 'S', 'T', '3', 0x00, 0xa4, 'F', '0', '_', '_',
        0x14, 0x0c, 'T', 'S', 'T', '4', 0x00, 0x70, 0x01, 'F', '0', '_', '_',
    };
    other_reads = writes = 0;
    CHECK(run(region, sizeof(region), "\\TST3", &o) < 0);
    CHECK_EQ(other_reads, 1); /* asked for, and the model refused */
    CHECK(run(region, sizeof(region), "\\TST4", &o) < 0);
    CHECK(vm.error && strstr(vm.error, "refused"));
    CHECK_EQ(writes, 1);

    /* Name(PKG0, Package(2) { 0x12345678, Package(1) { LNKA } })
     * Method(TST5) { Return (DerefOf(Index(PKG0, 0))) } */
    static const uint8_t pkg[] = {
        0x08, 'P', 'K', 'G', '0', 0x12, 0x0e, 0x02, 0x0c, 0x78, 0x56, 0x34, 0x12,
        0x12, 0x06, 0x01, 'L', 'N', 'K', 'A',
        0x14, 0x0f, 'T', 'S', 'T', '5', 0x00, 0xa4, 0x83, 0x88, 'P', 'K', 'G', '0', 0x00, 0x00,
    };
    CHECK_EQ(run(pkg, sizeof(pkg), "\\TST5", &o), 0);
    CHECK(o.type == AML_T_INT && o.ival == 0x12345678);
    CHECK_EQ(run(pkg, sizeof(pkg), "\\PKG0", &o), 0);
    CHECK(o.type == AML_T_PKG && o.len == 2 && o.elems[1].type == AML_T_PKG && o.elems[1].elems[0].type == AML_T_NAME);
    CHECK_EQ(aml_vm_resolve(&vm, &o.elems[1].elems[0]), -1); /* LNKA is not defined */

    /* Name(X, One), then a Field unit also called X (found by the fuzzer:
     * the field's bounds overwrote the Name's value). The Name stays. */
    static const uint8_t redefined[] = {
        0x08, 'X', '_', '_', '_', 0x01,
        0x5b, 0x80, 'R', '_', '_', '_', 0x01, 0x00, 0x01,
        0x5b, 0x81, 0x0b, 'R', '_', '_', '_', 0x01, 'X', '_', '_', '_', 0x08,
        0x14, 0x0b, 'T', '_', '_', '_', 0x00, 0xa4, 'X', '_', '_', '_',
    };
    CHECK_EQ(run(redefined, sizeof(redefined), "\\T___", &o), 0);
    CHECK(o.type == AML_T_INT && o.ival == 1);

    /* A SystemIO region whose offset is a SystemMemory field (as Xen's
     * DSDT places regions by its info page): it loads, the names after it
     * too, and using it fails without any access.
     * OperationRegion(MR, SystemMemory, 0x1000, 4) Field(MR, DWordAcc) { MO, 32 }
     * OperationRegion(R2, SystemIO, MO, 1) Field(R2, ByteAcc) { F2, 8 }
     * Name(AFTR, 7) Method(TST6) { Return(F2) } */
    static const uint8_t sized[] = {
        0x5b, 0x80, 'M', 'R', '_', '_', 0x00, 0x0b, 0x00, 0x10, 0x0a, 0x04,
        0x5b, 0x81, 0x0b, 'M', 'R', '_', '_', 0x03, 'M', 'O', '_', '_', 0x20,
        0x5b, 0x80, 'R', '2', '_', '_', 0x01, 'M', 'O', '_', '_', 0x01,
        0x5b, 0x81, 0x0b, 'R', '2', '_', '_', 0x01, 'F', '2', '_', '_', 0x08,
        0x08, 'A', 'F', 'T', 'R', 0x0a, 0x07,
        0x14, 0x0b, 'T', 'S', 'T', '6', 0x00, 0xa4, 'F', '2', '_', '_',
    };
    other_reads = writes = 0;
    CHECK_EQ(run(sized, sizeof(sized), "\\AFTR", &o), 0);
    CHECK(o.type == AML_T_INT && o.ival == 7 && vm.load_errors == 0);
    CHECK(run(sized, sizeof(sized), "\\TST6", &o) < 0);
    CHECK_EQ(other_reads + writes, 0);

    /* Buffer fields at namespace level (Xen's link devices): one over a
     * named buffer, written by a method and seen in the buffer; one past
     * the buffer's end fails and ends the term list.
     * Name(BUF0, Buffer(2) {}) CreateWordField(BUF0, 0, WRD0)
     * Method(TST7) { WRD0 = 0x1234; Return(BUF0) }
     * CreateWordField(BUF0, 1, BAD0) Name(LOST, One) */
    static const uint8_t fields[] = {
        0x08, 'B', 'U', 'F', '0', 0x11, 0x05, 0x0a, 0x02, 0x00, 0x00,
        0x8b, 'B', 'U', 'F', '0', 0x00, 'W', 'R', 'D', '0',
        0x14, 0x13, 'T', 'S', 'T', '7', 0x00, 0x70, 0x0b, 0x34, 0x12, 'W', 'R', 'D', '0', 0xa4, 'B', 'U', 'F', '0',
        0x8b, 'B', 'U', 'F', '0', 0x01, 'B', 'A', 'D', '0',
        0x08, 'L', 'O', 'S', 'T', 0x01,
    };
    CHECK_EQ(run(fields, sizeof(fields), "\\TST7", &o), 0);
    CHECK(o.type == AML_T_BUF && o.len == 2 && o.bytes[0] == 0x34 && o.bytes[1] == 0x12);
    CHECK_EQ(vm.load_errors, 1);
    CHECK_EQ(run(fields, sizeof(fields), "\\LOST", &o), -1001);
    CHECK_EQ(run(fields, sizeof(fields), "\\BAD0", &o), -1001);
}

/* tests/fixtures/aml/vbox_style.asl: VirtualBox's way of routing, in our
 * own DSDT. The model is its chipset: an index/data configuration port pair
 * at 0x4048, a debug port at 0x3000, the southbridge at 00:1f.0. */
static uint32_t cfg_index, cfg_apic;
static char debug_text[64];
static unsigned debug_len, sig_writes;
static bool refuse_debug;
static uint8_t sb_config[256];

static int vbox_io(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v)
{
    (void)ctx;
    if (space == AML_SPACE_IO && write && addr == 0x3001 && width == 1 && !refuse_debug) {
        if (debug_len < sizeof(debug_text) - 1)
            debug_text[debug_len++] = (char)*v;
        return 0;
    }
    if (space == AML_SPACE_IO && addr == 0x4048 && width == 4 && write) {
        cfg_index = *v;
        return 0;
    }
    if (space == AML_SPACE_IO && addr == 0x404c && width == 4 && !write) {
        *v = cfg_index == 0 ? 0x100 : cfg_index == 4 ? cfg_apic : cfg_index == 8 ? 0x001f0000 : 0;
        return 0;
    }
    if (space == AML_SPACE_PCI && addr >= AML_PCI_ADDR(0, 31, 0, 0) && addr < AML_PCI_ADDR(0, 31, 0, 0x100) &&
        width == 1) {
        unsigned off = (unsigned)(addr - AML_PCI_ADDR(0, 31, 0, 0));
        if (write) {
            sb_config[off] = (uint8_t)*v;
            sig_writes++;
        } else {
            *v = sb_config[off];
        }
        return 0;
    }
    other_reads++;
    return -1;
}

static void test_vbox_style(void)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char path[256];
    snprintf(path, sizeof(path), "%s/aml/vbox_style.aml", build);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static uint8_t table[4096];
    size_t n = fread(table, 1, sizeof(table), f);
    fclose(f);
    CHECK(n > 36 && n < sizeof(table));
    if (n <= 36)
        return;
    for (unsigned apic = 0; apic < 2; apic++) {
        memset(&m, 0, sizeof(m));
        memset(sb_config, 0, sizeof(sb_config));
        debug_len = sig_writes = other_reads = 0;
        cfg_apic = apic;
        struct fw_mem mem = { .aml_io = vbox_io };
        uint8_t *copy = malloc(n - 36);
        memcpy(copy, table + 36, n - 36);
        struct acpi_aml_block b = { copy, (uint32_t)(n - 36), table[8] };
        CHECK_EQ(acpi_pci_routes(&m, &mem, &b, 1), 0);
        free(copy);
        CHECK(m.pic_mode_set);
        debug_text[debug_len] = 0;
        CHECK(strcmp(debug_text, "mode ") == 0);
        CHECK_EQ(other_reads, 0);
        if (apic) { /* an _ADR that needs itself ends by the call depth */
            aml_vm_init(&vm, vbox_io, NULL);
            CHECK_EQ(aml_vm_load(&vm, table + 36, (uint32_t)(n - 36), table[8]), 0);
            int adr = aml_vm_find(&vm, "\\_SB_.PCI1.LOOP._ADR");
            struct aml_obj o;
            CHECK(adr >= 0 && aml_vm_eval(&vm, (unsigned)adr, NULL, 0, &o) < 0);
            CHECK(vm.error && strstr(vm.error, "deep"));
        }
        if (apic) { /* the GSI table, after the signature was written */
            CHECK_EQ(m.n_pci_routes, 4);
            CHECK(sb_config[0xde] == 0xbe && sb_config[0xad] == 0xef);
            CHECK_EQ(sig_writes, 2);
            const struct machine_pci_route *r = route(31, 2);
            CHECK(route(2, 0) && route(2, 0)->gsi == 0x11 && route(3, 1) && route(3, 1)->gsi == 0x13);
            CHECK(r && r->gsi == 0x17 && r->level && r->active_low);
        } else { /* no IO-APIC: the link table, no signature */
            CHECK_EQ(m.n_pci_routes, 3);
            CHECK_EQ(sig_writes, 0);
            const struct machine_pci_route *r = route(3, 0);
            CHECK(route(2, 0) && route(2, 0)->gsi == 9 && route(3, 1) && route(3, 1)->gsi == 11);
            CHECK(r && r->gsi == 10 && r->level && r->active_low);
        }
    }
    /* _PIC(1) fails (its debug output refused): the table would be in
     * 8259 terms, so _PRT is not used at all. */
    refuse_debug = true;
    memset(&m, 0, sizeof(m));
    struct fw_mem mem = { .aml_io = vbox_io };
    uint8_t *copy = malloc(n - 36);
    memcpy(copy, table + 36, n - 36);
    struct acpi_aml_block b = { copy, (uint32_t)(n - 36), table[8] };
    CHECK(acpi_pci_routes(&m, &mem, &b, 1) < 0);
    CHECK(!m.pic_mode_set);
    CHECK_EQ(m.n_pci_routes, 0);
    free(copy);
    refuse_debug = false;
}

/* Method(DEEP) with depth nested Ifs around Return(One), or (expr) a
 * Return of depth nested Adds; 2-byte PkgLengths throughout. */
static size_t deep_method(uint8_t *out, unsigned depth, bool expr)
{
    static uint8_t a[8192], b[8192];
    size_t n = 0;
    if (expr) {
        a[n++] = 0x01;
        for (unsigned i = 0; i < depth; i++) {
            b[0] = 0x72;
            memcpy(b + 1, a, n);
            b[n + 1] = 0x01;
            b[n + 2] = 0x00;
            n += 3;
            memcpy(a, b, n);
        }
        memmove(a + 1, a, n);
        a[0] = 0xa4;
        n++;
    } else {
        a[n++] = 0xa4;
        a[n++] = 0x01;
        for (unsigned i = 0; i < depth; i++) {
            size_t len = 2 + 1 + n;
            b[0] = 0xa0;
            b[1] = (uint8_t)(0x40 | (len & 0x0f));
            b[2] = (uint8_t)(len >> 4);
            b[3] = 0x01;
            memcpy(b + 4, a, n);
            n += 4;
            memcpy(a, b, n);
        }
    }
    size_t len = 2 + 4 + 1 + n;
    out[0] = 0x14;
    out[1] = (uint8_t)(0x40 | (len & 0x0f));
    out[2] = (uint8_t)(len >> 4);
    memcpy(out + 3, "DEEP", 4);
    out[7] = 0x00;
    memcpy(out + 8, a, n);
    return n + 8;
}

static void test_nesting_bounded(void)
{
    static uint8_t aml[8300];
    struct aml_obj o;
    size_t n = deep_method(aml, 6, false);
    CHECK_EQ(run(aml, n, "\\DEEP", &o), 0);
    CHECK(o.type == AML_T_INT && o.ival == 1);
    n = deep_method(aml, 6, true);
    CHECK_EQ(run(aml, n, "\\DEEP", &o), 0);
    CHECK(o.type == AML_T_INT && o.ival == 7);
    n = deep_method(aml, 500, false);
    CHECK(run(aml, n, "\\DEEP", &o) < 0);
    CHECK(vm.error && strstr(vm.error, "deep"));
    n = deep_method(aml, 500, true);
    CHECK(run(aml, n, "\\DEEP", &o) < 0);
    CHECK(vm.error && strstr(vm.error, "deep"));
}

/* Prefixes of the real DSDTs and copies with one byte changed load and
 * evaluate without reading outside their bytes (ASan watches each copy,
 * allocated to its exact length) and never route more than the original. */
static void mangle_table(const struct fw_mem *memp, const uint8_t *t, uint32_t len, unsigned good, uint32_t cut_step,
                         uint32_t flip_step);

static void mangled(const char *name)
{
    if (probe(name, true) < 0)
        return;
    unsigned good = m.n_pci_routes;
    uint64_t at = fw_image_find(&img, "DSDT", 0x100000, 0x100000000ull);
    CHECK(at != 0);
    if (!at)
        return;
    struct fw_mem mem = fw_image_mem(&img);
    const uint8_t *hdr = mem.map(mem.ctx, at, 36);
    uint32_t len = hdr ? fw_le32(hdr + 4) : 0;
    const uint8_t *t = len > 36 ? mem.map(mem.ctx, at, len) : NULL;
    CHECK(t != NULL);
    if (!t)
        return;
    mem.aml_io = model_io;
    mangle_table(&mem, t, len, good, 97, 53);
}

/* Cuts every cut_step bytes and flips one byte every flip_step. */
static void mangle_table(const struct fw_mem *memp, const uint8_t *t, uint32_t len, unsigned good, uint32_t cut_step,
                         uint32_t flip_step)
{
    struct fw_mem mem = *memp;
    unsigned worse = 0;
    for (uint32_t cut = 36; cut < len; cut += cut_step) {
        uint8_t *copy = malloc(cut - 36 + 1);
        memcpy(copy, t + 36, cut - 36);
        struct acpi_aml_block b = { copy, cut - 36, t[8] };
        memset(&m, 0, sizeof(m));
        acpi_pci_routes(&m, &mem, &b, 1);
        worse += m.n_pci_routes > good;
        free(copy);
    }
    for (uint32_t pos = 36; pos < len; pos += flip_step) {
        uint8_t *copy = malloc(len - 36);
        memcpy(copy, t + 36, len - 36);
        copy[pos - 36] ^= (uint8_t)(0x5a + pos);
        struct acpi_aml_block b = { copy, len - 36, t[8] };
        memset(&m, 0, sizeof(m));
        acpi_pci_routes(&m, &mem, &b, 1);
        worse += m.n_pci_routes > MACHINE_MAX_PCI_ROUTES;
        free(copy);
    }
    CHECK_EQ(worse, 0);
}

static void test_mangled(void)
{
    mangled(FIX "pc-smp1.bin");
    mangled(FIX "q35-smp2.bin");
    /* The first of Xen's DSDTs (the largest, 60 KiB: coarser steps). */
    uint32_t len;
    uint8_t *t = xen_dsdt(0, &len);
    CHECK(t != NULL);
    if (t) {
        struct fw_mem mem = { .aml_io = model_io };
        mangle_table(&mem, t, len, 124, 1999, 661);
        free(t);
    }
}

int main(void)
{
    test_eval_basics();
    test_nesting_bounded();
    test_pc();
    test_pc_mptable();
    test_vbox_style();
    test_q35();
    test_microvm();
    test_microvm_pcie();
    test_q35_pic_mode();
    test_xen_hvm();
    test_bridge_prt();
    test_mangled();
    fw_image_free(&img);
    return check_report("test_acpi_prt");
}
