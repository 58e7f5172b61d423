/*
 * dmms.h — DMMS, a buddy-system memory allocator for real-time C programs.
 *
 * One header, the whole contract. Memory is handed out in power-of-two blocks
 * (min_block << order) split from larger ones and joined back lazily (Barkley &
 * Lee's slack rule), so allocation and free do bounded work. Every buffer can
 * carry guard bytes checked at free, the task that asked for it, its call site
 * and a sequence number; every block size keeps a high-water mark.
 *
 * Conventions used below, per function:
 *   Time     — worst-case work; "bounded" means O(number of block sizes) with
 *              no list or block walks and no system call.
 *   Fails    — exactly when the function returns its failure value.
 *   Threads  — with DMMS_F_THREAD_SAFE (the default) any function may be called
 *              from any thread; without it the caller serialises access.
 *   Bad ptr  — what happens with a pointer DMMS did not hand out. DMMS never
 *              dereferences a pointer it cannot prove is one of its buffers;
 *              such a pointer is reported (see dmms_set_error_handler) and the
 *              pool stays consistent.
 *   Bad pool — a handle that is not a live pool (destroyed, or never one):
 *              every function that takes a pool reports it once as
 *              DMMS_E_NOT_OWNED (err->ptr = the handle), touches nothing and
 *              returns its failure value: NULL, DMMS_E_NOT_OWNED, or 0 —
 *              except dmms_check (1: the handle is the problem found),
 *              dmms_show (one line saying the handle is not a live pool) and
 *              dmms_report_json (the document {"error": "handle … is not a
 *              live pool"}).
 *
 * Every function that takes a pool accepts NULL for the default pool.
 * Errors are reported through the error handler *and* returned as a status
 * where the function returns one; the handler runs without the pool lock.
 */
#ifndef DMMS_H
#define DMMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DMMS_VERSION 100                 /* major*10000 + minor*100 + patch */
/* The version of the library in use. Time O(1). Never fails. */
uint32_t dmms_version(void);

typedef struct dmms_pool_s dmms_pool_t;  /* opaque */

/* ---- status codes (int32_t, no C enum in the ABI) ------------------------ */
typedef int32_t dmms_status_t;
#define DMMS_OK                  0
#define DMMS_E_INVALID_ARG       1  /* bad argument or config                              */
#define DMMS_E_NO_MEMORY         2  /* request cannot be met                               */
#define DMMS_E_NOT_OWNED         3  /* pointer is not inside the pool (or any pool)        */
#define DMMS_E_NOT_BLOCK         4  /* inside a live buffer or metadata, not a buffer start */
#define DMMS_E_DOUBLE_FREE       5  /* address lies in free memory (freed, joined or not)  */
#define DMMS_E_OVERRUN           6  /* freed, but bytes past the requested end were written */
#define DMMS_E_CORRUPT           7  /* buffer metadata damaged: quarantined, pool consistent */
#define DMMS_E_WRITE_AFTER_FREE  8  /* free-fill pattern damaged (DMMS_F_FILL_FREE)         */
#define DMMS_E_BUSY              9  /* destroy refused: buffers still live; or free/realloc
                                       refused: the buffer holds a live pool               */

/* Short upper-case name of a status ("DMMS_E_OVERRUN"); "DMMS_E_UNKNOWN" for
 * values outside the list. Time O(1). Never returns NULL. */
const char *dmms_strerror(dmms_status_t status);

/* ---- configuration -------------------------------------------------------- */
#define DMMS_COALESCE_LAZY       0  /* default: slack rule, bounded work per free          */
#define DMMS_COALESCE_EAGER      1  /* classic buddy: join as far as possible on every free */
#define DMMS_COALESCE_ON_DEMAND  2  /* never join on free; join only when a request fails  */

#define DMMS_F_THREAD_SAFE     0x01u /* internal lock                       (default on)  */
#define DMMS_F_GUARD           0x02u /* guard bytes, checked at free        (default on)  */
#define DMMS_F_TRACK_OWNER     0x04u /* task id, call site, sequence        (default on)  */
#define DMMS_F_FILL_FREE       0x08u /* fill freed buffers, verify on reuse (default off) */
#define DMMS_F_ABORT_ON_ERROR  0x10u /* abort() after reporting an error    (default off);
                                        never for DMMS_E_NO_MEMORY: a request that
                                        cannot be met returns NULL as without it    */
