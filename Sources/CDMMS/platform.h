/*
 * platform.h — every call DMMS makes into the operating system, as small
 * static inline wrappers the Swift core imports (Embedded Swift cannot import
 * Glibc, and errno, MAP_FAILED and variadic syscall() are C-only).
 *
 * Only Sources/DMMS/Platform/Platform.swift calls these. A port to a kernel
 * without POSIX compiles the #else branch: no OS memory, locks through
 * dmms_set_lock_hooks, task ids through dmms_set_task_id_hook.
 */
#ifndef DMMS_PLATFORM_H
#define DMMS_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__linux__)
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DMMS_PLATFORM_HOSTED 1

_Static_assert(sizeof(pthread_mutex_t) <= 64, "lock storage is 64 bytes");

/* Anonymous read-write memory, or NULL. */
static inline void *dmms_platform_map(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
static inline void dmms_platform_unmap(void *p, size_t size) { munmap(p, size); }

static inline void dmms_platform_lock_init(void *m) { pthread_mutex_init((pthread_mutex_t *)m, NULL); }
static inline void dmms_platform_lock(void *m) { pthread_mutex_lock((pthread_mutex_t *)m); }
static inline void dmms_platform_unlock(void *m) { pthread_mutex_unlock((pthread_mutex_t *)m); }
static inline void dmms_platform_lock_destroy(void *m) { pthread_mutex_destroy((pthread_mutex_t *)m); }

/* One process-wide lock for the pool registry and the default pool's set-up. */
static inline pthread_mutex_t *dmms_platform_global_mutex(void) {
    static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    return &registry;
}
static inline void dmms_platform_global_lock(void) { pthread_mutex_lock(dmms_platform_global_mutex()); }
static inline void dmms_platform_global_unlock(void) { pthread_mutex_unlock(dmms_platform_global_mutex()); }

/* The OS thread id, cached per thread: a syscall once, then a TLS load. */
static inline uint64_t dmms_platform_thread_id(void) {
    static __thread __attribute__((tls_model("initial-exec"))) uint64_t cached;
    if (__builtin_expect(cached == 0, 0)) cached = (uint64_t)syscall(SYS_gettid);
    return cached;
}

static inline void dmms_platform_write_stderr(const char *text, size_t length) {
    while (length > 0) {
        ssize_t n = write(2, text, length);
        if (n <= 0) return;
        text += n;
        length -= (size_t)n;
    }
}

static inline void dmms_platform_abort(void) { abort(); }

/* An environment variable read straight from environ (getenv may not be
 * usable yet while a preloaded malloc starts up). NULL when absent. */
extern char **environ;
static inline const char *dmms_platform_env(const char *name) {
    size_t n = strlen(name);
    for (char **e = environ; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    }
    return NULL;
}

#else /* bare metal: the port supplies locks and task ids through hooks */

#define DMMS_PLATFORM_HOSTED 0
static inline void *dmms_platform_map(size_t size) { (void)size; return NULL; }
static inline void dmms_platform_unmap(void *p, size_t size) { (void)p; (void)size; }
static inline void dmms_platform_lock_init(void *m) { (void)m; }
static inline void dmms_platform_lock(void *m) { (void)m; }
static inline void dmms_platform_unlock(void *m) { (void)m; }
static inline void dmms_platform_lock_destroy(void *m) { (void)m; }
static inline void dmms_platform_global_lock(void) {}
static inline void dmms_platform_global_unlock(void) {}
static inline uint64_t dmms_platform_thread_id(void) { return 0; }
/* Without stdio the default error handler is silent: install one. */
static inline void dmms_platform_write_stderr(const char *text, size_t length) { (void)text; (void)length; }
static inline void dmms_platform_abort(void) { __builtin_trap(); }
static inline const char *dmms_platform_env(const char *name) { (void)name; return NULL; }

#endif

/* Word-sized helpers the Swift side wants as plain C. */
static inline size_t dmms_platform_strlen(const char *s) { return strlen(s); }

#endif /* DMMS_PLATFORM_H */
