/* test_bad_input.c — the bad-input catalogue: every misuse DMMS can see.
 *
 * Each case runs against a pool with a recording error handler and must give
 * the documented status, exactly one report with the right fields, figures
 * otherwise unchanged, and a clean dmms_check afterwards (quarantined memory
 * aside). None may crash.
 */
#define _GNU_SOURCE
#include "check.h"
#include "dmms.h"
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct { dmms_error_t last; int count; char message[512], pool_name[64]; } recorder_t;
static recorder_t rec;

static void record(const dmms_error_t *e, void *arg) {
    (void)arg;
    rec.last = *e;
    rec.count++;
    /* The report's strings live until the handler returns: keep copies. */
    snprintf(rec.message, sizeof rec.message, "%s", e->message);
    rec.last.message = rec.message;
    if (e->pool_name) {
        snprintf(rec.pool_name, sizeof rec.pool_name, "%s", e->pool_name);
        rec.last.pool_name = rec.pool_name;
    }
}
static void reset(void) { memset(&rec, 0, sizeof rec); }
static uint64_t my_task(void) { return (uint64_t)syscall(SYS_gettid); }

static dmms_stats_t stats(dmms_pool_t *p) { dmms_stats_t s; dmms_stats(p, &s); return s; }

/* Figures that a rejected call must leave alone. */
static int same_figures(const dmms_stats_t *a, const dmms_stats_t *b) {
    return a->bytes_free == b->bytes_free && a->blocks_free == b->blocks_free && a->bytes_alloc == b->bytes_alloc &&
           a->blocks_alloc == b->blocks_alloc && a->bytes_requested == b->bytes_requested &&
           a->total_allocs == b->total_allocs && a->total_frees == b->total_frees &&
           a->splits == b->splits && a->merges == b->merges &&
           memcmp(a->orders, b->orders, sizeof a->orders) == 0;
}

static int global_buffer[16];

/* A rejected free or realloc: status, one report naming ptr, nothing else changed. */
static void expect_rejected(dmms_pool_t *p, void *ptr, dmms_status_t status, const char *what) {
    dmms_stats_t before = stats(p);
    reset();
    dmms_status_t got = dmms_pool_free(p, ptr);
    if (got != status) fprintf(stderr, "%s: free gave %s\n", what, dmms_strerror(got));
    CHECK_EQ(got, status);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, status);
    CHECK(rec.last.ptr == ptr);
    CHECK_EQ(rec.last.caller, my_task());
    CHECK(rec.last.pool_name != NULL && strcmp(rec.last.pool_name, "catalogue") == 0);
    CHECK(strstr(rec.message, dmms_strerror(status)) != NULL);
    dmms_stats_t after = stats(p);
    CHECK(same_figures(&before, &after));

    reset();
    CHECK(dmms_pool_realloc(p, ptr, 100) == NULL);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, status);
    after = stats(p);
    CHECK(same_figures(&before, &after));
    CHECK_EQ(dmms_check(p), 0);
}

static void frees_and_reallocs(dmms_pool_t *p, dmms_pool_t *other) {
    reset();
    CHECK_EQ(dmms_pool_free(p, NULL), DMMS_OK);
    CHECK_EQ(rec.count, 0);

    char *a = dmms_pool_alloc(p, 100);
    char *keep = dmms_pool_alloc(p, 100);   /* keeps a's buddy busy, so a stays a block of its own */
    CHECK_EQ(dmms_pool_free(p, a), DMMS_OK);
    expect_rejected(p, a, DMMS_E_DOUBLE_FREE, "double free");

    char *b = dmms_pool_alloc(p, 100);
    expect_rejected(p, b + 16, DMMS_E_NOT_BLOCK, "interior pointer");
    expect_rejected(p, b + 1, DMMS_E_NOT_BLOCK, "misaligned pointer");
    int on_stack = 0;
    expect_rejected(p, &on_stack, DMMS_E_NOT_OWNED, "stack address");
    expect_rejected(p, global_buffer, DMMS_E_NOT_OWNED, "global");

    char *foreign = dmms_pool_alloc(other, 64);
    expect_rejected(p, foreign, DMMS_E_NOT_OWNED, "another pool's buffer");
    CHECK_EQ(dmms_pool_free(other, foreign), DMMS_OK);

    /* Never allocated: the far end of the pool is one large free block. */
    dmms_stats_t s = stats(p);
    char *never = b + (s.max_block_free / 2);
    expect_rejected(p, never, DMMS_E_DOUBLE_FREE, "never allocated");

    /* The pool's own metadata (the header is the handle). */
    expect_rejected(p, (char *)p + 64, DMMS_E_NOT_BLOCK, "metadata");

    CHECK_EQ(dmms_pool_free(p, b), DMMS_OK);
    CHECK_EQ(dmms_pool_free(p, keep), DMMS_OK);

    /* Every 16-byte step inside buffers of many sizes: the map bytes that keep a
     * buffer's slack must never pass for the start of a block. */
    static const size_t sizes[] = { 1, 17, 43, 48, 100, 200, 300, 1000, 3000, 5000, 20000 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *q = dmms_pool_alloc(p, sizes[i]);
        dmms_stats_t before = stats(p);
        int rejected = 0, steps = 0;
        for (size_t offset = 16; offset < sizes[i]; offset += 16) {
            reset();
            steps++;
            if (dmms_pool_free(p, q + offset) == DMMS_E_NOT_BLOCK && rec.count == 1 && dmms_usable_size(q + offset) == 0)
                rejected++;
        }
        CHECK_EQ(rejected, steps);
        dmms_stats_t after = stats(p);
        CHECK(same_figures(&before, &after));
        CHECK_EQ(dmms_check(p), 0);
        CHECK_EQ(dmms_pool_free(p, q), DMMS_OK);
    }
}

