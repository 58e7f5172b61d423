#!/usr/bin/env python3
"""write_results.py — turns one run of benchmarks/run.sh into RESULTS.md.

Reads RAW/results.tsv (lines "R workload contender range metric value" from
the harness), RAW/meta.tsv (the machine and the command) and
RAW/callgrind.<contender>.<range>.out, and writes the report: the machine,
the command, the targets judged from this run's
figures, one table per workload with absolute figures and ratios DMMS ÷ each
contender, the instruction counts and where DMMS spends its instructions.

    python3 benchmarks/write_results.py --raw build/bench/full --out benchmarks/RESULTS.md
"""
import argparse
import collections
import os
import re
import shutil
import statistics
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DMMS = [f"dmms-{p}-{d}" for p in ("lazy", "eager", "on_demand") for d in ("on", "off")] + ["dmms-preload"]
# W4 only: lazy and on-demand coalescing with config.max_joins = 64.
BUDGETED = ["dmms-lazy-on-j64", "dmms-on_demand-on-j64"]
MALLOCS = ["glibc", "jemalloc", "mimalloc", "tcmalloc"]
FAST_MALLOCS = ["jemalloc", "mimalloc", "tcmalloc"]

# Figures measured for other allocators elsewhere, quoted for context (W3 has no malloc contender): not measured here.
ANCHOR_UTILIZATION = [
    ("o1heap (O(1) RT pool, 32-B header)", 0.631, 0.714),
    ("TLSF (O(1), 8-B aligned)", 0.943, 0.969),
    ("buddy_alloc (C buddy, bitset tree, metadata outside)", 0.705, 0.707),
]


# ---- reading -----------------------------------------------------------------
class Results:
    def __init__(self, raw):
        self.values = collections.defaultdict(list)
        with open(os.path.join(raw, "results.tsv")) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) != 6 or fields[0] != "R":
                    continue
                _, workload, contender, size_range, metric, value = fields
                try:
                    value = float(value)
                except ValueError:
                    pass
                self.values[(workload, contender, size_range, metric)].append(value)
        self.meta = {}
        with open(os.path.join(raw, "meta.tsv")) as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                self.meta[key] = value
        self.contenders = self.meta.get("contenders", "").split()

    def all(self, workload, contender, size_range, metric):
        return self.values.get((workload, contender, size_range, metric), [])

    def best(self, workload, contender, size_range, metric, higher_is_better=False):
        """The best of the figure's values (one per process), or None."""
        values = self.all(workload, contender, size_range, metric)
        if not values:
            return None
        return max(values) if higher_is_better else min(values)

    def get(self, workload, contender, size_range, metric):
        """The median of the figure's values, or None when it was not measured."""
        values = self.all(workload, contender, size_range, metric)
        if not values:
            return None
        if isinstance(values[0], str):
            return values[0]
        return statistics.median(values)


def parse_callgrind(path):
    """Self cost per function and per source line, and call costs, from a
    callgrind file written with --compress-strings=no --compress-pos=no."""
    self_fn = collections.Counter()
    self_line = collections.Counter()
    calls = collections.Counter()
    ob = fl = fi = fn = cfn = None
    after_calls = False
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            if line[0].isdigit() or line[0] in "+-*":
                parts = line.split()
                position = int(parts[0]) if parts[0].isdigit() else 0
                cost = int(parts[1]) if len(parts) > 1 else 0
                if after_calls:
                    calls[(ob, fn, cfn)] += cost
                    after_calls = False
                else:
                    self_fn[(ob, fn)] += cost
                    self_line[(ob, fi, position)] += cost
                continue
            key, _, value = line.rstrip("\n").partition("=")
            if key == "ob":
                ob = value
            elif key == "fl":
                fl = fi = value
            elif key in ("fi", "fe"):
                fi = value
            elif key == "fn":
                fn = value
                fi = fl
            elif key == "cfn":
                cfn = value
            elif key == "calls":
                after_calls = True
    return self_fn, self_line, calls


def demangle(names):
    tool = shutil.which("swift-demangle")
    names = list(names)
    if not tool or not names:
        return {n: n for n in names}
    try:
        out = subprocess.run([tool, "--simplified"], input="\n".join(names) + "\n", capture_output=True,
                             text=True, timeout=30).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return {n: n for n in names}
    return {n: (out[i] if i < len(out) and out[i] else n) for i, n in enumerate(names)}


# ---- formatting ----------------------------------------------------------------
def ns(value):
    if value is None:
        return "–"
    if value >= 1e6:
        return f"{value / 1e6:.2f} ms"
    if value >= 1e4:
        return f"{value / 1e3:.0f} µs"
    if value >= 1e3:
        return f"{value / 1e3:.2f} µs"
    if value >= 100:
        return f"{value:.0f} ns"
    return f"{value:.1f} ns"


def num(value, digits=1):
    if value is None:
        return "–"
    return f"{value:,.0f}" if digits == 0 else f"{value:.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rx(value):
    if value is None:
        return "–"
    return f"{value:.2f}×" if value >= 0.1 else f"{value:.2g}×"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def rel(path):
    path = path or "?"
    return path[len(REPO) + 1:] if path.startswith(REPO + "/") else path


