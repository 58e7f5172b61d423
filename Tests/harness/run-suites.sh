#!/usr/bin/env bash
# run-suites.sh MAKE SUITE... — runs each suite (a make target) to its end, even
# after one fails, then prints one line per suite with its time and whether it
# passed, and a closing "N passed, N failed". Exits 1 when any suite failed, so
# `make test` cannot be green while a test fails.
set -uo pipefail
make=$1
shift
passed=0 failed=0 summary=
for suite in "$@"; do
    echo "==== $suite"
    start=$SECONDS
    if $make --no-print-directory "$suite"; then
        result=passed passed=$((passed + 1))
    else
        result=FAILED failed=$((failed + 1))
    fi
    summary+=$(printf '  %-22s %-7s %4d s' "$suite" "$result" $((SECONDS - start)))$'\n'
    echo "==== $suite: $result"
done
echo
echo "suites:"
printf '%s' "$summary"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