/* An overrun of `length` bytes: reported with the offset, and the buffer freed. */
static void overrun(dmms_pool_t *p, size_t size, size_t length, const char *what) {
    char *victim = dmms_pool_alloc_at(p, size, "catalogue.c", 42);
    char *neighbour = dmms_pool_alloc(p, size);
    memset(victim, 'v', size);
    memset(victim + size, 'X', length);
    dmms_stats_t before = stats(p);
    reset();
    CHECK_EQ(dmms_pool_free(p, victim), DMMS_E_OVERRUN);
    if (rec.count != 1) fprintf(stderr, "%s: %d reports\n", what, rec.count);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_OVERRUN);
    CHECK_EQ(rec.last.offset, size);
    CHECK_EQ(rec.last.requested, size);
    CHECK(rec.last.ptr == victim);
    if (length <= 8) {       /* the owner record sits after the guard: a longer overrun wipes it */
        CHECK_EQ(rec.last.owner, my_task());
        CHECK(rec.last.file != NULL && strcmp(rec.last.file, "catalogue.c") == 0);
        CHECK_EQ(rec.last.line, 42);
    }
    dmms_stats_t after = stats(p);
    CHECK_EQ(after.overruns, before.overruns + 1);
    CHECK_EQ(after.total_frees, before.total_frees + 1);   /* the buffer still goes back */
    CHECK_EQ(after.blocks_alloc, before.blocks_alloc - 1);
    CHECK_EQ(dmms_check(p), 0);
    /* The neighbour's own record lies past its own data: untouched by our overrun,
     * unless the overrun reached that far. */
    reset();
    dmms_status_t n = dmms_pool_free(p, neighbour);
    CHECK(n == DMMS_OK || n == DMMS_E_OVERRUN || n == DMMS_E_CORRUPT);
    CHECK_EQ(dmms_check(p), 0);
}

