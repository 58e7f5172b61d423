#!/usr/bin/env bash
# run.sh — the misuse scorecard: each program of cases/ does one misuse, and
# runs five ways:
#   DMMS API      against libdmms.so (dmms_alloc/dmms_free/dmms_pool_realloc),
#                 recording error handler, dmms_check at exit: caught = a report
#   + FILL_FREE   the same with DMMS_F_FILL_FREE on the default pool
#   DMMS preload  the malloc program under LD_PRELOAD=libdmms_preload.so with
#                 DMMS_ABORT=1 and the exit report on (DMMS_REPORT, to /dev/null):
#                 caught = a "dmms: DMMS_E_…" line on stderr
#   + FILL_FREE   the same with DMMS_FILL_FREE=1 (expected: as the API's)
#   glibc         the malloc program on glibc: caught = glibc aborted or printed
#                 a malloc diagnostic ("free(): invalid pointer", …); a SIGSEGV
#                 is a crash, not a catch
# Prints the table (also written to build/misuse/scorecard.md; MISUSE_DOCS=1
# puts it into docs/reliability.md between its scorecard markers) and the
# totals. Exits 1 when DMMS misses a misuse it is documented to catch (the
# "expect" columns below) or crashes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build/misuse"
preload="$root/build/lib/libdmms_preload.so"
mkdir -p "$build"

# id | source | -D flags | label | expected status: API | API+FILL_FREE | preload
# ("-": not documented to be caught; "any": some DMMS_E_ status)
cases='
double_free|double_free.c||double free, at once|DOUBLE_FREE|DOUBLE_FREE|DOUBLE_FREE
double_free_later|double_free_later.c||double free after other frees|DOUBLE_FREE|DOUBLE_FREE|DOUBLE_FREE
double_free_realloc|double_free_realloc.c||double free after realloc|DOUBLE_FREE|DOUBLE_FREE|DOUBLE_FREE
free_interior_16|free_interior.c|-DOFFSET=16|free(p + 16), interior|NOT_BLOCK|NOT_BLOCK|NOT_BLOCK
free_interior_32|free_interior.c|-DOFFSET=32|free(p + 32), interior (one min block in)|NOT_BLOCK|NOT_BLOCK|NOT_BLOCK
free_misaligned|free_misaligned.c||free(p + 1), misaligned|NOT_BLOCK|NOT_BLOCK|NOT_BLOCK
free_stack|free_stack.c||free of a stack address|NOT_OWNED|NOT_OWNED|NOT_OWNED
free_global|free_global.c||free of a global|NOT_OWNED|NOT_OWNED|NOT_OWNED
free_never_allocated|free_never_allocated.c||free of a heap address never allocated|DOUBLE_FREE|DOUBLE_FREE|any
free_mmap|free_mmap.c||free of mmap memory|NOT_OWNED|NOT_OWNED|NOT_OWNED
overflow_1|overflow.c|-DBYTES=1|overflow, 1 byte, then free|OVERRUN|OVERRUN|OVERRUN
overflow_8|overflow.c|-DBYTES=8|overflow, 8 bytes, then free|OVERRUN|OVERRUN|OVERRUN
overflow_32|overflow.c|-DBYTES=32|overflow, 32 bytes, then free|OVERRUN|OVERRUN|OVERRUN
overflow_far|overflow_far.c||one byte 31 past the end of a 4 KiB buffer, then free|OVERRUN|OVERRUN|OVERRUN
underflow_1|underflow.c|-DBYTES=1|underflow, 1 byte (block below free), then free|WRITE_AFTER_FREE|WRITE_AFTER_FREE|WRITE_AFTER_FREE
underflow_8|underflow.c|-DBYTES=8|underflow, 8 bytes (block below free), then free|WRITE_AFTER_FREE|WRITE_AFTER_FREE|WRITE_AFTER_FREE
underflow_32|underflow.c|-DBYTES=32|underflow, 32 bytes (block below free), then free|WRITE_AFTER_FREE|WRITE_AFTER_FREE|WRITE_AFTER_FREE
underflow_live|underflow_live.c||underflow, 8 bytes (block below live), then free|OVERRUN|OVERRUN|OVERRUN
underflow_first|underflow_first.c||underflow, 1 byte, of the first buffer of a fresh process|OVERRUN|OVERRUN|OVERRUN
overflow_never_freed|overflow_never_freed.c||overflow, 1 byte, of a buffer never freed|OVERRUN|OVERRUN|OVERRUN
waf_alloc|write_after_free.c|-DOFFSET=0 -DTHEN=1|write after free (first field), then allocate again|CORRUPT|CORRUPT|-
waf_free_other|write_after_free.c|-DOFFSET=0 -DTHEN=2|write after free (first field), then free another|CORRUPT|CORRUPT|-
waf_body_alloc|write_after_free.c|-DOFFSET=40 -DTHEN=1|write after free (offset 40), then allocate again|-|WRITE_AFTER_FREE|-
realloc_freed|realloc_freed.c||realloc of a freed pointer|DOUBLE_FREE|DOUBLE_FREE|DOUBLE_FREE
realloc_interior|realloc_interior.c||realloc of an interior pointer|NOT_BLOCK|NOT_BLOCK|NOT_BLOCK
'

build_case() {   # id source flags
    local id=$1 source=$2 flags=$3
    ${CC:-cc} -O0 -g -w -I "$root/include" $flags -DMISUSE_DMMS_API "$here/cases/$source" \
        -L "$root/build/lib" -ldmms -Wl,-rpath,"$root/build/lib" -o "$build/$id-api" || return 1
    ${CC:-cc} -O0 -g -w $flags "$here/cases/$source" -o "$build/$id-libc" || return 1
}

