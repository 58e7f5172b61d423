/* Overflow that skips the bytes just past the end: one byte 31 bytes past the
 * end of a 4 KiB buffer changed, then free. */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(4096);
    memset(p, 1, 4096);
    ((char *)launder(p))[4096 + 31] ^= 'X';
    FREE(p);
    return 0;
}