static void bit_flips(dmms_pool_t *p) {
    /* Every bit of a live buffer's owner record: DMMS_E_CORRUPT at free, quarantined. */
    size_t size = 40;
    int detected = 0;
    for (int bit = 0; bit < 64; bit++) {
        unsigned char *q = dmms_pool_alloc(p, size);
        unsigned char *record = q + size + 8;   /* after the 8 guard bytes */
        record[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        dmms_stats_t before = stats(p);
        reset();
        dmms_status_t got = dmms_pool_free(p, q);
        dmms_stats_t after = stats(p);
        if (got == DMMS_E_CORRUPT && rec.count == 1 && rec.last.status == DMMS_E_CORRUPT && rec.last.ptr == q &&
            after.corruptions == before.corruptions + 1 && after.total_frees == before.total_frees &&
            after.blocks_alloc == before.blocks_alloc - 1 && after.bytes_requested == before.bytes_requested - size)
            detected++;
        CHECK_EQ(dmms_check(p), 0);
        reset();
        CHECK_EQ(dmms_pool_free(p, q), DMMS_E_CORRUPT);       /* quarantined memory is not live (nor free) */
    }
    CHECK_EQ(detected, 64);

    /* Every bit of the guard: DMMS_E_OVERRUN with the offset of that byte. */
    detected = 0;
    for (int bit = 0; bit < 64; bit++) {
        unsigned char *q = dmms_pool_alloc(p, size);
        q[size + bit / 8] ^= (unsigned char)(1u << (bit % 8));
        reset();
        if (dmms_pool_free(p, q) == DMMS_E_OVERRUN && rec.count == 1 && rec.last.offset == size + (size_t)bit / 8) detected++;
        CHECK_EQ(dmms_check(p), 0);
    }
    CHECK_EQ(detected, 64);

    /* Every bit of the block's tail (the last 8 bytes of a 64-byte block
     * holding 24 bytes): DMMS_E_OVERRUN at that byte, the buffer freed. */
    detected = 0;
    for (int bit = 0; bit < 64; bit++) {
        unsigned char *q = dmms_pool_alloc(p, 24);
        q[56 + bit / 8] ^= (unsigned char)(1u << (bit % 8));
        reset();
        if (dmms_pool_free(p, q) == DMMS_E_OVERRUN && rec.count == 1 && rec.last.offset == 56 + (size_t)bit / 8) detected++;
        CHECK_EQ(dmms_check(p), 0);
    }
    CHECK_EQ(detected, 64);

    /* Record and tail both damaged, the guard intact: the record decides
     * (CORRUPT, quarantined), as it would without a tail. */
    {
        unsigned char *q = dmms_pool_alloc(p, 24);
        memset(q + 24 + 8, 0x77, 64 - 24 - 8);          /* record, slack, tail */
        reset();
        CHECK_EQ(dmms_pool_free(p, q), DMMS_E_CORRUPT);
        CHECK_EQ(rec.count, 1);
        CHECK_EQ(dmms_check(p), 0);
    }

    /* Every bit of a free block's links: found by dmms_check, and by the
     * allocation that would reuse the block, which quarantines it instead. */
    detected = 0;
    for (int bit = 0; bit < 128; bit++) {
        unsigned char *keep = dmms_pool_alloc(p, size);
        unsigned char *q = dmms_pool_alloc(p, size);
        CHECK_EQ(dmms_pool_free(p, q), DMMS_OK);     /* lazily free: its links are in q[0..15] */
        q[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        reset();
        uint64_t problems = dmms_check(p);
        /* ...and says what it found: a free block's links, not an owner record. */
        int found_by_check = problems == 1 && rec.count == 1 && rec.last.status == DMMS_E_CORRUPT &&
                             strstr(rec.message, "free block") != NULL && strstr(rec.message, "links are damaged") != NULL &&
                             strstr(rec.message, "owner record") == NULL;
        dmms_stats_t before = stats(p);
        reset();
        unsigned char *again = dmms_pool_alloc(p, size);
        dmms_stats_t after = stats(p);
        int found_by_alloc = again != q && rec.count == 1 && rec.last.status == DMMS_E_CORRUPT &&
                             after.corruptions == before.corruptions + 1;
        if (found_by_check && found_by_alloc) detected++;
        else fprintf(stderr, "link bit %d: check %llu problems (%d reports), alloc %s %d reports\n", bit,
                     (unsigned long long)problems, rec.count, again == q ? "reused it" : "moved on", rec.count);
        CHECK_EQ(dmms_check(p), 0);
        CHECK_EQ(dmms_pool_free(p, again), DMMS_OK);
        CHECK_EQ(dmms_pool_free(p, keep), DMMS_OK);
    }
    CHECK_EQ(detected, 128);
}

/* Quarantined memory is neither live nor free: freeing or reallocating a
 * quarantined buffer again, or a pointer into it, is DMMS_E_CORRUPT with a
 * report that says so, counted as a bad free (the damage itself was counted
 * once, when it was found) and never as a double free. Nothing else moves. */
static void free_of_quarantined_memory(dmms_pool_t *p) {
    unsigned char *q = dmms_pool_alloc_at(p, 40, "catalogue.c", 7);
    q[40 + 8] ^= 0x10;                                  /* a bit of its owner record */
    reset();
    CHECK_EQ(dmms_pool_free(p, q), DMMS_E_CORRUPT);     /* found: quarantined */
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(dmms_check(p), 0);

    const char *what[] = { "free of a quarantined buffer", "free inside a quarantined buffer" };
    unsigned char *pointers[] = { q, q + 16 };
    for (int i = 0; i < 2; i++) {
        dmms_stats_t before = stats(p);
        expect_rejected(p, pointers[i], DMMS_E_CORRUPT, what[i]);   /* free, then realloc */
        CHECK(strstr(rec.message, "quarantined") != NULL);
        CHECK(strstr(rec.message, "already free") == NULL);
        dmms_stats_t after = stats(p);
        CHECK_EQ(after.double_frees, before.double_frees);
        CHECK_EQ(after.bad_frees, before.bad_frees + 2);
        CHECK_EQ(after.corruptions, before.corruptions);
    }
}

/* Damages a buffer of `size` bytes: 0 an overrun (its first guard byte), 1 its
 * owner record (right after the 8 guard bytes). Returns the status it earns. */
static dmms_status_t damage_buffer(unsigned char *q, size_t size, int kind) {
    q[kind == 0 ? size : size + 8] ^= 0x40;
    return kind == 0 ? DMMS_E_OVERRUN : DMMS_E_CORRUPT;
}

static int holds(const unsigned char *q, unsigned char byte, size_t size) {
    for (size_t i = 0; i < size; i++) if (q[i] != byte) return 0;
    return 1;
}

/* realloc of a damaged buffer. The damage is reported and counted once: by
 * the realloc when it succeeds (the old buffer goes as dmms_pool_free would
 * make it go: freed after an overrun; quarantined after a damaged owner
 * record, so such a buffer always moves), else by whatever ends the buffer
 * later. A failed realloc reports only DMMS_E_NO_MEMORY and leaves the old
 * buffer exactly as it was, its damage included. */
static void realloc_of_damaged_buffers(dmms_pool_t *p) {
    const size_t size = 40, huge = (size_t)1 << 30;      /* huge: no block of p can hold it */
    for (int kind = 0; kind < 2; kind++) {
        /* Two failed reallocs, then free. */
        unsigned char *q = dmms_pool_alloc(p, size);
        memset(q, 0x5A, size);
        dmms_status_t damage = damage_buffer(q, size, kind);
        dmms_stats_t before = stats(p);
        for (int i = 0; i < 2; i++) {
            reset();
            CHECK(dmms_pool_realloc(p, q, huge) == NULL);
            CHECK_EQ(rec.count, 1);
            CHECK_EQ(rec.last.status, DMMS_E_NO_MEMORY);
        }
        dmms_stats_t after = stats(p);
        CHECK_EQ(after.failed_allocs, before.failed_allocs + 2);
        CHECK_EQ(after.overruns, before.overruns);
        CHECK_EQ(after.corruptions, before.corruptions);
        CHECK_EQ(after.blocks_alloc, before.blocks_alloc);
        CHECK_EQ(after.bytes_requested, before.bytes_requested);
        CHECK_EQ(after.bytes_free, before.bytes_free);
        CHECK_EQ(after.total_frees, before.total_frees);
        CHECK_EQ(dmms_usable_size(q), size);               /* still live, still usable */
        CHECK(holds(q, 0x5A, size));
        reset();
        CHECK_EQ(dmms_check(p), 1);                        /* the damage is still there */
        CHECK_EQ(rec.last.status, damage);
        reset();
        CHECK_EQ(dmms_pool_free(p, q), damage);            /* reported now, once */
        CHECK_EQ(rec.count, 1);
        after = stats(p);
        CHECK_EQ(after.overruns, before.overruns + (kind == 0));
        CHECK_EQ(after.corruptions, before.corruptions + (kind == 1));
        CHECK_EQ(dmms_check(p), 0);

        /* A realloc that succeeds, shrinking (in place unless damaged) or
         * growing; then free. */
        static const size_t new_sizes[] = { 8, 3000 };
        for (int i = 0; i < 2; i++) {
            q = dmms_pool_alloc(p, size);
            memset(q, 0x5A, size);
            damage_buffer(q, size, kind);
            before = stats(p);
            reset();
            unsigned char *r = dmms_pool_realloc(p, q, new_sizes[i]);
            CHECK(r != NULL);
            if (r == NULL) continue;
            CHECK_EQ(rec.count, 1);
            CHECK_EQ(rec.last.status, damage);
            CHECK(rec.last.ptr == q);
            CHECK(holds(r, 0x5A, new_sizes[i] < size ? new_sizes[i] : size));
            CHECK_EQ(dmms_usable_size(r), new_sizes[i]);
            after = stats(p);
            CHECK_EQ(after.overruns, before.overruns + (kind == 0));
            CHECK_EQ(after.corruptions, before.corruptions + (kind == 1));
            CHECK_EQ(after.blocks_alloc, before.blocks_alloc);
            CHECK_EQ(dmms_check(p), 0);
            if (kind == 1) {
                CHECK(r != q);                                 /* never reused in place */
                CHECK_EQ(dmms_usable_size(q), 0);
                CHECK_EQ(after.total_frees, before.total_frees);   /* quarantined, not freed */
                reset();
                CHECK_EQ(dmms_pool_free(p, q), DMMS_E_CORRUPT);    /* quarantined memory */
                CHECK(strstr(rec.message, "quarantined") != NULL);
            } else {
                CHECK_EQ(after.total_frees, before.total_frees + 1);
            }
            reset();
            CHECK_EQ(dmms_pool_free(p, r), DMMS_OK);           /* the damage is not reported again */
            CHECK_EQ(rec.count, 0);
            after = stats(p);
            CHECK_EQ(after.overruns, before.overruns + (kind == 0));
            CHECK_EQ(after.corruptions, before.corruptions + (kind == 1));
            CHECK_EQ(dmms_check(p), 0);
        }
    }
}

/* A one-byte overrun of every byte value, over many buffers. Every guard byte
 * is odd, so an even byte (a NUL among them) is always caught. An odd byte is
 * missed exactly where it equals that buffer's first guard byte, which the
 * buffer's address and the pool's secret choose: about 1 buffer in 128 for
 * every odd value, and no value missed more than chance allows. */
static void one_byte_overrun_of_every_value(void) {
    enum { BUFFERS = 2048, SIZE = 24 };                  /* 64-byte blocks */
    dmms_config_t c;
    dmms_config_init(&c);
    c.name = "catalogue";
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 20, &c);
    CHECK(p != NULL);
    static unsigned char *buffers[BUFFERS];
    unsigned missed[256] = { 0 }, missed_even = 0, missed_odd = 0, worst = 0, other = 0;
    for (unsigned value = 0; value < 256; value++) {
        for (int i = 0; i < BUFFERS; i++) buffers[i] = dmms_pool_alloc(p, SIZE);
        for (int i = 0; i < BUFFERS; i++) {
            buffers[i][SIZE] = (unsigned char)value;
            dmms_status_t status = dmms_pool_free(p, buffers[i]);
            if (status == DMMS_OK) missed[value]++;
            else if (status != DMMS_E_OVERRUN) other++;
        }
        if (value & 1) missed_odd += missed[value]; else missed_even += missed[value];
        if (missed[value] > worst) worst = missed[value];
    }
    /* Expected per odd value: BUFFERS / 128 = 16; 48 is beyond any chance
     * (Poisson, p < 1e-9 for one value). */
    if (worst > 48) {
        fprintf(stderr, "one-byte overruns missed per value:");
        for (unsigned value = 1; value < 256; value += 2) if (missed[value]) fprintf(stderr, " 0x%02x:%u", value, missed[value]);
        fprintf(stderr, "\n");
    }
    CHECK_EQ(other, 0);
    CHECK_EQ(missed_even, 0);
    CHECK(worst <= 48);
    CHECK(missed_odd >= BUFFERS / 2 && missed_odd <= BUFFERS * 2);   /* about one value per buffer */
    CHECK_EQ(dmms_check(p), 0);
    CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
}

static void bad_requests(dmms_pool_t *p) {
    static const size_t alignments[] = { 0, 3, 24, (size_t)1 << 40 };
    for (int i = 0; i < 4; i++) {
        dmms_stats_t before = stats(p);
        reset();
        CHECK(dmms_pool_aligned_alloc(p, alignments[i], 16) == NULL);
        CHECK_EQ(rec.count, 1);
        CHECK_EQ(rec.last.status, DMMS_E_INVALID_ARG);
        dmms_stats_t after = stats(p);
        CHECK(same_figures(&before, &after));
    }
    static const size_t sizes[] = { SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 8, SIZE_MAX - 16, SIZE_MAX - 64, (size_t)1 << 62 };
    for (int i = 0; i < 6; i++) {
        dmms_stats_t before = stats(p);
        reset();
        CHECK(dmms_pool_alloc(p, sizes[i]) == NULL);
        CHECK_EQ(rec.count, 1);
        CHECK_EQ(rec.last.status, DMMS_E_NO_MEMORY);
        CHECK_EQ(rec.last.requested, sizes[i]);
        dmms_stats_t after = stats(p);
        CHECK_EQ(after.failed_allocs, before.failed_allocs + 1);
        CHECK(same_figures(&before, &after));
    }
    static const size_t products[][2] = { { SIZE_MAX, 2 }, { (size_t)1 << 33, (size_t)1 << 33 }, { SIZE_MAX / 3, 4 } };
    for (int i = 0; i < 3; i++) {
        reset();
        CHECK(dmms_pool_calloc(p, products[i][0], products[i][1]) == NULL);
        CHECK_EQ(rec.count, 1);
        CHECK_EQ(rec.last.status, DMMS_E_NO_MEMORY);
    }
    CHECK_EQ(dmms_check(p), 0);
}

static void bad_pools(void) {
    dmms_config_t c;
    static unsigned char small[256] __attribute__((aligned(16)));
    static unsigned char memory[1 << 16] __attribute__((aligned(64)));
    struct { void *memory; size_t size; uint32_t min_block, guard, coalesce, flags; const char *what; } cases[] = {
        { NULL, 0, 32, 8, 0, 0x07, "no memory, size 0" },
        { small, sizeof small, 32, 8, 0, 0x07, "too small" },
        { memory + 8, sizeof memory - 8, 32, 8, 0, 0x07, "misaligned" },
        { memory, sizeof memory, 8, 8, 0, 0x07, "min_block 8" },
        { memory, sizeof memory, 48, 8, 0, 0x07, "min_block 48" },
        { memory, sizeof memory, 8192, 8, 0, 0x07, "min_block 8192" },
        { memory, sizeof memory, 32, 65, 0, 0x07, "guard 65" },
        { memory, sizeof memory, 32, 8, 3, 0x07, "coalesce 3" },
        { memory, sizeof memory, 32, 8, 0, 0x80, "unknown flag" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dmms_config_init(&c);
        c.min_block = cases[i].min_block;
        c.guard_bytes = cases[i].guard;
        c.coalesce = cases[i].coalesce;
        c.flags = cases[i].flags;
        reset();
        dmms_pool_t *p = dmms_pool_create(cases[i].memory, cases[i].size, &c);
        if (p != NULL) fprintf(stderr, "pool created for: %s\n", cases[i].what);
        CHECK(p == NULL);
        CHECK_EQ(rec.count, 1);
        CHECK_EQ(rec.last.status, DMMS_E_INVALID_ARG);
    }
    /* The same memory is fine with a good config. */
    dmms_pool_t *p = dmms_pool_create(memory, sizeof memory, NULL);
    CHECK(p != NULL);
    void *live = dmms_pool_alloc(p, 10);
    reset();
    CHECK_EQ(dmms_pool_destroy(p), DMMS_E_BUSY);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_BUSY);
    CHECK_EQ(dmms_check(p), 0);                   /* still a working pool */
    CHECK_EQ(dmms_pool_free(p, live), DMMS_OK);
    CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
    reset();
    CHECK(dmms_pool_alloc(p, 10) == NULL);        /* a destroyed pool is not a pool */
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_NOT_OWNED);
    dmms_stats_t s;
    CHECK_EQ(dmms_stats((dmms_pool_t *)global_buffer, &s), DMMS_E_NOT_OWNED);
    CHECK_EQ(dmms_pool_destroy((dmms_pool_t *)global_buffer), DMMS_E_NOT_OWNED);
}

