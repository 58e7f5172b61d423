/* arenas.c — threads that allocate at the same time under the preloaded
 * malloc (Sources/DMMSPreload/Arenas.swift). Four threads run alloc/free
 * pairs at once, so they contend for the default pool and move to arenas of
 * their own; every buffer also goes through a mailbox to the next thread,
 * which checks its contents and frees it — into the arena that holds it,
 * not its own. At the end each thread leaks one buffer of 1000 + its number
 * bytes from leak_here(), which the reports at exit must name, whatever arena
 * it sits in. Prints the same with or without LD_PRELOAD. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define STEPS 300000

static unsigned char *mailbox[THREADS];
static pthread_barrier_t start;
static int failures;

static void check_and_free(unsigned char *buffer) {
    if (buffer == NULL) return;
    size_t size = buffer[0] * 8u + 1;
    for (size_t i = 1; i < size; i++)
        if (buffer[i] != (unsigned char)(buffer[0] + i)) { __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED); break; }
    free(buffer);
}

__attribute__((noinline)) void *leak_here(size_t size) { return malloc(size); }

static void *work(void *arg) {
    int me = (int)(intptr_t)arg;
    uint32_t seed = 12345u + (uint32_t)me;
    pthread_barrier_wait(&start);
    for (int step = 0; step < STEPS; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned char tag = (unsigned char)(seed >> 24);
        size_t size = tag * 8u + 1;                       /* 1 .. 2041 bytes */
        unsigned char *buffer = malloc(size);
        if (buffer == NULL) { __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED); continue; }
        buffer[0] = tag;
        for (size_t i = 1; i < size; i++) buffer[i] = (unsigned char)(tag + i);
        if (step % 4 == 0) {            /* to the next thread's mailbox; free what was there */
            check_and_free(__atomic_exchange_n(&mailbox[(me + 1) % THREADS], buffer, __ATOMIC_ACQ_REL));
        } else {
            check_and_free(buffer);
        }
    }
    return leak_here(1000 + (size_t)me);
}

int main(void) {
    pthread_t threads[THREADS];
    void *leaked[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, work, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], &leaked[i]);
    for (int i = 0; i < THREADS; i++) check_and_free(mailbox[i]);
    int leaks = 0;
    for (int i = 0; i < THREADS; i++) leaks += leaked[i] != NULL;
    printf("arenas: %d threads x %d steps, %d damaged buffers, %d buffers leaked on purpose\n",
           THREADS, STEPS, failures, leaks);
    return failures != 0;
}
