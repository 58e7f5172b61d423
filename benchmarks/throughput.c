/* throughput.c — W2: the steady state untimed: ns per free+alloc pair.
 * `warmup` pairs run first (the heap reaches its working set, pages are
 * faulted in), then `steps` pairs between two clock readings. The figure
 * includes the harness's verify and touch of every buffer. */
#include "steady.h"

int run_throughput(const options_t *o) {
    size_range_t range = size_range(o->range);
    script_t s = script(o->seed, range, o->live, o->warmup + o->steps);
    live_set_t live;
    live_init(&live, o->live, o->seed);
    contender_open(STEADY_POOL_BYTES, STEADY_MIN_BLOCK, NULL);

    prefill(&live, &s, o->live);
    pairs(&live, &s, 0, o->warmup);
    double start = now_seconds();
    pairs(&live, &s, o->warmup, o->warmup + o->steps);
    double seconds = now_seconds() - start;
    live_drain(&live);
    contender_close();

    result("W2", range.name, "ns_per_pair", seconds * 1e9 / (double)o->steps);
    result("W2", range.name, "pairs", (double)o->steps);
    return 0;
}
