/* Ending the machine: power-off with a status (where the platform can carry
 * one), reboot. Platform descriptors supply the methods. */
#ifndef KESTREL_POWER_H
#define KESTREL_POWER_H

void power_off(int status) __attribute__((noreturn));
void power_reboot(void) __attribute__((noreturn));
void isa_debug_exit(int status);

#endif
