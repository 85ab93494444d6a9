/* Intel PRO/1000 NICs with the 8254x programming model, behind the
 * net-device interface: 82540EM (VirtualBox's default "PRO/1000 MT
 * Desktop", QEMU's e1000), 82545EM, and the 82574L (QEMU's e1000e) driven
 * the same way through its legacy descriptors. Receive: posted 2 KiB
 * buffers, one frame per buffer (spread or oversize frames are dropped and
 * counted). Transmit: frames copied into the ring's own buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "cmdline.h"
#include "e1000_ring.h"
#include "errno.h"
#include "log.h"
#include "memory.h"
#include "netdev.h"
#include "pci.h"
#include "spinlock.h"

#define REG_CTRL 0x0000
#define REG_STATUS 0x0008
#define REG_EERD 0x0014
#define REG_ICR 0x00c0
#define REG_ITR 0x00c4
#define REG_IMS 0x00d0
#define REG_IMC 0x00d8
#define REG_RCTL 0x0100
#define REG_TCTL 0x0400
#define REG_TIPG 0x0410
#define REG_RDBAL 0x2800
#define REG_RDBAH 0x2804
#define REG_RDLEN 0x2808
#define REG_RDH 0x2810
#define REG_RDT 0x2818
#define REG_RDTR 0x2820
#define REG_TDBAL 0x3800
#define REG_TDBAH 0x3804
#define REG_TDLEN 0x3808
#define REG_TDH 0x3810
#define REG_TDT 0x3818
#define REG_MTA 0x5200
#define REG_RAL0 0x5400
#define REG_RAH0 0x5404

#define CTRL_ASDE (1u << 5)
#define CTRL_SLU (1u << 6)
#define CTRL_RST (1u << 26)
#define STATUS_LU (1u << 1)
#define RCTL_EN (1u << 1)
#define RCTL_MPE (1u << 4) /* all multicast: IPv6 neighbour discovery (lwIP filters the groups itself) */
#define RCTL_BAM (1u << 15)
#define RCTL_SECRC (1u << 26)
#define RCTL_BSIZE_SHIFT 16 /* 00: 2048, 01: 1024, 10: 512, 11: 256 bytes */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)
#define TCTL_CT (0x0fu << 4)
#define TCTL_COLD (0x40u << 12)
#define TIPG_COPPER (10u | 8u << 10 | 6u << 20)
#define ICR_TXDW (1u << 0)
#define ICR_LSC (1u << 2)
#define ICR_RXDMT0 (1u << 4)
#define ICR_RXO (1u << 6)
#define ICR_RXT0 (1u << 7)
#define ICR_USED (ICR_TXDW | ICR_LSC | ICR_RXDMT0 | ICR_RXO | ICR_RXT0)

#define MS 1000000ull
#define RX_DESCS 128
#define TX_DESCS 64
#define BUF_SIZE 2048
#define DEFAULT_IRQ_RATE 20000 /* interrupts a second at most, as ITR */

/* What differs between the members we drive. */
struct e1000_model {
    const char *name;
    uint32_t eerd_done;        /* EERD "read done" bit */
    unsigned eerd_addr_shift;  /* where the word address goes in EERD */
};

static const struct e1000_model m82540 = { "82540EM", 1u << 4, 8 };
static const struct e1000_model m82545 = { "82545EM", 1u << 4, 8 };
static const struct e1000_model m82574 = { "82574L", 1u << 1, 2 };

struct e1000 {
    volatile uint8_t *regs;
    const struct e1000_model *model;
    struct e1000_rx_desc *rx;
    struct e1000_tx_desc *tx;
    uint8_t *rx_bufs, *tx_bufs;
    unsigned rx_next;
    unsigned tx_clean, tx_tail;
    struct e1000_rx_state rx_state;
    unsigned rx_buf_size; /* what RCTL.BSIZE tells the device (<= BUF_SIZE) */
    struct spinlock rx_lock, tx_lock;
    uint64_t rx_fragments, rx_bad_status, rx_bad_length;
    struct netdev n;
};

static unsigned count;

static uint32_t rd(struct e1000 *e, unsigned off) { return *(volatile uint32_t *)(e->regs + off); }
static void wr(struct e1000 *e, unsigned off, uint32_t v) { *(volatile uint32_t *)(e->regs + off) = v; }
static uint64_t phys(const void *p) { return (uint64_t)paging_translate((uint64_t)(uintptr_t)p); }

