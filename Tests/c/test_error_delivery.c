/* test_error_delivery.c — how errors reach the handler when threads report at
 * once, and fork while a report runs:
 *   - the handler and its argument change together (dmms_set_error_handler);
 *   - a handler runs on the thread whose call found the error, with that error;
 *   - no report is lost, however many threads report and however slow the handler;
 *   - dmms_check reports every problem it counts;
 *   - a child forked while another thread is inside dmms_report_leaks can report. */
#define _GNU_SOURCE
#include <dmms.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static uint64_t thread_id(void) { return (uint64_t)syscall(SYS_gettid); }

/* ---- the handler and its argument are one ------------------------------------ */
static int tag_a = 'a', tag_b = 'b';
static atomic_ulong mismatched_arguments, handled;
static void handler_a(const dmms_error_t *e, void *arg) { (void)e; if (arg != &tag_a) atomic_fetch_add(&mismatched_arguments, 1); atomic_fetch_add(&handled, 1); }
static void handler_b(const dmms_error_t *e, void *arg) { (void)e; if (arg != &tag_b) atomic_fetch_add(&mismatched_arguments, 1); atomic_fetch_add(&handled, 1); }
static atomic_int stop_switching;

static void *switch_handlers(void *unused) {
    (void)unused;
    while (!atomic_load(&stop_switching)) {
        dmms_set_error_handler(handler_a, &tag_a);
        dmms_set_error_handler(handler_b, &tag_b);
    }
    return NULL;
}

static void *free_foreign(void *unused) {
    (void)unused;
    int local;
    for (int i = 0; i < 20000; i++) dmms_free(&local);   /* DMMS_E_NOT_OWNED, each reported */
    return NULL;
}

static void handler_and_argument_change_together(void) {
    pthread_t switcher, reporters[4];
    dmms_set_error_handler(handler_a, &tag_a);
    pthread_create(&switcher, NULL, switch_handlers, NULL);
    for (int t = 0; t < 4; t++) pthread_create(&reporters[t], NULL, free_foreign, NULL);
    for (int t = 0; t < 4; t++) pthread_join(reporters[t], NULL);
    atomic_store(&stop_switching, 1);
    pthread_join(switcher, NULL);
    dmms_set_error_handler(NULL, NULL);
    printf("  handler switched while 4 threads report: %lu reports, %lu with the other handler's argument\n",
           (unsigned long)atomic_load(&handled), (unsigned long)atomic_load(&mismatched_arguments));
    CHECK_EQ(atomic_load(&handled), 4 * 20000);
    CHECK_EQ(atomic_load(&mismatched_arguments), 0);
}

/* ---- each report on the thread that found it, none lost ---------------------- */
enum { MAX_THREADS = 40 };
static _Thread_local const void *my_bad_pointer;    /* the last bad pointer this thread freed */
static _Thread_local unsigned long my_reports;
static atomic_ulong wrong_thread, wrong_error, delivered;
static int slow_handler_us;

static void own_thread_handler(const dmms_error_t *e, void *arg) {
    (void)arg;
    atomic_fetch_add(&delivered, 1);
    if (e->caller != thread_id()) atomic_fetch_add(&wrong_thread, 1);
    if (e->status != DMMS_E_NOT_BLOCK || e->ptr != my_bad_pointer) atomic_fetch_add(&wrong_error, 1);
    my_reports++;
    if (slow_handler_us) usleep(slow_handler_us);
}

struct worker { dmms_pool_t *pool; int frees; unsigned long reports; };

/* Frees the inside of its own live buffer: DMMS_E_NOT_BLOCK, this thread's report. */
static void *bad_free_worker(void *argument) {
    struct worker *w = argument;
    for (int i = 0; i < w->frees; i++) {
        char *p = dmms_pool_alloc(w->pool, 64 + (size_t)(i % 5) * 40);
        if (!p) { atomic_fetch_add(&wrong_error, 1); continue; }
        my_bad_pointer = p + 16;
        dmms_pool_free(w->pool, p + 16);
        dmms_pool_free(w->pool, p);
    }
    w->reports = my_reports;
    return NULL;
}

