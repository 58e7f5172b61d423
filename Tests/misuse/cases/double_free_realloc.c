/* Double free after realloc: q = realloc(p, …) released p (moved) or kept it
 * (in place); the program frees both p and q — one of the two is a double free. */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(64);
    char *keep = MALLOC(64);           /* p's neighbour stays live */
    memset(p, 1, 64);
    char *q = REALLOC(p, 5000);
    FREE(launder(p));
    FREE(launder(q));
    FREE(keep);
    return 0;
}
