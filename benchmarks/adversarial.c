/* adversarial.c — W4: the pattern that makes a coalescing allocator work.
 *
 *   1. fill: `pool_bytes / 32` requests of 16 bytes (for DMMS: a pool of
 *      pool_bytes with min block 32, so every block is a minimum block and
 *      the pool is full — checked);
 *   2. free every other buffer (allocation order): nothing can join;
 *   3. free the rest in random order, and after every 64 frees ask for one
 *      large buffer (60,000 bytes: a 64 KiB block with or without
 *      diagnostics), touch it and free it at once.
 * Every call of steps 2 and 3 is timed alone. The run is repeated `reps`
 * times (a fresh DMMS pool over the same pre-faulted memory each time); the
 * worst single operation is reported raw and filtered (the largest of each
 * operation's minimum over the repetitions). A large request DMMS cannot
 * meet counts as an operation (it may have joined blocks trying) and in
 * large_failures. */
#include "harness.h"
#include <stdio.h>

#define ADVERSARIAL_MIN_BLOCK 32
#define SMALL_REQUEST 16
#define LARGE_REQUEST 60000
#define FREES_PER_LARGE 64

enum { OP_FREE_ALTERNATE, OP_FREE_RANDOM, OP_LARGE_ALLOC, OP_LARGE_FREE, OP_KINDS };
static const char *const kind_names[OP_KINDS] = { "free_alternate", "free_random", "large_alloc", "large_free" };

static void quiet_handler(const dmms_error_t *error, void *arg) {
    (void)arg;
    if (error->status != DMMS_E_NO_MEMORY) die("unexpected DMMS error: %s", error->message);
}

