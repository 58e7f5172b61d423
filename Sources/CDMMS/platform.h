/*
 * platform.h — every call DMMS makes into the operating system, as small
 * static inline wrappers the Swift core imports (Embedded Swift cannot import
 * Glibc, and errno, MAP_FAILED and variadic syscall() are C-only).
 *
 * Only Sources/DMMS/Platform/Platform.swift calls these. Two platforms:
 * Linux, and bare metal (an ELF target with no OS: a port to a kernel
 * without POSIX), where there is no OS memory, locks come through
 * dmms_set_lock_hooks and task ids through dmms_set_task_id_hook. Any other
 * host is refused here rather than given bare metal's locks, which do nothing.
 * (The malloc replacement's own calls are in Sources/DMMSPreload/CPreload.)
 */
#ifndef DMMS_PLATFORM_H
#define DMMS_PLATFORM_H

#if !defined(__linux__) && !(defined(__ELF__) && !defined(__unix__))
#error "DMMS has no platform layer for this host: Linux, or bare metal (an ELF target with no OS)"
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Anonymous read-write memory, or NULL. */
static inline void *dmms_platform_map(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
static inline void dmms_platform_unmap(void *p, size_t size) { munmap(p, size); }

/* The OS thread id, cached per thread: a syscall once, then a TLS load.
 * A forked child starts with its parent's cache: it calls
 * dmms_platform_thread_id_reset() (DMMS does, from pthread_atfork). */
static inline uint32_t *dmms_platform_tid_slot(void) {
    static __thread __attribute__((tls_model("initial-exec"))) uint32_t cached;
    return &cached;
}
static inline uint32_t dmms_platform_tid(void) {
    uint32_t *slot = dmms_platform_tid_slot();
    if (__builtin_expect(*slot == 0, 0)) *slot = (uint32_t)syscall(SYS_gettid);
    return *slot;
}
static inline void dmms_platform_thread_id_reset(void) { *dmms_platform_tid_slot() = 0; }
static inline uint64_t dmms_platform_thread_id(void) { return dmms_platform_tid(); }

/* The pool lock: a priority-inheriting futex (FUTEX_LOCK_PI). Uncontended it
 * is one compare-and-swap to lock and one to unlock, no call. Contended, it
 * spins briefly (allocator critical sections are short), then lets the kernel
 * queue the waiters by priority and lend the owner the highest waiter's
 * priority — what a real-time allocator's lock must do. The word holds the
 * owner's thread id (0 = free). Lock returns that id and unlock takes it
 * back, so a lock and unlock pair reads the thread id once. */
/* ThreadSanitizer cannot see the hand-over: a waiter the kernel gives the
 * lock to returns from FUTEX_LOCK_PI with no user-space atomic that pairs
 * with the unlocker's. A build with TSan defines DMMS_TSAN (Swift's
 * -sanitize=thread does not tell the C importer: mk/reliability.mk passes
 * -Xcc -DDMMS_TSAN), and the lock says what it does. */
#if defined(DMMS_TSAN)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static inline uint32_t dmms_platform_acquired(void *m, uint32_t tid) { __tsan_acquire(m); return tid; }
static inline void dmms_platform_releasing(void *m) { __tsan_release(m); }
#else
static inline uint32_t dmms_platform_acquired(void *m, uint32_t tid) { (void)m; return tid; }
static inline void dmms_platform_releasing(void *m) { (void)m; }
#endif

static inline void dmms_platform_lock_init(void *m) { __atomic_store_n((uint32_t *)m, 0, __ATOMIC_RELAXED); }
/* The lock's waits, out of line: what a call inlines is one compare-and-swap
 * each way (always inlined: the allocator's functions are large enough for
 * the compiler to decline an ordinary inline). */
__attribute__((noinline)) static uint32_t dmms_platform_lock_contended(void *m, uint32_t tid) {
    uint32_t expected;
    for (int spin = 0; spin < 200; spin++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        expected = 0;
        if (__atomic_load_n((uint32_t *)m, __ATOMIC_RELAXED) == 0 &&
            __atomic_compare_exchange_n((uint32_t *)m, &expected, tid, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return dmms_platform_acquired(m, tid);
    }
    while (syscall(SYS_futex, (uint32_t *)m, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0) != 0) {
        /* EINTR/EAGAIN: try again */
    }
    return dmms_platform_acquired(m, tid);
}
__attribute__((noinline)) static void dmms_platform_unlock_contended(void *m) {
    syscall(SYS_futex, (uint32_t *)m, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
}
__attribute__((always_inline)) static inline uint32_t dmms_platform_lock(void *m) {
    uint32_t expected = 0;
    uint32_t tid = dmms_platform_tid();
    if (__builtin_expect(__atomic_compare_exchange_n((uint32_t *)m, &expected, tid, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED), 1)) return dmms_platform_acquired(m, tid);
    return dmms_platform_lock_contended(m, tid);
}
/* `tid`: what dmms_platform_lock (or _trylock) returned. */
__attribute__((always_inline)) static inline void dmms_platform_unlock(void *m, uint32_t tid) {
    uint32_t expected = tid;
    dmms_platform_releasing(m);
    if (__builtin_expect(__atomic_compare_exchange_n((uint32_t *)m, &expected, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED), 1)) return;
    dmms_platform_unlock_contended(m);
}
static inline void dmms_platform_lock_destroy(void *m) { (void)m; }
/* One attempt, no wait: the malloc replacement moves a thread to another
 * arena rather than queue it behind a busy one. The thread id when taken
 * (for dmms_platform_unlock), 0 when not. */
static inline uint32_t dmms_platform_trylock(void *m) {
    uint32_t expected = 0, tid = dmms_platform_tid();
    return __atomic_compare_exchange_n((uint32_t *)m, &expected, tid, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
        ? dmms_platform_acquired(m, tid) : 0;
}

/* One process-wide lock for the pool registry and the default pool's set-up. */
static inline pthread_mutex_t *dmms_platform_global_mutex(void) {
    static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
    return &registry;
}
static inline void dmms_platform_global_lock(void) { pthread_mutex_lock(dmms_platform_global_mutex()); }
static inline void dmms_platform_global_unlock(void) { pthread_mutex_unlock(dmms_platform_global_mutex()); }

/* Files: the reports at exit (created or truncated) and the timeline
 * (appended to, so that one whole sample is one write). -1 when refused. */
static inline int dmms_platform_open_file(const char *path, int append) {
    return open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
}
static inline void dmms_platform_write_fd(int fd, const char *text, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, text, length);
        if (n <= 0) return;
        text += n;
        length -= (size_t)n;
    }
}
static inline void dmms_platform_close(int fd) { close(fd); }
/* Where the timeline's path is kept (it is opened anew for each sample: a
 * program that closes every descriptor, or reuses their numbers, is safe). */
enum { DMMS_PLATFORM_PATH_MAX = 4096 };
static inline char *dmms_platform_timeline_path(void) {
    static char path[DMMS_PLATFORM_PATH_MAX];
    return path;
}
static inline void dmms_platform_write_stderr(const char *text, size_t length) { dmms_platform_write_fd(2, text, length); }
static inline int dmms_platform_atexit(void (*fn)(void)) { return atexit(fn); }

/* Nanoseconds of the monotonic clock. The coarse one is read without a
 * timer (a few loads from the vDSO page) and moves in steps of
 * dmms_platform_clock_step_ns: enough to tell when the next sample is due. */
static inline uint64_t dmms_platform_clock_ns(int coarse) {
    struct timespec t;
    if (clock_gettime(coarse ? CLOCK_MONOTONIC_COARSE : CLOCK_MONOTONIC, &t) != 0) return 0;
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
static inline uint64_t dmms_platform_clock_step_ns(void) {
    struct timespec t;
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &t) != 0) return 0;
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
static inline int32_t dmms_platform_pid(void) { return (int32_t)getpid(); }

static inline void dmms_platform_abort(void) { abort(); }

/* Registers fork handlers exactly once per process; every caller returns
 * only after they are registered (pthread_once), so no thread can take a
 * DMMS lock before a fork would be guarded. */
typedef struct { void (*prepare)(void), (*parent)(void), (*child)(void); } dmms_platform_fork_handlers_t;
static inline dmms_platform_fork_handlers_t *dmms_platform_fork_handlers(void) {
    static dmms_platform_fork_handlers_t handlers;
    return &handlers;
}
static inline void dmms_platform_register_fork_handlers(void) {
    dmms_platform_fork_handlers_t *h = dmms_platform_fork_handlers();
    pthread_atfork(h->prepare, h->parent, h->child);
}
static inline int dmms_platform_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void)) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    dmms_platform_fork_handlers_t *h = dmms_platform_fork_handlers();
    if (h->prepare == NULL) { h->prepare = prepare; h->parent = parent; h->child = child; }
    return pthread_once(&once, dmms_platform_register_fork_handlers);
}
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

