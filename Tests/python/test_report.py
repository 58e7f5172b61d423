"""The HTML report (dmms.report), read back as HTML: what each section shows
for a real pool, the pool map's arithmetic, and its size for a million
buffers."""

import json
import re
import subprocess
import sys

import pytest

import dmms
from dmms import report

from conftest import REPO
from dom import Page


def active_orders(snapshot):
    return [o for o in snapshot["orders"]
            if o["high_water"] or o["in_use"] or o["allocs"] or o["failures"]]


def test_the_report_is_one_self_contained_file(sample_snapshot):
    html = dmms.render(sample_snapshot)
    assert html.startswith("<!DOCTYPE html>")
    page = Page(html)
    assert page.count("script") == page.count("img") == page.count("link") == 0
    assert not re.search(r"https?:|\bsrc=|\bhref=|url\(", html)
    assert [attrs.get("id") for attrs in page.find("svg") if attrs.get("id")] == \
        ["usage", "orders", "map-0", "map-legend"]


def test_summary_states_the_figures(sample_snapshot):
    text = "".join(Page(dmms.render(sample_snapshot)).text)
    stats = sample_snapshot["stats"]
    assert "'sample'" in text and "lazy coalescing" in text
    assert f"{stats['pool_bytes']:,} (64 KiB)" in text
    assert f"{stats['bytes_requested']:,}" in text
    assert f"{stats['bytes_alloc']:,}" in text
    assert f"Suggested pool size: {stats['suggested_pool_size']:,}" in text


def test_chart_has_a_row_per_block_size_in_use(sample_snapshot):
    page = Page(dmms.render(sample_snapshot))
    rows = active_orders(sample_snapshot)
    # 64 B (the 48-byte and the overrun buffers), 128 B, 4 KiB, 32 KiB.
    assert [o["block_size"] for o in rows] == [64, 128, 4096, 32768]
    assert page.count("rect", "in-use", "orders") == page.count("rect", "high-water", "orders") == 4
    # The longest bar is the size holding the most bytes at its high water.
    widths = [float(a["width"]) for a in page.find("rect", "high-water", "orders")]
    held = [o["high_water"] * o["block_size"] for o in rows]
    assert widths.index(max(widths)) == held.index(max(held))


def test_map_shows_every_state_and_the_owners(sample_snapshot):
    page = Page(dmms.render(sample_snapshot))
    assert page.count("rect", "row", "map-0") == report.MAP_CELLS // report.MAP_COLUMNS
    fills = [attrs["fill"] for attrs in page.find("rect", "cell", "map-0")]
    assert report.QUARANTINE_COLOUR in fills
    assert report.LAZY_COLOUR in fills
    owner_colours = set(fills) & set(report.OWNER_COLOURS)
    assert len(owner_colours) == 4             # four owner/call-site groups hold memory
    legend = Page(dmms.render(sample_snapshot)).find("svg", svg="map-legend")
    assert legend and "".join(page.text).count("conftest.py:") >= 4


def test_live_buffers_grouped_by_owner_and_call_site_largest_first(sample_snapshot):
    page = Page(dmms.render(sample_snapshot))
    text = "".join(page.text)
    requested = {}
    for buffer in sample_snapshot["buffers"]:
        requested[buffer["line"]] = requested.get(buffer["line"], 0) + buffer["requested"]
    assert sorted(requested.values()) == [200, 960, 15_000, 20_000]
    largest_first = sorted(requested, key=requested.get, reverse=True)
    table = text[text.index("Live buffers by owner"):text.index("Errors")]
    positions = [table.index(f"conftest.py:{line}") for line in largest_first]
    assert positions == sorted(positions)
    assert page.count("rect", "leak") == 4
    bars = [float(attrs["width"]) for attrs in page.find("rect", "leak")]
    assert bars == sorted(bars, reverse=True) and bars[0] == 120.0
    assert "28 live buffers, 36,160 (35.3 KiB) requested, in 4 owner/call-site groups" in text


def test_errors_are_listed_with_their_counters(sample_snapshot):
    text = " ".join(Page(dmms.render(sample_snapshot)).text)
    for name in ("DMMS_E_CORRUPT", "DMMS_E_OVERRUN", "DMMS_E_DOUBLE_FREE"):
        assert name in text
    assert "The 3 most recent, oldest first" in text
    assert "first damaged byte at offset 40" in text


