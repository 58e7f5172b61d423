/* Free of a global. */
#include "../misuse.h"
static char global[64] = { 1 };
int main(void) {
    FREE(launder(global + 16));
    return 0;
}