int run_adversarial(const options_t *o) {
    dmms_set_error_handler(quiet_handler, NULL);
    const uint32_t count = (uint32_t)(o->pool_bytes / ADVERSARIAL_MIN_BLOCK);
    const uint32_t half = count / 2, larges = half / FREES_PER_LARGE;
    const uint64_t ops = (uint64_t)half * 2 + (uint64_t)larges * 2;

    /* The random order of step 3: the odd indices, shuffled. */
    uint32_t *order = harness_array(half * sizeof(uint32_t));
    rng_t rng = { o->seed };
    for (uint32_t i = 0; i < half; i++) order[i] = 2 * i + 1;
    for (uint32_t i = half - 1; i > 0; i--) {
        uint32_t j = rng_below(&rng, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }

    uint8_t *kind = harness_array(ops);
    uint32_t *cycles = harness_array(ops * sizeof(uint32_t));
    uint32_t *minimum = harness_array(ops * sizeof(uint32_t));
    memset(minimum, 0xff, ops * sizeof(uint32_t));
    uint64_t raw_worst = 0, failures_first = 0;
    void *memory = contender.kind == CONTENDER_DMMS ? pool_memory(o->pool_bytes, ADVERSARIAL_MIN_BLOCK) : NULL;
    live_set_t live;
    live_init(&live, count, o->seed);

    for (uint32_t rep = 0; rep < o->reps; rep++) {
        contender_open(o->pool_bytes, ADVERSARIAL_MIN_BLOCK, memory);
        live.next_tag = o->seed << 32;
        for (uint32_t i = 0; i < count; i++) live_fill(&live, i, contender_alloc(SMALL_REQUEST), SMALL_REQUEST);
        if (contender.kind == CONTENDER_DMMS) {
            dmms_stats_t stats;
            dmms_stats(contender.pool, &stats);
            if (stats.bytes_free != 0 || stats.blocks_alloc != count)
                die("%s: the pool is not full of minimum blocks after the fill", contender.name);
        }
        uint64_t op = 0, failures = 0;
#define TIMED(what, k) do { \
            uint64_t t0_ = timer_start(); what; uint64_t t1_ = timer_stop(); \
            kind[op] = (k); cycles[op] = clamp32(t1_ - t0_); op++; \
        } while (0)
        for (uint32_t i = 0; i < count; i += 2) {
            live_verify(&live, i);
            TIMED(contender_free(live.ptr[i]), OP_FREE_ALTERNATE);
        }
        for (uint32_t k = 0; k < half; k++) {
            uint32_t i = order[k];
            live_verify(&live, i);
            TIMED(contender_free(live.ptr[i]), OP_FREE_RANDOM);
            if ((k + 1) % FREES_PER_LARGE != 0) continue;
            void *large;
            TIMED(large = contender_alloc(LARGE_REQUEST), OP_LARGE_ALLOC);
            if (large == NULL) {
                if (contender.kind != CONTENDER_DMMS) die("%s: a large request failed", contender.name);
                failures++;
                kind[op] = OP_LARGE_FREE;
                cycles[op++] = 0;   /* nothing to free: keeps the operations of all repetitions aligned */
                continue;
            }
            touch(large, LARGE_REQUEST, k);
            if (!intact(large, LARGE_REQUEST, k)) die("%s: large buffer damaged", contender.name);
            TIMED(contender_free(large), OP_LARGE_FREE);
        }
#undef TIMED
        if (op != ops) die("adversarial: %llu operations, expected %llu", (unsigned long long)op, (unsigned long long)ops);
        if (rep == 0) failures_first = failures;
        else if (failures != failures_first) die("%s: repetitions differ (%llu vs %llu failures)", contender.name,
                                                 (unsigned long long)failures, (unsigned long long)failures_first);
        for (uint64_t i = 0; i < ops; i++) {
            if (cycles[i] < minimum[i]) minimum[i] = cycles[i];
            if (cycles[i] > raw_worst) raw_worst = cycles[i];
        }
        contender_close();
    }

    uint64_t worst = 0, worst_at = 0, worst_by_kind[OP_KINDS] = { 0 }, slow = 0;
    const double microsecond = tsc_hz * 1e-6 + timer_overhead;
    for (uint64_t i = 0; i < ops; i++) {
        if (minimum[i] > worst) { worst = minimum[i]; worst_at = i; }
        if (minimum[i] > worst_by_kind[kind[i]]) worst_by_kind[kind[i]] = minimum[i];
        if (minimum[i] > microsecond) slow++;
    }
    result("W4", "-", "ops_over_1us_filt", (double)slow);
    result("W4", "-", "ops", (double)ops);
    result("W4", "-", "worst_filt_ns", cycles_to_ns(worst));
    result("W4", "-", "worst_raw_ns", cycles_to_ns(raw_worst));
    result_text("W4", "-", "worst_kind", kind_names[kind[worst_at]]);
    /* The median of each kind of call (filtered): is the worst one alone, or typical? */
    uint32_t *of_kind = harness_array(ops * sizeof(uint32_t));
    for (int k = 0; k < OP_KINDS; k++) {
        char metric[48];
        snprintf(metric, sizeof metric, "worst_%s_filt_ns", kind_names[k]);
        result("W4", "-", metric, cycles_to_ns(worst_by_kind[k]));
        size_t n = 0;
        for (uint64_t i = 0; i < ops; i++)
            if (kind[i] == k) of_kind[n++] = minimum[i];
        sort_cycles(of_kind, n);
        snprintf(metric, sizeof metric, "p50_%s_filt_ns", kind_names[k]);
        result("W4", "-", metric, cycles_to_ns(percentile(of_kind, n, 0.5)));
    }
    result("W4", "-", "large_failures", (double)failures_first);
    result("W4", "-", "large_requests", larges);
    result("W4", "-", "small_buffers", count);
    result("W4", "-", "small_request", SMALL_REQUEST);
    result("W4", "-", "large_request", LARGE_REQUEST);
    result("W4", "-", "frees_per_large", FREES_PER_LARGE);
    result("W4", "-", "reps", o->reps);
    return 0;
}
