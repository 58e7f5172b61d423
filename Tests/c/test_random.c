/* test_random.c — a seeded random workload against a reference model.
 *
 * For each coalescing policy and pool shape: allocations (plain, calloc,
 * aligned), frees and reallocs in random order, driven into exhaustion now
 * and then. After every operation the model and the pool must agree: no two
 * live buffers overlap (each holds its own pattern, verified before it is
 * freed or resized), and the counters of dmms_stats match the model exactly
 * (compared after every operation on the small pool, every 997 on the large
 * ones); dmms_check runs after every operation on the small pool, every few
 * thousand on the large ones. A failed request must be
 * one no pool could meet: no free block of its size is left after the joins.
 * When everything is freed the pool must be its original top blocks again.
 * Bounded work: no call joins or splits more than twice per block size (the
 * slack rule's promise), except a request that had to join lazy blocks on
 * demand (counted in the JSON report's demand_joins).
 *
 * The model also keeps each size's high-water mark, and checks the slack
 * rule (Core/Coalescing.swift) through the lazy/global free counts: per size k, with
 * N = in use + lazy + global free blocks, D = N - 2·lazy - global = in use -
 * lazy. Lazy coalescing must keep D >= 0 at all times, and a free at size k
 * must leave the block lazy when D >= 2 before it, free it globally when
 * D = 1, and free it and one lazy block globally when D = 0 — checked exactly
 * at every free. Eager coalescing never has a lazy block.
 */
#include "check.h"
#include "dmms.h"
#include <stdint.h>
#include <string.h>

#define MAX_LIVE 3000

typedef struct { unsigned char *ptr; size_t size; int order; unsigned char seed; } live_t;
static live_t live[MAX_LIVE];
static size_t live_count;

typedef struct {
    uint64_t total_allocs, total_frees, failed, bytes_requested;
    uint64_t in_use[DMMS_MAX_ORDERS], allocs[DMMS_MAX_ORDERS], failures[DMMS_MAX_ORDERS];
    uint64_t high_water[DMMS_MAX_ORDERS];
} model_t;
static model_t model;
static unsigned long budget_failures;    /* requests the join budget stopped */
static unsigned long errors_other;
static uint64_t worst_steps;            /* most splits + merges in one call */
static uint64_t steps_before;

static int invalid_expected;           /* an alignment beyond the largest block */
static char last_no_memory[512];       /* the report of the latest failed request */
static void quiet_handler(const dmms_error_t *e, void *arg) {
    (void)arg;
    if (e->status == DMMS_E_INVALID_ARG && invalid_expected) {
        invalid_expected = 0;
    } else if (e->status == DMMS_E_NO_MEMORY) {
        snprintf(last_no_memory, sizeof last_no_memory, "%s", e->message);
    } else {
        errors_other++;
        fprintf(stderr, "unexpected: %s\n", e->message);
    }
}

static size_t extra_bytes(const dmms_config_t *c) {
    return ((c->flags & DMMS_F_GUARD) ? c->guard_bytes : 0) + ((c->flags & DMMS_F_TRACK_OWNER) ? 8 : 0);
}

/* The order a request lands in (-1: larger than any order). */
static int order_of(const dmms_config_t *c, size_t size, size_t alignment) {
    size_t need = size + extra_bytes(c);
    if (need < alignment) need = alignment;
    int order = 0;
    size_t block = c->min_block;
    while (block < need) { block <<= 1; order++; if (order >= 40) return -1; }
    return order;
}

static void fill(live_t *l) { for (size_t i = 0; i < l->size; i++) l->ptr[i] = (unsigned char)(l->seed + i * 7); }
static int intact(const live_t *l) {
    for (size_t i = 0; i < l->size; i++) if (l->ptr[i] != (unsigned char)(l->seed + i * 7)) return 0;
    return 1;
}

static size_t random_size(int big_phase) {
    size_t r = rng_below(100);
    if (big_phase && r < 30) return 4096 + rng_below(128 * 1024);
    if (r < 3) return 0;
    /* log-uniform 1 .. 8 KiB */
    unsigned bits = 1 + (unsigned)rng_below(13);
    return 1 + rng_below((size_t)1 << bits);
}

