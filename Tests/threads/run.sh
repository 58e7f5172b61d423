#!/usr/bin/env bash
# run.sh — threads and processes: `run.sh short` (make threads-test) or
# `run.sh long` (make soak-threads). Needs build/threads/{tsan-stress,
# reports_stress,fork_stress,fork_stress_api} and build/lib. Prints one line
# per test; exits 1 when one fails.
#
#   tsan-stress     8 threads, cross-thread frees, under ThreadSanitizer: on
#                   DMMS's own PI-futex lock (annotated for TSan in platform.h),
#                   and on pthread mutexes (dmms_set_lock_hooks); 0 reports
#                   expected past tsan.supp (the registry's lock-free readers).
#   reports_stress  dmms_stats/walk/show/report_json/report_leaks/check while
#                   4 threads allocate: no crash, no deadlock, check clean
#   fork_stress     fork() while 4 threads allocate, a child that has not
#                   exited after 5 s is a hang: under libdmms_preload.so, and
#                   through the DMMS API on libdmms.so (fork_api.c's finding)
set -u
mode=${1:-short}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$root/build/threads"
if [ "$mode" = long ]; then steps=20000 seconds=60 forks=20000; else steps=3000 seconds=5 forks=1000; fi
failed=0
export SWIFT_BACKTRACE=enable=no

tsan() {   # label, steps, extra arguments
    local label=$1 count=$2
    shift 2
    TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0 suppressions=$here/tsan.supp print_suppressions=1" \
        timeout -s KILL 1200 "$bin/tsan-stress" "$count" "$@" > "$bin/tsan.out" 2> "$bin/tsan.err"
    status=$?
    reports=$(grep -c "^WARNING: ThreadSanitizer" "$bin/tsan.err")
    suppressed=$(sed -n 's/^ThreadSanitizer: Matched \([0-9]*\) suppressions.*/\1/p' "$bin/tsan.err")
    echo "tsan-stress ($label): $(grep '^tsan-stress: 8' "$bin/tsan.out" | sed 's/^tsan-stress: //'); $reports TSan reports (${suppressed:-0} suppressed: known)"
}

for locks in "built-in PI-futex lock" "pool locks as pthread mutexes"; do
    if [ "$locks" = "built-in PI-futex lock" ]; then tsan "$locks" "$steps"; else tsan "$locks" "$steps" --pthread-locks; fi
    if [ $status -ne 0 ] || [ "$reports" -ne 0 ]; then
        failed=1
        echo "FAILED: tsan-stress, $locks (exit $status); first report:"
        sed -n '/^WARNING: ThreadSanitizer/,/^SUMMARY/p' "$bin/tsan.err" | head -40
    fi
done

if timeout -s KILL 600 "$bin/reports_stress" "$seconds" > "$bin/reports.out" 2>&1; then
    echo "$(grep -v '^  ' "$bin/reports.out" | tail -1); $(sed -n 1p "$bin/reports.out" | sed 's/^ *//')"
else
    failed=1
    echo "FAILED: reports_stress"; cat "$bin/reports.out"
fi

if LD_PRELOAD="$root/build/lib/libdmms_preload.so" timeout -s KILL 1200 "$bin/fork_stress" "$forks" > "$bin/fork.out" 2>&1; then
    echo "$(grep . "$bin/fork.out" | tail -1) [LD_PRELOAD=libdmms_preload.so]"
else
    failed=1
    echo "FAILED: fork_stress under libdmms_preload.so"; cat "$bin/fork.out"
fi
if timeout -s KILL 1200 "$bin/fork_stress_api" "$forks" > "$bin/fork_api.out" 2>&1; then
    echo "$(grep . "$bin/fork_api.out" | tail -1)"
else
    failed=1
    echo "FAILED: fork_stress through the DMMS API"; cat "$bin/fork_api.out"
fi

[ $failed -eq 0 ] && echo "threads-test ($mode): passed" || echo "threads-test ($mode): FAILED"
exit $failed
