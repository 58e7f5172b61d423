#!/usr/bin/env python3
"""instructions.py — instructions per alloc+free pair, the allocator's alone,
for each contender named (`make instructions`): the W2 steady state (10,000
live buffers, random replace) under callgrind, counted as RESULTS.md counts
them (calls from the two harness wrappers, per pair). Counts repeat exactly,
whatever the machine's load: the figure every hot-path change states.

    benchmarks/instructions.py BENCH [--range A|B] [--pairs N] [--profile] CONTENDER...
    benchmarks/instructions.py BENCH --by-feature [--policy lazy|eager|on_demand]
    benchmarks/instructions.py BENCH --timeline

--by-feature: what each feature of the default config costs, from pools with
exactly its flags (contender dmms-POLICY-f<flags>): the core alone (no lock,
no diagnostics), then the lock, the guard, owner tracking, and all three.
"""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from write_results import parse_callgrind  # noqa: E402

PRELOADS = {"jemalloc": "libjemalloc.so.2", "mimalloc": "libmimalloc.so.2", "tcmalloc": "libtcmalloc_minimal.so.4"}


def count(bench, contender, size_range, pairs, warmup, timeline=False):
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "callgrind.out")
        env = dict(os.environ)
        env.pop("DMMS_TIMELINE", None)
        if timeline:
            env["DMMS_TIMELINE"] = os.path.join(work, "timeline.jsonl")
        if contender in PRELOADS:
            env["LD_PRELOAD"] = PRELOADS[contender]
        elif contender == "dmms-preload":
            env["LD_PRELOAD"] = os.path.join(os.path.dirname(os.path.abspath(bench)), "..", "lib", "libdmms_preload.so")
        subprocess.run(["valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=bench_alloc",
                        "--toggle-collect=bench_free", "--compress-strings=no", "--compress-pos=no",
                        f"--callgrind-out-file={out}", bench, "instructions", "--contender", contender,
                        "--range", size_range, "--seed", "1", "--live", "10000", "--steps", str(pairs),
                        "--warmup", str(warmup), "--tsc-hz", "1000000000"],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self_fn, self_line, calls = parse_callgrind(out)
    alloc = sum(v for (_, fn, _), v in calls.items() if fn == "bench_alloc") / pairs
    free = sum(v for (_, fn, _), v in calls.items() if fn == "bench_free") / pairs
    return alloc, free, self_line


# (label, dmms_config_t.flags, the row it adds to): THREAD_SAFE 1, GUARD 2, TRACK_OWNER 4.
FEATURES = [("core (no lock, no diagnostics)", 0, None), ("core + lock", 1, 0), ("core + lock + guard", 3, 1),
            ("core + lock + owners", 5, 1), ("core + lock + guard + owners", 7, 1)]


def by_feature(bench, policy, size_range, pairs, warmup):
    totals = {}
    for label, flags, base in FEATURES:
        alloc, free, _ = count(bench, f"dmms-{policy}-f{flags:x}", size_range, pairs, warmup)
        totals[flags] = alloc + free
        added = "" if base is None else f"   {totals[flags] - totals[base]:+6.1f} over flags {base:x}"
        print(f"{policy:9} range {size_range}  flags {flags:x}  {label:30} {alloc + free:7.1f} per pair "
              f"({alloc:.1f} alloc + {free:.1f} free){added}")


def timeline_cost(bench, size_range, pairs, warmup):
    """The malloc replacement's pair with DMMS_TIMELINE off and on: what
    looking for a due sample after each call, and writing the samples, cost."""
    totals = []
    for timeline in (False, True):
        alloc, free, _ = count(bench, "dmms-preload", size_range, pairs, warmup, timeline=timeline)
        totals.append(alloc + free)
        print(f"dmms-preload range {size_range}  timeline {'on ' if timeline else 'off'} {alloc + free:7.1f} per pair "
              f"({alloc:.1f} alloc + {free:.1f} free)" + (f"   {totals[1] - totals[0]:+6.1f}" if timeline else ""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bench")
    parser.add_argument("contenders", nargs="*")
    parser.add_argument("--range", default="A")
    parser.add_argument("--pairs", type=int, default=50000)
    parser.add_argument("--warmup", type=int, default=20000)
    parser.add_argument("--profile", action="store_true", help="the 25 costliest source lines of libdmms")
    parser.add_argument("--by-feature", action="store_true", help="the cost of the lock, the guard and owner tracking")
    parser.add_argument("--policy", default="lazy")
    parser.add_argument("--timeline", action="store_true", help="the cost of DMMS_TIMELINE in the malloc replacement")
    args = parser.parse_args()
    if args.by_feature:
        by_feature(args.bench, args.policy, args.range, args.pairs, args.warmup)
        return
    if args.timeline:
        timeline_cost(args.bench, args.range, args.pairs, args.warmup)
        return
    for contender in args.contenders:
        alloc, free, lines = count(args.bench, contender, args.range, args.pairs, args.warmup)
        print(f"{contender:16} range {args.range}: {alloc + free:7.1f} instructions per pair "
              f"({alloc:.1f} alloc + {free:.1f} free)")
        if args.profile:
            ours = sorted(((v, k) for k, v in lines.items() if k[0] and "libdmms" in k[0]), reverse=True)[:25]
            for cost, (_, source, line) in ours:
                print(f"    {cost / args.pairs:6.1f}  {os.path.relpath(source) if source else '?'}:{line}")


if __name__ == "__main__":
    main()