#elif defined(__ELF__) && !defined(__unix__) /* bare metal: the port supplies locks and task ids through hooks */

static inline void *dmms_platform_map(size_t size) { (void)size; return NULL; }
static inline void dmms_platform_unmap(void *p, size_t size) { (void)p; (void)size; }
static inline void dmms_platform_lock_init(void *m) { (void)m; }
static inline uint32_t dmms_platform_lock(void *m) { (void)m; return 1; }
static inline void dmms_platform_unlock(void *m, uint32_t tid) { (void)m; (void)tid; }
static inline uint32_t dmms_platform_trylock(void *m) { (void)m; return 1; }
static inline void dmms_platform_lock_destroy(void *m) { (void)m; }
static inline void dmms_platform_global_lock(void) {}
static inline void dmms_platform_global_unlock(void) {}
static inline uint64_t dmms_platform_thread_id(void) { return 0; }
/* Without stdio the default error handler is silent: install one. */
static inline void dmms_platform_write_stderr(const char *text, size_t length) { (void)text; (void)length; }
/* No files and no clock: no timeline (dmms_timeline_sample still works, t_ns 0). */
static inline int dmms_platform_open_file(const char *path, int append) { (void)path; (void)append; return -1; }
static inline void dmms_platform_write_fd(int fd, const char *text, size_t length) { (void)fd; (void)text; (void)length; }
static inline void dmms_platform_close(int fd) { (void)fd; }
enum { DMMS_PLATFORM_PATH_MAX = 1 };
static inline char *dmms_platform_timeline_path(void) {
    static char path[DMMS_PLATFORM_PATH_MAX];
    return path;
}
static inline int dmms_platform_atexit(void (*fn)(void)) { (void)fn; return -1; }
static inline uint64_t dmms_platform_clock_ns(int coarse) { (void)coarse; return 0; }
static inline uint64_t dmms_platform_clock_step_ns(void) { return 0; }
static inline int32_t dmms_platform_pid(void) { return 0; }
static inline void dmms_platform_abort(void) { __builtin_trap(); }
static inline const char *dmms_platform_env(const char *name) { (void)name; return NULL; }
/* No fork on bare metal. */
static inline int dmms_platform_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void)) {
    (void)prepare; (void)parent; (void)child;
    return 0;
}
static inline void dmms_platform_thread_id_reset(void) {}

