/* registry_destroy.c — a pool destroyed while other threads use other pools
 * (finding "registry", docs/reliability.md).
 *
 * dmms_pool_destroy's contract: no other call may use *that* pool. But every
 * call that takes a pool handle checks it against the registry of live pools
 * (Registry.isLive), and dmms_free finds a pointer's pool (Registry.pool
 * (holding:)): both walk the list of all pools, reading each pool's header,
 * without a lock. A thread that creates and destroys a pool of its own (a
 * mapped pool: destroy unmaps it) pulls the header from under a walk in
 * another thread that only uses its own pool: the walk reads unmapped memory
 * (SIGSEGV), or a header that a new pool has reused, whose link skips the
 * rest of the list — then a valid dmms_free is refused with DMMS_E_NOT_OWNED
 * and the buffer leaks.
 *
 * The race is a matter of timing: up to three runs of 5 s, each in a child
 * (a crash is a result). Exit 0 when nothing crashes and no valid free is
 * refused.
 */
#define _GNU_SOURCE
#include <dmms.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;
static dmms_pool_t *mine;
static atomic_ulong created, used, refused;

static void record(const dmms_error_t *e, void *arg) {
    (void)arg;
    if (e->status == DMMS_E_NOT_OWNED) atomic_fetch_add(&refused, 1);
}

static void *churn_pools(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, NULL);   /* mapped: destroy unmaps it */
        dmms_pool_free(p, dmms_pool_alloc(p, 100));
        dmms_pool_destroy(p);
        atomic_fetch_add(&created, 1);
    }
    return NULL;
}

static void *use_own_pool(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        void *q = dmms_pool_alloc(mine, 100);      /* checks the handle: walks the registry */
        if (q != NULL && dmms_free(q) != DMMS_OK)  /* finds the pool: walks the registry */
            dmms_pool_free(mine, q);
        atomic_fetch_add(&used, 1);
    }
    return NULL;
}

/* One run of 5 s in this process; exits 1 if a valid free was refused. */
static void run(void) {
    dmms_set_error_handler(record, NULL);
    mine = dmms_pool_create(NULL, 1 << 20, NULL);
    pthread_t t[3];
    pthread_create(&t[0], NULL, churn_pools, NULL);
    pthread_create(&t[1], NULL, use_own_pool, NULL);
    pthread_create(&t[2], NULL, use_own_pool, NULL);
    sleep(5);
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    printf("  %lu pools created and destroyed, %lu alloc/free pairs on another pool, %lu valid frees refused\n",
           atomic_load(&created), atomic_load(&used), atomic_load(&refused));
    _exit(atomic_load(&refused) ? 1 : 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int present = 0;
    for (int attempt = 0; attempt < 3 && !present; attempt++) {
        pid_t pid = fork();
        if (pid == 0) run();
        int status;
        waitpid(pid, &status, 0);
        present = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        if (WIFSIGNALED(status)) printf("  killed by signal %d\n", WTERMSIG(status));
    }
    printf("registry_destroy: %s\n", present ? "PRESENT" : "absent");
    return present;
}
