"""dmms — Python binding of DMMS, the buddy-system allocator for real-time C
programs (libdmms.so, include/dmms.h), and its HTML memory report.

    import dmms
    with dmms.Pool(1 << 20, name="demo") as pool:
        buffer = pool.alloc(100)
        print(pool.show(1))
        pool.free(buffer)

Tools: `python3 -m dmms report SNAPSHOT.json -o report.html` and
`python3 -m dmms run [-o report.html] -- COMMAND...` (see __main__.py).
"""

from .abi import (DMMS_COALESCE_EAGER, DMMS_COALESCE_LAZY, DMMS_COALESCE_ON_DEMAND,
                  DMMS_E_BUSY, DMMS_E_CORRUPT, DMMS_E_DOUBLE_FREE, DMMS_E_INVALID_ARG,
                  DMMS_E_NO_MEMORY, DMMS_E_NOT_BLOCK, DMMS_E_NOT_OWNED, DMMS_E_OVERRUN,
                  DMMS_E_WRITE_AFTER_FREE, DMMS_F_ABORT_ON_ERROR, DMMS_F_FILL_FREE,
                  DMMS_F_GUARD, DMMS_F_THREAD_SAFE, DMMS_F_TRACK_OWNER, DMMS_MAX_ORDERS,
                  DMMS_OK, LibraryNotFound)
from .pool import (Block, DMMSError, ErrorReport, OrderStats, Pool, Stats, status_name,
                   usable_size, version)
from .report import SnapshotError, check_snapshot, render, write_report

__all__ = [
    "Block", "DMMSError", "ErrorReport", "LibraryNotFound", "OrderStats", "Pool", "SnapshotError",
    "Stats", "check_snapshot", "render", "status_name", "usable_size", "version", "write_report",
    "DMMS_OK", "DMMS_E_INVALID_ARG", "DMMS_E_NO_MEMORY", "DMMS_E_NOT_OWNED",
    "DMMS_E_NOT_BLOCK", "DMMS_E_DOUBLE_FREE", "DMMS_E_OVERRUN", "DMMS_E_CORRUPT",
    "DMMS_E_WRITE_AFTER_FREE", "DMMS_E_BUSY", "DMMS_COALESCE_LAZY", "DMMS_COALESCE_EAGER",
    "DMMS_COALESCE_ON_DEMAND", "DMMS_F_THREAD_SAFE", "DMMS_F_GUARD", "DMMS_F_TRACK_OWNER",
    "DMMS_F_FILL_FREE", "DMMS_F_ABORT_ON_ERROR", "DMMS_MAX_ORDERS",
]
