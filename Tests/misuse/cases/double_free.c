/* Double free, at once: free(p); free(p). */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(64);
    memset(p, 1, 64);
    FREE(p);
    FREE(launder(p));
    return 0;
}
