/*
 * malloc.c — the malloc family of libdmms_preload.so. It only forwards: each
 * entry point passes its arguments, and its caller's return address (the call
 * site shown in reports), to the Swift interposer (Interposer.swift), which
 * has all the logic. C because Swift cannot read its own return address.
 */
#include <stddef.h>
#include <stdint.h>

void *_dmms_interpose_malloc(size_t size, const void *caller);
void *_dmms_interpose_calloc(size_t count, size_t size, const void *caller);
void *_dmms_interpose_realloc(void *ptr, size_t size, const void *caller);
void *_dmms_interpose_reallocarray(void *ptr, size_t count, size_t size, const void *caller);
void *_dmms_interpose_aligned(size_t alignment, size_t size, int32_t kind, const void *caller);
int32_t _dmms_interpose_posix_memalign(void **out, size_t alignment, size_t size, const void *caller);
void _dmms_interpose_free(void *ptr);
size_t _dmms_interpose_usable_size(void *ptr);
void _dmms_interpose_start(void);

#define CALLER __builtin_return_address(0)
#define EXPORT __attribute__((visibility("default")))

EXPORT void *malloc(size_t size) { return _dmms_interpose_malloc(size, CALLER); }
EXPORT void free(void *ptr) { _dmms_interpose_free(ptr); }
EXPORT void *calloc(size_t count, size_t size) { return _dmms_interpose_calloc(count, size, CALLER); }
EXPORT void *realloc(void *ptr, size_t size) { return _dmms_interpose_realloc(ptr, size, CALLER); }
EXPORT void *reallocarray(void *ptr, size_t count, size_t size) { return _dmms_interpose_reallocarray(ptr, count, size, CALLER); }
EXPORT int posix_memalign(void **out, size_t alignment, size_t size) { return _dmms_interpose_posix_memalign(out, alignment, size, CALLER); }
/* The kinds match Interposer.swift's AlignedKind. */
EXPORT void *aligned_alloc(size_t alignment, size_t size) { return _dmms_interpose_aligned(alignment, size, 0, CALLER); }
EXPORT void *memalign(size_t alignment, size_t size) { return _dmms_interpose_aligned(alignment, size, 1, CALLER); }
EXPORT void *valloc(size_t size) { return _dmms_interpose_aligned(0, size, 2, CALLER); }
EXPORT void *pvalloc(size_t size) { return _dmms_interpose_aligned(0, size, 3, CALLER); }
EXPORT size_t malloc_usable_size(void *ptr) { return _dmms_interpose_usable_size(ptr); }
EXPORT void free_sized(void *ptr, size_t size) { (void)size; _dmms_interpose_free(ptr); }
EXPORT void free_aligned_sized(void *ptr, size_t alignment, size_t size) { (void)alignment; (void)size; _dmms_interpose_free(ptr); }

__attribute__((constructor)) static void dmms_preload_start(void) { _dmms_interpose_start(); }
