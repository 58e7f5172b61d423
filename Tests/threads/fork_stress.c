/* fork_stress.c — fork() while other threads allocate, again and again.
 *
 * THREADS threads allocate, fill, check and free buffers of mixed sizes (and
 * hand some to each other) without pause; the main thread forks FORKS times.
 * Each child allocates, frees and exits; a child that has not exited after
 * 5 s is a hang (killed and counted; after MAX_HANGS hangs the run stops).
 * The forks start once every thread has allocated: a fork during the very
 * first DMMS calls is Tests/threads/findings/fork_at_start.c's business.
 *
 * Built two ways:
 *   -DFORK_DMMS_API   dmms_alloc/dmms_free against libdmms.so; the child also
 *                     runs dmms_check(NULL) and checks that DMMS names it, not
 *                     its parent's thread, as the task that calls
 *   (otherwise)       malloc/free: run under LD_PRELOAD=libdmms_preload.so
 *
 *   fork_stress [forks [max_hangs]]      (default 1000, 3)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef FORK_DMMS_API
#include "dmms.h"
#define MALLOC(n) dmms_alloc(n)
#define FREE(p) dmms_free(p)
#define MODE "DMMS API (libdmms.so)"
#else
#define MALLOC(n) malloc(n)
#define FREE(p) free(p)
#define MODE "malloc"
#endif

#define THREADS 4
#define SLOTS 64

static atomic_int stop, started;
static atomic_ulong operations;
static void *shared[SLOTS];
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
    unsigned long long r = 0x9E3779B97F4A7C15ULL * ((uintptr_t)arg + 1);
    void *mine[32] = { 0 };
    unsigned long count = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        r ^= r >> 12; r ^= r << 25; r ^= r >> 27;
        unsigned long long x = r * 2685821657736338717ULL;
        void **slot = &mine[x % 32];
        FREE(*slot);
        size_t size = (size_t)((x >> 8) % ((x >> 40) % 16 == 0 ? 70000 : 400));
        *slot = MALLOC(size);
        if (*slot) memset(*slot, (int)x, size);
        if ((x >> 20) % 8 == 0) {            /* hand one to another thread */
            pthread_mutex_lock(&shared_lock);
            void **other = &shared[(x >> 24) % SLOTS];
            void *t = *other; *other = *slot; *slot = t;
            pthread_mutex_unlock(&shared_lock);
        }
        if (count++ == 0) atomic_fetch_add(&started, 1);
    }
    for (int i = 0; i < 32; i++) FREE(mine[i]);
    atomic_fetch_add(&operations, count);
    return NULL;
}

#ifdef FORK_DMMS_API
static uint64_t reported_caller;
static void record_caller(const dmms_error_t *e, void *arg) { (void)arg; reported_caller = e->caller; }
#endif

/* The child: allocate, use, free; 0 when all went well. */
static int child(void) {
    void *blocks[64];
    for (int i = 0; i < 64; i++) {
        blocks[i] = MALLOC(16 + (size_t)i * 40);
        if (!blocks[i]) return 1;
        memset(blocks[i], i, 16 + (size_t)i * 40);
    }
    for (int i = 0; i < 64; i++) FREE(blocks[i]);
#ifdef FORK_DMMS_API
    if (dmms_check(NULL) != 0) return 2;
    /* Which task does DMMS think is calling? A report says (caller). */
    int local;
    dmms_set_error_handler(record_caller, NULL);
    dmms_free(&local);
    if (reported_caller != (uint64_t)syscall(SYS_gettid)) return 3;
#endif
    return 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    int forks = argc > 1 ? atoi(argv[1]) : 1000;
    int max_hangs = argc > 2 ? atoi(argv[2]) : 3;
    pthread_t threads[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, (void *)i);
    while (atomic_load(&started) < THREADS) usleep(100);
    int done = 0, hangs = 0, failures[4] = { 0 };
    double start = now(), slowest = 0;
    for (; done < forks && hangs < max_hangs; done++) {
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) _exit(child());
        if (pid < 0) { perror("fork"); failures[1]++; break; }
        int status = 0;
        pid_t got = 0;
        while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now() - t0 < 5.0) usleep(200);
        if (got == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            hangs++;
            fprintf(stderr, "fork_stress: child %d of fork %d hung (killed after 5 s)\n", (int)pid, done + 1);
        } else if (!WIFEXITED(status)) {
            failures[1]++;
            fprintf(stderr, "fork_stress: child of fork %d died of signal %d\n", done + 1, WTERMSIG(status));
        } else if (WEXITSTATUS(status) != 0) {
            failures[WEXITSTATUS(status) <= 3 ? WEXITSTATUS(status) : 1]++;
        }
        if (now() - t0 > slowest) slowest = now() - t0;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < SLOTS; i++) FREE(shared[i]);
    printf("fork_stress (%s): %d forks while %d threads allocated (%lu operations), %.1f s; "
           "%d hangs, %d children failed, %d with dmms_check problems, %d named their parent's thread; slowest child %.0f ms\n",
           MODE, done, THREADS, atomic_load(&operations), now() - start, hangs, failures[1], failures[2], failures[3],
           slowest * 1000);
    return hangs == 0 && failures[1] == 0 && failures[2] == 0 && failures[3] == 0 ? 0 : 1;
}
