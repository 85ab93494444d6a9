/* The RPCI channel against a hypervisor whose every register answer comes
 * from the input: sizes, statuses, message types, high-bandwidth replies.
 * rpci_guestinfo() must never write past its buffers. */
#include <stdint.h>
#include <string.h>
#include "vmw_backdoor.h"

struct feed {
    const uint8_t *data;
    size_t size;
};

static uint32_t take(struct feed *f)
{
    uint32_t v = 0;
    size_t n = f->size < 4 ? f->size : 4;
    memcpy(&v, f->data, n);
    f->data += n;
    f->size -= n;
    return v;
}

static bool call(void *ctx, struct bdoor_regs *r)
{
    struct feed *f = ctx;
    if (!f->size)
        return false;
    r->ebx = take(f);
    r->ecx = take(f);
    r->edx = take(f);
    return true;
}

static bool hb_out(void *ctx, struct bdoor_regs *r, const void *buf)
{
    struct feed *f = ctx;
    volatile uint8_t sink = 0;
    for (uint32_t i = 0; i < r->ecx; i++)
        sink ^= ((const uint8_t *)buf)[i];
    r->ebx = take(f);
    return f->size > 0;
}

static bool hb_in(void *ctx, struct bdoor_regs *r, void *buf)
{
    struct feed *f = ctx;
    uint8_t *out = buf;
    for (uint32_t i = 0; i < r->ecx; i++)
        out[i] = (uint8_t)take(f);
    r->ebx = take(f);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feed f = { data, size };
    struct rpci_port port = { call, hb_out, hb_in, &f };
    char out[64];
    rpci_guestinfo(&port, "kestrel.cmdline", out, sizeof(out));
    return 0;
}
