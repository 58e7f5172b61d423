"""Timelines: the samples DMMS_TIMELINE writes (JSON Lines, one sample of
one pool per line: see dmms_timeline_sample in dmms.h), read back for the
report's "Memory over time" and the live table.

A file may hold several processes (a program that starts others with the
same environment) and several pools per process (the malloc replacement's
arenas). A process's figures at a sample's time are the sums of its pools'
latest samples. Reading never fails on the file's contents: lines that are
not samples are skipped and counted, and a last line cut short (the program
was killed while writing) is reported as such.
"""

import json
from dataclasses import dataclass, field

# A row of "sizes": [in use, high water, lazily free, allocations, failures].
SIZE_FIELDS = ("in_use", "high_water", "lazy", "allocs", "failures")
TOTALS = ("seq", "bytes_requested", "bytes_in_use", "bytes_peak", "failures", "errors")


@dataclass
class Point:
    """A process's figures at one time: totals over its pools."""
    t_ns: int
    seq: int = 0
    bytes_requested: int = 0
    bytes_in_use: int = 0
    bytes_peak: int = 0
    failures: int = 0
    errors: int = 0
    exit: bool = False
    # The latest sample of each pool at this time (shared, not copied).
    pools: tuple = ()

    @property
    def sizes(self):
        """Block size -> {field: value} over SIZE_FIELDS, summed over the pools."""
        sizes = {}
        for pool in self.pools:
            for size, row in pool.get("sizes", {}).items():
                total = sizes.setdefault(int(size), dict.fromkeys(SIZE_FIELDS, 0))
                for name, value in zip(SIZE_FIELDS, row):
                    total[name] += value
        return dict(sorted(sizes.items()))

    def in_use(self, size):
        """Buffers of block size `size` in use."""
        key = str(size)
        return sum(pool["sizes"][key][0] for pool in self.pools if key in pool.get("sizes", {}))


@dataclass
class Timeline:
    points: list             # of the process shown, in time order
    pid: int = 0             # the process shown: the first in the file
    pools: int = 0           # its pools
    other_processes: int = 0
    samples: int = 0         # lines read as samples (every process)
    skipped: int = 0         # lines that are not samples
    cut_short: bool = False  # the last line ends mid-sample

    @property
    def ended(self):
        """The process shown wrote its samples at exit."""
        return bool(self.points) and self.points[-1].exit

    def notes(self):
        """What the reader should know about the file, as sentences."""
        out = []
        if self.cut_short:
            out.append("The timeline was cut short (the program stopped while writing it): "
                       "it is shown up to its last whole sample.")
        if self.skipped:
            out.append(f"{self.skipped:,} line{'s' if self.skipped != 1 else ''} of the timeline "
                       f"{'were' if self.skipped != 1 else 'was'} not samples and "
                       f"{'were' if self.skipped != 1 else 'was'} skipped.")
        if self.other_processes:
            out.append(f"The timeline also holds {self.other_processes} other process"
                       f"{'es' if self.other_processes != 1 else ''} (started by the program); "
                       f"shown: process {self.pid}.")
        return out


def sample_of(line):
    """The sample a line holds, or None."""
    try:
        sample = json.loads(line)
    except ValueError:
        return None
    if not isinstance(sample, dict) or not isinstance(sample.get("t_ns"), int):
        return None
    if not all(isinstance(sample.get(key, 0), int) for key in TOTALS):
        return None
    sizes = sample.get("sizes", {})
    if not isinstance(sizes, dict) or not all(
            key.isdigit() and isinstance(row, list) and len(row) == len(SIZE_FIELDS)
            and all(isinstance(v, int) for v in row) for key, row in sizes.items()):
        return None
    return sample


def parse(text):
    """The Timeline of a file's text (which may end mid-line)."""
    lines = text.split("\n")
    cut_short = lines[-1].strip() != ""          # no newline after the last sample
    if not cut_short:
        lines.pop()
    timeline = Timeline(points=[])
    by_process = {}
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        sample = sample_of(line)
        if sample is None:
            if not (cut_short and number == len(lines) - 1):
                timeline.skipped += 1
            continue
        if cut_short and number == len(lines) - 1:
            cut_short = False                    # whole after all, only its newline missing
        timeline.samples += 1
        by_process.setdefault(sample.get("pid", 0), []).append(sample)
    timeline.cut_short = cut_short
    if by_process:
        timeline.pid = next(iter(by_process))
        timeline.other_processes = len(by_process) - 1
        timeline.points, timeline.pools = _points(by_process[timeline.pid])
    return timeline


def read(path):
    """The Timeline of the file at `path` (OSError when it cannot be read)."""
    with open(path, encoding="utf-8", errors="replace") as source:
        return parse(source.read())


def _points(samples):
    """A process's samples (any pools, in file order) as points in time order,
    each the sum of every pool's latest sample at that time; and how many
    pools there were."""
    latest = {}
    totals = dict.fromkeys(TOTALS, 0)
    points = []
    for sample in sorted(samples, key=lambda s: s["t_ns"]):
        pool = sample.get("pool", "")
        before = latest.get(pool, {})
        for key in TOTALS:
            totals[key] += sample.get(key, 0) - before.get(key, 0)
        latest[pool] = sample
        points.append(Point(t_ns=sample["t_ns"], exit=bool(sample.get("exit")), pools=tuple(latest.values()),
                            **totals))
    return points, len(latest)


def downsample(points, limit, key=lambda p: p.bytes_in_use):
    """At most `limit` points, in time order, keeping each stretch's lowest
    and highest (by `key`): a peak or a dip is never smoothed away."""
    if len(points) <= limit:
        return list(points)
    buckets = max(limit // 2, 1)
    out = []
    for b in range(buckets):
        chunk = points[b * len(points) // buckets:(b + 1) * len(points) // buckets]
        if not chunk:
            continue
        low = min(range(len(chunk)), key=lambda i: key(chunk[i]))
        high = max(range(len(chunk)), key=lambda i: key(chunk[i]))
        out.extend(chunk[i] for i in sorted({low, high}))
    return out