/* DMMS_F_FILL_FREE costs work in proportion to the buffer, never to the pool:
 * a free fills the buffer's block; a request checks the block it hands out and
 * the 16 bytes of each half a split writes links over (the rest of a half is
 * checked when it is handed out in turn). Memory DMMS maps is zero, which the
 * check accepts in place of the fill, so it is not filled (nor its pages
 * touched) when it joins the pool; a write after free of 16 aligned zero bytes
 * over a whole 16-byte unit is therefore not seen. */

typedef struct dmms_config_s {
    uint32_t    flags;
    uint32_t    min_block;     /* power of two, 16..4096; default 32                    */
    uint32_t    guard_bytes;   /* 0..64; default 8                                      */
    uint32_t    coalesce;      /* DMMS_COALESCE_*                                       */
    const char *name;          /* shown in reports; copied (at least 31 chars kept)     */
    uint32_t    max_joins;     /* on-demand joins per call, 0 = no limit (default): see */
                               /* "Time" under allocation                               */
} dmms_config_t;

/* Fills *cfg with the defaults (thread safe, guard 8, track owner, lazy, min
 * block 32, name NULL: shown as "pool"). Time O(1). cfg NULL: does nothing. */
void dmms_config_init(dmms_config_t *cfg);

/* ---- pools ------------------------------------------------------------------
 * All pool state lives inside the pool's memory: the blocks at its start, the
 * allocator's records (one byte per 64 bytes at most, plus a fixed header and
 * the owner table) at its end. Nothing is kept on a hidden heap.
 *
 * A block of size S always starts at an address that is a multiple of S, so
 * the largest block a region can hold depends on the alignment of its memory:
 * memory aligned to 2^n and at least 2^n + dmms_pool_overhead(2^n) long holds
 * one block of 2^n bytes.
 */

/* The bytes a pool needs besides `size` bytes of blocks: its metadata, and
 * what rounds `size` up to whole min blocks (at least one). For every size:
 * dmms_pool_create(m, size + dmms_pool_overhead(size, cfg), cfg), with m
 * aligned to min_block, succeeds and has at least `size` bytes in blocks
 * (dmms_stats: pool_bytes). cfg NULL = defaults. Time O(1). Fails (returns 0)
 * for an invalid cfg or a size no pool can have (above SIZE_MAX / 4). */
size_t dmms_pool_overhead(size_t size, const dmms_config_t *cfg);

/* Creates a pool over `memory` (16-byte aligned, `size` bytes, owned by the
 * pool until destroyed) or, with memory NULL, with exactly `size` bytes of
 * blocks (rounded up to min_block) in memory mapped from the OS, aligned so
 * that a power-of-two size is one block. cfg NULL = defaults.
 * `memory` may lie inside a live buffer of another pool (a sub-pool carved
 * from a buffer; under libdmms_preload.so, malloc'ed memory): all of it within
 * that buffer's requested bytes. Then dmms_free, dmms_usable_size and free()
 * find the pool inside for its addresses (the innermost pool holding an
 * address owns it), and the buffer holding it cannot be freed or resized
 * (DMMS_E_BUSY) — nor its pool destroyed — until this pool is destroyed.
 * Time O(size / 64) to clear the block map. Fails (NULL, DMMS_E_INVALID_ARG
 * reported) for a bad cfg field, memory not 16-byte aligned, memory that
 * overlaps a live pool other than wholly inside one of its live buffers (its
 * free memory, metadata, a guard, two buffers), or a size too small to hold
 * the metadata and one block of min_block; (NULL, DMMS_E_NO_MEMORY) when the
 * OS refuses the mapping. Threads: safe. */
dmms_pool_t *dmms_pool_create(void *memory, size_t size, const dmms_config_t *cfg);

/* Destroys a pool with no live buffers; memory it mapped goes back to the OS.
 * Returns DMMS_E_BUSY (pool untouched) while buffers are live, DMMS_E_NOT_OWNED
 * for a handle that is not a live pool, DMMS_E_INVALID_ARG for the built-in
 * default pool (and the arenas libdmms_preload.so adds beside it); each is
 * reported. NULL is the default pool: the built-in one is refused so; a pool
 * installed by dmms_set_default_pool is destroyed as by its handle, and the
 * built-in pool is the default again. Time O(regions). Threads: no other call
 * may use the pool. */
dmms_status_t dmms_pool_destroy(dmms_pool_t *pool);

