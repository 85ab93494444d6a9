/* Stage 2 of Kestrel's BIOS loader, at the start of the BIOS boot partition:
 * loads the kernel's flat image (made from its ELF by scripts/mkimage) to its
 * physical address with INT 13h reads and INT 15h AH=87h copies, builds
 * multiboot2 information (command line, E820 memory map), enables A20 and
 * enters the kernel's multiboot2 entry in 32-bit protected mode. */

#define STAGE2_ADDR 0x8000
#define BUF_SEG 0x2000          /* read buffer at 0x20000 */
#define BUF_PHYS 0x20000
#define CHUNK 120               /* sectors per read: under 64 KiB, one INT 15h copy */
#define MBI_SEG 0x1000          /* multiboot2 information at 0x10000 */
#define MBI_PHYS 0x10000
#define MB2_MAGIC 0x36d76289
#define CMDLINE_MAX 2048

    .code16
    .section .text
    .globl _start
_start:
    jmp start2
    .org 8
    /* Parameters, patched by scripts/mkimage (kestrel_disk.py: STAGE2_PARAMS). */
params:
    .ascii "KSTRLDR1"
kernel_lba: .quad 0         /* first sector of the flat image */
kernel_sectors: .long 0
load_addr: .long 0          /* physical address of its first byte */
entry: .long 0              /* multiboot2 entry point */
cmdline_len: .long 0        /* bytes, NUL included */
cmdline: .space CMDLINE_MAX

start2:
    movb %dl, drive

    /* A20: the BIOS call, then the fast gate as a fallback. */
    movw $0x2401, %ax
    int $0x15
    inb $0x92, %al
    testb $2, %al
    jnz 1f
    orb $2, %al
    andb $0xfe, %al
    outb %al, $0x92
1:
    /* Load the flat image chunk by chunk. */
load_loop:
    movl kernel_sectors, %ecx
    testl %ecx, %ecx
    jz loaded
    cmpl $CHUNK, %ecx
    jbe 2f
    movl $CHUNK, %ecx
2:  movw %cx, dap_count
    movl kernel_lba, %eax
    movl %eax, dap_lba
    movl kernel_lba + 4, %eax
    movl %eax, dap_lba + 4
    movw $dap, %si
    movb $0x42, %ah
    movb drive, %dl
    pushw %cx
    int $0x13
    popw %cx
    jc read_failed
    /* Copy cx sectors from the buffer to load_addr (INT 15h AH=87h: cx words). */
    movl load_addr, %eax
    movw %ax, gdt87_dst + 2
    shrl $16, %eax
    movb %al, gdt87_dst + 4
    movb %ah, gdt87_dst + 7
    pushw %cx
    shlw $8, %cx
    movw $gdt87, %si
    xorw %ax, %ax
    movw %ax, %es
    movb $0x87, %ah
    int $0x15
    popw %cx
    jc copy_failed
    movzwl %cx, %ecx
    subl %ecx, kernel_sectors
    addl %ecx, kernel_lba
    adcl $0, kernel_lba + 4
    shll $9, %ecx
    addl %ecx, load_addr
    jmp load_loop

loaded:
    /* Multiboot2 information at MBI_SEG:0: header, command line, memory map, end. */
    movw $MBI_SEG, %ax
    movw %ax, %es
    movw $8, %di
    movl $1, %es:(%di)                  /* tag 1: command line */
    movl cmdline_len, %ecx
    leal 8(%ecx), %eax
    movl %eax, %es:4(%di)
    addw $8, %di
    movw $cmdline, %si
    cld
    rep movsb
    addw $7, %di
    andw $0xfff8, %di

    movw %di, mmap_tag
    movl $6, %es:(%di)                  /* tag 6: memory map, 24-byte entries */
    movl $24, %es:8(%di)
    movl $0, %es:12(%di)
    addw $16, %di
    xorl %ebx, %ebx
e820_loop:
    movl $0, %es:20(%di)                /* ACPI 3 attributes: the reserved word here */
    movl $0xe820, %eax
    movl $0x534d4150, %edx              /* 'SMAP' */
    movl $24, %ecx
    int $0x15
    jc e820_done
    cmpl $0x534d4150, %eax
    jne e820_done
    cmpl $20, %ecx
    jb e820_next
    movl $0, %es:20(%di)
    addw $24, %di
    cmpw $0x8000, %di                   /* room for a thousand entries: plenty */
    jae e820_done
e820_next:
    testl %ebx, %ebx
    jnz e820_loop
e820_done:
    movw mmap_tag, %si
    movw %di, %ax
    subw %si, %ax
    movzwl %ax, %eax
    movl %eax, %es:4(%si)               /* the map tag's size */
    cmpl $16, %eax
    je no_e820
    movl $0, %es:(%di)                  /* end tag */
    movl $8, %es:4(%di)
    addw $8, %di
    movzwl %di, %eax
    movl %eax, %es:0                    /* total size */
    movl $0, %es:4

    /* Protected mode, flat segments, into the kernel with the multiboot2 state. */
    cli
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl gdt_desc
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $pm32

no_e820:
    movw $msg_e820, %si
    jmp fail
copy_failed:
    movw $msg_copy, %si
    jmp fail
read_failed:
    movw $msg_read, %si
fail:
    call serial_puts
1:  cli
    hlt
    jmp 1b

/* Writes the string at ds:si to COM1 (the console Kestrel uses everywhere). */
serial_puts:
    pushw %dx
1:  lodsb
    testb %al, %al
    jz 3f
    movb %al, %ah
    movw $0x3fd, %dx
2:  inb %dx, %al
    testb $0x20, %al
    jz 2b
    movw $0x3f8, %dx
    movb %ah, %al
    outb %al, %dx
    jmp 1b
3:  popw %dx
    ret

    .code32
pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl entry, %ecx
    movl $MB2_MAGIC, %eax
    movl $MBI_PHYS, %ebx
    jmp *%ecx

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff    /* 0x08: 32-bit code, flat */
    .quad 0x00cf92000000ffff    /* 0x10: data, flat */
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt

    /* INT 15h AH=87h descriptor table: two empty, source, destination, two for the BIOS. */
    .balign 8
gdt87:
    .quad 0, 0
gdt87_src:
    .word 0xffff, BUF_PHYS & 0xffff
    .byte BUF_PHYS >> 16, 0x93, 0, 0
gdt87_dst:
    .word 0xffff, 0
    .byte 0, 0x93, 0, 0
    .quad 0, 0

dap:
    .byte 16, 0
dap_count: .word 0
    .word 0, BUF_SEG
dap_lba: .quad 0

drive: .byte 0
mmap_tag: .word 0
msg_read: .asciz "kestrel loader: disk read failed\r\n"
msg_copy: .asciz "kestrel loader: copy to high memory failed\r\n"
msg_e820: .asciz "kestrel loader: no E820 memory map\r\n"
