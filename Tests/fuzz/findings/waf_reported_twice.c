/* waf_reported_twice.c — finding "one write after free, several reports"
 * (docs/reliability.md).
 *
 * With DMMS_F_FILL_FREE, a byte written into a free block is reported when
 * the block is handed out again. When the request takes only part of the
 * block, the rest is split off as free blocks without re-filling it: the
 * damaged byte stays in a free half, so dmms_check keeps reporting it and the
 * allocation that next takes that half reports it again.
 *
 * Exit 0 when the write is reported once at reuse and dmms_check is clean
 * afterwards.
 */
#include <dmms.h>
#include <stdio.h>

static int reports;
static void count(const dmms_error_t *e, void *a) {
    (void)a;
    reports++;
    printf("  %s\n", e->message);
}

int main(void) {
    dmms_set_error_handler(count, NULL);
    dmms_config_t c;
    dmms_config_init(&c);
    c.flags |= DMMS_F_FILL_FREE;
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
    unsigned char *keep = dmms_pool_alloc(p, 200);      /* a 256-byte block */
    unsigned char *a = dmms_pool_alloc(p, 200);         /* its buddy */
    (void)keep;
    dmms_pool_free(p, a);
    a[80] = 1;                                          /* one byte, written after free */
    printf("reuse: a 20-byte request takes the block\n");
    reports = 0;
    dmms_pool_alloc(p, 20);
    int at_reuse = reports;
    uint64_t after = dmms_check(p);
    printf("dmms_check after the reuse: %llu problems\n", (unsigned long long)after);
    reports = 0;
    dmms_pool_alloc(p, 20);
    dmms_pool_alloc(p, 20);
    printf("two more 20-byte requests: %d more reports\n", reports);
    int present = at_reuse != 1 || after != 0 || reports != 0;
    printf("waf_reported_twice: %s\n", present ? "PRESENT" : "absent");
    return present;
}
