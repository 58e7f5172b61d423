/* fork_at_start.c — fork() while other threads make their first DMMS calls
 * (finding "fork at start", docs/reliability.md).
 *
 * The core registers its pthread_atfork handlers itself. When it did so only
 * after the first pool was created and registered, a fork was not guarded
 * until then: a thread creating the default pool held the registry lock, or a
 * thread already allocating from the new pool held its lock, and a child
 * forked at that moment hung in its first DMMS call. The handlers are now
 * registered (once, by pthread_once) before the first lock is taken.
 *
 * Each trial is a fresh process: 4 threads start allocating through
 * dmms_alloc (the first of them creates the default pool) and the main thread
 * forks at once; the child allocates and exits. A child not done after 3 s is
 * a hang. Exit 0 when no trial of 300 hangs.
 */
#define _GNU_SOURCE
#include <dmms.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void *allocate(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000; i++) dmms_free(dmms_alloc(64 + (size_t)(i % 200)));
    return NULL;
}

/* One fresh process: threads start, fork at once. Exit 1 if the child hung. */
static void trial(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, allocate, NULL);
    pid_t child = fork();
    if (child == 0) {
        dmms_free(dmms_alloc(100));
        _exit(0);
    }
    int hung = 1;
    for (int i = 0; i < 300 && hung; i++) {
        if (waitpid(child, NULL, WNOHANG) == child) hung = 0;
        else usleep(10000);
    }
    if (hung) { kill(child, SIGKILL); waitpid(child, NULL, 0); }
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    _exit(hung);
}

int main(void) {
    int hangs = 0, trials = 0;
    for (; trials < 300 && hangs == 0; trials++) {
        pid_t pid = fork();
        if (pid == 0) trial();
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) hangs++;
    }
    printf("  %d fresh processes forked while their threads made their first DMMS calls: %d children hung\n", trials, hangs);
    printf("fork_at_start: %s\n", hangs ? "PRESENT" : "absent");
    return hangs != 0;
}
