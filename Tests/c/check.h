/* check.h — the smallest test harness: CHECK records a failure and goes on,
 * and every test program ends with the line "N passed, N failed". */
#ifndef DMMS_TEST_CHECK_H
#define DMMS_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long checks_passed, checks_failed;

#define CHECK(cond) do { \
    if (cond) { checks_passed++; } \
    else { checks_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ(a, b) do { \
    unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b); \
    if (va_ == vb_) { checks_passed++; } \
    else { checks_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%llu != %llu)\n", \
                                    __FILE__, __LINE__, #a, #b, va_, vb_); } \
} while (0)

static int check_summary(const char *name) {
    printf("%s: %lu passed, %lu failed\n", name, checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

/* A report's output (dmms_show, dmms_report_json, dmms_report_leaks) as one
 * string and its count of lines: pass `collect` as the output function,
 * `clear_text` to start over. */
static char text[1 << 20];
static size_t text_length, text_lines;
__attribute__((unused)) static void collect(const char *line, void *arg) {
    (void)arg;
    size_t n = strlen(line);
    if (text_length + n < sizeof text) { memcpy(text + text_length, line, n); text_length += n; text[text_length] = 0; }
    text_lines++;
}
__attribute__((unused)) static void clear_text(void) { text_length = 0; text[0] = 0; text_lines = 0; }

/* A deterministic generator (xorshift64*), so every run is repeatable. */
static unsigned long long rng_state = 88172645463325252ULL;
__attribute__((unused)) static unsigned long long rng(void) {
    rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
__attribute__((unused)) static size_t rng_below(size_t n) { return (size_t)(rng() % n); }

#endif
