/* out_of_memory.c — DMMS_ABORT=1 aborts on a misuse, not on an answer:
 *   (no argument)  requests that cannot be met — past every block size, and
 *                  one the OS refuses to map — return NULL with errno ENOMEM
 *                  and the program goes on (prints "went on", exit 0);
 *   double-free    frees a buffer twice: the report, then abort(). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int refused(size_t size) {
    errno = 0;
    void *p = malloc(size);
    printf("malloc(%zu): %s, errno %s\n", size, p ? "a buffer" : "NULL", errno == ENOMEM ? "ENOMEM" : "not ENOMEM");
    return p == NULL && errno == ENOMEM;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "double-free") == 0) {
        char *volatile p = malloc(100);
        free(p);
        free(p);
        printf("went on after a double free\n");
        return 0;
    }
    int ok = refused(SIZE_MAX / 2) & refused((size_t)1 << 43);   /* 8 TiB: more than the machine */
    char *q = malloc(100);                                          /* and the heap still works */
    ok &= q != NULL;
    free(q);
    printf("went on\n");
    return ok ? 0 : 1;
}
