/* harness.h — what every workload of the benchmark shares.
 *
 * One process measures one contender: a DMMS pool (one coalescing policy,
 * diagnostics on or off) or whatever malloc the process was started with
 * (glibc, or jemalloc/mimalloc/tcmalloc through LD_PRELOAD). Everything a
 * workload does is decided by its seed, so every contender sees the same
 * requests in the same order.
 *
 * Results are lines on stdout, one figure each, tab-separated:
 *     R <workload> <contender> <range> <metric> <value>
 * benchmarks/run.sh collects them; benchmarks/write_results.py turns them
 * into RESULTS.md.
 */
#ifndef DMMS_BENCH_HARNESS_H
#define DMMS_BENCH_HARNESS_H

#include "dmms.h"
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

/* ---- failures: a benchmark that saw a wrong answer stops ------------------ */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *format, ...);

/* ---- the contender ----------------------------------------------------------
 * DMMS: dmms_pool_alloc / dmms_pool_free on a pool of this process, with the
 * default config (guard 8, owner tracking, thread safe) when diagnostics are
 * on, and flags = DMMS_F_THREAD_SAFE, guard_bytes = 0 when they are off; or
 * exactly the flags named ("f" and their value in hex: what each costs).
 * malloc: malloc / free, whichever library the dynamic linker bound them to
 * (checked against the contender's name at start-up). */
typedef enum { CONTENDER_DMMS, CONTENDER_MALLOC } contender_kind_t;

typedef struct {
    contender_kind_t kind;
    char             name[32];      /* "dmms-lazy-on", "glibc", "jemalloc", ...     */
    uint32_t         coalesce;      /* DMMS_COALESCE_*                              */
    int              diagnostics;   /* DMMS: 1 = default config, 0 = off, -1 = flags */
    uint32_t         flags;         /* DMMS, diagnostics -1: config.flags ("-f7")    */
    uint32_t         max_joins;     /* DMMS: config.max_joins ("-j64": 64; 0 = none) */
    dmms_pool_t     *pool;          /* DMMS: the pool in use                        */
} contender_t;

extern contender_t contender;

/* Parses "dmms-<lazy|eager|on_demand>-<on|off|f<hex flags>>[-j<max_joins>]", "glibc", "jemalloc",
 * "mimalloc" or "tcmalloc"; for a malloc name, checks that malloc
 * really comes from that library. Dies on anything else. */
void contender_select(const char *name);
/* The DMMS config of the contender, with the given min block. */
dmms_config_t contender_config(uint32_t min_block);
/* Opens the contender's pool: over `memory` (from pool_memory) when given, so
 * that no page fault lands in a timed operation and every repetition starts
 * from the same pool; mapped by DMMS (dmms_pool_create(NULL, ...)) otherwise.
 * `block_bytes` is the bytes of blocks the pool must hold. No-op for malloc. */
void contender_open(size_t block_bytes, uint32_t min_block, void *memory);
/* Destroys the pool (every buffer must be back). No-op for malloc. */
void contender_close(void);
/* Pre-faulted memory for a pool of `block_bytes` of blocks (a power of two),
 * aligned so that it is one block. */
void *pool_memory(size_t block_bytes, uint32_t min_block);

static inline void *contender_alloc(size_t size) {
    if (contender.kind == CONTENDER_DMMS) return dmms_pool_alloc(contender.pool, size);
    return malloc(size);
}

static inline void contender_free(void *ptr) {
    if (contender.kind == CONTENDER_DMMS) {
        dmms_status_t status = dmms_pool_free(contender.pool, ptr);
        if (__builtin_expect(status != DMMS_OK, 0)) die("dmms_pool_free(%p): %s", ptr, dmms_strerror(status));
    } else {
        free(ptr);
    }
}

/* ---- the seeded generator and the size ranges ----------------------------- */
typedef struct { uint64_t state; } rng_t;

