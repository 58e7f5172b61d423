/* reports_stress.c — the reports while other threads allocate (against libdmms.so).
 *
 * ALLOCATORS threads allocate, resize (in place and moving), free and hand
 * buffers to each other (cross-thread frees) in one pool, while REPORTERS
 * threads call dmms_stats, dmms_walk, dmms_show (levels 0-3),
 * dmms_report_json, dmms_report_leaks and dmms_check in a loop. Each report
 * is checked for what must hold whatever the timing:
 *   - dmms_check finds nothing (it runs under the lock; nobody misuses the pool);
 *   - a dmms_stats snapshot is consistent (free + allocated <= pool bytes,
 *     blocks_alloc = sum of in_use, ...);
 *   - every buffer the walk passes is plausible: a block size that is a power
 *     of two of the pool, the address aligned to it and inside the pool,
 *     requested <= block size;
 *   - every report line ends in a newline; the JSON's brackets balance.
 * A watchdog fails the test if the run does not finish (a deadlock). At the
 * end: dmms_check clean, every buffer freed, the pool back to its top block.
 *
 *   reports_stress [seconds]       (default 5)
 */
#define _GNU_SOURCE
#include "../c/check.h"
#include "dmms.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define ALLOCATORS 4
#define REPORTERS 3
#define SLOTS 256
#define POOL_BYTES (8u << 20)

static dmms_pool_t *pool;
static uintptr_t pool_low, pool_high;
static atomic_int stop;
static atomic_ulong bad_walk, bad_stats, bad_lines, bad_json, check_problems, unexpected_errors;
static atomic_ulong walks, shows, jsons, checks, stats_taken, leak_reports, operations;

typedef struct { unsigned char *ptr; size_t size; unsigned char seed; } slot_t;
static slot_t shared[SLOTS];
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_error(const dmms_error_t *e, void *arg) {
    (void)arg;
    if (e->status != DMMS_E_NO_MEMORY) {
        atomic_fetch_add(&unexpected_errors, 1);
        fprintf(stderr, "unexpected report: %s\n", e->message);
    }
}

static void fill(slot_t *s) { for (size_t i = 0; i < s->size; i++) s->ptr[i] = (unsigned char)(s->seed + i * 3); }
static int intact(const slot_t *s) {
    for (size_t i = 0; i < s->size; i++) if (s->ptr[i] != (unsigned char)(s->seed + i * 3)) return 0;
    return 1;
}

static unsigned long long next(unsigned long long *r) {
    *r ^= *r >> 12; *r ^= *r << 25; *r ^= *r >> 27;
    return *r * 2685821657736338717ULL;
}

static size_t random_size(unsigned long long x) {
    unsigned bits = (unsigned)(x % 15);          /* log-uniform up to 16 KiB */
    return (size_t)((x >> 8) & (((size_t)1 << bits) - 1));
}

static void *allocator(void *arg) {
    unsigned long long r = 0x9E3779B97F4A7C15ULL * ((uintptr_t)arg + 1);
    slot_t mine[32] = { { 0 } };
    unsigned long count = 0;
    while (!atomic_load(&stop)) {
        unsigned long long x = next(&r);
        slot_t *s = &mine[x % 32];
        if (s->ptr && !intact(s)) { atomic_fetch_add(&bad_walk, 1); fprintf(stderr, "a buffer lost its contents\n"); }
        switch ((x >> 5) % 9) {
        case 0: case 1: case 2:
            dmms_pool_free(pool, s->ptr);
            s->size = random_size(x >> 9);
            s->ptr = dmms_pool_alloc(pool, s->size);
            if (!s->ptr) s->size = 0;
            break;
        case 3: case 4: {                 /* grow or shrink: in place when the buddies allow */
            size_t size = random_size(x >> 9);
            unsigned char *p = dmms_pool_realloc(pool, s->ptr, size);
            if (p) {
                size_t keep = s->size < size ? s->size : size;
                for (size_t i = 0; i < keep; i++)
                    if (p[i] != (unsigned char)(s->seed + i * 3)) { atomic_fetch_add(&bad_walk, 1); break; }
                s->ptr = p;
                s->size = size;
            }
            break;
        }
        case 5:
            dmms_free(s->ptr);
            s->ptr = dmms_pool_aligned_alloc(pool, (size_t)64 << ((x >> 9) % 6), random_size(x >> 13));
            s->size = s->ptr ? dmms_usable_size(s->ptr) : 0;
            break;
        case 6: {                         /* a small buffer that grows in place at once: a walk's
                                             cursor may now point into the middle of its block */
            dmms_pool_free(pool, s->ptr);
            unsigned char *p = dmms_pool_alloc(pool, 8 + (x >> 9) % 40);
            s->ptr = p ? dmms_pool_realloc(pool, p, 60 + (x >> 15) % 60) : NULL;
            s->size = s->ptr ? 60 + (x >> 15) % 60 : 0;
            if (!s->ptr && p) dmms_pool_free(pool, p);
            break;
        }
        default: {                        /* hand it to another thread */
            pthread_mutex_lock(&shared_lock);
            slot_t *o = &shared[(x >> 9) % SLOTS];
            slot_t t = *o; *o = *s; *s = t;
            pthread_mutex_unlock(&shared_lock);
            break;
        }
        }
        if (s->ptr) { s->seed = (unsigned char)(x >> 40); fill(s); }
        count++;
    }
    for (int i = 0; i < 32; i++) dmms_free(mine[i].ptr);
    atomic_fetch_add(&operations, count);
    return NULL;
}