/* Adds a region of memory (16-byte aligned) to a pool; it is carved into the
 * largest aligned power-of-two blocks that fit. Returns DMMS_E_INVALID_ARG for
 * memory that is NULL, misaligned, overlaps a pool (a live buffer of one
 * included: only dmms_pool_create nests), or is too small, and
 * DMMS_E_NO_MEMORY when the pool's region table is full (16 regions).
 * Time O(size / 64). Threads: safe. */
dmms_status_t dmms_pool_add_memory(dmms_pool_t *pool, void *memory, size_t size);

/* The default pool: created on first use from DMMS_POOL_SIZE bytes (default
 * 64 MiB) mapped from the OS, growing by mapped regions when a request cannot
 * be met — unless dmms_set_default_pool installed one first. A region is
 * twice the largest so far (at most 1 GiB) or the block a request needs if
 * larger; when the OS refuses a size (a limit on address space), half of it
 * is asked for, and so on down to the block needed (for the first region:
 * down to 1 MiB). Returns NULL only when the OS refuses even that first
 * mapping. Time O(1) after the first call.
 * The built-in pool (and each arena of the preload) has a reuse cache: under
 * lazy coalescing, the blocks of 4 KiB or less that the slack rule would join
 * at a free (the freed one, and at D = 0 one lazy block) stay lazily free
 * instead, up to 8 per block size, and are reused first — so a size whose
 * last buffer is freed and allocated again in a loop costs no split and no
 * join, where the rule alone splits and joins O(orders) blocks each time.
 * The rule holds exactly for the other lazy blocks; the cache's blocks count
 * in lazy_free and show as "cached" in the reports, and a request that needs
 * them joins them on demand. Pools made with dmms_pool_create have none. */
dmms_pool_t *dmms_default_pool(void);

/* Makes `pool` the default (the RTOS way: a pool over a static array). NULL
 * restores the built-in pool. Returns DMMS_E_NOT_OWNED for a handle that is
 * not a live pool. Threads: call before other threads allocate. */
dmms_status_t dmms_set_default_pool(dmms_pool_t *pool);

/* ---- allocation -------------------------------------------------------------
 * Every pointer returned is at least 16-byte aligned. size 0 gives a distinct
 * minimum buffer. A request that cannot be met returns NULL, counts in
 * failed_allocs and its order's failures, and is reported as DMMS_E_NO_MEMORY.
 * Sizes never overflow: SIZE_MAX or sizes past the largest block fail.
 * Time: bounded, except that under lazy and on-demand coalescing a request
 * that finds no free block first joins lazily freed blocks, smallest first,
 * until a block of its size appears: each join frees one lazy block and joins
 * it as far as it goes (O(block sizes)); there are at most as many as lazily
 * freed blocks below its size. With config.max_joins = n > 0 (DMMS_MAX_JOINS
 * for the default pool) a call does at most n joins: a request that needs
 * more fails (DMMS_E_NO_MEMORY; its report says the budget was reached and how
 * many lazily freed blocks remain below its size), and the joins done are
 * kept for later calls. With 0 (the default) no request fails where eager
 * coalescing would have met it. Counted in dmms_show and the JSON report:
 * "demand_joins" (requests that joined), "most_joins_in_a_call",
 * "join_budget_failures".
 * Threads: safe (with DMMS_F_THREAD_SAFE).
 */
void *dmms_pool_alloc(dmms_pool_t *pool, size_t size);
/* As dmms_pool_alloc, recording `file` (kept as a pointer: pass a string
 * literal) and `line` as the buffer's call site. */
void *dmms_pool_alloc_at(dmms_pool_t *pool, size_t size, const char *file, int32_t line);
/* count * size bytes, zeroed; NULL when the product overflows. */
void *dmms_pool_calloc(dmms_pool_t *pool, size_t count, size_t size);
/* Resizes a live buffer: in place when it shrinks or when the buddies above it
 * are free, else by moving (contents kept up to the smaller size). ptr NULL
 * acts as alloc; size 0 keeps a minimum buffer. The caller becomes the owner.
 * Counts as one free and one allocation. Fails (NULL, old buffer untouched)
 * when the request cannot be met or ptr is not a live buffer (reported with
 * the status dmms_pool_free would give, DMMS_E_BUSY for a buffer that holds
 * a live pool).
 * A damaged buffer is reported once, by the call that ends it: a realloc that
 * succeeds reports its damage as dmms_pool_free would (DMMS_E_OVERRUN, the
 * old buffer freed; DMMS_E_CORRUPT, the old buffer quarantined — so a buffer
 * whose owner record is damaged always moves) and returns the new buffer; a
 * realloc that fails reports only DMMS_E_NO_MEMORY and leaves the old buffer
 * exactly as it was, live and usable, its damage still there for dmms_check,
 * a later realloc or dmms_pool_free to report. */
