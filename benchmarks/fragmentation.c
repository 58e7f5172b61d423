/* fragmentation.c — W3: how full a 16 MiB DMMS pool gets before it first
 * says no.
 *
 * dmms_pool_create(NULL, 16 MiB, cfg) (exactly 16 MiB of blocks) with min
 * block --min-block (run.sh: 32, and 16 for comparison). Results are
 * labelled W3-mb<min block>. Each step allocates (probability 0.6) a log-uniform size, or frees
 * a random live buffer, until the first allocation fails. Utilization is the
 * requested bytes live at that moment over 16 MiB, and over the pool's whole
 * footprint (pool_bytes + overhead_bytes of dmms_stats). `reps` seeds. */
#include "harness.h"
#include <stdio.h>

#define FRAGMENTATION_POOL_BYTES ((size_t)16 << 20)
#define ALLOCATE_PROBABILITY 0.6

static uint64_t unexpected_errors;

/* The failure that ends a run is expected; anything else is not. */
static void quiet_handler(const dmms_error_t *error, void *arg) {
    (void)arg;
    if (error->status != DMMS_E_NO_MEMORY) {
        unexpected_errors++;
        fprintf(stderr, "bench: unexpected DMMS error: %s\n", error->message);
    }
}

int run_fragmentation(const options_t *o) {
    if (contender.kind != CONTENDER_DMMS) die("W3 measures DMMS pools only");
    size_range_t range = size_range(o->range);
    dmms_set_error_handler(quiet_handler, NULL);
    live_set_t live;
    live_init(&live, FRAGMENTATION_POOL_BYTES / o->min_block, o->seed);
    double sum = 0, sum_footprint = 0, lowest = 1, lowest_footprint = 1;
    char workload[16];
    snprintf(workload, sizeof workload, "W3-mb%u", o->min_block);

    for (uint32_t run = 0; run < o->reps; run++) {
        rng_t rng = { o->seed + run };
        contender_open(FRAGMENTATION_POOL_BYTES, o->min_block, NULL);
        uint64_t requested = 0, steps = 0;
        for (;; steps++) {
            if (live.count == 0 || rng_unit(&rng) < ALLOCATE_PROBABILITY) {
                size_t size = draw_size(&rng, range);
                void *ptr = contender_alloc(size);
                if (ptr == NULL) break;
                live_fill(&live, live.count++, ptr, size);
                requested += size;
            } else {
                uint32_t slot = rng_below(&rng, live.count);
                live_verify(&live, slot);
                contender_free(live.ptr[slot]);
                requested -= live.size[slot];
                uint32_t last = --live.count;
                live.ptr[slot] = live.ptr[last];
                live.size[slot] = live.size[last];
                live.tag[slot] = live.tag[last];
            }
        }
        dmms_stats_t stats;
        if (dmms_stats(contender.pool, &stats) != DMMS_OK) die("dmms_stats failed");
        if (stats.bytes_requested != requested || stats.failed_allocs != 1)
            die("%s: stats say %llu bytes requested and %llu failures; the harness counted %llu and 1",
                contender.name, (unsigned long long)stats.bytes_requested,
                (unsigned long long)stats.failed_allocs, (unsigned long long)requested);
        double utilization = (double)requested / (double)FRAGMENTATION_POOL_BYTES;
        double footprint = (double)requested / (double)(stats.pool_bytes + stats.overhead_bytes);
        char metric[48];
        snprintf(metric, sizeof metric, "util_seed%u", run);
        result(workload, range.name, metric, utilization);
        sum += utilization;
        sum_footprint += footprint;
        if (utilization < lowest) lowest = utilization;
        if (footprint < lowest_footprint) lowest_footprint = footprint;
        if (run == 0) {
            result(workload, range.name, "overhead_bytes", (double)stats.overhead_bytes);
            result(workload, range.name, "pool_bytes", (double)stats.pool_bytes);
        }
        result(workload, range.name, "steps", (double)steps);
        live_drain(&live);
        contender_close();
    }
    if (unexpected_errors) die("%llu unexpected DMMS errors", (unsigned long long)unexpected_errors);
    result(workload, range.name, "util_mean", sum / o->reps);
    result(workload, range.name, "util_min", lowest);
    result(workload, range.name, "util_footprint_mean", sum_footprint / o->reps);
    result(workload, range.name, "util_footprint_min", lowest_footprint);
    result(workload, range.name, "seeds", o->reps);
    result(workload, range.name, "min_block", o->min_block);
    return 0;
}
