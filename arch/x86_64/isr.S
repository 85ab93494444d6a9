/* Interrupt entry stubs: one 16-byte stub per vector at isr_stubs + 16 * vector,
 * each pushing an error code (0 when the CPU pushes none) and the vector.
 * An entry from ring 3 swaps to the kernel's %gs and continues on the
 * running thread's kernel stack (%gs:16), even when the CPU delivered it on
 * an IST stack, so the handler may block or switch threads; it leaves
 * through user_exit (arch/x86_64/syscall.S). */
    .text
    .code64
    .balign 16
    .globl isr_stubs
isr_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    pushq $vec
    .else
    pushq $0
    pushq $vec
    .endif
    jmp isr_common
    .set vec, vec + 1
    .endr

    .macro PUSH_REGS
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
    .endm

isr_common:
    testb $3, 24(%rsp)          /* the interrupted CS: ring 3? */
    jnz isr_from_user
    cld
    PUSH_REGS
    movq %rsp, %rdi
    call interrupt_dispatch
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
    iretq

isr_from_user:
    swapgs
    cld
    /* Move vector, error and the CPU's frame (7 words) to the thread's
     * kernel stack; when they are there already each word lands on itself. */
    movq %rax, %gs:24
    /* The CPU left %ss null (a ring change in long mode); the kernel's own
     * selector again, as SYSCALL and kernel entry give it. A null %ss is
     * harmless in 64-bit mode, but QEMU's TCG keys translations on the
     * stack segment's B bit: a fault path entered from ring 3 was
     * translated a second time (96 blocks in a static hello's run). */
    movl $0x10, %eax
    movw %ax, %ss
    movq %rsp, %rax
    movq %gs:16, %rsp
    pushq 48(%rax)
    pushq 40(%rax)
    pushq 32(%rax)
    pushq 24(%rax)
    pushq 16(%rax)
    pushq 8(%rax)
    pushq 0(%rax)
    movq %gs:24, %rax
    PUSH_REGS
    movq %rsp, %rdi
    call interrupt_dispatch
    movq %rsp, %rdi
    call user_return
    jmp user_exit
