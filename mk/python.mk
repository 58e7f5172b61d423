# mk/python.mk — the Python binding and its report, included by the Makefile.
#
#   make test-python        Tests/python: the ctypes binding, the HTML report in headless
#                           Chromium, the tools (< 1 min); part of `make test`; pytest and
#                           chromium come from `make deps`
#   make report-screenshot  docs/report.png: the report of examples/explore_pool.py
#
# The package (python/dmms) needs only the standard library; `pip install ./python`
# installs it. The tests use it from the checkout, with build/lib/libdmms.so.

PYTHON ?= python3

.PHONY: test-python report-screenshot

# PYTEST_SELECT narrows the run (a file, or -k EXPRESSION); the default is every test.
PYTEST_SELECT ?= Tests/python

test-python: lib preload
	$(PYTHON) -m pytest $(PYTEST_SELECT) -q

report-screenshot: lib
	$(PYTHON) Tests/python/screenshot.py docs/report.png

TEST_SUITES += test-python
