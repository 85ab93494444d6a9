/* Running an unmodified Linux program (linux/, docs/linux-abi.md): the
 * kernel command line's first word after the options, when it is an
 * absolute path, names a static x86-64 ELF executable on the VFS. */
#ifndef KESTREL_LINUX_H
#define KESTREL_LINUX_H
#include <stdbool.h>
#include "cmdline.h"

/* argv[0] names a program on the VFS (starts with '/'). */
bool linux_exec_requested(const struct kernel_options *o);

/* Loads that program and runs it in ring 3 on the calling thread (whose
 * stack becomes its kernel stack). Returns only when it could not start:
 * the exit status (126: not runnable, 127: not found). */
int linux_exec_main(const struct kernel_options *o);

#endif
