/* interior_free.c — finding "interior pointer" (docs/reliability.md).
 *
 * A buffer whose block spans two or more map granules keeps its slack in the
 * map bytes after its tag. A pointer into the buffer that lands on one of
 * those granules is read as the start of a block: dmms_pool_free takes the
 * slack byte for a tag. With the default config, a 43-byte buffer has a
 * 64-byte block and slack 21, which decodes as "allocated, order 5": free()
 * of buffer + 32 then inspects a 1 KiB block that does not exist (SIGSEGV
 * here) instead of returning DMMS_E_NOT_BLOCK; dmms_usable_size(buffer + 32)
 * returns garbage. A pointer a few bytes further (not granule-aligned) goes to
 * the classifier, which meets the same byte: with slack 16 (a 48-byte buffer)
 * it says DMMS_E_DOUBLE_FREE and counts a double free.
 *
 * Exit 0 when every case gives DMMS_E_NOT_BLOCK and the pool stays consistent.
 */
#include <dmms.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void quiet(const dmms_error_t *e, void *a) { (void)e; (void)a; }

/* free(buffer + offset) in a child, so a crash is a result, not the end. */
static int case_status(size_t size, size_t offset) {
    pid_t pid = fork();
    if (pid == 0) {
        dmms_set_error_handler(quiet, NULL);
        dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, NULL);
        unsigned char *a = dmms_pool_alloc(p, size);
        unsigned char *b = dmms_pool_alloc(p, size);
        memset(a, 'a', size);
        memset(b, 'b', size);
        size_t usable = dmms_usable_size(a + offset);
        dmms_status_t status = dmms_pool_free(p, a + offset);
        uint64_t problems = dmms_check(p);
        printf("  %zu-byte buffer, free(buffer + %zu): %s, dmms_usable_size %zu, dmms_check %llu problems\n",
               size, offset, dmms_strerror(status), usable, (unsigned long long)problems);
        fflush(stdout);
        _exit(status == DMMS_E_NOT_BLOCK && usable == 0 && problems == 0 ? 0 : 1);
    }
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    if (WIFSIGNALED(wstatus)) {
        printf("  %zu-byte buffer, free(buffer + %zu): killed by signal %d\n", size, offset, WTERMSIG(wstatus));
        return 1;
    }
    return WEXITSTATUS(wstatus);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int bad = 0;
    bad += case_status(43, 32);   /* slack 21: read as "allocated, order 5" */
    bad += case_status(48, 40);   /* slack 16: read as "quarantined": DOUBLE_FREE */
    bad += case_status(48, 16);   /* inside the first granule: fine */
    printf("interior_free: %s\n", bad ? "PRESENT" : "absent");
    return bad ? 1 : 0;
}
