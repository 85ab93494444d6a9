/* VMXNET3 tx and rx completion parsing and frame assembly against
 * arbitrary completion-ring contents: steps either post (tx), overwrite a
 * completion entry, or drain; buffers returned are reposted. Nothing may be
 * read or written outside the rings, buffers or the frame. */
#include <stdint.h>
#include <string.h>
#include "vmxnet3_ring.h"

static struct vmx_desc txr[32], txc[32], rxr[2][32], rxc[64];
static uint64_t addrs[2][32];
static bool owned[2][32];
static uint8_t gens[2][32];
static uint8_t bufs[2][32][2048];
static uint8_t frame[1518];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vmx_txq tx;
    struct vmx_rxq rx;
    memset(&tx, 0, sizeof(tx));
    memset(&rx, 0, sizeof(rx));
    memset(txc, 0, sizeof(txc));
    memset(rxc, 0, sizeof(rxc));
    tx.ring = txr;
    tx.comp = txc;
    tx.size = tx.comp_size = 32;
    vmx_txq_init(&tx);
    for (unsigned k = 0; k < 2; k++) {
        rx.r[k].ring = rxr[k];
        rx.r[k].size = 32;
        rx.r[k].buf_len = 2048;
        rx.r[k].addr = addrs[k];
        rx.r[k].owned = owned[k];
        rx.r[k].posted_gen = gens[k];
    }
    rx.nqueues = 1;
    rx.comp = rxc;
    rx.comp_size = 64;
    vmx_rxq_init(&rx);
    struct vmx_frame f = { frame, sizeof(frame), 0, false, false, 0 };
    while (size >= 2) {
        uint8_t op = data[0], arg = data[1];
        data += 2;
        size -= 2;
        if (op < 48) {
            vmx_tx_post(&tx, 0x1000, 60u + arg);
        } else if (op < 128 && size >= 16) {
            memcpy(op < 88 ? &txc[arg % 32] : &rxc[arg % 64], data, 16);
            data += 16;
            size -= 16;
        } else if (op < 192) {
            while (vmx_tx_complete(&tx) != -11)
                ;
        } else {
            struct vmx_rx_result res;
            enum vmx_rx_kind k;
            while ((k = vmx_rx_next(&rx, &res)) != VMX_RX_NONE) {
                if (k == VMX_RX_BUF) {
                    if (res.ring > 1 || res.idx >= 32 || res.len > 2048)
                        __builtin_trap();
                    vmx_frame_add(&f, &res, bufs[res.ring][res.idx]);
                }
                if (res.repost)
                    vmx_rx_repost(&rx, res.ring, res.idx);
            }
        }
    }
    return 0;
}
