/* large.c — requests of more than 1 GiB, as glibc meets them: each one five
 * times in a row (freed in between, then two held at once), its first and
 * last byte written and read back. Only those pages are touched: the rest is
 * address space, free on a 64-bit machine. Prints the same with or without
 * LD_PRELOAD: one line per size, "ok" for every attempt that succeeded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The buffer is usable: its first and last byte keep what was written. */
static int usable(unsigned char *p, size_t size) {
    if (p == NULL) return 0;
    p[0] = 0xA5;
    p[size - 1] = 0x5A;
    return p[0] == 0xA5 && p[size - 1] == 0x5A;
}

int main(void) {
    static const size_t sizes[] = { ((size_t)1 << 30) + 1, (size_t)3 << 30 };
    int failures = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t size = sizes[i];
        printf("%zu bytes:", size);
        for (int round = 0; round < 5; round++) {
            errno = 0;
            unsigned char *p = malloc(size);
            int ok = usable(p, size);
            printf(" %s", ok ? "ok" : strerror(errno));
            failures += !ok;
            free(p);
        }
        unsigned char *first = malloc(size), *second = malloc(size);   /* two at once */
        int both = usable(first, size) && usable(second, size);
        printf(", two held at once: %s\n", both ? "ok" : "FAILED");
        failures += !both;
        free(first);
        free(second);
    }
    return failures == 0 ? 0 : 1;
}