static void compare(dmms_pool_t *p, const char *when) {
    dmms_stats_t s;
    CHECK_EQ(dmms_stats(p, &s), DMMS_OK);
    int ok = s.total_allocs == model.total_allocs && s.total_frees == model.total_frees &&
             s.failed_allocs == model.failed && s.bytes_requested == model.bytes_requested &&
             s.blocks_alloc == live_count;
    for (uint32_t k = 0; k < s.order_count; k++) {
        ok = ok && s.orders[k].in_use == model.in_use[k] && s.orders[k].allocs == model.allocs[k] &&
             s.orders[k].failures == model.failures[k] && s.orders[k].high_water == model.high_water[k];
        /* D = in use - lazy >= 0 (lazy); no lazy block at all (eager). */
        if (s.coalesce == DMMS_COALESCE_LAZY) ok = ok && s.orders[k].lazy_free <= s.orders[k].in_use;
        if (s.coalesce == DMMS_COALESCE_EAGER) ok = ok && s.orders[k].lazy_free == 0;
    }
    if (!ok) {
        fprintf(stderr, "stats differ from the model %s (allocs %llu/%llu frees %llu/%llu failed %llu/%llu req %llu/%llu live %llu/%zu)\n",
                when, (unsigned long long)s.total_allocs, (unsigned long long)model.total_allocs,
                (unsigned long long)s.total_frees, (unsigned long long)model.total_frees,
                (unsigned long long)s.failed_allocs, (unsigned long long)model.failed,
                (unsigned long long)s.bytes_requested, (unsigned long long)model.bytes_requested,
                (unsigned long long)s.blocks_alloc, live_count);
        for (uint32_t k = 0; k < s.order_count; k++)
            if (s.orders[k].in_use != model.in_use[k] || s.orders[k].allocs != model.allocs[k] ||
                s.orders[k].failures != model.failures[k] || s.orders[k].high_water != model.high_water[k] ||
                s.orders[k].lazy_free > s.orders[k].in_use)
                fprintf(stderr, "  order %u (%llu B): in_use %llu/%llu allocs %llu/%llu failures %llu/%llu "
                        "high water %llu/%llu lazy %llu\n", k,
                        (unsigned long long)s.orders[k].block_size,
                        (unsigned long long)s.orders[k].in_use, (unsigned long long)model.in_use[k],
                        (unsigned long long)s.orders[k].allocs, (unsigned long long)model.allocs[k],
                        (unsigned long long)s.orders[k].failures, (unsigned long long)model.failures[k],
                        (unsigned long long)s.orders[k].high_water, (unsigned long long)model.high_water[k],
                        (unsigned long long)s.orders[k].lazy_free);
    }
    CHECK(ok);
}

static void count_alloc(int order, size_t size) {
    model.total_allocs++; model.bytes_requested += size; model.in_use[order]++; model.allocs[order]++;
    if (model.in_use[order] > model.high_water[order]) model.high_water[order] = model.in_use[order];
}
static void count_free(const dmms_config_t *c, const live_t *l) {
    (void)c; model.total_frees++; model.bytes_requested -= l->size; model.in_use[l->order]--;
}

/* The slack rule at a free of a buffer of `order` under lazy coalescing:
 * `before` is the pool's stats just before the free. Exact: the lazy count of
 * that size rises by one (D >= 2), stays (D = 1) or falls by one (D = 0);
 * joins make global blocks only, so no other size's lazy count moves. */
