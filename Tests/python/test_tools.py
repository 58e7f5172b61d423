"""The command-line tools and the example: `python3 -m dmms run` under a
stand-in preload library (always) and under libdmms_preload.so (once it is
built), and examples/explore_pool.py."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from dmms import abi

from conftest import LIBRARY, REPO
from dom import Page

# What `run` relies on from libdmms_preload.so, and nothing else: loaded
# beside the program, it writes the default pool's snapshot at exit to
# $DMMS_REPORT_JSON. (The real one also takes over malloc.)
STAND_IN_PRELOAD = r"""
#include <dmms.h>
#include <stdio.h>
#include <stdlib.h>
static void out(const char *text, void *file) { fputs(text, (FILE *)file); }
__attribute__((destructor)) static void write_snapshot(void) {
    const char *path = getenv("DMMS_REPORT_JSON");
    FILE *file = path ? fopen(path, "w") : NULL;
    if (file) { dmms_report_json(NULL, out, file); fclose(file); }
}
"""

LEAKY_PROGRAM = r"""
#include <dmms.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    for (int i = 0; i < 5; i++) DMMS_ALLOC(100);          /* line 6: leaked */
    if (argc > 1 && strcmp(argv[1], "crash") == 0) abort();
    return 3;
}
"""


@pytest.fixture(scope="module")
def stand_in(compile_c, tmp_path_factory):
    """(environment for `run`, the leaky program): DMMS_LIBRARY names a copy
    of libdmms.so with the stand-in preload beside it."""
    folder = tmp_path_factory.mktemp("stand-in")
    shutil.copy(LIBRARY.resolve(), folder / "libdmms.so")
    shutil.copy(compile_c(STAND_IN_PRELOAD, "preload.so", "-shared", "-fPIC"),
                folder / "libdmms_preload.so")
    env = dict(os.environ, DMMS_LIBRARY=str(folder / "libdmms.so"),
               PYTHONPATH=str(REPO / "python"))
    return env, compile_c(LEAKY_PROGRAM, "leak_program")


def run_tool(env, report, *command):
    return subprocess.run([sys.executable, "-m", "dmms", "run", "-o", str(report), "--", *command],
                          env=env, capture_output=True, text=True, timeout=120)


def test_run_reports_a_program_and_exits_with_its_status(stand_in, tmp_path):
    env, program = stand_in
    report = tmp_path / "report.html"
    result = run_tool(env, report, program)
    assert result.returncode == 3, result.stderr
    text = "".join(Page(report.read_text()).text)
    assert "The program exited with status 3." in text
    assert re.search(r"leak_program\.c:6\s*5\s*500", text)       # site, buffers, bytes
    assert f"dmms: report written to {report}" in result.stderr


def test_run_writes_the_report_when_the_program_dies(stand_in, tmp_path):
    env, program = stand_in
    report = tmp_path / "report.html"
    result = run_tool(env, report, program, "crash")
    assert result.returncode == 128 + 6                           # SIGABRT, as a shell says
    text = report.read_text()
    assert "killed by signal 6" in text and "left no snapshot" in text


def test_run_of_a_program_that_cannot_start(stand_in, tmp_path):
    env, _ = stand_in
    report = tmp_path / "report.html"
    result = run_tool(env, report, str(tmp_path / "no-such-program"))
    assert result.returncode == 127
    assert "could not be started" in report.read_text()


def test_run_needs_the_preload_library_beside_libdmms(tmp_path):
    shutil.copy(LIBRARY.resolve(), tmp_path / "libdmms.so")
    env = dict(os.environ, DMMS_LIBRARY=str(tmp_path / "libdmms.so"),
               PYTHONPATH=str(REPO / "python"))
    result = run_tool(env, tmp_path / "report.html", "true")
    assert result.returncode == 2
    assert f"{tmp_path / 'libdmms_preload.so'} not found" in result.stderr
    assert not (tmp_path / "report.html").exists()


MALLOC_PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    for (int i = 0; i < 10; i++)
        if (!malloc(64)) return 1;                 /* leaked */
    free(malloc(100));
    puts("done");
    return 5;
}
"""


def test_run_under_the_real_preload_library(tmp_path):
    assert abi.preload_path().exists(), f"{abi.preload_path()} is not built: make preload"
    program = tmp_path / "malloc_program"
    source = tmp_path / "malloc_program.c"
    source.write_text(MALLOC_PROGRAM)
    # -rdynamic puts main in the dynamic symbol table, where dladdr finds it.
    subprocess.run(["cc", "-O0", "-g", "-rdynamic", str(source), "-o", str(program)], check=True)
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    report = tmp_path / "report.html"
    result = run_tool(env, report, program)
    assert result.returncode == 5, result.stderr
    assert "done" in result.stdout
    text = "".join(Page(report.read_text()).text)
    assert "The program exited with status 5." in text
    # The ten leaked buffers, their call site symbolised in main.
    assert re.search(r"at main\+0x[0-9a-f]+ \(malloc_program\)\s*10\s*640", text), text
    assert run_tool(env, tmp_path / "sh.html", "sh", "-c", "exit 7").returncode == 7


def test_run_of_a_threaded_program_covers_every_arena(tmp_path):
    """Tests/preload/arenas.c: four threads contend, so some move to arenas
    of their own; each leaks one buffer from leak_here()."""
    assert abi.preload_path().exists(), f"{abi.preload_path()} is not built: make preload"
    program = tmp_path / "arenas"
    subprocess.run(["cc", "-O1", "-pthread", "-rdynamic", str(REPO / "Tests" / "preload" / "arenas.c"),
                    "-o", str(program)], check=True)
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    report = tmp_path / "report.html"
    result = run_tool(env, report, program)
    assert result.returncode == 0, result.stderr
    text = "".join(Page(report.read_text()).text)
    assert re.search(r"[2-8] arenas \(default, default\.1", text), text
    # The leaks table: one row per thread (owner), 1 buffer of 1,000 + its number bytes.
    rows = re.findall(r"task \d+ at leak_here\+0x[0-9a-f]+ \(arenas\)\s*1\s*(1,00[0-3])", text)
    assert sorted(rows) == ["1,000", "1,001", "1,002", "1,003"], text


def test_the_example_explores_a_pool(tmp_path):
    report = tmp_path / "report.html"
    result = subprocess.run([sys.executable, str(REPO / "examples" / "explore_pool.py"),
                             "-o", str(report)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "caught: DMMS_E_OVERRUN" in output and "first damaged byte at offset 100" in output
    assert "3 buffers leaked since mark" in output
    assert "block_size       in_use   high_water" in output          # show(1)
    assert "dmms_check: 0 problems" in output
    page = Page(report.read_text())
    assert page.count("rect", "row", "map-0") == 16
    assert page.count("rect", "leak") == 5                             # 3 tasks, realloc, main