/* dmms_free of memory in no pool; the built-in default pool destroyed; memory
 * added to a pool that cannot take it. Each: its status, one report, the
 * pool's figures unchanged and dmms_check clean. */
static void bad_memory_and_the_default_pool(dmms_pool_t *p) {
    int on_stack;
    reset();
    CHECK_EQ(dmms_free(&on_stack), DMMS_E_NOT_OWNED);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_NOT_OWNED);
    CHECK(rec.last.ptr == &on_stack);
    CHECK_EQ(rec.last.caller, my_task());

    dmms_pool_t *builtin = dmms_default_pool();
    CHECK(builtin != NULL);
    dmms_stats_t before = stats(builtin);
    reset();
    CHECK_EQ(dmms_pool_destroy(builtin), DMMS_E_INVALID_ARG);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_INVALID_ARG);
    CHECK(strstr(rec.message, "never destroyed") != NULL);
    dmms_stats_t after = stats(builtin);
    CHECK(same_figures(&before, &after));
    void *still = dmms_alloc(10);                      /* the default pool still works */
    CHECK(still != NULL);
    CHECK_EQ(dmms_free(still), DMMS_OK);

    static unsigned char spare[17][256] __attribute__((aligned(64)));
    before = stats(p);
    reset();
    CHECK_EQ(dmms_pool_add_memory(p, spare[0] + 1, 20), DMMS_E_INVALID_ARG);   /* no room for one min block */
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_INVALID_ARG);
    CHECK(rec.last.ptr == spare[0] + 1);
    CHECK(rec.last.pool_name != NULL && strcmp(rec.last.pool_name, "catalogue") == 0);
    after = stats(p);
    CHECK(same_figures(&before, &after));
    /* A full region table: the pool has 1 region; 15 more fit, the 16th is refused. */
    int added = 0;
    dmms_status_t status = DMMS_OK;
    for (int i = 1; i < 17 && status == DMMS_OK; i++) {
        reset();
        status = dmms_pool_add_memory(p, spare[i], sizeof spare[i]);
        if (status == DMMS_OK) added++;
    }
    CHECK_EQ(added, 15);
    CHECK_EQ(status, DMMS_E_NO_MEMORY);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_NO_MEMORY);
    CHECK(strstr(rec.message, "region table is full") != NULL);
    CHECK_EQ(dmms_check(p), 0);
}

