#!/usr/bin/env bash
# run.sh — the check of the check (`make test-runners`). For each test runner,
# a failing test is planted in a copy of the tree (build/planted/tree, never the
# tree itself) and that runner's own make recipe is run there: the recipe must
# exit non-zero and its output must name the planted test. The copy keeps the
# files' times and the built libraries, so make rebuilds only what the planted
# test adds, and SwiftPM's build directory in the copy is kept between runs.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
copy="$root/build/planted/tree"
log="$root/build/planted/log"
mkdir -p "$copy"

# The tracked and untracked-but-not-ignored files as they are now, and the built
# libraries, with their times; whatever else the copy held goes, except .build.
find "$copy" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xpf - -C "$copy"
(cd "$root" && tar -cf - build/lib build/lib-checked build/obj build/dmms.map build/preload.map) | tar -xpf - -C "$copy"

passed=0 failed=0
# plant NAME FILE TEXT: writes TEXT to FILE in the copy.
plant() { mkdir -p "$(dirname "$copy/$1")"; printf '%s\n' "$2" > "$copy/$1"; }
# expect_failure WHAT NEEDLE MAKE-ARGUMENTS...: the recipe must fail and print NEEDLE.
expect_failure() {
    local what=$1 needle=$2
    shift 2
    local status=0
    make --no-print-directory -C "$copy" "$@" > "$log" 2>&1 || status=$?
    if [ $status -ne 0 ] && grep -qF -- "$needle" "$log"; then
        passed=$((passed + 1)); echo "  ok: $what: exit $status, names '$needle'"
    else
        failed=$((failed + 1)); echo "  FAILED: $what: exit $status; '$needle' $(grep -qF -- "$needle" "$log" && echo named || echo 'not named')"
        tail -n 20 "$log" | sed 's/^/    | /'
    fi
}
unplant() { rm -f "$copy/$1"; }

echo "test-runners: failures planted in $copy"

plant Tests/DMMSTests/PlantedFailureTests.swift 'import XCTest
import Testing
final class PlantedFailureTests: XCTestCase {
    func testPlantedXCTestFailure() { XCTFail("planted failure") }
}
@Test func plantedSwiftTestingFailure() { #expect(1 == 2) }'
expect_failure "swift test, a failing XCTest" testPlantedXCTestFailure test-swift
expect_failure "swift test, a failing Swift Testing test" plantedSwiftTestingFailure test-swift
unplant Tests/DMMSTests/PlantedFailureTests.swift

plant Tests/c/test_planted.c '#include "check.h"
int main(void) { CHECK(1 + 1 == 3); return check_summary("test_planted"); }'
expect_failure "C tests, a failing CHECK" "test_planted: 0 passed, 1 failed" test-c C_TESTS=build/tests/test_planted
unplant Tests/c/test_planted.c

plant Tests/python/test_planted.py 'def test_planted_failure():
    assert 1 + 1 == 3'
expect_failure "pytest, a failing test" test_planted_failure test-python PYTEST_SELECT=Tests/python/test_planted.py
unplant Tests/python/test_planted.py

plant examples/planted.c '#include <stdio.h>
int main(void) { puts("planted example fails"); return 1; }'
expect_failure "examples, one that fails" "planted example fails" test-examples EXAMPLES=build/examples/planted
# The same failure through `make test` itself: the suite runner must fail and name the suite.
expect_failure "make test, a failing suite" "test-examples          FAILED" test TEST_SUITES=test-examples EXAMPLES=build/examples/planted
unplant examples/planted.c

plant Tests/fuzz/findings/planted.c '#include <stdio.h>
int main(void) { puts("planted: PRESENT"); return 1; }'
expect_failure "findings, one present" "FAILED: finding planted" reliability-findings FINDINGS=Tests/fuzz/findings/planted.c
unplant Tests/fuzz/findings/planted.c

echo "test-runners: $passed passed, $failed failed"
[ $failed -eq 0 ]
