/* timeline.c — memory over time: a program that grows to 8 MB requested,
 * frees everything, and settles at 2 MB. Run it with DMMS_TIMELINE=PATH (or
 * under `python3 -m dmms run`) and the samples show the three phases; it
 * also takes one sample itself with dmms_timeline_sample. */
#define _POSIX_C_SOURCE 200809L
#include "dmms.h"
#include <stdio.h>
#include <time.h>

enum { BUFFER = 1024, GROWN = 8 << 20, SETTLED = 2 << 20 };

static void *buffers[GROWN / BUFFER];

/* A pause now and then, so that the phases last long enough to be seen. */
static void pause_every(int i) {
    if (i % 64 == 63) nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
}

/* 20 ms between phases: the first call of the next phase is more than 10 ms
 * after the last sample, so it takes one, and the turn shows sharply. */
static void between_phases(void) { nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL); }

int main(void) {
    int grown = GROWN / BUFFER, settled = SETTLED / BUFFER;
    for (int i = 0; i < grown; i++) {                  /* grow to 8 MB */
        if (!(buffers[i] = dmms_alloc(BUFFER))) return 1;
        pause_every(i);
    }
    between_phases();
    for (int i = 0; i < grown; i++) {                  /* free everything */
        dmms_free(buffers[i]);
        pause_every(i);
    }
    between_phases();
    for (int i = 0; i < settled; i++) {                /* settle at 2 MB */
        if (!(buffers[i] = dmms_alloc(BUFFER))) return 1;
        pause_every(i);
    }
    char sample[8192];
    size_t length = dmms_timeline_sample(NULL, sample, sizeof sample);
    if (length == 0 || length >= sizeof sample) return 1;
    fputs(sample, stdout);
    nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
    return 0;   /* still 2 MB in use: the sample at exit shows it */
}
