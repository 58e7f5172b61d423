#!/usr/bin/env bash
# run.sh — every workload against every contender, each run its own process,
# then RESULTS.md. Called by `make bench` and `make bench-smoke`.
#
#   benchmarks/run.sh [--smoke] [--out FILE]
#
# BENCH names the harness binary (make passes build/bench/bench). Raw results
# (one line per figure, see benchmarks/harness.h), the callgrind profiles and
# the machine facts go to build/bench/<full|smoke>/; write_results.py turns
# them into the report. --smoke: tiny counts, every workload and contender,
# contents verified, no figure judged; the report goes to build/bench/smoke/.
set -euo pipefail
cd "$(dirname "$0")/.."

arguments="$*"
mode=full
out=
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) mode=smoke ;;
        --out) out="$2"; shift ;;
        *) echo "usage: $0 [--smoke] [--out FILE]" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$out" ] || { [ $mode = full ] && out=benchmarks/RESULTS.md || out=build/bench/smoke/RESULTS.md; }

BENCH=${BENCH:-build/bench/bench}
raw=build/bench/$mode
rm -rf "$raw"
mkdir -p "$raw"
results=$raw/results.tsv
log=$raw/stderr.log
: >"$results"
: >"$log"
started=$(date +%s)

# ---- sizes of the run ----------------------------------------------------------
SEED=1
if [ $mode = full ]; then
    LIVE=10000
    W1_STEPS=200000; W1_REPS=9                   # per repetition; 9 identical repetitions
    W2_PAIRS=2000000; W2_WARMUP=200000; W2_REPS=9 # 9 processes per contender, interleaved
    W3_SEEDS=20
    W4_POOL=$((4 << 20)); W4_REPS=9
    W5_PAIRS=1000000; W5_WARMUP=100000; W5_REPS=7
    W6_STEPS=1000000; W7_STEPS=3000000; W8_STEPS=100000; W68_LIVE=1000; W678_REPS=3
    CG_PAIRS=50000; CG_WARMUP=20000
else
    LIVE=500
    W1_STEPS=2000; W1_REPS=2
    W2_PAIRS=2000; W2_WARMUP=200; W2_REPS=1
    W3_SEEDS=2
    W4_POOL=$((256 << 10)); W4_REPS=2
    W5_PAIRS=2000; W5_WARMUP=200; W5_REPS=1
    W6_STEPS=2000; W7_STEPS=2000; W8_STEPS=500; W68_LIVE=100; W678_REPS=1
    CG_PAIRS=200; CG_WARMUP=100
fi

# ---- contenders ----------------------------------------------------------------
dmms=()
for policy in lazy eager on_demand; do
    for diagnostics in on off; do dmms+=("dmms-$policy-$diagnostics"); done
done

# The preloadable mallocs, found where the dynamic linker finds them.
declare -A preload=()
find_library() {
    local path
    path=$( (/sbin/ldconfig -p 2>/dev/null || true) | awk -v n="$1" '$1 == n { print $NF; exit }')
    if [ -z "$path" ]; then
        for dir in /usr/lib/"$(gcc -print-multiarch 2>/dev/null)" /usr/lib /usr/local/lib; do
            [ -e "$dir/$1" ] && { path=$dir/$1; break; }
        done
    fi
    echo "$path"
}
mallocs=(glibc)
# DMMS's malloc replacement: the default pool, with an arena per contending thread.
if [ -e build/lib/libdmms_preload.so ]; then
    preload[dmms-preload]=$PWD/build/lib/libdmms_preload.so
    mallocs+=(dmms-preload)
fi
for entry in jemalloc:libjemalloc.so.2 mimalloc:libmimalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
    name=${entry%%:*}
    path=$(find_library "${entry#*:}")
    if [ -n "$path" ]; then
        preload[$name]=$path
        mallocs+=("$name")
    else
        echo "bench: ${entry#*:} not found: $name is left out (make bench-deps installs it)" | tee -a "$log" >&2
    fi
done
contenders=("${dmms[@]}" "${mallocs[@]}")

