/* walk_order.c — finding "walk order" (docs/reliability.md).
 *
 * dmms.h: dmms_walk passes live buffers "in address order". It walks region
 * by region, in the order the regions were added: when dmms_pool_add_memory
 * adds memory below the pool's first region, the walk (and dmms_show level 2,
 * the JSON buffer list) is not in address order.
 *
 * Exit 0 when the walk is in address order.
 */
#include <dmms.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uintptr_t last;
static int out_of_order;

static int32_t visit(const dmms_block_info_t *b, void *arg) {
    (void)arg;
    printf("  %p (%llu bytes)\n", b->ptr, (unsigned long long)b->requested);
    if ((uintptr_t)b->ptr < last) out_of_order++;
    last = (uintptr_t)b->ptr;
    return 0;
}

int main(void) {
    unsigned char *memory = aligned_alloc(1 << 16, 1 << 18);
    dmms_pool_t *p = dmms_pool_create(memory + (1 << 17), 1 << 17, NULL);   /* first region: the upper half */
    dmms_pool_add_memory(p, memory, 1 << 17);                                 /* added: the lower half */
    dmms_stats_t s;
    dmms_stats(p, &s);
    /* Fill the first region, so the last buffer comes from the added one. */
    while (dmms_pool_alloc(p, 8000) != NULL && dmms_walk(p, NULL, NULL) < 12) {}
    printf("walk:\n");
    dmms_walk(p, visit, NULL);
    printf("walk_order: %s\n", out_of_order ? "PRESENT" : "absent");
    return out_of_order ? 1 : 0;
}
