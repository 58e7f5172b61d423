/* stress.c — the malloc family from 8 threads: mixed sizes, realloc, calloc,
 * aligned allocations, buffers freed by a thread other than the one that
 * allocated them, contents verified; then fork() from the busy process, the
 * child allocates and exits cleanly. Runs the same with or without
 * LD_PRELOAD=libdmms_preload.so; prints a checksum of its work. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 8
#define SLOTS 512
#define STEPS 100000

typedef struct { unsigned char *ptr; size_t size; unsigned char seed; } slot_t;
static slot_t shared[SLOTS];                 /* handed between threads */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int failures;
static volatile int stop_forking;

#define EXPECT(cond) do { if (!(cond)) { failures++; fprintf(stderr, "stress: failed: %s\n", #cond); } } while (0)

static void fill(slot_t *s) { for (size_t i = 0; i < s->size; i++) s->ptr[i] = (unsigned char)(s->seed + i); }
static int intact(const slot_t *s) {
    for (size_t i = 0; i < s->size; i++) if (s->ptr[i] != (unsigned char)(s->seed + i)) return 0;
    return 1;
}

static void *worker(void *arg) {
    unsigned long long r = 0x9E3779B97F4A7C15ULL * (uintptr_t)(arg) + 1;
    slot_t mine[64] = { { 0 } };
    for (int step = 0; step < STEPS; step++) {
        r ^= r >> 12; r ^= r << 25; r ^= r >> 27;
        unsigned long long x = r * 2685821657736338717ULL;
        slot_t *s = &mine[x % 64];
        if (s->ptr && !intact(s)) failures++;
        switch ((x >> 8) % 6) {
        case 0: case 1:                                        /* free and allocate */
            free(s->ptr);
            s->size = (x >> 16) % ((x >> 40) % 8 == 0 ? 20000 : 300);
            s->ptr = malloc(s->size);
            break;
        case 2: {                                              /* realloc */
            size_t size = (x >> 16) % 5000;
            unsigned char *p = realloc(s->ptr, size);
            if (size == 0) { s->ptr = NULL; s->size = 0; break; }
            if (!p) { failures++; break; }
            size_t keep = s->size < size ? s->size : size;
            for (size_t i = 0; i < keep; i++) if (p[i] != (unsigned char)(s->seed + i)) { failures++; break; }
            s->ptr = p; s->size = size;
            break;
        }
        case 3: {                                              /* calloc / aligned */
            free(s->ptr);
            s->size = (x >> 16) % 700;
            if ((x >> 30) & 1) {
                s->ptr = calloc(1, s->size);
                for (size_t i = 0; s->ptr && i < s->size; i++) if (s->ptr[i]) { failures++; break; }
            } else {
                size_t alignment = (size_t)16 << ((x >> 32) % 8);
                void *p = NULL;
                if (posix_memalign(&p, alignment, s->size) != 0 || ((uintptr_t)p & (alignment - 1))) failures++;
                s->ptr = p;
            }
            break;
        }
        default: {                                             /* swap with the shared pool */
            pthread_mutex_lock(&shared_lock);
            slot_t *other = &shared[(x >> 20) % SLOTS];
            if (other->ptr && !intact(other)) failures++;
            slot_t t = *other; *other = *s; *s = t;
            pthread_mutex_unlock(&shared_lock);
            break;
        }
        }
        if (s->ptr && s->size) { s->seed = (unsigned char)x; fill(s); }
        else if (!s->ptr && s->size) failures++;
    }
    for (int i = 0; i < 64; i++) { if (mine[i].ptr && !intact(&mine[i])) failures++; free(mine[i].ptr); }
    return NULL;
}

/* fork() while the workers allocate: the child must be able to allocate. */
static void *forker(void *arg) {
    (void)arg;
    int forks = 0;
    while (!stop_forking && forks < 50) {
        pid_t pid = fork();
        if (pid == 0) {
            void *blocks[100];
            for (int i = 0; i < 100; i++) { blocks[i] = malloc(64 + i * 10); memset(blocks[i], i, 64 + i * 10); }
            for (int i = 0; i < 100; i++) free(blocks[i]);
            _exit(0);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failures++;
        forks++;
    }
    return NULL;
}

int main(void) {
    /* glibc's answers for the edge cases (glibc 2.36: aligned_alloc rounds a
     * bad alignment up, as memalign does) */
    void *zero = malloc(0);
    EXPECT(zero != NULL);
    free(zero);
    free(NULL);
    volatile size_t huge = SIZE_MAX, half = SIZE_MAX / 2;
    errno = 0;
    EXPECT(malloc(huge) == NULL && errno == ENOMEM);
    errno = 0;
    EXPECT(calloc(half, 4) == NULL && errno == ENOMEM);
    errno = 0;
    EXPECT(reallocarray(NULL, half, 4) == NULL && errno == ENOMEM);
    void *odd = aligned_alloc(24, 10);
    EXPECT(odd != NULL && (uintptr_t)odd % 32 == 0);
    free(odd);
    void *p = NULL;
    EXPECT(posix_memalign(&p, 12, 10) == EINVAL);
    EXPECT(posix_memalign(&p, 4096, 10) == 0 && (uintptr_t)p % 4096 == 0);
    free(p);
    char *q = malloc(100);
    EXPECT(malloc_usable_size(q) >= 100);
    EXPECT(realloc(q, 0) == NULL);                 /* glibc frees and returns NULL */
    void *page = valloc(100);
    EXPECT((uintptr_t)page % (uintptr_t)sysconf(_SC_PAGESIZE) == 0);
    free(page);
    void *pv = pvalloc(1);
    EXPECT((uintptr_t)pv % (uintptr_t)sysconf(_SC_PAGESIZE) == 0);
    free(pv);
    void *ma = memalign(64, 10);
    EXPECT((uintptr_t)ma % 64 == 0);
    free(ma);
    /* Larger than the first region of DMMS's default pool (64 MiB): a region of its own. */
    size_t big_size = (size_t)200 << 20;
    unsigned char *big = malloc(big_size);
    EXPECT(big != NULL);
    if (big) { big[0] = 1; big[big_size - 1] = 2; EXPECT(big[0] + big[big_size - 1] == 3); }
    free(big);

    pthread_t threads[THREADS], fork_thread;
    pthread_create(&fork_thread, NULL, forker, NULL);
    for (long i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, (void *)(i + 1));
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    stop_forking = 1;
    pthread_join(fork_thread, NULL);
    for (int i = 0; i < SLOTS; i++) { if (shared[i].ptr && !intact(&shared[i])) failures++; free(shared[i].ptr); }
    printf("stress: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
