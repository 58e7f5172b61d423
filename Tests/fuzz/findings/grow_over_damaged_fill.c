/* grow_over_damaged_fill.c — finding "a write after free absorbed by a
 * realloc" (docs/reliability.md).
 *
 * With DMMS_F_FILL_FREE, a byte written into a free block is reported when
 * the block leaves the free lists. A realloc that grows a buffer in place
 * absorbs its free buddies, but did so without looking at their fill: the
 * damage became part of the live buffer and was never reported.
 *
 * Exit 0 when the realloc reports the write (DMMS_E_WRITE_AFTER_FREE at that
 * byte) and dmms_check is clean afterwards.
 */
#include <dmms.h>
#include <stdio.h>
#include <stdint.h>

static int reports, at_byte;
static unsigned char *damaged;
static void count(const dmms_error_t *e, void *a) {
    (void)a;
    reports++;
    if (e->status == DMMS_E_WRITE_AFTER_FREE && (unsigned char *)e->ptr + e->offset == damaged) at_byte++;
    printf("  %s\n", e->message);
}

int main(void) {
    dmms_set_error_handler(count, NULL);
    dmms_config_t c;
    dmms_config_init(&c);
    c.flags |= DMMS_F_FILL_FREE;
    c.coalesce = DMMS_COALESCE_EAGER;                   /* a freed block is globally free at once */
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
    unsigned char *b = dmms_pool_alloc(p, 40);          /* a 64-byte block at the pool's start */
    unsigned char *above = dmms_pool_alloc(p, 40);      /* its buddy */
    dmms_pool_free(p, above);                           /* free again: the buddy is free */
    damaged = above + 30;
    *damaged = 1;                                       /* one byte, written after free */
    printf("realloc: 40 -> 100 bytes, in place over the free buddy\n");
    unsigned char *grown = dmms_pool_realloc(p, b, 100);
    uint64_t after = dmms_check(p);
    printf("grown in place: %s; %d reports at the damaged byte; dmms_check after: %llu problems\n",
           grown == b ? "yes" : "no", at_byte, (unsigned long long)after);
    int present = grown == b && (at_byte != 1 || after != 0);
    printf("grow_over_damaged_fill: %s\n", present ? "PRESENT" : "absent");
    return present;
}
