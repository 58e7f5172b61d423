/* test_settings.c — the default pool's settings from the environment: each
 * case runs in a child process (the built-in pool is made once per process)
 * and checks what the pool became; bad values are refused with one line on
 * stderr and the default kept. */
#define _GNU_SOURCE
#include "check.h"
#include "child.h"
#include "dmms.h"
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    const char *variable, *value;
    uint64_t pool_bytes, min_block;
    uint32_t coalesce;
    int guard, track, fill;       /* 1: the diagnostic is on */
    uint32_t max_joins;
} setting_t;


/* Runs in the child: configure, make the pool, compare. Exit status 0 = as expected. */
static int child(const void *arg) {
    const setting_t *s = arg;
    if (s->variable) setenv(s->variable, s->value, 1);
    void *p = dmms_alloc(24);
    dmms_stats_t st;
    if (!p || dmms_stats(NULL, &st) != DMMS_OK) return 10;
    if (st.pool_bytes != s->pool_bytes) return 11;
    if (st.min_block != s->min_block) return 12;
    if (st.coalesce != s->coalesce) return 13;
    /* guard: a one-byte overrun is reported or not */
    ((char *)p)[24] = 0;      /* guard bytes are odd: a zero always shows */
    dmms_status_t freed = dmms_free(p);
    if ((freed == DMMS_E_OVERRUN) != (s->guard == 1)) return 14;
    /* owner tracking: a leak report names groups or reports nothing */
    void *q = dmms_alloc(10);
    uint64_t leaks = dmms_report_leaks(NULL, 0, (dmms_output_fn)0, NULL);
    (void)q;
    if ((leaks > 0) != (s->track == 1)) return 15;
    /* fill: a byte written into a freed buffer past its links is seen by dmms_check */
    char *r = dmms_alloc(200);
    dmms_free(r);
    r[100] = 'X';
    if ((dmms_check(NULL) > 0) != (s->fill == 1)) return 16;
    /* the join budget, as the JSON report's config shows it */
    char expected[64];
    snprintf(expected, sizeof expected, "\"max_joins\": %u,", s->max_joins);
    clear_text();
    dmms_report_json(NULL, collect, NULL);
    if (strstr(text, expected) == NULL) return 17;
    return 0;
}

/* DMMS_F_ABORT_ON_ERROR: the report first, then abort(). */
static int double_free_with_abort(const void *arg) {
    (void)arg;
    dmms_config_t c;
    dmms_config_init(&c);
    c.flags |= DMMS_F_ABORT_ON_ERROR;
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
    void *q = dmms_pool_alloc(p, 10);
    dmms_pool_free(p, q);
    dmms_pool_free(p, q);       /* a double free: reported, then abort() */
    return 0;                   /* not reached */
}

static void quiet_handler(const dmms_error_t *e, void *arg) { (void)e; (void)arg; }

/* The reason for an abort is on stderr even when the program's handler, which
 * prints nothing, took the report. */
static int double_free_with_abort_and_handler(const void *arg) {
    dmms_set_error_handler(quiet_handler, NULL);
    return double_free_with_abort(arg);
}

static void abort_on_error(void) {
    char err[2048];
    int status = in_child(double_free_with_abort, NULL, err, sizeof err);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CHECK(strstr(err, "dmms: DMMS_E_DOUBLE_FREE") != NULL);
    status = in_child(double_free_with_abort_and_handler, NULL, err, sizeof err);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CHECK(strstr(err, "dmms: DMMS_E_DOUBLE_FREE") != NULL);
}

/* DMMS_F_ABORT_ON_ERROR: out of memory is an answer, not a misuse. Requests
 * that cannot be met (past every block, larger than the pool) return NULL,
 * reported as DMMS_E_NO_MEMORY, and the program goes on. */
static int out_of_memory_with_abort(const void *arg) {
    (void)arg;
    dmms_config_t c;
    dmms_config_init(&c);
    c.flags |= DMMS_F_ABORT_ON_ERROR;
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
    if (dmms_pool_alloc(p, SIZE_MAX / 2) != NULL) return 20;
    if (dmms_pool_alloc(p, 1 << 17) != NULL) return 21;
    if (dmms_pool_calloc(p, SIZE_MAX, 2) != NULL) return 22;
    void *q = dmms_pool_alloc(p, 10);
    if (dmms_pool_realloc(p, q, 1 << 17) != NULL) return 23;
    if (dmms_pool_free(p, q) != DMMS_OK) return 24;
    return 0;
}

