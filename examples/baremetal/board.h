/*
 * board.h — what the self-test asks of a board: a console, an exit code,
 * interrupt masking and an instruction counter. cortex-m/board.c and
 * riscv/board.c implement them with semihosting and the cores' own timers and
 * counters; a real product would write to a UART instead.
 */
#ifndef DMMS_BAREMETAL_BOARD_H
#define DMMS_BAREMETAL_BOARD_H

#include <stdint.h>

/* One-time set-up: timers, counters. Called first thing in main. */
void board_init(void);

/* Writes a NUL-terminated string to the host console (semihosting SYS_WRITE0). */
void board_write(const char *text);

/* Ends the run: the host process exits with `code` (semihosting SYS_EXIT_EXTENDED). */
__attribute__((noreturn)) void board_exit(int code);

/* Masks interrupts; returns the previous mask state for board_irq_restore. */
uint32_t board_irq_save(void);
void board_irq_restore(uint32_t state);

/* Instructions executed so far, exact under QEMU -icount shift=0; 0 when the
 * board has no counter. board_counter_name says where the figure comes from. */
uint64_t board_instructions(void);
const char *board_counter_name(void);

/* The board, for the banner: "Cortex-M3 (mps2-an385)". */
const char *board_name(void);

#endif
