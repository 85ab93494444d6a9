/* pvclock arithmetic (pure logic, host-tested): see pvclock.h. */
#include "pvclock.h"

uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else if (shift > 0)
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pvclock_read(const volatile struct pvclock_time_info *ti, uint64_t (*read_tsc)(void),
                      uint8_t *flags_out)
{
    uint32_t v;
    uint64_t ns;
    uint8_t flags;
    do {
        v = ti->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint64_t tsc = read_tsc();
        uint64_t stamp = ti->tsc_timestamp;
        uint64_t delta = tsc > stamp ? tsc - stamp : 0;
        ns = ti->system_time + pvclock_scale(delta, ti->tsc_to_system_mul, ti->tsc_shift);
        flags = ti->flags;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != ti->version);
    if (flags_out)
        *flags_out = flags;
    return ns;
}

uint64_t pvclock_monotonic(uint64_t ns, uint8_t flags, uint64_t *last)
{
    if (flags & PVCLOCK_TSC_STABLE)
        return ns;
    uint64_t prev = __atomic_load_n(last, __ATOMIC_RELAXED);
    do {
        if (ns <= prev)
            return prev;
    } while (!__atomic_compare_exchange_n(last, &prev, ns, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return ns;
}

uint64_t pvclock_tsc_hz(uint32_t mul, int8_t shift)
{
    if (mul == 0)
        return 0;
    uint64_t hz = (1000000000ull << 32) / mul;
    if (shift < 0)
        hz <<= -shift;
    else if (shift > 0)
        hz >>= shift;
    return hz;
}

uint64_t pvclock_wall_ns(const volatile struct pvclock_wall_clock *wc, uint64_t system_ns)
{
    uint32_t v, sec, nsec;
    do {
        v = wc->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        sec = wc->sec;
        nsec = wc->nsec;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((v & 1) || v != wc->version);
    return (uint64_t)sec * 1000000000ull + nsec + system_ns;
}
