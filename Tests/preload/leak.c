/* leak.c — a program with one deliberate leak, for the preload report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) char *remember_request(size_t n) {
    char *p = malloc(n);
    memset(p, 'r', n);
    return p;
}

int main(void) {
    for (int i = 0; i < 50; i++) free(remember_request(100 + i));
    char *forgotten = remember_request(4321);   /* the leak */
    printf("%c\n", forgotten[0]);
    return 0;
}
