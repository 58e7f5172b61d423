/* latency.c — W1: every allocation and every free of a steady state, timed alone.
 *
 * `live` buffers (10,000) are allocated first; then each step frees a random
 * one and allocates a new one in its slot, each call between two reads of
 * the TSC. The whole run is repeated `reps` times with the same seed; a DMMS
 * pool is created afresh for each repetition over the same pre-faulted
 * memory, so every repetition is the same sequence of operations on the same
 * pool. Reported: percentiles over all repetitions' operations, and the
 * "filtered" figures — each operation's minimum over the repetitions, so a
 * slow path of the allocator stays and an interrupt or a descheduled vCPU,
 * which does not strike the same operation in every repetition, goes. */
#include "steady.h"
#include <stdio.h>

static void report(const char *op, const char *range, uint32_t *all, size_t n_all, uint32_t *minima, size_t n) {
    static const struct { const char *name; double q; } points[] = {
        { "p50", 0.50 }, { "p99", 0.99 }, { "p99.9", 0.999 }, { "p99.99", 0.9999 }, { "max", 1.0 },
    };
    char metric[64];
    double sum = 0, sum_minima = 0;
    for (size_t i = 0; i < n_all; i++) sum += all[i];
    for (size_t i = 0; i < n; i++) sum_minima += minima[i];
    snprintf(metric, sizeof metric, "%s_mean_ns", op);
    result("W1", range, metric, cycles_to_ns((uint64_t)(sum / (double)n_all)));
    snprintf(metric, sizeof metric, "%s_mean_filt_ns", op);
    result("W1", range, metric, cycles_to_ns((uint64_t)(sum_minima / (double)n)));
    sort_cycles(all, n_all);
    sort_cycles(minima, n);
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        snprintf(metric, sizeof metric, "%s_%s_ns", op, points[i].name);
        result("W1", range, metric, cycles_to_ns(percentile(all, n_all, points[i].q)));
        snprintf(metric, sizeof metric, "%s_%s_filt_ns", op, points[i].name);
        result("W1", range, metric, cycles_to_ns(percentile(minima, n, points[i].q)));
    }
}

int run_latency(const options_t *o) {
    size_range_t range = size_range(o->range);
    const uint32_t live_count = o->live, reps = o->reps;
    const uint64_t steps = o->steps;
    script_t s = script(o->seed, range, live_count, steps);

    uint32_t *alloc_cycles = harness_array(reps * steps * sizeof(uint32_t));
    uint32_t *free_cycles = harness_array(reps * steps * sizeof(uint32_t));
    uint32_t *alloc_min = harness_array(steps * sizeof(uint32_t));
    uint32_t *free_min = harness_array(steps * sizeof(uint32_t));
    memset(alloc_min, 0xff, steps * sizeof(uint32_t));
    memset(free_min, 0xff, steps * sizeof(uint32_t));

    void *memory = contender.kind == CONTENDER_DMMS ? pool_memory(STEADY_POOL_BYTES, STEADY_MIN_BLOCK) : NULL;
    live_set_t live;
    live_init(&live, live_count, o->seed);

    for (uint32_t rep = 0; rep < reps; rep++) {
        contender_open(STEADY_POOL_BYTES, STEADY_MIN_BLOCK, memory);
        live.next_tag = o->seed << 32;
        prefill(&live, &s, live_count);

        uint32_t *alloc_row = alloc_cycles + rep * steps, *free_row = free_cycles + rep * steps;
        for (uint64_t i = 0; i < steps; i++) {
            uint32_t slot = s.victims[i];
            live_verify(&live, slot);
            void *old = live.ptr[slot];
            uint64_t t0 = timer_start();
            contender_free(old);
            uint64_t t1 = timer_stop();
            uint64_t t2 = timer_start();
            void *fresh = contender_alloc(s.sizes[i]);
            uint64_t t3 = timer_stop();
            live_fill(&live, slot, fresh, s.sizes[i]);
            uint32_t f = clamp32(t1 - t0), a = clamp32(t3 - t2);
            free_row[i] = f;
            alloc_row[i] = a;
            if (f < free_min[i]) free_min[i] = f;
            if (a < alloc_min[i]) alloc_min[i] = a;
        }
        live_drain(&live);
        contender_close();
    }

    report("alloc", range.name, alloc_cycles, reps * steps, alloc_min, steps);
    report("free", range.name, free_cycles, reps * steps, free_min, steps);
    result("W1", range.name, "ops_per_rep", (double)steps);
    result("W1", range.name, "reps", reps);
    result("W1", range.name, "timer_overhead_ns", (double)timer_overhead * 1e9 / tsc_hz);
    return 0;
}
