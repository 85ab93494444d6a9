/* virtio-mmio device discovery: Linux's virtio_mmio.device= syntax and the
 * register window's identity (magic, version, device id). */
#ifndef KESTREL_VIRTIO_MMIO_H
#define KESTREL_VIRTIO_MMIO_H
#include <stdint.h>

#define VIRTIO_MMIO_MAGIC 0x74726976u /* "virt" */

/* "<size>@<base>:<irq>[:<id>]", sizes and numbers in C notation with an
 * optional K/M/G suffix on the size. 0 on success, -1 if malformed or absurd. */
int virtio_mmio_parse(const char *s, uint64_t *base, uint64_t *size, uint32_t *irq);

#endif
