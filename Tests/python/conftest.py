"""Shared set-up of the Python tests: the dmms package from python/ (no
install needed), a pool per test, a C compiler against include/dmms.h, and the
large snapshot the report must cope with."""

import ctypes
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

import dmms  # noqa: E402  (needs the path above)
from dmms import abi  # noqa: E402

# The library under test: build/lib of this checkout, or $DMMS_LIBRARY. C test
# programs link the same one.
LIBRARY = Path(abi.find_library())
LIB_DIR = LIBRARY.parent


def pytest_configure(config):
    if not LIBRARY.exists():
        pytest.exit(f"{LIBRARY} is missing: run `make lib` first", returncode=2)


@pytest.fixture
def pool():
    """A fresh 1 MiB pool with the default configuration, checked clean and
    destroyed after the test (so a test that leaves a buffer live fails)."""
    with dmms.Pool(1 << 20, name="test") as pool:
        yield pool
        if not pool.closed:
            assert pool.check() == 0, list(pool.errors)


@pytest.fixture(scope="session")
def compile_c(tmp_path_factory):
    """compile_c(source, name, *flags) -> path of the built program (or
    shared object with "-shared"), compiled against include/dmms.h and linked
    with build/lib/libdmms.so."""
    folder = tmp_path_factory.mktemp("c")

    def build(source, name, *flags):
        source_path = folder / f"{name}.c"
        source_path.write_text(source)
        output = folder / name
        subprocess.run(["cc", "-O2", "-Wall", "-Werror", *flags, "-I", str(REPO / "include"),
                        str(source_path), "-L", str(LIB_DIR), "-ldmms",
                        f"-Wl,-rpath,{LIB_DIR}", "-o", str(output)], check=True)
        return output

    return build


# A 1 GiB pool with a million allocations from four call sites, one in seven
# freed again: the size the report must stay readable and quick for.
BIG_POOL_C = r"""
#include <dmms.h>
#include <stdio.h>
static void out(const char *text, void *file) { fputs(text, (FILE *)file); }
int main(int argc, char **argv) {
    (void)argc;
    dmms_config_t cfg;
    dmms_config_init(&cfg);
    cfg.name = "big";
    dmms_pool_t *pool = dmms_pool_create(NULL, (size_t)1 << 30, &cfg);
    static const char *files[] = {"net.c", "disk.c", "ui.c", "log.c"};
    unsigned seed = 1;
    for (int i = 0; i < 1000000; i++) {
        seed = seed * 1103515245u + 12345u;
        void *p = dmms_pool_alloc_at(pool, 16 + (seed >> 16) % 900, files[i % 4], 10 + i % 4);
        if (!p) return 1;
        if (i % 7 == 0 && dmms_pool_free(pool, p) != DMMS_OK) return 1;
    }
    FILE *file = fopen(argv[1], "w");
    dmms_report_json(pool, out, file);
    return fclose(file) != 0;
}
"""


@pytest.fixture(scope="session")
def big_snapshot(compile_c, tmp_path_factory):
    """The snapshot of the 1 GiB, million-buffer pool."""
    program = compile_c(BIG_POOL_C, "big_pool")
    path = tmp_path_factory.mktemp("big") / "big.json"
    subprocess.run([str(program), str(path)], check=True)
    with open(path, encoding="utf-8") as source:
        return json.load(source)


@pytest.fixture(scope="session")
def big_report(big_snapshot, tmp_path_factory):
    """(path, seconds): the HTML report of the big snapshot, and how long
    rendering it took."""
    started = time.monotonic()
    html = dmms.render(big_snapshot)
    seconds = time.monotonic() - started
    path = tmp_path_factory.mktemp("big") / "big.html"
    path.write_text(html, encoding="utf-8")
    return path, seconds


@pytest.fixture(scope="session")
def sample_snapshot():
    """The snapshot of a pool with something in every part of the report:
    four owner/call-site groups, a lazily free block, a quarantined block and
    three errors. (Each alloc below is on its own line: lines are call sites.)
    At 64 KiB, a cell of the map is two minimum blocks: every state shows."""
    with dmms.Pool(1 << 16, name="sample") as pool:
        live = [pool.alloc(48) for _ in range(20)]               # 960 bytes
        live += [pool.alloc(3000) for _ in range(5)]             # 15000 bytes
        live += [pool.alloc(20_000)]                             # 20000 bytes
        trio = [pool.alloc(100) for _ in range(3)]               # 200 bytes stay
        pool.free(trio[0])                                       # lazily free (slack rule)
        live += trio[1:]
        damaged = pool.alloc(100)
        ctypes.memset(damaged + 128 - 16, 0x77, 16)              # its record: quarantined
        overrun = pool.alloc(40)
        ctypes.memset(overrun + 40, 0x40, 1)   # even: guard bytes are odd
        for ptr in (damaged, overrun, overrun):                  # CORRUPT, OVERRUN, DOUBLE_FREE
            with pytest.raises(dmms.DMMSError):
                pool.free(ptr)
        snapshot = pool.snapshot()
        for ptr in live:
            pool.free(ptr)
    return snapshot