/* ---- the reporters ---------------------------------------------------------- */

typedef struct { long depth; unsigned long lines; int in_string; int escaped; } json_state_t;

static void line_sink(const char *text, void *arg) {
    (void)arg;
    size_t n = strlen(text);
    if (n == 0 || text[n - 1] != '\n') atomic_fetch_add(&bad_lines, 1);
}

static void json_sink(const char *text, void *arg) {
    json_state_t *j = arg;
    line_sink(text, NULL);
    for (const char *c = text; *c; c++) {
        if (j->in_string) {
            if (j->escaped) j->escaped = 0;
            else if (*c == '\\') j->escaped = 1;
            else if (*c == '"') j->in_string = 0;
        } else if (*c == '"') j->in_string = 1;
        else if (*c == '{' || *c == '[') j->depth++;
        else if (*c == '}' || *c == ']') { if (--j->depth < 0) atomic_fetch_add(&bad_json, 1); }
    }
    j->lines++;
}

static uint64_t min_block;

static int32_t walk_visit(const dmms_block_info_t *b, void *arg) {
    (void)arg;
    uintptr_t p = (uintptr_t)b->ptr;
    uint64_t size = b->block_size;
    int ok = size >= min_block && (size & (size - 1)) == 0 && p >= pool_low && p + size <= pool_high &&
             (p & (size - 1)) == 0 && b->requested <= size;
    if (!ok) {
        if (atomic_fetch_add(&bad_walk, 1) < 5)
            fprintf(stderr, "walk passed an impossible buffer: %p, requested %llu, block %llu\n", b->ptr,
                    (unsigned long long)b->requested, (unsigned long long)size);
    }
    return 0;
}

static void check_stats(const dmms_stats_t *s) {
    uint64_t in_use = 0, free_bytes = 0;
    for (uint32_t k = 0; k < s->order_count; k++) {
        in_use += s->orders[k].in_use;
        free_bytes += s->orders[k].free_blocks * s->orders[k].block_size;
    }
    if (in_use != s->blocks_alloc || free_bytes != s->bytes_free || s->bytes_free + s->bytes_alloc > s->pool_bytes ||
        s->total_frees > s->total_allocs || s->bytes_requested > s->bytes_alloc)
        atomic_fetch_add(&bad_stats, 1);
}