/* Polls a register until (value & mask) == want; logs on time-out. */
static int wait_reg(struct e1000 *e, unsigned off, uint32_t mask, uint32_t want, uint64_t timeout, const char *what)
{
    uint64_t start = clock_monotonic_ns();
    for (;;) {
        uint32_t v = rd(e, off);
        if ((v & mask) == want)
            return 0;
        if (clock_monotonic_ns() - start > timeout) {
            pr_warn("e1000: %s: timed out waiting for %s (register %#x = %#x)\n", e->n.name, what, off, v);
            return -ETIMEDOUT;
        }
        cpu_relax();
    }
}

static int eeprom_word(struct e1000 *e, unsigned addr, uint16_t *out)
{
    wr(e, REG_EERD, 1u | addr << e->model->eerd_addr_shift);
    if (wait_reg(e, REG_EERD, e->model->eerd_done, e->model->eerd_done, 10 * MS, "an EEPROM read") < 0)
        return -ETIMEDOUT;
    *out = (uint16_t)(rd(e, REG_EERD) >> 16);
    return 0;
}

/* RAL/RAH hold what the EEPROM loaded at reset; the EEPROM itself is the
 * fallback when they are empty (and with e1000.mac=eeprom, to test it).
 * Returns where the address came from, or NULL. */
static const char *read_mac(struct e1000 *e)
{
    const char *opt = cmdline_param(kernel_options(), "e1000.mac", 0);
    bool eeprom_only = opt && strcmp(opt, "eeprom") == 0;
    if (!eeprom_only && e1000_mac_from_ra(rd(e, REG_RAL0), rd(e, REG_RAH0), e->n.mac))
        return "RAL/RAH";
    uint16_t w[3];
    for (unsigned i = 0; i < 3; i++) {
        if (eeprom_word(e, i, &w[i]) < 0)
            return NULL;
    }
    if (!e1000_mac_from_eeprom(w, e->n.mac))
        return NULL;
    wr(e, REG_RAL0, (uint32_t)e->n.mac[0] | (uint32_t)e->n.mac[1] << 8 | (uint32_t)e->n.mac[2] << 16 |
                        (uint32_t)e->n.mac[3] << 24);
    wr(e, REG_RAH0, (uint32_t)e->n.mac[4] | (uint32_t)e->n.mac[5] << 8 | 1u << 31);
    return "EEPROM";
}

/* Counts a dropped frame once: a spread frame when its last buffer is seen. */
static void count_drop(struct e1000 *e, enum e1000_rx_verdict v, uint8_t status, uint16_t len)
{
    if (v == E1000_RX_FRAGMENT && !(status & E1000_RXD_EOP))
        return;
    uint64_t *c = v == E1000_RX_FRAGMENT ? &e->rx_fragments : v == E1000_RX_BAD_STATUS ? &e->rx_bad_status
                                                                                        : &e->rx_bad_length;
    if ((*c)++ == 0)
        pr_warn("e1000: %s: dropping %s (length %u); counted from now on\n", e->n.name,
                v == E1000_RX_FRAGMENT ? "a frame spread over several buffers"
                : v == E1000_RX_BAD_STATUS ? "a frame with receive errors" : "a frame of impossible length",
                len);
    e->n.rx_dropped++;
}

/* Hands every finished receive buffer on (or drops it) and gives it back. */
static void rx_drain(struct e1000 *e)
{
    spin_lock_raw(&e->rx_lock);
    unsigned last = RX_DESCS;
    for (;;) {
        struct e1000_rx_desc *d = &e->rx[e->rx_next];
        uint8_t status = d->status;
        __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the rest of the descriptor after DD */
        uint16_t len = d->length;
        enum e1000_rx_verdict v = e1000_rx_classify(&e->rx_state, status, d->errors, len, e->rx_buf_size);
        if (v == E1000_RX_PENDING)
            break;
        if (v == E1000_RX_FRAME) {
            e->n.rx_frames++;
            if (e->n.rx)
                e->n.rx(&e->n, e->rx_bufs + (size_t)e->rx_next * BUF_SIZE, len, e->n.rx_arg);
        } else {
            count_drop(e, v, status, len);
        }
        d->status = 0;
        d->addr = phys(e->rx_bufs + (size_t)e->rx_next * BUF_SIZE); /* the device may not change it */
        last = e->rx_next;
        e->rx_next = (e->rx_next + 1) % RX_DESCS;
    }
    if (last != RX_DESCS)
        wr(e, REG_RDT, last);
    spin_unlock_raw(&e->rx_lock);
}