void *dmms_pool_realloc(dmms_pool_t *pool, void *ptr, size_t size);
/* A buffer aligned to `alignment`, a power of two up to the largest block
 * size. Fails (NULL, DMMS_E_INVALID_ARG reported) for 0, a non-power of two,
 * or an alignment larger than any block of the pool. */
void *dmms_pool_aligned_alloc(dmms_pool_t *pool, size_t alignment, size_t size);

/* Returns a buffer to its pool. ptr NULL is DMMS_OK (with a pool that is not
 * a live pool: DMMS_E_NOT_OWNED, reported). Checks, in this order:
 *   DMMS_E_NOT_OWNED     pool is not a live pool, or ptr is outside the pool
 *                        (nothing touched)
 *   DMMS_E_BUSY          the buffer holds a live pool (dmms_pool_create in it):
 *                        destroy that pool first (nothing touched)
 *   DMMS_E_DOUBLE_FREE   ptr lies in free memory
 *   DMMS_E_NOT_BLOCK     ptr is inside a live buffer or the pool's metadata
 *   DMMS_E_CORRUPT       ptr lies in memory quarantined earlier (it is neither
 *                        live nor free: nothing touched, counted in bad_frees,
 *                        not in double_frees); or the buffer's owner record
 *                        fails its checksum: the buffer is quarantined (never
 *                        reused), no longer counts as live, and counts in
 *                        corruptions
 *   DMMS_E_OVERRUN       a guard byte, or a byte of the block's tail, was
 *                        written: reported with the offset of the first
 *                        damaged byte; the buffer IS freed
 * Every other status leaves the buffer and all figures as they were (except
 * the error counters). Time: bounded.
 * What is checked: the guard_bytes after the requested end, the 8-byte owner
 * record after them and, with DMMS_F_GUARD, up to 16 more bytes of the slack
 * after the record (the far guard) and the block's last 8 bytes (its tail),
 * as far as the block leaves room for them: with the defaults, every byte up
 * to 32 past the end when the block has 40 bytes beyond the requested ones
 * (the far guard costs about 8 instructions per alloc+free pair). Guard and tail hold a pattern of odd
 * bytes chosen per buffer from its address and a per-pool secret. So, with
 * guard_bytes >= 1, a write of one byte past the end is always caught when
 * the byte is even (a string's NUL among them); an odd byte is missed with
 * probability 1/128, when it equals the pattern's byte there — which value
 * that is differs from buffer to buffer, so no value is missed more often
 * than another. A write over n guard bytes goes unseen in the guard only if
 * every byte it wrote equals the pattern's: never when one of them is even,
 * else with probability 128^-n; if it goes on into the owner record, the
 * record's check still reports it (DMMS_E_CORRUPT) except with probability
 * 2^-16. A write *before* a buffer's start lands at the end of the block
 * below it: when that block is live, in its tail, reported as that buffer's
 * DMMS_E_OVERRUN when it is freed or checked (the same odds, an underflow's
 * first byte meeting the tail's last); when it is free, in its free tail —
 * a free block of 32 bytes or more keeps the same kind of pattern in its last
 * 8 bytes, with DMMS_F_GUARD — or its fill (DMMS_F_FILL_FREE): reported as
 * DMMS_E_WRITE_AFTER_FREE of that block when it is handed out, joined or
 * checked (dmms_check). Below a region's first block is the region's sentinel, 8
 * bytes of the same kind of pattern: an underflow of the buffer there is
 * reported as its own DMMS_E_OVERRUN with a negative offset (err->offset as
 * int64_t: -1 is the byte just before the buffer), once (the sentinel is
 * written anew). Memory DMMS maps has a page below its blocks for it; memory
 * from the program has a sentinel when its alignment leaves 8 bytes below the
 * first min-block boundary (pass memory + 16 of a min_block-aligned array:
 * the blocks then start at memory + min_block), else the bytes below are the
 * program's and an underflow there is not seen. */
