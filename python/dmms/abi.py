"""The C ABI of include/dmms.h, in ctypes: constants, structs, callback types,
function prototypes, and how the library is found.

This module mirrors the header and holds no behaviour of its own; `pool.py`
builds the Pythonic interface on top of it. Tests/python/test_abi.py compiles
a C program against dmms.h to check that every struct here has the header's
layout, and parses the header to check that every function has a prototype
with the header's types. Keep the two in step when the header changes.
"""

import ctypes
import ctypes.util
import functools
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_int32, c_size_t,
                    c_uint32, c_uint64, c_void_p)
from pathlib import Path

# ---- status codes (dmms_status_t) -------------------------------------------
DMMS_OK = 0
DMMS_E_INVALID_ARG = 1
DMMS_E_NO_MEMORY = 2
DMMS_E_NOT_OWNED = 3
DMMS_E_NOT_BLOCK = 4
DMMS_E_DOUBLE_FREE = 5
DMMS_E_OVERRUN = 6
DMMS_E_CORRUPT = 7
DMMS_E_WRITE_AFTER_FREE = 8
DMMS_E_BUSY = 9

# ---- configuration -------------------------------------------------------------
DMMS_COALESCE_LAZY = 0
DMMS_COALESCE_EAGER = 1
DMMS_COALESCE_ON_DEMAND = 2

DMMS_F_THREAD_SAFE = 0x01
DMMS_F_GUARD = 0x02
DMMS_F_TRACK_OWNER = 0x04
DMMS_F_FILL_FREE = 0x08
DMMS_F_ABORT_ON_ERROR = 0x10

DMMS_MAX_ORDERS = 48

# The policy names used by Pool(coalesce=...), the JSON report and Stats.
COALESCE_NAMES = {"lazy": DMMS_COALESCE_LAZY, "eager": DMMS_COALESCE_EAGER,
                  "on_demand": DMMS_COALESCE_ON_DEMAND}


# ---- structs (field for field as in dmms.h) -------------------------------------
class Config(Structure):
    """dmms_config_t"""
    _fields_ = [
        ("flags", c_uint32),
        ("min_block", c_uint32),
        ("guard_bytes", c_uint32),
        ("coalesce", c_uint32),
        ("name", c_char_p),
        ("max_joins", c_uint32),
    ]


class OrderStats(Structure):
    """dmms_order_stats_t"""
    _fields_ = [
        ("block_size", c_uint64),
        ("in_use", c_uint64),
        ("high_water", c_uint64),
        ("free_blocks", c_uint64),
        ("lazy_free", c_uint64),
        ("allocs", c_uint64),
        ("failures", c_uint64),
    ]


class Stats(Structure):
    """dmms_stats_t"""
    _fields_ = [
        ("pool_bytes", c_uint64),
        ("overhead_bytes", c_uint64),
        ("bytes_free", c_uint64),
        ("blocks_free", c_uint64),
        ("max_block_free", c_uint64),
        ("bytes_alloc", c_uint64),
        ("blocks_alloc", c_uint64),
        ("max_bytes_alloc", c_uint64),
        ("bytes_requested", c_uint64),
        ("total_allocs", c_uint64),
        ("total_frees", c_uint64),
        ("failed_allocs", c_uint64),
        ("splits", c_uint64),
        ("merges", c_uint64),
        ("overruns", c_uint64),
        ("bad_frees", c_uint64),
        ("double_frees", c_uint64),
        ("corruptions", c_uint64),
        ("min_block", c_uint64),
        ("order_count", c_uint32),
        ("coalesce", c_uint32),
        ("orders", OrderStats * DMMS_MAX_ORDERS),
    ]


class BlockInfo(Structure):
    """dmms_block_info_t"""
    _fields_ = [
        ("ptr", c_void_p),
        ("requested", c_uint64),
        ("block_size", c_uint64),
        ("owner", c_uint64),
        ("file", c_char_p),
        ("line", c_int32),
        ("reserved", c_uint32),
        ("seq", c_uint64),
    ]


class Error(Structure):
    """dmms_error_t"""
    _fields_ = [
        ("status", c_int32),
        ("reserved", c_uint32),
        ("pool_name", c_char_p),
        ("ptr", c_void_p),
        ("requested", c_uint64),
        ("block_size", c_uint64),
        ("offset", c_uint64),
        ("owner", c_uint64),
        ("file", c_char_p),
        ("line", c_int32),
        ("reserved2", c_uint32),
        ("caller", c_uint64),
        ("message", c_char_p),
    ]


# The C typedef of each struct, for the layout test.
C_NAMES = {Config: "dmms_config_t", OrderStats: "dmms_order_stats_t", Stats: "dmms_stats_t",
           BlockInfo: "dmms_block_info_t", Error: "dmms_error_t"}

# ---- callback types -------------------------------------------------------------
OUTPUT_FN = CFUNCTYPE(None, c_char_p, c_void_p)              # dmms_output_fn
WALK_FN = CFUNCTYPE(c_int32, POINTER(BlockInfo), c_void_p)   # dmms_walk_fn
ERROR_FN = CFUNCTYPE(None, POINTER(Error), c_void_p)         # dmms_error_fn
TASK_ID_FN = CFUNCTYPE(c_uint64)                             # dmms_task_id_fn
LOCK_FN = CFUNCTYPE(None, c_void_p)                          # dmms_lock_fn

