#!/usr/bin/env bash
# run.sh — pool buffers as Valgrind's memcheck and AddressSanitizer see them:
# each misuse of tools_misuse.c is reported by the tool at the instruction,
# with what it says for malloc'd memory, and a clean run is clean.
#
#   run.sh BUILD_DIR    (BUILD_DIR holds tools_misuse, built plainly for
#                        memcheck, and tools_misuse_asan, with -fsanitize=address)
set -u
bin=$1
passed=0 failed=0
expect() {   # expect NAME OUTPUT PATTERN... : every pattern (extended regex) in OUTPUT
    local name=$1 output=$2 missing=""
    shift 2
    for pattern in "$@"; do
        echo "$output" | grep -qE -- "$pattern" || missing="$missing [$pattern]"
    done
    if [ -z "$missing" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $name: missing$missing"
        echo "$output" | sed 's/^/    /' | head -40
    fi
}

memcheck() { valgrind --leak-check=full "$bin/tools_misuse" "$1" 2>&1; }
expect "memcheck: read past a 100-byte buffer" "$(memcheck overflow_read)" \
    "Invalid read of size 1" "at 0x[0-9A-F]+: main \(tools_misuse.c" \
    "is 0 bytes after a block of size 100 alloc'd" "by 0x[0-9A-F]+: main \(tools_misuse.c" \
    "ERROR SUMMARY: 1 errors from 1 contexts"
expect "memcheck: read after dmms_pool_free" "$(memcheck read_after_free)" \
    "Invalid read of size 1" "is 0 bytes inside a block of size 100 free'd" \
    "ERROR SUMMARY: 1 errors from 1 contexts"
expect "memcheck: a 333-byte buffer leaked" "$(memcheck leak)" \
    "333 bytes in 1 blocks are definitely lost" "by 0x[0-9A-F]+: drop_a_buffer \(tools_misuse.c" \
    "definitely lost: 333 bytes in 1 blocks"
for clean in clean clean_fill; do
    expect "memcheck: $clean" "$(memcheck $clean; echo "exit $?")" \
        "ERROR SUMMARY: 0 errors from 0 contexts" "All heap blocks were freed -- no leaks are possible" "^exit 0$"
done

asan() { ASAN_OPTIONS=detect_leaks=0 "$bin/tools_misuse_asan" "$1" 2>&1; echo "exit $?"; }
expect "ASan: read past a 100-byte buffer" "$(asan overflow_read)" \
    "ERROR: AddressSanitizer: use-after-poison" "READ of size 1" "#0 0x[0-9a-f]+ in main .*tools_misuse.c" "^exit [1-9]"
expect "ASan: read after dmms_pool_free" "$(asan read_after_free)" \
    "ERROR: AddressSanitizer: use-after-poison" "READ of size 1" "#0 0x[0-9a-f]+ in main .*tools_misuse.c" "^exit [1-9]"
for clean in clean clean_fill; do
    output=$(asan $clean)
    expect "ASan: $clean" "$output" "^exit 0$"
    if echo "$output" | grep -q AddressSanitizer; then
        failed=$((failed + 1)); echo "FAILED: ASan: $clean: a report"; echo "$output" | head -20
    fi
done
echo "tools-test: $passed passed, $failed failed (memcheck: 3 misuses and 2 clean runs; ASan: 2 misuses and 2 clean runs)"
[ $failed -eq 0 ]
