/* misuse.h — what every scorecard program shares. Each program in cases/ does
 * one misuse, written once against MALLOC/FREE/REALLOC:
 *
 *   -DMISUSE_DMMS_API  the DMMS API: dmms_alloc, dmms_free, dmms_pool_realloc(NULL, …),
 *                      with a recording error handler; every report is printed as
 *                      "recorded: DMMS_E_…" and dmms_check runs at exit (the API's
 *                      way to find damage in free memory). MISUSE_FILL_FREE=1 in the
 *                      environment makes the default pool a pool with DMMS_F_FILL_FREE.
 *   (otherwise)        the malloc family: glibc, or DMMS under LD_PRELOAD.
 *
 * Built -O0 and every pointer laundered, so the compiler keeps the misuse as
 * written (it may not reason about undefined behaviour it cannot see).
 */
#ifndef MISUSE_H
#define MISUSE_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *launder(void *p) {
    __asm__ volatile("" : "+r"(p));
    return p;
}

#ifdef MISUSE_DMMS_API
#include "dmms.h"
#define MALLOC(n) dmms_alloc(n)
#define FREE(p) dmms_free(p)
#define REALLOC(p, n) dmms_pool_realloc(NULL, (p), (n))

static void record(const dmms_error_t *e, void *arg) {
    (void)arg;
    printf("recorded: %s\n", e->message);
    fflush(stdout);
}

static void check_at_exit(void) {
    uint64_t problems = dmms_check(NULL);
    printf("dmms_check at exit: %llu problems\n", (unsigned long long)problems);
}

__attribute__((constructor)) static void misuse_start(void) {
    dmms_set_error_handler(record, NULL);
    const char *fill = getenv("MISUSE_FILL_FREE");
    if (fill != NULL && strcmp(fill, "1") == 0) {
        dmms_config_t c;
        dmms_config_init(&c);
        c.flags |= DMMS_F_FILL_FREE;
        c.name = "fill-free";
        dmms_set_default_pool(dmms_pool_create(NULL, 4 << 20, &c));
    }
    atexit(check_at_exit);
}
#else
#define MALLOC(n) malloc(n)
#define FREE(p) free(p)
#define REALLOC(p, n) realloc((p), (n))
#endif

#endif