def source_line(path, line):
    try:
        with open(path, errors="replace") as f:
            for i, text in enumerate(f, 1):
                if i == line:
                    text = " ".join(text.strip().split())
                    text = text if len(text) <= 90 else text[:87] + "..."
                    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"
    except OSError:
        pass
    return ""


DECLARATION = re.compile(r"\b(?:func\s+([A-Za-z_]\w*)|(init)\s*[(<?]|(?:var|subscript)\s+([A-Za-z_]\w*)[^=]*\{)")
_declarations = {}


def enclosing(path, line):
    """The Swift (or C) declaration a source line belongs to: the nearest one
    at or above it. A heuristic, good enough to name inlined helpers."""
    if path not in _declarations:
        found = []
        try:
            with open(path, errors="replace") as f:
                for number, text in enumerate(f, 1):
                    stripped = text.strip()
                    if stripped.startswith("//") or stripped.startswith("*"):
                        continue
                    m = DECLARATION.search(text)
                    if m:
                        found.append((number, next(g for g in m.groups() if g)))
                    elif path.endswith(".h"):
                        c = re.match(r"\s*static\s+inline\s+[\w\s\*]+?\b(\w+)\s*\(", text)
                        if c:
                            found.append((number, c.group(1)))
        except OSError:
            pass
        _declarations[path] = found
    name = "?"
    for number, declared in _declarations[path]:
        if number > line:
            break
        name = declared
    return name


