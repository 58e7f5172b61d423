"""The visual memory report: one self-contained HTML file (inline CSS and SVG,
no script, nothing fetched) drawn from a dmms_report_json snapshot.

Sections: memory over time (with a timeline), a summary table, in-use vs
high-water per block size with the suggested pool size, a map of the pool,
the live buffers grouped by owner and call site, and the errors seen.

The report must stay quick to draw for a 1 GiB pool with a million live
buffers, so nothing is drawn per buffer or per block: the map cuts each region
into at most MAP_CELLS cells, the tables keep their largest rows, and the SVG
holds a few thousand elements at most whatever the pool's size.
"""

import html
import json
import operator
import re
from dataclasses import dataclass, field

from .abi import DMMS_MAX_ORDERS
from .timeline import downsample

MAP_CELLS = 1024        # cells of the pool map, over all regions
MAP_COLUMNS = 64        # cells per row of a region
MAP_MIN_CELLS = 64      # each region gets at least one row
CELL = 14               # px, side of a cell
GROUPS_SHOWN = 40       # rows of the owner/call-site table
ERRORS_SHOWN = 50       # rows of the error table (the library keeps 16)

# Map colours. Allocated cells take their owner's colour; red, yellow and grey
# are kept for the states so that no owner is mistaken for one.
FREE_COLOUR = "#e3e7ea"
LAZY_COLOUR = "#f7d35c"
QUARANTINE_COLOUR = "#d62728"
OWNER_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                 "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939"]
OTHER_OWNERS_COLOUR = "#6b6b6b"

# Memory over time: at most TIMELINE_POINTS points per line however many
# samples (each stretch keeps its lowest and highest), the TIMELINE_SIZES
# block sizes that held the most bytes as bands, the rest as one.
TIMELINE_POINTS = 1200
TIMELINE_SIZES = 8
ERROR_MARKS = 200
BLOCKS_COLOUR = "#9ecae1"
REQUESTED_COLOUR = "#08519c"
PEAK_COLOUR = "#e6550d"


def render(snapshot, *, notes=(), timeline=None):
    """The report for `snapshot` (a dmms_report_json document as a dict) as
    an HTML string. `notes` are lines shown first (say, how a program ended).
    snapshot None gives a page with the notes only, for a program that died
    before it could write one. `timeline` (a timeline.Timeline) opens the
    body with "Memory over time". Raises SnapshotError for a document of
    another shape (see check_snapshot)."""
    if snapshot is not None:
        check_snapshot(snapshot)
    if snapshot is not None and snapshot.get("arenas"):
        notes = [*notes, _arenas_note(snapshot)]
        snapshot = merge_arenas(snapshot)
    if timeline is not None:
        notes = [*notes, *timeline.notes()]
    parts = [_HEAD.format(title=html.escape(_title(snapshot)))]
    parts.append(f"<h1>{html.escape(_title(snapshot))}</h1>")
    parts.extend(f'<p class="note">{html.escape(note)}</p>' for note in notes)
    if timeline is not None:
        parts.append(_memory_over_time(timeline))
    if snapshot is not None:
        owners = _Owners(snapshot)
        parts += [_summary(snapshot), _orders_chart(snapshot), _pool_map(snapshot, owners),
                  _live_buffers(snapshot, owners), _errors(snapshot)]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(snapshot, path, *, notes=(), timeline=None):
    """render() into the file at `path` (not created when render refuses
    the snapshot)."""
    page = render(snapshot, notes=notes, timeline=timeline)
    with open(path, "w", encoding="utf-8") as out:
        out.write(page)


# Stats that are the largest of the arenas' rather than their sum.
_LARGEST_OF_ARENAS = {"max_block_free"}
# Order fields added over the arenas (block_size and order are the same in each).
_ORDER_SUMS = ("in_use", "high_water", "free_blocks", "lazy_free", "allocs", "failures")


def merge_arenas(snapshot):
    """One snapshot for a malloc replacement's pools: the default pool's
    document with its "arenas" (documents of the same shape) folded in.
    Counts and bytes add up; high-water marks become the sum of each arena's
    peak (an upper bound of the program's peak, and what pools sized per
    arena would need); owner ids are renumbered so arenas keep theirs apart."""
    documents = [snapshot, *snapshot.get("arenas", [])]
    stride = 1 + max((owner["id"] for d in documents for owner in d.get("owners", [])), default=0)
    merged = {key: value for key, value in snapshot.items() if key != "arenas"}
    merged["config"] = dict(snapshot["config"])
    merged["stats"] = {
        key: (max if key in _LARGEST_OF_ARENAS else sum)(d["stats"].get(key, 0) for d in documents)
        for key in snapshot["stats"]}
    merged["orders"] = [dict(order, **{key: sum(d["orders"][i].get(key, 0) for d in documents if i < len(d["orders"]))
                                       for key in (*_ORDER_SUMS, "cached")})
                        for i, order in enumerate(snapshot["orders"])]
    merged["owners"], merged["buffers"], merged["errors"], regions = [], [], [], []
    for number, document in enumerate(documents):
        def renumber(owner_id, shift=number * stride):
            return owner_id + shift if owner_id else owner_id
        merged["owners"] += [dict(owner, id=renumber(owner["id"])) for owner in document.get("owners", [])]
        merged["buffers"] += [dict(buffer, owner_id=renumber(buffer.get("owner_id", 0)))
                              for buffer in document.get("buffers", [])]
        merged["errors"] += document.get("errors", [])
        regions += [dict(region, blocks=[[offset, order, state, renumber(owner) if state == "a" else owner, count]
                                         for offset, order, state, owner, count in region["blocks"]])
                    for region in document["map"]["regions"]]
    merged["map"] = dict(snapshot["map"], regions=sorted(regions, key=lambda region: int(region["start"], 16)))
    return merged


