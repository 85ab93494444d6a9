/* virtio_mmio.device=<size>@<base>:<irq>[:<id>] as QEMU and Firecracker write it. */
#include "check.h"
#include "virtio_mmio.h"

int main(void)
{
    uint64_t base, size;
    uint32_t irq;
    CHECK_EQ(virtio_mmio_parse("512@0xfeb00e00:12", &base, &size, &irq), 0);
    CHECK_EQ(base, 0xfeb00e00);
    CHECK_EQ(size, 512);
    CHECK_EQ(irq, 12);
    CHECK_EQ(virtio_mmio_parse("4K@0xd0000000:5", &base, &size, &irq), 0); /* Firecracker's form */
    CHECK_EQ(size, 4096);
    CHECK_EQ(base, 0xd0000000);
    CHECK_EQ(virtio_mmio_parse("0x1000@3489660928:7:2", &base, &size, &irq), 0);
    CHECK_EQ(base, 3489660928ull);
    CHECK_EQ(irq, 7);
    CHECK_EQ(virtio_mmio_parse("1M@0x100000000:40", &base, &size, &irq), 0);
    CHECK_EQ(size, 1 << 20);
    const char *bad[] = {
        "", "512", "512@", "512@0xfeb00e00", "512@0xfeb00e00:", "512@0xfeb00e00:12x", "x@0x1000:5",
        "512@0xfeb00e00:0",              /* no IRQ 0 */
        "512@0xfeb00e00:256",            /* beyond any IO-APIC */
        "16@0xfeb00e00:5",               /* smaller than the register block */
        "512@0:5",                       /* base 0 */
        "512@0xfeb00e01:5",              /* misaligned */
        "99999999999G@0x1000:5",         /* size overflows */
        "512@0xffffffffffffffff:5",      /* wraps */
        "512@0x99999999999999999999:5",  /* number overflows */
        "512@0xfeb00e00:12:",            /* empty id */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = virtio_mmio_parse(bad[i], &base, &size, &irq);
        if (rc != -1)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK_EQ(rc, -1);
    }
    CHECK_EQ(virtio_mmio_parse(NULL, &base, &size, &irq), -1);
    return check_report("test_virtio_mmio_param");
}
