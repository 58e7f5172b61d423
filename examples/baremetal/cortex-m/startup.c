/*
 * startup.c — Cortex-M vector table and reset: copy .data, clear .bss, run
 * main, report its status over semihosting. Any fault ends the run with
 * exit code 3 and a line naming the fault, so a crash never looks like a pass.
 */
#include <stdint.h>
#include <string.h>

#include "../board.h"

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[], __stack_top[];
int main(void);

__attribute__((noreturn)) void reset_handler(void) {
    memcpy(__data_start, __data_load, (size_t)((char *)__data_end - (char *)__data_start));
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
    board_exit(main());
}

static void fault(const char *name) {
    board_write("\n*** ");
    board_write(name);
    board_write(": the self-test crashed\n");
    board_exit(3);
}

static void nmi_handler(void) { fault("NMI"); }
static void hard_fault_handler(void) { fault("HardFault"); }
static void mem_manage_handler(void) { fault("MemManage fault"); }
static void bus_fault_handler(void) { fault("BusFault"); }
static void usage_fault_handler(void) { fault("UsageFault"); }
static void unexpected_handler(void) { fault("unexpected exception"); }

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used))
const vector_t vectors[16] = {
    (vector_t)(uintptr_t)__stack_top,
    (vector_t)reset_handler,
    nmi_handler,
    hard_fault_handler,
    mem_manage_handler,
    bus_fault_handler,
    usage_fault_handler,
    0, 0, 0, 0,
    unexpected_handler,   /* SVCall */
    unexpected_handler,   /* DebugMonitor */
    0,
    unexpected_handler,   /* PendSV */
    unexpected_handler,   /* SysTick (counts, never interrupts: TICKINT is off) */
};
