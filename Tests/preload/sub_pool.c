/* sub_pool.c — a DMMS pool made inside a malloc'ed buffer, under the
 * preloaded malloc. libdmms_preload.so exports the dmms_* functions too, so
 * with LD_PRELOAD every call here (linked against libdmms.so) resolves to it:
 * the buffer is a live buffer of the default pool, and the new pool lives
 * inside it. free() and dmms_free() of the new pool's buffers find it; free()
 * of the outer buffer while the pool lives is refused (one DMMS_E_BUSY line on
 * stderr) and the pool goes on. Prints "sub_pool: ok" and exits 0 when all
 * of that holds; run only under LD_PRELOAD (glibc's free cannot free a
 * pointer of a DMMS pool). */
#include <dmms.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static void expect(int ok, const char *what) {
    if (!ok) { failures++; printf("FAILED: %s\n", what); }
}

static uint64_t frees(dmms_pool_t *pool) {
    dmms_stats_t s;
    return dmms_stats(pool, &s) == DMMS_OK ? s.total_frees : 0;
}

int main(void) {
    const size_t size = 1 << 20;
    unsigned char *buffer = malloc(size);
    dmms_pool_t *pool = dmms_pool_create(buffer, size, NULL);
    expect(pool != NULL, "a pool inside a malloc'ed buffer");
    if (pool == NULL) return 1;
    unsigned char *a = dmms_pool_alloc(pool, 1000), *b = dmms_pool_alloc(pool, 5000);
    expect(a >= buffer && a < buffer + size && b >= buffer && b < buffer + size, "its buffers are inside");
    memset(a, 'a', 1000);
    memset(b, 'b', 5000);
    char *plain = malloc(100);                  /* malloc goes on beside it */
    expect(plain != NULL && (plain < (char *)buffer || plain >= (char *)buffer + size), "malloc beside the pool");
    free(a);                                    /* found: the pool inside, not the default pool */
    expect(frees(pool) == 1, "free() of a buffer of the pool inside");
    expect(dmms_free(b) == DMMS_OK && frees(pool) == 2, "dmms_free() of a buffer of the pool inside");
    free(buffer);                               /* refused: it holds the pool */
    unsigned char *c = dmms_pool_alloc(pool, 300);
    expect(c != NULL && c >= buffer && c < buffer + size, "the pool goes on after free() of its buffer was refused");
    free(c);
    expect(dmms_check(pool) == 0 && dmms_check(NULL) == 0, "both pools consistent");
    expect(dmms_pool_destroy(pool) == DMMS_OK, "the pool destroyed");
    free(buffer);                               /* now an ordinary buffer */
    free(plain);
    expect(dmms_check(NULL) == 0, "the default pool consistent at the end");
    printf("sub_pool: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