static void reports_reach_their_own_thread(int threads, int frees, int handler_us) {
    static unsigned char memory[1 << 20] __attribute__((aligned(4096)));
    dmms_pool_t *pool = dmms_pool_create(memory, sizeof memory, NULL);
    CHECK(pool != NULL);
    if (!pool) return;
    atomic_store(&wrong_thread, 0);
    atomic_store(&wrong_error, 0);
    atomic_store(&delivered, 0);
    slow_handler_us = handler_us;
    dmms_set_error_handler(own_thread_handler, NULL);
    pthread_t tid[MAX_THREADS];
    struct worker workers[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        workers[t] = (struct worker){pool, frees, 0};
        pthread_create(&tid[t], NULL, bad_free_worker, &workers[t]);
    }
    unsigned long per_thread_ok = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        per_thread_ok += workers[t].reports == (unsigned long)frees;
    }
    dmms_set_error_handler(NULL, NULL);
    dmms_stats_t stats;
    dmms_stats(pool, &stats);
    printf("  %d threads x %d interior frees, handler %d us: %lu delivered, %lu on another thread, %lu with another error; "
           "bad_frees %llu\n", threads, frees, handler_us, (unsigned long)atomic_load(&delivered),
           (unsigned long)atomic_load(&wrong_thread), (unsigned long)atomic_load(&wrong_error),
           (unsigned long long)stats.bad_frees);
    CHECK_EQ(stats.bad_frees, (uint64_t)threads * (uint64_t)frees);
    CHECK_EQ(atomic_load(&delivered), (uint64_t)threads * (uint64_t)frees);
    CHECK_EQ(atomic_load(&wrong_thread), 0);
    CHECK_EQ(atomic_load(&wrong_error), 0);
    CHECK_EQ(per_thread_ok, (unsigned long)threads);
    CHECK_EQ(dmms_check(pool), 0);
    CHECK_EQ(dmms_pool_destroy(pool), DMMS_OK);
}

/* ---- dmms_check reports every problem it counts ----------------------------- */
static atomic_ulong overrun_reports;
static void count_overruns(const dmms_error_t *e, void *arg) { (void)arg; if (e->status == DMMS_E_OVERRUN) atomic_fetch_add(&overrun_reports, 1); }

static void check_reports_every_problem(void) {
    static unsigned char memory[1 << 16] __attribute__((aligned(4096)));
    dmms_pool_t *pool = dmms_pool_create(memory, sizeof memory, NULL);
    CHECK(pool != NULL);
    if (!pool) return;
    enum { BUFFERS = 40 };
    char *buffers[BUFFERS];
    for (int i = 0; i < BUFFERS; i++) {
        buffers[i] = dmms_pool_alloc(pool, 20);
        buffers[i][20] = 'X';                    /* one byte past the end of each */
    }
    atomic_store(&overrun_reports, 0);
    dmms_set_error_handler(count_overruns, NULL);
    uint64_t problems = dmms_check(pool);
    printf("  dmms_check with %d overruns: returns %llu, %lu reported\n", BUFFERS, (unsigned long long)problems,
           (unsigned long)atomic_load(&overrun_reports));
    CHECK_EQ(problems, BUFFERS);
    CHECK_EQ(atomic_load(&overrun_reports), BUFFERS);
    for (int i = 0; i < BUFFERS; i++) dmms_pool_free(pool, buffers[i]);
    dmms_set_error_handler(NULL, NULL);
    CHECK_EQ(dmms_check(pool), 0);
    dmms_pool_destroy(pool);
}

/* ---- fork while another thread is inside dmms_report_leaks --------------------- */
static atomic_int reporting;
static void slow_output(const char *text, void *arg) {
    (void)text; (void)arg;
    atomic_store(&reporting, 1);
    usleep(200000);                               /* the report (and its locks) held a while */
}
static void *report_slowly(void *pool) {
    dmms_report_leaks(pool, 0, slow_output, NULL);
    return NULL;
}
static void quiet(const char *text, void *arg) { (void)text; (void)arg; }

static void fork_during_a_report(void) {
    static unsigned char memory[1 << 16] __attribute__((aligned(4096)));
    dmms_pool_t *pool = dmms_pool_create(memory, sizeof memory, NULL);
    CHECK(pool != NULL);
    if (!pool) return;
    void *leak = dmms_pool_alloc(pool, 100);
    pthread_t reporter;
    atomic_store(&reporting, 0);
    pthread_create(&reporter, NULL, report_slowly, pool);
    while (!atomic_load(&reporting)) usleep(1000);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(5);                                 /* a hang ends the child with SIGALRM */
        uint64_t leaks = dmms_report_leaks(pool, 0, quiet, NULL);
        _exit(leaks == 1 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    pthread_join(reporter, NULL);
    int hung = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
    printf("  fork while another thread reports: the child's report %s\n",
           hung ? "HUNG" : WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ran" : "went wrong");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    dmms_pool_free(pool, leak);
    dmms_pool_destroy(pool);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    handler_and_argument_change_together();
    reports_reach_their_own_thread(4, 20000, 0);
    reports_reach_their_own_thread(MAX_THREADS, 500, 20);
    check_reports_every_problem();
    fork_during_a_report();
    return check_summary("test_error_delivery");
}