static void e1000_interrupt(struct int_frame *f, void *arg)
{
    struct e1000 *e = arg;
    uint32_t icr = rd(e, REG_ICR); /* reading acknowledges */
    if (!(icr & ICR_USED))
        return; /* a shared line: someone else's */
    if (icr & ICR_LSC) {
        bool up = (rd(e, REG_STATUS) & STATUS_LU) != 0;
        pr_info("e1000: %s: link %s\n", e->n.name, up ? "up" : "down");
        netdev_set_link(&e->n, up);
    }
    if (icr & (ICR_RXT0 | ICR_RXO | ICR_RXDMT0))
        rx_drain(e);
}

static int e1000_transmit(struct netdev *n, const void *frame, size_t len)
{
    struct e1000 *e = n->priv;
    if (len < E1000_ETH_MIN || len > E1000_ETH_MAX)
        return -EINVAL;
    uint64_t f = spin_lock_irqsave(&e->tx_lock);
    e1000_tx_reclaim(e->tx, TX_DESCS, &e->tx_clean, e->tx_tail);
    if (e1000_tx_free(TX_DESCS, e->tx_clean, e->tx_tail) == 0) {
        spin_unlock_irqrestore(&e->tx_lock, f);
        return -EAGAIN; /* ring full */
    }
    unsigned t = e->tx_tail;
    uint8_t *buf = e->tx_bufs + (size_t)t * BUF_SIZE;
    memcpy(buf, frame, len);
    e->tx[t] = (struct e1000_tx_desc){ phys(buf), (uint16_t)len, 0, E1000_TXD_EOP | E1000_TXD_IFCS | E1000_TXD_RS,
                                       0, 0, 0 };
    e->tx_tail = (t + 1) % TX_DESCS;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    wr(e, REG_TDT, e->tx_tail);
    n->tx_frames++;
    spin_unlock_irqrestore(&e->tx_lock, f);
    return 0;
}

static unsigned itr_value(void)
{
    const char *opt = cmdline_param(kernel_options(), "e1000.irq_rate", 0);
    unsigned long rate = opt ? strtoul(opt, NULL, 0) : DEFAULT_IRQ_RATE;
    if (rate == 0)
        return 0; /* no throttling */
    unsigned long v = 1000000000ul / (rate * 256); /* ITR counts 256 ns units between interrupts */
    return v > 0xffff ? 0xffff : (unsigned)v;
}

/* e1000.rx_buffer=256|512|1024 makes the device spread frames over
 * buffers (to prove they are dropped whole); 2048 by default. */
static unsigned rx_buffer_size(void)
{
    const char *opt = cmdline_param(kernel_options(), "e1000.rx_buffer", 0);
    unsigned long v = opt ? strtoul(opt, NULL, 0) : BUF_SIZE;
    return v == 256 || v == 512 || v == 1024 ? (unsigned)v : BUF_SIZE;
}

