/* tools_misuse.c — one misuse of a pool buffer per run, for Valgrind's
 * memcheck and AddressSanitizer to report at the instruction (Tests/tools/run.sh).
 *
 *   tools_misuse overflow_read     reads the byte just past a 100-byte buffer
 *   tools_misuse read_after_free   reads a 100-byte buffer after dmms_pool_free
 *   tools_misuse leak              drops the last pointer to a 333-byte buffer
 *   tools_misuse clean             every call a pool has, used rightly
 *   tools_misuse clean_fill        the same in a pool with DMMS_F_FILL_FREE
 *
 * The pool is in static memory, as on a target without an OS; the default
 * pool (mapped memory) is used rightly too, in `clean`. Exit 0 unless a
 * DMMS call fails.
 */
#include <dmms.h>
#include <stdio.h>
#include <string.h>

static char memory[64 << 10] __attribute__((aligned(16)));
static dmms_pool_t *pool;
static volatile char sink;

#define EXPECT(c) do { if (!(c)) { fprintf(stderr, "tools_misuse: %s failed\n", #c); return 1; } } while (0)

__attribute__((noinline)) static void drop_a_buffer(void) {
    char *p = dmms_pool_alloc(pool, 333);
    memset(p, 'x', 333);
}

static void discard(const char *text, void *arg) { (void)text; (void)arg; }
static int32_t visit(const dmms_block_info_t *info, void *arg) { (void)info; (void)arg; return 0; }

static int clean(void) {
    char *a = dmms_pool_alloc(pool, 100);
    memset(a, 'a', 100);
    char *b = dmms_pool_calloc(pool, 10, 30);
    for (int i = 0; i < 300; i++) sink = b[i];
    a = dmms_pool_realloc(pool, a, 3000);          /* moves; the first 100 bytes are defined */
    EXPECT(a != NULL && a[99] == 'a');
    memset(a + 100, 'c', 2900);
    a = dmms_pool_realloc(pool, a, 40);
    EXPECT(a != NULL && a[39] == 'a');
    char *c = dmms_pool_aligned_alloc(pool, 256, 200);
    memset(c, 'c', 200);
    EXPECT(dmms_usable_size(c) >= 200);
    /* Every report reads what the pool keeps around its live buffers. */
    dmms_show(pool, 3, discard, NULL);
    dmms_report_json(pool, discard, NULL);
    EXPECT(dmms_walk(pool, visit, NULL) > 0);
    EXPECT(dmms_report_leaks(pool, 0, discard, NULL) == 3);
    EXPECT(dmms_check(pool) == 0);
    EXPECT(dmms_pool_free(pool, a) == DMMS_OK && dmms_pool_free(pool, b) == DMMS_OK && dmms_free(c) == DMMS_OK);
    char *d = dmms_alloc(5000);                    /* the default pool */
    memset(d, 'd', 5000);
    EXPECT(dmms_free(d) == DMMS_OK);
    EXPECT(dmms_check(pool) == 0);
    dmms_stats_t s;
    EXPECT(dmms_stats(pool, &s) == DMMS_OK && s.blocks_alloc == 0);
    EXPECT(dmms_pool_destroy(pool) == DMMS_OK);
    memset(memory, 0, sizeof memory);              /* the memory is the program's again */
    return 0;
}

int main(int argc, char **argv) {
    const char *misuse = argc > 1 ? argv[1] : "clean";
    dmms_config_t config;
    dmms_config_init(&config);
    if (strcmp(misuse, "clean_fill") == 0) config.flags |= DMMS_F_FILL_FREE;
    pool = dmms_pool_create(memory, sizeof memory, &config);
    EXPECT(pool != NULL);
    if (strcmp(misuse, "overflow_read") == 0) {
        char *p = dmms_pool_alloc(pool, 100);
        memset(p, 'p', 100);
        sink = p[100];
        EXPECT(dmms_pool_free(pool, p) == DMMS_OK);
    } else if (strcmp(misuse, "read_after_free") == 0) {
        char *p = dmms_pool_alloc(pool, 100);
        memset(p, 'p', 100);
        EXPECT(dmms_pool_free(pool, p) == DMMS_OK);
        sink = p[0];
    } else if (strcmp(misuse, "leak") == 0) {
        drop_a_buffer();
    } else {
        return clean();
    }
    return 0;
}
