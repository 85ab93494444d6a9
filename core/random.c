/* Random numbers: entropy is folded into the ChaCha20 key (key ^= input,
 * then re-keyed from the generator's own output); output blocks use a fresh
 * counter, and the key is replaced after every request (forward secrecy). */
#include <string.h>
#include "arch/x86.h"
#include "random.h"
#include "spinlock.h"

static uint32_t key[8];
static uint32_t nonce[3];
static uint64_t counter;
static uint64_t credited;
static struct spinlock lock = SPINLOCK_INIT;

static void rekey_locked(void)
{
    uint8_t block[64];
    chacha20_block(key, (uint32_t)counter++, nonce, block);
    memcpy(key, block, 32);
    memset(block, 0, sizeof(block));
}

void random_add_entropy(const void *data, size_t len, unsigned bits)
{
    const uint8_t *p = data;
    uint64_t f = spin_lock_irqsave(&lock);
    for (size_t i = 0; i < len; i++) {
        ((uint8_t *)key)[i % 32] ^= p[i];
        if (i % 32 == 31)
            rekey_locked();
    }
    nonce[0] ^= (uint32_t)rdtsc();
    rekey_locked();
    credited += bits;
    spin_unlock_irqrestore(&lock, f);
}

void random_bytes(void *out, size_t len)
{
    uint8_t *o = out;
    uint64_t f = spin_lock_irqsave(&lock);
    nonce[1] ^= (uint32_t)rdtsc(); /* never the same stream twice, even unseeded */
    while (len) {
        uint8_t block[64];
        chacha20_block(key, (uint32_t)counter++, nonce, block);
        size_t n = len < 64 ? len : 64;
        memcpy(o, block, n);
        o += n;
        len -= n;
    }
    rekey_locked();
    spin_unlock_irqrestore(&lock, f);
}

uint64_t random_entropy_bits(void) { return credited; }