static unsigned long slack_rule_frees;
static void check_slack_rule(dmms_pool_t *p, const dmms_stats_t *before, int order) {
    dmms_stats_t after;
    dmms_stats(p, &after);
    int64_t lazy = (int64_t)before->orders[order].lazy_free;
    int64_t d = (int64_t)before->orders[order].in_use - lazy;
    int64_t expected = d >= 2 ? lazy + 1 : d == 1 ? lazy : lazy - 1;
    int ok = (int64_t)after.orders[order].lazy_free == expected;
    for (uint32_t k = 0; k < after.order_count; k++)
        if ((int)k != order) ok = ok && after.orders[k].lazy_free == before->orders[k].lazy_free;
    if (!ok)
        fprintf(stderr, "slack rule: free at order %d with in use %llu, lazy %llu (D = %lld): lazy %llu after, expected %lld\n",
                order, (unsigned long long)before->orders[order].in_use, (unsigned long long)lazy, (long long)d,
                (unsigned long long)after.orders[order].lazy_free, (long long)expected);
    CHECK(ok);
    slack_rule_frees++;
}

/* A NULL answer must mean no free block of that order is left, and that no
 * join could have made one: every lazily free block below the order has been
 * joined — unless the pool's join budget (max_joins) stopped the joins, which
 * the report must then say. */
static void count_failure(dmms_pool_t *p, const dmms_config_t *c, int order) {
    model.failed++;
    if (order >= 0) model.failures[order]++;
    dmms_stats_t s;
    dmms_stats(p, &s);
    if (order < 0 || (uint32_t)order >= s.order_count) return;
    CHECK(s.max_block_free < s.orders[order].block_size);
    uint64_t lazy_below = 0;
    for (int k = 0; k < order; k++) lazy_below += s.orders[k].lazy_free;
    if (c->max_joins == 0) {
        CHECK_EQ(lazy_below, 0);
    } else if (lazy_below > 0) {
        budget_failures++;
        CHECK(strstr(last_no_memory, "the join budget (max_joins) was reached") != NULL);
    }
}

static uint64_t steps(dmms_pool_t *p) { dmms_stats_t s; dmms_stats(p, &s); return s.splits + s.merges; }
static uint64_t demand_joins_before;

/* Splits and merges of the last call; a call that joined lazy blocks on
 * demand (the one unbounded step, counted by dmms_demand_joins) is left out. */
static void count_steps(dmms_pool_t *p) {
    uint64_t now = steps(p), demanded = dmms_demand_joins(p);
    if (demanded == demand_joins_before && now - steps_before > worst_steps) worst_steps = now - steps_before;
    steps_before = now;
    demand_joins_before = demanded;
}