dmms_status_t dmms_pool_free(dmms_pool_t *pool, void *ptr);

/* Bytes usable in a live DMMS buffer (its requested size); 0 for anything
 * else, including NULL. Time O(pools * regions). Never reports. */
size_t dmms_usable_size(const void *ptr);

/* ---- the simple interface (default pool) --------------------------------- */
void *dmms_alloc(size_t size);
/* Frees a buffer of any pool, found from its address (DMMS_E_NOT_OWNED when
 * no pool holds it): the innermost pool holding it, when pools were made
 * inside buffers of others; the start of a buffer holding a pool names that
 * buffer unless the pool inside has a live buffer there. Time O(pools *
 * regions) to find the pool. */
dmms_status_t dmms_free(void *ptr);
#define DMMS_ALLOC(size) dmms_pool_alloc_at(NULL, (size), __FILE__, __LINE__)

/* ---- statistics -------------------------------------------------------------
 * Order k is the block size min_block << k. A block "exists at order k" while
 * it is allocated or free at that size; splitting it removes it from k.
 */
#define DMMS_MAX_ORDERS 48
typedef struct dmms_order_stats_s {
    uint64_t block_size;   /* min_block << index                                   */
    uint64_t in_use;       /* buffers of this size allocated now                   */
    uint64_t high_water;   /* most ever in use at once; never decreases until reset */
    uint64_t free_blocks;  /* free blocks of this size, joined or not              */
    uint64_t lazy_free;    /* of those, freed but not yet eligible for joining     */
                           /* (the built-in pool's reuse cache: dmms_default_pool) */
    uint64_t allocs;       /* cumulative buffers handed out at this size           */
    uint64_t failures;     /* requests of this size that could not be met          */
} dmms_order_stats_t;

typedef struct dmms_stats_s {
    uint64_t pool_bytes;       /* bytes in blocks, all regions                      */
    uint64_t overhead_bytes;   /* of the pool's memory, kept for metadata           */
    uint64_t bytes_free, blocks_free, max_block_free;        /* memPartInfoGet names */
    uint64_t bytes_alloc, blocks_alloc, max_bytes_alloc;     /* block bytes          */
    uint64_t bytes_requested;  /* sum of requested sizes of live buffers            */
    uint64_t total_allocs, total_frees, failed_allocs;
    uint64_t splits, merges;
    uint64_t overruns, bad_frees, double_frees, corruptions;
    uint64_t min_block;
    uint32_t order_count;      /* valid entries in orders[]                         */
    uint32_t coalesce;
    dmms_order_stats_t orders[DMMS_MAX_ORDERS];
} dmms_stats_t;

/* A consistent snapshot (taken under the pool lock). Quarantined buffers are
 * in neither bytes_free nor bytes_alloc. Returns DMMS_E_NOT_OWNED for a bad
 * handle (checked first), DMMS_E_INVALID_ARG for out NULL; both reported.
 * Time O(block sizes). */
dmms_status_t dmms_stats(dmms_pool_t *pool, dmms_stats_t *out);
/* How many requests found no free block and first joined lazily freed blocks
 * (the one step whose work only config.max_joins bounds; see allocation).
 * 0 for a bad handle (reported). Time O(1). */
uint64_t dmms_demand_joins(dmms_pool_t *pool);
/* Sets every high-water mark (and max_bytes_alloc) to the current value.
 * A bad handle is reported. Time O(block sizes). */
void     dmms_stats_reset_peaks(dmms_pool_t *pool);
/* The smallest pool size (a power of two plus dmms_pool_overhead) that holds
 * every block size at its high-water mark at once. 0 for a bad handle
 * (reported). Time O(block sizes). */
uint64_t dmms_suggest_pool_size(dmms_pool_t *pool);

/* ---- visibility -------------------------------------------------------------
 * Output goes to `out` one line at a time (each ends in '\n', NUL-terminated,
 * valid until the call returns); out NULL writes to stderr. `out` is called
 * without the pool lock held, so it may allocate, even from this pool.
 * Names from the program (a pool's name, a call site's file) are shown with
 * their control characters as C escapes (\n, \t, \r, \xHH), so that each
 * record stays on one line; other bytes are shown as they are. The same
 * holds for the message of an error report. dmms_walk, dmms_error_t.file and
 * pool_name, and the JSON report (as JSON strings) give the exact bytes.
 */
