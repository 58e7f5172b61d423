"""python3 -m dmms — the report tools.

    python3 -m dmms report SNAPSHOT.json -o report.html
        the HTML report of a snapshot written by dmms_report_json (or by
        DMMS_REPORT_JSON at a program's exit).

    python3 -m dmms report SNAPSHOT.json --timeline TIMELINE.jsonl -o report.html
        the same, opening with "Memory over time" from a timeline written by
        DMMS_TIMELINE.

    python3 -m dmms run [-o report.html] [--live] [--no-timeline] -- COMMAND [ARG...]
        runs COMMAND with libdmms_preload.so (found beside the libdmms.so in
        use) as its malloc, recording its timeline (DMMS_TIMELINE: a
        temporary file, or the path already set), then writes the report of
        the snapshot the program leaves at exit, opening with its memory over
        time. --live shows the pools' figures in the terminal while it runs.
        The report is written however the program ends, and the tool exits
        with the program's exit status (128 + N when signal N killed it, as
        a shell reports it).

    python3 -m dmms watch TIMELINE.jsonl
        the live table of a timeline being written (by a program started
        with DMMS_TIMELINE=TIMELINE.jsonl), until that program exits.
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile

from . import abi, live, timeline
from .report import SnapshotError, check_snapshot, write_report


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m dmms", description="DMMS memory reports")
    commands = parser.add_subparsers(dest="tool", required=True)
    report = commands.add_parser("report", help="HTML report of a JSON snapshot")
    report.add_argument("snapshot", help="a file written by dmms_report_json")
    report.add_argument("-o", "--output", default="report.html")
    report.add_argument("--timeline", help="a file written by DMMS_TIMELINE")
    run = commands.add_parser("run", help="run a program under libdmms_preload.so and report")
    run.add_argument("-o", "--output", default="report.html")
    run.add_argument("--live", action="store_true", help="show the pools' figures while the program runs")
    run.add_argument("--no-timeline", action="store_true", help="record no timeline")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")
    watch = commands.add_parser("watch", help="the live table of a timeline being written")
    watch.add_argument("timeline", help="the DMMS_TIMELINE file of a running program")
    args = parser.parse_args(argv)
    if args.tool == "report":
        return report_tool(args.snapshot, args.output, args.timeline)
    if args.tool == "watch":
        return live.watch(args.timeline)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run: no command given (python3 -m dmms run -- COMMAND...)")
    if args.live and args.no_timeline:
        parser.error("run: --live shows the timeline; it cannot go with --no-timeline")
    return run_tool(command, args.output, live_table=args.live, record_timeline=not args.no_timeline)


def report_tool(snapshot_path, output, timeline_path=None):
    try:
        with open(snapshot_path, encoding="utf-8") as source:
            snapshot = json.load(source)
        check_snapshot(snapshot)           # JSON of another shape (null too): SnapshotError
        samples = timeline.read(timeline_path) if timeline_path else None
    except (OSError, ValueError) as error:  # SnapshotError is a ValueError
        print(f"dmms report: cannot read {error.filename or snapshot_path}: {error}"
              if isinstance(error, OSError) else f"dmms report: cannot read {snapshot_path}: {error}",
              file=sys.stderr)
        return 1
    write_report(snapshot, output, timeline=samples)
    print(f"dmms: report written to {output}", file=sys.stderr)
    return 0


def run_tool(command, output, live_table=False, record_timeline=True):
    try:
        preload = abi.preload_path()
    except OSError as error:
        print(f"dmms run: {error}", file=sys.stderr)
        return 2
    if not preload.exists():
        print(f"dmms run: {preload} not found (it is built beside libdmms.so by `make`)",
              file=sys.stderr)
        return 2

    descriptor, snapshot_path = tempfile.mkstemp(prefix="dmms-", suffix=".json")
    os.close(descriptor)
    env = dict(os.environ, DMMS_REPORT_JSON=snapshot_path)
    env["LD_PRELOAD"] = " ".join(filter(None, [str(preload), os.environ.get("LD_PRELOAD")]))
    # The timeline: the path the caller set (kept), else a temporary file.
    timeline_path, own_timeline = os.environ.get("DMMS_TIMELINE"), False
    if record_timeline and not timeline_path:
        descriptor, timeline_path = tempfile.mkstemp(prefix="dmms-", suffix=".jsonl")
        os.close(descriptor)
        own_timeline = True
        env["DMMS_TIMELINE"] = timeline_path
    notes = [f"Program: {shlex.join(command)}"]
    try:
        status = _run(command, env, live.Follower(timeline_path) if live_table else None)
        if status < 0:
            notes.append(f"The program was killed by signal {-status} ({signal.strsignal(-status)}).")
            status = 128 - status
        else:
            notes.append(f"The program exited with status {status}.")
    except OSError as error:           # not found, not executable
        notes.append(f"The program could not be started: {error}")
        status = 127
    try:
        with open(snapshot_path, encoding="utf-8") as source:
            snapshot = json.load(source)
        check_snapshot(snapshot)
    except SnapshotError as error:     # JSON, but not a snapshot the report can draw
        snapshot = None
        notes.append(f"Its snapshot cannot be read: {error}.")
    except ValueError:                 # empty or cut short: it died before its exit handlers
        snapshot = None
        notes.append("It left no snapshot: DMMS writes one at a normal exit only.")
    finally:
        os.unlink(snapshot_path)
    samples = None
    if record_timeline and timeline_path:
        try:
            samples = timeline.read(timeline_path)
        except OSError as error:
            notes.append(f"Its timeline cannot be read: {error}.")
        finally:
            if own_timeline:
                os.unlink(timeline_path)
    write_report(snapshot, output, notes=notes, timeline=samples)
    print(f"dmms: report written to {output}", file=sys.stderr)
    return status


def _run(command, env, follower=None):
    """Runs the program to its end, showing the live table of `follower`
    meanwhile if given; its exit status (-N: killed by signal N)."""
    child = subprocess.Popen(command, env=env)
    # Ctrl-C is the program's to handle: this process waits on so that the
    # report is still written. (Set after the start: the child would inherit it.)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if follower is not None:
            live.show(follower, lambda: child.poll() is None)
        return child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())
