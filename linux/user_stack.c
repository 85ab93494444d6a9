/* Initial program stack builder (see user_stack.h). From the top down:
 * an 8-byte end marker, the strings (execfn, environment, arguments,
 * platform), 16 random bytes, padding, then auxv, envp, argv and argc. */
#include <string.h>
#include "user_stack.h"

struct builder {
    uint8_t *buf;
    uint64_t base, top, cur; /* cur: lowest address written so far */
};

/* Reserves n bytes below cur, returns their address or 0 when full. */
static uint64_t reserve(struct builder *b, size_t n)
{
    if (b->cur - b->base < n)
        return 0;
    b->cur -= n;
    return b->cur;
}

static uint64_t put_bytes(struct builder *b, const void *p, size_t n)
{
    uint64_t at = reserve(b, n);
    if (at)
        memcpy(b->buf + (at - b->base), p, n);
    return at;
}

static uint64_t put_string(struct builder *b, const char *s)
{
    return put_bytes(b, s, strlen(s) + 1);
}

static void put_word(struct builder *b, uint64_t at, uint64_t v)
{
    memcpy(b->buf + (at - b->base), &v, 8);
}

int ustack_build(uint8_t *buf, size_t size, uint64_t top, const struct ustack_args *a, uint64_t *sp)
{
    if (top % 16 || size > top || a->naux > USTACK_MAX_AUX || a->argc > 1u << 20 || a->envc > 1u << 20)
        return -1;
    struct builder b = { buf, top - size, top, top };
    static const uint64_t zero = 0;
    if (!put_bytes(&b, &zero, 8))
        return -1;
    uint64_t execfn = put_string(&b, a->execfn);
    /* Strings first (highest), remembering where each one went. */
    uint64_t strings_end = b.cur;
    for (unsigned i = a->envc; i-- > 0;) {
        if (!put_string(&b, a->envp[i]))
            return -1;
    }
    for (unsigned i = a->argc; i-- > 0;) {
        if (!put_string(&b, a->argv[i]))
            return -1;
    }
    uint64_t platform = put_string(&b, a->platform);
    uint64_t random = put_bytes(&b, a->random16, 16);
    if (!execfn || !platform || !random)
        return -1;
    /* Pointer block: argc, argv + NULL, envp + NULL, auxv + AT_NULL. */
    uint64_t words = 1 + (uint64_t)a->argc + 1 + a->envc + 1 + 2ull * (a->naux + 1);
    uint64_t need = words * 8;
    if (b.cur - b.base < need + 16)
        return -1;
    uint64_t start = (b.cur - need) & ~15ull;
    b.cur = start;
    uint64_t w = start;
    put_word(&b, w, a->argc);
    w += 8;
    /* Walk the strings again in address order: arguments, then environment. */
    uint64_t s = platform + strlen(a->platform) + 1;
    for (unsigned i = 0; i < a->argc; i++, w += 8) {
        put_word(&b, w, s);
        s += strlen(a->argv[i]) + 1;
    }
    put_word(&b, w, 0);
    w += 8;
    for (unsigned i = 0; i < a->envc; i++, w += 8) {
        put_word(&b, w, s);
        s += strlen(a->envp[i]) + 1;
    }
    if (s != strings_end)
        return -1;
    put_word(&b, w, 0);
    w += 8;
    for (unsigned i = 0; i < a->naux; i++, w += 16) {
        uint64_t type = a->aux[i][0], v = a->aux[i][1];
        if (type == AT_RANDOM)
            v = random;
        else if (type == AT_EXECFN)
            v = execfn;
        else if (type == AT_PLATFORM)
            v = platform;
        put_word(&b, w, type);
        put_word(&b, w + 8, v);
    }
    put_word(&b, w, AT_NULL);
    put_word(&b, w + 8, 0);
    *sp = start;
    return 0;
}
