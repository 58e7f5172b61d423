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

/* Exactly `count` reports since the last look, the last with `status`. */
static void expect_reports(int count, dmms_status_t status, const char *what) {
    if (reports != count) fprintf(stderr, "%s: %d reports (last: %s)\n", what, reports, last_report);
    CHECK_EQ(reports, count);
    if (count > 0) CHECK(strstr(last_report, dmms_strerror(status)) != NULL);
    reports = 0;
}

static int inside(const void *p, const void *start, size_t size) {
    return (const unsigned char *)p >= (const unsigned char *)start && (const unsigned char *)p < (const unsigned char *)start + size;
}

/* A pool made inside a live buffer of another pool: the RTOS way to give a
 * subsystem its own memory. Both work; dmms_free and dmms_usable_size find the
 * innermost pool of an address, also when the outer pool is the default pool;
 * the outer buffer cannot be freed, resized or its pool destroyed while the
 * pool inside lives (DMMS_E_BUSY); once that pool is destroyed, it can. And
 * memory that is free, metadata, or not wholly inside one buffer's bytes
 * stays refused. */
static void pools_inside_live_buffers(void) {
    static unsigned char memory[1 << 20] __attribute__((aligned(1 << 20)));
    dmms_config_t c;
    dmms_config_init(&c);
    c.name = "outer";
    dmms_pool_t *outer = dmms_pool_create(memory, sizeof memory, &c);
    CHECK(outer != NULL);
    void *below = dmms_pool_alloc(outer, 1000);
    const size_t size = 100000;
    unsigned char *buffer = dmms_pool_alloc(outer, size);
    void *above = dmms_pool_alloc(outer, 1000);
    CHECK(below != NULL && buffer != NULL && above != NULL);
    dmms_stats_t outer_before = stats(outer);

    reports = 0;
    c.name = "inner";
    dmms_pool_t *inner = dmms_pool_create(buffer, size, &c);
    CHECK(inner != NULL);
    expect_reports(0, DMMS_OK, "a pool inside a live buffer");
    if (inner == NULL) return;

    /* Both pools serve requests; every free finds the pool that owns the
     * address, the default pool being the outer one or not. */
    for (int as_default = 0; as_default < 2; as_default++) {
        CHECK_EQ(dmms_set_default_pool(as_default ? outer : NULL), DMMS_OK);
        unsigned char *in = dmms_pool_alloc(inner, 500), *out = dmms_pool_alloc(outer, 500);
        CHECK(inside(in, buffer, size) && out != NULL && !inside(out, buffer, size));
        CHECK_EQ(dmms_usable_size(in), 500);
        CHECK_EQ(dmms_free(in), DMMS_OK);
        CHECK_EQ(dmms_free(out), DMMS_OK);
        expect_reports(0, DMMS_OK, "frees in both pools");
        CHECK_EQ(stats(inner).total_frees, 1 + as_default);
    }
    unsigned char *in = dmms_pool_alloc(inner, 700);
    CHECK(inside(in, buffer, size));
    CHECK_EQ(dmms_pool_free(outer, in), DMMS_E_NOT_BLOCK);    /* named the outer pool: inside its buffer */
    expect_reports(1, DMMS_E_NOT_BLOCK, "the inner buffer freed into the outer pool");

    /* The outer buffer holds a live pool: it stays, and so does the outer pool. */
    CHECK_EQ(dmms_free(buffer), DMMS_E_BUSY);
    expect_reports(1, DMMS_E_BUSY, "dmms_free of the buffer holding a pool");
    CHECK(strstr(last_report, "holds a live pool") != NULL);
    CHECK_EQ(dmms_set_default_pool(inner), DMMS_OK);          /* the buffer's start is the inner pool's too */
    CHECK_EQ(dmms_free(buffer), DMMS_E_BUSY);
    expect_reports(1, DMMS_E_BUSY, "dmms_free of the buffer holding the default pool");
    CHECK_EQ(dmms_usable_size(buffer), size);
    CHECK_EQ(dmms_set_default_pool(outer), DMMS_OK);
    CHECK_EQ(dmms_pool_free(outer, buffer), DMMS_E_BUSY);
    expect_reports(1, DMMS_E_BUSY, "dmms_pool_free of the buffer holding a pool");
    CHECK(dmms_pool_realloc(outer, buffer, 2 * size) == NULL);
    expect_reports(1, DMMS_E_BUSY, "dmms_pool_realloc of the buffer holding a pool");
    CHECK(dmms_pool_realloc(outer, buffer, size / 2) == NULL);
    expect_reports(1, DMMS_E_BUSY, "dmms_pool_realloc (shrink) of the buffer holding a pool");
    CHECK_EQ(dmms_pool_destroy(outer), DMMS_E_BUSY);
    expect_reports(1, DMMS_E_BUSY, "destroy of the outer pool");
    dmms_stats_t outer_after = stats(outer);
    CHECK_EQ(outer_after.blocks_alloc, outer_before.blocks_alloc);
    CHECK_EQ(outer_after.bytes_requested, outer_before.bytes_requested);

    /* A pool inside a buffer of the inner pool: three deep. */
    unsigned char *nest = dmms_pool_alloc(inner, 20000);
    c.name = "innermost";
    dmms_pool_t *innermost = dmms_pool_create(nest, 20000, &c);
    CHECK(innermost != NULL);
    void *deep = dmms_pool_alloc(innermost, 100);
    CHECK(inside(deep, nest, 20000));
    CHECK_EQ(dmms_free(deep), DMMS_OK);
    CHECK_EQ(stats(innermost).total_frees, 1);
    CHECK_EQ(dmms_free(nest), DMMS_E_BUSY);
    expect_reports(1, DMMS_E_BUSY, "dmms_free of the inner buffer holding a pool");
    CHECK_EQ(dmms_pool_destroy(innermost), DMMS_OK);
    CHECK_EQ(dmms_free(nest), DMMS_OK);

    /* Refused as before: memory that is not wholly inside one live buffer's bytes. */
    unsigned char *freed = dmms_pool_alloc(outer, 4096);
    CHECK_EQ(dmms_pool_free(outer, freed), DMMS_OK);
    struct { unsigned char *at; size_t size; const char *what; } refused[] = {
        { freed, 4096, "free memory" },
        { memory + sizeof memory - 4096, 4096, "the outer pool's metadata" },
        { buffer + size - 2048, 4096, "a buffer's end and its guard" },
        { buffer - 1024, 4096, "a buffer's start and the block below" },
        { in + 4096, 256, "free memory of the inner pool" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        dmms_pool_t *p = dmms_pool_create(refused[i].at, refused[i].size, NULL);
        if (p != NULL) fprintf(stderr, "a pool was made over %s\n", refused[i].what);
        CHECK(p == NULL);
        expect_reports(1, DMMS_E_INVALID_ARG, refused[i].what);
    }

    /* The inner pool gone, its buffer is an ordinary buffer again. */
    CHECK_EQ(dmms_free(in), DMMS_OK);
    CHECK_EQ(dmms_check(inner), 0);
    CHECK_EQ(dmms_pool_destroy(inner), DMMS_OK);
    CHECK_EQ(dmms_free(buffer), DMMS_OK);
    CHECK_EQ(dmms_pool_free(outer, below), DMMS_OK);
    CHECK_EQ(dmms_pool_free(outer, above), DMMS_OK);
    expect_reports(0, DMMS_OK, "the end");
    CHECK_EQ(dmms_check(outer), 0);
    CHECK_EQ(dmms_set_default_pool(NULL), DMMS_OK);
    CHECK_EQ(dmms_pool_destroy(outer), DMMS_OK);
}

/* The JSON report's value of `figure`, or UINT64_MAX. */
static uint64_t figure(dmms_pool_t *p, const char *name) {
    clear_text();
    dmms_report_json(p, collect, NULL);
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *at = strstr(text, key);
    return at ? strtoull(at + strlen(key), NULL, 10) : UINT64_MAX;
}

/* config.max_joins bounds the on-demand joins of one call: a request that
 * needs more fails (NO_MEMORY, saying the budget was reached and how many lazy
 * blocks remain), the joins done are kept, and later calls finish the work.
 * Without a budget the same request joins everything it needs in one call. */
static void join_budget(void) {
    for (uint32_t budget = 0; budget <= 16; budget += 16) {
        dmms_config_t c;
        dmms_config_init(&c);
        c.coalesce = DMMS_COALESCE_ON_DEMAND;   /* every free stays lazy: the joins all wait for a request */
        c.max_joins = budget;
        c.flags = DMMS_F_THREAD_SAFE;           /* no guard or record: a request of 32 bytes is one min block */
        dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
        enum { N = (1 << 16) / 32 };
        static void *blocks[N];
        for (int i = 0; i < N; i++) { blocks[i] = dmms_pool_alloc(p, 32); CHECK(blocks[i] != NULL); }
        for (int i = 0; i < N; i++) CHECK_EQ(dmms_pool_free(p, blocks[i]), DMMS_OK);
        CHECK_EQ(figure(p, "blocks_free"), N);               /* all lazily free, none joined */
        reports = 0;
        int calls = 0;
        void *whole = NULL;
        while (whole == NULL && calls < 2 * N) {
            whole = dmms_pool_alloc(p, 1 << 16);             /* needs every block joined back */
            calls++;
            if (whole == NULL) {
                CHECK(budget > 0);
                CHECK(strstr(last_report, "the join budget (max_joins) was reached") != NULL);
                CHECK(strstr(last_report, "lazily free blocks below this size remain to be joined") != NULL);
            }
        }
        CHECK(whole != NULL);
        /* Each call joins at most the budget: N lazy blocks need N joins. */
        CHECK_EQ(figure(p, "most_joins_in_a_call"), budget ? budget : N);
        CHECK_EQ(calls, budget ? (N + budget - 1) / budget : 1);
        CHECK_EQ(figure(p, "join_budget_failures"), (uint64_t)(calls - 1));
        CHECK_EQ(dmms_pool_free(p, whole), DMMS_OK);
        CHECK_EQ(dmms_check(p), 0);
        CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
        reports = 0;
    }
}

int main(void) {
    dmms_set_error_handler(count_report, NULL);
    mapped_pools_are_their_largest_blocks();
    overhead_is_enough_for_every_size();
    pools_inside_live_buffers();
    join_budget();
    return check_summary("test_pools");
}