# ---- functions: name -> (restype, argtypes) -----------------------------------------
# Pool handles (dmms_pool_t *) and buffers are c_void_p: Python sees addresses
# as ints, and None is NULL (the default pool, where a pool is expected).
POOL = c_void_p
STATUS = c_int32
PROTOTYPES = {
    "dmms_version": (c_uint32, []),
    "dmms_strerror": (c_char_p, [STATUS]),
    "dmms_config_init": (None, [POINTER(Config)]),
    "dmms_pool_overhead": (c_size_t, [c_size_t, POINTER(Config)]),
    "dmms_pool_create": (POOL, [c_void_p, c_size_t, POINTER(Config)]),
    "dmms_pool_destroy": (STATUS, [POOL]),
    "dmms_pool_add_memory": (STATUS, [POOL, c_void_p, c_size_t]),
    "dmms_default_pool": (POOL, []),
    "dmms_set_default_pool": (STATUS, [POOL]),
    "dmms_pool_alloc": (c_void_p, [POOL, c_size_t]),
    "dmms_pool_alloc_at": (c_void_p, [POOL, c_size_t, c_char_p, c_int32]),
    "dmms_pool_calloc": (c_void_p, [POOL, c_size_t, c_size_t]),
    "dmms_pool_realloc": (c_void_p, [POOL, c_void_p, c_size_t]),
    "dmms_pool_aligned_alloc": (c_void_p, [POOL, c_size_t, c_size_t]),
    "dmms_pool_free": (STATUS, [POOL, c_void_p]),
    "dmms_usable_size": (c_size_t, [c_void_p]),
    "dmms_alloc": (c_void_p, [c_size_t]),
    "dmms_free": (STATUS, [c_void_p]),
    "dmms_stats": (STATUS, [POOL, POINTER(Stats)]),
    "dmms_stats_reset_peaks": (None, [POOL]),
    "dmms_demand_joins": (c_uint64, [POOL]),
    "dmms_suggest_pool_size": (c_uint64, [POOL]),
    "dmms_show": (None, [POOL, c_int32, OUTPUT_FN, c_void_p]),
    "dmms_report_json": (None, [POOL, OUTPUT_FN, c_void_p]),
    "dmms_walk": (c_uint64, [POOL, WALK_FN, c_void_p]),
    "dmms_mark": (c_uint64, [POOL]),
    "dmms_report_leaks": (c_uint64, [POOL, c_uint64, OUTPUT_FN, c_void_p]),
    "dmms_check": (c_uint64, [POOL]),
    "dmms_timeline_sample": (c_size_t, [POOL, c_char_p, c_size_t]),
    "dmms_set_error_handler": (None, [ERROR_FN, c_void_p]),
    "dmms_set_task_id_hook": (None, [TASK_ID_FN]),
    "dmms_set_lock_hooks": (None, [LOCK_FN, LOCK_FN, LOCK_FN, LOCK_FN]),
}

LIBRARY_NAME = "libdmms.so"
PRELOAD_NAME = "libdmms_preload.so"


class LibraryNotFound(OSError):
    """libdmms.so is in none of the places `find_library` looks."""


def find_library():
    """Where libdmms.so is: $DMMS_LIBRARY, else the one bundled with an
    installed package (dmms/lib, put there when the wheel was built), else
    the build tree this package sits in (build/lib/ of the first ancestor that
    has one: running from a checkout needs no install), else the system's
    library path."""
    explicit = os.environ.get("DMMS_LIBRARY")
    if explicit:
        return explicit  # an explicit choice is never second-guessed
    bundled = Path(__file__).resolve().parent / "lib" / LIBRARY_NAME
    if bundled.exists():
        return str(bundled)
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "build" / "lib" / LIBRARY_NAME
        if candidate.exists():
            return str(candidate)
    system = ctypes.util.find_library("dmms")
    if system:
        return system
    raise LibraryNotFound(
        f"{LIBRARY_NAME} not found: set DMMS_LIBRARY to its path, build it with "
        "`make lib` in the DMMS checkout, install it (`make install`), or install "
        "this package with `pip install ./python` from the checkout, which bundles it")


@functools.cache
def library():
    """The loaded library with every prototype set (loaded on first use, so
    that `python3 -m dmms report` works on a machine without it)."""
    lib = ctypes.CDLL(find_library())
    for name, (restype, argtypes) in PROTOTYPES.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


class _DlInfo(Structure):
    """glibc's Dl_info, for dladdr."""
    _fields_ = [("dli_fname", c_char_p), ("dli_fbase", c_void_p),
                ("dli_sname", c_char_p), ("dli_saddr", c_void_p)]


def library_path():
    """The file the loaded library came from. Asked of the dynamic loader
    (dladdr) because a library found on the system path is known only by
    its soname until it is loaded."""
    function = library().dmms_version
    libc = ctypes.CDLL(None)  # dladdr lives in libc since glibc 2.34
    dladdr = libc.dladdr
    dladdr.argtypes = [c_void_p, POINTER(_DlInfo)]
    dladdr.restype = ctypes.c_int
    info = _DlInfo()
    if not dladdr(ctypes.cast(function, c_void_p), ctypes.byref(info)) or not info.dli_fname:
        raise LibraryNotFound("the dynamic loader cannot name the file of the loaded libdmms")
    return Path(os.fsdecode(info.dli_fname)).resolve()


def preload_path():
    """libdmms_preload.so beside the libdmms.so in use (it may not exist)."""
    return library_path().parent / PRELOAD_NAME