#endif

/* 64 bytes for the registry lock when a port installs lock hooks. */
static inline void *dmms_platform_global_storage(void) {
    static uint64_t storage[8] __attribute__((aligned(16)));
    return storage;
}

/* Pending frees: a stack of buffers pushed by any thread (each buffer links
 * to the next at `link_offset`, maybe unaligned) and taken whole by the
 * thread that holds the pool lock. Buffers are 16-byte aligned: the head's
 * low 4 bits count the
 * buffers pushed since the stack was last taken, up to DMMS_PLATFORM_PENDING_MAX
 * (a link's low bits are to be masked off). A push claims the buffer first:
 * it swaps its first word from what the caller read there to `mark`, so of
 * two threads freeing one buffer at once only one pushes it. Returns 0 when
 * the claim failed. */
enum { DMMS_PLATFORM_PENDING_MAX = 15 };
static inline int dmms_platform_pending_full(const uintptr_t *head) {
    return (__atomic_load_n(head, __ATOMIC_RELAXED) & 15) == DMMS_PLATFORM_PENDING_MAX;
}
static inline int dmms_platform_pending_push(uintptr_t *head, uintptr_t *buffer, uintptr_t link_offset, uintptr_t seen,
                                             uintptr_t mark) {
    if (!__atomic_compare_exchange_n(&buffer[0], &seen, mark, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return 0;
    uintptr_t old = __atomic_load_n(head, __ATOMIC_RELAXED), count;
    unsigned char *link = (unsigned char *)buffer + link_offset;   /* the release below publishes it */
    do {
        memcpy(link, &old, sizeof old);
        count = (old & 15) < DMMS_PLATFORM_PENDING_MAX ? (old & 15) + 1 : DMMS_PLATFORM_PENDING_MAX;
    } while (!__atomic_compare_exchange_n(head, &old, (uintptr_t)buffer | count, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    return 1;
}
static inline uintptr_t dmms_platform_pending_take(uintptr_t *head) {
    if (__atomic_load_n(head, __ATOMIC_RELAXED) == 0) return 0;
    return __atomic_exchange_n(head, 0, __ATOMIC_ACQUIRE);
}
static inline uintptr_t dmms_platform_load_word(const uintptr_t *word) { return __atomic_load_n(word, __ATOMIC_RELAXED); }

/* A table read without a lock: the writer fills an entry, then a release
 * fence, then raises the count; a reader loads the count, then an acquire
 * fence, then reads entries below it. */
static inline void dmms_platform_release_fence(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void dmms_platform_acquire_fence(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }

/* The error handler and its argument, read and changed as one: a sequence
 * lock. A writer (serialised by the registry lock) makes the count odd, stores
 * both, makes it even; a reader retries while the count is odd or moved under
 * it. Readers are error reports only, never the allocation path. */
typedef struct dmms_platform_handler_s { uint32_t sequence; void *fn; void *arg; } dmms_platform_handler_t;
static inline dmms_platform_handler_t *dmms_platform_handler(void) {
    static dmms_platform_handler_t handler;
    return &handler;
}
static inline void dmms_platform_handler_set(void *fn, void *arg) {
    dmms_platform_handler_t *h = dmms_platform_handler();
    uint32_t sequence = __atomic_load_n(&h->sequence, __ATOMIC_RELAXED);
    __atomic_store_n(&h->sequence, sequence + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&h->fn, fn, __ATOMIC_RELAXED);
    __atomic_store_n(&h->arg, arg, __ATOMIC_RELAXED);
    __atomic_store_n(&h->sequence, sequence + 2, __ATOMIC_RELEASE);
}
static inline void *dmms_platform_handler_get(void **arg) {
    dmms_platform_handler_t *h = dmms_platform_handler();
    for (;;) {
        uint32_t sequence = __atomic_load_n(&h->sequence, __ATOMIC_ACQUIRE);
        if (sequence & 1) continue;
        void *fn = __atomic_load_n(&h->fn, __ATOMIC_RELAXED);
        *arg = __atomic_load_n(&h->arg, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&h->sequence, __ATOMIC_RELAXED) == sequence) return fn;
    }
}

/* Walks of the pool registry that take no lock (a handle's check) against a
 * pool being destroyed. A walker counts itself in the current epoch's count,
 * then checks the epoch did not move (else it counts again). A destroyer,
 * after unlinking its pool under the registry lock, flips the epoch and waits
 * until the old epoch's count is zero: every walk that could have reached the
 * pool has ended, and later walks cannot reach it. Walkers never wait; a
 * destroy waits for walks already under way only. */
typedef struct dmms_platform_walkers_s { uint32_t epoch; uint32_t count[2]; } dmms_platform_walkers_t;
static inline dmms_platform_walkers_t *dmms_platform_walkers(void) {
    static dmms_platform_walkers_t walkers;
    return &walkers;
}
static inline uint32_t dmms_platform_walk_begin(void) {
    dmms_platform_walkers_t *w = dmms_platform_walkers();
    for (;;) {
        uint32_t epoch = __atomic_load_n(&w->epoch, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&w->count[epoch], 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&w->epoch, __ATOMIC_SEQ_CST) == epoch) return epoch;
        __atomic_sub_fetch(&w->count[epoch], 1, __ATOMIC_SEQ_CST);
    }
}
static inline void dmms_platform_walk_end(uint32_t epoch) {
    __atomic_sub_fetch(&dmms_platform_walkers()->count[epoch], 1, __ATOMIC_RELEASE);
}
/* The registry lock is held (destroys one at a time). */
static inline void dmms_platform_walks_drain(void) {
    dmms_platform_walkers_t *w = dmms_platform_walkers();
    uint32_t old = __atomic_load_n(&w->epoch, __ATOMIC_RELAXED);
    __atomic_store_n(&w->epoch, old ^ 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&w->count[old], __ATOMIC_ACQUIRE) != 0) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
}

/* ---- memory tools: Valgrind's memcheck and AddressSanitizer ----------------
 * A pool tells the tools which of its bytes the program may touch: each
 * buffer's requested bytes while it is live, nothing else of its regions
 * (guards, slack, owner records, free blocks, the block map, the owner table).
 * Memcheck hears it through client requests (valgrind.h and memcheck.h: macros
 * that are a few no-op instructions outside Valgrind, with no library to link);
 * ASan through its public poisoning functions, referenced weakly so that
 * libdmms.so needs them only in a program built with -fsanitize=address. The
 * library itself is not instrumented: ASan never checks its own accesses, and
 * under memcheck it reads and writes what it keeps with error reporting off
 * for the calling thread (dmms_tools_hide_errors). Bare metal has no tools,
 * and neither has a core compiled with a sanitizer itself (the fuzzers and
 * the TSan stress: DMMS_CORE_SANITIZED), whose own accesses ASan checks. */
#if defined(__linux__) && !defined(DMMS_CORE_SANITIZED)
#define DMMS_TOOLS_POSSIBLE 1
#else
#define DMMS_TOOLS_POSSIBLE 0
#endif

#if DMMS_TOOLS_POSSIBLE && __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define DMMS_TOOLS_VALGRIND 1
#endif

#if DMMS_TOOLS_POSSIBLE
void __asan_poison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));
void __asan_unpoison_memory_region(void const volatile *addr, size_t size) __attribute__((weak));
#define DMMS_TOOLS_ASAN (__asan_poison_memory_region != NULL && __asan_unpoison_memory_region != NULL)
#define DMMS_ASAN_POISON(p, n) do { if (DMMS_TOOLS_ASAN) __asan_poison_memory_region(p, n); } while (0)
#define DMMS_ASAN_UNPOISON(p, n) do { if (DMMS_TOOLS_ASAN) __asan_unpoison_memory_region(p, n); } while (0)
#else
#define DMMS_TOOLS_ASAN 0
#define DMMS_ASAN_POISON(p, n) ((void)(p), (void)(n))
#define DMMS_ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* Whether this build can meet a tool at all: 0 on bare metal and in a core
 * compiled with a sanitizer, where the Swift side's tool paths compile out. */
