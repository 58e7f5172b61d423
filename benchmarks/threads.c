/* threads.c — W5: the W2 loop in one or two threads on one pool / one heap.
 *
 * Every thread runs its own steady state (its own 10,000 buffers, its own
 * seed) on the shared pool or heap; the figure is pairs per second of wall
 * time from the common start to the last thread's end. Threads are created
 * also for a run of one, so a malloc treats both runs alike (glibc, for one,
 * gives a second thread its own arena; the main thread uses another). */
#define _GNU_SOURCE
#include "steady.h"
#include <pthread.h>
#include <stdio.h>

typedef struct {
    const options_t *o;
    script_t s;
    live_set_t live;
    pthread_barrier_t *barrier;
    double start, end;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    const options_t *o = w->o;
    prefill(&w->live, &w->s, o->live);
    pairs(&w->live, &w->s, 0, o->warmup);
    pthread_barrier_wait(w->barrier);
    w->start = now_seconds();
    pairs(&w->live, &w->s, o->warmup, o->warmup + o->steps);
    w->end = now_seconds();
    pthread_barrier_wait(w->barrier);
    live_drain(&w->live);
    return NULL;
}

int run_threads(const options_t *o) {
    enum { MAX_THREADS = 8 };
    uint32_t n = o->threads;
    if (n < 1 || n > MAX_THREADS) die("threads must be 1..%d", MAX_THREADS);
    size_range_t range = size_range(o->range);
    worker_t workers[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, n);
    contender_open(STEADY_POOL_BYTES, STEADY_MIN_BLOCK, NULL);
    for (uint32_t t = 0; t < n; t++) {
        workers[t] = (worker_t){ .o = o, .barrier = &barrier };
        workers[t].s = script(o->seed + t, range, o->live, o->warmup + o->steps);
        live_init(&workers[t].live, o->live, o->seed + t);
    }
    for (uint32_t t = 0; t < n; t++)
        if (pthread_create(&ids[t], NULL, worker, &workers[t]) != 0) die("pthread_create failed");
    double start = 1e300, end = 0;
    for (uint32_t t = 0; t < n; t++) {
        pthread_join(ids[t], NULL);
        if (workers[t].start < start) start = workers[t].start;
        if (workers[t].end > end) end = workers[t].end;
    }
    contender_close();
    pthread_barrier_destroy(&barrier);

    char metric[32];
    snprintf(metric, sizeof metric, "pairs_per_s_%ut", n);
    result("W5", range.name, metric, (double)n * (double)o->steps / (end - start));
    return 0;
}
