/* leak.c — leaks named by their owner: buffers still live since a mark,
 * grouped by task and call site, largest first. */
#include "dmms.h"
#include <pthread.h>
#include <stdio.h>

static dmms_pool_t *pool;

static void *logger(void *arg) {
    (void)arg;
    for (int i = 0; i < 3; i++) dmms_pool_alloc_at(pool, 128, "logger.c", 17);     /* never freed */
    return NULL;
}

int main(void) {
    pool = dmms_pool_create(NULL, 64 * 1024, NULL);
    uint64_t mark = dmms_mark(pool);
    pthread_t task;
    pthread_create(&task, NULL, logger, NULL);
    pthread_join(task, NULL);
    void *config_copy = dmms_pool_alloc_at(pool, 900, "config.c", 203);         /* never freed */
    void *scratch = dmms_pool_alloc_at(pool, 50, "main.c", 12);
    dmms_pool_free(pool, scratch);                                              /* this one is fine */
    (void)config_copy;
    uint64_t leaks = dmms_report_leaks(pool, mark, NULL, NULL);
    printf("%llu buffers leaked since the mark\n", (unsigned long long)leaks);
    return leaks == 4 ? 0 : 1;
}
