/* arch/x86_64/: entry points, CPU tables, paging, interrupts and context switch.
 * boot.S holds both entry points (PVH note, multiboot2 header) and the climb to long mode. */

#include <xen/elfnote.h>

#define BOOT_PROTO_PVH 1
#define BOOT_PROTO_MB2 2
#define MB2_BOOT_MAGIC 0x36d76289
#define COM1 0x3f8

/* Multiboot2 header: must sit in the first 32 KiB of the file, 8-aligned. */
    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long 0xe85250d6
    .long 0
    .long mb2_header_end - mb2_header
    .long -(0xe85250d6 + (mb2_header_end - mb2_header))
    .short 0, 0
    .long 8
mb2_header_end:

/* XEN_ELFNOTE_PHYS32_ENTRY: QEMU, Xen and Firecracker enter here in 32-bit
 * protected mode, paging off, %ebx = hvm_start_info. QEMU reads the value
 * as 8 bytes, so it is a .quad. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .quad pvh_start32
    .balign 4

    .section .boot32, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    movl $BOOT_PROTO_PVH, %esi
    jmp start32

    .globl mb2_start32
mb2_start32:
    movl $BOOT_PROTO_MB2, %esi
    cmpl $MB2_BOOT_MAGIC, %eax
    je start32
    movl $0, %esi

start32:
    cli
    cld
    /* TSC at entry, for the bootchart. */
    movl %ebx, boot_info_ptr   /* cpuid below clobbers %ebx */
    rdtsc
    movl %eax, boot_entry_tsc
    movl %edx, boot_entry_tsc + 4

    /* Loaders zero .bss, but the spec does not promise it: do it ourselves,
     * 64 bytes a pass (kernel.ld aligns both ends): under TCG each pass of
     * a loop costs a block's dispatch, and `rep stosl` pays it per 4 bytes. */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    xorl %eax, %eax
8:  cmpl %ecx, %edi
    jae 9f
    .irp off, 0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60
    movl %eax, \off(%edi)
    .endr
    addl $64, %edi
    jmp 8b
9:

    movl $boot_stack_top, %esp

    /* Long mode is required: say so on COM1 instead of dying silently. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx
    jnc no_long_mode
    movl %edx, %ebp            /* keep the NX bit (20) for EFER below */

    /* Identity-map the low 4 GiB with 2 MiB pages; C code builds the real tables. */
    movl $boot_pdpt, %eax
    orl $3, %eax
    movl %eax, boot_pml4
    movl $boot_pd, %eax
    orl $3, %eax
    movl $boot_pdpt, %edx
    movl $4, %ecx
1:  movl %eax, (%edx)
    addl $4096, %eax
    addl $8, %edx
    loop 1b
    movl $boot_pd, %edx
    movl $0x83, %eax
    movl $2048, %ecx
2:  movl %eax, (%edx)
    addl $0x200000, %eax
    addl $8, %edx
    loop 2b

    movl %cr4, %eax
    orl $0x20, %eax            /* PAE */
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx     /* EFER */
    rdmsr
    orl $0x100, %eax           /* LME */
    btl $20, %ebp
    jnc 3f
    orl $0x800, %eax           /* NXE */
3:  wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax      /* PG | WP | PE */
    movl %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $0x08, $start64

no_long_mode:
    movl $no_lm_msg, %ebx
4:  movb (%ebx), %al
    testb %al, %al
    jz 6f
    movw $COM1 + 5, %dx
5:  inb %dx, %al
    testb $0x20, %al
    jz 5b
    movb (%ebx), %al
    movw $COM1, %dx
    outb %al, %dx
    incl %ebx
    jmp 4b
6:  hlt
    jmp 6b

    .code64
start64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl %esi, %edi            /* protocol */
    movl boot_info_ptr, %esi   /* protocol's info pointer (zero-extended) */
    call kmain
7:  hlt
    jmp 7b

    .section .rodata
no_lm_msg:
    .asciz "kestrel: this CPU has no long mode (x86-64); cannot boot\r\n"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff   /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff   /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .data
    .balign 8
    .globl boot_entry_tsc
boot_entry_tsc:
    .quad 0
boot_info_ptr:
    .long 0

    .bss
    .balign 4096
    .globl boot_pml4
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096 * 4
    .globl boot_stack_bottom
boot_stack_bottom:
    .skip 16384
    .globl boot_stack_top
boot_stack_top:
