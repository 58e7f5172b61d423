/* lazy_coalescing.c — the slack rule at work: freed blocks stay "lazily
 * free" at their size while the size has slack, so the next request of that
 * size is a pop and a free is a push; joins happen only when needed. */
#include "dmms.h"
#include <stdio.h>

static void row(dmms_pool_t *pool, const char *when) {
    dmms_stats_t s;
    dmms_stats(pool, &s);
    printf("%-38s 64-byte blocks: %3llu in use, %3llu free (%3llu lazy); joins so far: %llu\n", when,
           (unsigned long long)s.orders[1].in_use, (unsigned long long)s.orders[1].free_blocks,
           (unsigned long long)s.orders[1].lazy_free, (unsigned long long)s.merges);
}

int main(void) {
    dmms_pool_t *pool = dmms_pool_create(NULL, 64 * 1024, NULL);
    void *buffers[256];
    for (int i = 0; i < 256; i++) buffers[i] = dmms_pool_alloc(pool, 40);   /* 64-byte blocks */
    row(pool, "after 256 allocations:");
    for (int i = 0; i < 256; i += 2) dmms_pool_free(pool, buffers[i]);
    row(pool, "after freeing every other one:");
    for (int i = 0; i < 256; i += 2) buffers[i] = dmms_pool_alloc(pool, 40);
    row(pool, "after allocating them again:");
    for (int i = 0; i < 256; i++) dmms_pool_free(pool, buffers[i]);
    row(pool, "after freeing everything:");
    dmms_stats_t s;
    dmms_stats(pool, &s);
    printf("free blocks: %llu, the largest %llu bytes: the pool is whole again\n",
           (unsigned long long)s.blocks_free, (unsigned long long)s.max_block_free);
    return s.blocks_free == 1 ? 0 : 1;
}
