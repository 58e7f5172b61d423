/* test_api.c — the C ABI as a C program sees it: the default pool, the simple
 * interface, owners and call sites, reports (show, JSON, walk, leaks), peaks
 * and pool sizing, hooks, and several threads on one pool. */
#define _GNU_SOURCE
#include "check.h"
#include "dmms.h"
#include <pthread.h>
#include <stdint.h>
#include <string.h>


/* Writes the collected text to `path`, and has Python parse it as JSON (as d)
 * and run `assertions` on it: the exit status (0: all held). */
static int json_holds(const char *path, const char *assertions) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    fclose(f);
    char command[2048];
    snprintf(command, sizeof command, "python3 -c \"import json; d = json.load(open('%s')); %s\"", path, assertions);
    return system(command);
}

/* Every call of an output function is one line: one '\n', at its end. */
static int broken_lines;
static void collect_lines(const char *line, void *arg) {
    size_t n = strlen(line);
    if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL) broken_lines++;
    collect(line, arg);
}

static char last_message[512];
static void keep_message(const dmms_error_t *e, void *arg) {
    (void)arg;
    snprintf(last_message, sizeof last_message, "%s", e->message);
}

/* A call site (and a pool name) holding control characters: every text
 * report keeps one record per line and shows them as C escapes; the error
 * message stays one line; the JSON report gives the exact bytes back. */
static void control_characters_in_names(void) {
    dmms_config_t c;
    dmms_config_init(&c);
    c.name = "esc\npool";
    dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
    CHECK(p != NULL);
    char *b = dmms_pool_alloc_at(p, 24, "dir/new\nline\tfile.c", 9);
    CHECK(b != NULL);

    clear_text();
    broken_lines = 0;
    CHECK_EQ(dmms_report_leaks(p, 0, collect_lines, NULL), 1);
    dmms_show(p, 3, collect_lines, NULL);
    CHECK_EQ(broken_lines, 0);
    CHECK(strstr(text, "dir/new\\nline\\tfile.c:9") != NULL);   /* shown as dir/new\nline\tfile.c:9 */
    CHECK(strstr(text, "pool 'esc\\npool'") != NULL);

    clear_text();
    dmms_report_json(p, collect, NULL);
    CHECK_EQ(json_holds("build/tests/escapes.json",
                        "assert d['buffers'][0]['file'] == 'dir/new\\nline\\tfile.c', d['buffers']; "
                        "assert d['config']['name'] == 'esc\\npool', d['config']"), 0);

    dmms_set_error_handler(keep_message, NULL);
    b[24] = 'x';                                    /* an overrun: its report names the site */
    last_message[0] = 0;
    CHECK_EQ(dmms_pool_free(p, b), DMMS_E_OVERRUN);
    dmms_set_error_handler(NULL, NULL);
    CHECK(strchr(last_message, '\n') == NULL && strchr(last_message, '\t') == NULL);
    CHECK(strstr(last_message, "dir/new\\nline\\tfile.c:9") != NULL);
    CHECK(strstr(last_message, "in pool 'esc\\npool'") != NULL);
    CHECK_EQ(dmms_check(p), 0);
    CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);
}

static int walked;
static int32_t count_walk(const dmms_block_info_t *info, void *arg) {
    (void)info;
    walked++;
    return arg != NULL && walked == *(int *)arg;   /* stop after N when asked */
}
static uint64_t fixed_task(void) { return 4242; }

static void *hammer(void *arg) {
    dmms_pool_t *p = arg;
    void *mine[64] = { 0 };
    unsigned long long s = (uintptr_t)&mine;
    for (int i = 0; i < 200000; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int slot = (int)(s >> 58);
        if (mine[slot]) {
            if (((unsigned char *)mine[slot])[0] != (unsigned char)slot) return (void *)1;
            if (dmms_pool_free(p, mine[slot]) != DMMS_OK) return (void *)1;
        }
        size_t size = (s >> 20) % 2000;
        mine[slot] = dmms_pool_alloc(p, size + 1);
        if (mine[slot]) memset(mine[slot], slot, size + 1);
    }
    for (int i = 0; i < 64; i++) if (mine[i]) dmms_pool_free(p, mine[i]);
    return NULL;
}

