/* harness.c — sizes, live sets, the timer, harness memory and result lines. */
#define _GNU_SOURCE
#include "harness.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "bench: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    exit(1);
}

/* ---- sizes ------------------------------------------------------------------ */
size_range_t size_range(const char *name) {
    static const size_range_t ranges[] = {
        { "A", 16, 4096 }, { "B", 8, 256 }, { "small", 16, 1024 }, { "large", 16, 65536 },
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (strcmp(ranges[i].name, name) == 0) return ranges[i];
    die("unknown size range '%s' (A, B, small, large)", name);
}

/* low * ((high + 1) / low)^u, u uniform in [0, 1): every integer in
 * [low, high] reachable, log-uniform. */
size_t draw_size(rng_t *r, size_range_t range) {
    double span = log((double)(range.high + 1) / (double)range.low);
    size_t size = (size_t)((double)range.low * exp(rng_unit(r) * span));
    return size > range.high ? range.high : size < range.low ? range.low : size;
}

/* ---- live sets ---------------------------------------------------------------- */
void live_init(live_set_t *live, uint32_t capacity, uint64_t seed) {
    live->ptr = harness_array(capacity * sizeof(void *));
    live->size = harness_array(capacity * sizeof(uint32_t));
    live->tag = harness_array(capacity * sizeof(uint64_t));
    live->count = 0;
    live->capacity = capacity;
    live->next_tag = seed << 32;
}

void live_drain(live_set_t *live) {
    for (uint32_t i = 0; i < live->count; i++) {
        live_verify(live, i);
        contender_free(live->ptr[i]);
    }
    live->count = 0;
}

/* ---- timer ---------------------------------------------------------------------- */
double   tsc_hz;
uint32_t timer_overhead;

double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double raw_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_RAW, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void timer_calibrate(double given_hz) {
    if (given_hz > 0) {
        tsc_hz = given_hz;
    } else {
        /* The median of five 40 ms windows. */
        double rates[5];
        for (int i = 0; i < 5; i++) {
            double s0 = raw_seconds();
            uint64_t c0 = timer_start();
            while (raw_seconds() - s0 < 0.04) {}
            uint64_t c1 = timer_stop();
            double s1 = raw_seconds();
            rates[i] = (double)(c1 - c0) / (s1 - s0);
        }
        for (int i = 1; i < 5; i++)
            for (int j = i; j > 0 && rates[j - 1] > rates[j]; j--) { double t = rates[j]; rates[j] = rates[j - 1]; rates[j - 1] = t; }
        tsc_hz = rates[2];
    }
    uint64_t shortest = UINT64_MAX;
    for (int i = 0; i < 200000; i++) {
        uint64_t t0 = timer_start();
        uint64_t t1 = timer_stop();
        if (t1 - t0 < shortest) shortest = t1 - t0;
    }
    timer_overhead = clamp32(shortest);
}

double cycles_to_ns(uint64_t cycles) {
    uint64_t net = cycles > timer_overhead ? cycles - timer_overhead : 0;
    return (double)net * 1e9 / tsc_hz;
}

/* ---- harness memory ------------------------------------------------------------- */
void *harness_array(size_t bytes) {
    if (bytes == 0) bytes = 1;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) die("mmap of %zu bytes failed", bytes);
    return p;
}

void harness_array_free(void *ptr, size_t bytes) {
    if (ptr != NULL) munmap(ptr, bytes == 0 ? 1 : bytes);
}

/* ---- percentiles ------------------------------------------------------------------ */
static int compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

void sort_cycles(uint32_t *values, size_t n) { qsort(values, n, sizeof *values, compare_u32); }

/* Nearest rank: the smallest value with at least q·n values at or below it. */
uint32_t percentile(const uint32_t *sorted, size_t n, double q) {
    if (n == 0) return 0;
    size_t rank = (size_t)ceil(q * (double)n);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

/* ---- results -------------------------------------------------------------------- */
void result(const char *workload, const char *range, const char *metric, double value) {
    printf("R\t%s\t%s\t%s\t%s\t%.6g\n", workload, contender.name, range, metric, value);
}

void result_text(const char *workload, const char *range, const char *metric, const char *text) {
    printf("R\t%s\t%s\t%s\t%s\t%s\n", workload, contender.name, range, metric, text);
}
