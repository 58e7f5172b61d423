#!/usr/bin/env bash
# package.sh — the Python package installs whole: `pip install ./python` into a
# fresh virtual environment builds and bundles libdmms.so and
# libdmms_preload.so, and outside the checkout, with no DMMS_LIBRARY, `import
# dmms`, a Pool and `python -m dmms run` work; DMMS_LIBRARY still overrides;
# `pip wheel ./python` gives a platform wheel that holds both libraries and
# works alone in another fresh environment.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d /tmp/dmms-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
unset DMMS_LIBRARY
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $1"; fi; }
pip_quiet=(--quiet --disable-pip-version-check)

"$python" -m venv "$work/venv"
(cd "$root" && "$work/venv/bin/pip" install "${pip_quiet[@]}" ./python) > "$work/install.log" 2>&1 \
    || { echo "FAILED: pip install ./python"; tail -20 "$work/install.log"; exit 1; }

cd "$work"   # outside the checkout: nothing to find but what was installed
use_pool='import dmms
with dmms.Pool(1 << 16, name="installed") as pool:
    p = pool.alloc(100)
    assert "installed" in pool.show(1)
    pool.free(p)
print(dmms.abi.library_path())'
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
found=$("$work/venv/bin/python" -c "$use_pool" 2>&1) || true
check "import dmms and a Pool, outside the checkout, use the bundled library (got: $found)" \
    '[ "$found" = "$(readlink -f "$site/dmms/lib/libdmms.so")" ]'
check "the preload library is bundled beside it" '[ -f "$site/dmms/lib/libdmms_preload.so" ]'
check "python -m dmms run works (report written)" \
    '"$work/venv/bin/python" -m dmms run -o "$work/run.html" -- /bin/true 2>/dev/null && grep -q "<svg\|<html" "$work/run.html"'
overridden=$(DMMS_LIBRARY="$root/build/lib/libdmms.so" "$work/venv/bin/python" -c 'import dmms; print(dmms.abi.library_path())')
check "DMMS_LIBRARY still overrides (got: $overridden)" '[ "$overridden" = "$(readlink -f "$root/build/lib/libdmms.so")" ]'

(cd "$root" && "$work/venv/bin/pip" wheel "${pip_quiet[@]}" --no-deps -w "$work/wheel" ./python) > "$work/wheel.log" 2>&1 \
    || { echo "FAILED: pip wheel ./python"; tail -20 "$work/wheel.log"; exit 1; }
wheel=$(ls "$work"/wheel/dmms-*.whl)
check "the wheel is a platform wheel ($(basename "$wheel"))" '[[ "$(basename "$wheel")" == *-py3-none-linux_* ]]'
contents=$("$python" -m zipfile -l "$wheel")
check "the wheel holds both libraries" 'echo "$contents" | grep -q "dmms/lib/libdmms.so " && echo "$contents" | grep -q "dmms/lib/libdmms_preload.so "'
"$python" -m venv "$work/alone"
"$work/alone/bin/pip" install "${pip_quiet[@]}" --no-index "$wheel" > "$work/alone.log" 2>&1
alone=$("$work/alone/bin/python" -c "$use_pool" 2>&1) || true
check "the wheel alone, in another fresh environment (got: $alone)" '[[ "$alone" == "$work/alone/"*"/dmms/lib/libdmms.so" ]]'

echo "test-package: $passed passed, $failed failed"
[ $failed -eq 0 ]
