/* waf_reported_twice.c — finding "one write after free, several reports"
 * (docs/reliability.md).
 *
 * With DMMS_F_FILL_FREE, a byte written into a free block is reported when
 * the block is handed out again. When the request takes only part of the
 * block, the rest is split off as free blocks without re-filling it: the
 * damaged byte stays in a free half, so dmms_check keeps reporting it and the
 * allocation that next takes that half reports it again.
 *
 * Since the fill's work became the buffer's (a request checks the part it
 * hands out and the links it writes, not the whole block it splits), the
 * byte is reported by the request that hands out the part holding it — once.
 * dmms_check reports it meanwhile (it reports what it sees, repairs nothing).
 *
 * Exit 0 when the requests report the write once in all, the same request
 * again reports nothing, and dmms_check is clean afterwards.
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
    printf("reuse: three 20-byte requests take the block (a 64-byte buffer each)\n");
    reports = 0;
    dmms_pool_alloc(p, 20);
    dmms_pool_alloc(p, 20);
    dmms_pool_alloc(p, 20);
    int at_reuse = reports;
    uint64_t after = dmms_check(p);
    printf("reports: %d; dmms_check after: %llu problems\n", at_reuse, (unsigned long long)after);
    reports = 0;
    dmms_pool_alloc(p, 20);
    dmms_pool_alloc(p, 20);
    printf("two more 20-byte requests: %d more reports\n", reports);
    int present = at_reuse != 1 || after != 0 || reports != 0;
    printf("waf_reported_twice: %s\n", present ? "PRESENT" : "absent");
    return present;
}
