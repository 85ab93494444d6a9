/* virtio over MMIO (section 4.2): version 2 (modern) and version 1 (legacy,
 * QEMU's default), one register window per device, a level-triggered line. */
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "virtio.h"

#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_GUEST_PAGE_SIZE 0x028 /* v1 */
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_ALIGN 0x03c /* v1 */
#define R_QUEUE_PFN 0x040   /* v1 */
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INT_STATUS 0x060
#define R_INT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define R_CONFIG_GEN 0x0fc
#define R_CONFIG 0x100

static volatile uint32_t *reg(struct virtio_dev *v, unsigned o) { return (volatile uint32_t *)(v->mmio + o); }

static uint64_t get_features(struct virtio_dev *v)
{
    *reg(v, R_DEV_FEATURES_SEL) = 0;
    uint64_t lo = *reg(v, R_DEV_FEATURES);
    *reg(v, R_DEV_FEATURES_SEL) = 1;
    return lo | (uint64_t)*reg(v, R_DEV_FEATURES) << 32;
}

static void set_features(struct virtio_dev *v, uint64_t f)
{
    *reg(v, R_DRV_FEATURES_SEL) = 0;
    *reg(v, R_DRV_FEATURES) = (uint32_t)f;
    *reg(v, R_DRV_FEATURES_SEL) = 1;
    *reg(v, R_DRV_FEATURES) = (uint32_t)(f >> 32);
}

static uint8_t get_status(struct virtio_dev *v) { return (uint8_t)*reg(v, R_STATUS); }
static void set_status(struct virtio_dev *v, uint8_t s) { *reg(v, R_STATUS) = s; }
static uint8_t config_read8(struct virtio_dev *v, unsigned off) { return v->mmio[R_CONFIG + off]; }
static uint32_t config_generation(struct virtio_dev *v) { return v->legacy ? 0 : *reg(v, R_CONFIG_GEN); }

static uint16_t queue_max(struct virtio_dev *v, unsigned index)
{
    *reg(v, R_QUEUE_SEL) = index;
    uint32_t max = *reg(v, R_QUEUE_NUM_MAX);
    return max > 32768 ? 32768 : (uint16_t)max;
}

static int queue_setup(struct virtio_dev *v, unsigned index, uint16_t size, uint64_t desc, uint64_t avail,
                       uint64_t used)
{
    *reg(v, R_QUEUE_SEL) = index;
    *reg(v, R_QUEUE_NUM) = size;
    if (v->legacy) {
        *reg(v, R_GUEST_PAGE_SIZE) = 4096; /* here: a reset may have cleared it */
        *reg(v, R_QUEUE_ALIGN) = 4096;
        *reg(v, R_QUEUE_PFN) = (uint32_t)(desc >> 12);
        return 0;
    }
    *reg(v, R_QUEUE_DESC) = (uint32_t)desc;
    *reg(v, R_QUEUE_DESC + 4) = (uint32_t)(desc >> 32);
    *reg(v, R_QUEUE_DRIVER) = (uint32_t)avail;
    *reg(v, R_QUEUE_DRIVER + 4) = (uint32_t)(avail >> 32);
    *reg(v, R_QUEUE_DEVICE) = (uint32_t)used;
    *reg(v, R_QUEUE_DEVICE + 4) = (uint32_t)(used >> 32);
    *reg(v, R_QUEUE_READY) = 1;
    return 0;
}

static void notify(struct virtio_dev *v, unsigned index) { *reg(v, R_QUEUE_NOTIFY) = index; }

static bool irq_ack(struct virtio_dev *v)
{
    uint32_t s = *reg(v, R_INT_STATUS);
    if (s)
        *reg(v, R_INT_ACK) = s;
    return (s & 1) != 0;
}

static void handler(struct int_frame *f, void *arg)
{
    (void)f;
    struct virtio_dev *v = arg;
    if (irq_ack(v))
        v->handler(v->handler_arg);
}

static int setup_irq(struct virtio_dev *v, void (*fn)(void *), void *arg)
{
    v->handler = fn;
    v->handler_arg = arg;
    /* QEMU and Firecracker raise the line while the status is set: level, high. */
    return irq_attach_gsi(v->dev->mmio.irq, 1, 0, handler, v) < 0 ? -1 : 0;
}

static const struct virtio_ops ops = {
    "mmio", get_features, set_features, get_status, set_status, config_read8, config_generation,
    queue_max, queue_setup, notify, setup_irq, irq_ack,
};

int virtio_mmio_init(struct virtio_dev *v, struct device *d)
{
    v->mmio = ioremap(d->mmio.base, d->mmio.size);
    if (!v->mmio)
        return -1;
    uint32_t version = *reg(v, 0x004);
    if (version != 1 && version != 2)
        return -1;
    v->legacy = version == 1;
    v->ops = &ops;
    return 0;
}
