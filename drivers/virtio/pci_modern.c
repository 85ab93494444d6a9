/* Modern virtio over PCI (virtio 1.x, section 4.1.4): the common, notify,
 * ISR and device-config structures found through vendor capabilities in
 * memory BARs; MSI-X for the queue interrupt, INTx if that fails. */
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "pci.h"
#include "virtio.h"

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

/* common configuration offsets */
#define C_DFSELECT 0x00
#define C_DF 0x04
#define C_GFSELECT 0x08
#define C_GF 0x0c
#define C_MSIX 0x10
#define C_STATUS 0x14
#define C_GENERATION 0x15
#define C_Q_SELECT 0x16
#define C_Q_SIZE 0x18
#define C_Q_MSIX 0x1a
#define C_Q_ENABLE 0x1c
#define C_Q_NOTIFY_OFF 0x1e
#define C_Q_DESC 0x20
#define C_Q_AVAIL 0x28
#define C_Q_USED 0x30
#define NO_VECTOR 0xffff

static volatile uint32_t *c32(struct virtio_dev *v, unsigned o) { return (volatile uint32_t *)(v->common + o); }
static volatile uint16_t *c16(struct virtio_dev *v, unsigned o) { return (volatile uint16_t *)(v->common + o); }

static uint64_t get_features(struct virtio_dev *v)
{
    *c32(v, C_DFSELECT) = 0;
    uint64_t lo = *c32(v, C_DF);
    *c32(v, C_DFSELECT) = 1;
    return lo | (uint64_t)*c32(v, C_DF) << 32;
}

static void set_features(struct virtio_dev *v, uint64_t f)
{
    *c32(v, C_GFSELECT) = 0;
    *c32(v, C_GF) = (uint32_t)f;
    *c32(v, C_GFSELECT) = 1;
    *c32(v, C_GF) = (uint32_t)(f >> 32);
}

static uint8_t get_status(struct virtio_dev *v) { return v->common[C_STATUS]; }
static void set_status(struct virtio_dev *v, uint8_t s) { v->common[C_STATUS] = s; }
static uint8_t config_read8(struct virtio_dev *v, unsigned off) { return v->devcfg ? v->devcfg[off] : 0; }
static uint32_t config_generation(struct virtio_dev *v) { return v->common[C_GENERATION]; }

static uint16_t queue_max(struct virtio_dev *v, unsigned index)
{
    *c16(v, C_Q_SELECT) = (uint16_t)index;
    return *c16(v, C_Q_SIZE);
}

static int queue_setup(struct virtio_dev *v, unsigned index, uint16_t size, uint64_t desc, uint64_t avail,
                       uint64_t used)
{
    *c16(v, C_Q_SELECT) = (uint16_t)index;
    *c16(v, C_Q_SIZE) = size;
    *(volatile uint64_t *)(v->common + C_Q_DESC) = desc;
    *(volatile uint64_t *)(v->common + C_Q_AVAIL) = avail;
    *(volatile uint64_t *)(v->common + C_Q_USED) = used;
    if (v->msix) {
        *c16(v, C_Q_MSIX) = 0;
        if (*c16(v, C_Q_MSIX) == NO_VECTOR) {
            pr_warn("virtio-pci: device refused MSI-X vector 0 for queue %u\n", index);
            return -1;
        }
    }
    *c16(v, C_Q_ENABLE) = 1;
    return 0;
}

static void notify(struct virtio_dev *v, unsigned index)
{
    *c16(v, C_Q_SELECT) = (uint16_t)index;
    uint16_t off = *c16(v, C_Q_NOTIFY_OFF);
    *(volatile uint16_t *)(v->notify_base + (uint32_t)off * v->notify_mult) = (uint16_t)index;
}

static bool irq_ack(struct virtio_dev *v) { return v->isr && (*v->isr & 1); }

static void msix_handler(struct int_frame *f, void *arg)
{
    (void)f;
    struct virtio_dev *v = arg;
    v->handler(v->handler_arg);
}

static void intx_handler(struct int_frame *f, void *arg)
{
    (void)f;
    struct virtio_dev *v = arg;
    if (irq_ack(v))
        v->handler(v->handler_arg);
}

/* MSI-X gets a vector of its own and needs no ISR read; MSI and INTx go
 * through the ISR, which also tells a shared INTx line whether it is ours. */
static int setup_irq(struct virtio_dev *v, void (*handler)(void *), void *arg)
{
    v->handler = handler;
    v->handler_arg = arg;
    enum pci_irq_kind kind;
    if (pci_attach_irq(&v->dev->pci, PCI_IRQ_MSIX, msix_handler, v, &kind) == 0) {
        *c16(v, C_MSIX) = NO_VECTOR; /* no config-change interrupts */
        v->msix = true;
        return 0;
    }
    return pci_attach_irq(&v->dev->pci, PCI_IRQ_MSI | PCI_IRQ_INTX, intx_handler, v, &kind);
}

static const struct virtio_ops ops = {
    "pci-modern", get_features, set_features, get_status, set_status, config_read8, config_generation,
    queue_max, queue_setup, notify, setup_irq, irq_ack,
};

/* The structure a vendor capability describes, mapped; NULL if unusable. */
static volatile uint8_t *cap_region(const struct pci_info *p, uint8_t cap, uint32_t min_len)
{
    uint8_t bar = pci_read8(p, (uint16_t)(cap + 4));
    uint32_t off = pci_read32(p, (uint16_t)(cap + 8)), len = pci_read32(p, (uint16_t)(cap + 12));
    if (bar >= PCI_BARS || p->bars[bar].io || !p->bars[bar].size || len < min_len ||
        (uint64_t)off + len > p->bars[bar].size) {
        pr_warn("virtio-pci: capability at %#x points outside BAR %u\n", cap, bar);
        return NULL;
    }
    return ioremap(p->bars[bar].addr + off, len);
}

int virtio_pci_modern_init(struct virtio_dev *v, struct device *d)
{
    const struct pci_info *p = &d->pci;
    for (unsigned n = 0;; n++) {
        uint8_t cap = pci_find_cap(p, PCI_CAP_VENDOR, n);
        if (!cap)
            break;
        uint8_t type = pci_read8(p, (uint16_t)(cap + 3));
        if (type == CAP_COMMON && !v->common)
            v->common = cap_region(p, cap, 0x38);
        else if (type == CAP_NOTIFY && !v->notify_base) {
            v->notify_base = cap_region(p, cap, 2);
            v->notify_mult = pci_read32(p, (uint16_t)(cap + 16));
        } else if (type == CAP_ISR && !v->isr)
            v->isr = cap_region(p, cap, 1);
        else if (type == CAP_DEVICE && !v->devcfg)
            v->devcfg = cap_region(p, cap, 1);
    }
    if (!v->common || !v->notify_base || !v->isr)
        return -1;
    v->ops = &ops;
    pci_enable(p);
    return 0;
}