# ---- machine facts -------------------------------------------------------------
TSC_HZ=$("$BENCH" tsc)
{
    printf 'mode\t%s\n' "$mode"
    printf 'command\t%s\n' "${BENCH_COMMAND:-benchmarks/run.sh${arguments:+ $arguments}}"
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf 'cpu\t%s\n' "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)"
    printf 'cores\t%s\n' "$(nproc)"
    printf 'kernel\t%s\n' "$(uname -sr)"
    printf 'glibc\t%s\n' "$(ldd --version | head -n 1 | sed 's/^ldd //')"
    printf 'cc\t%s\n' "$(${CC:-cc} --version | head -n 1)"
    printf 'hypervisor\t%s\n' "$(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -n 1)"
    printf 'tsc_hz\t%s\n' "$TSC_HZ"
    printf 'load_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'dmms_commit\t%s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Sources include 2>/dev/null || echo ' + uncommitted changes to Sources/include')"
    printf 'dmms_library\t%s\n' "$(readlink -f build/lib/libdmms.so) ($(date -u -r build/lib/libdmms.so '+%Y-%m-%d %H:%M UTC'))"
    for name in "${mallocs[@]}"; do
        [ "$name" = glibc ] && continue
        package=$( (dpkg -S "$(readlink -f "${preload[$name]}")" 2>/dev/null || true) | head -n 1 | cut -d: -f1)
        version=$([ -n "$package" ] && dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)
        printf 'library_%s\t%s %s\n' "$name" "${preload[$name]}" "${package:+($package $version)}"
    done
    printf 'contenders\t%s\n' "${contenders[*]}"
    printf 'live\t%s\n' "$LIVE"
    printf 'sizes\t%s\n' "W1 $W1_REPS repetitions × $W1_STEPS steps; W2 $W2_REPS processes × $W2_PAIRS pairs after $W2_WARMUP warm-up pairs; W3 $W3_SEEDS seeds; W4 $W4_REPS repetitions, $((W4_POOL >> 10)) KiB pool; W5 $W5_REPS processes × $W5_PAIRS pairs per thread after $W5_WARMUP; W6 4 threads × $W6_STEPS steps, $W68_LIVE slots each; W7 2 threads × $W7_STEPS; W8 8 threads × $W8_STEPS steps, $W68_LIVE objects each; W6–W8 $W678_REPS processes each; callgrind $CG_PAIRS pairs after $CG_WARMUP; $LIVE live buffers; seed $SEED"
} >"$raw/meta.tsv"

# ---- running one measurement ------------------------------------------------------
# run CONTENDER WORKLOAD ARGS...: one process; its result lines go to results.tsv.
run() {
    local contender=$1; shift
    local env=()
    [ -n "${preload[$contender]:-}" ] && env=(LD_PRELOAD="${preload[$contender]}")
    if ! env "${env[@]}" "$BENCH" "$@" --contender "$contender" --tsc-hz "$TSC_HZ" >>"$results" 2>>"$log"; then
        echo "bench: FAILED: $contender $*" >&2
        tail -n 5 "$log" >&2
        exit 1
    fi
}

section() { printf '%-44s' "$1" >&2; section_start=$(date +%s); }
done_section() { echo " $(( $(date +%s) - section_start )) s" >&2; }

