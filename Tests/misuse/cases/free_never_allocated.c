/* Free of a heap address never handed out: 64 KiB past the first buffer
 * (the allocator's own memory, never returned by malloc). */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(64);
    memset(p, 1, 64);
    FREE((char *)launder(p) + 65536);
    FREE(p);
    return 0;
}
