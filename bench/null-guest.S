/* The smallest PVH guest: exit through isa-debug-exit at once. bench/boot
 * uses it to measure what QEMU itself costs to start and stop a VM. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4, 8, 18
    .asciz "Xen"
    .balign 4
    .quad start
    .balign 4

    .text
    .code32
    .globl start
start:
    movw $0xf4, %dx
    xorl %eax, %eax
    outl %eax, %dx
1:  hlt
    jmp 1b
