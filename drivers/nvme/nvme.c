/* drivers/nvme/: NVMe over PCI (class 01/08/02) behind the block
 * interface, and its pure logic (nvme_queue.c, nvme_prp.c, nvme_identify.c).
 * This file attaches a controller: one I/O queue pair per CPU up to what it
 * grants, every namespace a block device, one interrupt for all queues
 * (MSI-X entry 0, MSI or INTx). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"
#include "cpu.h"
#include "errno.h"
#include "log.h"
#include "nvme_ctrl.h"
#include "platform.h"
#include "sched.h"

static unsigned count;

static void add_namespace(struct nvme_ctrl *c, uint32_t nsid)
{
    if (nvme_identify(c, NVME_IDENTIFY_NS, nsid) < 0)
        return;
    struct nvme_ns_info ni;
    int rc = nvme_id_ns_parse(c->page, &ni);
    if (rc < 0) {
        if (rc != -ENOENT)
            pr_warn("%s: namespace %u unusable (%d)\n", c->name, nsid, rc);
        return;
    }
    if (c->nns == MAX_NS || ni.block_size > c->chunk)
        return;
    struct nvme_ns *ns = &c->ns[c->nns++];
    ns->c = c;
    ns->nsid = nsid;
    ns->shift = (unsigned)__builtin_ctz(ni.block_size);
    snprintf(ns->b.name, sizeof(ns->b.name), "nvme%un%u", c->index, nsid);
    ns->b.sector_size = ni.block_size;
    ns->b.sectors = ni.blocks;
    ns->b.can_flush = true;
    ns->b.queue_depth = (unsigned)(c->io_depth - 1) * c->nio;
    ns->b.submit = nvme_ns_submit;
    ns->b.priv = ns;
    block_register(&ns->b);
}

static void add_namespaces(struct nvme_ctrl *c)
{
    uint32_t ids[MAX_NS];
    unsigned n = 0;
    if (nvme_identify(c, NVME_IDENTIFY_NS_LIST, 0) == 0)
        n = nvme_ns_list_parse(c->page, c->info.namespaces, ids, MAX_NS);
    else /* before NVMe 1.1: every id up to NN */
        for (uint32_t id = 1; id <= c->info.namespaces && n < MAX_NS; id++)
            ids[n++] = id;
    for (unsigned i = 0; i < n; i++)
        add_namespace(c, ids[i]);
}

/* Set Features (Number of Queues): sent at bring-up and again after every
 * controller reset, which forgets it. */
unsigned nvme_queues_negotiate(struct nvme_ctrl *c)
{
    unsigned want = ncpus < MAX_IO_QUEUES ? ncpus : MAX_IO_QUEUES;
    want = want ? want : 1;
    uint32_t n = want - 1, dw0 = 0;
    struct nvme_sqe cmd = { .cdw0 = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES, .cdw11 = n | n << 16 };
    if (nvme_admin_cmd(c, &cmd, &dw0, ADMIN_TIMEOUT_MS) < 0)
        return 1;
    return nvme_queues_granted(dw0, want);
}

/* nvme.io_timeout_ms=MS (0: none), else the platform's, else 30 s. With
 * none, the watchdog only reports commands outstanding that long. */
static uint64_t io_timeout(void) { return (uint64_t)platform_io_timeout_ms("nvme.io_timeout_ms", IO_TIMEOUT_MS) * MS; }

/* nvme.irq=intx|msi|msix narrows the interrupt kinds tried (default: any). */
static unsigned irq_kinds(void)
{
    const char *v = cmdline_param(kernel_options(), "nvme.irq", 0);
    if (!v)
        return PCI_IRQ_ANY;
    if (strcmp(v, "intx") == 0)
        return PCI_IRQ_INTX;
    if (strcmp(v, "msi") == 0)
        return PCI_IRQ_MSI;
    if (strcmp(v, "msix") == 0)
        return PCI_IRQ_MSIX;
    pr_warn("nvme: nvme.irq=%s unknown; trying any\n", v);
    return PCI_IRQ_ANY;
}

static int map_registers(struct nvme_ctrl *c)
{
    const struct pci_bar *bar = &c->pci->bars[0];
    if (bar->io || bar->size < 0x2000 || !bar->addr) {
        pr_err("%s: BAR0 is not a register window\n", c->name);
        return -ENODEV;
    }
    c->regs = ioremap(bar->addr, bar->size < 0x10000 ? bar->size : 0x10000);
    if (!c->regs)
        return -ENOMEM;
    if (nvme_cap_parse(rd64(c, REG_CAP), &c->cap) < 0) {
        pr_err("%s: CAP %#llx: no NVM command set or no 4 KiB pages\n", c->name,
               (unsigned long long)rd64(c, REG_CAP));
        return -ENODEV;
    }
    /* Doorbells of the admin queue and MAX_IO_QUEUES pairs must fit the window. */
    uint64_t need = REG_DOORBELLS + 2ull * (MAX_IO_QUEUES + 1) * c->cap.doorbell_stride;
    if (need > bar->size || need > 0x10000) {
        pr_err("%s: doorbell stride %u does not fit BAR0\n", c->name, c->cap.doorbell_stride);
        return -ENODEV;
    }
    return 0;
}

