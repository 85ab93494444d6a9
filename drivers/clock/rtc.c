/* The CMOS real-time clock, read once for the time of day. */
#include "arch/x86.h"
#include "clock.h"
#include "log.h"

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned bcd(uint8_t v) { return (v & 0x0f) + (v >> 4) * 10; }

/* Days from 1970-01-01 to y-m-d in the Gregorian calendar, counted in
 * 400-year eras (146097 days each) with March as the first month so that
 * the leap day falls at the end of the year. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

uint64_t rtc_read_ns(void)
{
    /* Wait out an update in progress (at most ~2 ms once a second), then
     * read twice until two reads agree. */
    uint8_t r[7], prev[7];
    int tries = 0;
    for (;;) {
        for (int i = 0; i < 100000 && (cmos(0x0a) & 0x80); i++)
            cpu_relax();
        r[0] = cmos(0x00);
        r[1] = cmos(0x02);
        r[2] = cmos(0x04);
        r[3] = cmos(0x07);
        r[4] = cmos(0x08);
        r[5] = cmos(0x09);
        r[6] = cmos(0x32);
        if (tries++ && __builtin_memcmp(r, prev, sizeof(r)) == 0)
            break;
        __builtin_memcpy(prev, r, sizeof(r));
        if (tries > 10)
            return 0;
    }
    uint8_t status_b = cmos(0x0b);
    if (r[0] == 0xff && r[5] == 0xff)
        return 0; /* no RTC */
    int is_bcd = !(status_b & 0x04);
    unsigned sec = is_bcd ? bcd(r[0]) : r[0], min = is_bcd ? bcd(r[1]) : r[1];
    unsigned pm = r[2] & 0x80, hour = is_bcd ? bcd(r[2] & 0x7f) : (r[2] & 0x7f);
    unsigned day = is_bcd ? bcd(r[3]) : r[3], mon = is_bcd ? bcd(r[4]) : r[4];
    unsigned year = is_bcd ? bcd(r[5]) : r[5], century = is_bcd ? bcd(r[6]) : r[6];
    if (!(status_b & 0x02)) { /* 12-hour mode */
        hour %= 12;
        if (pm)
            hour += 12;
    }
    if (century < 19 || century > 30)
        century = 20;
    if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || mon < 1 || mon > 12) {
        pr_warn("rtc: nonsense date %u-%u-%u %u:%u:%u ignored\n", year, mon, day, hour, min, sec);
        return 0;
    }
    int64_t days = days_from_civil(century * 100 + year, mon, day);
    return (uint64_t)((days * 86400 + hour * 3600 + min * 60 + sec)) * 1000000000ull;
}