# Runs a command with a timeout; sets out, err, signal (name or empty), code.
run() {
    # (in a subshell that outlives it, so bash's "Aborted" notices go to /dev/null)
    ( timeout -s KILL 20 "$@" > "$build/out" 2> "$build/err"; echo $? > "$build/code" ) 2> /dev/null
    code=$(cat "$build/code")
    signal=
    if [ $code -ge 128 ]; then signal=$(kill -l $((code - 128)) 2>/dev/null || echo $((code - 128))); fi
    [ $code -eq 137 ] && signal="KILL (timeout)"
}

# The DMMS statuses a run reported, in order, without repeats.
statuses() { grep -o "DMMS_E_[A-Z_]*" "$@" | grep -v DMMS_E_NO_MEMORY | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//'; }

failed=0
missed_list=
wrong_list=
total=0
caught_api=0 caught_fill=0 caught_preload=0 caught_preload_fill=0 caught_glibc=0
table="| misuse | DMMS API | DMMS API + FILL_FREE | DMMS preload | DMMS preload + FILL_FREE | glibc |
|---|---|---|---|---|---|"

# One DMMS cell, judged against the documented status: sets `cell` and
# `caught` (1 when DMMS reported anything).
dmms_cell() {   # expected reported column
    local expected=$1 reported=$2 column=$3
    local first=${reported%% *}
    caught=0
    if [ -n "$signal" ] && [ "$signal" != ABRT ]; then
        cell="**crash (SIG$signal)**"
        failed=1
        missed_list="$missed_list $id/$column"
    elif [ -n "$reported" ]; then
        caught=1
        cell="${first#DMMS_E_}"
        [ "$reported" != "$first" ] && cell="$cell (then ${reported#* })"
        if [ "$expected" != - ] && [ "$expected" != any ] && [ "$first" != "DMMS_E_$expected" ]; then
            cell="$cell — documented: $expected"
            wrong_list="$wrong_list $id/$column"
        fi
    elif [ "$expected" != - ]; then
        cell="**missed** (documented: $expected)"
        failed=1
        missed_list="$missed_list $id/$column"
    else
        cell="missed"
    fi
}

while IFS='|' read -r id source flags label expect_api expect_fill expect_preload; do
    [ -z "$id" ] && continue
    total=$((total + 1))
    if ! build_case "$id" "$source" "$flags"; then
        echo "misuse: $id does not build"
        failed=1
        continue
    fi
    row="| $label"

    run "$build/$id-api"
    reported=$(statuses "$build/out")
    dmms_cell "$expect_api" "$reported" api
    caught_api=$((caught_api + caught)); row="$row | $cell"

    MISUSE_FILL_FREE=1 run "$build/$id-api"
    reported=$(statuses "$build/out")
    dmms_cell "$expect_fill" "$reported" fill
    caught_fill=$((caught_fill + caught)); row="$row | $cell"

    DMMS_ABORT=1 DMMS_REPORT=/dev/null LD_PRELOAD="$preload" run "$build/$id-libc"
    reported=$(grep "^dmms: DMMS_E_" "$build/err" | statuses)
    dmms_cell "$expect_preload" "$reported" preload
    caught_preload=$((caught_preload + caught)); row="$row | $cell"

    DMMS_FILL_FREE=1 DMMS_ABORT=1 DMMS_REPORT=/dev/null LD_PRELOAD="$preload" run "$build/$id-libc"
    reported=$(grep "^dmms: DMMS_E_" "$build/err" | statuses)
    dmms_cell "$expect_fill" "$reported" preload+fill
    caught_preload_fill=$((caught_preload_fill + caught)); row="$row | $cell"

    run "$build/$id-libc"
    message=$(grep -m1 -E "free\(\)|malloc\(\)|realloc\(\)|double free|corrupted|invalid pointer|munmap_chunk|malloc_consolidate" "$build/err" | sed 's/^\*\*\* //; s/ \*\*\*$//; s/: terminated$//')
    if [ -n "$message" ] || [ "$signal" = ABRT ]; then
        caught_glibc=$((caught_glibc + 1))
        row="$row | ${message:-abort}"
    elif [ -n "$signal" ]; then
        row="$row | crash (SIG$signal)"
    else
        row="$row | missed"
    fi
    table="$table
$row |"
done <<< "$cases"

totals="| **caught** | **$caught_api / $total** | **$caught_fill / $total** | **$caught_preload / $total** | **$caught_preload_fill / $total** | **$caught_glibc / $total** |"
table="$table
$totals"
printf '%s\n' "$table" > "$build/scorecard.md"
printf '%s\n\n' "$table"
echo "misuse-scorecard: caught of $total: DMMS API $caught_api, DMMS API + FILL_FREE $caught_fill, DMMS preload $caught_preload, DMMS preload + FILL_FREE $caught_preload_fill, glibc $caught_glibc"
[ -n "$wrong_list" ] && echo "misuse-scorecard: caught with another status than documented:$wrong_list"

if [ "${MISUSE_DOCS:-0}" = 1 ]; then
    python3 - "$root/docs/reliability.md" "$build/scorecard.md" <<'PY'
import re, sys
doc, table = sys.argv[1], open(sys.argv[2]).read().strip()
text = open(doc).read()
text = re.sub(r"(<!-- scorecard -->\n).*?(<!-- /scorecard -->)", lambda m: m.group(1) + table + "\n" + m.group(2), text, flags=re.S)
open(doc, "w").write(text)
PY
    echo "misuse-scorecard: table written to docs/reliability.md"
fi

if [ $failed -ne 0 ]; then
    echo "misuse-scorecard: FAILED: documented catches missed or crashes:$missed_list"
    exit 1
fi
echo "misuse-scorecard: every documented catch caught"
