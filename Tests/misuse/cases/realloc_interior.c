/* realloc of an interior pointer: 16 bytes into a live buffer. */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(100);
    memset(p, 1, 100);
    char *q = REALLOC((char *)launder(p) + 16, 200);
    (void)q;
    FREE(p);
    return 0;
}
