/* programs.c — W6–W8: multi-threaded programs on malloc, as a server and a
 * stress test use it (malloc contenders only: glibc, the DMMS preload,
 * jemalloc, mimalloc, tcmalloc, each under LD_PRELOAD).
 *
 *   W6 server   --threads T: T threads replace objects in one shared table of
 *               T × --live slots, a random slot each step (an atomic exchange),
 *               so most objects die on another thread than the one that made
 *               them — the pattern of a larson-like server. Sizes B (8–256).
 *   W7 loop     two threads, each a tight malloc / touch / free of a small
 *               size (16–128, in turn): the cost of the common call alone.
 *   W8 stress   --threads T (more than the cores): each thread keeps --live
 *               objects of sizes "large" (16–65536), replacing a random one each
 *               step and writing every page of each; the figure beside the
 *               throughput is the process's peak resident set.
 *
 * Every workload runs --steps steps per thread after --warmup; the figure is
 * pairs (an allocation and a free) per second of wall time, all threads
 * together. Objects carry a tag in their first 8 bytes, checked when freed. */
#define _GNU_SOURCE
#include "harness.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/resource.h>

enum { MAX_PROGRAM_THREADS = 16 };

typedef struct program_s program_t;
typedef struct {
    program_t *p;
    uint32_t index;
    double start, end;
} runner_t;

struct program_s {
    const options_t *o;
    size_range_t range;
    _Atomic(uint64_t *) *table;   /* W6: the shared table; W8: per-thread tables */
    uint32_t slots;               /* W6: the table's size; W8: per thread          */
    pthread_barrier_t barrier;
    void (*steps)(runner_t *r, rng_t *rng, uint64_t count);
};

/* An object of `size` bytes (at least 8) holding `tag` in its first word. */
static uint64_t *make(size_t size, uint64_t tag) {
    uint64_t *object = malloc(size < 8 ? 8 : size);
    if (object == NULL) die("malloc(%zu) failed", size);
    object[0] = tag;
    return object;
}

/* Frees an object (NULL: an empty slot) after checking its tag's mark. */
static void retire(uint64_t *object) {
    if (object == NULL) return;
    if ((object[0] >> 56) != 0xA5) die("an object's tag was overwritten: %#llx", (unsigned long long)object[0]);
    free(object);
}

static uint64_t tag_of(runner_t *r, uint64_t step) { return 0xA5ull << 56 | (uint64_t)r->index << 40 | (step & 0xFFFFFFFFFF); }

/* W6: a random slot of the whole table, whoever filled it. */
static void server_steps(runner_t *r, rng_t *rng, uint64_t count) {
    program_t *p = r->p;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t *fresh = make(draw_size(rng, p->range), tag_of(r, i));
        uint64_t *old = atomic_exchange_explicit(&p->table[rng_below(rng, p->slots)], fresh, memory_order_acq_rel);
        retire(old);
    }
}

/* W7: malloc, touch, free. */
static void loop_steps(runner_t *r, rng_t *rng, uint64_t count) {
    (void)rng;
    for (uint64_t i = 0; i < count; i++) {
        size_t size = 16 + (size_t)(i & 7) * 16;
        uint64_t *object = make(size, tag_of(r, i));
        ((volatile char *)object)[size - 1] = 1;
        retire(object);
    }
}

/* W8: the thread's own table; every page of an object written. */
static void stress_steps(runner_t *r, rng_t *rng, uint64_t count) {
    program_t *p = r->p;
    _Atomic(uint64_t *) *mine = p->table + (size_t)r->index * p->slots;
    for (uint64_t i = 0; i < count; i++) {
        size_t size = draw_size(rng, p->range);
        uint64_t *fresh = make(size, tag_of(r, i));
        for (size_t offset = 4096; offset < size; offset += 4096) ((volatile char *)fresh)[offset] = 1;
        uint32_t slot = rng_below(rng, p->slots);
        retire(atomic_exchange_explicit(&mine[slot], fresh, memory_order_relaxed));
    }
}

static void *runner(void *arg) {
    runner_t *r = arg;
    const options_t *o = r->p->o;
    rng_t rng = { o->seed * 1000 + r->index };
    r->p->steps(r, &rng, o->warmup);
    pthread_barrier_wait(&r->p->barrier);
    r->start = now_seconds();
    r->p->steps(r, &rng, o->steps);
    r->end = now_seconds();
    return NULL;
}

/* Runs `threads` runners; pairs per second from the first start to the last end. */
static double run_program(program_t *p, uint32_t threads) {
    if (contender.kind != CONTENDER_MALLOC) die("W6–W8 measure malloc: run them with a malloc contender");
    if (threads < 1 || threads > MAX_PROGRAM_THREADS) die("threads must be 1..%d", MAX_PROGRAM_THREADS);
    runner_t runners[MAX_PROGRAM_THREADS];
    pthread_t ids[MAX_PROGRAM_THREADS];
    pthread_barrier_init(&p->barrier, NULL, threads);
    for (uint32_t t = 0; t < threads; t++) {
        runners[t] = (runner_t){ .p = p, .index = t };
        if (pthread_create(&ids[t], NULL, runner, &runners[t]) != 0) die("pthread_create failed");
    }
    double start = 1e300, end = 0;
    for (uint32_t t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        if (runners[t].start < start) start = runners[t].start;
        if (runners[t].end > end) end = runners[t].end;
    }
    pthread_barrier_destroy(&p->barrier);
    return (double)threads * (double)p->o->steps / (end - start);
}

static _Atomic(uint64_t *) *table_new(size_t slots) {
    _Atomic(uint64_t *) *table = calloc(slots, sizeof *table);
    if (table == NULL) die("no memory for a table of %zu slots", slots);
    return table;
}

static void table_free(_Atomic(uint64_t *) *table, size_t slots) {
    for (size_t i = 0; i < slots; i++) retire(atomic_load(&table[i]));
    free(table);
}

int run_server(const options_t *o) {
    program_t p = { .o = o, .range = size_range("B"), .slots = o->threads * o->live, .steps = server_steps };
    p.table = table_new(p.slots);
    double rate = run_program(&p, o->threads);
    table_free(p.table, p.slots);
    char metric[32];
    snprintf(metric, sizeof metric, "pairs_per_s_%ut", o->threads);
    result("W6", "B", metric, rate);
    return 0;
}

int run_loop(const options_t *o) {
    program_t p = { .o = o, .steps = loop_steps };
    result("W7", "-", "pairs_per_s_2t", run_program(&p, 2));
    return 0;
}

int run_stress(const options_t *o) {
    program_t p = { .o = o, .range = size_range("large"), .slots = o->live, .steps = stress_steps };
    size_t slots = (size_t)o->threads * o->live;
    p.table = table_new(slots);
    double rate = run_program(&p, o->threads);
    table_free(p.table, slots);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    char metric[32];
    snprintf(metric, sizeof metric, "pairs_per_s_%ut", o->threads);
    result("W8", "large", metric, rate);
    result("W8", "large", "peak_rss_kb", (double)usage.ru_maxrss);
    return 0;
}
