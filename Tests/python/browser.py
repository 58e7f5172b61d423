"""Headless Chromium (Debian's `chromium`) for the report tests and for the
screenshot in docs/: the DOM as the browser built it, and a PNG of the page."""

import shutil
import subprocess
import tempfile

TIMEOUT = 120   # seconds; a report must not take anywhere near this


def chromium():
    """The browser's path, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(page, *flags):
    # A fresh profile per run: no state shared with another run or a user.
    with tempfile.TemporaryDirectory(prefix="dmms-chromium-") as profile:
        result = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", f"--user-data-dir={profile}", *flags, page.resolve().as_uri()],
            capture_output=True, timeout=TIMEOUT)
    if result.returncode != 0:
        raise RuntimeError(f"chromium failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    return result.stdout


def dump_dom(page):
    """The page's DOM after the browser parsed and laid it out, as HTML."""
    return _run(page, "--dump-dom").decode("utf-8")


def screenshot(page, png, width=1100, height=1500):
    """A PNG of the top `height` pixels of the page."""
    _run(page, f"--screenshot={png}", f"--window-size={width},{height}")
    return png