static inline uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
static inline uint64_t rng_next(rng_t *r) { r->state += 0x9E3779B97F4A7C15ull; return splitmix64(r->state); }
/* Uniform in [0, n); n > 0. */
static inline uint32_t rng_below(rng_t *r, uint32_t n) { return (uint32_t)(((rng_next(r) >> 32) * n) >> 32); }
/* Uniform in [0, 1). */
static inline double rng_unit(rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Request sizes, log-uniform over [low, high]. */
typedef struct { const char *name; size_t low, high; } size_range_t;
/* "A" 16–4096, "B" 8–256 (W1, W2, W5, instructions); "small" 16–1024,
 * "large" 16–65536 (W3). Dies on another name. */
size_range_t size_range(const char *name);
size_t draw_size(rng_t *r, size_range_t range);

/* ---- touching every buffer -------------------------------------------------
 * The same rule for every contender: a buffer of up to 64 bytes is written
 * whole (byte i = byte i%8 of the tag, xor i); a larger one gets the tag in
 * its first 8 bytes and ~tag in its last 8. Before it is freed the same bytes
 * are read back and compared; the buffer must also be aligned (min_alignment). */
#define TOUCH_WHOLE_MAX 64

static inline uint64_t whole_word(uint64_t tag, size_t k) {
    return tag ^ (0x0706050403020100ull + (uint64_t)k * 0x0808080808080808ull);
}

/* The alignment every contender owes a request of `size` bytes: 16, or the
 * largest power of two not above a smaller size (C11 7.22.3: suitable for any
 * object that fits; jemalloc gives an 8-byte request 8-byte alignment). */
static inline uintptr_t min_alignment(size_t size) {
    uintptr_t alignment = 16;
    while (alignment > 1 && alignment > size) alignment >>= 1;
    return alignment;
}

static inline void touch(void *ptr, size_t size, uint64_t tag) {
    unsigned char *p = ptr;
    if (size <= TOUCH_WHOLE_MAX) {
        size_t k = 0;
        for (; (k + 1) * 8 <= size; k++) { uint64_t w = whole_word(tag, k); memcpy(p + k * 8, &w, 8); }
        for (size_t i = k * 8; i < size; i++) p[i] = (unsigned char)((tag >> (8 * (i & 7))) ^ i);
    } else {
        uint64_t last = ~tag;
        memcpy(p, &tag, 8);
        memcpy(p + size - 8, &last, 8);
    }
}

static inline int intact(const void *ptr, size_t size, uint64_t tag) {
    const unsigned char *p = ptr;
    if (((uintptr_t)ptr & (min_alignment(size) - 1)) != 0) return 0;
    if (size <= TOUCH_WHOLE_MAX) {
        size_t k = 0;
        for (; (k + 1) * 8 <= size; k++) {
            uint64_t w;
            memcpy(&w, p + k * 8, 8);
            if (w != whole_word(tag, k)) return 0;
        }
        for (size_t i = k * 8; i < size; i++) if (p[i] != (unsigned char)((tag >> (8 * (i & 7))) ^ i)) return 0;
        return 1;
    }
    uint64_t first, last;
    memcpy(&first, p, 8);
    memcpy(&last, p + size - 8, 8);
    return first == tag && last == ~tag;
}

/* ---- live buffers ------------------------------------------------------------
 * A set of slots; each holds a buffer, its size and its tag. */
typedef struct {
    void    **ptr;
    uint32_t *size;
    uint64_t *tag;
    uint32_t  count, capacity;
    uint64_t  next_tag;
} live_set_t;

void live_init(live_set_t *live, uint32_t capacity, uint64_t seed);
/* Allocates `size` bytes into slot `slot` (not counted), touches it. */
static inline void live_fill(live_set_t *live, uint32_t slot, void *ptr, size_t size) {
    if (ptr == NULL) die("%s: allocation of %zu bytes failed", contender.name, size);
    uint64_t tag = splitmix64(live->next_tag++);
    touch(ptr, size, tag);
    live->ptr[slot] = ptr;
    live->size[slot] = (uint32_t)size;
    live->tag[slot] = tag;
}
/* Verifies the buffer in `slot`; dies when it was damaged. */
static inline void live_verify(const live_set_t *live, uint32_t slot) {
    if (!intact(live->ptr[slot], live->size[slot], live->tag[slot]))
        die("%s: buffer %p (%u bytes) damaged or misaligned", contender.name, live->ptr[slot], live->size[slot]);
}
/* Verifies and frees every buffer of the set. */
void live_drain(live_set_t *live);

/* ---- the timer ---------------------------------------------------------------
 * rdtsc fenced on both sides (no cpuid: it traps to the hypervisor). Times are
 * kept in TSC cycles; figures are converted to ns with the rate measured
 * against CLOCK_MONOTONIC_RAW, after subtracting the timer's own cost (the
 * shortest empty interval), clamped at 0. */
static inline uint64_t timer_start(void) { _mm_lfence(); uint64_t t = __rdtsc(); _mm_lfence(); return t; }
static inline uint64_t timer_stop(void) { unsigned aux; uint64_t t = __rdtscp(&aux); _mm_lfence(); return t; }

extern double   tsc_hz;          /* cycles per second                       */
extern uint32_t timer_overhead;  /* cycles of an empty interval (its minimum) */
/* Measures the rate (unless `given_hz` > 0) and the overhead. */
void   timer_calibrate(double given_hz);
double cycles_to_ns(uint64_t cycles);
double now_seconds(void);        /* CLOCK_MONOTONIC */
static inline uint32_t clamp32(uint64_t cycles) { return cycles > UINT32_MAX ? UINT32_MAX : (uint32_t)cycles; }

/* ---- harness memory and results ---------------------------------------------- */
/* Zeroed, pre-faulted memory from mmap (never from the malloc being measured). */
void *harness_array(size_t bytes);
void  harness_array_free(void *ptr, size_t bytes);
/* A sorted copy's percentile (q in [0, 1]) of n cycle counts; `sorted` is sorted in place. */
uint32_t percentile(const uint32_t *sorted, size_t n, double q);
void sort_cycles(uint32_t *values, size_t n);

void result(const char *workload, const char *range, const char *metric, double value);
void result_text(const char *workload, const char *range, const char *metric, const char *text);

/* ---- the workloads ------------------------------------------------------------ */
typedef struct {
    const char *range;      /* size range name                                    */
    uint64_t    seed;
    uint32_t    live;       /* live buffers in the steady state (W1, W2, W5, instr) */
    uint64_t    steps;      /* timed steps / pairs per repetition (per thread)     */
    uint64_t    warmup;     /* untimed pairs before the timed ones (W2, W5, instr) */
    uint32_t    reps;       /* repetitions (W1, W4) or seeds (W3)                  */
    uint32_t    threads;    /* W5, W6, W8                                          */
    size_t      pool_bytes; /* W4: bytes of blocks of the pool it fills            */
    uint32_t    min_block;  /* W3: min block of its pools                          */
} options_t;

int run_latency(const options_t *o);        /* W1 */
int run_throughput(const options_t *o);     /* W2 */
int run_fragmentation(const options_t *o);  /* W3 */
int run_adversarial(const options_t *o);    /* W4 */
int run_threads(const options_t *o);        /* W5 */
int run_instructions(const options_t *o);   /* callgrind */
int run_server(const options_t *o);         /* W6 */
int run_loop(const options_t *o);           /* W7 */
int run_stress(const options_t *o);         /* W8 */

#endif
