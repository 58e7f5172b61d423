/* steady.h — the steady state of W1, W2, W5 and the instruction count:
 * `live` buffers, then pairs that each free a random one and allocate a new
 * one in its slot. The script (sizes and victims) is drawn before any
 * measurement, from the seed alone, so every contender sees the same one. */
#ifndef DMMS_BENCH_STEADY_H
#define DMMS_BENCH_STEADY_H
#include "harness.h"

typedef struct {
    uint32_t *prefill;   /* [live]  sizes of the first buffers */
    uint32_t *sizes;     /* [pairs] size of each new buffer    */
    uint32_t *victims;   /* [pairs] slot freed by each pair    */
} script_t;

static inline script_t script(uint64_t seed, size_range_t range, uint32_t live, uint64_t pairs) {
    script_t s = {
        harness_array(live * sizeof(uint32_t)), harness_array(pairs * sizeof(uint32_t)),
        harness_array(pairs * sizeof(uint32_t)),
    };
    rng_t rng = { seed };
    for (uint32_t i = 0; i < live; i++) s.prefill[i] = (uint32_t)draw_size(&rng, range);
    for (uint64_t i = 0; i < pairs; i++) {
        s.victims[i] = rng_below(&rng, live);
        s.sizes[i] = (uint32_t)draw_size(&rng, range);
    }
    return s;
}

/* Allocates and touches the first `live` buffers. */
static inline void prefill(live_set_t *live, const script_t *s, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) live_fill(live, i, contender_alloc(s->prefill[i]), s->prefill[i]);
    live->count = count;
}

/* Pairs [from, to): verify the victim, free it, allocate, touch. */
static inline void pairs(live_set_t *live, const script_t *s, uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; i++) {
        uint32_t slot = s->victims[i];
        live_verify(live, slot);
        contender_free(live->ptr[slot]);
        live_fill(live, slot, contender_alloc(s->sizes[i]), s->sizes[i]);
    }
}

/* Pools of the steady-state workloads: 64 MiB (DMMS's default pool size),
 * default min block. */
#define STEADY_POOL_BYTES ((size_t)64 << 20)
#define STEADY_MIN_BLOCK 32

#endif
