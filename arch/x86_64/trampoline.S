/* Application-processor start-up code. It is copied to TRAMPOLINE_PHYS
 * (0x8000) and entered in real mode by the startup IPI; it climbs to long
 * mode with the kernel's page tables and jumps to ap_start64 in the kernel.
 * Addresses inside it are computed from its load address. */

#define TRAMPOLINE_PHYS 0x8000
#define REL(x) ((x) - smp_trampoline_start + TRAMPOLINE_PHYS)

    .section .rodata
    .balign 16
    .globl smp_trampoline_start
smp_trampoline_start:
    .code16
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl REL(tramp_gdt_ptr)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $REL(tramp32)

    .code32
tramp32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $0x20, %eax                 /* PAE */
    movl %eax, %cr4
    movl REL(tramp_cr3), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx          /* EFER */
    rdmsr
    orl REL(tramp_efer), %eax       /* LME, and NXE when the BSP uses it */
    wrmsr
    movl %cr0, %eax
    orl $0x80010000, %eax           /* PG | WP */
    movl %eax, %cr0
    ljmp $0x18, $ap_start64

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
    .quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
tramp_gdt_ptr:
    .short 31
    .long REL(tramp_gdt)
    .balign 8
    .globl smp_tramp_params
smp_tramp_params:                   /* filled by smp.c, see struct tramp_params */
tramp_cr3:
    .long 0
tramp_efer:
    .long 0
tramp_stack:
    .quad 0
tramp_cpu:
    .quad 0
    .globl smp_trampoline_end
smp_trampoline_end:

    .text
    .code64
/* Long mode, kernel page tables, but still the trampoline's GDT. */
ap_start64:
    movq $REL(tramp_stack), %rax
    movq (%rax), %rsp
    movq $REL(tramp_cpu), %rax
    movq (%rax), %rdi
    xorl %ebp, %ebp
    call ap_entry
1:  hlt
    jmp 1b