static unsigned long run(const char *name, dmms_pool_t *p, const dmms_config_t *c, long operations, int check_every) {
    memset(&model, 0, sizeof model);
    live_count = 0;
    dmms_stats_t initial;
    dmms_stats(p, &initial);
    const uint64_t largest = initial.orders[initial.order_count - 1].block_size;
    unsigned long failures_seen = 0;
    steps_before = steps(p);
    demand_joins_before = dmms_demand_joins(p);
    worst_steps = 0;
    for (long op = 0; op < operations; op++) {
        int big_phase = (op / 20000) % 4 == 3;
        size_t r = rng_below(100);
        if (live_count > 0 && (r < 40 || live_count == MAX_LIVE)) {            /* free */
            size_t i = rng_below(live_count);
            CHECK(intact(&live[i]));
            dmms_stats_t before;
            if (c->coalesce == DMMS_COALESCE_LAZY) dmms_stats(p, &before);
            CHECK_EQ(dmms_pool_free(p, live[i].ptr), DMMS_OK);
            if (c->coalesce == DMMS_COALESCE_LAZY) check_slack_rule(p, &before, live[i].order);
            count_free(c, &live[i]);
            live[i] = live[--live_count];
        } else if (live_count > 0 && r < 50) {                                  /* realloc */
            size_t i = rng_below(live_count);
            size_t size = random_size(big_phase);
            CHECK(intact(&live[i]));
            int order = order_of(c, size, 0);
            unsigned char *q = dmms_pool_realloc(p, live[i].ptr, size);
            if (q == NULL) {
                count_failure(p, c, order);
                failures_seen++;
                CHECK(intact(&live[i]));
            } else {
                /* Kept at its size, the buffer is resized in place; moved or
                 * resized into another size, it exists in both for a moment,
                 * so the high-water mark counts the new one first. */
                if (order == live[i].order) {
                    count_free(c, &live[i]);
                    count_alloc(order, size);
                } else {
                    count_alloc(order, size);
                    count_free(c, &live[i]);
                }
                size_t keep = live[i].size < size ? live[i].size : size;
                for (size_t j = 0; j < keep; j++) CHECK_EQ(q[j], (unsigned char)(live[i].seed + j * 7));
                live[i].ptr = q;
                live[i].size = size;
                live[i].order = order;
                fill(&live[i]);
                CHECK_EQ(dmms_usable_size(q), size);
            }
        } else {                                                                 /* alloc */
            size_t size = random_size(big_phase);
            size_t alignment = 0;
            unsigned char *q;
            int refused = 0;            /* an alignment beyond the largest block: not a request */
            if (r < 56) {
                alignment = (size_t)16 << rng_below(9);
                refused = invalid_expected = alignment > largest;
                q = dmms_pool_aligned_alloc(p, alignment, size);
                if (q) CHECK(((uintptr_t)q & (alignment - 1)) == 0);
                if (refused) CHECK(q == NULL && !invalid_expected);
            } else if (r < 62) {
                size_t count = 1 + rng_below(4), each = size / 4 + 1;
                q = dmms_pool_calloc(p, count, each);
                size = count * each;
                if (q) CHECK_EQ(dmms_usable_size(q), size);
                if (q) for (size_t j = 0; j < size; j++) CHECK_EQ(q[j], 0);
            } else {
                q = dmms_pool_alloc(p, size);
            }
            int order = order_of(c, size, alignment);
            if (refused) {
                /* nothing counted */
            } else if (q == NULL) {
                count_failure(p, c, order);
                failures_seen++;
            } else {
                CHECK(((uintptr_t)q & 15) == 0);
                count_alloc(order, size);
                live[live_count] = (live_t){ q, size, order, (unsigned char)rng() };
                fill(&live[live_count]);
                live_count++;
            }
        }
        count_steps(p);
        if (op % 997 == 0 || check_every == 1) compare(p, "during the run");   /* small pools: every op */
        if (op % check_every == 0) CHECK_EQ(dmms_check(p), 0);
    }
    compare(p, "at the end");
    CHECK_EQ(dmms_check(p), 0);
    while (live_count > 0) {
        CHECK(intact(&live[live_count - 1]));
        CHECK_EQ(dmms_pool_free(p, live[live_count - 1].ptr), DMMS_OK);
        count_free(c, &live[--live_count]);
    }
    compare(p, "after freeing everything");
    dmms_stats_t s;
    if (c->coalesce == DMMS_COALESCE_ON_DEMAND) {
        /* Freed blocks stay lazy until a request needs them joined: ask for
         * every top block, largest first; each request must be met. */
        static void *tops[64];
        int n = 0;
        for (int k = (int)initial.order_count - 1; k >= 0; k--)
            for (uint64_t j = 0; j < initial.orders[k].free_blocks && n < 64; j++) {
                /* Under a join budget a request may need several calls. */
                uint64_t tries = 0;
                do tops[n] = dmms_pool_alloc(p, initial.orders[k].block_size - extra_bytes(c));
                while (tops[n] == NULL && c->max_joins > 0 && ++tries < (1u << 20));
                CHECK(tops[n] != NULL);
                n++;
            }
        while (n > 0) CHECK_EQ(dmms_pool_free(p, tops[--n]), DMMS_OK);
    }
    dmms_stats(p, &s);
    CHECK_EQ(s.blocks_free, initial.blocks_free);
    CHECK_EQ(s.max_block_free, initial.max_block_free);
    CHECK_EQ(s.bytes_free, initial.bytes_free);
    CHECK_EQ(s.bytes_alloc, 0);
    CHECK_EQ(dmms_check(p), 0);
    printf("  %-34s %ld ops, %lu failed requests, %llu splits, %llu merges, at most %llu per call\n", name,
           operations, failures_seen, (unsigned long long)s.splits, (unsigned long long)s.merges,
           (unsigned long long)worst_steps);
    /* The slack rule's bound: a free joins at most twice per size (the block
     * and one lazy block), an allocation splits at most once per size. */
    CHECK(worst_steps <= 2 * (uint64_t)s.order_count);
    return failures_seen;
}

