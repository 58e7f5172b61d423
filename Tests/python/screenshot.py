"""Makes docs/report.png: runs examples/explore_pool.py and takes a Chromium
screenshot of the report it writes. `make report-screenshot` runs it; the
browser test runs the same steps into a temporary folder.

    python3 Tests/python/screenshot.py docs/report.png
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import browser

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "explore_pool.py"


def report_screenshot(png, height=1500):
    """Runs the example into a temporary folder and screenshots its report."""
    with tempfile.TemporaryDirectory(prefix="dmms-report-") as folder:
        report = Path(folder) / "report.html"
        subprocess.run([sys.executable, str(EXAMPLE), "-o", str(report)],
                       capture_output=True, check=True)
        return browser.screenshot(report, png, height=height)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(report_screenshot(Path(sys.argv[1]).resolve(), height=2200))
