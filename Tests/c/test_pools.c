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
#include <sys/mman.h>

/* Reports are counted, and shown only when a test does not expect them. */
static int reports;
static char last_report[512];
static void count_report(const dmms_error_t *e, void *arg) {
    (void)arg;
    reports++;
    snprintf(last_report, sizeof last_report, "%s", e->message);
}

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

/* dmms.h: dmms_pool_create(m, size + dmms_pool_overhead(size, cfg), cfg),
 * m aligned to min_block, has at least `size` bytes in blocks — for every
 * size, multiple of min_block or not, below it or not (0: one min block), for
 * every min block, with and without owner tracking (which sizes the
 * metadata). */
static void overhead_is_enough_for_every_size(void) {
    static const uint32_t min_blocks[] = { 16, 32, 256, 4096 };
    static const size_t large[] = { 1000003, (1u << 20) + 1, (3u << 22) + 12345, (1u << 28) - 1, (1u << 28) + 4097 };
    size_t room = ((size_t)1 << 29);
    unsigned char *memory = mmap(NULL, room, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(memory != MAP_FAILED);
    if (memory == MAP_FAILED) return;
    unsigned long broken = 0;
    for (size_t m = 0; m < sizeof min_blocks / sizeof min_blocks[0]; m++) {
        for (int tracking = 0; tracking < 2; tracking++) {
            dmms_config_t c;
            dmms_config_init(&c);
            c.min_block = min_blocks[m];
            if (!tracking) c.flags &= ~DMMS_F_TRACK_OWNER;
            for (size_t i = 0; i <= 4096 + sizeof large / sizeof large[0]; i++) {
                size_t size = i <= 4096 ? i : large[i - 4097];
                size_t overhead = dmms_pool_overhead(size, &c);
                CHECK(overhead > 0 && size + overhead <= room);
                dmms_pool_t *p = dmms_pool_create(memory, size + overhead, &c);
                dmms_stats_t s;
                memset(&s, 0, sizeof s);
                if (p != NULL) s = stats(p);
                int kept = p != NULL && s.pool_bytes >= size && s.bytes_free + s.bytes_alloc >= size && s.pool_bytes >= 1;
                if (!kept && broken++ < 5)
                    fprintf(stderr, "min_block %u%s, size %zu + overhead %zu: %s, %llu bytes in blocks\n", c.min_block,
                            tracking ? "" : " (no tracking)", size, overhead, p ? "created" : "NOT created",
                            (unsigned long long)s.pool_bytes);
                if (p != NULL) {
                    CHECK_EQ(dmms_check(p), 0);
                    CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
                }
            }
        }
    }
    if (broken) fprintf(stderr, "dmms_pool_overhead: %lu sizes with too few bytes in blocks\n", broken);
    CHECK_EQ(broken, 0);
    CHECK_EQ(dmms_pool_overhead(0, NULL), dmms_pool_overhead(32, NULL) + 32);   /* 0: one min block */
    CHECK(dmms_pool_overhead(SIZE_MAX / 4, NULL) > 0);
    CHECK_EQ(dmms_pool_overhead(SIZE_MAX / 4 + 1, NULL), 0);                   /* no pool is that large */
    munmap(memory, room);
}

int main(void) {
    dmms_set_error_handler(count_report, NULL);
    mapped_pools_are_their_largest_blocks();
    overhead_is_enough_for_every_size();
    return check_summary("test_pools");
}
