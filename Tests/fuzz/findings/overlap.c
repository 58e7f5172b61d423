/* overlap.c — finding "overlapping memory" (docs/reliability.md).
 *
 * dmms.h: dmms_pool_add_memory returns DMMS_E_INVALID_ARG for memory that
 * "overlaps a pool", and dmms_pool_create refuses memory a live pool holds.
 * Both check only the first and the last byte of the new memory: memory that
 * encloses a pool's region (starts below it, ends above it) is accepted, and
 * two regions then share blocks (dmms_check reports the damage).
 *
 * Exit 0 when both enclosing requests are refused.
 */
#include <dmms.h>
#include <stdio.h>
#include <stdlib.h>

static void show(const dmms_error_t *e, void *a) { (void)a; printf("    report: %s\n", e->message); }

int main(void) {
    dmms_set_error_handler(show, NULL);
    unsigned char *arena = aligned_alloc(1 << 16, 1 << 20);

    dmms_pool_t *p = dmms_pool_create(arena, 1 << 16, NULL);                     /* [0, 64K) */
    dmms_status_t first = dmms_pool_add_memory(p, arena + (1 << 18), 1 << 14);    /* [256K, 272K) */
    dmms_status_t around = dmms_pool_add_memory(p, arena + (1 << 18) - 4096, 40960);   /* [252K, 292K) */
    printf("  add_memory [256K, 272K): %s; then [252K, 292K), around it: %s\n", dmms_strerror(first), dmms_strerror(around));
    uint64_t problems = dmms_check(p);
    printf("  dmms_check: %llu problems\n", (unsigned long long)problems);

    dmms_pool_t *q = dmms_pool_create(arena + (1 << 19), 1 << 16, NULL);          /* [512K, 576K) */
    dmms_pool_t *enclosing = dmms_pool_create(arena + (1 << 19) - (1 << 16), 3 << 16, NULL);  /* [448K, 640K) */
    printf("  a pool over [448K, 640K), around a pool at [512K, 576K): %s\n", enclosing ? "CREATED" : "refused");
    (void)q;
    int present = around == DMMS_OK || enclosing != NULL;
    printf("overlap: %s\n", present ? "PRESENT" : "absent");
    return present;
}
