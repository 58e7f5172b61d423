"""Memory over time: the timeline DMMS_TIMELINE writes, read back
(dmms.timeline), drawn at the top of the report, and shown live in a
terminal (`run --live`, `watch`, under a pseudo-terminal)."""

import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest

from dmms import live, report, timeline

from conftest import LIB_DIR, REPO
from dom import Page

PHASES = REPO / "build" / "examples" / "timeline"
PRELOAD = LIB_DIR / "libdmms_preload.so"
ENV = dict(os.environ, PYTHONPATH=str(REPO / "python"))
MIB = 1 << 20


def sample(t_ns, requested, in_use, *, pool="default", pid=7, seq=1, peak=None, errors=0, sizes=None, exit=False):
    line = {"t_ns": t_ns, "pid": pid, "pool": pool, "seq": seq, "bytes_requested": requested,
            "bytes_in_use": in_use, "bytes_peak": peak if peak is not None else in_use, "failures": 0,
            "errors": errors, "sizes": sizes if sizes is not None else {"64": [in_use // 64, in_use // 64, 0, seq, 0]}}
    if exit:
        line["exit"] = True
    return json.dumps(line) + "\n"


@pytest.fixture(scope="module")
def phases_timeline(tmp_path_factory):
    """The timeline of examples/timeline.c: grows to 8 MB requested, frees
    everything, settles at 2 MB."""
    assert PHASES.exists(), "build/examples/timeline is missing: run make test-examples"
    path = tmp_path_factory.mktemp("phases") / "timeline.jsonl"
    subprocess.run([str(PHASES)], env=dict(os.environ, DMMS_TIMELINE=str(path)), check=True,
                   stdout=subprocess.DEVNULL, timeout=60)
    return path


def test_the_timeline_shows_the_three_phases(phases_timeline):
    samples = timeline.read(phases_timeline)
    assert samples.skipped == 0 and not samples.cut_short and samples.ended
    requested = [p.bytes_requested for p in samples.points]
    top = requested.index(max(requested))
    # Grows to 8 MB: the first free after the pause takes a sample.
    assert max(requested) >= 8 * MIB - 1024
    # Frees everything: the first call after the pause between phases takes
    # a sample (10 ms passed), with one buffer of the next phase in it.
    bottom = top + requested[top:].index(min(requested[top:]))
    assert requested[bottom] == 1024
    assert requested[-1] == 2 * MIB and max(requested[bottom:]) == 2 * MIB   # settles at 2 MB
    # Each phase has samples of its own: at least every MiB requested (and 10 ms).
    assert top >= 8 and len(requested) - bottom >= 3
    times = [p.t_ns for p in samples.points]
    assert times == sorted(times)
    assert samples.points[-1].bytes_peak >= 8 * MIB
    assert samples.points[-1].sizes[2048]["in_use"] == 2048


def test_the_report_opens_with_memory_over_time(phases_timeline, tmp_path):
    samples = timeline.read(phases_timeline)
    page = report.render(None, timeline=samples)
    body = page[page.index("<body>"):]
    assert body.index("<h2>Memory over time</h2>") < body.index("<svg")
    built = Page(page)
    assert built.count("polygon", "blocks", "timeline") == 1
    assert built.count("polyline", "requested", "timeline") == 1
    assert built.count("circle", "peak", "timeline") == 1
    assert built.count("rect", "error-mark", "timeline") == 0
    assert built.count("polygon", "size-band", "timeline-sizes") == 1    # one size: 2 KiB blocks
    points = built.find("polyline", "requested", "timeline")[0]["points"].split()
    assert len(points) == len(samples.points)
    assert "Peak 16,777,216 (16 MiB) of blocks" in page


def test_run_records_the_timeline_by_default(tmp_path):
    assert PRELOAD.exists()
    report_path = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "-m", "dmms", "run", "-o", str(report_path), "--", str(PHASES)],
                            env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    page = report_path.read_text()
    assert "<h2>Memory over time</h2>" in page and "<h2>Summary</h2>" in page
    assert page.index("Memory over time") < page.index("<h2>Summary</h2>")
    assert not list(tmp_path.glob("*.jsonl"))
    result = subprocess.run([sys.executable, "-m", "dmms", "run", "--no-timeline", "-o", str(report_path), "--",
                             str(PHASES)], env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Memory over time" not in report_path.read_text()


def test_report_tool_takes_a_timeline(phases_timeline, tmp_path, sample_snapshot):
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps(sample_snapshot))
    out = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "-m", "dmms", "report", str(snapshot), "--timeline",
                             str(phases_timeline), "-o", str(out)], env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Memory over time" in out.read_text()
    result = subprocess.run([sys.executable, "-m", "dmms", "report", str(snapshot), "--timeline",
                             str(tmp_path / "missing.jsonl"), "-o", str(out)], env=ENV, capture_output=True, text=True)
    assert result.returncode == 1 and "missing.jsonl" in result.stderr


def test_a_timeline_cut_short_renders_what_it_has():
    text = sample(1_000_000, 100, 128) + sample(2_000_000, 300, 384, seq=2) + sample(3_000_000, 50, 64, seq=3)[:40]
    samples = timeline.parse(text)
    assert samples.cut_short and samples.skipped == 0 and len(samples.points) == 2
    page = report.render(None, timeline=samples)
    assert "cut short" in page and Page(page).count("polyline", "requested", "timeline") == 1
    # The last sample whole but for its newline is not cut short.
    assert not timeline.parse(text[:-40].rstrip("\n")).cut_short


def test_garbage_lines_are_skipped_and_counted():
    text = ("not json\n" + sample(1_000_000, 100, 128) + '{"t_ns": "late"}\n' + "[1, 2]\n"
            + '{"t_ns": 5, "sizes": {"x": [1]}}\n' + sample(2_000_000, 200, 256, seq=2) + "\n")
    samples = timeline.parse(text)
    assert samples.skipped == 4 and samples.samples == 2 and not samples.cut_short
    assert "4 lines of the timeline were not samples" in report.render(None, timeline=samples)
    assert timeline.parse("").points == [] and "holds no samples" in report.render(None, timeline=timeline.parse(""))


def test_pools_of_a_process_are_summed_and_other_processes_noted():
    text = (sample(1, 100, 128, pool="default") + sample(2, 1000, 1024, pool="default.1", seq=5)
            + sample(3, 50, 64, pool="default", seq=2) + sample(1, 7, 64, pid=8))
    samples = timeline.parse(text)
    assert samples.pid == 7 and samples.pools == 2 and samples.other_processes == 1
    assert [p.bytes_requested for p in samples.points] == [100, 1100, 1050]
    assert samples.points[-1].sizes[64]["in_use"] == 1 + 16
    assert "1 other process" in " ".join(samples.notes())


def test_a_hundred_thousand_samples_are_downsampled(tmp_path):
    lines = []
    errors = 0
    for i in range(100_000):
        in_use = (i % 5000) * 64 + (10 * MIB if i == 61_234 else 0)    # a saw, and one spike
        errors += i % 20_000 == 0
        lines.append(sample(i * 10_000_000, in_use // 2, in_use, seq=i, peak=10 * MIB + 4999 * 64, errors=errors))
    samples = timeline.parse("".join(lines))
    assert len(samples.points) == 100_000
    started = time.monotonic()
    page = report.render(None, timeline=samples)
    print(f"rendered 100,000 samples in {time.monotonic() - started:.2f} s")
    built = Page(page)
    shown = built.find("polyline", "requested", "timeline")[0]["points"].split()
    assert len(shown) <= report.TIMELINE_POINTS
    top = min(float(point.split(",")[1]) for point in shown)
    assert abs(top - report._Frame(1, 1).y(0.5)) < 6      # the spike's half (requested) survives
    assert built.count("rect", "error-mark", "timeline") == 5
    assert len(page) < 400_000


def test_downsample_keeps_extremes():
    points = [timeline.Point(t_ns=i, bytes_in_use=(1000 if i == 777 else i % 10)) for i in range(10_000)]
    kept = timeline.downsample(points, 100)
    assert len(kept) <= 100 and any(p.bytes_in_use == 1000 for p in kept)
    assert [p.t_ns for p in kept] == sorted(p.t_ns for p in kept)


# ---- live, under a pseudo-terminal ------------------------------------------------------
SLOW_PROGRAM = r"""
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <time.h>
int main(void) {
    static void *kept[1500];
    for (int i = 0; i < 1500; i++) {       /* 1.5 s of allocating */
        kept[i] = malloc(100 + i);
        nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
    }
    for (int i = 0; i < 1500; i += 2) free(kept[i]);
    return 0;
}
"""


def _in_terminal(argv, env, timeout=60):
    """Runs argv with a pseudo-terminal as its stdout; everything it wrote."""
    master, slave = pty.openpty()
    child = subprocess.Popen(argv, env=env, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif child.poll() is not None:
            break
    child.wait(timeout=10)
    os.close(master)
    return child.returncode, output.decode("utf-8", "replace")


def test_run_live_redraws_the_table_while_the_program_runs(compile_c, tmp_path):
    program = compile_c(SLOW_PROGRAM, "slow")
    status, output = _in_terminal([sys.executable, "-m", "dmms", "run", "--live", "-o",
                                   str(tmp_path / "report.html"), "--", str(program)], ENV)
    assert status == 0
    tables = output.split(live.CLEAR)[1:]
    assert len(tables) >= 4                                       # 1.5 s at 4 a second, and the last
    running = [t for t in tables if ", running," in t]
    assert len(running) >= 2
    last = tables[-1]
    assert ", exited," in last and "block size" in last and "high water" in last
    assert "allocations 1,50" in last or "allocations 1,5" in last
    assert (tmp_path / "report.html").exists()


def test_watch_follows_a_timeline_until_its_program_exits(compile_c, tmp_path):
    program = compile_c(SLOW_PROGRAM, "slow_watched")
    path = tmp_path / "timeline.jsonl"
    writer = subprocess.Popen([str(program)], env=dict(os.environ, DMMS_TIMELINE=str(path),
                                                       LD_PRELOAD=str(PRELOAD)))
    status, output = _in_terminal([sys.executable, "-m", "dmms", "watch", str(path)], ENV)
    assert writer.wait(timeout=60) == 0
    assert status == 0
    tables = output.split(live.CLEAR)[1:]
    assert len(tables) >= 3 and ", exited," in tables[-1]
    # Not a terminal: only the last table.
    piped = subprocess.run([sys.executable, "-m", "dmms", "watch", str(path)], env=ENV,
                           capture_output=True, text=True, timeout=30)
    assert piped.returncode == 0 and live.CLEAR not in piped.stdout and ", exited," in piped.stdout
