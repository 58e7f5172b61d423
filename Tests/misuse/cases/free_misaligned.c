/* Free of a misaligned pointer: one byte into a live buffer. */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(100);
    memset(p, 1, 100);
    FREE((char *)launder(p) + 1);
    FREE(p);
    return 0;
}
