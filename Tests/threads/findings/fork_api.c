/* fork_api.c — libdmms.so and fork() (finding "fork", docs/reliability.md).
 *
 * libdmms_preload.so registers pthread_atfork handlers (take every pool lock
 * before fork, release them in the parent, reset them and the cached thread
 * id in the child). libdmms.so registers none, and has no call a program
 * could use to do it. So:
 *   1. A child forked while another thread is inside a DMMS call (holding a
 *      pool lock) never returns from its first DMMS call: the lock word names
 *      a thread of the parent, FUTEX_LOCK_PI fails with EPERM, and
 *      dmms_platform_lock retries forever (a busy loop: any error but success
 *      is taken for "try again").
 *   2. A child of a single-threaded program runs, but keeps its parent's
 *      cached thread id: its buffers and reports name the parent's thread.
 *
 * Exit 0 when neither happens.
 */
#define _GNU_SOURCE
#include <dmms.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;
static void *churn(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) dmms_free(dmms_alloc(100));
    return NULL;
}

static uint64_t caller;
static void record(const dmms_error_t *e, void *arg) { (void)arg; caller = e->caller; }

/* Runs `body` in a child; 0 exit, 1 failed, 2 hung (killed after 3 s). */
static int in_child(int (*body)(void)) {
    pid_t pid = fork();
    if (pid == 0) _exit(body());
    for (int i = 0; i < 300; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 2;
}

static int allocate_once(void) { dmms_free(dmms_alloc(64)); return 0; }

static int named_right(void) {
    int local;
    dmms_set_error_handler(record, NULL);
    dmms_free(&local);                     /* a report, whose caller is "the task that called" */
    return caller == (uint64_t)syscall(SYS_gettid) ? 0 : 1;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    dmms_free(dmms_alloc(10));             /* the default pool exists; this thread's id is cached */
    int wrong_name = in_child(named_right);
    printf("child of a single-threaded parent: %s\n", wrong_name ? "DMMS names the parent's thread as the caller" : "named right");

    pthread_t t;
    pthread_create(&t, NULL, churn, NULL);
    int hung = 0, tries = 0;
    for (; tries < 20 && !hung; tries++) hung = in_child(allocate_once) == 2;
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    printf("fork while another thread allocates: %s after %d forks\n", hung ? "the child HUNG in dmms_alloc" : "no hang", tries);
    int present = hung || wrong_name;
    printf("fork_api: %s\n", present ? "PRESENT" : "absent");
    return present;
}