def _arenas_note(snapshot):
    names = [snapshot["config"]["name"]] + [arena["config"]["name"] for arena in snapshot["arenas"]]
    return (f"{len(names)} arenas ({', '.join(names)}): threads that allocated at the same time were given "
            "pools of their own. They are shown together; each high-water mark is the sum of the arenas' peaks.")


# ---- what a snapshot must hold -------------------------------------------------------
class SnapshotError(ValueError):
    """A document that is not a dmms_report_json snapshot, or not one the
    report can draw: `where` names the values at fault ("stats.pool_bytes";
    "buffers[].seq" for the seq of any buffer), `problem` says what is wrong."""

    def __init__(self, where, problem):
        self.where, self.problem = where or "the document", problem
        super().__init__(f"not a DMMS snapshot: {self.where}: {problem}")


class _Value:
    """A leaf of the shape: `test` says whether every value of a list of
    them is as `expected`."""

    def __init__(self, test, expected):
        self.test, self.expected = test, expected


class _Object:
    """An object of the shape: keys that must be there, keys that may be,
    and (`others`) the shape of any other key (None: not looked at)."""

    def __init__(self, required, optional=None, others=None):
        self.required, self.optional, self.others = required, optional or {}, others


def _only(values, *types):
    return set(map(type, values)) <= set(types)   # exact types: true is not an integer


def _integers(low, high, expected):
    return _Value(lambda values: _only(values, int) and (
        not values or low <= min(values) and max(values) <= high), expected)


_ADDRESS_PATTERN = re.compile(r"0x[0-9a-fA-F]{1,16}")
_COUNT = _integers(0, (1 << 64) - 1, "an integer from 0 to 2^64 - 1")   # what the library writes
_ORDER = _integers(0, DMMS_MAX_ORDERS - 1, f"an order from 0 to {DMMS_MAX_ORDERS - 1}")
_INT = _integers(-(1 << 63), (1 << 63) - 1, "an integer")
_TEXT = _Value(lambda values: _only(values, str), "a string")
_TEXT_OR_NULL = _Value(lambda values: _only(values, str, type(None)), "a string or null")
_FLAG = _Value(lambda values: _only(values, bool), "true or false")
_ADDRESS = _Value(lambda values: _only(values, str) and all(map(_ADDRESS_PATTERN.fullmatch, values)),
                  'an address such as "0x7f0000000000"')
_STATE = _Value(lambda values: _only(values, str) and set(values) <= {"a", "f", "l", "q"},
                'one of "a", "f", "l", "q"')
# A call site: file and line always (null and 0 for none), a code address's
# name in "site" when there is one.
_SITE = {"file": _TEXT_OR_NULL, "line": _INT}
_CODE_SITE = {"site": _TEXT_OR_NULL}

# What render() reads of a snapshot, and as what: an _Object is an object,
# a list holds the shape of every item of an array, a tuple the shape of
# each item of an array of that length. Other keys are allowed: the report
# does not read them.
_SNAPSHOT = _Object({
    "dmms_version": _COUNT,
    "config": _Object({"name": _TEXT, "min_block": _COUNT, "guard_bytes": _COUNT, "coalesce": _TEXT,
                       **dict.fromkeys(("thread_safe", "guard", "track_owner", "fill_free"), _FLAG)}),
    # merge_arenas adds up every stat there is, so each one is a count.
    "stats": _Object(dict.fromkeys((
        "pool_bytes", "overhead_bytes", "bytes_free", "blocks_free", "max_block_free", "bytes_alloc",
        "blocks_alloc", "max_bytes_alloc", "bytes_requested", "total_allocs", "total_frees",
        "failed_allocs", "splits", "merges", "demand_joins", "overruns", "bad_frees",
        "double_frees", "corruptions", "writes_after_free", "bytes_quarantined",
        "cumulative_bytes", "suggested_pool_size"), _COUNT), others=_COUNT),
    "orders": [_Object(dict.fromkeys(("block_size", *_ORDER_SUMS), _COUNT), optional={"cached": _COUNT})],
    "buffers": [_Object({"owner_id": _COUNT, "seq": _COUNT, "requested": _COUNT,
                         "block_size": _COUNT, "record_ok": _FLAG, **_SITE},
                        optional={"owner": _COUNT, **_CODE_SITE})],
    "errors": [_Object({"name": _TEXT, "ptr": _TEXT, "requested": _COUNT, "block_size": _COUNT,
                        "offset": _COUNT, "owner": _COUNT, "caller": _COUNT, "message": _TEXT,
                        **_SITE}, optional=_CODE_SITE)],
    # Runs of blocks: [offset, order, state, owner id, count].
    "map": _Object({"regions": [_Object({"start": _ADDRESS, "bytes": _COUNT,
                                         "blocks": [(_COUNT, _ORDER, _STATE, _COUNT, _COUNT)]})]}),
}, optional={"owners": [_Object({"id": _COUNT, **_SITE}, optional={"task": _COUNT, **_CODE_SITE})]})
_SNAPSHOT.optional["arenas"] = [_SNAPSHOT]        # documents of the same shape