typedef void (*dmms_output_fn)(const char *text, void *arg);   /* NULL = stderr */

/* Level 0: memPartShow's table; 1: + one row per block size and the suggested
 * pool size; 2: + every live buffer; 3: + every free block. A bad handle is
 * reported and gets one line, "handle 0x… is not a live pool". Time O(live +
 * free blocks). */
void     dmms_show(dmms_pool_t *pool, int32_t level, dmms_output_fn out, void *arg);
/* One JSON document: config, stats, orders, live buffers, recent errors (the
 * last 16) and the pool map (every block of every region as
 * [offset, order, state, owner-group]). Strings are escaped so that any bytes
 * in a name or file give valid JSON. A bad handle is reported and gets
 * {"error": "handle 0x… is not a live pool"}. Like dmms_report_leaks and the
 * preload's exit report (DMMS_REPORT), it first checks the guards of the live
 * buffers it lists: a buffer written past its end (or below, see
 * dmms_pool_free) is reported as DMMS_E_OVERRUN and counted in `overruns`,
 * once — its guard is written anew, so a later report or its free reports
 * only new damage. Time O(live + free blocks). */
void     dmms_report_json(dmms_pool_t *pool, dmms_output_fn out, void *arg);

typedef struct dmms_block_info_s {
    const void *ptr;
    uint64_t    requested, block_size;
    uint64_t    owner;          /* task id of the allocating task                  */
    const char *file;           /* call site, or NULL                              */
    int32_t     line;
    uint32_t    reserved;
    uint64_t    seq;            /* per-pool allocation sequence number, from 1     */
} dmms_block_info_t;
typedef int32_t (*dmms_walk_fn)(const dmms_block_info_t *info, void *arg); /* !=0 stops */

/* Passes every live buffer, in address order, to fn (called without the pool
 * lock: fn may allocate or free). Returns how many were passed (0 for a bad
 * handle, reported). Owner fields are 0/NULL without DMMS_F_TRACK_OWNER.
 * Time O(live + free blocks). */
uint64_t dmms_walk(dmms_pool_t *pool, dmms_walk_fn fn, void *arg);
/* Sequence number of the latest allocation (0 if none, and for a bad handle,
 * reported). Time O(1).
 * A buffer's sequence number (dmms_walk, dmms_show, the leak report, error
 * reports) is exact at any age, past 2^32 allocations too: the buffer keeps
 * its low 32 bits, its owner-table entry (one per task, call site and run of
 * 2^32 allocations) the high 32. A buffer whose owner could not be recorded
 * (the table was full where it would go: shown as "owner unknown") keeps
 * only the low 32 bits, and its number is taken as the latest one issued
 * with them: exact while it is younger than 2^32 allocations. */
uint64_t dmms_mark(dmms_pool_t *pool);
/* Reports the live buffers allocated after mark `since`, grouped by owner and
 * call site, largest group (by requested bytes) first; returns how many
 * buffers. Needs DMMS_F_TRACK_OWNER (else returns 0). 0 for a bad handle
 * (reported). Reports overruns of live buffers first, as dmms_report_json
 * does. Time O(live + groups^2). */
uint64_t dmms_report_leaks(dmms_pool_t *pool, uint64_t since, dmms_output_fn out, void *arg);
/* Verifies every live buffer's guard and owner record, every free block's
 * links (and fill pattern with DMMS_F_FILL_FREE), the block map, the free lists
 * and the counters. Reports each problem through the error handler (every one:
 * four per pass over the pool, so reporting p problems costs p/4 passes) and
 * returns how many it found (0: consistent). Quarantined buffers are not
 * problems. A bad handle is reported and counts as one problem (returns 1).
 * Time O(live + free blocks) per pass. */
uint64_t dmms_check(dmms_pool_t *pool);

