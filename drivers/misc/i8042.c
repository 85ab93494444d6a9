/* The i8042 keyboard controller as a stop source: Firecracker's only way
 * to ask a guest to stop is Ctrl-Alt-Del on it (SendCtrlAltDel), which
 * Linux treats as a reboot request and Firecracker ends the VM on the
 * reboot. Bound only on platforms that say they have one (.i8042_cad). */
#include "arch/x86.h"
#include "driver.h"
#include "i8042_keys.h"
#include "irq.h"
#include "log.h"
#include "platform.h"
#include "stop.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64 /* status on read */
#define ST_OBF 0x01    /* output buffer full */
#define ST_IBF 0x02    /* input buffer full: wait before writing */
#define ST_AUX 0x20    /* the byte is from the mouse port */
#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_KBD_ENABLE 0xae
#define CTR_KBD_INT 0x01
#define CTR_KBD_DISABLE 0x10
#define SPIN_LIMIT 100000
#define FLUSH_LIMIT 32

static struct cad_state keys;

static int wait_input_empty(void)
{
    for (int i = 0; i < SPIN_LIMIT; i++) {
        if (!(inb(I8042_CMD) & ST_IBF))
            return 0;
    }
    return -1;
}

static int read_data(uint8_t *v)
{
    for (int i = 0; i < SPIN_LIMIT; i++) {
        if (inb(I8042_CMD) & ST_OBF) {
            *v = inb(I8042_DATA);
            return 0;
        }
    }
    return -1;
}

static void kbd_irq(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    for (int i = 0; i < FLUSH_LIMIT; i++) {
        uint8_t st = inb(I8042_CMD);
        if (!(st & ST_OBF))
            return;
        uint8_t b = inb(I8042_DATA);
        if (!(st & ST_AUX) && cad_feed(&keys, b))
            stop_request(STOP_REBOOT, "Ctrl-Alt-Del on the i8042 keyboard");
    }
}

static void i8042_init(void)
{
    const struct platform *p = platform_current();
    if (!p || !p->i8042_cad || inb(I8042_CMD) == 0xff)
        return;
    for (int i = 0; i < FLUSH_LIMIT && (inb(I8042_CMD) & ST_OBF); i++)
        (void)inb(I8042_DATA);
    uint8_t ctr;
    if (wait_input_empty() < 0 || (outb(I8042_CMD, CMD_READ_CTR), read_data(&ctr) < 0)) {
        pr_warn("i8042: the controller does not answer\n");
        return;
    }
    if (irq_attach_isa(1, 0, kbd_irq, NULL) < 0) {
        pr_warn("i8042: cannot route IRQ 1\n");
        return;
    }
    ctr = (uint8_t)((ctr | CTR_KBD_INT) & ~CTR_KBD_DISABLE);
    if (wait_input_empty() == 0)
        outb(I8042_CMD, CMD_WRITE_CTR);
    if (wait_input_empty() == 0)
        outb(I8042_DATA, ctr);
    if (wait_input_empty() == 0)
        outb(I8042_CMD, CMD_KBD_ENABLE);
    pr_info("i8042: keyboard interrupts on, Ctrl-Alt-Del requests a stop\n");
}

DRIVER_INIT(i8042) = { "i8042", i8042_init };
