/* startup.S — RV32 machine-mode entry: stack, trap vector, then C. */
    .section .text.start, "ax"
    .option arch, +zicsr
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      t0, trap_entry
    csrw    mtvec, t0
    call    c_start
1:  j       1b

    .balign 4
trap_entry:
    csrr    a0, mcause
    csrr    a1, mepc
    call    board_trap
2:  j       2b