# ---- the report ------------------------------------------------------------------
class Report:
    def __init__(self, raw):
        self.raw = raw
        self.r = Results(raw)
        self.smoke = self.r.meta.get("mode") == "smoke"
        present = set(self.r.contenders)
        self.dmms = [c for c in DMMS if c in present]
        self.mallocs = [c for c in MALLOCS if c in present]
        self.all = self.dmms + self.mallocs
        self.out = []
        self.instr = {}
        self.profiles = {}
        self.op_profiles = {}
        for c in self.all:
            for size_range in ("A", "B"):
                path = os.path.join(raw, f"callgrind.{c}.{size_range}.pair.out")
                if os.path.exists(path):
                    self.load_callgrind(c, size_range, path)
                for op in ("alloc", "free"):
                    path = os.path.join(raw, f"callgrind.{c}.{size_range}.{op}.out")
                    if os.path.exists(path):
                        self.op_profiles[(c, size_range, op)] = self.load_lines(c, size_range, path)

    def say(self, text=""):
        self.out.append(text)

    def load_lines(self, c, size_range, path):
        _, self_line, _ = parse_callgrind(path)
        pairs = self.r.get("instr", c, size_range, "pairs")
        lines = collections.Counter({k: v for k, v in self_line.items() if k[0] and "libdmms" in k[0] and v})
        return pairs, lines

    def load_callgrind(self, c, size_range, path):
        self_fn, self_line, calls = parse_callgrind(path)
        pairs = self.r.get("instr", c, size_range, "pairs")
        if not pairs:
            raise SystemExit(f"write_results: {path} has no pair count in results.tsv")
        alloc = sum(v for (ob, fn, _), v in calls.items() if fn == "bench_alloc") / pairs
        free = sum(v for (ob, fn, _), v in calls.items() if fn == "bench_free") / pairs
        if alloc <= 0 or free <= 0:
            raise SystemExit(f"write_results: {path}: no cost collected in bench_alloc/bench_free")
        self.instr[(c, size_range)] = (alloc, free)
        harness = {("bench_alloc"), ("bench_free")}
        functions = collections.Counter({k: v for k, v in self_fn.items() if k[1] not in harness and v})
        lines = collections.Counter({k: v for k, v in self_line.items() if k[0] and "libdmms" in k[0] and v})
        self.profiles[(c, size_range)] = (pairs, functions, lines)

    # -- figures the targets and tables share --
    def w2(self, c, size_range):
        return self.r.best("W2", c, size_range, "ns_per_pair")

    def w5(self, c, threads):
        return self.r.best("W5", c, "A", f"pairs_per_s_{threads}t", higher_is_better=True)

    def w5_ratio(self, c):
        return ratio(self.w5(c, 2), self.w5(c, 1))

    def w5_control(self):
        figures = [(self.w5_ratio(c), c) for c in self.mallocs if self.w5_ratio(c) is not None]
        return max(figures) if figures else None

    # W6–W8: (workload, range, metric, label) of each program's throughput.
    PROGRAMS = (("W6", "B", "pairs_per_s_4t", "W6 server, 4 threads"), ("W7", "-", "pairs_per_s_2t", "W7 two-thread loop"),
                ("W8", "large", "pairs_per_s_8t", "W8 stress, 8 threads"))

    def program(self, c, workload, size_range, metric):
        return self.r.best(workload, c, size_range, metric, higher_is_better=True)

    def peak_rss(self, c):
        return self.r.get("W8", c, "large", "peak_rss_kb")

    def fastest_of_three(self, size_range):
        figures = [(self.w2(c, size_range), c) for c in FAST_MALLOCS if self.w2(c, size_range) is not None]
        return min(figures) if figures else (None, None)

    # -- sections --
    def header(self):
        m = self.r.meta
        title = "DMMS benchmark results" + (" (SMOKE RUN: tiny counts, figures meaningless)" if self.smoke else "")
        self.say(f"# {title}")
        self.say()
        self.say("Written by `benchmarks/write_results.py` from one run of `benchmarks/run.sh`; every figure and "
                 "every verdict below comes from that run. Do not edit by hand: run `make bench`.")
        self.say()
        self.say(table(["", ""], [
            ["command", f"`{m.get('command', '?')}`"],
            ["date", m.get("date", "?")],
            ["machine", f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores"
                        + (f" ({m['hypervisor']} guest)" if m.get("hypervisor") else "")],
            ["kernel", m.get("kernel", "?")],
            ["C library", m.get("glibc", "?")],
            ["compiler", f"{m.get('cc', '?')} (harness: -O2 -march=x86-64-v2)"],
            ["TSC", f"{float(m.get('tsc_hz', 0)) / 1e9:.4f} GHz, measured against CLOCK_MONOTONIC_RAW"],
            ["DMMS", f"commit {m.get('dmms_commit', '?')}; {rel(m.get('dmms_library', '?'))}"],
        ] + [[f"{name}", rel(m[f"library_{name}"])] for name in FAST_MALLOCS if f"library_{name}" in m] + [
            ["load average", f"{m.get('load_start', '?')} at start, {m.get('load_end', '?')} at end "
                             "(1, 5, 15 min; the machine has 2 cores)"],
            ["duration", f"{m.get('seconds', '?')} s"],
        ]))
        self.say()
        missing = [c for c in MALLOCS if c not in self.mallocs]
        if missing:
            self.say(f"**Left out (library not installed):** {', '.join(missing)}.")
            self.say()
        self.say("Contenders: `dmms-<policy>-<on|off>` is a DMMS pool with coalescing policy lazy, eager or "
                 "on_demand, diagnostics on (the default config: guard 8 bytes, owner tracking, thread safe) "
                 "or off (flags = `DMMS_F_THREAD_SAFE` only, guard_bytes 0), through `dmms_pool_alloc` / "
                 "`dmms_pool_free`; glibc's malloc; jemalloc, mimalloc and tcmalloc (minimal) through "
                 "`LD_PRELOAD` of the same binary. Each measurement is its own process. "
                 "How each figure is taken: see *Method* at the end.")
        self.say()

    def targets(self):
        rows = []

        def limit_row(name, value, limit, shown):
            if value is None or limit is None:
                rows.append([name, "not measured", "–"])
                return
            met = value <= limit
            verdict = "**met**" if met else f"**missed** ({value / limit:.2f}× the limit)"
            rows.append([name, shown, verdict])

        def floor_row(name, value, floor, shown):
            if value is None:
                rows.append([name, "not measured", "–"])
                return
            met = value >= floor
            verdict = "**met**" if met else f"**missed** (short by {floor - value:.3f})"
            rows.append([name, shown, verdict])

        for size_range, limit in (("A", 0.5), ("B", 1.0)):
            d, g = self.w2("dmms-lazy-on", size_range), self.w2("glibc", size_range)
            r = ratio(d, g)
            limit_row(f"W2 {size_range}: diag on ≤ {limit:.1f} × glibc", r, limit,
                      f"{rx(r)} glibc ({ns(d)} vs {ns(g)} per pair)")
        for size_range in ("A", "B"):
            d = self.w2("dmms-lazy-off", size_range)
            best, who = self.fastest_of_three(size_range)
            r = ratio(d, best)
            limit_row(f"W2 {size_range}: diag off ≤ 1.3 × fastest of jemalloc/mimalloc/tcmalloc", r, 1.3,
                      f"{rx(r)} {who} ({ns(d)} vs {ns(best)})")
        for size_range in ("A", "B"):
            for op in ("alloc", "free"):
                d = self.r.get("W1", "dmms-lazy-on", size_range, f"{op}_p99.99_ns")
                g = self.r.get("W1", "glibc", size_range, f"{op}_p99.99_ns")
                df = self.r.get("W1", "dmms-lazy-on", size_range, f"{op}_p99.99_filt_ns")
                gf = self.r.get("W1", "glibc", size_range, f"{op}_p99.99_filt_ns")
                limit_row(f"W1 {size_range}: p99.99 {op} ≤ glibc's (diag on, filtered)", df, gf,
                          f"{ns(df)} vs {ns(gf)} (raw: {ns(d)} vs {ns(g)})")
        for c, bound in (("dmms-lazy-on", 1000.0), ("dmms-lazy-off", 1000.0), ("dmms-eager-on", 1000.0),
                         ("dmms-lazy-on-j64", 2000.0)):
            v = self.r.get("W4", c, "-", "worst_filt_ns")
            kind = self.r.get("W4", c, "-", "worst_kind")
            limit_row(f"W4: worst single op ≤ {bound / 1000:.0f} µs, filtered ({c})", v, bound, f"{ns(v)} ({kind})")
        for c, floor in (("dmms-lazy-off", 0.70), ("dmms-lazy-on", 0.63)):
            for size_range, label in (("small", "16–1024"), ("large", "16–65536")):
                v = self.r.get("W3-mb32", c, size_range, "util_mean")
                low = self.r.get("W3-mb32", c, size_range, "util_min")
                floor_row(f"W3 {label}: utilization ≥ {floor:.2f} ({c}, mean of seeds)", v, floor,
                          f"{num(v, 3)} (min {num(low, 3)})")
        control = self.w5_control()
        for c in ("dmms-lazy-on", "dmms-lazy-off", "dmms-preload"):
            v = self.w5_ratio(c)
            floor_row(f"W5: 2 threads ÷ 1 thread ≥ 1.0 ({c})", v, 1.0,
                      rx(v) + (f" (control: best malloc {rx(control[0])}, {control[1]})" if control else ""))
        for workload, size_range, metric, label in self.PROGRAMS:
            d, g = self.program("dmms-preload", workload, size_range, metric), self.program("glibc", workload, size_range, metric)
            r = ratio(d, g)
            floor_row(f"{label}: throughput ≥ 1.0 × glibc (dmms-preload)", r, 1.0,
                      f"{rx(r)} glibc ({num(d and d / 1e6, 2)} vs {num(g and g / 1e6, 2)} M pairs/s)")
        d, g = self.peak_rss("dmms-preload"), self.peak_rss("glibc")
        r = ratio(d, g)
        limit_row("W8 stress: peak RSS ≤ 1.5 × glibc (dmms-preload)", r, 1.5,
                  f"{rx(r)} glibc ({num(d and d / 1024, 1)} vs {num(g and g / 1024, 1)} MB)")
        for d in ("on", "off"):
            for size_range in ("A", "B"):
                lazy, eager = self.w2(f"dmms-lazy-{d}", size_range), self.w2(f"dmms-eager-{d}", size_range)
                limit_row(f"lazy not slower than eager: W2 {size_range}, diag {d}", lazy, eager,
                          f"{ns(lazy)} vs {ns(eager)} ({rx(ratio(lazy, eager))})")
            lazy = self.r.get("W4", f"dmms-lazy-{d}", "-", "worst_filt_ns")
            eager = self.r.get("W4", f"dmms-eager-{d}", "-", "worst_filt_ns")
            limit_row(f"lazy not slower than eager: W4 worst op, diag {d}", lazy, eager,
                      f"{ns(lazy)} vs {ns(eager)} ({rx(ratio(lazy, eager))})")

        met = sum(1 for row in rows if row[2] == "**met**")
        self.say("## Targets")
        self.say()
        if self.smoke:
            self.say("*Smoke run: the verdicts below are computed but mean nothing at these counts.*")
            self.say()
        self.say(f"{met} of {len(rows)} met. The figure is DMMS lazy (the default policy) unless the row names "
                 "another contender; \"the limit\" is the target's bound, so \"missed (2.00× the limit)\" means "
                 "the figure must halve. W2 and W5 figures are the best of the interleaved processes (their "
                 "sections give medians and spread too); W1 and W4 are judged on the filtered figures (each "
                 "call's minimum over identical repetitions), which repeat from run to run where the raw tails "
                 "on this shared VM do not.")
        self.say()
        self.say(table(["target", "this run", "verdict"], rows))
        self.say()

    def section_w2(self):
        self.say("## W2 — ns per free+alloc pair (steady state, untimed loop)")
        self.say()
        rounds = len(self.r.all("W2", "glibc", "A", "ns_per_pair")) or len(self.r.all("W2", self.all[0], "A", "ns_per_pair"))
        pairs = self.r.get("W2", self.all[0], "A", "pairs")
        self.say(f"{rounds} processes per contender (interleaved), {num(pairs, 0)} timed pairs each after the "
                 "warm-up. *best* = the fastest process (the figure the targets and ratios use: on a shared VM, "
                 "noise only ever adds time), *median* and *spread* show how noisy the machine was. The pair "
                 "includes the harness's verify of the victim and touch of the new buffer (the same for "
                 "everyone); *alone* is W1's filtered mean alloc + filtered mean free (each call timed alone, "
                 "fenced, timer cost subtracted, minimum over repetitions) — the allocator without the loop "
                 "around it.")
        self.say()
        rows = []
        for c in self.all:
            row = [c]
            for size_range in ("A", "B"):
                values = self.r.all("W2", c, size_range, "ns_per_pair")
                v = self.w2(c, size_range)
                spread = f"{min(values):.0f}–{max(values):.0f}" if values else "–"
                alone = self._alone(c, size_range)
                row += [ns(v), ns(self.r.get("W2", c, size_range, "ns_per_pair")), spread,
                        rx(ratio(v, self.w2("glibc", size_range))), ns(alone),
                        rx(ratio(alone, self._alone("glibc", size_range)))]
            rows.append(row)
        self.say(table(["contender"] + [f"{r} {h}" for r in ("A", "B") for h in
                                        ("best", "median", "spread", "best ×glibc", "alone", "alone ×glibc")], rows))
        self.say()
        self.ratio_matrix("DMMS ÷ each contender, W2 ns per pair (best)", lambda c, r: self.w2(c, r), ("A", "B"))

    def _alone(self, c, size_range):
        a = self.r.get("W1", c, size_range, "alloc_mean_filt_ns")
        f = self.r.get("W1", c, size_range, "free_mean_filt_ns")
        return None if a is None or f is None else a + f

    def ratio_matrix(self, title, figure, ranges, higher_is_better=False):
        header = ["DMMS ÷"] + [f"{m} ({r})" if len(ranges) > 1 else m for r in ranges for m in self.mallocs]
        rows = []
        for d in self.dmms:
            rows.append([d] + [rx(ratio(figure(d, r), figure(m, r))) for r in ranges for m in self.mallocs])
        better = "above" if higher_is_better else "below"
        self.say(f"**{title}** ({better} 1.00× DMMS is better):")
        self.say()
        self.say(table(header, rows))
        self.say()

    def section_w1(self):
        self.say("## W1 — latency of each alloc and each free (steady state, every call timed alone)")
        self.say()
        reps = self.r.get("W1", self.all[0], "A", "reps")
        ops = self.r.get("W1", self.all[0], "A", "ops_per_rep")
        overhead = self.r.get("W1", self.all[0], "A", "timer_overhead_ns")
        live = int(self.r.meta.get("live", "0"))
        self.say(f"{num(reps, 0)} identical repetitions of {num(ops, 0)} free+alloc steps ({live:,} live buffers). "
                 "Percentiles over all repetitions' calls; *filt* = each call's minimum over the repetitions "
                 "(machine noise does not strike the same call every time; the allocator's own slow paths do). "
                 f"The timer's own cost ({num(overhead, 0)} ns, the shortest empty interval) is subtracted; the TSC "
                 "of this VM moves in steps of about 10 ns, so figures below ~50 ns are coarse.")
        self.say()
        points = ["p50", "p99", "p99.9", "p99.99", "max"]
        for size_range, label in (("A", "16–4096"), ("B", "8–256")):
            rows = []
            for c in self.all:
                for op in ("alloc", "free"):
                    row = [c if op == "alloc" else "", op]
                    row += [ns(self.r.get("W1", c, size_range, f"{op}_{p}_ns")) for p in points]
                    row += [ns(self.r.get("W1", c, size_range, f"{op}_{p}_filt_ns")) for p in ("p99.99", "max")]
                    rows.append(row)
            self.say(f"### Sizes {size_range} ({label} bytes)")
            self.say()
            self.say(table(["contender", "op"] + points + ["p99.99 filt", "max filt"], rows))
            self.say()
        for metric, name in (("p99.99_ns", "p99.99"), ("max_filt_ns", "max filt")):
            for op in ("alloc", "free"):
                self.ratio_matrix(f"DMMS ÷ each contender, W1 {op} {name}",
                                  lambda c, r, op=op, metric=metric: self.r.get("W1", c, r, f"{op}_{metric}"),
                                  ("A", "B"))

    def section_w3(self):
        self.say("## W3 — fragmentation: utilization at the first failure (DMMS only)")
        self.say()
        seeds = self.r.get("W3-mb32", self.dmms[0], "small", "seeds") if self.dmms else None
        overhead = self.r.get("W3-mb32", "dmms-lazy-on", "small", "overhead_bytes")
        self.say(f"`dmms_pool_create(NULL, 16 MiB, cfg)` (exactly 16 MiB of blocks), **min block 32**; each step "
                 "allocates (p = 0.6) a log-uniform size or frees a random live buffer, until the first failed "
                 f"allocation. {num(seeds, 0)} seeds, mean (min). *of 16 MiB* = live requested bytes ÷ 16 MiB; "
                 "*of footprint* = the same ÷ (pool_bytes + overhead_bytes) from `dmms_stats` "
                 f"(overhead {num((overhead or 0) / 1024, 0)} KiB with diagnostics on). The harness's own count of "
                 "live requested bytes is checked against `dmms_stats` at the failure.")
        self.say()

        def cell(workload, c, size_range, metric):
            mean = self.r.get(workload, c, size_range, f"{metric}_mean")
            low = self.r.get(workload, c, size_range, f"{metric}_min")
            return f"{num(mean, 3)} ({num(low, 3)})"

        rows = []
        for c in self.dmms:
            rows.append([c, "32"] + [cell("W3-mb32", c, r, m) for r in ("small", "large") for m in ("util", "util_footprint")])
        for c in self.dmms:
            if self.r.get("W3-mb16", c, "small", "util_mean") is not None:
                rows.append([c, "16"] + [cell("W3-mb16", c, r, m) for r in ("small", "large") for m in ("util", "util_footprint")])
        self.say(table(["contender", "min block", "16–1024: of 16 MiB", "16–1024: of footprint",
                        "16–65536: of 16 MiB", "16–65536: of footprint"], rows))
        self.say()
        self.say("For context only — **measured elsewhere, not in this run** (same workload, other machine):")
        self.say()
        self.say(table(["allocator (measured elsewhere)", "16–1024", "16–65536"],
                       [[name, f"{a:.3f}", f"{b:.3f}"] for name, a, b in ANCHOR_UTILIZATION]))
        self.say()

    def section_w4(self):
        self.say("## W4 — adversarial: worst single operation")
        self.say()
        small = self.r.get("W4", self.all[0], "-", "small_buffers")
        larges = self.r.get("W4", self.all[0], "-", "large_requests")
        reps = self.r.get("W4", self.all[0], "-", "reps")
        g0 = lambda m: self.r.get("W4", self.all[0], "-", m)
        self.say(f"Fill with {num(small, 0)} requests of {num(g0('small_request'), 0)} bytes (DMMS: a pool of exactly "
                 "that many 32-byte minimum blocks, checked full), free every other one, then free the rest in random "
                 f"order with a {num(g0('large_request'), 0)}-byte request (a 64 KiB block) after every "
                 f"{num(g0('frees_per_large'), 0)} frees ({num(larges, 0)} requests; one that succeeds is touched and "
                 f"freed at once). Every call timed alone; {num(reps, 0)} identical repetitions; *filt* = each call's "
                 "minimum over them. A large request DMMS cannot meet is still a call (it may join blocks trying).")
        self.say()
        rows = []
        for c in self.all + [b for b in BUDGETED if self.r.get("W4", b, "-", "worst_filt_ns") is not None]:
            g = lambda m: self.r.get("W4", c, "-", m)
            rows.append([c, ns(g("worst_filt_ns")), g("worst_kind") or "–", ns(g("worst_raw_ns")),
                         ns(g("worst_free_alternate_filt_ns")), ns(g("worst_free_random_filt_ns")),
                         ns(g("worst_large_alloc_filt_ns")), ns(g("p50_large_alloc_filt_ns")),
                         ns(g("worst_large_free_filt_ns")),
                         f"{num(g('large_failures'), 0)} / {num(g('large_requests'), 0)}",
                         f"{num(g('ops_over_1us_filt'), 0)} / {num(g('ops'), 0)}",
                         rx(ratio(g("worst_filt_ns"), self.r.get("W4", "glibc", "-", "worst_filt_ns")))])
        self.say(table(["contender", "worst op filt", "which", "worst raw", "free (alternate) filt",
                        "free (random) filt", "large alloc filt", "large alloc median filt", "large free filt",
                        "large failed",
                        "calls > 1 µs filt", "worst filt ×glibc"], rows))
        self.say()
        self.ratio_matrix("DMMS ÷ each contender, W4 worst op (filtered)",
                          lambda c, r: self.r.get("W4", c, "-", "worst_filt_ns"), ("-",))

    def section_w5(self):
        self.say("## W5 — two threads on one pool / one heap")
        self.say()
        rounds = len(self.r.all("W5", self.all[0], "A", "pairs_per_s_1t"))
        live = int(self.r.meta.get("live", "0"))
        self.say(f"Each thread runs its own W2 loop (sizes A, {live:,} buffers of its own) on the shared pool or heap; "
                 f"pairs per second of wall time, the best of {rounds} processes per case (interleaved; the "
                 "median in parentheses). The machine has 2 cores: 2.0× is perfect scaling, and any other load "
                 "on it hurts the two-thread runs most. The DMMS API rows share one pool (one lock); dmms-preload "
                 "is the malloc replacement, whose second thread finds the default pool busy and moves to an "
                 "arena of its own.")
        self.say()
        rows = []
        for c in self.all:
            one, two = self.w5(c, 1), self.w5(c, 2)
            one_median = self.r.get("W5", c, "A", "pairs_per_s_1t")
            two_median = self.r.get("W5", c, "A", "pairs_per_s_2t")
            rows.append([c, f"{num(one and one / 1e6, 2)} ({num(one_median and one_median / 1e6, 2)})",
                         f"{num(two and two / 1e6, 2)} ({num(two_median and two_median / 1e6, 2)})",
                         rx(ratio(two, one)), rx(ratio(two, self.w5("glibc", 2)))])
        self.say(table(["contender", "1 thread (M pairs/s)", "2 threads (M pairs/s)", "2 ÷ 1",
                        "2 threads ×glibc (higher is better)"], rows))
        self.say()
        control = self.w5_control()
        if control is not None:
            self.say(f"Control: the best scaling of the malloc contenders in this run is {rx(control[0])} "
                     f"({control[1]}); a quiet machine measured 1.55–2.01× for them. "
                     + ("Well below that, the machine was too busy in this run for W5 to be judged firmly: "
                        "a second thread only helps when a second core is free."
                        if control[0] < 1.5 else ""))
            self.say()
        self.ratio_matrix("DMMS ÷ each contender, W5 scaling (2 threads ÷ 1)",
                          lambda c, r: self.w5_ratio(c), ("A",), higher_is_better=True)

    def section_programs(self):
        measured = [c for c in self.all if any(self.program(c, *w[:3]) for w in self.PROGRAMS)]
        if not measured:
            return
        self.say("## W6–W8 — multi-threaded programs on malloc")
        self.say()
        rounds = len(self.r.all("W7", measured[0], "-", "pairs_per_s_2t"))
        self.say("`benchmarks/programs.c`, the malloc contenders only (each under LD_PRELOAD; dmms-preload is DMMS's "
                 "malloc replacement with default settings). W6: 4 threads replace objects of 8–256 bytes in one "
                 "shared table, a random slot each step, so most objects are freed by another thread than the one "
                 "that made them (a larson-like server). W7: 2 threads, each a tight malloc/touch/free of 16–128 "
                 "bytes. W8: 8 threads on 2 cores, each keeping objects of 16–65536 bytes (every page written) and "
                 f"replacing a random one each step; peak RSS is the process's. Pairs per second of wall time, all "
                 f"threads together: the best of {rounds} processes (peak RSS: the median).")
        self.say()
        rows = []
        for c in measured:
            row = [c]
            for workload, size_range, metric, _ in self.PROGRAMS:
                v, g = self.program(c, workload, size_range, metric), self.program("glibc", workload, size_range, metric)
                row.append(f"{num(v and v / 1e6, 2)} ({rx(ratio(v, g))})")
            rss, g = self.peak_rss(c), self.peak_rss("glibc")
            row.append(f"{num(rss and rss / 1024, 1)} ({rx(ratio(rss, g))})")
            rows.append(row)
        self.say(table(["contender"] + [f"{label} (M pairs/s, ×glibc)" for _, _, _, label in self.PROGRAMS]
                       + ["W8 peak RSS (MB, ×glibc; lower is better)"], rows))
        self.say()

    def section_work(self):
        path = os.path.join(self.raw, "work.txt")
        if not os.path.exists(path):
            return
        self.say("## Work bounds: the free fill (callgrind)")
        self.say()
        self.say("`Tests/work/run.sh` (also a suite of `make test`): instructions of `dmms_pool_create(NULL, 64 MiB)` "
                 "and per `free(malloc(8))` pair (`dmms_pool_alloc`/`dmms_pool_free` of 8 bytes on a fresh pool, "
                 "default config), with and without `DMMS_F_FILL_FREE`. The fill's cost is the buffer's: "
                 "the target is the fill within 10x of no fill whatever the pool size.")
        self.say()
        self.say("```")
        with open(path) as f:
            for line in f:
                self.say(line.rstrip())
        self.say("```")
        self.say()

    def section_instructions(self):
        self.say("## Instructions per alloc and per free (callgrind)")
        self.say()
        if not self.instr:
            self.say("Not measured (valgrind missing).")
            self.say()
            return
        self.say("`valgrind --tool=callgrind --collect-atstart=no --toggle-collect=bench_alloc "
                 "--toggle-collect=bench_free`: after the prefill and a warm-up, the steady-state pairs call the "
                 "allocator through two non-inlined wrappers, the only code collected; the figure is each "
                 "wrapper's inclusive cost minus its own, per call (the allocator with its PLT stub and lock). "
                 "Exact and repeatable, unlike the clock on this machine.")
        self.say()
        rows = []
        glibc = {r: self.instr.get(("glibc", r)) for r in ("A", "B")}
        for c in self.all:
            row = [c]
            for r in ("A", "B"):
                v = self.instr.get((c, r))
                if v is None:
                    row += ["–", "–", "–", "–"]
                    continue
                g = glibc[r]
                row += [f"{v[0]:.0f}", f"{v[1]:.0f}", f"{v[0] + v[1]:.0f}", rx(ratio(v[0] + v[1], g and g[0] + g[1]))]
            rows.append(row)
        self.say(table(["contender", "A alloc", "A free", "A pair", "A pair ×glibc",
                        "B alloc", "B free", "B pair", "B pair ×glibc"], rows))
        self.say()
        if len(self.mallocs) > 1 and any((d, "A") in self.instr for d in self.dmms):
            self.ratio_matrix("DMMS ÷ each contender, instructions per pair",
                              lambda c, r: (lambda v: v and v[0] + v[1])(self.instr.get((c, r))), ("A", "B"))

    def section_profile(self):
        cases = [(c, "A") for c in ("dmms-lazy-on", "dmms-lazy-off") if (c, "A") in self.profiles]
        if not cases:
            return
        self.say("## Where DMMS spends its instructions (callgrind, sizes A)")
        self.say()
        self.say("Self cost per pair (one alloc + one free) inside the collected calls. Functions are the symbols "
                 "left after inlining; lines are the source lines the instructions came from (inlined code "
                 "keeps its own file and line; line 0 = compiler-generated).")
        self.say()
        names = demangle({fn for c in cases for (ob, fn) in self.profiles[c][1]})
        for c, size_range in cases:
            pairs, functions, lines = self.profiles[(c, size_range)]
            total = sum(functions.values())
            self.say(f"### {c}: {total / pairs:.0f} instructions per pair")
            self.say()
            rows = []
            for (ob, fn), v in functions.most_common(12):
                rows.append([f"`{names.get(fn, fn)}`", os.path.basename(ob or "?"), f"{v / pairs:.1f}",
                             f"{100 * v / total:.1f}%"])
            self.say(table(["function", "object", "Ir / pair", "share"], rows))
            self.say()
            by_file = collections.Counter()
            for (ob, path, line), v in lines.items():
                by_file[rel(path)] += v
            self.say("By source file (DMMS code only): " + ", ".join(
                f"{path} {v / pairs:.0f}" for path, v in by_file.most_common(10)) + ".")
            self.say()
            split = [(op, self.op_profiles.get((c, size_range, op))) for op in ("alloc", "free")]
            if all(profile for _, profile in split):
                alloc, free = self.instr.get((c, size_range), (0, 0))
                self.say(f"Per call (separate callgrind runs collecting only inside bench_alloc, then only inside "
                         f"bench_free): alloc {alloc:.0f}, free {free:.0f} instructions. By the source function "
                         "each instruction came from (inlined helpers named after the nearest declaration above "
                         "the line; line 0 = compiler-generated glue of the file):")
                self.say()
                per_function = collections.defaultdict(lambda: [0.0, 0.0])
                for i, (op, (op_pairs, op_lines)) in enumerate(split):
                    for (ob, path, line), v in op_lines.items():
                        name = enclosing(path, line) if line else "(glue)"
                        per_function[(rel(path), name)][i] += v / op_pairs
                ranked = sorted(per_function.items(), key=lambda item: -(item[1][0] + item[1][1]))
                rows = [[f"`{name}`", path, f"{a:.1f}", f"{f:.1f}", f"{a + f:.1f}"]
                        for (path, name), (a, f) in ranked[:22]]
                self.say(table(["function (source)", "file", "Ir / alloc", "Ir / free", "Ir / pair"], rows))
                self.say()
                for op, (op_pairs, op_lines) in split:
                    self.say(f"**{c}, {op}: the hottest lines**")
                    self.say()
                    self.line_table(op_lines, op_pairs, sum(op_lines.values()), 18, f"Ir / {op}")
            else:
                self.line_table(lines, pairs, total, 25, "Ir / pair")

    def line_table(self, lines, calls, total, count, unit):
        rows = []
        for (ob, path, line), v in lines.most_common(count):
            rows.append([f"{rel(path)}:{line}", f"{v / calls:.1f}", f"{100 * v / total:.1f}%",
                         source_line(path, line) if line else "(compiler-generated)"])
        self.say(table(["line", unit, "share", "source (as of this run)"], rows))
        self.say()

    def method(self):
        self.say("## Method")
        self.say()
        self.say("""- **Harness**: `benchmarks/*.c`, C11, built `-O2 -march=x86-64-v2` against `dmms.h`; one binary for
  every contender; `make bench` runs `benchmarks/run.sh`, which runs every measurement in its own process and
  then this writer. The malloc contenders are the same binary under `LD_PRELOAD`; at start-up the harness checks
  with `dladdr` that `malloc` really comes from the named library. The harness's own arrays come from `mmap`,
  never from the allocator being measured.
- **Sizes**: log-uniform over [low, high] (every integer reachable), drawn from a seeded generator
  (splitmix64, seed 1) before anything is measured: every contender gets the same requests and victims.
  W1, W2 and the instruction counts use the same script (seed 1); W5's second thread uses seed 2.
- **Touch rule (all workloads, all contenders)**: a buffer of up to 64 bytes is written whole; a larger one
  gets an 8-byte tag in its first 8 bytes and the tag's complement in its last 8. Before a buffer is freed the
  same bytes are compared and its alignment checked (16 bytes, or the size's largest power of two below 16);
  any mismatch stops the run.
- **Steady state (W1, W2, W5, instructions)**: {live:,} live buffers; each step frees a random one (after
  verifying it) and allocates a new size in its slot. Sizes A: 16–4096 bytes, B: 8–256 bytes. DMMS pools for
  these are 64 MiB with min block 32: W2, W5 and the instruction counts map theirs with
  `dmms_pool_create(NULL, ...)`; W1 and W4 build a fresh pool for every repetition over one pre-faulted
  region, so no page fault lands in a timed call and every repetition is the same sequence on the same pool.
- **Timer**: `lfence; rdtsc; lfence` … `rdtscp; lfence` (no `cpuid`: it traps to the hypervisor), converted with
  the TSC rate measured once per run; the shortest empty interval is subtracted, clamped at 0.
- **Filtered figures** (W1, W4): the run is repeated identically; each call's minimum over the repetitions is
  kept and the percentile or maximum is taken over those minima (maxima below ~30–50 µs drown in
  machine noise on this VM otherwise).
- **Counts of this run** (`benchmarks/run.sh`): {sizes}.
- **Noise**: the machine is a shared 2-vCPU VM; W2 and W5 take the best of interleaved processes (medians
  shown beside them) and should be read as ratios within this run (ratios to glibc carry from
  machine to machine).
  Callgrind counts are exact.""".format(sizes=self.r.meta.get("sizes", "?"), live=int(self.r.meta.get("live", "0"))))
        self.say()

    def write(self, path):
        self.header()
        self.targets()
        self.section_w2()
        self.section_w1()
        self.section_w3()
        self.section_w4()
        self.section_w5()
        self.section_programs()
        self.section_instructions()
        self.section_profile()
        self.section_work()
        self.method()
        text = "\n".join(self.out).rstrip() + "\n"
        with open(path, "w") as f:
            f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", required=True, help="directory written by run.sh")
    parser.add_argument("--out", required=True, help="the Markdown file to write")
    args = parser.parse_args()
    report = Report(args.raw)
    if not report.all or "glibc" not in report.all:
        sys.exit("write_results: no results for glibc in " + args.raw)
    report.write(args.out)


if __name__ == "__main__":
    main()
