/*
 * preload.h — what the malloc replacement (libdmms_preload.so) needs from
 * the OS beyond the core's platform layer (Sources/CDMMS/platform.h): errno,
 * the page size, a thread's arena, exit hooks, report files, and the names of
 * code addresses. Linux only, like the preload itself. Only
 * Platform+Process.swift calls these.
 */
#ifndef DMMS_PRELOAD_H
#define DMMS_PRELOAD_H

#include <errno.h>
#include <fcntl.h>
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

static inline int dmms_preload_atexit(void (*fn)(void)) { return atexit(fn); }
/* A file for a report at exit (created or truncated), or -1. */
static inline int dmms_preload_create_file(const char *path) { return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); }
static inline void dmms_preload_write_fd(int fd, const char *text, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, text, length);
        if (n <= 0) return;
        text += n;
        length -= (size_t)n;
    }
}
static inline void dmms_preload_close(int fd) { close(fd); }
/* The symbol and object holding a code address: 1 if found. Defined in
 * Sources/DMMSPreload/symbols.c (dladdr's Dl_info needs _GNU_SOURCE, which a
 * Swift-imported header cannot count on); only the preload library has it. */
int dmms_preload_describe_code(const void *address, const char **symbol, const void **symbol_address,
                                const char **object, const void **object_base);

#endif
