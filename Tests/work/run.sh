#!/usr/bin/env bash
# run.sh — bounds on the work of a call, counted in instructions under
# callgrind (exact and repeatable, unlike time on a shared machine).
#
# The free fill (DMMS_F_FILL_FREE) fills and checks what a call hands out or
# takes back, never the block it joins into or splits from: free(malloc(8)) on a
# pool of 64 MiB costs what it costs on a pool of 64 KiB, and at most 10x what
# it costs without the fill; and making a pool in memory mapped from the OS
# (zero already) does not fill it, so its pages stay untouched until used.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build/work"
mkdir -p "$build"
${CC:-cc} -O2 -g -I "$root/include" "$here/fill_churn.c" -L "$root/build/lib" -ldmms -Wl,-rpath,"$root/build/lib" \
    -o "$build/fill_churn" || exit 1

pairs=200
# Instructions per pair in `churn`: pool bytes, fill.
per_pair() {
    local out="$build/callgrind.$1.$2"
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=churn --callgrind-out-file="$out" \
        "$build/fill_churn" "$1" "$2" $pairs > /dev/null 2>&1 || { echo "fill_churn $1 $2 failed" >&2; echo 0; return; }
    awk -v n=$pairs '/^summary:/ { printf "%d\n", $2 / n }' "$out"
}

# Instructions of dmms_pool_create: pool bytes, fill.
creation() {
    local out="$build/callgrind.create.$1.$2"
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=dmms_pool_create --callgrind-out-file="$out" \
        "$build/fill_churn" "$1" "$2" 1 > /dev/null 2>&1 || { echo "fill_churn $1 $2 failed" >&2; echo 0; return; }
    awk '/^summary:/ { printf "%d\n", $2 }' "$out"
}

failed=0
create_plain=$(creation $((64 << 20)) 0)
create_fill=$(creation $((64 << 20)) 1)
echo "work: dmms_pool_create(NULL, 64 MiB) in instructions: $create_plain (fill: $create_fill)"
[ "$create_plain" -gt 0 ] && [ "$create_fill" -le $((2 * create_plain)) ] \
    || { echo "work: FAILED: the fill costs a mapped pool's creation more than 2x"; failed=1; }
small_plain=$(per_pair $((64 << 10)) 0)
small_fill=$(per_pair $((64 << 10)) 1)
large_plain=$(per_pair $((64 << 20)) 0)
large_fill=$(per_pair $((64 << 20)) 1)
echo "work: free(malloc(8)) in instructions per pair: 64 KiB pool $small_plain (fill: $small_fill), 64 MiB pool $large_plain (fill: $large_fill)"
for v in "$small_plain" "$small_fill" "$large_plain" "$large_fill"; do
    [ "$v" -gt 0 ] || failed=1
done
if [ $failed = 0 ]; then
    [ "$large_fill" -le $((10 * large_plain)) ] || { echo "work: FAILED: the fill costs more than 10x on a 64 MiB pool"; failed=1; }
    [ "$large_fill" -le $((2 * small_fill)) ] || { echo "work: FAILED: the fill's cost grows with the pool (64 KiB $small_fill, 64 MiB $large_fill)"; failed=1; }
fi
[ $failed = 0 ] && echo "work: the fill's cost is the buffer's, not the pool's" || exit 1
