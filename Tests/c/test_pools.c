/* test_pools.c — pools as wholes: the memory they are made of (mapped for
 * them, or the caller's), what dmms_pool_overhead promises about it, and
 * pools made inside a buffer of another pool.
 *
 * Large mapped pools only reserve address space: their blocks are never
 * touched, so sizes of several GiB cost nothing.
 */
#define _GNU_SOURCE
#include "check.h"
#include "dmms.h"
#include <stdint.h>
#include <string.h>

static dmms_stats_t stats(dmms_pool_t *p) { dmms_stats_t s; memset(&s, 0, sizeof s); dmms_stats(p, &s); return s; }

/* dmms.h: memory NULL maps memory "aligned so that a power-of-two size is one
 * block" — whatever the size, 2^33 included. A size between two powers of
 * two is the largest power of two below it plus the rest. Each size three
 * times: a mapping that is aligned by luck must not make the test pass. */
static void mapped_pools_are_their_largest_blocks(void) {
    static const uint64_t sizes[] = { 1ull << 30, 1ull << 31, 1ull << 32, 1ull << 33, 3ull << 30 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int attempt = 0; attempt < 3; attempt++) {
            dmms_pool_t *p = dmms_pool_create(NULL, sizes[i], NULL);
            CHECK(p != NULL);
            if (p == NULL) continue;
            dmms_stats_t s = stats(p);
            uint64_t largest = sizes[i] & (sizes[i] - 1) ? (1ull << 31) : sizes[i];
            if (s.max_block_free != largest)
                fprintf(stderr, "pool of %llu bytes: largest block %llu\n", (unsigned long long)sizes[i],
                        (unsigned long long)s.max_block_free);
            CHECK_EQ(s.max_block_free, largest);
            CHECK_EQ(s.bytes_free, sizes[i]);
            CHECK_EQ(s.blocks_free, sizes[i] == largest ? 1 : 2);
            char *whole = dmms_pool_alloc(p, largest - 64);   /* the top block, as one buffer */
            CHECK(whole != NULL);
            CHECK_EQ(dmms_pool_free(p, whole), DMMS_OK);
            CHECK_EQ(dmms_check(p), 0);
            CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
        }
    }
}

int main(void) {
    mapped_pools_are_their_largest_blocks();
    return check_summary("test_pools");
}
