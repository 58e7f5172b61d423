/* Overflow of a buffer that is never freed: one byte past the end of a
 * 100-byte buffer still live at exit (the exit report, or dmms_check, finds it). */
#include "../misuse.h"
int main(void) {
    char *p = MALLOC(100);
    memset(p, 1, 100);
    ((char *)launder(p))[100] = 0;
    return 0;
}
