/* sizes.c — the firmware of `make embedded-size`: what DMMS costs a program
 * that keeps a 16 KiB pool, in flash and in RAM, by what the program calls.
 *
 *   -DUSE=0  nothing of DMMS: the image the others are measured against
 *   -DUSE=1  dmms_config_init, dmms_pool_create, dmms_pool_alloc,
 *            dmms_pool_free, dmms_stats
 *   -DUSE=2  those and the reports: dmms_show, dmms_report_json,
 *            dmms_report_leaks, dmms_walk, dmms_check
 *
 * Run (USE 1 and 2), it prints the bytes of blocks a 16 KiB pool gives with
 * the default config ("blocks defaults N") and with no lock, guard or owner
 * tracking ("blocks core N"): the rest of the 16 KiB is DMMS's metadata.
 * Diagnostics are run-time flags: they change the RAM a pool needs, not the
 * code a program links.
 */
#include "board.h"
#include <dmms.h>
#include <stdint.h>

#define POOL_BYTES 16384

#if USE > 0
/* One pool each: the program keeps its pools (no dmms_pool_destroy). */
static unsigned char memory[2][POOL_BYTES] __attribute__((aligned(16)));

static void put_number(const char *label, uint32_t n) {   /* 32-bit: no division helper of its own */
    char text[48];
    int i = 0;
    while (label[i] != 0 && i < 24) { text[i] = label[i]; i++; }
    text[i++] = ' ';
    char digits[20];
    int d = 0;
    do { digits[d++] = (char)('0' + n % 10); n /= 10; } while (n != 0);
    while (d > 0) text[i++] = digits[--d];
    text[i++] = '\n';
    text[i] = 0;
    board_write(text);
}

#if USE > 1
static void discard(const char *text, void *arg) { (void)text; (void)arg; }
static int32_t visit(const dmms_block_info_t *info, void *arg) { (void)info; (void)arg; return 0; }
#endif

/* The bytes of blocks of a pool made in memory[defaults]: the default config,
 * or none of lock, guard and owner tracking. */
static uint64_t blocks(int defaults) {
    dmms_config_t config;
    dmms_config_init(&config);
    if (!defaults) { config.flags = 0; config.guard_bytes = 0; }
    dmms_pool_t *pool = dmms_pool_create(memory[defaults], POOL_BYTES, &config);
    if (pool == NULL) return 0;
    void *p = dmms_pool_alloc(pool, 100);
    dmms_stats_t stats;
#if USE > 1
    dmms_show(pool, 3, discard, NULL);
    dmms_report_json(pool, discard, NULL);
    dmms_report_leaks(pool, 0, discard, NULL);
    dmms_walk(pool, visit, NULL);
    dmms_check(pool);
#endif
    dmms_pool_free(pool, p);
    return dmms_stats(pool, &stats) == DMMS_OK ? stats.pool_bytes : 0;
}
#endif

int main(void) {
    board_init();
#if USE > 0
    put_number("blocks defaults", (uint32_t)blocks(1));
    put_number("blocks core", (uint32_t)blocks(0));
#endif
    board_write("sizes: done\n");
    board_exit(0);
}