/* dmms_pool_destroy(NULL): NULL is the default pool, as everywhere. The
 * built-in one is never destroyed (DMMS_E_INVALID_ARG, reported); an installed
 * one is destroyed as by its handle (DMMS_E_BUSY while buffers live), and the
 * built-in pool is the default again. */
static void destroying_the_default_pool_by_null(void) {
    reset();
    CHECK_EQ(dmms_pool_destroy(NULL), DMMS_E_INVALID_ARG);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_INVALID_ARG);
    CHECK(strstr(rec.message, "never destroyed") != NULL);
    dmms_pool_t *builtin = dmms_default_pool();
    CHECK_EQ(dmms_check(builtin), 0);

    static unsigned char memory[1 << 16] __attribute__((aligned(64)));
    dmms_pool_t *installed = dmms_pool_create(memory, sizeof memory, NULL);
    CHECK(installed != NULL);
    CHECK_EQ(dmms_set_default_pool(installed), DMMS_OK);
    unsigned char *live = dmms_alloc(10);
    CHECK(live >= memory && live < memory + sizeof memory);
    reset();
    CHECK_EQ(dmms_pool_destroy(NULL), DMMS_E_BUSY);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_BUSY);
    CHECK(dmms_default_pool() == installed);
    CHECK_EQ(dmms_free(live), DMMS_OK);
    reset();
    CHECK_EQ(dmms_pool_destroy(NULL), DMMS_OK);
    CHECK_EQ(rec.count, 0);
    CHECK(dmms_default_pool() == builtin);
    unsigned char *again = dmms_alloc(10);
    CHECK(again != NULL && (again < memory || again >= memory + sizeof memory));
    CHECK_EQ(dmms_free(again), DMMS_OK);
    CHECK_EQ(dmms_check(NULL), 0);
}

static int walked;
static int32_t count_walk(const dmms_block_info_t *info, void *arg) { (void)info; (void)arg; walked++; return 0; }

/* Exactly one report since the last reset: DMMS_E_NOT_OWNED naming `handle`. */
static void expect_handle_reported(dmms_pool_t *handle, const char *what) {
    if (rec.count != 1 || rec.last.status != DMMS_E_NOT_OWNED || rec.last.ptr != handle)
        fprintf(stderr, "%s with a bad handle: %d reports, the last %s\n", what, rec.count, dmms_strerror(rec.last.status));
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_NOT_OWNED);
    CHECK(rec.last.ptr == handle);
    reset();
}

/* Every function of dmms.h that takes a pool, given a handle that is not a
 * live pool — a destroyed pool, the address of a stack variable: no crash, one
 * DMMS_E_NOT_OWNED report naming the handle, and the documented answer. */
