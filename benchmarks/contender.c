/* contender.c — which allocator this process measures, and its pool. */
#define _GNU_SOURCE
#include "harness.h"
#include <dlfcn.h>
#include <stdio.h>
#include <sys/mman.h>

contender_t contender;

static const struct { const char *name; uint32_t coalesce; } policies[] = {
    { "lazy", DMMS_COALESCE_LAZY }, { "eager", DMMS_COALESCE_EAGER }, { "on_demand", DMMS_COALESCE_ON_DEMAND },
};

/* The object that defines the malloc this process calls. */
static const char *malloc_library(void) {
    Dl_info info;
    void *symbol = dlsym(RTLD_DEFAULT, "malloc");
    if (symbol == NULL || dladdr(symbol, &info) == 0 || info.dli_fname == NULL) return "?";
    return info.dli_fname;
}

void contender_select(const char *name) {
    memset(&contender, 0, sizeof contender);
    if (strlen(name) >= sizeof contender.name) die("contender name too long: %s", name);
    strcpy(contender.name, name);

    /* A malloc contender (DMMS's own malloc replacement among them): make sure
     * the dynamic linker gave us that one. */
    static const struct { const char *name, *library; } mallocs[] = {
        { "glibc", "libc.so" }, { "dmms-preload", "libdmms_preload" }, { "jemalloc", "jemalloc" }, { "mimalloc", "mimalloc" }, { "tcmalloc", "tcmalloc" },
    };
    for (size_t i = 0; i < sizeof mallocs / sizeof mallocs[0]; i++) {
        if (strcmp(name, mallocs[i].name) != 0) continue;
        contender.kind = CONTENDER_MALLOC;
        const char *library = malloc_library();
        if (strstr(library, mallocs[i].library) == NULL)
            die("contender %s, but malloc comes from %s (run it with LD_PRELOAD)", name, library);
        return;
    }

    if (strncmp(name, "dmms-", 5) == 0) {
        contender.kind = CONTENDER_DMMS;
        const char *rest = name + 5;
        for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
            size_t n = strlen(policies[i].name);
            if (strncmp(rest, policies[i].name, n) == 0 && rest[n] == '-') {
                contender.coalesce = policies[i].coalesce;
                const char *diagnostics = rest + n + 1, *budget = strstr(diagnostics, "-j");
                size_t length = budget ? (size_t)(budget - diagnostics) : strlen(diagnostics);
                if (budget) contender.max_joins = (uint32_t)strtoul(budget + 2, NULL, 10);
                if (length == 2 && strncmp(diagnostics, "on", 2) == 0) { contender.diagnostics = 1; return; }
                if (length == 3 && strncmp(diagnostics, "off", 3) == 0) { contender.diagnostics = 0; return; }
                char *end;
                if (length > 1 && diagnostics[0] == 'f') {
                    contender.flags = (uint32_t)strtoul(diagnostics + 1, &end, 16);
                    if (end == diagnostics + length) { contender.diagnostics = -1; return; }
                }
            }
        }
        die("unknown DMMS contender '%s' (dmms-<lazy|eager|on_demand>-<on|off|f<hex flags>>[-j<max_joins>])", name);
    }

    die("unknown contender '%s'", name);
}

dmms_config_t contender_config(uint32_t min_block) {
    dmms_config_t config;
    dmms_config_init(&config);
    config.coalesce = contender.coalesce;
    config.max_joins = contender.max_joins;
    config.min_block = min_block;
    config.name = contender.name;
    if (contender.diagnostics == 0) {
        config.flags = DMMS_F_THREAD_SAFE;
        config.guard_bytes = 0;
    } else if (contender.diagnostics < 0) {
        config.flags = contender.flags;
        if (!(config.flags & DMMS_F_GUARD)) config.guard_bytes = 0;
    }
    return config;
}

void *pool_memory(size_t block_bytes, uint32_t min_block) {
    dmms_config_t config = contender_config(min_block);
    size_t total = block_bytes + dmms_pool_overhead(block_bytes, &config);
    size_t mapped = total + block_bytes;
    unsigned char *p = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("mmap of %zu bytes failed", mapped);
    unsigned char *aligned = (unsigned char *)(((uintptr_t)p + block_bytes - 1) & ~(uintptr_t)(block_bytes - 1));
    memset(aligned, 0, total);   /* faults every page in, before anything is timed */
    return aligned;
}

void contender_open(size_t block_bytes, uint32_t min_block, void *memory) {
    if (contender.kind != CONTENDER_DMMS) return;
    dmms_config_t config = contender_config(min_block);
    size_t size = memory ? block_bytes + dmms_pool_overhead(block_bytes, &config) : block_bytes;
    contender.pool = dmms_pool_create(memory, size, &config);
    if (contender.pool == NULL) die("%s: dmms_pool_create(%zu bytes) failed", contender.name, size);
    dmms_stats_t stats;
    if (dmms_stats(contender.pool, &stats) != DMMS_OK || stats.pool_bytes != block_bytes)
        die("%s: the pool holds %llu bytes of blocks, not %zu", contender.name,
            (unsigned long long)stats.pool_bytes, block_bytes);
}

void contender_close(void) {
    if (contender.kind != CONTENDER_DMMS || contender.pool == NULL) return;
    dmms_status_t status = dmms_pool_destroy(contender.pool);
    if (status != DMMS_OK) die("%s: dmms_pool_destroy: %s", contender.name, dmms_strerror(status));
    contender.pool = NULL;
}
