/* The virtio (and VMware pvscsi/vmxnet3) modules of Debian's cloud kernel, loaded by the Linux bench
 * guests' inits from /modules in the initramfs (bench/blk, bench/net). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *modules[] = { "virtio", "virtio_ring", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                                 "virtio_pci", "virtio_mmio", "virtio_blk", "failover", "net_failover",
                                 "virtio_net",
                                 /* AHCI and e1000 (generic kernel only; absent files are skipped) */
                                 "scsi_common", "scsi_mod", "libata", "libahci", "ahci", "crct10dif_common",
                                 "crct10dif_generic", "crc-t10dif", "crc64", "crc64_rocksoft_generic",
                                 "crc64-rocksoft", "t10-pi", "sd_mod", "e1000",
                                 /* pvscsi and vmxnet3 (the vmware preset) */
                                 "vmw_pvscsi", "vmxnet3", NULL };

/* Passes over the list until nothing more loads: no dependency file needed. */
static void load_modules(void)
{
    int loaded[64] = { 0 }, progress = 1;
    while (progress) {
        progress = 0;
        for (int i = 0; modules[i]; i++) {
            if (loaded[i])
                continue;
            char path[128];
            snprintf(path, sizeof(path), "/modules/%s.ko", modules[i]);
            int fd = open(path, O_RDONLY);
            if (fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == 0)
                loaded[i] = progress = 1;
            if (fd >= 0)
                close(fd);
        }
    }
    for (int i = 0; modules[i]; i++) {
        char path[128];
        snprintf(path, sizeof(path), "/modules/%s.ko", modules[i]);
        if (!loaded[i] && access(path, R_OK) == 0)
            printf("linux-bench: module %s not loaded\n", modules[i]);
    }
}

