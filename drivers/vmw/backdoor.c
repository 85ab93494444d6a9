/* drivers/vmw/: VMware's own devices and channels — the backdoor (this
 * file, rpci.c), PVSCSI (pvscsi*.c) and VMXNET3 (vmxnet3*.c).
 *
 * The backdoor port. An `in` there is harmless on VMware and on QEMU with
 * vmport, but may fault elsewhere: every access sits in the exception
 * fixup table, so a fault only makes the call report failure. */
#include <string.h>
#include "log.h"
#include "vmw_backdoor.h"

bool vmw_bdoor_call(struct bdoor_regs *r)
{
    uint32_t ok = 1;
    r->eax = BDOOR_MAGIC;
    r->edx = (r->edx & 0xffff0000u) | BDOOR_PORT;
    __asm__ volatile("1: inl %%dx, %%eax\n"
                     "   jmp 2f\n"
                     "3: xorl %[ok], %[ok]\n"
                     "2:\n"
                     ".pushsection .kestrel.extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 3b\n"
                     ".popsection\n"
                     : "+a"(r->eax), "+b"(r->ebx), "+c"(r->ecx), "+d"(r->edx), "+S"(r->esi), "+D"(r->edi),
                       [ok] "+r"(ok)
                     :
                     : "memory");
    return ok != 0;
}

/* The high-bandwidth port moves ECX bytes with rep outsb/insb; the cookie
 * halves travel in the register the buffer does not use and in EBP. */
static bool hb_out(void *ctx, struct bdoor_regs *r, const void *buf)
{
    uint32_t ok = 1;
    uint64_t src = (uint64_t)(uintptr_t)buf;
    uint32_t bp = r->ebp;
    r->eax = BDOOR_MAGIC;
    r->edx = (r->edx & 0xffff0000u) | BDOOR_HB_PORT;
    __asm__ volatile("push %%rbp\n"
                     "movl %[bp], %%ebp\n"
                     "1: rep outsb\n"
                     "   jmp 2f\n"
                     "3: xorl %[ok], %[ok]\n"
                     "2: pop %%rbp\n"
                     ".pushsection .kestrel.extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 3b\n"
                     ".popsection\n"
                     : "+a"(r->eax), "+b"(r->ebx), "+c"(r->ecx), "+d"(r->edx), "+S"(src), "+D"(r->edi),
                       [ok] "+r"(ok)
                     : [bp] "r"(bp)
                     : "memory");
    return ok != 0;
}

static bool hb_in(void *ctx, struct bdoor_regs *r, void *buf)
{
    uint32_t ok = 1;
    uint64_t dst = (uint64_t)(uintptr_t)buf;
    uint32_t bp = r->ebp;
    r->eax = BDOOR_MAGIC;
    r->edx = (r->edx & 0xffff0000u) | BDOOR_HB_PORT;
    __asm__ volatile("push %%rbp\n"
                     "movl %[bp], %%ebp\n"
                     "1: rep insb\n"
                     "   jmp 2f\n"
                     "3: xorl %[ok], %[ok]\n"
                     "2: pop %%rbp\n"
                     ".pushsection .kestrel.extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 3b\n"
                     ".popsection\n"
                     : "+a"(r->eax), "+b"(r->ebx), "+c"(r->ecx), "+d"(r->edx), "+S"(r->esi), "+D"(dst),
                       [ok] "+r"(ok)
                     : [bp] "r"(bp)
                     : "memory");
    return ok != 0;
}

static bool lb_call(void *ctx, struct bdoor_regs *r) { return vmw_bdoor_call(r); }

const struct rpci_port vmw_rpci_port = { lb_call, hb_out, hb_in, NULL };

static bool simple(uint32_t cmd, struct bdoor_regs *r)
{
    memset(r, 0, sizeof(*r));
    r->ebx = ~BDOOR_MAGIC;
    r->ecx = cmd;
    return vmw_bdoor_call(r);
}

/* Asked once: detection and platform set-up both want it, and each call
 * is a trip to the hypervisor. */
int64_t vmw_bdoor_version(void)
{
    static int64_t version;
    static bool asked;
    if (asked)
        return version;
    struct bdoor_regs r;
    asked = true;
    version = !simple(BDOOR_CMD_GETVERSION, &r) || r.ebx != BDOOR_MAGIC || r.eax == 0xffffffffu ? -1 : (int64_t)r.eax;
    return version;
}

int vmw_bdoor_gethz(uint64_t *tsc_hz, uint64_t *apic_hz)
{
    struct bdoor_regs r;
    /* EBX = all ones means "unsupported" (QEMU says so unless it knows the
     * host TSC rate, which it never does under TCG). */
    if (!simple(BDOOR_CMD_GETHZ, &r) || r.ebx == 0xffffffffu || r.eax == 0xffffffffu)
        return -1;
    uint64_t hz = (uint64_t)r.ebx << 32 | r.eax;
    if (hz < 1000000 || hz > 100000000000ull)
        return -1; /* not a plausible TSC rate */
    *tsc_hz = hz;
    *apic_hz = r.ecx;
    return 0;
}

void vmw_bdoor_log_info(void)
{
    struct bdoor_regs r;
    if (simple(BDOOR_CMD_GETBIOSUUID, &r) && r.eax != 0xffffffffu) {
        uint32_t w[4] = { r.eax, r.ebx, r.ecx, r.edx };
        uint8_t u[16];
        memcpy(u, w, sizeof(u));
        pr_debug("vmware: BIOS UUID %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", u[0],
                 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    }
    if (simple(BDOOR_CMD_GETMEMSIZE, &r) && r.eax != 0xffffffffu)
        pr_debug("vmware: GETMEMSIZE %u (MiB on VMware, bytes on QEMU)\n", r.eax);
}
