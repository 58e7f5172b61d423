/*
 * board.c — Cortex-M board services for the self-test: semihosting output and
 * exit, PRIMASK interrupt masking, and an instruction counter.
 *
 * The counter: QEMU has no DWT cycle counter for Cortex-M, but with
 * -icount shift=0 its virtual clock advances exactly 1 ns per instruction and
 * SysTick (processor clock, 25 MHz on mps2-an385) ticks once per 40 of them.
 * board_init measures the ratio with a loop of known length instead of
 * trusting the constant; averages over many calls then resolve fractions of
 * an instruction. Without -icount the figures mean nothing.
 */
#include <stdint.h>

#include "../board.h"
#include "../semihosting.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static uint32_t last_tick;
static uint64_t ticks;
static uint32_t instructions_per_tick;

static uint64_t elapsed_ticks(void) {
    uint32_t now = SYST_CVR;
    ticks += (last_tick - now) & 0xFFFFFFu;   /* counts down, 24 bits */
    last_tick = now;
    return ticks;
}

/* Exactly 2 * n instructions (subs + bne per turn). */
__attribute__((noinline)) static void spin(uint32_t n) {
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

void board_init(void) {
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5u;   /* ENABLE | CLKSOURCE = processor clock, no interrupt */
    last_tick = SYST_CVR;
    uint64_t t0 = elapsed_ticks();
    spin(400000u);
    uint64_t t1 = elapsed_ticks();
    instructions_per_tick = t1 > t0 ? (uint32_t)((800000u + (t1 - t0) / 2) / (t1 - t0)) : 0;
}

uint64_t board_instructions(void) { return elapsed_ticks() * instructions_per_tick; }

const char *board_counter_name(void) {
    return instructions_per_tick == 40 ? "SysTick x 40 (QEMU -icount shift=0, calibrated)"
                                       : "SysTick (NOT calibrated to 40 instructions per tick: run with -icount shift=0)";
}

const char *board_name(void) { return "Cortex-M3 (QEMU mps2-an385)"; }

void board_write(const char *text) { semihosting_write0(text); }

void board_exit(int code) { semihosting_exit(code); }

uint32_t board_irq_save(void) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

void board_irq_restore(uint32_t state) {
    __asm__ volatile("msr primask, %0" : : "r"(state) : "memory");
}