static inline int dmms_tools_possible(void) { return DMMS_TOOLS_POSSIBLE; }

/* A tool is watching this process: checked once per pool, when it is made.
 * Memcheck, not any Valgrind tool: only memcheck answers its own request for
 * a byte's definedness bits (1: done), where callgrind, which counts the
 * instructions of the unwatched path, gives the default 0. */
static inline int dmms_tools_watching(void) {
#if defined(DMMS_TOOLS_VALGRIND)
    if (RUNNING_ON_VALGRIND) {
        unsigned char byte = 0, bits = 0;
        if (VALGRIND_GET_VBITS(&byte, &bits, 1) == 1) return 1;
    }
#endif
    return DMMS_TOOLS_ASAN;
}

/* [p, p + size) is a new buffer (memcheck: malloc-like, undefined; it records
 * the allocating stack). */
static inline void dmms_tools_allocated(void *p, size_t size) {
#if defined(DMMS_TOOLS_VALGRIND)
    VALGRIND_MALLOCLIKE_BLOCK(p, size, 0, 0);
#endif
    DMMS_ASAN_UNPOISON(p, size);
}

/* The buffer at p ended; its block of `block` bytes is the pool's again. */
static inline void dmms_tools_freed(void *p, size_t block) {
#if defined(DMMS_TOOLS_VALGRIND)
    VALGRIND_FREELIKE_BLOCK(p, 0);   /* the rest of the block was no-access already */
#endif
    DMMS_ASAN_POISON(p, block);
}

