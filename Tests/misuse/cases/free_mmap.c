/* Free of memory from mmap (the second of two pages, so the bytes before the
 * pointer are readable). */
#include "../misuse.h"
#include <sys/mman.h>
int main(void) {
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 2;
    FREE(launder(m + 4096));
    return 0;
}
