/* Legacy virtio over PCI (transitional devices 0x1000-0x103f): registers in
 * I/O BAR 0, one 32-bit feature word, queues by page frame number, the
 * interrupt is INTx (MSI-X stays off, which keeps the config at 0x14). */
#include "arch/x86.h"
#include "irq.h"
#include "log.h"
#include "pci.h"
#include "virtio.h"

#define REG_HOST_FEATURES 0x00
#define REG_GUEST_FEATURES 0x04
#define REG_QUEUE_PFN 0x08
#define REG_QUEUE_SIZE 0x0c
#define REG_QUEUE_SEL 0x0e
#define REG_QUEUE_NOTIFY 0x10
#define REG_STATUS 0x12
#define REG_ISR 0x13
#define REG_CONFIG 0x14

static uint64_t get_features(struct virtio_dev *v) { return inl((uint16_t)(v->io + REG_HOST_FEATURES)); }
static void set_features(struct virtio_dev *v, uint64_t f) { outl((uint16_t)(v->io + REG_GUEST_FEATURES), (uint32_t)f); }
static uint8_t get_status(struct virtio_dev *v) { return inb((uint16_t)(v->io + REG_STATUS)); }
static void set_status(struct virtio_dev *v, uint8_t s) { outb((uint16_t)(v->io + REG_STATUS), s); }
static uint8_t config_read8(struct virtio_dev *v, unsigned off) { return inb((uint16_t)(v->io + REG_CONFIG + off)); }
static uint32_t config_generation(struct virtio_dev *v)
{
    (void)v;
    return 0; /* legacy has none: readers re-read */
}

static uint16_t queue_max(struct virtio_dev *v, unsigned index)
{
    outw((uint16_t)(v->io + REG_QUEUE_SEL), (uint16_t)index);
    return inw((uint16_t)(v->io + REG_QUEUE_SIZE));
}

static int queue_setup(struct virtio_dev *v, unsigned index, uint16_t size, uint64_t desc, uint64_t avail,
                       uint64_t used)
{
    (void)avail;
    (void)used; /* legacy derives them from the frame number and its fixed layout */
    outw((uint16_t)(v->io + REG_QUEUE_SEL), (uint16_t)index);
    if (inw((uint16_t)(v->io + REG_QUEUE_SIZE)) != size) {
        pr_warn("virtio-pci-legacy: queue %u must be %u entries, not %u\n", index,
                inw((uint16_t)(v->io + REG_QUEUE_SIZE)), size);
        return -1; /* the legacy interface cannot shrink a queue */
    }
    if (desc >> 44)
        return -1;
    outl((uint16_t)(v->io + REG_QUEUE_PFN), (uint32_t)(desc >> 12));
    return 0;
}

static void notify(struct virtio_dev *v, unsigned index) { outw((uint16_t)(v->io + REG_QUEUE_NOTIFY), (uint16_t)index); }

static bool irq_ack(struct virtio_dev *v) { return (inb((uint16_t)(v->io + REG_ISR)) & 1) != 0; }

static void intx(struct int_frame *f, void *arg)
{
    (void)f;
    struct virtio_dev *v = arg;
    if (irq_ack(v))
        v->handler(v->handler_arg);
}

/* INTx only: with MSI-X on, the legacy register layout moves the device
 * configuration, and one queue interrupt gains nothing from it. */
static int setup_irq(struct virtio_dev *v, void (*handler)(void *), void *arg)
{
    v->handler = handler;
    v->handler_arg = arg;
    enum pci_irq_kind kind;
    return pci_attach_irq(&v->dev->pci, PCI_IRQ_INTX, intx, v, &kind);
}

static const struct virtio_ops ops = {
    "pci-legacy", get_features, set_features, get_status, set_status, config_read8, config_generation,
    queue_max, queue_setup, notify, setup_irq, irq_ack,
};

int virtio_pci_legacy_init(struct virtio_dev *v, struct device *d)
{
    const struct pci_bar *b = &d->pci.bars[0];
    if (!b->io || b->size < 0x14 || b->addr > 0xffff)
        return -1;
    v->io = (uint16_t)b->addr;
    v->ops = &ops;
    v->legacy = true;
    pci_enable(&d->pci);
    return 0;
}
