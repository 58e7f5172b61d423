/* walk_resize.c — a walk whose callback grows the buffer it was just given.
 *
 * dmms_walk calls its function without the pool lock, so the function may
 * allocate, free and resize (dmms.h) — as may other threads between two steps
 * of a walk. The walk resumes at the address after the block it passed last.
 * When that block has meanwhile grown in place, the address is inside it, on
 * a map byte that holds the buffer's slack; read as a tag it can pass for
 * another block. Here (default config: min block 32, 16 bytes of guard and
 * record): a 16-byte buffer, one 32-byte block, grows in the callback to 47
 * bytes, in place: a 64-byte block whose one slack byte (17) sits in the map
 * where the walk resumes, buffer + 32. 17 reads as "allocated, order 4": the
 * walk passes a 512-byte buffer at buffer + 32, its size and owner read from
 * the map bytes and memory of other blocks.
 *
 * Exit 0 when every buffer passed is a real one (its address aligned to its
 * block size, and one of the buffers allocated).
 */
#include <dmms.h>
#include <stdint.h>
#include <stdio.h>

static dmms_pool_t *pool;
static unsigned char *grown;
static int calls, impossible;

static int32_t visit(const dmms_block_info_t *b, void *arg) {
    (void)arg;
    calls++;
    uintptr_t p = (uintptr_t)b->ptr;
    int real = (p & (b->block_size - 1)) == 0 && (b->ptr == grown);
    printf("  walk passed %p: requested %llu, block %llu%s\n", b->ptr, (unsigned long long)b->requested,
           (unsigned long long)b->block_size, real ? "" : "  <- no such buffer");
    if (!real) impossible++;
    if (calls == 1) {
        unsigned char *q = dmms_pool_realloc(pool, grown, 47);   /* grows in place: its buddy is free */
        printf("  (callback: realloc to 47 bytes %s)\n", q == grown ? "in place" : "moved");
        grown = q;
    }
    return calls > 8;
}

int main(void) {
    pool = dmms_pool_create(NULL, 1 << 16, NULL);
    grown = dmms_pool_alloc(pool, 16);
    printf("buffer %p (16 bytes)\n", (void *)grown);
    dmms_walk(pool, visit, NULL);
    printf("walk_resize: %s\n", impossible ? "PRESENT" : "absent");
    return impossible ? 1 : 0;
}
