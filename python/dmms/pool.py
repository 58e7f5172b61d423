"""dmms.Pool: a DMMS pool driven from Python, with the library's records as
dataclasses and its failures as DMMSError.

Errors: the library reports every error it finds through one process-wide
handler (dmms_set_error_handler). This module installs its own handler when it
loads the library. The handler runs synchronously on the thread whose call
found the error, so each Pool call opens a per-thread "sink" that catches the
reports of that call alone: they go into the DMMSError it raises and into
Pool.errors, rather than to stderr. Reports that arrive outside any Pool call
(from other C code in the process) still go to stderr, as the default handler
would write them.
"""

import collections
import ctypes
import functools
import json
import operator
import sys
import threading
from dataclasses import dataclass, fields

from . import abi

# How many error reports a Pool keeps in Pool.errors (the oldest are dropped):
# a loop that keeps catching NO_MEMORY must not grow memory without bound.
ERRORS_KEPT = 256


def _text(raw):
    """A C string from the library as str (None stays None). File names may
    hold any bytes; undecodable ones become U+FFFD rather than failing."""
    return None if raw is None else raw.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """One error the library reported (dmms_error_t)."""
    status: int
    name: str
    message: str          # the library's one-line description, naming the status
    pool_name: str | None
    ptr: int
    requested: int
    block_size: int
    offset: int           # OVERRUN / WRITE_AFTER_FREE: first damaged byte, from ptr
    owner: int            # task that allocated the buffer
    file: str | None      # its call site
    line: int
    caller: int           # task whose call found the error

    @classmethod
    def from_c(cls, error):
        return cls(status=error.status, name=status_name(error.status),
                   message=_text(error.message), pool_name=_text(error.pool_name),
                   ptr=error.ptr or 0, requested=error.requested,
                   block_size=error.block_size, offset=error.offset, owner=error.owner,
                   # A site that is a code address (preload) has no file;
                   # its line field is then not a line number.
                   file=_text(error.file), line=error.line if error.file else 0,
                   caller=error.caller)


class DMMSError(Exception):
    """A DMMS call failed. `status` is the dmms_status_t code, `name` its
    name ("DMMS_E_OVERRUN"), `report` the library's ErrorReport when it made
    one (it names the buffer, its owner and, for an overrun, the offset).
    `message` stands in for a report when the binding refused the call
    before the library saw it (an int its C type cannot hold: _c_int)."""

    def __init__(self, status, report=None, message=None):
        self.status = status
        self.name = status_name(status)
        self.report = report
        super().__init__(report.message if report is not None else message or self.name)


def status_name(status):
    """dmms_strerror: "DMMS_E_NOT_BLOCK", or "DMMS_E_UNKNOWN"."""
    return _library().dmms_strerror(_c_int(status, ctypes.c_int32, "status")).decode()


@functools.cache
def _c_range(ctype):
    """(lowest, highest): the ints the C integer type `ctype` holds."""
    bits = 8 * ctypes.sizeof(ctype)
    if ctype(-1).value == -1:                        # signed
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def _c_int(value, ctype, what, *, refused=None, too_large=None):
    """`value` checked to be an int that the C type `ctype` holds; every int
    the binding passes to the library goes through here (None stays None: a
    NULL pointer). ctypes passes any other int modulo 2^bits without a word
    (alloc(2**64 + 10) would get a 10-byte buffer, free(2**64 + p) would free
    p), so it is refused before the library sees it: with DMMSError of status
    `too_large` when it is above the range and the caller knows what the
    library says to the largest value, else of status `refused`, else with
    ValueError. TypeError for what is not an int at all."""
    if value is None and ctype is ctypes.c_void_p:
        return None
    value = operator.index(value)
    low, high = _c_range(ctype)
    if low <= value <= high:
        return value
    text = f"{what} {value} is out of range of its C type ({low} to {high})"
    status = too_large if value > high and too_large is not None else refused
    if status is None:
        raise ValueError(text)
    raise DMMSError(status, message=f"{status_name(status)}: {text}")