static void bad_handles(void) {
    static unsigned char memory[1 << 16] __attribute__((aligned(64)));
    static unsigned char spare[4096] __attribute__((aligned(64)));
    dmms_pool_t *destroyed = dmms_pool_create(memory, sizeof memory, NULL);
    CHECK(destroyed != NULL);
    CHECK_EQ(dmms_pool_destroy(destroyed), DMMS_OK);
    int on_stack = 0;
    dmms_pool_t *handles[] = { destroyed, (dmms_pool_t *)&on_stack };
    for (int h = 0; h < 2; h++) {
        dmms_pool_t *bad = handles[h];
        dmms_stats_t s;
        reset();
        CHECK_EQ(dmms_pool_destroy(bad), DMMS_E_NOT_OWNED);
        expect_handle_reported(bad, "dmms_pool_destroy");
        CHECK_EQ(dmms_pool_add_memory(bad, spare, sizeof spare), DMMS_E_NOT_OWNED);
        expect_handle_reported(bad, "dmms_pool_add_memory");
        CHECK_EQ(dmms_set_default_pool(bad), DMMS_E_NOT_OWNED);
        expect_handle_reported(bad, "dmms_set_default_pool");
        CHECK(dmms_pool_alloc(bad, 10) == NULL);
        expect_handle_reported(bad, "dmms_pool_alloc");
        CHECK(dmms_pool_alloc_at(bad, 10, __FILE__, __LINE__) == NULL);
        expect_handle_reported(bad, "dmms_pool_alloc_at");
        CHECK(dmms_pool_calloc(bad, 2, 10) == NULL);
        expect_handle_reported(bad, "dmms_pool_calloc");
        CHECK(dmms_pool_realloc(bad, NULL, 10) == NULL);
        expect_handle_reported(bad, "dmms_pool_realloc(NULL)");
        CHECK(dmms_pool_realloc(bad, spare, 10) == NULL);
        expect_handle_reported(bad, "dmms_pool_realloc");
        CHECK(dmms_pool_aligned_alloc(bad, 64, 10) == NULL);
        expect_handle_reported(bad, "dmms_pool_aligned_alloc");
        CHECK_EQ(dmms_pool_free(bad, spare), DMMS_E_NOT_OWNED);
        expect_handle_reported(bad, "dmms_pool_free");
        CHECK_EQ(dmms_pool_free(bad, NULL), DMMS_E_NOT_OWNED);
        expect_handle_reported(bad, "dmms_pool_free(NULL)");
        CHECK_EQ(dmms_stats(bad, &s), DMMS_E_NOT_OWNED);
        expect_handle_reported(bad, "dmms_stats");
        CHECK_EQ(dmms_stats(bad, NULL), DMMS_E_NOT_OWNED);          /* the handle is checked first */
        expect_handle_reported(bad, "dmms_stats(NULL)");
        CHECK_EQ(dmms_demand_joins(bad), 0);
        expect_handle_reported(bad, "dmms_demand_joins");
        dmms_stats_reset_peaks(bad);
        expect_handle_reported(bad, "dmms_stats_reset_peaks");
        CHECK_EQ(dmms_suggest_pool_size(bad), 0);
        expect_handle_reported(bad, "dmms_suggest_pool_size");
        clear_text();
        dmms_show(bad, 3, collect, NULL);
        expect_handle_reported(bad, "dmms_show");
        CHECK_EQ(text_lines, 1);
        CHECK(strstr(text, "is not a live pool") != NULL);
        clear_text();
        dmms_report_json(bad, collect, NULL);
        expect_handle_reported(bad, "dmms_report_json");
        CHECK(strncmp(text, "{\"error\": ", 10) == 0 && strstr(text, "not a live pool\"}") != NULL);
        walked = 0;
        CHECK_EQ(dmms_walk(bad, count_walk, NULL), 0);
        expect_handle_reported(bad, "dmms_walk");
        CHECK_EQ(walked, 0);
        CHECK_EQ(dmms_mark(bad), 0);
        expect_handle_reported(bad, "dmms_mark");
        clear_text();
        CHECK_EQ(dmms_report_leaks(bad, 0, collect, NULL), 0);
        expect_handle_reported(bad, "dmms_report_leaks");
        CHECK_EQ(dmms_check(bad), 1);                   /* the bad handle is the problem found */
        expect_handle_reported(bad, "dmms_check");
    }
    /* A good handle and nowhere to write the figures: refused and reported too. */
    dmms_pool_t *p = dmms_pool_create(memory, sizeof memory, NULL);
    reset();
    CHECK_EQ(dmms_stats(p, NULL), DMMS_E_INVALID_ARG);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_INVALID_ARG);
    CHECK_EQ(dmms_check(p), 0);
    CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
}

/* An underflow of a buffer whose neighbour below is live lands in that
 * neighbour's block tail: seen by dmms_check and reported when the neighbour
 * is freed, as its overrun at the damaged byte's offset. Every length 1..8. */
static void underflow_into_a_live_block(void) {
    dmms_config_t c;
    dmms_config_init(&c);
    c.name = "catalogue";
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
    CHECK(p != NULL);
    for (size_t bytes = 1; bytes <= 8; bytes++) {
        char *held[8];
        char *below = NULL, *above = NULL;
        for (int i = 0; i < 8; i++) held[i] = dmms_pool_alloc(p, 24);       /* 24 + 16 -> 64-byte blocks */
        for (int i = 0; i < 8 && !above; i++)
            for (int j = 0; j < 8; j++)
                if (held[j] == held[i] + 64) { below = held[i]; above = held[j]; break; }
        CHECK(above != NULL);
        if (above == NULL) break;
        /* Each byte changed for certain: a fixed value would match the tail's
         * (per-buffer, random) pattern byte 1 time in 128 and move the offset. */
        for (size_t k = 1; k <= bytes; k++) above[-(ptrdiff_t)k] = (char)~above[-(ptrdiff_t)k];
        reset();
        CHECK_EQ(dmms_pool_free(p, above), DMMS_OK);           /* its own guard is intact */
        CHECK_EQ(rec.count, 0);
        CHECK_EQ(dmms_check(p), 1);                            /* the damage, seen while below lives */
        reset();
        CHECK_EQ(dmms_pool_free(p, below), DMMS_E_OVERRUN);
        CHECK_EQ(rec.count, 1);
        CHECK(rec.last.ptr == below);
        CHECK_EQ(rec.last.offset, 64 - bytes);
        CHECK_EQ(rec.last.owner, my_task());                   /* the record is intact */
        CHECK(strstr(rec.message, "underflow of the buffer above") != NULL);
        CHECK_EQ(dmms_check(p), 0);
        for (int i = 0; i < 8; i++) if (held[i] != below && held[i] != above) dmms_pool_free(p, held[i]);
    }
    CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
}

/* An overrun of a buffer that is never freed: the reports that list live
 * buffers (leaks, JSON) find it, report it once as free would, and count it. */
