/* high_water.c — size a pool from facts: run the workload, read the
 * high-water mark of every block size, and let DMMS suggest the pool size. */
#include "dmms.h"
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    dmms_pool_t *pool = dmms_pool_create(NULL, 1 << 20, NULL);   /* generous while measuring */
    void *messages[200];
    for (int burst = 0; burst < 5; burst++) {                     /* bursts of 40 .. 200 messages */
        int n = 40 * (burst + 1);
        for (int i = 0; i < n; i++) messages[i] = dmms_pool_alloc(pool, 48 + (size_t)(i % 3) * 100);
        for (int i = 0; i < n; i++) dmms_pool_free(pool, messages[i]);
    }
    dmms_show(pool, 1, NULL, NULL);
    uint64_t size = dmms_suggest_pool_size(pool);
    printf("\nThis workload fits a pool of %llu bytes.\n", (unsigned long long)size);

    /* Prove it: the peak of the workload in memory of exactly that size,
     * aligned to its power of two (blocks are aligned to their size). */
    size_t blocks = 1;
    while (blocks * 2 <= size) blocks *= 2;
    void *memory = aligned_alloc(blocks, 2 * blocks);
    dmms_pool_t *sized = dmms_pool_create(memory, (size_t)size, NULL);
    int failed = 0;
    for (int i = 0; i < 200; i++) if (!(messages[i] = dmms_pool_alloc(sized, 48 + (size_t)(i % 3) * 100))) failed++;
    printf("%d of 200 messages failed in the sized pool\n", failed);
    return failed == 0 ? 0 : 1;
}
