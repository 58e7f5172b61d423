/*
 * selftest.c — DMMS on a 32-bit microcontroller, no OS, no heap, no stdio.
 *
 * Runs the library (libdmms.a, Embedded Swift) over static pools and checks
 * what a port depends on, where size_t is 32 bits: every request size, the
 * size arithmetic at the top of the address space, lazy coalescing and the
 * return to the top block, overrun (with its exact offset) and double-free
 * reports through an error handler, the checksums of owner records and
 * free-list links, owners and leaks, the lock and task-id hooks. It prints
 * the high-water table (dmms_show level 1) and the costs a port sizes for:
 * pool overhead, stack depth, instructions per alloc+free pair.
 *
 * Output and exit go through board.h (semihosting under QEMU). The last line
 * is "selftest: N passed, M failed"; the exit code is 0 only when M is 0.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dmms.h"
#include "board.h"

/* ---- output without stdio ------------------------------------------------ */

static void put(const char *text) { board_write(text); }

static void put_u(uint64_t value) {
    char digits[21];
    int n = 20;
    digits[n] = 0;
    do {
        digits[--n] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    put(digits + n);
}

/* value / 10 with one decimal: "12.3" */
static void put_tenths(uint64_t tenths) {
    char frac[2] = { (char)('0' + tenths % 10), 0 };
    put_u(tenths / 10);
    put(".");
    put(frac);
}

/* dmms_output_fn: every report line goes straight to the host. */
static void to_console(const char *text, void *arg) {
    (void)arg;
    put(text);
}

/* dmms_output_fn that counts bytes and remembers the first and last character. */
struct sink {
    uint32_t bytes, lines;
    char first, last;
};
static void to_sink(const char *text, void *arg) {
    struct sink *sink = arg;
    for (; *text; text++) {
        if (*text != ' ' && *text != '\n') {
            if (sink->first == 0) sink->first = *text;
            sink->last = *text;
        }
        sink->bytes++;
    }
    sink->lines++;
}

/* ---- checks ------------------------------------------------------------------ */

static unsigned passed, failed;

static int check(int ok, const char *what, int line) {
    if (ok) {
        passed++;
    } else {
        failed++;
        put("  FAIL (selftest.c:");
        put_u((uint64_t)line);
        put("): ");
        put(what);
        put("\n");
    }
    return ok;
}
#define CHECK(cond) check((cond) ? 1 : 0, #cond, __LINE__)

static void section(const char *title) {
    put("\n== ");
    put(title);
    put("\n");
}

/* True when `text` holds `part`. */
static int holds_text(const char *text, const char *part) {
    for (; *text; text++) {
        int i = 0;
        while (part[i] && text[i] == part[i]) i++;
        if (!part[i]) return 1;
    }
    return 0;
}

static int same_text(const char *a, const char *b) {
    if (a == NULL || b == NULL) return a == b;
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

/* ---- the port: hooks a real RTOS port installs (see PORTING.md) ------------ */

/* The running "task": the task-id hook returns it. 64 bits even here. */
static volatile uint64_t current_task = 1;
static uint64_t task_id_hook(void) { return current_task; }

/* Locks by masking interrupts: enough on a single core with no scheduler, and
 * the shape of any port (the storage holds what unlock needs). Counted so the
 * test can see that every lock is released and flag-less pools take none. */
static uint32_t lock_inits, lock_destroys, locks, unlocks, lock_depth, lock_depth_max;
static void lock_init(void *storage) { (void)storage; lock_inits++; }
static void lock(void *storage) {
    *(uint32_t *)storage = board_irq_save();
    locks++;
    if (++lock_depth > lock_depth_max) lock_depth_max = lock_depth;
}
static void unlock(void *storage) {
    unlocks++;
    lock_depth--;
    board_irq_restore(*(uint32_t *)storage);
}
static void lock_destroy(void *storage) { (void)storage; lock_destroys++; }

/* The error handler: no stderr here, so errors go to the console — and are
 * kept for the checks (the message is valid only during the call). */
static struct {
    uint32_t count;
    dmms_status_t status;
    const void *ptr;
    uint64_t requested, block_size, offset, owner;
    const char *file;
    int32_t line;
    char message[200];
} last_error;
static int echo_errors = 1;

static void on_error(const dmms_error_t *err, void *arg) {
    (void)arg;
    last_error.count++;
    last_error.status = err->status;
    last_error.ptr = err->ptr;
    last_error.requested = err->requested;
    last_error.block_size = err->block_size;
    last_error.offset = err->offset;
    last_error.owner = err->owner;
    last_error.file = err->file;
    last_error.line = err->line;
    size_t i = 0;
    for (; err->message[i] && i + 1 < sizeof last_error.message; i++) last_error.message[i] = err->message[i];
    last_error.message[i] = 0;
    if (echo_errors) {
        put("  error handler: ");
        put(err->message);
        put("\n");
    }
}

static void forget_errors(void) { memset(&last_error, 0, sizeof last_error); }

/* ---- memory: static arrays, nothing else ------------------------------------ */

#define POOL_BYTES 65536u       /* the main pool: one top block of 64 KiB       */
#define POOL_ROOM  8192u        /* its metadata; checked against dmms_pool_overhead */
#define SMALL_BYTES 16384u      /* a second pool, for the record checks and timing */

static uint8_t arena[POOL_BYTES + POOL_ROOM] __attribute__((aligned(POOL_BYTES)));
static uint8_t small_arena[SMALL_BYTES + POOL_ROOM] __attribute__((aligned(SMALL_BYTES)));

static dmms_pool_t *pool;            /* over arena: the default pool */
static void *live[POOL_BYTES / 32];  /* room for every min block of the pool */

/* Block size a request of `size` gets with `extra` bytes of guard + record. */
static uint64_t block_for(uint64_t size, uint64_t extra) {
    uint64_t block = 32;
    while (block < size + extra) block <<= 1;
    return block;
}

static int order_of(uint64_t block) {
    int k = 0;
    while ((32ull << k) < block) k++;
    return k;
}

static dmms_stats_t stats;   /* 2.8 KB: static, not on the stack */
static dmms_stats_t *stats_of(dmms_pool_t *p) {
    if (dmms_stats(p, &stats) != DMMS_OK) memset(&stats, 0xFF, sizeof stats);
    return &stats;
}

/* The pool is its top blocks again, nothing lazy, nothing live, consistent. */
static int pristine(dmms_pool_t *p, uint64_t top_blocks, uint64_t top_size) {
    dmms_stats_t *s = stats_of(p);
    int lazy = 0;
    for (uint32_t k = 0; k < s->order_count; k++) lazy |= s->orders[k].lazy_free != 0 || s->orders[k].in_use != 0;
    return s->blocks_free == top_blocks && s->max_block_free == top_size && s->bytes_free == s->pool_bytes
        && s->bytes_alloc == 0 && s->bytes_requested == 0 && !lazy && dmms_check(p) == 0;
}

/* ---- the sections --------------------------------------------------------------- */

static void test_port_setup(void) {
    section("port: no OS memory, hooks, a static pool as the default");
    put("  board: ");
    put(board_name());
    put(", size_t is ");
    put_u(sizeof(size_t) * 8);
    put(" bits, DMMS ");
    put_u(dmms_version());
    put("\n");
    CHECK(sizeof(size_t) == 4);
    CHECK(dmms_version() == DMMS_VERSION);

    dmms_set_error_handler(on_error, NULL);
    echo_errors = 0;
    forget_errors();
    /* Bare metal has no memory to map: the built-in default pool cannot exist. */
    CHECK(dmms_alloc(16) == NULL);
    CHECK(last_error.count >= 1);
    echo_errors = 1;

    dmms_set_lock_hooks(lock_init, lock, unlock, lock_destroy);
    dmms_set_task_id_hook(task_id_hook);

    dmms_config_t cfg;
    dmms_config_init(&cfg);
    cfg.name = "static";
    CHECK(cfg.flags == (DMMS_F_THREAD_SAFE | DMMS_F_GUARD | DMMS_F_TRACK_OWNER));
    size_t overhead = dmms_pool_overhead(POOL_BYTES, &cfg);
    if (!CHECK(overhead > 0 && overhead <= POOL_ROOM)) return;
    pool = dmms_pool_create(arena, POOL_BYTES + overhead, &cfg);
    CHECK(pool != NULL);
    CHECK(lock_inits >= 1);
    CHECK(dmms_set_default_pool(pool) == DMMS_OK);
    CHECK(dmms_default_pool() == pool);
    dmms_stats_t *s = stats_of(NULL);
    CHECK(s->pool_bytes == POOL_BYTES);
    CHECK(s->overhead_bytes == overhead);
    CHECK(s->min_block == 32);
    CHECK(s->order_count == 12);   /* 32 B .. 64 KiB */
    CHECK(pristine(NULL, 1, POOL_BYTES));

    /* What a pool costs in RAM beside its blocks (header + block map + owner table). */
    static const uint32_t sizes[] = { 4096, 16384, 65536, 1u << 20 };
    dmms_config_t lean = cfg;
    lean.flags = 0;
    lean.guard_bytes = 0;
    put("  pool overhead (bytes beside the blocks): defaults / no owner tracking\n");
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        put("    ");
        put_u(sizes[i]);
        put(" B pool: ");
        put_u(dmms_pool_overhead(sizes[i], &cfg));
        put(" / ");
        put_u(dmms_pool_overhead(sizes[i], &lean));
        put("\n");
    }
}

static void test_every_size(void) {
    section("every request size: alignment, usable size, block size, figures");
    const uint64_t extra = 16;   /* guard 8 + owner record 8 */
    /* Every size up to 4 KiB, then the edges of each larger block size. */
    static size_t sizes[4097 + 3 * 6];
    uint32_t count = 0;
    for (size_t size = 0; size <= 4096; size++) sizes[count++] = size;
    for (uint64_t block = 8192; block <= 2 * POOL_BYTES; block <<= 1) {
        sizes[count++] = (size_t)(block - extra - 1);
        sizes[count++] = (size_t)(block - extra);
        sizes[count++] = (size_t)(block - extra + 1);
    }
    uint32_t expected_allocs[16] = { 0 };
    size_t bad = SIZE_MAX;
    echo_errors = 0;   /* the sizes past the pool are reported: expected */
    for (uint32_t i = 0; i < count; i++) {
        size_t size = sizes[i];
        uint64_t block = block_for(size, extra);
        uint8_t *p = dmms_alloc(size);
        int ok;
        if (block > POOL_BYTES) {
            ok = p == NULL;
        } else {
            dmms_stats_t *s = stats_of(NULL);
            ok = p != NULL && ((uintptr_t)p & 15u) == 0 && dmms_usable_size(p) == size
                && s->bytes_alloc == block && s->bytes_requested == size && s->blocks_alloc == 1
                && (uintptr_t)p >= (uintptr_t)arena && (uintptr_t)p + block <= (uintptr_t)arena + POOL_BYTES;
            expected_allocs[order_of(block)]++;
        }
        if (p != NULL) {
            memset(p, 0x5A, size);   /* every byte asked for is usable */
            ok = dmms_free(p) == DMMS_OK && ok;
        }
        if (!ok && bad == SIZE_MAX) bad = size;
    }
    echo_errors = 1;
    put("  sizes tried: ");
    put_u(count);
    put(", 0 .. ");
    put_u(sizes[count - 1]);
    put("\n");
    if (!CHECK(bad == SIZE_MAX)) {
        put("  first bad size: ");
        put_u(bad);
        put("\n");
    }
    dmms_stats_t *s = stats_of(NULL);
    int allocs_ok = s->order_count == 12;
    for (uint32_t k = 0; k < s->order_count; k++) allocs_ok &= s->orders[k].allocs == expected_allocs[k];
    CHECK(allocs_ok);
    CHECK(s->orders[0].allocs == 17);    /* sizes 0..16 fit 32 bytes with 16 of extras */
    CHECK(s->total_allocs == s->total_frees && s->failed_allocs == 4);
    uint8_t *whole = dmms_alloc(POOL_BYTES - extra);
    CHECK(whole != NULL && stats_of(NULL)->orders[11].in_use == 1 && stats_of(NULL)->blocks_free == 0);
    CHECK(dmms_free(whole) == DMMS_OK);
    CHECK(pristine(NULL, 1, POOL_BYTES));
}

static int32_t free_first(const dmms_block_info_t *info, void *arg) {
    *(const void **)arg = info->ptr;
    return 1;
}

static void test_lazy_coalescing(void) {
    section("lazy coalescing: fill, free half (lazy), free all (joined back)");
    CHECK(pristine(NULL, 1, POOL_BYTES));
    dmms_stats_reset_peaks(NULL);
    uint64_t failed_before = stats_of(NULL)->failed_allocs;
    uint32_t n = 0;
    while (n < POOL_BYTES / 64 && (live[n] = dmms_alloc(48)) != NULL) n++;
    CHECK(n == POOL_BYTES / 64);          /* 48 + 16 extra = 64-byte blocks, all of them */
    echo_errors = 0;
    forget_errors();
    CHECK(dmms_alloc(48) == NULL);        /* exhausted: reported, counted */
    echo_errors = 1;
    CHECK(last_error.status == DMMS_E_NO_MEMORY);
    dmms_stats_t *s = stats_of(NULL);
    CHECK(s->failed_allocs == failed_before + 1 && s->orders[1].failures == 1);
    CHECK(s->orders[1].in_use == n && s->orders[1].high_water == n);
    uint64_t merges_before = s->merges;

    int freed = 1;
    for (uint32_t i = 0; i < n; i += 2) freed &= dmms_free(live[i]) == DMMS_OK;
    CHECK(freed);
    s = stats_of(NULL);
    put("  after freeing every other buffer: ");
    put_u(s->orders[1].lazy_free);
    put(" of ");
    put_u(s->orders[1].free_blocks);
    put(" free 64-byte blocks are lazy, ");
    put_u(s->merges - merges_before);
    put(" joins\n");
    CHECK(s->orders[1].free_blocks == n / 2);
    CHECK(s->orders[1].lazy_free >= n / 2 - 2);   /* no buddy is free: nothing to join */
    CHECK(s->orders[1].high_water == n);
    CHECK(dmms_check(NULL) == 0);

    put("\n");
    dmms_show(NULL, 1, to_console, NULL);   /* the high-water table */
    put("\n");

    for (uint32_t i = 1; i < n; i += 2) freed &= dmms_free(live[i]) == DMMS_OK;
    CHECK(freed);
    s = stats_of(NULL);
    put("  after freeing everything: ");
    put_u(s->blocks_free);
    put(" free block of ");
    put_u(s->max_block_free);
    put(" bytes, after ");
    put_u(s->merges - merges_before);
    put(" joins\n");
    CHECK(pristine(NULL, 1, POOL_BYTES));
    CHECK(s->merges > merges_before);
    CHECK(s->orders[1].high_water == n);   /* the peak stays until reset */
    CHECK(dmms_suggest_pool_size(NULL) >= (uint64_t)n * 64);
    dmms_stats_reset_peaks(NULL);
    CHECK(stats_of(NULL)->orders[1].high_water == 0);
}

static void test_overrun(void) {
    section("overrun: reported at free with the first damaged byte's offset");
    current_task = 7;
    forget_errors();
    uint8_t *p = DMMS_ALLOC(10);
    int line = __LINE__ - 1;
    CHECK(p != NULL);
    p[10] = (uint8_t)~p[10];              /* one byte past the end */
    CHECK(dmms_free(p) == DMMS_E_OVERRUN);
    CHECK(last_error.count == 1 && last_error.status == DMMS_E_OVERRUN);
    CHECK(last_error.ptr == p && last_error.offset == 10);
    CHECK(last_error.requested == 10 && last_error.block_size == 32);
    CHECK(last_error.owner == 7 && last_error.line == line && same_text(last_error.file, __FILE__));

    forget_errors();
    p = dmms_alloc(100);
    CHECK(p != NULL);
    p[103] ^= 0x40;                       /* the fourth guard byte only */
    CHECK(dmms_free(p) == DMMS_E_OVERRUN);
    CHECK(last_error.offset == 103 && last_error.requested == 100);
    CHECK(stats_of(NULL)->overruns == 2);
    CHECK(pristine(NULL, 1, POOL_BYTES));  /* an overrun buffer is still freed */
    current_task = 1;
}

static void test_bad_frees(void) {
    section("double free and other bad pointers");
    forget_errors();
    uint8_t *p = dmms_alloc(40);
    CHECK(p != NULL && dmms_free(p) == DMMS_OK);
    CHECK(dmms_free(p) == DMMS_E_DOUBLE_FREE);
    CHECK(last_error.status == DMMS_E_DOUBLE_FREE && last_error.ptr == p);
    /* An installed handler gets the whole message: the formatter is linked
     * through dmms_set_error_handler on bare metal. */
    CHECK(holds_text(last_error.message, "DMMS_E_DOUBLE_FREE in pool 'static': address 0x")
          && holds_text(last_error.message, "is already free"));
    CHECK(stats_of(NULL)->double_frees == 1);

    p = dmms_alloc(64);
    CHECK(dmms_free(p + 16) == DMMS_E_NOT_BLOCK);
    int local;
    CHECK(dmms_free(&local) == DMMS_E_NOT_OWNED);
    CHECK(dmms_pool_free(pool, (void *)(uintptr_t)0xFFFFFFF0u) == DMMS_E_NOT_OWNED);
    CHECK(dmms_free(p) == DMMS_OK);
    CHECK(dmms_usable_size(p) == 0);
    CHECK(pristine(NULL, 1, POOL_BYTES));
}

static void test_size_arithmetic(void) {
    section("32-bit size arithmetic: nothing overflows");
    echo_errors = 0;
    uint64_t failed_before = stats_of(NULL)->failed_allocs;
    CHECK(dmms_alloc(SIZE_MAX) == NULL);
    CHECK(dmms_alloc(SIZE_MAX - 15) == NULL);     /* + 16 extra bytes would wrap to 0 */
    CHECK(dmms_alloc(SIZE_MAX - 16) == NULL);
    CHECK(dmms_alloc((size_t)1 << 31) == NULL);
    CHECK(dmms_alloc(POOL_BYTES - 15) == NULL);    /* one byte too many for the pool */
    CHECK(dmms_pool_calloc(NULL, 2, 0x80000001u) == NULL);   /* product wraps to 2 */
    CHECK(dmms_pool_calloc(NULL, 0x10000u, 0x10000u) == NULL); /* product wraps to 0 */
    CHECK(dmms_pool_aligned_alloc(NULL, 3, 10) == NULL);
    CHECK(dmms_pool_aligned_alloc(NULL, (size_t)1 << 31, 10) == NULL);
    CHECK(dmms_pool_realloc(NULL, NULL, SIZE_MAX) == NULL);
    CHECK(stats_of(NULL)->failed_allocs >= failed_before + 8);
    CHECK(dmms_pool_overhead(SIZE_MAX, NULL) == 0);
    CHECK(dmms_pool_create(small_arena, SIZE_MAX, NULL) == NULL);
    CHECK(dmms_pool_create(small_arena + 4, 4096, NULL) == NULL);   /* not 16-byte aligned */
    echo_errors = 1;

    uint8_t *c = dmms_pool_calloc(NULL, 100, 3);
    int zero = c != NULL;
    for (int i = 0; c && i < 300; i++) zero &= c[i] == 0;
    CHECK(zero && dmms_usable_size(c) == 300);
    uint8_t *a = dmms_pool_aligned_alloc(NULL, 4096, 100);
    CHECK(a != NULL && ((uintptr_t)a & 4095u) == 0);

    uint8_t *r = dmms_alloc(20);
    for (int i = 0; r && i < 20; i++) r[i] = (uint8_t)i;
    uint8_t *r2 = dmms_pool_realloc(NULL, r, 3000);
    int kept = r2 != NULL;
    for (int i = 0; r2 && i < 20; i++) kept &= r2[i] == i;
    CHECK(kept && dmms_usable_size(r2) == 3000);
    uint8_t *r3 = dmms_pool_realloc(NULL, r2, 7);
    kept = r3 != NULL;
    for (int i = 0; r3 && i < 7; i++) kept &= r3[i] == i;
    CHECK(kept && dmms_usable_size(r3) == 7);
    CHECK(dmms_free(c) == DMMS_OK && dmms_free(a) == DMMS_OK && dmms_free(r3) == DMMS_OK);
    CHECK(dmms_check(NULL) == 0);
    CHECK(pristine(NULL, 1, POOL_BYTES));
}

static void test_records(void) {
    section("checksums: owner records and free-list links on 32-bit addresses");
    dmms_config_t cfg;
    dmms_config_init(&cfg);
    cfg.name = "records";
    cfg.guard_bytes = 0;                 /* the owner record right after the data */
    cfg.flags = DMMS_F_THREAD_SAFE | DMMS_F_TRACK_OWNER;
    size_t overhead = dmms_pool_overhead(SMALL_BYTES, &cfg);
    if (!CHECK(overhead > 0 && overhead <= POOL_ROOM)) return;
    dmms_pool_t *sp = dmms_pool_create(small_arena, SMALL_BYTES + overhead, &cfg);
    CHECK(sp != NULL);
    forget_errors();

    uint8_t *p = dmms_pool_alloc(sp, 24);
    CHECK(p != NULL);
    p[24] ^= 0x01;                        /* one bit of the owner record */
    CHECK(dmms_pool_free(sp, p) == DMMS_E_CORRUPT);
    CHECK(last_error.status == DMMS_E_CORRUPT && last_error.ptr == p);
    dmms_stats_t *s = stats_of(sp);
    CHECK(s->corruptions == 1 && s->blocks_alloc == 0);
    CHECK(dmms_check(sp) == 0);           /* quarantined: not a problem any more */

    uint8_t *a = dmms_pool_alloc(sp, 100);
    uint8_t *b = dmms_pool_alloc(sp, 100);
    CHECK(a && b && dmms_pool_free(sp, a) == DMMS_OK);
    a[5] ^= 0x10;                         /* a write after free into the links */
    echo_errors = 0;
    forget_errors();
    CHECK(dmms_check(sp) >= 1);
    CHECK(last_error.status == DMMS_E_CORRUPT);
    /* Take every block: the damaged one is found, quarantined, never handed out. */
    uint32_t n = 0, handed_damaged = 0;
    while (n < SMALL_BYTES / 128 && (live[n] = dmms_pool_alloc(sp, 100)) != NULL) {
        handed_damaged |= live[n] == a;
        n++;
    }
    echo_errors = 1;
    CHECK(!handed_damaged);
    CHECK(stats_of(sp)->corruptions == 2);
    for (uint32_t i = 0; i < n; i++) dmms_pool_free(sp, live[i]);
    CHECK(dmms_pool_free(sp, b) == DMMS_OK);
    CHECK(dmms_check(sp) == 0);
    CHECK(dmms_pool_destroy(sp) == DMMS_OK);
}

static int32_t find_owner(const dmms_block_info_t *info, void *arg) {
    const dmms_block_info_t *want = arg;
    if (info->ptr == want->ptr) {
        *(dmms_block_info_t *)arg = *info;
        return 1;
    }
    return 0;
}

static void test_owners(void) {
    section("owners, walk, leaks, JSON; 64-bit task ids on a 32-bit core");
    uint64_t mark = dmms_mark(NULL);
    current_task = 0x123456789ABCull;
    void *x = DMMS_ALLOC(33);
    int line = __LINE__ - 1;
    void *y = DMMS_ALLOC(70);
    current_task = 2;
    void *z = dmms_alloc(5);
    CHECK(x && y && z);
    CHECK(dmms_mark(NULL) == mark + 3);
    CHECK(dmms_walk(NULL, NULL, NULL) == 3);
    dmms_block_info_t info = { .ptr = x };
    dmms_walk(NULL, find_owner, &info);
    CHECK(info.owner == 0x123456789ABCull && info.line == line && same_text(info.file, __FILE__));
    CHECK(info.requested == 33 && info.block_size == 64 && info.seq == mark + 1);
    put("\n");
    CHECK(dmms_report_leaks(NULL, mark, to_console, NULL) == 3);
    CHECK(dmms_report_leaks(NULL, mark + 2, to_console, NULL) == 1);
    struct sink json = { 0 };
    dmms_report_json(NULL, to_sink, &json);
    put("  JSON report: ");
    put_u(json.bytes);
    put(" bytes in ");
    put_u(json.lines);
    put(" lines\n");
    CHECK(json.first == '{' && json.last == '}' && json.bytes > 500);
    struct sink show = { 0 };
    dmms_show(NULL, 3, to_sink, &show);
    CHECK(show.lines > 20);
    CHECK(dmms_free(x) == DMMS_OK && dmms_free(y) == DMMS_OK && dmms_free(z) == DMMS_OK);
    CHECK(pristine(NULL, 1, POOL_BYTES));
    current_task = 1;
}

static void test_locks(void) {
    section("locks: every lock released; a pool without DMMS_F_THREAD_SAFE takes none");
    put("  lock hook calls so far: ");
    put_u(locks);
    put(", unlocks ");
    put_u(unlocks);
    put(", deepest nesting ");
    put_u(lock_depth_max);
    put("\n");
    CHECK(locks > 0 && locks == unlocks && lock_depth == 0);

    dmms_config_t cfg;
    dmms_config_init(&cfg);
    cfg.flags &= ~DMMS_F_THREAD_SAFE;
    cfg.name = "unlocked";
    dmms_pool_t *sp = dmms_pool_create(small_arena, sizeof small_arena, &cfg);
    CHECK(sp != NULL);
    uint32_t before = locks;
    void *p = dmms_pool_alloc(sp, 100);
    CHECK(p != NULL && dmms_pool_free(sp, p) == DMMS_OK);
    CHECK(locks == before);
    CHECK(dmms_pool_alloc(sp, 100) != NULL);
    CHECK(dmms_pool_destroy(sp) == DMMS_E_BUSY);   /* a live buffer */
    const void *q = NULL;
    dmms_walk(sp, free_first, &q);
    CHECK(q != NULL && dmms_free((void *)q) == DMMS_OK);
    CHECK(dmms_pool_destroy(sp) == DMMS_OK);
    CHECK(locks == unlocks && lock_depth == 0);
    put("  lock storage: ");
    put_u(lock_inits);
    put(" inits, ");
    put_u(lock_destroys);
    put(" destroys (pools created: 3, destroyed: 2)\n");
}

/* ---- costs: stack depth and instructions ------------------------------------- */

#define STACK_PROBE 12288u
#define STACK_PAINT 0xC5u

/* Bytes of stack `fn` used below this function's frame: paint, call, look. */
__attribute__((noinline)) static uint32_t stack_used(void (*fn)(void)) {
    volatile uint8_t here = 0;
    volatile uint8_t *top = (volatile uint8_t *)((uintptr_t)&here - 64);
    for (uint32_t i = 0; i < STACK_PROBE; i++) top[-(int32_t)i] = STACK_PAINT;
    fn();
    uint32_t deepest = 0;
    for (uint32_t i = 0; i < STACK_PROBE; i++) if (top[-(int32_t)i] != STACK_PAINT) deepest = i;
    return deepest + 64;
}

static void probe_pair(void) { dmms_free(dmms_alloc(100)); }
static void probe_overrun(void) {
    uint8_t *p = dmms_alloc(10);
    p[10] ^= 0xFF;
    dmms_free(p);
}
static void probe_show(void) { struct sink s = { 0 }; dmms_show(NULL, 3, to_sink, &s); }
static void probe_check(void) { dmms_check(NULL); }
static void probe_json(void) { struct sink s = { 0 }; dmms_report_json(NULL, to_sink, &s); }
static void probe_leaks(void) { struct sink s = { 0 }; dmms_report_leaks(NULL, 0, to_sink, &s); }

static void test_stack(void) {
    section("stack depth (bytes, including the callbacks'): size task stacks from these");
    void *held[4] = { dmms_alloc(1), dmms_alloc(100), dmms_alloc(1000), dmms_alloc(5000) };
    static const struct { const char *name; void (*fn)(void); } probes[] = {
        { "alloc + free        ", probe_pair },
        { "free with an overrun", probe_overrun },
        { "dmms_show level 3   ", probe_show },
        { "dmms_check          ", probe_check },
        { "dmms_report_json    ", probe_json },
        { "dmms_report_leaks   ", probe_leaks },
    };
    echo_errors = 0;
    for (unsigned i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        uint32_t used = stack_used(probes[i].fn);
        put("  ");
        put(probes[i].name);
        put("  ");
        put_u(used);
        put("\n");
        CHECK(used < STACK_PROBE);
    }
    echo_errors = 1;
    for (int i = 0; i < 4; i++) dmms_free(held[i]);
    CHECK(pristine(NULL, 1, POOL_BYTES));
}

/* Loops of alloc+free pairs, minus the same loop around empty calls. */
typedef void *(*alloc_fn)(dmms_pool_t *, size_t);
typedef dmms_status_t (*free_fn)(dmms_pool_t *, void *);
__attribute__((noinline)) static void *no_alloc(dmms_pool_t *p, size_t size) { (void)p; return (void *)(uintptr_t)size; }
__attribute__((noinline)) static dmms_status_t no_free(dmms_pool_t *p, void *ptr) { (void)p; (void)ptr; return 0; }

__attribute__((noinline)) static uint64_t run_pairs(alloc_fn a, free_fn f, dmms_pool_t *p, size_t size, uint32_t count) {
    uint64_t start = board_instructions();
    for (uint32_t i = 0; i < count; i++) f(p, a(p, size));
    return board_instructions() - start;
}

/* Instructions (in tenths) per alloc+free pair of `size` bytes in `p`, with
 * `neighbours` other buffers of that size live meanwhile. */
static uint64_t pair_cost(dmms_pool_t *p, size_t size, uint32_t neighbours) {
    const uint32_t count = 2000;
    void *held[16];
    for (uint32_t i = 0; i < neighbours; i++) held[i] = dmms_pool_alloc(p, size);
    dmms_pool_free(p, dmms_pool_alloc(p, size));   /* the lists settle into their steady state */
    uint64_t with = run_pairs(dmms_pool_alloc, dmms_pool_free, p, size, count);
    uint64_t without = run_pairs(no_alloc, no_free, p, size, count);
    for (uint32_t i = 0; i < neighbours; i++) dmms_pool_free(p, held[i]);
    return with > without ? ((with - without) * 10 + count / 2) / count : 0;
}

static void test_cost(void) {
    section("instructions per dmms_pool_alloc + dmms_pool_free pair, 24 bytes");
    put("  counter: ");
    put(board_counter_name());
    put("\n");
    dmms_config_t cfg;
    dmms_config_init(&cfg);
    cfg.flags = 0;
    cfg.guard_bytes = 0;
    cfg.name = "lean";
    size_t overhead = dmms_pool_overhead(SMALL_BYTES, &cfg);
    dmms_pool_t *lean = dmms_pool_create(small_arena, SMALL_BYTES + overhead, &cfg);
    CHECK(lean != NULL && overhead <= POOL_ROOM);
    static const struct { const char *name; uint32_t neighbours; } cases[] = {
        { "warm: 16 others live, the block is reused  ", 16 },
        { "cold: alone, split from the top and joined ", 0 },
    };
    put("                                                 defaults   no lock/guard/owners\n");
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t full = pair_cost(pool, 24, cases[i].neighbours);
        uint64_t bare = pair_cost(lean, 24, cases[i].neighbours);
        put("  ");
        put(cases[i].name);
        put("  ");
        put_tenths(full);
        put("       ");
        put_tenths(bare);
        put("\n");
        CHECK(full > 0 && bare > 0);
    }
    put("  (defaults: lock hooks masking interrupts, guard 8, owner records; the cold\n"
        "   case splits a 64 KiB (16 KiB lean) top block into 64 (32) bytes and joins it back)\n");
    CHECK(dmms_pool_destroy(lean) == DMMS_OK);
    CHECK(pristine(NULL, 1, POOL_BYTES));
}

int main(void) {
    board_init();
    put("DMMS bare-metal self-test\n");
    test_port_setup();
    if (pool == NULL) {
        put("no pool: cannot go on\n");
        return 1;
    }
    test_every_size();
    test_lazy_coalescing();
    test_overrun();
    test_bad_frees();
    test_size_arithmetic();
    test_records();
    test_owners();
    test_locks();
    test_stack();
    test_cost();
    CHECK(locks == unlocks && lock_depth == 0);
    put("\nselftest: ");
    put_u(passed);
    put(" passed, ");
    put_u(failed);
    put(" failed\n");
    return failed == 0 ? 0 : 1;
}
