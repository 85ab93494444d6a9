/* loader/: Kestrel's own BIOS boot loader (the UEFI side is GRUB; see docs/images.md).
 * mbr.S is the first stage: in the protective MBR's 440 code bytes, it reads stage 2
 * from the BIOS boot partition with INT 13h extensions and jumps to it. */

#define STAGE2_ADDR 0x8000

    .code16
    .section .text
    .globl _start
_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw $0x7c00, %sp
    sti
    ljmp $0, $1f
1:  movb %dl, boot_drive
    /* INT 13h extensions (LBA reads) are required: every BIOS since the 90s has them. */
    movb $0x41, %ah
    movw $0x55aa, %bx
    int $0x13
    jc no_ext
    cmpw $0xaa55, %bx
    jne no_ext
    movw $dap, %si
    movb $0x42, %ah
    movb boot_drive, %dl
    int $0x13
    jc read_failed
    movb boot_drive, %dl
    ljmp $0, $STAGE2_ADDR

no_ext:
    movw $msg_ext, %si
    jmp fail
read_failed:
    movw $msg_read, %si
fail:
    /* On the screen (INT 10h) and on COM1, then stop. */
1:  lodsb
    testb %al, %al
    jz 3f
    movb %al, %bl
    movb $0x0e, %ah
    pushw %bx
    xorw %bx, %bx
    int $0x10
    popw %bx
    movw $0x3fd, %dx
2:  inb %dx, %al
    testb $0x20, %al
    jz 2b
    movw $0x3f8, %dx
    movb %bl, %al
    outb %al, %dx
    jmp 1b
3:  cli
    hlt
    jmp 3b

msg_ext: .asciz "kestrel loader: no INT 13h extensions\r\n"
msg_read: .asciz "kestrel loader: cannot read stage 2\r\n"
boot_drive: .byte 0

    /* Disk address packet, patched by scripts/mkimage (kestrel_disk.py: MBR_DAP). */
    .org 0x1a0
dap:
    .byte 16, 0
    .word 0                 /* sectors: stage 2's length */
    .word STAGE2_ADDR, 0    /* buffer offset, segment */
    .quad 0                 /* LBA: the BIOS boot partition's first sector */
    .org 0x1b8              /* the disk signature and partition table follow */
