/* Underflow: BYTES bytes written before the start of a 24-byte buffer, then
 * free. The buffer below was freed first, so the underrun lands in a free
 * block (its free tail), and a new request comes after. */
#include "../misuse.h"
int main(void) {
    char *below = MALLOC(24);
    char *p = MALLOC(24);
    memset(p, 1, 24);
    FREE(below);
    memset((char *)launder(p) - BYTES, 'X', BYTES);
    FREE(p);
    char *again = MALLOC(24);
    FREE(again);
    return 0;
}