static void overrun_of_a_buffer_never_freed(void) {
    dmms_config_t c;
    dmms_config_init(&c);
    c.name = "catalogue";
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
    CHECK(p != NULL);
    char *kept = dmms_pool_alloc(p, 100);
    char *other = dmms_pool_alloc(p, 40);
    kept[100] = 0;                                   /* one byte past the end */
    reset();
    clear_text();
    CHECK_EQ(dmms_report_leaks(p, 0, collect, NULL), 2);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_OVERRUN);
    CHECK(rec.last.ptr == kept);
    CHECK_EQ(rec.last.offset, 100);
    CHECK_EQ(rec.last.owner, my_task());
    CHECK_EQ(stats(p).overruns, 1);
    reset();
    CHECK_EQ(dmms_report_leaks(p, 0, collect, NULL), 2);   /* once: the second report finds nothing new */
    CHECK_EQ(rec.count, 0);
    CHECK_EQ(stats(p).overruns, 1);

    other[57] = (char)~other[57];                    /* past guard and record, into the block's tail */
    reset();
    clear_text();
    dmms_report_json(p, collect, NULL);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_OVERRUN);
    CHECK(rec.last.ptr == other);
    CHECK_EQ(rec.last.offset, 57);                   /* 40 + 16 -> a 64-byte block, its tail at 56 */
    CHECK(strstr(text, "\"overruns\": 2") != NULL);   /* the snapshot counts what it found */
    reset();
    CHECK_EQ(dmms_pool_free(p, kept), DMMS_OK);      /* reported already: free finds nothing new */
    CHECK_EQ(dmms_pool_free(p, other), DMMS_OK);
    CHECK_EQ(rec.count, 0);
    CHECK_EQ(dmms_check(p), 0);
    CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
}

/* An underflow of a region's first buffer lands in the region's sentinel:
 * the page below a mapped region, or the bytes below the first block in
 * memory from the program when its alignment leaves 8 of them. Reported at
 * free as an underflow (a negative offset), once; the program goes on. */
static void underflow_of_a_region_s_first_buffer(void) {
    static _Alignas(4096) unsigned char memory[1 << 16];
    dmms_pool_t *mapped = dmms_pool_create(NULL, 1 << 16, NULL);
    dmms_pool_t *given = dmms_pool_create(memory + 16, sizeof memory - 16, NULL);   /* first block at memory + 32 */
    dmms_pool_t *pools[] = { mapped, given };
    for (int i = 0; i < 2; i++) {
        dmms_pool_t *p = pools[i];
        CHECK(p != NULL);
        unsigned char *first = dmms_pool_alloc(p, 8);    /* a 32-byte block: the first */
        if (i == 1) CHECK(first == memory + 32);
        for (int k = 1; k <= 3; k++) first[-k] = (unsigned char)~first[-k];
        reset();
        CHECK_EQ(dmms_check(p), 1);                    /* seen while it lives */
        CHECK_EQ(rec.last.status, DMMS_E_OVERRUN);
        reset();
        CHECK_EQ(dmms_pool_free(p, first), DMMS_E_OVERRUN);
        CHECK_EQ(rec.count, 1);
        CHECK(rec.last.ptr == first);
        CHECK_EQ((int64_t)rec.last.offset, -3);        /* the lowest byte written */
        CHECK_EQ(rec.last.owner, my_task());
        CHECK(strstr(rec.message, "written before its start: first damaged byte at offset -3") != NULL);
        CHECK_EQ(stats(p).overruns, 1);
        reset();
        unsigned char *again = dmms_pool_alloc(p, 8);   /* reported once: the next buffer there is clean */
        CHECK(again == first);
        CHECK_EQ(dmms_pool_free(p, again), DMMS_OK);
        CHECK_EQ(rec.count, 0);
        CHECK_EQ(dmms_check(p), 0);
        CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
    }
}

/* One byte changed anywhere up to 32 bytes past the end is seen when the
 * block's slack holds it: the guard (0-7), the owner record (8-15: the record
 * is damaged, the buffer quarantined), the far guard (16-31). */
static void far_overruns(void) {
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 20, NULL);   /* room for the 8 quarantined blocks */
    CHECK(p != NULL);
    for (size_t k = 0; k < 32; k++) {
        unsigned char *b = dmms_pool_alloc(p, 4096);       /* an 8 KiB block: room for everything */
        CHECK(b != NULL);
        if (b == NULL) break;
        b[4096 + k] = (unsigned char)~b[4096 + k];
        reset();
        dmms_status_t status = dmms_pool_free(p, b);
        CHECK_EQ(rec.count, 1);
        if (k >= 8 && k < 16) {
            CHECK_EQ(status, DMMS_E_CORRUPT);
        } else {
            CHECK_EQ(status, DMMS_E_OVERRUN);
            CHECK_EQ(rec.last.offset, 4096 + k);
        }
    }
    /* Room for one far word: 96 + 16 = 112 in a 128-byte block leaves 16
     * bytes, the far word (112-119) and the tail (120-127). */
    unsigned char *b = dmms_pool_alloc(p, 96);
    b[96 + 16] ^= 1;
    reset();
    CHECK_EQ(dmms_pool_free(p, b), DMMS_E_OVERRUN);
    CHECK_EQ(rec.last.offset, 112);
    CHECK_EQ(dmms_check(p), 0);
    dmms_pool_destroy(p);
}

/* An underflow into a free block, without the fill: its last 8 bytes hold a
 * pattern (its free tail), checked by dmms_check and when it is handed out. */
static void underflow_into_a_free_block(void) {
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, NULL);
    CHECK(p != NULL);
    char *held[8];
    char *below = NULL, *above = NULL;
    for (int i = 0; i < 8; i++) held[i] = dmms_pool_alloc(p, 24);       /* 64-byte blocks */
    for (int i = 0; i < 8 && !above; i++)
        for (int j = 0; j < 8; j++)
            if (held[j] == held[i] + 64) { below = held[i]; above = held[j]; break; }
    CHECK(above != NULL);
    if (above == NULL) return;
    CHECK_EQ(dmms_pool_free(p, below), DMMS_OK);      /* lazily free: a pop gives it back */
    above[-2] = (char)~above[-2];
    reset();
    CHECK_EQ(dmms_check(p), 1);
    CHECK_EQ(rec.last.status, DMMS_E_WRITE_AFTER_FREE);
    CHECK(rec.last.ptr == below);
    CHECK_EQ(rec.last.offset, 62);
    CHECK(strstr(rec.message, "underflow of the buffer above") != NULL);
    reset();
    char *again = dmms_pool_alloc(p, 24);            /* reported as it is handed out, once */
    CHECK(again == below);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_WRITE_AFTER_FREE);
    CHECK_EQ(rec.last.offset, 62);
    reset();
    for (int i = 0; i < 8; i++) if (held[i] != below) CHECK_EQ(dmms_pool_free(p, held[i]), DMMS_OK);
    CHECK_EQ(dmms_pool_free(p, again), DMMS_OK);
    CHECK_EQ(rec.count, 0);
    CHECK_EQ(dmms_check(p), 0);
    dmms_pool_destroy(p);
}