int main(int argc, char **argv) {
    long scale = argc > 1 ? atol(argv[1]) : 1;   /* `make soak` passes a larger scale */
    dmms_set_error_handler(quiet_handler, NULL);
    static const uint32_t policies[] = { DMMS_COALESCE_LAZY, DMMS_COALESCE_EAGER, DMMS_COALESCE_ON_DEMAND };
    static const char *names[] = { "lazy", "eager", "on_demand" };
    unsigned long total_failures = 0;
    long total_ops = 0;
    for (int i = 0; i < 3; i++) {
        dmms_config_t c;
        dmms_config_init(&c);
        c.coalesce = policies[i];
        char label[64];

        /* A mapped power-of-two pool: one top block. */
        dmms_pool_t *p = dmms_pool_create(NULL, 4 << 20, &c);
        CHECK(p != NULL);
        snprintf(label, sizeof label, "%s, 4 MiB mapped", names[i]);
        total_failures += run(label, p, &c, 2500000 * scale, 5000);
        CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
        total_ops += 2500000 * scale;

        /* An odd-sized static pool plus an added region, no diagnostics, min block 16. */
        static unsigned char memory[3 << 20] __attribute__((aligned(64)));
        static unsigned char extra[700 * 1024 + 48] __attribute__((aligned(16)));
        dmms_config_init(&c);
        c.coalesce = policies[i];
        c.flags = DMMS_F_THREAD_SAFE;
        c.min_block = 16;
        p = dmms_pool_create(memory + 64, sizeof memory - 64 - 1000, &c);
        CHECK(p != NULL);
        CHECK_EQ(dmms_pool_add_memory(p, extra + 16, sizeof extra - 16), DMMS_OK);
        snprintf(label, sizeof label, "%s, odd static + region", names[i]);
        total_failures += run(label, p, &c, 700000 * scale, 2000);
        CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
        total_ops += 700000 * scale;

        /* A small pool, checked after every operation, driven to failure
         * often; then (lazy and on-demand) again under a join budget: a
         * failure the budget caused must say so, the joins done are kept. */
        static unsigned char tiny[48 * 1024] __attribute__((aligned(16)));
        for (uint32_t budget = 0; budget <= 8; budget += 8) {
            if (budget > 0 && policies[i] == DMMS_COALESCE_EAGER) break;
            dmms_config_init(&c);
            c.coalesce = policies[i];
            c.max_joins = budget;
            p = dmms_pool_create(tiny, sizeof tiny, &c);
            CHECK(p != NULL);
            if (budget == 0) snprintf(label, sizeof label, "%s, 48 KiB, checked every op", names[i]);
            else snprintf(label, sizeof label, "%s, 48 KiB, max_joins %u", names[i], budget);
            total_failures += run(label, p, &c, 150000 * scale, 1);
            CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
            total_ops += 150000 * scale;
        }

        /* The smallest pool there is: one min block and its metadata. */
        static unsigned char smallest[8192] __attribute__((aligned(64)));
        dmms_config_init(&c);
        c.coalesce = policies[i];
        p = dmms_pool_create(smallest, c.min_block + dmms_pool_overhead(c.min_block, &c), &c);
        CHECK(p != NULL);
        snprintf(label, sizeof label, "%s, one min block", names[i]);
        total_failures += run(label, p, &c, 20000 * scale, 1);
        CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
        total_ops += 20000 * scale;
    }
    printf("  %ld operations, %lu failed requests (each checked against the free blocks and the joins left; "
           "%lu stopped by a join budget, as their reports say), %lu lazy frees checked against the slack rule\n",
           total_ops, total_failures, budget_failures, slack_rule_frees);
    CHECK(budget_failures > 0);
    CHECK(total_failures > 1000);
    CHECK_EQ(errors_other, 0);
    return check_summary("test_random");
}
