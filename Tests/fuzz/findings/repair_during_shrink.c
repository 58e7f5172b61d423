/* repair_during_shrink.c — damaged links found while a realloc shrinks a
 * buffer in place (finding "repair during shrink", docs/reliability.md).
 *
 * shrinkInPlace pushes the buffer's upper halves on the free lists while the
 * buffer's tag in the block map still claims its old, larger order. Pushing a
 * half re-links the list's head; when that head's links are damaged,
 * repairList quarantines it and rebuilds the list from the block map — but
 * the map walk steps over the whole old block (its tag says so) and misses
 * the half just pushed. That half is then free in the map and on no list: its
 * bytes leave bytes_free for good, and dmms_check reports the pool corrupt
 * (the half's stale links, and the counters) although the only damage was
 * the one reported and quarantined.
 *
 * Exit 0 when, after the repair, dmms_check is clean and the pool accounts
 * for every byte (free + allocated + one quarantined min block).
 */
#include <dmms.h>
#include <stdio.h>

static void show(const dmms_error_t *e, void *a) { (void)a; printf("  report: %s\n", e->message); }

int main(void) {
    dmms_set_error_handler(show, NULL);
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, NULL);   /* defaults: min block 32, guard + record 16 */
    unsigned char *a = dmms_pool_alloc(p, 1);                /* a 32-byte block; its buddy at a + 32 stays free */
    unsigned char *big = dmms_pool_alloc(p, 40);             /* a 64-byte block */
    a[32] ^= 0x5a;                                           /* a stray write: the free buddy's links */
    printf("realloc(big, 1): shrinks in place, pushes big + 32, meets the damaged list head\n");
    unsigned char *same = dmms_pool_realloc(p, big, 1);
    dmms_stats_t s;
    dmms_stats(p, &s);
    uint64_t unaccounted = s.pool_bytes - s.bytes_free - s.bytes_alloc - s.min_block;
    printf("  realloc %s; pool %llu - free %llu - allocated %llu - quarantined %llu = %llu bytes unaccounted\n",
           same == big ? "in place" : "moved", (unsigned long long)s.pool_bytes, (unsigned long long)s.bytes_free,
           (unsigned long long)s.bytes_alloc, (unsigned long long)s.min_block, (unsigned long long)unaccounted);
    uint64_t problems = dmms_check(p);
    printf("  dmms_check: %llu problems\n", (unsigned long long)problems);
    int present = problems != 0 || unaccounted != 0;
    printf("repair_during_shrink: %s\n", present ? "PRESENT" : "absent");
    return present;
}
