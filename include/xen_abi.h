/* Xen's public interface as Debian's libxen-dev ships it (/usr/include/xen,
 * reached through build/xen-include, a directory holding only xen/): every
 * hypercall number, structure and ring layout the Xen drivers use comes
 * from there. The build defines __XEN_INTERFACE_VERSION__ (Xen 4.17's);
 * this file supplies what the headers expect of their includer: the
 * fixed-width types first, and the barriers io/ring.h's macros use. */
#ifndef KESTREL_XEN_ABI_H
#define KESTREL_XEN_ABI_H
#include <stddef.h>
#include <stdint.h>

#ifndef __XEN_INTERFACE_VERSION__
#error "build with -D__XEN_INTERFACE_VERSION__ (see the Makefile's XEN_CFLAGS)"
#endif

/* Shared rings are written by another domain on another CPU: full fences,
 * ordered for the CPU and not only for the compiler. */
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#include <xen/xen.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/event_channel.h>
#include <xen/features.h>
#include <xen/grant_table.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/version.h>
#include <xen/io/blkif.h>
#include <xen/io/console.h>
#include <xen/io/netif.h>
#include <xen/io/protocols.h>
#include <xen/io/ring.h>
#include <xen/io/xenbus.h>

#endif
