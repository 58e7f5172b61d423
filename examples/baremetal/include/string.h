/*
 * string.h — the freestanding subset of <string.h> that Sources/CDMMS/platform.h
 * needs, for compiling the Swift core for bare-metal targets (`make embedded`).
 *
 * The Swift compile of `make embedded` sees this directory (-Xcc -I
 * examples/baremetal/include), and so does the RV32 self-test, which has no C
 * library: it declares the C library functions the core may call, with their
 * ISO C prototypes, so the library builds with nothing but the Swift toolchain.
 * The firmware that links libdmms.a supplies them (newlib, picolibc, or its
 * own). <stddef.h> and <stdint.h> come from the compiler (freestanding headers).
 */
#ifndef DMMS_FREESTANDING_STRING_H
#define DMMS_FREESTANDING_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void  *memset(void *s, int c, size_t n);
void  *memcpy(void *restrict dst, const void *restrict src, size_t n);
void  *memmove(void *dst, const void *src, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int    strncmp(const char *a, const char *b, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* DMMS_FREESTANDING_STRING_H */
