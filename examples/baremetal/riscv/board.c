/*
 * board.c — RV32 board services for the self-test on QEMU virt: semihosting
 * output and exit, mstatus.MIE interrupt masking, and minstret, which counts
 * retired instructions (exactly, under QEMU -icount shift=0).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../board.h"
#include "../semihosting.h"

extern uint8_t __bss_start[], __bss_end[];
int main(void);

__attribute__((noreturn)) void c_start(void) {
    memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
    board_exit(main());
}

static void put_hex(uint32_t value) {
    char text[11] = "0x";
    for (int i = 0; i < 8; i++) text[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 15];
    text[10] = 0;
    board_write(text);
}

/* Any trap ends the run with exit code 3: a crash never looks like a pass. */
__attribute__((noreturn)) void board_trap(uint32_t cause, uint32_t pc) {
    board_write("\n*** trap: mcause ");
    put_hex(cause);
    board_write(" at pc ");
    put_hex(pc);
    board_write(": the self-test crashed\n");
    board_exit(3);
}

static int counter_exact;

/* Exactly 2 * n instructions (addi + bnez per turn). */
__attribute__((noinline)) static void spin(uint32_t n) {
    __asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
}

void board_init(void) {
    uint64_t t0 = board_instructions();
    spin(100000u);
    uint64_t spent = board_instructions() - t0;
    counter_exact = spent >= 200000u && spent <= 200000u + 16;   /* + the reads and the call */
}

uint64_t board_instructions(void) {
    uint32_t high, low, again;
    do {
        __asm__ volatile(".option push\n.option arch, +zicsr\n"
                         "csrr %0, minstreth\n\tcsrr %1, minstret\n\tcsrr %2, minstreth\n"
                         ".option pop" : "=r"(high), "=r"(low), "=r"(again));
    } while (high != again);
    return (uint64_t)high << 32 | low;
}

const char *board_counter_name(void) {
    return counter_exact ? "minstret (QEMU -icount shift=0, checked against a loop of known length)"
                         : "minstret (NOT exact: run with -icount shift=0)";
}

const char *board_name(void) { return "RV32IMAC (QEMU virt)"; }

void board_write(const char *text) { semihosting_write0(text); }

void board_exit(int code) { semihosting_exit(code); }

uint32_t board_irq_save(void) {
    uint32_t mstatus;
    __asm__ volatile(".option push\n.option arch, +zicsr\n"
                     "csrrci %0, mstatus, 8\n"
                     ".option pop" : "=r"(mstatus) : : "memory");
    return mstatus & 8u;
}

void board_irq_restore(uint32_t state) {
    if (state) __asm__ volatile(".option push\n.option arch, +zicsr\n"
                                "csrsi mstatus, 8\n"
                                ".option pop" : : : "memory");
}
