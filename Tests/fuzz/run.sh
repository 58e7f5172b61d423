#!/usr/bin/env bash
# run.sh — runs the libFuzzer harnesses of Tests/fuzz.
#
#   run.sh smoke SECONDS FUZZER...     replays each harness's seed corpus
#                                      (Tests/fuzz/corpus/<name>), then fuzzes SECONDS
#   run.sh campaign SECONDS FUZZER...  fuzzes SECONDS per harness from the seeds and
#                                      build/fuzz/campaign/<name>/corpus (kept between
#                                      campaigns); FUZZ_MERGE=1 then merges the inputs
#                                      that add coverage into the seed corpus
#
# FUZZ_FLAGS adds libFuzzer options (e.g. -len_control=0, -jobs=2).
# One line per harness: executions, exec/s, CPU seconds, coverage, corpus size.
# A crash (an oracle failure or a sanitizer report) leaves its input in
# build/fuzz/<mode>/<name>/artifacts and fails the run; replay it with
#   build/fuzz/<name>-fuzzer build/fuzz/<mode>/<name>/artifacts/crash-...
set -u
mode=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
# Swift's own backtracer would race libFuzzer's; ASan prints the stack of a
# Swift trap (SIGILL) too. Leak checks are off: the harness keeps its arrays.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=handle_sigill=1:detect_leaks=0
status=0
for fuzzer in "$@"; do
    name=$(basename "$fuzzer" -fuzzer)
    seeds="$root/Tests/fuzz/corpus/$name"
    work="$root/build/fuzz/$mode/$name"
    mkdir -p "$work/corpus" "$work/artifacts"
    if [ "$mode" = smoke ]; then
        rm -rf "$work/corpus" && mkdir -p "$work/corpus"
        if ! "$fuzzer" -runs=0 -detect_leaks=0 "$seeds" > "$work/replay.log" 2>&1; then
            echo "fuzz $name: the seed corpus fails:"; grep -E "fuzz oracle|ERROR|#[0-9]+ 0x" "$work/replay.log" | head -20
            status=1
            continue
        fi
        echo "fuzz $name: $(ls "$seeds" | wc -l) seeds replayed"
    fi
    TIMEFORMAT='%U %S'
    { time "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -detect_leaks=0 -max_len=4096 ${FUZZ_FLAGS:-} \
          -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" > "$work/fuzz.log" 2>&1; } 2> "$work/cpu"
    result=$?
    read -r user sys < "$work/cpu"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/fuzz.log")
    last=$(grep -E '^#[0-9]+' "$work/fuzz.log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    cpu=$(echo "$user $sys" | awk '{ printf "%.0f", $1 + $2 }')
    echo "fuzz $name: ${seconds}s, ${execs:-?} executions, ${rate:-?} exec/s, ${cpu} CPU s, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
    if [ $result -ne 0 ]; then
        echo "fuzz $name: FAILED (exit $result):"
        grep -E "fuzz oracle|ERROR|SUMMARY|#[0-9]+ 0x|Test unit written" "$work/fuzz.log" | head -30
        status=1
    elif [ "$mode" = campaign ] && [ "${FUZZ_MERGE:-0}" = 1 ]; then
        "$fuzzer" -merge=1 -detect_leaks=0 "$seeds" "$work/corpus" > "$work/merge.log" 2>&1
        echo "fuzz $name: seed corpus now $(ls "$seeds" | wc -l) inputs"
    fi
done
exit $status
