/*
 * preload.h — what the malloc replacement (libdmms_preload.so) needs from
 * the OS beyond the core's platform layer (Sources/CDMMS/platform.h): errno,
 * the page size, a thread's arena, and the names of code addresses. Linux
 * only, like the preload itself. Only Platform+Process.swift calls these.
 */
#ifndef DMMS_PRELOAD_H
#define DMMS_PRELOAD_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

static inline void dmms_preload_set_errno(int value) { errno = value; }
static inline int dmms_preload_errno_nomem(void) { return ENOMEM; }
static inline int dmms_preload_errno_inval(void) { return EINVAL; }
static inline size_t dmms_preload_page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* The malloc replacement's arena for this thread (NULL: the default pool). */
static inline void **dmms_preload_arena_slot(void) {
    static __thread __attribute__((tls_model("initial-exec"))) void *arena;
    return &arena;
}

/* The symbol and object holding a code address: 1 if found. Defined in
 * Sources/DMMSPreload/symbols.c (dladdr's Dl_info needs _GNU_SOURCE, which a
 * Swift-imported header cannot count on); only the preload library has it. */
int dmms_preload_describe_code(const void *address, const char **symbol, const void **symbol_address,
                                const char **object, const void **object_base);

#endif
