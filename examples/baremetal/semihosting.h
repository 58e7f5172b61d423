/*
 * semihosting.h — the Arm semihosting calls the examples use (SYS_WRITE0,
 * SYS_EXIT_EXTENDED), for Cortex-M (BKPT 0xAB) and RISC-V (the
 * slli/ebreak/srai sequence of the RISC-V semihosting spec). QEMU serves them
 * with -semihosting-config enable=on,target=native.
 */
#ifndef DMMS_BAREMETAL_SEMIHOSTING_H
#define DMMS_BAREMETAL_SEMIHOSTING_H

#include <stdint.h>

#define SEMIHOSTING_SYS_WRITE0        0x04u
#define SEMIHOSTING_SYS_EXIT          0x18u
#define SEMIHOSTING_SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT  0x20026u
#define ADP_STOPPED_RUNTIME_ERROR     0x20023u

static inline uintptr_t semihosting_call(uintptr_t operation, uintptr_t argument) {
#if defined(__arm__)
    register uintptr_t r0 __asm__("r0") = operation;
    register uintptr_t r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
#elif defined(__riscv)
    register uintptr_t a0 __asm__("a0") = operation;
    register uintptr_t a1 __asm__("a1") = argument;
    /* Three uncompressed instructions in one page: the debugger's signature. */
    __asm__ volatile(".option push\n.option norvc\n.balign 16\n"
                     "slli zero, zero, 0x1f\n"
                     "ebreak\n"
                     "srai zero, zero, 0x7\n"
                     ".option pop\n"
                     : "+r"(a0) : "r"(a1) : "memory");
    return a0;
#else
#error "semihosting: unsupported architecture"
#endif
}

static inline void semihosting_write0(const char *text) {
    semihosting_call(SEMIHOSTING_SYS_WRITE0, (uintptr_t)text);
}

/* The host exits with `code`. On 32-bit targets SYS_EXIT takes only a reason
 * (exit status 0 or 1); SYS_EXIT_EXTENDED takes {reason, code}. */
__attribute__((noreturn)) static inline void semihosting_exit(int code) {
    volatile uintptr_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)code };
    semihosting_call(SEMIHOSTING_SYS_EXIT_EXTENDED, (uintptr_t)block);
    /* A host without SYS_EXIT_EXTENDED: plain SYS_EXIT, failure as a runtime error. */
    semihosting_call(SEMIHOSTING_SYS_EXIT, code == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR);
    for (;;) {}
}

#endif
