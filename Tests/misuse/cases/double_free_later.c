/* Double free after other frees: free(p), free(q), free(r), free(p). */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(64), *q = MALLOC(64), *r = MALLOC(200);
    FREE(p);
    FREE(q);
    FREE(r);
    FREE(launder(p));
    return 0;
}
