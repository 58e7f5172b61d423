/* Underflow of the first buffer of a fresh process: one byte before it
 * changed, then free. Nothing of the program's lies below it: the byte below
 * is the pool's (its region's sentinel), not unmapped memory. */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(8);
    ((char *)launder(p))[-1] ^= 'A';
    FREE(p);
    char *again = MALLOC(8);
    FREE(again);
    return 0;
}