/* ---- timeline ----------------------------------------------------------------
 * A sample of a pool's figures: one line of JSON ending in '\n',
 *   {"t_ns": 1200300, "pid": 4242, "pool": "default", "seq": 5120,
 *    "bytes_requested": 81920, "bytes_in_use": 131072, "bytes_peak": 262144,
 *    "failures": 0, "errors": 0, "sizes": {"32": [12, 40, 3, 900, 0], ...}}
 * t_ns: monotonic nanoseconds since the process's first sample (or since
 * DMMS_TIMELINE was opened); seq: allocations so far (dmms_mark); bytes_*:
 * requested bytes of the live buffers, bytes of their blocks, the peak of
 * those; failures: failed requests; errors: errors recorded. "sizes" has a
 * row for each block size (in bytes) used so far: [in use, high water,
 * lazily free, allocations, failures]. The last sample a pool writes at exit
 * also has "exit": true.
 * With DMMS_TIMELINE=PATH the default pool (and the preload's arenas) append
 * samples to PATH: after an allocation or free, when blocks of 1 MiB have
 * been allocated or freed, or 10 ms have passed, since the pool's last
 * sample; and at exit.
 * Each sample is one write() to PATH opened for appending and closed again
 * (the program's descriptors are never touched), so lines of arenas and of
 * processes sharing the file never interleave (pid tells the processes
 * apart). No allocation; a pool without a timeline pays one branch per call,
 * one with it a read of the coarse clock per call and an open, a write and a
 * close per sample. A path that cannot be written (or is 4 KiB long or more)
 * gets one line on stderr, and the program runs on without a timeline. Bare metal has no timeline (no files),
 * and its samples have t_ns 0. */

/* Writes the sample of `pool` into buffer (NUL-terminated) when it fits,
 * i.e. when size > the value returned, else writes only a NUL (size > 0);
 * returns the sample's length in bytes (at most 6 KiB). buffer NULL, size 0:
 * just the length. A bad handle is reported and gives 0. Time O(orders).
 * Threads: safe (under the pool lock). */
size_t dmms_timeline_sample(dmms_pool_t *pool, char *buffer, size_t size);

/* ---- errors ----------------------------------------------------------------- */
typedef struct dmms_error_s {
    dmms_status_t status;
    uint32_t      reserved;
    const char   *pool_name;
    const void   *ptr;
    uint64_t      requested, block_size;
    uint64_t      offset;       /* OVERRUN/WRITE_AFTER_FREE: first damaged byte, from ptr
                                   (an underflow: negative, read it as int64_t)     */
    uint64_t      owner;        /* who allocated it, with its call site              */
    const char   *file;
    int32_t       line;
    uint32_t      reserved2;
    uint64_t      caller;       /* task that made the call that found the error      */
    const char   *message;      /* one human-readable line                            */
} dmms_error_t;
typedef void (*dmms_error_fn)(const dmms_error_t *err, void *arg);

/* Installs the process-wide error handler and its argument, as one: a report
 * made while another thread changes the handler gets either the old pair or
 * the new, never one's function with the other's argument. NULL restores the
 * default, which writes err->message and a newline to stderr — for
 * DMMS_E_NO_MEMORY only the first failure of each block size in a pool (and
 * the first too large for any block), so that failing requests do not each
 * make a system call; every failure is still counted, kept for the JSON
 * report, and handed to an installed handler. A handler runs on
 * the thread whose call found the error, once per error, after that call has
 * released the pool lock; it may call dmms_stats, dmms_show and dmms_walk.
 * `err` and the strings it points to (message, pool_name) are valid until
 * the handler returns: a handler that keeps them copies them. A
 * call hands at most 4 errors to the handler (only several damaged structures
 * found at once make more; dmms_check reports all of its own): any more are
 * counted as "undelivered_errors" in dmms_show and the JSON report. With
 * DMMS_F_ABORT_ON_ERROR the pool calls abort() after the handler returns, the
 * message written to stderr first (also when a handler is installed);
 * DMMS_E_NO_MEMORY is an answer, not a misuse, and never aborts. */
void dmms_set_error_handler(dmms_error_fn fn, void *arg);

/* ---- porting ---------------------------------------------------------------- */
typedef uint64_t (*dmms_task_id_fn)(void);
/* Installs the function that names the calling task (e.g. taskIdSelf); NULL
 * restores the default, the OS thread id cached per thread. */
void dmms_set_task_id_hook(dmms_task_id_fn fn);

/* Lock hooks for kernels without pthreads (see PORTING.md). `storage` is 64
 * bytes inside the pool, 16-byte aligned, zeroed before init. Install before
 * creating pools; NULL functions restore the built-in lock. */
typedef void (*dmms_lock_fn)(void *storage);
void dmms_set_lock_hooks(dmms_lock_fn init, dmms_lock_fn lock, dmms_lock_fn unlock,
                         dmms_lock_fn destroy);

#ifdef __cplusplus
}
#endif
#endif /* DMMS_H */