static int rings_setup(struct e1000 *e)
{
    e->rx_buf_size = rx_buffer_size();
    e->rx = pages_alloc(1, PAGE_SIZE);
    e->tx = pages_alloc(1, PAGE_SIZE);
    e->rx_bufs = pages_alloc(RX_DESCS * BUF_SIZE / PAGE_SIZE, PAGE_SIZE);
    e->tx_bufs = pages_alloc(TX_DESCS * BUF_SIZE / PAGE_SIZE, PAGE_SIZE);
    if (!e->rx || !e->tx || !e->rx_bufs || !e->tx_bufs)
        return -1;
    for (unsigned i = 0; i < RX_DESCS; i++)
        e->rx[i].addr = phys(e->rx_bufs + (size_t)i * BUF_SIZE);
    uint64_t rx = phys(e->rx), tx = phys(e->tx);
    wr(e, REG_RDBAL, (uint32_t)rx);
    wr(e, REG_RDBAH, (uint32_t)(rx >> 32));
    wr(e, REG_RDLEN, RX_DESCS * sizeof(struct e1000_rx_desc));
    wr(e, REG_RDH, 0);
    wr(e, REG_RDT, RX_DESCS - 1);
    wr(e, REG_RDTR, 0);
    wr(e, REG_TDBAL, (uint32_t)tx);
    wr(e, REG_TDBAH, (uint32_t)(tx >> 32));
    wr(e, REG_TDLEN, TX_DESCS * sizeof(struct e1000_tx_desc));
    wr(e, REG_TDH, 0);
    wr(e, REG_TDT, 0);
    for (unsigned i = 0; i < 128; i++)
        wr(e, REG_MTA + 4 * i, 0);
    wr(e, REG_TIPG, TIPG_COPPER);
    wr(e, REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
    unsigned bsize = 0;
    while (((unsigned)BUF_SIZE >> bsize) > e->rx_buf_size)
        bsize++;
    wr(e, REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_MPE | RCTL_SECRC | bsize << RCTL_BSIZE_SHIFT);
    return 0;
}

static int e1000_attach(struct device *dev)
{
    const struct pci_info *pi = &dev->pci;
    const struct pci_bar *bar = &pi->bars[0];
    if (bar->io || bar->size < 0x10000)
        return -1;
    struct e1000 *e = calloc(1, sizeof(*e));
    if (!e)
        return -1;
    e->model = pi->device == 0x10d3 ? &m82574 : pi->device == 0x100f ? &m82545 : &m82540;
    snprintf(e->n.name, sizeof(e->n.name), "eth%u", count);
    e->regs = ioremap(bar->addr, bar->size);
    if (!e->regs) {
        free(e);
        return -1;
    }
    pci_enable(pi);
    wr(e, REG_IMC, 0xffffffffu);
    wr(e, REG_CTRL, rd(e, REG_CTRL) | CTRL_RST);
    if (wait_reg(e, REG_CTRL, CTRL_RST, 0, 100 * MS, "reset") < 0)
        return -1;
    wr(e, REG_IMC, 0xffffffffu);
    (void)rd(e, REG_ICR);
    const char *mac_from = read_mac(e);
    if (!mac_from) {
        pr_warn("e1000: %s: no valid MAC address in RAL/RAH or the EEPROM\n", e->n.name);
        return -1;
    }
    wr(e, REG_CTRL, (rd(e, REG_CTRL) | CTRL_SLU | CTRL_ASDE));
    if (rings_setup(e) < 0) {
        pr_warn("e1000: %s: out of memory for the rings\n", e->n.name);
        return -1;
    }
    enum pci_irq_kind kind;
    if (pci_attach_irq(pi, PCI_IRQ_MSI | PCI_IRQ_INTX, e1000_interrupt, e, &kind) < 0)
        return -1;
    unsigned itr = itr_value();
    wr(e, REG_ITR, itr);
    wr(e, REG_IMS, ICR_USED);
    e->n.link_up = (rd(e, REG_STATUS) & STATUS_LU) != 0;
    e->n.mtu = 1500;
    e->n.transmit = e1000_transmit;
    e->n.priv = e;
    count++;
    const uint8_t *m = e->n.mac;
    pr_info("e1000: %s: %s %04x:%04x at %02x:%02x.%u, mac %02x:%02x:%02x:%02x:%02x:%02x (%s), link %s, %s, "
            "itr %u, rx %u x %u bytes, tx %u\n",
            e->n.name, e->model->name, pi->vendor, pi->device, pi->bus, pi->dev, pi->fn, m[0], m[1], m[2], m[3], m[4],
            m[5], mac_from, e->n.link_up ? "up" : "down", pci_irq_kind_name(kind), itr, RX_DESCS, e->rx_buf_size,
            TX_DESCS);
    return netdev_register(&e->n);
}

static const struct pci_id e1000_ids[] = { { 0x8086, 0x100e }, { 0x8086, 0x100f }, { 0x8086, 0x10d3 }, { 0, 0 } };

DEVICE_DRIVER(e1000) = { "e1000", BUS_PCI, e1000_ids, false, e1000_attach };