static void *reporter(void *arg) {
    unsigned long long r = 0xD1B54A32D192ED03ULL * ((uintptr_t)arg + 7);
    while (!atomic_load(&stop)) {
        unsigned long long x = next(&r);
        switch (x % 8) {
        case 6: case 7:
        case 1: dmms_walk(pool, walk_visit, NULL); atomic_fetch_add(&walks, 1); break;
        case 0: { dmms_stats_t s; dmms_stats(pool, &s); check_stats(&s); atomic_fetch_add(&stats_taken, 1); break; }
        case 2: dmms_show(pool, (int32_t)((x >> 8) % 4), line_sink, NULL); atomic_fetch_add(&shows, 1); break;
        case 3: {
            json_state_t j = { 0 };
            dmms_report_json(pool, json_sink, &j);
            if (j.depth != 0 || j.in_string || j.lines == 0) atomic_fetch_add(&bad_json, 1);
            atomic_fetch_add(&jsons, 1);
            break;
        }
        case 4: dmms_report_leaks(pool, dmms_mark(pool) / 2, line_sink, NULL); atomic_fetch_add(&leak_reports, 1); break;
        default: atomic_fetch_add(&check_problems, dmms_check(pool)); atomic_fetch_add(&checks, 1); break;
        }
    }
    return NULL;
}

static void *watchdog(void *arg) {
    unsigned seconds = (unsigned)(uintptr_t)arg;
    sleep(seconds);
    fprintf(stderr, "reports_stress: still running %u s after the deadline: a deadlock\n", seconds);
    _exit(2);
}

int main(int argc, char **argv) {
    unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
    dmms_set_error_handler(on_error, NULL);
    dmms_config_t c;
    dmms_config_init(&c);
    c.name = "reports";
    pool = dmms_pool_create(NULL, POOL_BYTES, &c);
    CHECK(pool != NULL);
    dmms_stats_t initial;
    dmms_stats(pool, &initial);
    min_block = initial.min_block;
    /* the pool's blocks: a mapped power-of-two pool is one top block */
    void *probe = dmms_pool_alloc(pool, 0);
    pool_low = (uintptr_t)probe & ~(uintptr_t)(POOL_BYTES - 1);
    pool_high = pool_low + POOL_BYTES;
    dmms_pool_free(pool, probe);

    pthread_t dog, threads[ALLOCATORS + REPORTERS];
    pthread_create(&dog, NULL, watchdog, (void *)(uintptr_t)(seconds + 60));
    for (uintptr_t i = 0; i < ALLOCATORS; i++) pthread_create(&threads[i], NULL, allocator, (void *)i);
    for (uintptr_t i = 0; i < REPORTERS; i++) pthread_create(&threads[ALLOCATORS + i], NULL, reporter, (void *)i);
    sleep(seconds);
    atomic_store(&stop, 1);
    for (int i = 0; i < ALLOCATORS + REPORTERS; i++) pthread_join(threads[i], NULL);

    CHECK_EQ(dmms_check(pool), 0);
    for (int i = 0; i < SLOTS; i++) dmms_pool_free(pool, shared[i].ptr);
    dmms_stats_t s;
    dmms_stats(pool, &s);
    CHECK_EQ(s.blocks_alloc, 0);
    CHECK_EQ(dmms_check(pool), 0);
    void *whole = dmms_pool_alloc(pool, POOL_BYTES - 16);   /* back to its one top block */
    CHECK(whole != NULL);
    dmms_pool_free(pool, whole);
    CHECK_EQ(dmms_pool_destroy(pool), DMMS_OK);

    printf("  %lu operations by %d threads; %lu stats, %lu walks, %lu shows, %lu JSON, %lu leak reports, %lu checks by %d threads\n",
           atomic_load(&operations), ALLOCATORS, atomic_load(&stats_taken), atomic_load(&walks), atomic_load(&shows),
           atomic_load(&jsons), atomic_load(&leak_reports), atomic_load(&checks), REPORTERS);
    printf("  impossible walk entries or lost contents %lu, inconsistent stats %lu, bad lines %lu, bad JSON %lu, check problems %lu, unexpected reports %lu\n",
           atomic_load(&bad_walk), atomic_load(&bad_stats), atomic_load(&bad_lines), atomic_load(&bad_json),
           atomic_load(&check_problems), atomic_load(&unexpected_errors));
    CHECK_EQ(atomic_load(&bad_walk), 0);
    CHECK_EQ(atomic_load(&bad_stats), 0);
    CHECK_EQ(atomic_load(&bad_lines), 0);
    CHECK_EQ(atomic_load(&bad_json), 0);
    CHECK_EQ(atomic_load(&check_problems), 0);
    CHECK_EQ(atomic_load(&unexpected_errors), 0);
    return check_summary("reports_stress");
}