def _size(value, what="size"):
    """A byte count for dmms_pool_alloc and the like. One past size_t is
    refused as SIZE_MAX is (DMMS_E_NO_MEMORY: no pool can meet it); a
    negative one is a mistake, not a request (ValueError)."""
    return _c_int(value, ctypes.c_size_t, what, too_large=abi.DMMS_E_NO_MEMORY)


def _config(value, ctype, what):
    """A value the library checks as configuration (the pool's size, min
    block and guard, an alignment): out of its C type either way, it is
    refused as the library refuses a bad one (DMMS_E_INVALID_ARG)."""
    return _c_int(value, ctype, what, refused=abi.DMMS_E_INVALID_ARG)


def _failure(status, reports):
    """The DMMSError for `status`, carrying the last report of that status."""
    matching = [report for report in reports if report.status == status]
    return DMMSError(status, matching[-1] if matching else None)


def _null_failure(reports, default_status):
    """The DMMSError for a call that returned NULL: the status the library
    reported for it (say INVALID_ARG for a bad alignment, DOUBLE_FREE for a
    realloc of a freed buffer), else `default_status`."""
    return _failure(reports[-1].status if reports else default_status, reports)


class _ErrorRouter:
    """The process-wide error handler, routing each report to the sink of the
    thread whose call found it."""

    def __init__(self):
        self._local = threading.local()
        # The library keeps only this callback's address: the object must live
        # as long as the handler is installed, i.e. for the process.
        self.callback = abi.ERROR_FN(self._deliver)

    def call(self, function, *args):
        """Calls `function`, returning its result and the reports it caused."""
        outer = getattr(self._local, "sink", None)  # a call made from a handler
        self._local.sink = reports = []
        try:
            result = function(*args)
        finally:
            self._local.sink = outer
        return result, reports

    def _deliver(self, error, _arg):
        report = ErrorReport.from_c(error.contents)
        sink = getattr(self._local, "sink", None)
        if sink is None:
            sys.stderr.write(f"dmms: {report.message}\n")
        else:
            sink.append(report)


_router = _ErrorRouter()


@functools.cache
def _library():
    lib = abi.library()
    lib.dmms_set_error_handler(_router.callback, None)
    return lib


def version():
    """dmms_version(): major*10000 + minor*100 + patch of the library in use."""
    return _library().dmms_version()


def usable_size(ptr):
    """dmms_usable_size: the requested size of a live DMMS buffer, else 0."""
    return _library().dmms_usable_size(_c_int(ptr, ctypes.c_void_p, "ptr"))


# The call site recorded for a buffer is a `const char *` the library keeps
# (it expects a string literal), so each file name is encoded once and kept
# for the life of the process.
_site_names = {}


def _site_name(filename):
    name = _site_names.get(filename)
    if name is None:
        name = _site_names.setdefault(filename, filename.encode("utf-8", "surrogateescape"))
    return name


@dataclass(frozen=True, slots=True)
class Block:
    """A live buffer (dmms_block_info_t), as blocks() and leaks() return it."""
    ptr: int
    requested: int
    block_size: int
    owner: int            # task id of the allocating thread
    file: str | None      # call site
    line: int
    seq: int              # per-pool allocation sequence number, from 1


@dataclass(frozen=True, slots=True)
class OrderStats:
    """One block size of dmms_stats_t.orders (order k: min_block << k)."""
    order: int
    block_size: int
    in_use: int
    high_water: int
    free_blocks: int
    lazy_free: int
    allocs: int
    failures: int


