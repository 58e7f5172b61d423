/* Underflow into a live buffer: 8 bytes written before the start of a 24-byte
 * buffer whose neighbour below is live; both freed. */
#include "../misuse.h"
int main(void) {
    char *below = MALLOC(24);
    char *p = MALLOC(24);
    memset(below, 2, 24);
    memset(p, 1, 24);
    memset((char *)launder(p) - 8, 'X', 8);
    FREE(p);
    FREE(below);
    return 0;
}
