/* SMBIOS 2.x (_SM_ with _DMI_) and 3.x (_SM3_) entry points; the structure
 * walk keeps type 0 (BIOS vendor, version) and type 1 (system manufacturer,
 * product, version, serial, UUID). */
#include <string.h>
#include "firmware.h"
#include "log.h"

#define SMBIOS_MAX_TABLE (1u << 20)

/* The index-th string of a structure (1-based), bounded by end. */
static void get_string(const uint8_t *strings, const uint8_t *end, unsigned index, char *out)
{
    out[0] = 0;
    if (index == 0)
        return;
    const uint8_t *s = strings;
    for (unsigned i = 1; s < end && *s; i++) {
        size_t n = strnlen((const char *)s, (size_t)(end - s));
        if (i == index) {
            size_t k = n < MACHINE_STR - 1 ? n : MACHINE_STR - 1;
            for (size_t j = 0; j < k; j++)
                out[j] = (s[j] >= 0x20 && s[j] < 0x7f) ? (char)s[j] : '?';
            out[k] = 0;
            return;
        }
        s += n + 1;
    }
}

int smbios_parse_structures(struct machine *m, const uint8_t *t, uint32_t len, unsigned max_count)
{
    uint32_t off = 0;
    for (unsigned n = 0; n < max_count && off + 4 <= len; n++) {
        const uint8_t *s = t + off;
        uint8_t type = s[0], hlen = s[1];
        if (hlen < 4 || hlen > len - off) {
            pr_warn("smbios: structure %u has a bad length %u\n", n, hlen);
            return -1;
        }
        /* The string set ends with two NULs, inside the table. */
        const uint8_t *strings = s + hlen, *end = t + len, *q = strings;
        while (q + 1 < end && !(q[0] == 0 && q[1] == 0))
            q++;
        if (q + 1 >= end) {
            pr_warn("smbios: structure %u's strings run past the table\n", n);
            return -1;
        }
        if (type == 0 && hlen >= 6) {
            get_string(strings, q + 1, s[4], m->bios_vendor);
            get_string(strings, q + 1, s[5], m->bios_version);
        } else if (type == 1 && hlen >= 8) {
            get_string(strings, q + 1, s[4], m->sys_vendor);
            get_string(strings, q + 1, s[5], m->sys_product);
            get_string(strings, q + 1, s[6], m->sys_version);
            get_string(strings, q + 1, s[7], m->sys_serial);
            if (hlen >= 0x18) {
                memcpy(m->uuid, s + 8, 16);
                m->uuid_valid = true;
            }
        } else if (type == 127) {
            break;
        }
        off = (uint32_t)(q + 2 - t);
    }
    return 0;
}

static int parse_table(struct machine *m, const struct fw_mem *mem, uint64_t addr, uint32_t len, unsigned count)
{
    if (len == 0 || len > SMBIOS_MAX_TABLE) {
        pr_warn("smbios: structure table length %u is absurd\n", len);
        return -1;
    }
    const uint8_t *t = mem->map(mem->ctx, addr, len);
    if (!t) {
        pr_warn("smbios: structure table at %#llx+%u is not in memory\n", (unsigned long long)addr, len);
        return -1;
    }
    return smbios_parse_structures(m, t, len, count);
}

/* One entry point at e (phys for messages): 0 filled m, -1 not an entry
 * point or a bad one, -2 an entry point whose structure table is bad. */
static int entry_point(struct machine *m, const struct fw_mem *mem, const uint8_t *e, uint64_t phys)
{
    /* Both anchors start "_SM": the BIOS scan's 4,096 positions mostly end
     * here (they were a tenth of a microvm boot's instructions, with no
     * SMBIOS at all). */
    if (e[0] != '_' || e[1] != 'S' || e[2] != 'M')
        return -1;
    if (memcmp(e, "_SM3_", 5) == 0) {
        if (e[6] < 0x18 || e[6] > 0x20 || fw_checksum(e, e[6]) != 0) {
            pr_warn("smbios: 3.x entry point at %#llx has a bad length or checksum\n", (unsigned long long)phys);
            return -1;
        }
        m->smbios_major = e[7];
        m->smbios_minor = e[8];
        if (parse_table(m, mem, fw_le64(e + 16), fw_le32(e + 12), 0xffff) < 0)
            return -2;
        m->smbios = true;
        return 0;
    }
    if (memcmp(e, "_SM_", 4) == 0) {
        if (e[5] < 0x1e || e[5] > 0x20 || fw_checksum(e, e[5]) != 0 || memcmp(e + 16, "_DMI_", 5) != 0 ||
            fw_checksum(e + 16, 15) != 0) {
            pr_warn("smbios: 2.x entry point at %#llx has a bad checksum\n", (unsigned long long)phys);
            return -1;
        }
        m->smbios_major = e[6];
        m->smbios_minor = e[7];
        if (parse_table(m, mem, fw_le32(e + 24), fw_le16(e + 22), fw_le16(e + 28)) < 0)
            return -2;
        m->smbios = true;
        return 0;
    }
    return -1;
}

int smbios_probe(struct machine *m, const struct fw_mem *mem)
{
    const uint8_t *area = mem->map(mem->ctx, 0xf0000, 0x10000);
    if (!area)
        return -1;
    for (uint32_t off = 0; off + 0x20 <= 0x10000; off += 16) {
        int rc = entry_point(m, mem, area + off, 0xf0000 + off);
        if (rc != -1)
            return rc == 0 ? 0 : -1;
    }
    return -1;
}

/* EFI configuration-table GUIDs, in their in-memory byte order. */
static const uint8_t smbios3_guid[16] = { 0x44, 0x15, 0xfd, 0xf2, 0x94, 0x97, 0x2c, 0x4a,
                                          0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 };
static const uint8_t smbios2_guid[16] = { 0x31, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
                                          0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d };

int smbios_probe_efi(struct machine *m, const struct fw_mem *mem, uint64_t systab)
{
    const uint8_t *guids[] = { smbios3_guid, smbios2_guid };
    for (unsigned i = 0; i < 2; i++) {
        uint64_t phys = efi_config_table(mem, systab, guids[i]);
        if (!phys)
            continue;
        /* A 3.x entry point is 0x18 bytes, a 2.x one 0x1f: map what the larger needs. */
        const uint8_t *e = mem->map(mem->ctx, phys, 0x20);
        if (!e) {
            pr_warn("smbios: entry point at %#llx is not in memory\n", (unsigned long long)phys);
            continue;
        }
        int rc = entry_point(m, mem, e, phys);
        if (rc != -1)
            return rc == 0 ? 0 : -1;
    }
    return -1;
}
