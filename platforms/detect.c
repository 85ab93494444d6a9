/* Platform scoring (pure logic, host-tested): helpers the descriptors use
 * and the choice of the best descriptor. */
#include <string.h>
#include "platform.h"

int str_has(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return 0;
    for (; *haystack; haystack++) {
        if (strncmp(haystack, needle, n) == 0)
            return 1;
    }
    return 0;
}

void detect_add(struct detect_result *r, int points, const char *signal)
{
    r->score += points;
    size_t len = strlen(r->why), n = strlen(signal);
    if (len && len + 2 < sizeof(r->why)) {
        memcpy(r->why + len, ", ", 3);
        len += 2;
    }
    if (len + n >= sizeof(r->why))
        n = sizeof(r->why) - 1 - len;
    memcpy(r->why + len, signal, n);
    r->why[len + n] = 0;
}

const struct platform *platform_best(const struct platform *const *list, size_t n,
                                     const struct platform_signals *s, struct detect_result *why)
{
    const struct platform *best = NULL;
    memset(why, 0, sizeof(*why));
    why->score = -1;
    for (size_t i = 0; i < n; i++) {
        struct detect_result r;
        memset(&r, 0, sizeof(r));
        if (list[i]->detect)
            list[i]->detect(s, &r);
        if (r.score > why->score) {
            *why = r;
            best = list[i];
        }
    }
    return best;
}

uint32_t signals_pci_id(const struct platform_signals *s, uint16_t vendor, uint16_t device)
{
    for (unsigned i = 0; i < s->n_pci_ids && i < PLATFORM_MAX_PCI_IDS; i++) {
        uint32_t id = s->pci_ids[i];
        if (id >> 16 == vendor && (device == 0xffff || (id & 0xffff) == device))
            return id;
    }
    return 0;
}

unsigned platform_bus_plan(unsigned buses, bool ecam, bool nopci, bool xen)
{
    unsigned plan = buses & (BUS_PROBE_MMIO_CMDLINE | BUS_PROBE_MMIO_ACPI);
    if ((buses & BUS_PROBE_XENBUS) && xen)
        plan |= BUS_PROBE_XENBUS;
    if (((buses & BUS_PROBE_PCI) || ((buses & BUS_PROBE_PCI_IF_ECAM) && ecam)) && !nopci)
        plan |= BUS_PROBE_PCI;
    return plan;
}