@dataclass(frozen=True, slots=True)
class Stats:
    """dmms_stats_t; `coalesce` is the policy's name, `orders` holds the
    order_count valid entries."""
    pool_bytes: int
    overhead_bytes: int
    bytes_free: int
    blocks_free: int
    max_block_free: int
    bytes_alloc: int
    blocks_alloc: int
    max_bytes_alloc: int
    bytes_requested: int
    total_allocs: int
    total_frees: int
    failed_allocs: int
    splits: int
    merges: int
    overruns: int
    bad_frees: int
    double_frees: int
    corruptions: int
    min_block: int
    coalesce: str
    orders: list

    @classmethod
    def from_c(cls, raw):
        names = {value: name for name, value in abi.COALESCE_NAMES.items()}
        orders = [OrderStats(order=k, **{f.name: getattr(raw.orders[k], f.name)
                                         for f in fields(OrderStats) if f.name != "order"})
                  for k in range(raw.order_count)]
        scalars = {f.name: getattr(raw, f.name) for f in fields(cls)
                   if f.name not in ("coalesce", "orders")}
        return cls(**scalars, coalesce=names.get(raw.coalesce, str(raw.coalesce)),
                   orders=orders)


class Pool:
    """A DMMS pool over memory the library maps from the OS.

        with dmms.Pool(1 << 20, name="sensors") as pool:
            p = pool.alloc(100)
            pool.free(p)

    Leaving the `with` block destroys the pool, which DMMS refuses (DMMSError
    DMMS_E_BUSY) while buffers are still live. Every method may be called from
    any thread when the pool is thread safe (the default). An int that the C
    type it is passed as cannot hold is refused, never wrapped: a size past
    size_t cannot be met (DMMSError DMMS_E_NO_MEMORY), a config value or an
    alignment out of range is invalid (DMMS_E_INVALID_ARG), anything else
    out of range (a negative size, a pointer past 64 bits) is a ValueError.
    """

    def __init__(self, size, *, name="pool", min_block=None, guard=None, coalesce="lazy",
                 track=True, thread_safe=True, fill_free=False, max_joins=0):
        """size: bytes of blocks (a power of two is one top block).
        name: shown in reports (None: the library's default name, as for a
        NULL name in C). min_block: power of two, 16..4096 (default 32).
        guard: guard bytes past each buffer, 0..64 (default 8; 0 turns
        overrun detection off). coalesce: 'lazy', 'eager' or 'on_demand'.
        track: record owner, call site and sequence. fill_free: fill freed
        buffers and verify the fill on reuse. max_joins: on-demand joins one
        request may do (0: no limit; see dmms.h). Raises DMMSError
        (DMMS_E_INVALID_ARG) for a configuration the library refuses."""
        if coalesce not in abi.COALESCE_NAMES:
            raise ValueError(f"coalesce must be one of {', '.join(abi.COALESCE_NAMES)}")
        lib = _library()
        config = abi.Config()
        lib.dmms_config_init(ctypes.byref(config))
        # The library copies the name; None is NULL, which it accepts.
        config.name = None if name is None else name.encode()
        # A struct field wraps an int as an argument does: each is checked.
        if min_block is not None:
            config.min_block = _config(min_block, ctypes.c_uint32, "min_block")
        if guard is not None:
            config.guard_bytes = _config(guard, ctypes.c_uint32, "guard")
        size = _config(size, ctypes.c_size_t, "size")
        config.coalesce = abi.COALESCE_NAMES[coalesce]
        config.max_joins = _config(max_joins, ctypes.c_uint32, "max_joins")
        for flag, on in ((abi.DMMS_F_GUARD, config.guard_bytes > 0),
                         (abi.DMMS_F_TRACK_OWNER, track),
                         (abi.DMMS_F_THREAD_SAFE, thread_safe),
                         (abi.DMMS_F_FILL_FREE, fill_free)):
            config.flags = config.flags | flag if on else config.flags & ~flag

        self._lib = lib
        self._pool = None
        self.name = name
        # Every ErrorReport of calls made through this pool, oldest first.
        self.errors = collections.deque(maxlen=ERRORS_KEPT)
        handle, reports = self._call(lib.dmms_pool_create, None, size, ctypes.byref(config))
        if not handle:
            raise _null_failure(reports, abi.DMMS_E_INVALID_ARG)
        self._pool = handle
        if name is None:                 # the name the library gave it, as reports show it
            self.name = self.snapshot()["config"]["name"]

    # ---- life ---------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        try:
            self.close()
        except DMMSError as error:
            if exc is None:
                raise
            exc.add_note(f"and the pool was not destroyed: {error}")  # don't hide exc
        return False

    def close(self):
        """dmms_pool_destroy; the mapped memory goes back to the OS. Raises
        DMMSError (DMMS_E_BUSY) while buffers are live: the pool stays usable
        and close() may be called again once they are freed."""
        if self._pool is None:
            return
        status, reports = self._call(self._lib.dmms_pool_destroy, self._pool)
        if status != abi.DMMS_OK:
            raise _failure(status, reports)
        self._pool = None

    @property
    def closed(self):
        return self._pool is None

    @property
    def handle(self):
        """The dmms_pool_t * as an int, for passing the pool to C code."""
        # Never None while in use: NULL means the default pool to every
        # dmms_* function, so a closed Pool must not quietly become it.
        if self._pool is None:
            raise ValueError(f"pool {self.name!r} is closed")
        return self._pool

    def __repr__(self):
        state = "closed" if self.closed else hex(self._pool)
        return f"<dmms.Pool {self.name!r} {state}>"

    def _call(self, function, *args):
        result, reports = _router.call(function, *args)
        self.errors.extend(reports)
        return result, reports

    # ---- buffers ------------------------------------------------------------------
    def alloc(self, size):
        """A buffer of `size` bytes (its address, an int). The Python line
        that called alloc is recorded as its call site, as DMMS_ALLOC does in
        C. Raises DMMSError (DMMS_E_NO_MEMORY) when the request cannot be met."""
        size = _size(size)
        caller = sys._getframe(1)
        # f_lineno is a C int in CPython: it always fits the int32_t line.
        ptr, reports = self._call(self._lib.dmms_pool_alloc_at, self.handle, size,
                                  _site_name(caller.f_code.co_filename), caller.f_lineno)
        if not ptr:
            raise _null_failure(reports, abi.DMMS_E_NO_MEMORY)
        return ptr

    def calloc(self, count, size):
        """count * size zeroed bytes; DMMSError (DMMS_E_NO_MEMORY) when they
        cannot be had or the product overflows."""
        ptr, reports = self._call(self._lib.dmms_pool_calloc, self.handle,
                                  _size(count, "count"), _size(size))
        if not ptr:
            raise _null_failure(reports, abi.DMMS_E_NO_MEMORY)
        return ptr

    def aligned_alloc(self, alignment, size):
        """A buffer aligned to `alignment` (a power of two up to the largest
        block); DMMSError DMMS_E_INVALID_ARG for a bad alignment."""
        ptr, reports = self._call(self._lib.dmms_pool_aligned_alloc, self.handle,
                                  _config(alignment, ctypes.c_size_t, "alignment"), _size(size))
        if not ptr:
            raise _null_failure(reports, abi.DMMS_E_NO_MEMORY)
        return ptr

    def realloc(self, ptr, size):
        """Resizes a live buffer, keeping its contents up to the smaller size;
        returns its (maybe new) address. Raises DMMSError with
        DMMS_E_NO_MEMORY when the request cannot be met (the old buffer is
        untouched and still live), or with the status free() would give when
        ptr is not a live buffer."""
        new, reports = self._call(self._lib.dmms_pool_realloc, self.handle,
                                  _c_int(ptr, ctypes.c_void_p, "ptr"), _size(size))
        if not new:
            raise _null_failure(reports, abi.DMMS_E_NO_MEMORY)
        return new

    def free(self, ptr):
        """Returns a buffer to the pool. Raises DMMSError with the status
        dmms_pool_free returned: NOT_OWNED, DOUBLE_FREE, NOT_BLOCK, CORRUPT
        (buffer quarantined) or OVERRUN (a guard byte was written; the buffer
        IS freed, and the report gives the offset of the first damaged byte)."""
        status, reports = self._call(self._lib.dmms_pool_free, self.handle,
                                     _c_int(ptr, ctypes.c_void_p, "ptr"))
        if status != abi.DMMS_OK:
            raise _failure(status, reports)

    # ---- figures --------------------------------------------------------------------
    def stats(self):
        """dmms_stats: a consistent snapshot of the pool's figures."""
        raw = abi.Stats()
        status, reports = self._call(self._lib.dmms_stats, self.handle, ctypes.byref(raw))
        if status != abi.DMMS_OK:
            raise _failure(status, reports)
        return Stats.from_c(raw)

    def reset_peaks(self):
        """dmms_stats_reset_peaks: every high-water mark to its current value."""
        self._call(self._lib.dmms_stats_reset_peaks, self.handle)

    def demand_joins(self):
        """dmms_demand_joins: how many requests first had to join every lazily
        freed block (the one step whose work is not bounded)."""
        return self._call(self._lib.dmms_demand_joins, self.handle)[0]

    def suggest_pool_size(self):
        """dmms_suggest_pool_size: the smallest pool that holds every block size
        at its high-water mark at once."""
        return self._call(self._lib.dmms_suggest_pool_size, self.handle)[0]

    # ---- visibility -----------------------------------------------------------------
    def _text_of(self, function, *args):
        """Runs a dmms_output_fn report and returns (its text, its result)."""
        chunks = []
        collect = abi.OUTPUT_FN(lambda text, _arg: chunks.append(text))  # alive for the call
        result, _ = self._call(function, *args, collect, None)
        return b"".join(chunks).decode("utf-8", "replace"), result

    def show(self, level=0):
        """dmms_show's text: 0 the memPartShow table, 1 + a row per block size
        and the suggested pool size, 2 + every live buffer, 3 + free blocks."""
        return self._text_of(self._lib.dmms_show, self.handle,
                             _c_int(level, ctypes.c_int32, "level"))[0]

    def snapshot(self):
        """dmms_report_json, parsed: the input of `python3 -m dmms report`."""
        return json.loads(self._text_of(self._lib.dmms_report_json, self.handle)[0])

    def timeline_sample(self):
        """dmms_timeline_sample, parsed: the pool's figures now, as a line of
        DMMS_TIMELINE holds them (see dmms.timeline)."""
        needed = self._call(self._lib.dmms_timeline_sample, self.handle, None, 0)[0]
        buffer = ctypes.create_string_buffer(needed + 32)   # t_ns may take a digit more
        length = self._call(self._lib.dmms_timeline_sample, self.handle, buffer, len(buffer))[0]
        return json.loads(buffer.raw[:length])

    def blocks(self):
        """Every live buffer (dmms_walk), in address order, as Block records."""
        found = []

        def visit(info, _arg):
            info = info.contents
            found.append(Block(ptr=info.ptr, requested=info.requested,
                               block_size=info.block_size, owner=info.owner,
                               file=_text(info.file), line=info.line, seq=info.seq))
            return 0  # go on

        self._call(self._lib.dmms_walk, self.handle, abi.WALK_FN(visit), None)
        return found

    def mark(self):
        """dmms_mark: the sequence number of the latest allocation (0: none)."""
        return self._call(self._lib.dmms_mark, self.handle)[0]

    def leaks(self, since):
        """The live buffers allocated after mark `since`, as Block records."""
        return [block for block in self.blocks() if block.seq > since]

    def leak_report(self, since):
        """dmms_report_leaks' text: those buffers grouped by owner and call
        site, largest group first."""
        return self._text_of(self._lib.dmms_report_leaks, self.handle,
                             _c_int(since, ctypes.c_uint64, "since"))[0]

    def check(self):
        """dmms_check: how many problems a full consistency check finds (0:
        consistent). Each one is also in self.errors."""
        return self._call(self._lib.dmms_check, self.handle)[0]
