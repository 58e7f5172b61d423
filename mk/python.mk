# mk/python.mk — the Python binding and its report (SPEC §8), included by the Makefile.
#
#   make test-python        Tests/python: the ctypes binding, the HTML report in headless
#                           Chromium, the tools (< 1 min once installed); part of `make test`
#   make python-deps        installs pytest and chromium when missing
#   make report-screenshot  docs/report.png: the report of examples/explore_pool.py
#
# The package (python/dmms) needs only the standard library; `pip install ./python`
# installs it. The tests use it from the checkout, with build/lib/libdmms.so.

PYTHON ?= python3

.PHONY: test-python python-deps report-screenshot

# Only what is missing is installed, and apt-get's lists are fetched once. pytest comes
# from pip; where pip is missing or refuses (Debian's system Python, PEP 668), from apt.
python-deps:
	@set -e; updated=; \
	apt_install() { \
	    command -v apt-get >/dev/null || { echo "python-deps: not Debian; install $$* by hand"; exit 1; }; \
	    [ -n "$$updated" ] || apt-get update -q; updated=1; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$$@"; \
	}; \
	$(PYTHON) -c 'import pytest' 2>/dev/null \
	    || $(PYTHON) -m pip install -q pytest 2>/dev/null \
	    || $(PYTHON) -m pip install -q --break-system-packages pytest 2>/dev/null \
	    || apt_install python3-pytest; \
	command -v chromium >/dev/null || apt_install chromium

test-python: lib python-deps
	$(PYTHON) -m pytest Tests/python -q

report-screenshot: lib python-deps
	$(PYTHON) Tests/python/screenshot.py docs/report.png

TEST_TARGETS += test-python
