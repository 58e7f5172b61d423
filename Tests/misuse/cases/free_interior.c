/* Free of an interior pointer: OFFSET bytes into a live 100-byte buffer. */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(100);
    memset(p, 1, 100);
    FREE((char *)launder(p) + OFFSET);
    FREE(p);
    return 0;
}
