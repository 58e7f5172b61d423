/* overrun.c — a write past the end of a buffer, caught when it is freed.
 * The report gives the offset of the first damaged byte, the owner task and
 * the call site; the buffer still goes back to the pool. */
#include "dmms.h"
#include <stdio.h>
#include <string.h>

int main(void) {
    dmms_config_t config;
    dmms_config_init(&config);
    config.name = "uart";
    dmms_pool_t *pool = dmms_pool_create(NULL, 64 * 1024, &config);

    char *line = dmms_pool_alloc_at(pool, 16, "uart.c", 88);
    strcpy(line, "0123456789abcdef");          /* 16 characters and the NUL: one byte too many */
    dmms_status_t status = dmms_pool_free(pool, line);   /* the default handler prints the report */
    printf("dmms_pool_free: %s\n", dmms_strerror(status));
    return status == DMMS_E_OVERRUN ? 0 : 1;
}
