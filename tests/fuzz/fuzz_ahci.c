/* What an AHCI HBA and its disk write, from the fuzzer: IDENTIFY DEVICE
 * data (512 bytes), a received-FIS area, and the completion registers and
 * byte count of a command. Invariants: no crash or overread; an accepted
 * identity has a capacity within 48 bits, a power-of-two logical sector
 * size of 512 to 64 KiB, printable NUL-terminated strings; a command is
 * only accepted with the exact byte count (non-queued) and no error bits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../drivers/ahci/ahci_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    uint8_t id_data[512];
    uint8_t rfis[AHCI_RFIS_SIZE];
    memset(id_data, 0, sizeof(id_data));
    memset(rfis, 0, sizeof(rfis));
    memcpy(id_data, data, len < 512 ? len : 512);
    if (len > 512)
        memcpy(rfis, data + 512, len - 512 < sizeof(rfis) ? len - 512 : sizeof(rfis));
    struct ata_identity id;
    const char *why;
    if (ata_identify_parse(id_data, &id, &why) == 0) {
        if (id.sectors == 0 || (id.sectors >> 48) || id.sector_size < 512 || id.sector_size > 65536 ||
            (id.sector_size & (id.sector_size - 1)))
            abort();
        if (strlen(id.model) > 40 || strlen(id.serial) > 20)
            abort();
        for (const char *c = id.model; *c; c++)
            if (*c < 0x20 || *c > 0x7e)
                abort();
        if (id.ncq && (id.ncq_depth < 1 || id.ncq_depth > 32))
            abort();
    } else if (!why) {
        abort();
    }
    /* Completion registers from the tail of the input. */
    uint32_t regs[4] = { 0, 0, 0, 0 };
    if (len >= 16)
        memcpy(regs, data + len - 16, 16);
    struct ahci_outcome o = { regs[0], regs[1], regs[2], regs[3] & 0x7fffffff, (regs[3] >> 31) != 0,
                              (regs[0] & 1) ? rfis : NULL };
    if (ahci_check_outcome(&o, &why) == 0) {
        if ((o.is & PX_IS_FATAL) || (o.tfd & (ATA_STS_ERR | ATA_STS_DF)))
            abort();
        if (!o.ncq && o.prdbc != o.expected)
            abort();
    } else if (!why) {
        abort();
    }
    /* PRD tables for lengths and addresses from the input. */
    struct ahci_prd prd[AHCI_PRDS];
    uint64_t addr = (uint64_t)regs[1] << 32 | regs[2];
    int n = ahci_fill_prdt(prd, AHCI_PRDS, addr, regs[3]);
    if (n > 0) {
        uint64_t total = 0;
        for (int i = 0; i < n; i++)
            total += (uint64_t)prd[i].dbc + 1;
        if (total != regs[3])
            abort();
    }
    return 0;
}