# Wall-clock figures (W2, W5) are taken in several processes per contender,
# interleaved (every contender once, then again, in reversed order every
# other round), so slow drift of the machine hits all contenders alike.
rounds() {  # rounds REPS [CONTENDER...]: the contender order of each round, one line each
    local rep reps=$1
    shift
    local of=("$@")
    [ $# -gt 0 ] || of=("${contenders[@]}")
    for ((rep = 0; rep < reps; rep++)); do
        if ((rep % 2 == 0)); then echo "${of[*]}"; else printf '%s\n' "${of[@]}" | tac | tr '\n' ' '; echo; fi
    done
}

echo "bench: $mode run, ${#contenders[@]} contenders, TSC $TSC_HZ Hz" >&2

section "W2 ns per pair (${W2_REPS} rounds)"
while read -r -a order; do
    for range in A B; do
        for c in "${order[@]}"; do
            run "$c" throughput --range $range --seed $SEED --live $LIVE --steps $W2_PAIRS --warmup $W2_WARMUP
        done
    done
done < <(rounds $W2_REPS)
done_section

section "W1 latency (${W1_REPS} repetitions)"
for range in A B; do
    for c in "${contenders[@]}"; do
        run "$c" latency --range $range --seed $SEED --live $LIVE --steps $W1_STEPS --reps $W1_REPS
    done
done
done_section

section "W3 fragmentation (${W3_SEEDS} seeds)"
for range in small large; do
    for c in "${dmms[@]}"; do
        run "$c" fragmentation --range $range --seed $SEED --reps $W3_SEEDS --min-block 32
    done
    for c in dmms-lazy-on dmms-lazy-off; do
        run "$c" fragmentation --range $range --seed $SEED --reps $W3_SEEDS --min-block 16
    done
done
done_section

section "W4 adversarial (${W4_REPS} repetitions)"
# ...and lazy and on-demand coalescing with a join budget (config.max_joins = 64).
for c in "${contenders[@]}" dmms-lazy-on-j64 dmms-on_demand-on-j64; do
    run "$c" adversarial --seed $SEED --pool-bytes $W4_POOL --reps $W4_REPS
done
done_section

section "W5 two threads (${W5_REPS} rounds)"
while read -r -a order; do
    for c in "${order[@]}"; do
        for threads in 1 2; do
            run "$c" threads --range A --seed $SEED --live $LIVE --threads $threads --steps $W5_PAIRS --warmup $W5_WARMUP
        done
    done
done < <(rounds $W5_REPS)
done_section

# W6–W8 are programs on malloc: the malloc contenders only.
section "W6–W8 multi-threaded programs (${W678_REPS} rounds)"
while read -r -a order; do
    for c in "${order[@]}"; do
        run "$c" server --seed $SEED --live $W68_LIVE --threads 4 --steps $W6_STEPS --warmup $((W6_STEPS / 10))
        run "$c" loop --seed $SEED --steps $W7_STEPS --warmup $((W7_STEPS / 10))
        run "$c" stress --seed $SEED --live $W68_LIVE --threads 8 --steps $W8_STEPS --warmup 0
    done
done < <(rounds $W678_REPS "${mallocs[@]}")
done_section

if command -v valgrind >/dev/null; then
    section "instructions (callgrind)"
    if [ $mode = full ]; then
        cg_contenders=("${contenders[@]}"); cg_ranges=(A B); profiled=(dmms-lazy-on dmms-lazy-off)
    else
        cg_contenders=(dmms-lazy-on glibc); cg_ranges=(A); profiled=(dmms-lazy-on)
    fi
    # callgrind CONTENDER RANGE NAME FUNCTION...: collects inside the given
    # functions only, into callgrind.CONTENDER.RANGE.NAME.out.
    callgrind() {
        local c=$1 range=$2 name=$3; shift 3
        local env=() toggles=()
        [ -n "${preload[$c]:-}" ] && env=(LD_PRELOAD="${preload[$c]}")
        for function in "$@"; do toggles+=(--toggle-collect="$function"); done
        if ! env "${env[@]}" valgrind --tool=callgrind --collect-atstart=no "${toggles[@]}" \
                --compress-strings=no --compress-pos=no \
                --callgrind-out-file="$raw/callgrind.$c.$range.$name.out" \
                "$BENCH" instructions --contender "$c" --range $range --seed $SEED --live $LIVE \
                --steps $CG_PAIRS --warmup $CG_WARMUP --tsc-hz "$TSC_HZ" >>"$results" 2>>"$log"; then
            echo "bench: FAILED under callgrind: $c $range $name" >&2
            tail -n 5 "$log" >&2
            exit 1
        fi
    }
    for range in "${cg_ranges[@]}"; do
        for c in "${cg_contenders[@]}"; do callgrind "$c" $range pair bench_alloc bench_free; done
    done
    # The profile of DMMS: alloc and free apart, so each line's cost is known per call.
    for c in "${profiled[@]}"; do
        callgrind "$c" A alloc bench_alloc
        callgrind "$c" A free bench_free
    done
    done_section
else
    echo "bench: valgrind not found: no instruction counts (make bench-deps installs it)" | tee -a "$log" >&2
fi

# The work of calls that must not grow with the pool (Tests/work/run.sh: the
# free fill's cost on pools of 64 KiB and 64 MiB), counted under callgrind.
if command -v valgrind >/dev/null; then
    section "work bounds (callgrind)"
    bash Tests/work/run.sh >"$raw/work.txt" 2>>"$log" || echo "bench: work bounds FAILED (see $raw/work.txt)" >&2
    done_section
fi

{
    printf 'load_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'seconds\t%s\n' "$(( $(date +%s) - started ))"
} >>"$raw/meta.tsv"

mkdir -p "$(dirname "$out")"
python3 benchmarks/write_results.py --raw "$raw" --out "$out"
echo "bench: $mode run done in $(( $(date +%s) - started )) s: $out" >&2
