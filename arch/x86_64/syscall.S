/* SYSCALL entry from ring 3 and the one way back to ring 3 (user_exit,
 * shared with interrupts and faults that came from ring 3). The program's
 * registers are saved as a struct int_frame at the top of the thread's
 * kernel stack (%gs:16), vector 0x100 marking a system call. */
#define USER_DS 0x33
#define USER_CS 0x3b
#define SYSCALL_VECTOR 0x100

    .text
    .code64

    .globl syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:24
    movq %gs:16, %rsp
    pushq $USER_DS
    pushq %gs:24
    pushq %r11                  /* rflags */
    pushq $USER_CS
    pushq %rcx                  /* rip */
    pushq $0
    pushq $SYSCALL_VECTOR
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    sti
    call linux_syscall
    movq %rsp, %rdi
    call user_return            /* returns with interrupts disabled */

/* rsp points at a struct int_frame for ring 3; interrupts are disabled. */
    .globl user_exit
user_exit:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    /* SYSRET restores rip from rcx and rflags from r11: usable when the
     * frame says just that (a plain system-call return), with a canonical
     * user rip (SYSRET to a non-canonical one faults in ring 0). */
    cmpq %rcx, 0(%rsp)
    jne 1f
    cmpq %r11, 16(%rsp)
    jne 1f
    cmpq $USER_CS, 8(%rsp)
    jne 1f
    cmpq $USER_DS, 32(%rsp)
    jne 1f
    cmpq user_va_end(%rip), %rcx
    jae 1f
    movq 24(%rsp), %rsp
    swapgs
    sysretq
1:  swapgs
    iretq

/* void user_enter_frame(const struct int_frame *f): ring 3 with f's
 * registers, from wherever the kernel stack is (entries from ring 3 start
 * again at the stack's top). Interrupts are disabled by the caller. */
    .globl user_enter_frame
user_enter_frame:
    pushq 168(%rdi)             /* ss */
    pushq 160(%rdi)             /* rsp */
    pushq 152(%rdi)             /* rflags */
    pushq 144(%rdi)             /* cs */
    pushq 136(%rdi)             /* rip */
    movq 0(%rdi), %r15
    movq 8(%rdi), %r14
    movq 16(%rdi), %r13
    movq 24(%rdi), %r12
    movq 32(%rdi), %r11
    movq 40(%rdi), %r10
    movq 48(%rdi), %r9
    movq 56(%rdi), %r8
    movq 64(%rdi), %rbp
    movq 80(%rdi), %rsi
    movq 88(%rdi), %rdx
    movq 96(%rdi), %rcx
    movq 104(%rdi), %rbx
    movq 112(%rdi), %rax
    movq 72(%rdi), %rdi
    swapgs
    iretq

    .section .rodata
    .balign 8
user_va_end:
    .quad 0x800000000000
