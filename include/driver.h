/* Driver registration: each driver adds itself to a linker-section table
 * and core calls every entry after platform and clock set-up; the driver
 * decides from the platform and firmware facts whether it has a device. */
#ifndef KESTREL_DRIVER_H
#define KESTREL_DRIVER_H

struct driver_init {
    const char *name;
    void (*init)(void);
};

#define DRIVER_INIT(var)                                                                        \
    static const struct driver_init var;                                                        \
    static const struct driver_init *const var##_entry                                          \
        __attribute__((used, section(".kestrel.drivers." #var))) = &var;                        \
    static const struct driver_init var

void drivers_init(void);

#endif