def test_arenas_are_folded_into_one_report(sample_snapshot):
    """The malloc replacement's snapshot lists its other arenas under
    "arenas"; the report adds their figures up and keeps owners apart."""
    other = json.loads(json.dumps(sample_snapshot))
    other["config"]["name"] = "sample.1"
    for region in other["map"]["regions"]:                     # somewhere below the first arena
        region["start"] = hex(int(region["start"], 16) - (1 << 30))
    merged = report.merge_arenas(dict(sample_snapshot, arenas=[other]))
    stats = sample_snapshot["stats"]
    assert merged["stats"]["bytes_alloc"] == 2 * stats["bytes_alloc"]
    assert merged["stats"]["total_allocs"] == 2 * stats["total_allocs"]
    assert merged["stats"]["max_block_free"] == stats["max_block_free"]
    assert [o["high_water"] for o in merged["orders"]] == [2 * o["high_water"] for o in sample_snapshot["orders"]]
    assert len(merged["buffers"]) == 2 * len(sample_snapshot["buffers"])
    ids = [owner["id"] for owner in merged["owners"]]
    assert len(ids) == len(set(ids)) == 2 * len(sample_snapshot["owners"])
    assert {b["owner_id"] for b in merged["buffers"]} <= set(ids) | {0}
    runs = [run for region in merged["map"]["regions"] for run in region["blocks"]]
    assert {run[3] for run in runs if run[2] == "a"} <= set(ids) | {0}
    starts = [int(region["start"], 16) for region in merged["map"]["regions"]]
    assert starts == sorted(starts) and len(starts) == 2 * len(sample_snapshot["map"]["regions"])
    text = "".join(Page(dmms.render(dict(sample_snapshot, arenas=[other]))).text)
    assert "2 arenas (sample, sample.1)" in text
    assert "'sample'" in text


def test_a_page_of_notes_when_there_is_no_snapshot():
    html = dmms.render(None, notes=["The program was killed by signal 9 (Killed)."])
    page = Page(html)
    assert page.count("svg") == 0 and "killed by signal 9" in html


def test_map_cells_add_up_the_runs():
    region = {"start": "0x10000", "bytes": 4096, "blocks": [
        [0, 1, "a", 5, 2],          # 128 bytes allocated at 0 (two 64-byte blocks)
        [128, 2, "f", 0, 1],        # 128 free
        [256, 3, "f", 0, 3],        # 768 free: to the end of cell 0
        [1024, 6, "l", 0, 1],       # 2048 lazily free: all of cells 1 and 2
        [3072, 0, "q", 0, 1],       # 32 quarantined
        [3104, 0, "f", 0, 31],      # the rest of cell 3
    ]}
    grid, cell_bytes = report._region_cells(region, 32, 4)
    assert cell_bytes == 1024 and len(grid) == 4
    assert (grid[0].allocated, grid[0].free, grid[0].owners) == (128, 896, {5: 128})
    assert (grid[1].lazy, grid[2].lazy) == (1024, 1024)
    assert (grid[3].quarantined, grid[3].free) == (32, 992)
    owners = report._Owners({"owners": [], "map": {"regions": [region]}})
    looks = [cell.look(cell_bytes, owners) for cell in grid]
    # An eighth allocated shows as a quarter; the one quarantined block shows.
    assert looks == [(report.OWNER_COLOURS[0], 1), (report.LAZY_COLOUR, 4),
                     (report.LAZY_COLOUR, 4), (report.QUARANTINE_COLOUR, 4)]


def test_a_million_buffers_in_a_gigabyte(big_snapshot, big_report):
    assert big_snapshot["stats"]["pool_bytes"] == 1 << 30
    assert len(big_snapshot["buffers"]) == 857_142      # a million, one in seven freed
    path, seconds = big_report
    assert seconds < 20, seconds
    html = path.read_text()
    page = Page(html)
    assert len(html) < 300_000
    assert page.svg_elements() < 2000
    assert page.count("rect", "row", "map-0") == 16
    assert page.count("rect", "leak") == 4


def test_report_tool(tmp_path, sample_snapshot):
    source = tmp_path / "snapshot.json"
    source.write_text(json.dumps(sample_snapshot))
    output = tmp_path / "out.html"
    result = subprocess.run([sys.executable, "-m", "dmms", "report", str(source), "-o", str(output)],
                            capture_output=True, text=True, cwd=REPO / "python")
    assert result.returncode == 0, result.stderr
    assert output.read_text() == dmms.render(sample_snapshot)
    broken = tmp_path / "broken.json"
    broken.write_text('{"dmms_version": 1')
    result = subprocess.run([sys.executable, "-m", "dmms", "report", str(broken)],
                            capture_output=True, text=True, cwd=REPO / "python")
    assert result.returncode == 1 and "cannot read" in result.stderr


