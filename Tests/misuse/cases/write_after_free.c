/* Write after free: OFFSET..OFFSET+7 of a freed 64-byte buffer (offset 0: its
 * first field, e.g. a `next` pointer), then THEN: allocate again (1) or free
 * another buffer, its neighbour (2). */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(64);
    char *neighbour = MALLOC(64);
    memset(p, 1, 64);
    FREE(p);
    memset((char *)launder(p) + OFFSET, 'X', 8);
#if THEN == 1
    char *again = MALLOC(64);
    memset(again, 3, 64);
    FREE(again);
    FREE(neighbour);
#else
    FREE(neighbour);
#endif
    return 0;
}