static void write_after_free(void) {
    dmms_config_t c;
    dmms_config_init(&c);
    c.flags |= DMMS_F_FILL_FREE;
    c.name = "catalogue";
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
    unsigned char *keep = dmms_pool_alloc(p, 100);
    unsigned char *q = dmms_pool_alloc(p, 100);
    CHECK_EQ(dmms_pool_free(p, q), DMMS_OK);
    q[40] = 1;                                   /* written after free */
    reset();
    CHECK_EQ(dmms_check(p), 1);
    CHECK_EQ(rec.last.status, DMMS_E_WRITE_AFTER_FREE);
    CHECK_EQ(rec.last.offset, 40);
    reset();
    unsigned char *again = dmms_pool_alloc(p, 100);   /* reuse: reported, then handed out */
    CHECK(again == q);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_WRITE_AFTER_FREE);
    CHECK_EQ(rec.last.offset, 40);
    CHECK_EQ(dmms_check(p), 0);

    /* An underrun lands at the end of the block below; free, it is caught the same way. */
    CHECK_EQ(dmms_pool_free(p, keep), DMMS_OK);
    again[-1] = 7;
    reset();
    CHECK_EQ(dmms_check(p), 1);
    CHECK_EQ(rec.last.status, DMMS_E_WRITE_AFTER_FREE);
    CHECK(rec.last.ptr == keep);
    CHECK_EQ(rec.last.offset, (uint64_t)(again - keep) - 1);
    CHECK_EQ(dmms_pool_free(p, again), DMMS_OK);
    dmms_pool_destroy(p);
}

/* Damaged links of a large free block cost one min block, not the block. */
static void damaged_links_of_a_large_block(void) {
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, NULL);
    unsigned char *q = dmms_pool_alloc(p, 100);
    CHECK_EQ(dmms_pool_free(p, q), DMMS_OK);        /* joined back: one 64 KiB free block */
    memset(q + 8, 0x12, 4);                          /* written after free, into its links */
    reset();
    void *again = dmms_pool_alloc(p, 100);
    CHECK(again != NULL);
    CHECK_EQ(rec.count, 1);
    CHECK_EQ(rec.last.status, DMMS_E_CORRUPT);
    CHECK(strstr(rec.message, "quarantined") != NULL);
    dmms_stats_t s = stats(p);
    CHECK_EQ(s.bytes_free + s.bytes_alloc, (1 << 16) - 32);   /* only the first min block is lost */
    CHECK_EQ(s.corruptions, 1);
    CHECK_EQ(dmms_check(p), 0);
    CHECK_EQ(dmms_pool_free(p, again), DMMS_OK);
    CHECK_EQ(dmms_check(p), 0);
    dmms_pool_destroy(p);
}

/* Damaged heads of two sizes at once: the repair of the larger one pushes its
 * halves, and pushing the order-0 half meets the damaged order-0 head, whose
 * list is rebuilt from the map while the larger block is still tagged whole. */
static void damaged_heads_of_two_sizes(void) {
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, NULL);
    unsigned char *q = dmms_pool_alloc(p, 1);       /* splits the top block: a free half of every order */
    memset(q + 1024, 0x5A, 16);                      /* the order-5 head's links, written after free */
    memset(q + 32, 0x5A, 16);                        /* then the order-0 head's */
    reset();
    unsigned char *big = dmms_pool_alloc(p, 1000);  /* order 5: pops the damaged head */
    unsigned char *small = dmms_pool_alloc(p, 1);   /* order 0 */
    CHECK(big != NULL && small != NULL);
    CHECK_EQ(rec.count, 2);
    CHECK_EQ(rec.last.status, DMMS_E_CORRUPT);
    CHECK_EQ(dmms_check(p), 0);
    dmms_stats_t s = stats(p);
    CHECK_EQ(s.corruptions, 2);
    CHECK_EQ(s.bytes_free + s.bytes_alloc, (1 << 16) - 2 * 32);   /* two min blocks quarantined */
    CHECK_EQ(dmms_pool_free(p, q), DMMS_OK);
    CHECK_EQ(dmms_pool_free(p, big), DMMS_OK);
    CHECK_EQ(dmms_pool_free(p, small), DMMS_OK);
    CHECK_EQ(dmms_check(p), 0);
    dmms_pool_destroy(p);
}

int main(void) {
    dmms_set_error_handler(record, NULL);
    dmms_config_t c;
    dmms_config_init(&c);
    c.name = "catalogue";
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 20, &c);
    dmms_pool_t *other = dmms_pool_create(NULL, 1 << 16, NULL);
    CHECK(p != NULL && other != NULL);

    frees_and_reallocs(p, other);
    overrun(p, 24, 1, "one byte");
    overrun(p, 24, 8, "guard_bytes bytes");
    overrun(p, 100, 128, "a whole block, into the neighbour");
    overrun(p, 0, 1, "one byte past a zero-size buffer");
    for (size_t size = 0; size < 600; size++) {            /* one byte past every size */
        char *q = dmms_pool_alloc(p, size);
        q[size] = 0;
        reset();
        CHECK_EQ(dmms_pool_free(p, q), DMMS_E_OVERRUN);
        CHECK_EQ(rec.last.offset, size);
    }
    one_byte_overrun_of_every_value();
    bit_flips(p);
    free_of_quarantined_memory(p);
    realloc_of_damaged_buffers(p);
    bad_requests(p);
    bad_pools();
    write_after_free();
    damaged_links_of_a_large_block();
    damaged_heads_of_two_sizes();
    bad_memory_and_the_default_pool(p);
    destroying_the_default_pool_by_null();
    bad_handles();
    underflow_into_a_live_block();
    overrun_of_a_buffer_never_freed();
    underflow_of_a_region_s_first_buffer();
    far_overruns();
    underflow_into_a_free_block();

    dmms_stats_t s = stats(p);
    CHECK_EQ(s.blocks_alloc, 0);
    CHECK_EQ(dmms_check(p), 0);
    CHECK_EQ(dmms_pool_destroy(other), DMMS_OK);
    return check_summary("test_bad_input");
}
