"""The report as a real browser shows it: headless Chromium parses the page
(every SVG element counted as the browser built it) and takes a screenshot
(decoded, it must show the report's colours)."""

import json
import time

import pytest

import dmms
from dmms import report, timeline

import browser
import png
import screenshot
from dom import Page


@pytest.fixture(autouse=True)
def _chromium_is_installed():
    # A missing browser fails these tests, never skips them: a green run must
    # mean the report was rendered.
    assert browser.chromium() is not None, "chromium is not installed: run make deps"


def _colour(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def test_the_browser_builds_every_svg_element(tmp_path, sample_snapshot):
    page_path = tmp_path / "report.html"
    dmms.write_report(sample_snapshot, page_path)
    written = Page(page_path.read_text())
    built = Page(browser.dump_dom(page_path))
    active = [o for o in sample_snapshot["orders"] if o["allocs"]]
    expected = {
        ("svg", None, None): 4 + 2 * 4,       # usage, orders, map, legend; 4 groups' swatch and bar
        ("rect", "in-use", "orders"): len(active),
        ("rect", "high-water", "orders"): len(active),
        ("rect", "row", "map-0"): report.MAP_CELLS // report.MAP_COLUMNS,
        ("rect", "usage", "usage"): 5,
        ("rect", "leak", None): 4,
    }
    for (tag, cls, svg), count in expected.items():
        assert built.count(tag, cls, svg) == count, (tag, cls, svg)
    # Every element written, the browser kept (the SVG is well formed).
    assert built.svg_elements() == written.svg_elements()
    assert built.count("rect", "cell", "map-0") == written.count("rect", "cell", "map-0") > 10
    assert built.count("title") == written.count("title")


def test_the_screenshot_shows_the_report(tmp_path):
    png_path = screenshot.report_screenshot(tmp_path / "report.png", height=1200)
    colours = png.colours(png_path)
    pixels = sum(colours.values())
    assert pixels == 1100 * 1200
    assert colours[(255, 255, 255)] < 0.9 * pixels           # not a blank page
    assert len(colours) > 100                                 # text, bars and the map
    assert colours[_colour(report.FREE_COLOUR)] > 10_000       # the map's free rows
    assert colours[_colour(report.LAZY_COLOUR)] > 1000         # the lazily free frame
    assert sum(colours[_colour(c)] > 200 for c in report.OWNER_COLOURS) >= 4   # owners


def test_a_million_buffer_report_loads_quickly(big_report):
    path, _ = big_report
    started = time.monotonic()
    built = Page(browser.dump_dom(path))
    assert time.monotonic() - started < 30
    assert built.svg_elements() == Page(path.read_text()).svg_elements() < 2000
    assert built.count("rect", "row", "map-0") == 16


def test_the_screenshot_shows_memory_over_time(tmp_path):
    png_path = screenshot.timeline_screenshot(tmp_path / "timeline.png", height=900)
    colours = png.colours(png_path)
    assert colours[_colour(report.BLOCKS_COLOUR)] > 20_000       # the area of block bytes
    assert colours[_colour(report.REQUESTED_COLOUR)] > 300       # the line of requested bytes
    assert colours[_colour(report.PEAK_COLOUR)] > 20              # the peak's mark
    assert colours[_colour(report.OWNER_COLOURS[0])] > 20_000    # the band of 2 KiB blocks


def test_the_browser_builds_the_timeline_charts(tmp_path):
    lines = [json.dumps({"t_ns": i * 1_000_000, "pid": 1, "pool": "p", "seq": i, "bytes_requested": 100 * i,
                         "bytes_in_use": 128 * i, "bytes_peak": 128 * i, "failures": 0, "errors": i // 100,
                         "sizes": {"128": [i, i, 0, i, 0], "4096": [i % 7, 7, 0, i, 0]}}) for i in range(1, 501)]
    page_path = tmp_path / "report.html"
    dmms.write_report(None, page_path, timeline=timeline.parse("\n".join(lines) + "\n"))
    written = Page(page_path.read_text())
    built = Page(browser.dump_dom(page_path))
    assert built.svg_elements() == written.svg_elements()
    assert built.count("rect", "error-mark", "timeline") == 5       # errors at 100, 200, ... 500
    assert built.count("polygon", "size-band", "timeline-sizes") == 2
    assert built.count("circle", "peak", "timeline") == 1


def test_a_hundred_thousand_samples_render_in_the_browser(tmp_path):
    lines = [json.dumps({"t_ns": i * 10_000_000, "pid": 1, "pool": "default", "seq": i,
                         "bytes_requested": (i % 7000) * 48, "bytes_in_use": (i % 7000) * 64,
                         "bytes_peak": 6999 * 64, "failures": 0, "errors": i // 25_000,
                         "sizes": {"64": [i % 7000, 6999, 0, i, 0]}}) for i in range(100_000)]
    page_path = tmp_path / "report.html"
    dmms.write_report(None, page_path, timeline=timeline.parse("\n".join(lines) + "\n"))
    built = Page(browser.dump_dom(page_path))
    shown = built.find("polyline", "requested", "timeline")[0]["points"].split()
    assert 100 < len(shown) <= report.TIMELINE_POINTS
    assert built.count("rect", "error-mark", "timeline") == 3       # errors at 25,000, 50,000, 75,000
    assert built.count("circle", "peak", "timeline") == 1
    assert page_path.stat().st_size < 400_000
