/* Ending the machine: power-off with a status (where the platform can carry
 * one) and reboot. Platform descriptors pick among the methods here; the
 * ACPI facts they need are handed over once firmware has been read. */
#ifndef KESTREL_POWER_H
#define KESTREL_POWER_H
#include <stdbool.h>
#include <stdint.h>

/* ACPI generic address (the subset power needs): I/O port or memory. */
struct power_reg {
    uint8_t space; /* 0 memory, 1 I/O port; anything else: absent */
    uint64_t addr;
};

struct power_acpi {
    bool s5_valid;
    uint8_t slp_typ_a, slp_typ_b;   /* from the DSDT's \_S5 package */
    uint16_t pm1a_cnt, pm1b_cnt;    /* PM1 control block ports (0: absent) */
    bool hw_reduced;                /* use the sleep control register instead */
    struct power_reg sleep_control; /* hardware-reduced ACPI */
    struct power_reg reset;         /* FADT reset register */
    uint8_t reset_value;
    bool reset_valid;
};

void power_set_acpi(const struct power_acpi *a);

void power_off(int status) __attribute__((noreturn));
void power_reboot(void) __attribute__((noreturn));

/* Methods for platform descriptors; each returns if it could not act. */
void isa_debug_exit(int status);
void power_off_acpi_or_reset(int status);
void power_off_qemu(int status); /* isa-debug-exit (carries the status), then ACPI */
void power_off_firecracker(int status);
void power_reboot_pc(void);
bool power_acpi_available(void);

#endif