static int bring_up(struct nvme_ctrl *c)
{
    int rc = map_registers(c);
    if (rc < 0)
        return rc;
    uint16_t adepth = c->cap.max_entries < ADMIN_DEPTH ? (uint16_t)c->cap.max_entries : ADMIN_DEPTH;
    c->io_depth = c->cap.max_entries < IO_DEPTH ? (uint16_t)c->cap.max_entries : IO_DEPTH;
    c->page = pages_alloc(1, NVME_PAGE);
    if (!c->page || (rc = nvme_queue_alloc(c, &c->admin, 0, adepth, false)) < 0)
        return -ENOMEM;
    if ((rc = nvme_ctrl_enable(c)) < 0) {
        pr_err("%s: controller did not become ready (%d)\n", c->name, rc);
        return rc;
    }
    if ((rc = nvme_identify(c, NVME_IDENTIFY_CTRL, 0)) < 0 || (rc = nvme_id_ctrl_parse(c->page, &c->info)) < 0) {
        pr_err("%s: IDENTIFY controller failed (%d)\n", c->name, rc);
        return rc;
    }
    c->chunk = c->info.max_transfer && c->info.max_transfer < MAX_CHUNK ? c->info.max_transfer : MAX_CHUNK;
    c->nio = nvme_queues_negotiate(c);
    for (unsigned i = 0; i < c->nio; i++) {
        if (nvme_queue_alloc(c, &c->io[i], i + 1, c->io_depth, true) < 0)
            return -ENOMEM;
    }
    enum pci_irq_kind kind;
    if (pci_attach_irq(c->pci, irq_kinds(), nvme_irq, c, &kind) < 0)
        return -ENODEV;
    if ((rc = nvme_create_io_queues(c)) < 0)
        return rc;
    uint32_t vs = rd32(c, REG_VS);
    pr_info("%s: \"%s\" NVMe %u.%u, %u I/O queue%s of %u, %s, max transfer %u KiB\n", c->name, c->info.model,
            vs >> 16, (vs >> 8) & 0xff, c->nio, c->nio == 1 ? "" : "s", c->io_depth, pci_irq_kind_name(kind),
            c->chunk / 1024);
    return 0;
}

static int nvme_attach(struct device *dev)
{
    const struct pci_info *p = &dev->pci;
    if (p->class_code != 0x01 || p->subclass != 0x08 || p->prog_if != 0x02)
        return -ENODEV;
    struct nvme_ctrl *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->pci = p;
    c->index = count;
    snprintf(c->name, sizeof(c->name), "nvme%u", c->index);
    c->io_timeout_ns = io_timeout();
    if (c->io_timeout_ns)
        pr_info("%s: I/O time-out %llu ms\n", c->name, (unsigned long long)(c->io_timeout_ns / MS));
    else
        pr_info("%s: no I/O time-out; commands late by %u s are reported\n", c->name, IO_REPORT_MS / 1000);
    c->state = CTRL_LIVE;
    mutex_init(&c->state_lock);
    condvar_init(&c->state_cv);
    c->wd_lock = (struct spinlock)SPINLOCK_INIT;
    sem_init(&c->recover, 0);
    timer_setup(&c->watchdog, nvme_watchdog_fire, c);
    pci_enable(p);
    int rc = bring_up(c);
    if (rc < 0) {
        nvme_ctrl_disable(c); /* stop any DMA into memory we keep */
        pr_err("%s: not usable (%d)\n", c->name, rc);
        return rc; /* the controller's memory stays allocated: it may still write there */
    }
    count++;
    dev->priv = c;
    if (!thread_create("nvme-recovery", nvme_recovery_thread, c, THREAD_STACK_DEFAULT))
        pr_warn("%s: no recovery thread; time-outs will not reset the controller\n", c->name);
    add_namespaces(c);
    return 0;
}

/* Class 01 (storage), subclass 08 (non-volatile memory); attach checks prog-if 02. */
static const struct pci_id nvme_ids[] = { { PCI_ID_CLASS, 0x0108 }, { 0, 0 } };

DEVICE_DRIVER(nvme_pci) = { "nvme", BUS_PCI, nvme_ids, false, nvme_attach };
