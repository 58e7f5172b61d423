/* Overflow: BYTES bytes written past the end of a 24-byte buffer, then free. */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(24);
    char *neighbour = MALLOC(24);
    memset(p, 1, 24);
    memset((char *)launder(p) + 24, 'X', BYTES);
    FREE(p);
    FREE(neighbour);
    return 0;
}