int main(void) {
    CHECK_EQ(dmms_version(), DMMS_VERSION);
    CHECK(strcmp(dmms_strerror(DMMS_E_OVERRUN), "DMMS_E_OVERRUN") == 0);
    CHECK(strcmp(dmms_strerror(1234), "DMMS_E_UNKNOWN") == 0);

    /* The default pool: created on first use, found again by dmms_free. */
    void *a = dmms_alloc(100);
    CHECK(a != NULL);
    CHECK(dmms_default_pool() != NULL);
    CHECK_EQ(dmms_usable_size(a), 100);
    CHECK_EQ(dmms_free(a), DMMS_OK);
    CHECK_EQ(dmms_usable_size(a), 0);

    /* An RTOS-style default pool over a static array. */
    static unsigned char arena[1 << 18] __attribute__((aligned(1 << 17)));
    dmms_config_t c;
    dmms_config_init(&c);
    c.name = "static \"arena\"";
    dmms_pool_t *p = dmms_pool_create(arena, sizeof arena, &c);
    CHECK(p != NULL);
    CHECK_EQ(dmms_set_default_pool(p), DMMS_OK);
    CHECK(dmms_default_pool() == p);
    uint64_t mark0 = dmms_mark(NULL);
    char *site1 = DMMS_ALLOC(300);
    char *site2 = dmms_pool_alloc_at(NULL, 50, "odd\xff\x01 name\".c", 7);
    char *plain = dmms_alloc(20);
    CHECK(site1 >= (char *)arena && site1 < (char *)arena + sizeof arena);
    CHECK_EQ(dmms_mark(p), mark0 + 3);

    /* Walk: address order, owners and sites. */
    walked = 0;
    CHECK_EQ(dmms_walk(p, count_walk, NULL), 3);
    int stop_after = 2;
    walked = 0;
    CHECK_EQ(dmms_walk(p, count_walk, &stop_after), 2);

    /* Leaks since the mark, grouped by owner and site, largest first. */
    clear_text();
    CHECK_EQ(dmms_report_leaks(p, mark0, collect, NULL), 3);
    CHECK(strstr(text, "3 buffers, 370 bytes") != NULL);
    char *first = strstr(text, "test_api.c:");
    char *second = strstr(text, "name\".c:7");
    CHECK(first != NULL && second != NULL && first < second);   /* 300 bytes before 50 */
    clear_text();
    CHECK_EQ(dmms_report_leaks(p, dmms_mark(p), collect, NULL), 0);

    /* Show: memPartShow's table, then the per-size rows and the advice. */
    clear_text();
    dmms_show(p, 1, collect, NULL);
    CHECK(strstr(text, "status        bytes     blocks  avg block  max block") != NULL);
    CHECK(strstr(text, "cumulative") != NULL);
    CHECK(strstr(text, "high_water") != NULL);
    CHECK(strstr(text, "suggested_pool_size") != NULL);
    clear_text();
    dmms_show(p, 3, collect, NULL);
    CHECK(strstr(text, "live buffers") != NULL && strstr(text, "free blocks") != NULL);
    CHECK(strstr(text, "test_api.c") != NULL);

    /* JSON: parses, whatever bytes the names hold. */
    clear_text();
    dmms_report_json(p, collect, NULL);
    CHECK_EQ(json_holds("build/tests/snapshot.json",
                        "assert len(d['buffers']) == 3, d['buffers']; assert d['config']['name'] == 'static \\\"arena\\\"'; "
                        "assert any('\\\\xff' in repr(b['file']) or '\\\\x01' in (b['file'] or '') for b in d['buffers']); "
                        "assert d['map']['regions'][0]['blocks']"), 0);

    /* Peaks and advice. */
    dmms_stats_t s;
    CHECK_EQ(dmms_stats(p, &s), DMMS_OK);
    uint64_t peak = s.max_bytes_alloc;
    CHECK_EQ(dmms_free(site1), DMMS_OK);
    CHECK_EQ(dmms_stats(p, &s), DMMS_OK);
    CHECK_EQ(s.max_bytes_alloc, peak);
    uint64_t hw = 0;
    for (uint32_t k = 0; k < s.order_count; k++) if (s.orders[k].block_size == 512) hw = s.orders[k].high_water;
    CHECK_EQ(hw, 1);
    dmms_stats_reset_peaks(p);
    CHECK_EQ(dmms_stats(p, &s), DMMS_OK);
    CHECK(s.max_bytes_alloc < peak);
    for (uint32_t k = 0; k < s.order_count; k++) CHECK_EQ(s.orders[k].high_water, s.orders[k].in_use);
    uint64_t suggestion = dmms_suggest_pool_size(p);
    CHECK(suggestion >= 128 && suggestion < sizeof arena);
    CHECK_EQ(dmms_free(site2), DMMS_OK);
    CHECK_EQ(dmms_free(plain), DMMS_OK);
    CHECK_EQ(dmms_set_default_pool(NULL), DMMS_OK);
    CHECK(dmms_default_pool() != p);

    /* The task id hook names the owner. */
    dmms_set_task_id_hook(fixed_task);
    char *owned = dmms_pool_alloc(p, 10);
    clear_text();
    dmms_report_leaks(p, 0, collect, NULL);
    CHECK(strstr(text, "task 4242") != NULL);
    dmms_set_task_id_hook(NULL);
    CHECK_EQ(dmms_pool_free(p, owned), DMMS_OK);

    /* Four threads on one pool, frees of one thread's buffers by others avoided:
     * each keeps its own slots; contents checked before every free. */
    dmms_pool_t *shared = dmms_pool_create(NULL, 8 << 20, NULL);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, hammer, shared);
    for (int i = 0; i < 4; i++) { void *r; pthread_join(threads[i], &r); CHECK(r == NULL); }
    CHECK_EQ(dmms_stats(shared, &s), DMMS_OK);
    CHECK_EQ(s.blocks_alloc, 0);
    CHECK_EQ(s.total_allocs, s.total_frees);
    CHECK_EQ(s.blocks_free, 1);
    CHECK_EQ(dmms_check(shared), 0);
    CHECK_EQ(dmms_pool_destroy(shared), DMMS_OK);
    CHECK_EQ(dmms_pool_destroy(p), DMMS_OK);

    /* pkg-config style use: the overhead figure makes a pool of exactly 2^n. */
    size_t want = 1 << 16;
    size_t overhead = dmms_pool_overhead(want, NULL);
    unsigned char *raw = aligned_alloc(want, want + overhead + 4096);
    dmms_pool_t *exact = dmms_pool_create(raw, want + overhead, NULL);
    CHECK(exact != NULL);
    CHECK_EQ(dmms_stats(exact, &s), DMMS_OK);
    CHECK_EQ(s.max_block_free, want);
    CHECK_EQ(s.blocks_free, 1);
    CHECK_EQ(dmms_pool_destroy(exact), DMMS_OK);
    free(raw);

    control_characters_in_names();
    return check_summary("test_api");
}
