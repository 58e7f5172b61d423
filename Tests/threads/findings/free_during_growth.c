/* free_during_growth.c — dmms_free while the pool gains a region (finding
 * "free during growth", docs/reliability.md).
 *
 * dmms_free (and the preloaded free) finds a pointer's pool by reading every
 * pool's region table without a lock (Registry.pool(holding:)). Since regions
 * are kept in address order (bf83242), adding a region below the others shifts
 * the table up while such a reader scans it; a reader that read the region
 * count before the shift can miss the last region. The free is then reported
 * DMMS_E_NOT_OWNED and the buffer leaks. The default pool adds regions by
 * itself when it grows, so a malloc'ing program under libdmms_preload.so can
 * meet it too. Rare: here, a few times in ten million frees.
 *
 * Trials until the first miss or 20 s. Exit 0 when no valid free is refused.
 */
#define _GNU_SOURCE
#include <dmms.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_int stop;
static atomic_ulong refused, frees;
static dmms_pool_t *pool;

static void record(const dmms_error_t *e, void *arg) {
    (void)arg;
    if (e->status == DMMS_E_NOT_OWNED) atomic_fetch_add(&refused, 1);
}

static void *free_loop(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        void *p = dmms_pool_alloc(pool, 4000);
        if (p && dmms_free(p) == DMMS_OK) atomic_fetch_add(&frees, 1);
        else if (p) dmms_pool_free(pool, p);      /* the leak, undone */
    }
    return NULL;
}

int main(void) {
    dmms_set_error_handler(record, NULL);
    unsigned char *arena = aligned_alloc(1 << 20, 32 << 20);
    time_t end = time(NULL) + 20;
    long trials = 0;
    while (atomic_load(&refused) == 0 && time(NULL) < end) {
        pool = dmms_pool_create(arena + (31 << 20), 1 << 20, NULL);     /* the highest memory first */
        atomic_store(&stop, 0);
        pthread_t t[2];
        for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, free_loop, NULL);
        for (int r = 30; r >= 16; r--) dmms_pool_add_memory(pool, arena + ((size_t)r << 20), 1 << 20);   /* each one lower */
        atomic_store(&stop, 1);
        for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
        dmms_pool_destroy(pool);
        trials++;
    }
    printf("  %ld pools given 15 regions each while 2 threads freed: %lu frees, %lu valid frees refused (DMMS_E_NOT_OWNED)\n",
           trials, atomic_load(&frees), atomic_load(&refused));
    printf("free_during_growth: %s\n", atomic_load(&refused) ? "PRESENT" : "absent");
    return atomic_load(&refused) ? 1 : 0;
}
