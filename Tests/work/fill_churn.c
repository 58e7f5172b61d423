/* fill_churn.c — free(malloc(8)) in a loop on a pool of POOL bytes, with or
 * without DMMS_F_FILL_FREE: the work of one pair, counted by
 * Tests/work/run.sh under callgrind (only `churn` is counted).
 *
 *   fill_churn POOL_BYTES FILL(0|1) PAIRS
 */
#include <stdio.h>
#include <stdlib.h>
#include "dmms.h"

static void quiet(const dmms_error_t *e, void *arg) { (void)arg; fprintf(stderr, "unexpected: %s\n", e->message); exit(2); }

__attribute__((noinline)) static void churn(dmms_pool_t *pool, long pairs) {
    for (long i = 0; i < pairs; i++) {
        void *p = dmms_pool_alloc(pool, 8);
        if (p == NULL || dmms_pool_free(pool, p) != DMMS_OK) exit(3);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) return 1;
    dmms_set_error_handler(quiet, NULL);
    dmms_config_t c;
    dmms_config_init(&c);
    if (atoi(argv[2])) c.flags |= DMMS_F_FILL_FREE;
    dmms_pool_t *pool = dmms_pool_create(NULL, (size_t)atol(argv[1]), &c);
    if (pool == NULL) return 4;
    churn(pool, atol(argv[3]));
    return dmms_pool_destroy(pool) == DMMS_OK ? 0 : 5;
}
