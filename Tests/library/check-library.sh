#!/usr/bin/env bash
# check-library.sh — the shipped library: it needs
# only libc, exports only dmms_*, has SONAME libdmms.so.0, calls nothing of a
# Swift runtime and never malloc; the preload library exports the malloc
# family; platform.h refuses a host it has no layer for; `make install` gives
# a library, header and dmms.pc that a C program builds against with
# pkg-config.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
lib="$root/build/lib/libdmms.so.0"
preload="$root/build/lib/libdmms_preload.so"
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $1"; fi; }

needed=$(readelf -d "$lib" | awk '/NEEDED/ {print $5}' | tr -d '[]' | tr '\n' ' ')
check "libdmms.so needs only libc (got: $needed)" '[ "$needed" = "libc.so.6 " ]'
check "SONAME is libdmms.so.0" 'readelf -d "$lib" | grep -q "SONAME.*\[libdmms.so.0\]"'
exports=$(nm -D --defined-only "$lib" | awk '{print $3}')
check "exports only dmms_*" '[ -z "$(echo "$exports" | grep -v "^dmms_")" ]'
declared=$(grep -oE "\bdmms_[a-z_]+\(" "$root/include/dmms.h" | tr -d '(' | sort -u)
check "exports every function dmms.h declares" '[ "$(echo "$exports" | sort -u)" = "$declared" ]'
undefined=$(nm -D --undefined-only "$lib" | awk '{print $2}')
check "no Swift runtime symbols needed" '! echo "$undefined" | grep -q "swift_"'
check "never calls malloc or free" '! echo "$undefined" | grep -qE "^(malloc|free|calloc|realloc|posix_memalign)(@|$)"'
# The memory tools (platform.h): ASan's poisoning functions referenced only
# weakly, and memcheck's client requests compiled in (valgrind's headers,
# installed by make deps): their marker is four rotations of rdi.
check "refers to ASan's poisoning functions, weakly" \
    '[ "$(nm -D --undefined-only "$lib" | awk "/__asan/ {print \$1 \$2}" | sort | tr "\n" " ")" = "w__asan_poison_memory_region w__asan_unpoison_memory_region " ]'
check "makes memcheck's client requests" \
    'objdump -d --no-show-raw-insn "$lib" | grep -A1 "rol  *\$0x3,%rdi" | grep -q "rol  *\$0xd,%rdi"'
for fn in dmms_pool_alloc dmms_pool_free; do
    body=$(objdump -d --no-show-raw-insn "$lib" | awk -v f="<$fn>:" '$2 == f {p = 1} p && /^$/ {exit} p')
    check "$fn is code" '[ -n "$body" ]'
    check "$fn calls no runtime function" '! echo "$body" | grep -qE "call.*(swift_|malloc|free@)"'
done
pexports=$(nm -D --defined-only "$preload" | awk '{print $3}' | grep -v "^dmms_" | sort | tr '\n' ' ')
check "preload exports the malloc family (got: $pexports)" \
    '[ "$pexports" = "aligned_alloc calloc free free_aligned_sized free_sized malloc malloc_usable_size memalign posix_memalign pvalloc realloc reallocarray valloc " ]'
check "preload needs only libc" '[ "$(readelf -d "$preload" | awk "/NEEDED/ {print \$5}")" = "[libc.so.6]" ]'

for host in x86_64-apple-macos x86_64-unknown-freebsd x86_64-pc-windows-msvc; do
    check "platform.h refuses $host (no platform layer: not Linux, not bare metal)" \
        'clang -target $host -fsyntax-only -x c "$root/Sources/CDMMS/platform.h" 2>&1 | grep -q "no platform layer for this host"'
done

prefix=$(mktemp -d)
make -s -C "$root" install PREFIX="$prefix" >/dev/null
check "install: library, link, preload, header, pkg-config" \
    '[ -f "$prefix/lib/libdmms.so.0" ] && [ -L "$prefix/lib/libdmms.so" ] && [ -f "$prefix/lib/libdmms_preload.so" ] && [ -f "$prefix/include/dmms.h" ] && [ -f "$prefix/lib/pkgconfig/dmms.pc" ]'
printf '#include <dmms.h>\nint main(void) { void *p = dmms_alloc(10); return dmms_free(p) != DMMS_OK; }\n' > "$prefix/use.c"
check "a program builds with pkg-config and runs" \
    'cc "$prefix/use.c" $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs dmms) -Wl,-rpath,"$prefix/lib" -o "$prefix/use" && "$prefix/use"'
rm -rf "$prefix"
echo "check-library: $passed passed, $failed failed"
[ $failed -eq 0 ]
