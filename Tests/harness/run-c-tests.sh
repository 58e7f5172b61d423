#!/usr/bin/env bash
# Runs each C test program; prints its summary line; fails if any failed.
set -u
failed=0
for t in "$@"; do
    if ! "$t"; then
        echo "FAILED: $t"
        failed=1
    fi
done
exit $failed
