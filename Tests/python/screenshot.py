"""Makes docs/report.png and docs/timeline.png: runs examples/explore_pool.py,
and examples/timeline.c under `python3 -m dmms run`, and takes a Chromium
screenshot of each report. `make report-screenshot` runs it; the browser
tests run the same steps into a temporary folder.

    python3 Tests/python/screenshot.py docs/report.png docs/timeline.png
"""

import os

import subprocess
import sys
import tempfile
from pathlib import Path

import browser

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "explore_pool.py"
PHASES = REPO / "build" / "examples" / "timeline"


def report_screenshot(png, height=1500):
    """Runs the example into a temporary folder and screenshots its report."""
    with tempfile.TemporaryDirectory(prefix="dmms-report-") as folder:
        report = Path(folder) / "report.html"
        subprocess.run([sys.executable, str(EXAMPLE), "-o", str(report)],
                       capture_output=True, check=True)
        return browser.screenshot(report, png, height=height)


def timeline_screenshot(png, height=900):
    """Runs examples/timeline.c under `python3 -m dmms run` (which records its
    timeline) and screenshots the top of its report: memory over time."""
    with tempfile.TemporaryDirectory(prefix="dmms-report-") as folder:
        report = Path(folder) / "report.html"
        env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
        env.pop("DMMS_TIMELINE", None)
        subprocess.run([sys.executable, "-m", "dmms", "run", "-o", str(report), "--", str(PHASES)],
                       env=env, capture_output=True, check=True)
        return browser.screenshot(report, png, height=height)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(report_screenshot(Path(sys.argv[1]).resolve(), height=2200))
    print(timeline_screenshot(Path(sys.argv[2]).resolve()))