def _changed(change):
    """A case of test_report_tool_refuses_a_document_of_another_shape: the
    library's own snapshot with `change` made to (a copy of) it."""
    def make(snapshot):
        document = json.loads(json.dumps(snapshot))
        change(document)
        return document
    return make


def _set(path, value):
    """A change that sets the value at `path` (keys and indexes)."""
    def change(document):
        for step in path[:-1]:
            document = document[step]
        document[path[-1]] = value
    return _changed(change)


def _drop(path):
    def change(document):
        for step in path[:-1]:
            document = document[step]
        del document[path[-1]]
    return _changed(change)


BAD_DOCUMENTS = {
    "array": lambda _: [],
    "empty object": lambda _: {},
    "stats only, a number": lambda _: {"stats": 5},
    "null": lambda _: None,
    "a string": lambda _: "snapshot",
    "version as text": _set(["dmms_version"], "1.0"),
    "name a number": _set(["config", "name"], 5),
    "min_block as text": _set(["config", "min_block"], "32"),
    "pool_bytes as text": _set(["stats", "pool_bytes"], "65536"),
    "pool_bytes past uint64": _set(["stats", "pool_bytes"], 10 ** 400),
    "stats a list": _set(["stats"], [1, 2]),
    "a stat missing": _drop(["stats", "bytes_requested"]),
    "an order missing in_use": _drop(["orders", 3, "in_use"]),
    "orders an object": _set(["orders"], {"0": {}}),
    "owner id a list": _set(["owners", 0, "id"], [1]),
    "buffer owner_id a list": _set(["buffers", 0, "owner_id"], [1]),
    "buffer seq null": _set(["buffers", 0, "seq"], None),
    "error message null": _set(["errors", 0, "message"], None),
    "error offset as text": _set(["errors", 0, "offset"], "40"),
    "map an array": _set(["map"], []),
    "map without regions": _set(["map"], {}),
    "region start not hex": _set(["map", "regions", 0, "start"], "zz"),
    "region bytes null": _set(["map", "regions", 0, "bytes"], None),
    "run of four": _set(["map", "regions", 0, "blocks", 0], [0, 0, "a", 1]),
    "run count as text": _set(["map", "regions", 0, "blocks", 0, 4], "1"),
    "run order past the largest": _set(["map", "regions", 0, "blocks", 0, 1], 1000),
    "run past the region": _set(["map", "regions", 0, "blocks", -1, 0], 1 << 20),
    "arenas of numbers": _set(["arenas"], [5]),
    "an arena without stats": _changed(lambda d: d.update(arenas=[{k: v for k, v in d.items() if k != "stats"}])),
}


@pytest.mark.parametrize("make", BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_report_tool_refuses_a_document_of_another_shape(tmp_path, sample_snapshot, make):
    """Valid JSON that is not a snapshot gets the message of a file that does
    not parse: no traceback, no report, a failing exit status."""
    source = tmp_path / "snapshot.json"
    source.write_text(json.dumps(make(sample_snapshot)))
    output = tmp_path / "out.html"
    result = subprocess.run([sys.executable, "-m", "dmms", "report", str(source), "-o", str(output)],
                            capture_output=True, text=True, cwd=REPO / "python", timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"dmms report: cannot read {source}: "), result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert not output.exists()


def _paths(value, path=()):
    """The path of each value in a document, an array's first item standing
    for all of them (but every item of an array of plain values: a run)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,)
            yield from _paths(item, path + (key,))
    elif isinstance(value, list) and value:
        plain = not any(isinstance(item, (dict, list)) for item in value)
        for index in range(len(value)) if plain else [0]:
            yield path + (index,)
            yield from _paths(value[index], path + (index,))


WRONG_VALUES = [None, "x", -1, 1 << 64, 1.5, True, [], {}, [1, 2, 3, 4, 5]]
DELETED = object()


def test_render_draws_or_refuses_any_value_changed(sample_snapshot):
    """Whatever value of a snapshot is wrong or missing, render() draws the
    report or raises SnapshotError (a ValueError naming the value), never
    anything else: a document from anywhere ends in that one message."""
    other = json.loads(json.dumps(sample_snapshot))
    other["config"]["name"] = "sample.1"
    for document in (sample_snapshot, dict(sample_snapshot, arenas=[other])):
        text = json.dumps(document)
        for path in _paths(document):
            for wrong in [DELETED, *WRONG_VALUES]:
                changed = json.loads(text)
                parent = changed
                for step in path[:-1]:
                    parent = parent[step]
                if wrong is DELETED:
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = wrong
                try:
                    dmms.render(changed)
                except report.SnapshotError:
                    pass
                except Exception as error:
                    raise AssertionError(f"{path} = {wrong!r}: {error!r}") from error
