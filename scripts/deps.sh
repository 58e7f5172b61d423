#!/usr/bin/env bash
# deps.sh — installs what the test suites and the benchmark need (`make deps`):
# the Debian packages below and pytest from PyPI, each only when missing, saying
# what it installs. The one place that installs anything: no other recipe does.
# Needs root (or sudo) and apt-get only when something is missing.
#
# Exit status: 0 everything present (or now installed), 1 something is missing
# and could not be installed.
set -euo pipefail

# package : what needs it
debian=(
    "pkg-config:check-library.sh builds a program with pkg-config --libs dmms"
    "sqlite3:test-preload runs sqlite3 under the preload"
    "git:test-preload runs a git workload under the preload"
    "bc:test-preload's git workload"
    "chromium:test-python renders the HTML report"
    "valgrind:the benchmark's callgrind counts; memcheck.h for the library's tool requests and tools-test"
    "libjemalloc-dev:the benchmark's jemalloc contender"
    "libmimalloc-dev:the benchmark's mimalloc contender"
    "libgoogle-perftools-dev:the benchmark's tcmalloc contender"
    "gcc-arm-none-eabi:test-embedded's Cortex-M images"
    "libnewlib-arm-none-eabi:test-embedded's Cortex-M images (C library)"
    "qemu-system-arm:test-embedded runs the Cortex-M images"
    "gcc-riscv64-unknown-elf:test-embedded's RV32 image"
    "qemu-system-misc:test-embedded runs the RV32 image"
)
PYTHON=${PYTHON:-python3}
if [ "$(id -u)" = 0 ] || ! command -v sudo >/dev/null; then sudo=(); else sudo=(sudo); fi

missing=()
for entry in "${debian[@]}"; do
    package=${entry%%:*}
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed' \
        || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    for entry in "${debian[@]}"; do
        for package in "${missing[@]}"; do
            [ "$package" = "${entry%%:*}" ] && echo "deps: installing $package (${entry#*:})"
        done
    done
    if ! command -v apt-get >/dev/null; then
        echo "deps: not Debian: install ${missing[*]} by hand" >&2
        exit 1
    fi
    if [ "$(id -u)" != 0 ] && [ ${#sudo[@]} = 0 ]; then
        echo "deps: need root to install ${missing[*]}" >&2
        exit 1
    fi
    # Wait for another apt or dpkg run instead of failing on its lock.
    apt=("${sudo[@]}" apt-get -q -o DPkg::Lock::Timeout=600)
    "${apt[@]}" update >/dev/null
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
fi

# pytest from PyPI; where pip refuses (Debian's system Python, PEP 668), Debian's own.
if ! "$PYTHON" -c 'import pytest' 2>/dev/null; then
    echo "deps: installing pytest (test-python)"
    "$PYTHON" -m pip install -q pytest 2>/dev/null \
        || "$PYTHON" -m pip install -q --break-system-packages pytest 2>/dev/null \
        || { "${sudo[@]}" apt-get -q install -y python3-pytest >/dev/null 2>&1 && "$PYTHON" -c 'import pytest'; } \
        || { echo "deps: pytest could not be installed" >&2; exit 1; }
fi
echo "deps: all present"