/* [p, p + size) is the pool's own: no access for the program. */
static inline void dmms_tools_no_access(void *p, size_t size) {
#if defined(DMMS_TOOLS_VALGRIND)
    VALGRIND_MAKE_MEM_NOACCESS(p, size);
#endif
    DMMS_ASAN_POISON(p, size);
}

/* The pool is about to write [p, p + size) through libc (the free fill's
 * memset), which ASan checks even when called from an uninstrumented library:
 * open it to ASan for the length of the call. Memcheck's reports are off. */
static inline void dmms_tools_open(void *p, size_t size) {
    DMMS_ASAN_UNPOISON(p, size);
}

/* [p, p + size) goes back to the program (a pool destroyed): its bytes are
 * what they are, and the program's to use. */
static inline void dmms_tools_returned(void *p, size_t size) {
#if defined(DMMS_TOOLS_VALGRIND)
    VALGRIND_MAKE_MEM_DEFINED(p, size);
#endif
    DMMS_ASAN_UNPOISON(p, size);
}

/* The library reads and writes what it keeps in no-access memory: memcheck's
 * reports are off for this thread in between (they nest). */
static inline void dmms_tools_hide_errors(void) {
#if defined(DMMS_TOOLS_VALGRIND)
    VALGRIND_DISABLE_ERROR_REPORTING;
#endif
}
static inline void dmms_tools_show_errors(void) {
#if defined(DMMS_TOOLS_VALGRIND)
    VALGRIND_ENABLE_ERROR_REPORTING;
#endif
}

/* Whether there is an operating system: stderr for the default error
 * handler, files and a clock for the timeline, threads that free each
 * other's buffers (pending frees). Not on bare metal, where a firmware links
 * none of that: an error's text is made only for a handler the program
 * installed, and there is no timeline. */
#if defined(__linux__)
static inline int dmms_platform_hosted(void) { return 1; }
#else
static inline int dmms_platform_hosted(void) { return 0; }
#endif

/* Word-sized helpers the Swift side wants as plain C. */
static inline size_t dmms_platform_strlen(const char *s) { return strlen(s); }

#endif /* DMMS_PLATFORM_H */
