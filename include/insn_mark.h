/* Marks for bench/insn, the QEMU plugin that counts guest instructions: a
 * multi-byte no-op whose displacement carries "KI" and a 16-bit ID. It
 * touches no memory and costs one instruction on any x86-64 CPU, in kernel
 * or user mode, so Kestrel and the Linux guests' programs (which include
 * this file too) mark where an operation starts and ends the same way. */
#ifndef KESTREL_INSN_MARK_H
#define KESTREL_INSN_MARK_H

#define INSN_MARK_BASE 0x4b490000
/* The marks the benches use; the plugin reports any ID. */
#define INSN_MARK_START 1
#define INSN_MARK_END 2
#define INSN_MARK_START2 3
#define INSN_MARK_END2 4

#define insn_mark(id) __asm__ volatile("nopl %c0(%%rax)" : : "i"(INSN_MARK_BASE + (id)) : "memory")

#endif
