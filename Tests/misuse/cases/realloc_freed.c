/* realloc of a freed pointer. */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(64);
    char *keep = MALLOC(64);
    FREE(p);
    char *q = REALLOC(launder(p), 128);
    (void)q;
    FREE(keep);
    return 0;
}
