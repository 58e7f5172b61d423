/* until_null.c — allocates chunks until malloc returns NULL and prints how
 * many MiB it got: run under `ulimit -v`, with and without LD_PRELOAD, it
 * shows how much of the address space the allocator can hand out. A chunk is
 * 1 MiB less 64 bytes: a request of exactly 1 MiB needs a 2 MiB block in a
 * buddy allocator (its guard and owner record go past 1 MiB), which would
 * measure that rounding rather than how the allocator uses the limit. Every
 * chunk's first byte is written; the program ends normally, NULL included. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const size_t chunk = ((size_t)1 << 20) - 64;
    size_t count = 0;
    char *p;
    while ((p = malloc(chunk)) != NULL) {
        p[0] = 1;
        count++;
    }
    printf("%zu MiB, then NULL with errno %s\n", count * chunk >> 20, errno == ENOMEM ? "ENOMEM" : "other");
    return 0;
}