def check_snapshot(snapshot):
    """Raises SnapshotError unless `snapshot` (parsed JSON) holds everything
    render() reads, as what it reads it as: the one check of a document's
    shape, so that a file of another shape is refused with a message rather
    than failing half-way through drawing."""
    _check([snapshot], _SNAPSHOT, "")
    # Every run of blocks lies in its region, or the map would draw outside
    # its grid. The arenas' regions are drawn with the pool's min_block.
    min_block = snapshot["config"]["min_block"]
    for where, document in [("", snapshot), *(("arenas[].", arena) for arena in snapshot.get("arenas", []))]:
        for region in document["map"]["regions"]:
            for offset, order, _, _, count in region["blocks"]:
                if offset + (count * min_block << order) > region["bytes"]:
                    raise SnapshotError(f"{where}map.regions[].blocks[]",
                                        f"a run at offset {offset} ends past its region of {region['bytes']} bytes")


def _check(values, shape, where):
    """Raises SnapshotError unless every one of `values` (all the values at
    `where`: one for "stats", one per buffer for "buffers[].seq") has
    `shape`. A column at a time, so that a million buffers cost a few passes
    of built-in functions rather than millions of Python calls."""
    if not values:
        return                              # (and the arenas' shape, which holds itself, ends)
    if type(shape) is _Value:
        if not shape.test(values):
            wrong = next(value for value in values if not shape.test([value]))
            raise SnapshotError(where, f"{_shown(wrong)}, expected {shape.expected}")
        return
    if type(shape) is _Object:
        _all_of(values, dict, "an object", where)
        for key, inner in shape.required.items():
            try:
                column = list(map(operator.itemgetter(key), values))
            except KeyError:
                raise SnapshotError(where, f"an object without {json.dumps(key)}") from None
            _check(column, inner, f"{where}.{key}".lstrip("."))
        others = ({key for value in values for key in value} - shape.required.keys()
                  - shape.optional.keys() if shape.others is not None else set())
        for key in [*shape.optional, *sorted(others)]:
            _check([value[key] for value in values if key in value],
                   shape.optional.get(key, shape.others), f"{where}.{key}".lstrip("."))
        return
    _all_of(values, list, "an array", where)
    if type(shape) is tuple:
        if set(map(len, values)) - {len(shape)}:
            wrong = next(value for value in values if len(value) != len(shape))
            raise SnapshotError(where, f"{_shown(wrong)}, expected an array of {len(shape)}")
        for index, inner in enumerate(shape):
            _check(list(map(operator.itemgetter(index), values)), inner, f"{where}[{index}]")
    else:
        _check([item for value in values for item in value], shape[0], f"{where}[]")


def _all_of(values, kind, expected, where):
    if not _only(values, kind):
        wrong = next(value for value in values if type(value) is not kind)
        raise SnapshotError(where, f"{_shown(wrong)}, expected {expected}")


def _shown(value):
    """A value as a message quotes it: a container by its kind (a big one is
    not worth printing), the rest as JSON, cut short."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2329; max-width: 1100px; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ccd; }}
table {{ border-collapse: collapse; margin: 8px 0; }}
td, th {{ padding: 2px 10px; border-bottom: 1px solid #e4e4e8; text-align: left; }}
table.errors td.message {{ color: #4a5058; padding-bottom: 8px; }}
td.n, th.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.note {{ background: #fff4d6; padding: 6px 10px; border-left: 4px solid #f0b400; }}
.bad {{ color: #b3161b; font-weight: 600; }}
.muted {{ color: #667; }}
svg text {{ font: 11px system-ui, sans-serif; fill: #1d2329; }}
code {{ font-size: 12px; }}
</style></head><body>"""


def _title(snapshot):
    if snapshot is None:
        return "DMMS memory report"
    return f"DMMS memory report — pool '{snapshot['config']['name']}'"


