#!/usr/bin/env python3
"""Explore a DMMS pool from Python: buffers of several sizes from three
threads, a write past the end caught at free, a leak found from a mark, the
block-size table of show(1), and the visual report.

    python3 examples/explore_pool.py [-o report.html]

Runs from a checkout (the dmms package is found in python/ beside this
folder, libdmms.so in build/lib) or with the package installed.
"""

import argparse
import ctypes
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
import dmms  # noqa: E402  (after the path is set)


def sensor_task(pool, messages):
    """Many small messages, most of them consumed again."""
    for index in range(600):
        messages.append(pool.alloc(48))
        if index % 3:
            pool.free(messages.pop(0))


def logger_task(pool, records):
    """Medium records; every other one is kept, which leaves holes."""
    for index in range(120):
        record = pool.alloc(700)
        if index % 2:
            pool.free(record)
        else:
            records.append(record)


def camera_task(pool, frames):
    """A few large frames, one of them resized."""
    for _ in range(6):
        frames.append(pool.alloc(60_000))
    frames[0] = pool.realloc(frames[0], 120_000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="report.html")
    args = parser.parse_args()

    with dmms.Pool(4 << 20, name="explore") as pool:
        # Each task is a thread of its own, so DMMS names it as the owner of
        # its buffers. They run one after the other: the same pool every run.
        kept = {"sensor": [], "logger": [], "camera": []}
        for name, task in (("sensor", sensor_task), ("logger", logger_task),
                           ("camera", camera_task)):
            thread = threading.Thread(target=task, args=(pool, kept[name]), name=name)
            thread.start()
            thread.join()

        # A write one byte past the end — the classic off-by-one, a string's
        # NUL — is caught when the buffer is freed. (Guard bytes are odd, so
        # any even byte always shows; an odd one is missed once in 128.)
        victim = pool.alloc(100)
        ctypes.memset(victim + 100, 0, 1)
        try:
            pool.free(victim)
        except dmms.DMMSError as error:
            print(f"caught: {error}\n")

        # Everything allocated after a mark and still live is a leak.
        mark = pool.mark()
        forgotten = [pool.alloc(size) for size in (200, 200, 3000)]
        leaks = pool.leaks(mark)
        print(f"{len(leaks)} buffers leaked since mark {mark}:")
        for block in leaks:
            print(f"  {block.ptr:#x}: {block.requested} bytes at {block.file}:{block.line}, "
                  f"task {block.owner}, seq {block.seq}")
        print()

        print(pool.show(1))
        print(f"dmms_check: {pool.check()} problems")
        dmms.write_report(pool.snapshot(), args.output)
        print(f"report written to {args.output}")

        # The pool is destroyed on leaving the `with`: only once it is empty.
        for buffer in forgotten + [ptr for buffers in kept.values() for ptr in buffers]:
            pool.free(buffer)


if __name__ == "__main__":
    main()
