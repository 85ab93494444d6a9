/* Thread context switch: only callee-saved registers travel; the rest were
 * saved by the C caller or by the interrupt stub. */
    .text
    .code64

/* void context_switch(uint64_t *save_rsp, uint64_t load_rsp) */
    .globl context_switch
context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* First code a new thread runs: r12 = function, r13 = argument. */
    .globl thread_start_asm
thread_start_asm:
    movq %r12, %rdi
    movq %r13, %rsi
    call thread_start
    ud2