# ---- formatting ------------------------------------------------------------------
def _size(n):
    """Bytes for people: 14.4 KiB, 1 GiB, 100 B."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:.0f} {unit}" if value == int(value) or value >= 100 else f"{value:.1f} {unit}"
    return f"{n} B"


def _exact(n):
    """Bytes exactly, with the human size beside them when it helps."""
    return f"{n:,}" if n < 1024 else f"{n:,} ({_size(n)})"


def _percent(part, whole):
    return f"{100 * part / whole:.1f}%" if whole else "–"


def _site(entry):
    """The call site of an owner, buffer or error entry of the snapshot."""
    if entry.get("site"):
        return entry["site"]               # a code address, symbolised (preload)
    if entry.get("file"):
        return f"{entry['file']}:{entry['line']}"
    return None


def _table(rows, header=None):
    """An HTML table; cells that are ints are right-aligned with separators."""
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, int):
                cells.append(f'<td class="n">{cell:,}</td>')
            else:
                cells.append(f"<td>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _swatch(colour):
    return (f'<svg width="12" height="12" class="swatch"><rect width="12" height="12" '
            f'fill="{colour}" stroke="#889" stroke-width="0.5"/></svg>')


# ---- owners ------------------------------------------------------------------------
class _Owners:
    """Owner groups (task + call site, the snapshot's "owners" ids): their
    labels, and colours given by rank of the bytes they hold in the pool."""

    def __init__(self, snapshot):
        self.entries = {owner["id"]: owner for owner in snapshot.get("owners", [])}
        held = {}   # owner id -> allocated bytes / min_block (the rank is all that matters)
        for region in snapshot["map"]["regions"]:
            for offset, order, state, owner, count in region["blocks"]:
                if state == "a":
                    held[owner] = held.get(owner, 0) + (count << order)
        ranked = sorted(held, key=held.get, reverse=True)
        self.colours = dict(zip(ranked, OWNER_COLOURS))
        self.ranked = ranked

    def colour(self, owner_id):
        return self.colours.get(owner_id, OTHER_OWNERS_COLOUR)

    def label(self, owner_id, fallback=None):
        """'task 123 at file.c:10'; `fallback` (a buffer entry) names owners
        missing from the table."""
        entry = self.entries.get(owner_id, fallback)
        if entry is None:
            return f"owner #{owner_id}"
        task = entry.get("task", entry.get("owner", 0))
        site = _site(entry)
        return f"task {task} at {site}" if site else f"task {task} (no call site)"


# ---- summary -------------------------------------------------------------------------
def _summary(snapshot):
    config, stats = snapshot["config"], snapshot["stats"]
    min_block = config["min_block"]
    lazy = sum(o["lazy_free"] * o["block_size"] for o in snapshot["orders"])
    pool = stats["pool_bytes"]
    errors = sum(stats[k] for k in ("overruns", "bad_frees", "double_frees",
                                    "corruptions", "writes_after_free"))
    version = snapshot["dmms_version"]
    options = [name for name in ("thread_safe", "guard", "track_owner", "fill_free") if config[name]]
    rows = [
        ("pool", f"'{html.escape(config['name'])}' — DMMS {version // 10000}.{version // 100 % 100}."
                 f"{version % 100}, {html.escape(config['coalesce'])} coalescing, min block {min_block} B, "
                 f"guard {config['guard_bytes']} B, {', '.join(options) or 'no options'}"),
        ("pool bytes", _exact(pool)),
        ("metadata overhead", _exact(stats["overhead_bytes"])),
        ("in use (blocks)", f"{_exact(stats['bytes_alloc'])} in {stats['blocks_alloc']:,} buffers "
                            f"({_percent(stats['bytes_alloc'], pool)} of the pool)"),
        ("requested", f"{_exact(stats['bytes_requested'])} "
                      f"({_percent(stats['bytes_requested'], stats['bytes_alloc'])} of the blocks in use)"),
        ("free", f"{_exact(stats['bytes_free'])} in {stats['blocks_free']:,} blocks, "
                 f"largest {_exact(stats['max_block_free'])}, lazily free {_exact(lazy)}"),
        ("quarantined", _exact(stats["bytes_quarantined"])),
        ("peak in use", _exact(stats["max_bytes_alloc"])),
        ("allocations", f"{stats['total_allocs']:,} allocs, {stats['total_frees']:,} frees, "
                        f"{stats['failed_allocs']:,} failed; {_exact(stats['cumulative_bytes'])} handed out"),
        ("buddy work", f"{stats['splits']:,} splits, {stats['merges']:,} merges, "
                       f"{stats['demand_joins']:,} on-demand joins"),
        ("errors", f'<span class="bad">{errors:,}</span>' if errors else "0"),
        ("suggested pool size", _exact(stats["suggested_pool_size"])),
    ]
    # The pool as one bar: what is asked for, what rounding to blocks wastes,
    # what is free and what is lost to quarantine.
    parts = [("requested", stats["bytes_requested"], OWNER_COLOURS[0]),
             ("rounding slack", stats["bytes_alloc"] - stats["bytes_requested"], "#9ecae1"),
             ("free", stats["bytes_free"] - lazy, FREE_COLOUR),
             ("lazily free", lazy, LAZY_COLOUR),
             ("quarantined", stats["bytes_quarantined"], QUARANTINE_COLOUR)]
    width, x, bars, legend = 800, 0.0, [], []
    for index, (name, amount, colour) in enumerate(parts):
        share = width * amount / pool if pool else 0
        bars.append(f'<rect class="usage" x="{x:.1f}" y="0" width="{share:.1f}" height="18" '
                    f'fill="{colour}"><title>{name}: {_exact(amount)}</title></rect>')
        legend.append(f'<rect x="{index * 160}" y="26" width="10" height="10" fill="{colour}"/>'
                      f'<text x="{index * 160 + 14}" y="35">{name} {_size(amount)}</text>')
        x += share
    bar = (f'<svg id="usage" width="{width}" height="40" role="img" aria-label="pool usage">'
           f'{"".join(bars)}{"".join(legend)}</svg>')
    return "<h2>Summary</h2>\n" + _table(rows) + "\n" + bar


# ---- in use vs high water ----------------------------------------------------------
def _orders_chart(snapshot):
    stats = snapshot["stats"]
    rows = [o for o in snapshot["orders"]
            if o["high_water"] or o["in_use"] or o["allocs"] or o["failures"]]
    suggested = stats["suggested_pool_size"]
    text = (f"<p>Suggested pool size: <b>{_exact(suggested)}</b> — the smallest pool that "
            f"holds every block size at its high-water mark at once (this pool: "
            f"{_size(stats['pool_bytes'])} of blocks + {_size(stats['overhead_bytes'])} of "
            f"metadata).</p>")
    if not rows:
        return "<h2>Block sizes: in use and high water</h2>\n" + text + "<p>No allocations.</p>"
    label, bar, row_height = 80, 560, 22
    scale = max(o["high_water"] * o["block_size"] for o in rows) or 1
    out = [f'<svg id="orders" width="{label + bar + 330}" height="{row_height * len(rows) + 24}" '
           f'role="img" aria-label="in use and high water per block size">']
    for index, o in enumerate(rows):
        y = index * row_height
        high = bar * o["high_water"] * o["block_size"] / scale
        now = bar * o["in_use"] * o["block_size"] / scale
        # The built-in pools' reuse cache: free blocks kept ready at this size.
        cached = f', {o["cached"]:,} cached' if o.get("cached") else ""
        failed = f', <tspan class="bad">{o["failures"]:,} failed</tspan>' if o["failures"] else ""
        out.append(
            f'<text x="{label - 6}" y="{y + 15}" text-anchor="end">{_size(o["block_size"])}</text>'
            f'<rect class="high-water" x="{label}" y="{y + 3}" width="{high:.1f}" height="16" fill="#c6dbef">'
            f'<title>high water {o["high_water"]:,} × {_size(o["block_size"])}</title></rect>'
            f'<rect class="in-use" x="{label}" y="{y + 7}" width="{now:.1f}" height="8" fill="#08519c">'
            f'<title>in use {o["in_use"]:,} × {_size(o["block_size"])}</title></rect>'
            f'<text x="{label + bar + 8}" y="{y + 15}">{o["in_use"]:,} in use / {o["high_water"]:,} '
            f'high water, {o["allocs"]:,} allocs{cached}{failed}</text>')
    y = row_height * len(rows) + 16
    out.append(f'<rect x="{label}" y="{y - 9}" width="10" height="10" fill="#c6dbef"/>'
               f'<text x="{label + 14}" y="{y}">high water</text>'
               f'<rect x="{label + 100}" y="{y - 7}" width="10" height="6" fill="#08519c"/>'
               f'<text x="{label + 114}" y="{y}">in use (bar length: buffers × block size)</text></svg>')
    return "<h2>Block sizes: in use and high water</h2>\n" + text + "\n" + "".join(out)


# ---- memory over time --------------------------------------------------------------
def _duration(ns):
    """Nanoseconds for people: 0, 850 µs, 12.5 ms, 3.20 s."""
    if ns == 0:
        return "0"
    if ns >= 1_000_000_000:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1_000_000:
        return f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e3:.0f} µs"


class _Frame:
    """The axes of a chart over [0, t_end] x [0, top]."""
    left, right, top_margin, height = 70, 880, 10, 220

    def __init__(self, t_end, top):
        self.t_end, self.top = max(t_end, 1), max(top, 1)

    def x(self, t):
        return self.left + (self.right - self.left) * t / self.t_end

    def y(self, value):
        return self.top_margin + self.height * (1 - value / self.top)

    def axes(self):
        out = [f'<line x1="{self.left}" y1="{self.y(0):.1f}" x2="{self.right}" y2="{self.y(0):.1f}" stroke="#889"/>',
               f'<line x1="{self.left}" y1="{self.top_margin}" x2="{self.left}" y2="{self.y(0):.1f}" stroke="#889"/>']
        for fraction in (0, 0.5, 1):
            out.append(f'<text x="{self.left - 6}" y="{self.y(self.top * fraction) + 4:.1f}" '
                       f'text-anchor="end">{_size(int(self.top * fraction))}</text>')
            anchor = "start" if fraction == 0 else "end" if fraction == 1 else "middle"
            out.append(f'<text x="{self.x(self.t_end * fraction):.1f}" y="{self.y(0) + 16:.1f}" '
                       f'text-anchor="{anchor}">{_duration(int(self.t_end * fraction))}</text>')
        return out

    def line(self, points, value):
        return " ".join(f"{self.x(p.t_ns):.1f},{self.y(value(p)):.1f}" for p in points)

    def area(self, points, low, high):
        """A band between two values over time, as polygon points."""
        upper = [f"{self.x(p.t_ns):.1f},{self.y(high(p)):.1f}" for p in points]
        lower = [f"{self.x(p.t_ns):.1f},{self.y(low(p)):.1f}" for p in reversed(points)]
        return " ".join(upper + lower)


def _memory_over_time(timeline):
    points = timeline.points
    head = "<h2>Memory over time</h2>"
    if not points:
        return head + "\n<p>The timeline holds no samples.</p>"
    last = points[-1]
    peak = max(points, key=lambda p: p.bytes_in_use)
    # When the peak was reached: the first sample whose peak is the final one.
    peak_at = next(p for p in points if p.bytes_peak == last.bytes_peak)
    errors = [(p, p.errors - q.errors) for q, p in zip([points[0]] + points[:-1], points)
              if p.errors > q.errors or (p is points[0] and p.errors)]
    text = (f"<p>{timeline.samples:,} samples over {_duration(last.t_ns)} (process {timeline.pid}, "
            f"{timeline.pools} pool{'s' if timeline.pools != 1 else ''}): requested bytes of the live "
            f"buffers and bytes of their blocks. Peak {_exact(last.bytes_peak)} of blocks, reached by "
            f"{_duration(peak_at.t_ns)}; {'at exit' if timeline.ended else 'at the last sample'} "
            f"{_exact(last.bytes_in_use)} of blocks, {_exact(last.bytes_requested)} requested"
            f"{f', {last.errors:,} errors' if last.errors else ''}.</p>")
    shown = downsample(points, TIMELINE_POINTS)
    frame = _Frame(last.t_ns, max(last.bytes_peak, peak.bytes_in_use))
    out = [f'<svg id="timeline" width="{frame.right + 150}" height="{frame.height + 60}" role="img" '
           f'aria-label="bytes in use over time">', *frame.axes(),
           f'<polygon class="blocks" fill="{BLOCKS_COLOUR}" points="{frame.area(shown, lambda p: 0, lambda p: p.bytes_in_use)}">'
           f'<title>bytes of blocks in use</title></polygon>',
           f'<polyline class="requested" fill="none" stroke="{REQUESTED_COLOUR}" stroke-width="1.5" '
           f'points="{frame.line(shown, lambda p: p.bytes_requested)}"><title>bytes requested</title></polyline>']
    x, y = frame.x(peak_at.t_ns), frame.y(last.bytes_peak)
    out.append(f'<circle class="peak" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PEAK_COLOUR}">'
               f'<title>peak {_exact(last.bytes_peak)} by {_duration(peak_at.t_ns)}</title></circle>'
               f'<text x="{min(x + 8, frame.right - 60):.1f}" y="{max(y + 4, 22):.1f}">peak {_size(last.bytes_peak)}</text>')
    for point, count in errors[:ERROR_MARKS]:
        out.append(f'<rect class="error-mark" x="{frame.x(point.t_ns) - 1.5:.1f}" y="{frame.top_margin}" width="3" '
                   f'height="{frame.height}" fill="{QUARANTINE_COLOUR}" opacity="0.6"><title>{count:,} error'
                   f'{"s" if count != 1 else ""} by {_duration(point.t_ns)}</title></rect>')
    legend_y = frame.height + 52
    out.append(f'<rect x="{frame.left}" y="{legend_y - 9}" width="10" height="10" fill="{BLOCKS_COLOUR}"/>'
               f'<text x="{frame.left + 14}" y="{legend_y}">blocks in use</text>'
               f'<rect x="{frame.left + 120}" y="{legend_y - 5}" width="14" height="2" fill="{REQUESTED_COLOUR}"/>'
               f'<text x="{frame.left + 138}" y="{legend_y}">requested</text>'
               f'<circle cx="{frame.left + 225}" cy="{legend_y - 4}" r="4" fill="{PEAK_COLOUR}"/>'
               f'<text x="{frame.left + 233}" y="{legend_y}">peak</text>'
               f'<rect x="{frame.left + 280}" y="{legend_y - 9}" width="3" height="10" fill="{QUARANTINE_COLOUR}"/>'
               f'<text x="{frame.left + 288}" y="{legend_y}">errors</text></svg>')
    if len(errors) > ERROR_MARKS:
        text += f"<p>The first {ERROR_MARKS} of {len(errors):,} moments with errors are marked.</p>"
    return "\n".join([head, text, "".join(out), _sizes_over_time(timeline, shown, frame)])


def _sizes_over_time(timeline, shown, frame):
    """Block bytes in use per block size over time, as stacked bands."""
    sizes = {}
    for point in shown:
        for pool in point.pools:
            for size in pool.get("sizes", {}):
                sizes[int(size)] = max(sizes.get(int(size), 0), point.in_use(size) * int(size))
    ranked = [size for size, most in sorted(sizes.items(), key=lambda kv: -kv[1]) if most > 0]
    bands = sorted(ranked[:TIMELINE_SIZES])
    if not bands:
        return ""
    rest = set(ranked[TIMELINE_SIZES:])
    values = []
    for point in shown:
        rows = {size: point.in_use(size) * size for size in bands}
        rows["other"] = sum(point.in_use(size) * size for size in rest)
        values.append(rows)
    keys = bands + (["other"] if rest else [])
    top = max(sum(v.values()) for v in values) or 1
    stacked = _Frame(frame.t_end, top)
    out = ["<h3>Block bytes in use per block size</h3>",
           f'<svg id="timeline-sizes" width="{stacked.right + 150}" height="{stacked.height + 40}" role="img" '
           f'aria-label="block bytes in use per block size over time">', *stacked.axes()]
    base = [0] * len(shown)
    for index, key in enumerate(keys):
        colour = OTHER_OWNERS_COLOUR if key == "other" else OWNER_COLOURS[index % len(OWNER_COLOURS)]
        high = [b + v[key] for b, v in zip(base, values)]
        low_of = dict(zip(map(id, shown), base))
        high_of = dict(zip(map(id, shown), high))
        label = "other sizes" if key == "other" else _size(key)
        out.append(f'<polygon class="size-band" fill="{colour}" points="'
                   f'{stacked.area(shown, lambda p: low_of[id(p)], lambda p: high_of[id(p)])}">'
                   f'<title>{label} blocks</title></polygon>')
        y = stacked.top_margin + 14 * index
        out.append(f'<rect x="{stacked.right + 10}" y="{y}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{stacked.right + 24}" y="{y + 9}">{label}</text>')
        base = high
    out.append("</svg>")
    return "\n".join(out)


# ---- the pool map -------------------------------------------------------------------
@dataclass
class _Cell:
    """What a stretch of address space holds, in bytes per state."""
    allocated: int = 0
    free: int = 0
    lazy: int = 0
    quarantined: int = 0
    owners: dict = field(default_factory=dict)   # owner id -> allocated bytes

    def add(self, state, owner, amount):
        if state == "a":
            self.allocated += amount
            self.owners[owner] = self.owners.get(owner, 0) + amount
        elif state == "f":
            self.free += amount
        elif state == "l":
            self.lazy += amount
        else:
            self.quarantined += amount

    def merge(self, other):
        self.allocated += other.allocated
        self.free += other.free
        self.lazy += other.lazy
        self.quarantined += other.quarantined
        for owner, amount in other.owners.items():
            self.owners[owner] = self.owners.get(owner, 0) + amount

    def look(self, cell_bytes, owners):
        """(colour, level) of the cell, None for a cell all free. The rarest
        state present wins, so that one quarantined or allocated block is
        never hidden by the free space around it. An allocated cell is
        filled from the bottom as far as it is allocated, in quarters
        rounded up; the other states fill it."""
        if self.quarantined:
            return QUARANTINE_COLOUR, 4
        if self.allocated:
            owner = max(self.owners, key=self.owners.get)
            return owners.colour(owner), min(4, -(-4 * self.allocated // cell_bytes))
        if self.lazy:
            return LAZY_COLOUR, 4
        return None


def _region_cells(region, min_block, cells):
    """The region cut into at most `cells` cells of a power-of-two size (so
    that the rows' offsets read well), with every run of blocks added to the
    cells it covers. Work: O(runs + cells),
    as a run crosses a cell boundary only where it covers whole cells."""
    cell_bytes = max(min_block, 1 << (-(-region["bytes"] // cells) - 1).bit_length())
    grid = [_Cell() for _ in range(-(-region["bytes"] // cell_bytes))]
    for offset, order, state, owner, count in region["blocks"]:
        start, end = offset, offset + (count * min_block << order)
        index = start // cell_bytes
        while start < end:
            piece = min(end, (index + 1) * cell_bytes) - start
            grid[index].add(state, owner, piece)
            start += piece
            index += 1
    return grid, cell_bytes


def _pool_map(snapshot, owners):
    regions = snapshot["map"]["regions"]
    min_block = snapshot["config"]["min_block"]
    total = sum(region["bytes"] for region in regions) or 1
    out = ["<h2>Pool map</h2>",
           "<p>Each region cut into cells of equal size, read left to right, top to bottom. "
           "A cell shows the rarest state in it (quarantined, then allocated, then lazily free, "
           "then free); an allocated cell takes its main owner's colour and is filled as far as "
           "it is allocated. Hover a cell or a row for its contents.</p>"]
    if not regions:
        out.append("<p>No regions.</p>")
    for number, region in enumerate(regions):
        share = max(MAP_MIN_CELLS, MAP_CELLS * region["bytes"] // total)
        grid, cell_bytes = _region_cells(region, min_block, share)
        out.append(_region_svg(number, region, grid, cell_bytes, owners))
    out.append(_map_legend(owners))
    return "\n".join(out)


def _region_svg(number, region, grid, cell_bytes, owners):
    start = int(region["start"], 16)
    rows = -(-len(grid) // MAP_COLUMNS)
    label = 70
    out = [f'<p>Region {number + 1}: {html.escape(region["start"])}, {_exact(region["bytes"])}, '
           f'{len(grid):,} cells of {_size(cell_bytes)}</p>',
           f'<svg id="map-{number}" class="map" width="{label + MAP_COLUMNS * CELL}" '
           f'height="{rows * (CELL + 2)}" role="img" aria-label="map of region {number + 1}">']
    for row in range(rows):
        y = row * (CELL + 2)
        cells = grid[row * MAP_COLUMNS:(row + 1) * MAP_COLUMNS]
        row_start = start + row * MAP_COLUMNS * cell_bytes
        if rows <= 16 or row % 4 == 0:
            out.append(f'<text x="{label - 6}" y="{y + CELL - 3}" text-anchor="end">'
                       f'+{_size(row * MAP_COLUMNS * cell_bytes)}</text>')
        # The row is drawn free; only the cells that are not are drawn on it.
        whole = _Cell()
        for cell in cells:
            whole.merge(cell)
        title = _cell_title(row_start, len(cells) * cell_bytes, whole, owners)
        out.append(f'<rect class="row" x="{label}" y="{y}" width="{len(cells) * CELL}" '
                   f'height="{CELL}" fill="{FREE_COLOUR}"><title>{html.escape(title)}</title></rect>')
        column = 0
        while column < len(cells):
            # Neighbours that look the same are drawn as one rectangle: the
            # element count follows what the map shows, not the pool's size.
            look = cells[column].look(cell_bytes, owners)
            merged = _Cell()
            width = 0
            while column + width < len(cells) and cells[column + width].look(cell_bytes, owners) == look:
                merged.merge(cells[column + width])
                width += 1
            if look is not None:
                colour, level = look
                height = CELL * level // 4
                title = _cell_title(row_start + column * cell_bytes, width * cell_bytes, merged, owners)
                out.append(f'<rect class="cell" x="{label + column * CELL}" y="{y + CELL - height}" '
                           f'width="{width * CELL}" height="{height}" fill="{colour}">'
                           f'<title>{html.escape(title)}</title></rect>')
            column += width
    out.append("</svg>")
    return "\n".join(out)


def _cell_title(address, length, cell, owners):
    parts = [f"{name} {_size(amount)}" for name, amount in
             (("allocated", cell.allocated), ("free", cell.free), ("lazily free", cell.lazy),
              ("quarantined", cell.quarantined)) if amount]
    text = f"{address:#x} +{_size(length)}: " + (", ".join(parts) or "not in blocks")
    if cell.owners:
        main = max(cell.owners, key=cell.owners.get)
        text += f"; mostly {owners.label(main)}"
        if len(cell.owners) > 1:
            text += f" (of {len(cell.owners)} owners)"
    return text


def _map_legend(owners):
    items = [(FREE_COLOUR, "free"), (LAZY_COLOUR, "lazily free"),
             (QUARANTINE_COLOUR, "quarantined")]
    items += [(owners.colour(owner), html.escape(owners.label(owner)))
              for owner in owners.ranked[:len(OWNER_COLOURS)]]
    if len(owners.ranked) > len(OWNER_COLOURS):
        items.append((OTHER_OWNERS_COLOUR, f"{len(owners.ranked) - len(OWNER_COLOURS)} other owners"))
    rows = "".join(f'<rect x="0" y="{i * 16}" width="12" height="12" fill="{colour}" '
                   f'stroke="#889" stroke-width="0.5"/><text x="18" y="{i * 16 + 10}">{text}</text>'
                   for i, (colour, text) in enumerate(items))
    return (f'<svg id="map-legend" width="900" height="{len(items) * 16}" role="img" '
            f'aria-label="map legend">{rows}</svg>')


# ---- live buffers by owner and call site --------------------------------------------------
def _live_buffers(snapshot, owners):
    groups = {}
    damaged = 0
    for buffer in snapshot["buffers"]:
        group = groups.get(buffer["owner_id"])
        if group is None:
            group = groups[buffer["owner_id"]] = {"count": 0, "requested": 0, "blocks": 0,
                                                  "first": buffer["seq"], "last": buffer["seq"],
                                                  "example": buffer}
        group["count"] += 1
        group["requested"] += buffer["requested"]
        group["blocks"] += buffer["block_size"]
        group["first"] = min(group["first"], buffer["seq"])
        group["last"] = max(group["last"], buffer["seq"])
        damaged += not buffer["record_ok"]
    ranked = sorted(groups.items(), key=lambda item: item[1]["requested"], reverse=True)
    out = ["<h2>Live buffers by owner and call site</h2>",
           "<p>Largest first (requested bytes). In a snapshot taken at exit, every live buffer "
           "is a leak.</p>"]
    if not ranked:
        out.append("<p>No live buffers.</p>")
        return "\n".join(out)
    most = ranked[0][1]["requested"] or 1
    rows = []
    for owner_id, group in ranked[:GROUPS_SHOWN]:
        share = 120 * group["requested"] / most
        bar = (f'<svg width="120" height="10"><rect class="leak" width="{share:.1f}" height="10" '
               f'fill="{owners.colour(owner_id)}"/></svg>')
        rows.append((_swatch(owners.colour(owner_id)),
                     html.escape(owners.label(owner_id, group["example"])),
                     group["count"], group["requested"], group["blocks"],
                     f"{group['first']}–{group['last']}", bar))
    out.append(_table(rows, ["", "owner and call site", "buffers", "requested bytes",
                             "block bytes", "seq", ""]))
    if len(ranked) > GROUPS_SHOWN:
        rest = ranked[GROUPS_SHOWN:]
        out.append(f"<p class='muted'>and {len(rest):,} more groups: "
                   f"{sum(g['count'] for _, g in rest):,} buffers, "
                   f"{_exact(sum(g['requested'] for _, g in rest))} requested.</p>")
    total = sum(g["requested"] for _, g in ranked)
    out.append(f"<p>{len(snapshot['buffers']):,} live buffers, {_exact(total)} requested, "
               f"in {len(ranked):,} owner/call-site groups.</p>")
    if damaged:
        out.append(f'<p class="bad">{damaged:,} live buffers have a damaged owner record.</p>')
    return "\n".join(out)


# ---- errors -------------------------------------------------------------------------------
def _errors(snapshot):
    stats = snapshot["stats"]
    counters = [("overruns", stats["overruns"]), ("bad frees", stats["bad_frees"]),
                ("double frees", stats["double_frees"]), ("corruptions", stats["corruptions"]),
                ("writes after free", stats["writes_after_free"]),
                ("failed allocations", stats["failed_allocs"]),
                ("bytes quarantined", stats["bytes_quarantined"])]
    out = ["<h2>Errors</h2>", _table(counters)]
    errors = snapshot["errors"][-ERRORS_SHOWN:]
    if not errors:
        out.append("<p>No errors reported.</p>")
        return "\n".join(out)
    out.append(f"<p>The {len(errors)} most recent, oldest first, each with the library's report "
               f"below it:</p>")
    header = ["status", "address", "requested", "block", "offset", "allocated by", "found by"]
    rows = ['<table class="errors">', "<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"]
    for error in errors:
        site = _site(error)
        owner = f"task {error['owner']}" + (f" at {site}" if site else "") if error["owner"] else ""
        rows.append(f'<tr><td class="bad">{html.escape(error["name"])}</td>'
                    f'<td><code>{html.escape(error["ptr"])}</code></td>'
                    + "".join(f'<td class="n">{n:,}</td>'
                              for n in (error["requested"], error["block_size"], error["offset"]))
                    + f'<td>{html.escape(owner)}</td><td>task {error["caller"]}</td></tr>'
                    f'<tr><td class="message" colspan="{len(header)}">'
                    f'{html.escape(error["message"])}</td></tr>')
    rows.append("</table>")
    out.append("\n".join(rows))
    return "\n".join(out)
