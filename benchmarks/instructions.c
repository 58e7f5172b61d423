/* instructions.c — the steady state for callgrind: instructions per alloc
 * and per free, counted inside the allocator only.
 *
 * The prefill and `warmup` pairs run uncounted; then `steps` pairs call the
 * allocator through bench_alloc / bench_free, the only functions callgrind
 * collects in (run.sh passes --collect-atstart=no --toggle-collect=bench_alloc
 * --toggle-collect=bench_free). Their inclusive cost minus their own self cost
 * is the allocator's (its PLT stub, lock and all). */
#include "steady.h"

__attribute__((noinline, noclone, used)) void *bench_alloc(size_t size) {
    void *ptr = contender_alloc(size);
    __asm__ volatile("" ::: "memory");
    return ptr;
}

__attribute__((noinline, noclone, used)) void bench_free(void *ptr) {
    contender_free(ptr);
    __asm__ volatile("" ::: "memory");
}

int run_instructions(const options_t *o) {
    size_range_t range = size_range(o->range);
    script_t s = script(o->seed, range, o->live, o->warmup + o->steps);
    live_set_t live;
    live_init(&live, o->live, o->seed);
    contender_open(STEADY_POOL_BYTES, STEADY_MIN_BLOCK, NULL);

    prefill(&live, &s, o->live);
    pairs(&live, &s, 0, o->warmup);
    for (uint64_t i = o->warmup; i < o->warmup + o->steps; i++) {
        uint32_t slot = s.victims[i];
        live_verify(&live, slot);
        bench_free(live.ptr[slot]);
        live_fill(&live, slot, bench_alloc(s.sizes[i]), s.sizes[i]);
    }
    live_drain(&live);
    contender_close();
    result("instr", range.name, "pairs", (double)o->steps);
    return 0;
}
