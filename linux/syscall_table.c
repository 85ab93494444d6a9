/* linux/: the Linux ABI. Loader, process image, system-call entry and this
 * one table indexed by x86-64 system-call number; one file per call family. */
#include "abi.h"

static const syscall_fn table[] = {
    /* [number] = sys_name, in number order; families add their calls here. */
    [0] = 0,
};

long syscall_dispatch(unsigned long nr, const struct sysargs *s)
{
    if (nr >= sizeof table / sizeof table[0] || !table[nr])
        return -ENOSYS;
    return table[nr](s);
}
