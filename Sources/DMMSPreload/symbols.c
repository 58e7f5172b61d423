/* symbols.c — dladdr for the call sites in reports (see CPreload/preload.h). */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "CPreload/preload.h"

int dmms_preload_describe_code(const void *address, const char **symbol, const void **symbol_address,
                                const char **object, const void **object_base) {
    Dl_info info;
    if (dladdr(address, &info) == 0) return 0;
    *symbol = info.dli_sname;
    *symbol_address = info.dli_saddr;
    *object = info.dli_fname;
    *object_base = info.dli_fbase;
    return 1;
}
