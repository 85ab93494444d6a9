/* Runs every registered driver's init, in link order. */
#include "driver.h"

extern const struct driver_init *const __start_kestrel_drivers[], *const __stop_kestrel_drivers[];

void drivers_init(void)
{
    for (const struct driver_init *const *d = __start_kestrel_drivers; d < __stop_kestrel_drivers; d++)
        (*d)->init();
}
