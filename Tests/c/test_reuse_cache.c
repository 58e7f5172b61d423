/* test_reuse_cache.c — the built-in pools' reuse cache: a size whose last
 * buffer is freed and allocated again costs no split and no join (the slack
 * rule alone would join it at every free and split it at every allocation);
 * the cache holds at most 8 blocks per size of 4 KiB or less, shows in
 * `cached`, keeps the pool consistent, and gives its blocks up on demand.
 * Pools the program makes have no cache. */
#define _GNU_SOURCE
#include "check.h"
#include "dmms.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The JSON report's "cached" of the order whose block size is `block`. */
static uint64_t cached_of(dmms_pool_t *pool, uint64_t block) {
    clear_text();
    dmms_report_json(pool, collect, NULL);
    char row[64];
    snprintf(row, sizeof row, "\"block_size\": %llu,", (unsigned long long)block);
    const char *at = strstr(text, row);
    const char *cached = at ? strstr(at, "\"cached\": ") : NULL;
    return cached ? strtoull(cached + 10, NULL, 10) : UINT64_MAX;
}

static void a_malloc_loop_costs_no_split_and_no_join(void) {
    void *keep = dmms_alloc(40);                  /* the pool is not empty: as in a program */
    for (size_t size = 16; size <= 4000; size *= 2) dmms_free(dmms_alloc(size));   /* warm up */
    dmms_stats_t before, after;
    dmms_stats(NULL, &before);
    for (int i = 0; i < 1000; i++) {
        size_t size = (size_t)16 << (i % 8);      /* 16 ... 2048 bytes, in turn */
        void *p = dmms_alloc(size);
        CHECK(p != NULL);
        memset(p, 0xAB, size);
        CHECK_EQ(dmms_free(p), DMMS_OK);
    }
    dmms_stats(NULL, &after);
    CHECK_EQ(after.splits, before.splits);
    CHECK_EQ(after.merges, before.merges);
    CHECK_EQ(after.total_allocs - before.total_allocs, 1000);
    CHECK_EQ(cached_of(NULL, 128), 1);            /* 64 bytes + guard and record: the one 128-byte block */
    CHECK_EQ(dmms_check(NULL), 0);
    dmms_free(keep);
}

static void the_cache_is_bounded(void) {
    dmms_stats_t s;
    dmms_stats(NULL, &s);
    void *p[40];
    for (int i = 0; i < 40; i++) p[i] = dmms_alloc(1000);        /* 1 KiB blocks */
    for (int i = 0; i < 40; i++) CHECK_EQ(dmms_free(p[i]), DMMS_OK);
    uint64_t cached = cached_of(NULL, 1024);
    CHECK_EQ(cached, 8);                                         /* what the rule joined, up to 8 */
    dmms_stats(NULL, &s);
    for (uint32_t k = 0; k < s.order_count; k++)
        if (s.orders[k].block_size == 1024) CHECK(s.orders[k].lazy_free >= cached);
    CHECK_EQ(dmms_check(NULL), 0);
}

/* Random work on the default pool: consistent after every step (dmms_check
 * verifies the slack rule with the cache's blocks set aside). */
static void random_work_keeps_the_pool_consistent(void) {
    static void *live[256];
    static size_t sizes[256];
    unsigned long problems = 0;
    for (int step = 0; step < 20000; step++) {
        size_t i = rng_below(256);
        if (live[i]) {
            CHECK_EQ(dmms_free(live[i]), DMMS_OK);
            live[i] = NULL;
        } else {
            sizes[i] = 1 + rng_below(rng_below(8) == 0 ? 20000 : 600);
            live[i] = dmms_alloc(sizes[i]);
            CHECK(live[i] != NULL);
        }
        if (step % 997 == 0) problems += dmms_check(NULL);
    }
    for (size_t i = 0; i < 256; i++) if (live[i]) dmms_free(live[i]);
    CHECK_EQ(problems, 0);
    CHECK_EQ(dmms_check(NULL), 0);
}

/* Every buffer back: the cache's blocks are joined when a request needs them. */
static void cached_blocks_are_joined_on_demand(void) {
    dmms_stats_t s;
    dmms_stats(NULL, &s);
    CHECK_EQ(s.blocks_alloc, 0);
    uint64_t top = 0;
    for (uint32_t k = 0; k < s.order_count; k++) if (s.orders[k].block_size > top) top = s.orders[k].block_size;
    uint64_t joins = dmms_demand_joins(NULL);
    void *all = dmms_alloc((size_t)top - 64);      /* the whole first region: every block joined */
    CHECK(all != NULL);
    CHECK(dmms_demand_joins(NULL) > joins);
    CHECK_EQ(dmms_free(all), DMMS_OK);
    CHECK_EQ(dmms_check(NULL), 0);
}

/* Without the cache the slack rule joins the block at each free (D = 1) and
 * the next allocation splits it back down from the 1 MiB top block. */
static void pools_of_the_program_have_no_cache(void) {
    dmms_pool_t *pool = dmms_pool_create(NULL, 1 << 20, NULL);
    dmms_stats_t before, after;
    dmms_stats(pool, &before);
    for (int i = 0; i < 100; i++) dmms_pool_free(pool, dmms_pool_alloc(pool, 100));
    dmms_stats(pool, &after);
    CHECK_EQ(after.splits - before.splits, 100 * 13);   /* 1 MiB down to 128 bytes: 13 splits */
    CHECK_EQ(after.merges - before.merges, 100 * 13);
    CHECK_EQ(cached_of(pool, 128), 0);
    dmms_pool_destroy(pool);
}

int main(void) {
    a_malloc_loop_costs_no_split_and_no_join();
    the_cache_is_bounded();
    random_work_keeps_the_pool_consistent();
    cached_blocks_are_joined_on_demand();
    pools_of_the_program_have_no_cache();
    return check_summary("test_reuse_cache");
}