static void no_memory_never_aborts(void) {
    char err[4096];
    int status = in_child(out_of_memory_with_abort, NULL, err, sizeof err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fprintf(stderr, "out of memory with abort: wait status %d\n", status);
    CHECK(strstr(err, "dmms: DMMS_E_NO_MEMORY") != NULL);     /* still reported */
}

/* The default handler prints the first failure of each size in a pool (and
 * the first too large for any block), not one line per failing request: a
 * stream of failures does not become a stream of writes inside the calls.
 * Every one is still counted. */
static int many_failures(const void *arg) {
    (void)arg;
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, NULL);
    void *all = dmms_pool_alloc(p, 40000);                  /* the 64 KiB top block */
    if (all == NULL) return 30;
    for (int i = 0; i < 50; i++) if (dmms_pool_alloc(p, 100) != NULL) return 31;   /* one size, 50 times */
    for (int i = 0; i < 5; i++) if (dmms_pool_alloc(p, 1000) != NULL) return 32;   /* another size */
    for (int i = 0; i < 5; i++) if (dmms_pool_alloc(p, SIZE_MAX / 4) != NULL) return 33;   /* too large for any block */
    dmms_stats_t s;
    if (dmms_stats(p, &s) != DMMS_OK || s.failed_allocs != 60) return 34;
    return dmms_pool_free(p, all) == DMMS_OK ? 0 : 35;
}

static void first_failure_per_size(void) {
    char err[8192];
    int status = in_child(many_failures, NULL, err, sizeof err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int lines = 0;
    for (const char *c = err; *c; c++) lines += *c == '\n';
    CHECK_EQ(lines, 3);
    CHECK(strstr(err, "request for 100 bytes") != NULL && strstr(err, "request for 1000 bytes") != NULL);
}

int main(void) {
    abort_on_error();
    no_memory_never_aborts();
    first_failure_per_size();
    const uint64_t M = 1 << 20;
    setting_t cases[] = {
        { NULL, NULL, 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_POOL_SIZE", "8M", 8 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_POOL_SIZE", "262144", 256 * 1024, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_POOL_SIZE", "banana", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_POOL_SIZE", "99999999999999999999G", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_MIN_BLOCK", "64", 64 * M, 64, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_MIN_BLOCK", "48", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_GUARD", "0", 64 * M, 32, DMMS_COALESCE_LAZY, 0, 1, 0, 0 },
        { "DMMS_GUARD", "65", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_COALESCE", "eager", 64 * M, 32, DMMS_COALESCE_EAGER, 1, 1, 0, 0 },
        { "DMMS_COALESCE", "on_demand", 64 * M, 32, DMMS_COALESCE_ON_DEMAND, 1, 1, 0, 0 },
        { "DMMS_COALESCE", "sometimes", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_TRACK", "0", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 0, 0, 0 },
        { "DMMS_TRACK", "yes", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_FILL_FREE", "1", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 1, 0 },
        { "DMMS_FILL_FREE", "maybe", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
        { "DMMS_MAX_JOINS", "16", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 16 },
        { "DMMS_MAX_JOINS", "lots", 64 * M, 32, DMMS_COALESCE_LAZY, 1, 1, 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[4096];
        int status = in_child(child, &cases[i], err, sizeof err);
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
        if (code != 0) fprintf(stderr, "%s=%s: child check %d failed\n", cases[i].variable, cases[i].value, code);
        CHECK_EQ(code, 0);
        /* A refused value: exactly one line naming it. */
        int refused = cases[i].variable && (strcmp(cases[i].value, "banana") == 0 || strcmp(cases[i].value, "48") == 0 ||
                      strcmp(cases[i].value, "65") == 0 || strcmp(cases[i].value, "sometimes") == 0 ||
                      strcmp(cases[i].value, "yes") == 0 || strcmp(cases[i].value, "maybe") == 0 || strcmp(cases[i].value, "lots") == 0 ||
                      strchr(cases[i].value, 'G') != NULL);
        CHECK_EQ(strstr(err, "dmms: ignoring ") != NULL, refused);
    }
    return check_summary("test_settings");
}
