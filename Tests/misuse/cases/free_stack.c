/* Free of a stack address. */
#include "../misuse.h"
int main(void) {
    char local[64];
    memset(local, 1, sizeof local);
    FREE(launder(local + 16));
    return local[3] - 1;
}
