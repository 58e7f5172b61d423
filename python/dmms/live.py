"""The live table: a running program's pools, redrawn in the terminal from
the timeline it is writing (`python3 -m dmms run --live`, `python3 -m dmms
watch PATH`).

The table is drawn again every REDRAW seconds while the program runs (from
the samples read so far; the library writes one at least every 10 ms while
the program allocates) and the last one stays on the screen. Where the output
is not a terminal, only the last table is written.
"""

import os
import sys
import time

from .report import _size
from .timeline import SIZE_FIELDS, TOTALS, Point, sample_of

REDRAW = 0.25            # seconds between two tables
CLEAR = "\x1b[H\x1b[2J"  # cursor home, clear the screen


class Follower:
    """Reads a timeline as it grows: the latest sample of each pool of the
    first process seen."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = ""
        self.pid = None
        self.latest = {}        # pool -> its latest sample
        self.exited = set()     # pools whose sample at exit was read
        self.samples = 0
        self.skipped = 0

    def poll(self):
        """Reads what was appended since the last call; True if anything was."""
        try:
            with open(self.path, encoding="utf-8", errors="replace") as source:
                source.seek(self.offset)
                text = source.read()
                self.offset = source.tell()
        except FileNotFoundError:
            return False
        if not text:
            return False
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()          # a line still being written
        for line in lines:
            if line.strip():
                self._take(line)
        return True

    def _take(self, line):
        sample = sample_of(line)
        if sample is None:
            self.skipped += 1
            return
        self.samples += 1
        pid = sample.get("pid", 0)
        if self.pid is None:
            self.pid = pid
        if pid != self.pid:
            return
        pool = sample.get("pool", "")
        self.latest[pool] = sample
        if sample.get("exit"):
            self.exited.add(pool)

    @property
    def ended(self):
        """Every pool of the process wrote its sample at exit."""
        return bool(self.latest) and self.exited >= set(self.latest)

    def point(self):
        """The process's figures now (None before its first sample)."""
        if not self.latest:
            return None
        pools = tuple(self.latest.values())
        totals = {key: sum(pool.get(key, 0) for pool in pools) for key in TOTALS}
        return Point(t_ns=max(pool["t_ns"] for pool in pools), pools=pools, exit=self.ended, **totals)


def table(follower):
    """The table as text (lines end in newlines)."""
    point = follower.point()
    if point is None:
        return f"dmms: waiting for samples in {follower.path}\n"
    state = "exited" if point.exit else "running"
    pools = len(point.pools)
    lines = [f"dmms — process {follower.pid}, {state}, {point.t_ns / 1e9:.2f} s, "
             f"{pools} pool{'s' if pools != 1 else ''}, {follower.samples:,} samples",
             f"requested {_size(point.bytes_requested)}   blocks in use {_size(point.bytes_in_use)}   "
             f"peak {_size(point.bytes_peak)}   allocations {point.seq:,}   failures {point.failures:,}   "
             f"errors {point.errors:,}",
             "",
             f"{'block size':>12} {'in use':>10} {'high water':>11} {'lazy':>8} {'allocs':>12} {'failures':>9}"]
    for size, row in point.sizes.items():
        lines.append(f"{_size(size):>12} " + " ".join(
            f"{row[name]:>{width},}" for name, width in zip(SIZE_FIELDS, (10, 11, 8, 12, 9))))
    if follower.skipped:
        lines.append(f"({follower.skipped:,} lines that are not samples skipped)")
    return "\n".join(lines) + "\n"


def show(follower, running, out=None, redraw=REDRAW):
    """Draws the table every `redraw` seconds while running() is true, then
    once more after reading the rest: the last table stays on screen."""
    out = out or sys.stdout
    live = out.isatty()
    while running():
        follower.poll()
        if live:
            out.write(CLEAR + table(follower))
            out.flush()
        time.sleep(redraw)
    follower.poll()
    out.write((CLEAR if live else "") + table(follower))
    out.flush()


def watch(path, out=None, redraw=REDRAW):
    """`python3 -m dmms watch PATH`: until the process writing the timeline
    has exited (or Ctrl-C)."""
    follower = Follower(path)
    if not os.path.exists(path):
        print(f"dmms watch: waiting for {path}", file=sys.stderr)
    try:
        show(follower, lambda: not follower.ended, out, redraw)
    except KeyboardInterrupt:
        (out or sys.stdout).write(table(follower))
    return 0
