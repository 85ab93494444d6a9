/* The vDSO image (linux/vdso/, built by the Makefile), embedded as bytes:
 * linux/vdso.c copies it into each program. */
    .section .rodata.vdso_image, "a"
    .balign 4096
    .globl vdso_image_start, vdso_image_end
vdso_image_start:
    .incbin VDSO_SO
vdso_image_end:
    .section .note.GNU-stack, "", @progbits
