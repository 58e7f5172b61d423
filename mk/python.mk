# mk/python.mk — the Python binding and its report, included by the Makefile.
#
#   make test-python        Tests/python: the ctypes binding, the HTML report in headless
#                           Chromium, the tools (< 1 min); part of `make test`; pytest and
#                           chromium come from `make deps`
#   make test-package       `pip install ./python` into a fresh virtual environment, and
#                           `pip wheel ./python`: the package works outside the checkout
#                           with the libraries it bundles; part of `make test`
#   make report-screenshot  docs/report.png: the report of examples/explore_pool.py;
#                           docs/timeline.png: the top of examples/timeline.c's report
#
# The package (python/dmms) needs only the standard library; `pip install ./python`
# builds the libraries with this Makefile and bundles them (python/setup.py). The
# tests of test-python use it from the checkout, with build/lib/libdmms.so.

PYTHON ?= python3

.PHONY: test-python test-package report-screenshot

# PYTEST_SELECT narrows the run (a file, or -k EXPRESSION); the default is every test.
PYTEST_SELECT ?= Tests/python

test-python: lib preload $(BUILD)/examples/timeline
	$(PYTHON) -m pytest $(PYTEST_SELECT) -q

test-package: lib preload
	PYTHON=$(PYTHON) bash Tests/python/package.sh

report-screenshot: lib preload $(BUILD)/examples/timeline
	$(PYTHON) Tests/python/screenshot.py docs/report.png docs/timeline.png

TEST_SUITES += test-python test-package
