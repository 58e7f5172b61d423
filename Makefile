# DMMS — build, test, demo, benchmark, install. `make help` lists every target.
#
#   make            build/lib/libdmms.so (Embedded Swift: needs only libc)
#   make demo       build and run examples/demo.c
#   make deps       install what the tests and the benchmark need (only what is missing)
#   make test       deps, then every suite; fails when any test of any suite fails
#   make check      the fast inner loop: C tests, swift test, examples
#   make bench      the benchmark: benchmarks/RESULTS.md
#   make install    PREFIX=/usr/local

# Every recipe runs under bash with -e and pipefail: a failing command, even one
# piped into another, fails its recipe. Nothing in a recipe may hide a status.
SHELL       := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

PREFIX   ?= /usr/local
SWIFTC   ?= swiftc
CC       ?= cc
CFLAGS   ?= -O2 -g -Wall -Wextra -std=c11
BUILD    := build
LIB      := $(BUILD)/lib
SOURCES  := $(shell find Sources/DMMS -name '*.swift' | sort)
HEADERS  := include/dmms.h Sources/CDMMS/platform.h Sources/CDMMS/module.modulemap

# How the Swift sources are compiled, for every build of them: mk/swift.mk.
include mk/swift.mk

LINK_C   := -I include -L $(LIB) -ldmms -Wl,-rpath,$(abspath $(LIB))

.PHONY: all lib preload demo deps test check test-swift test-c test-examples test-preload test-runners \
        coverage soak clean install help

all: lib preload
lib: $(LIB)/libdmms.so

# libdmms.so.0 is built twice from one recipe: as shipped (build/lib), and
# with the core's internal checks compiled in (build/lib-checked,
# InternalChecks.swift), which the model test runs against as well.
CHECKED_LIB := $(BUILD)/lib-checked
library_flags_lib :=
library_flags_lib-checked := -D DMMS_INTERNAL_CHECKS

$(LIB)/libdmms.so.0 $(CHECKED_LIB)/libdmms.so.0: $(BUILD)/%/libdmms.so.0: $(SOURCES) $(HEADERS) $(BUILD)/dmms.map Makefile mk/swift.mk
	@mkdir -p $(@D)
	$(SWIFTC) $(EMBEDDED) $(library_flags_$*) $(LDSHARED) -Xlinker --version-script=$(BUILD)/dmms.map \
	    -Xlinker -soname=libdmms.so.0 $(SOURCES) -o $@

$(LIB)/libdmms.so: $(LIB)/libdmms.so.0
	ln -sf libdmms.so.0 $@

$(BUILD)/dmms.map:
	@mkdir -p $(BUILD)
	printf '{ global: dmms_*; local: *; };\n' > $@

# ---- the malloc replacement: the same core, behind the malloc family ---------
PRELOAD_SOURCES := $(SOURCES) $(wildcard Sources/DMMSPreload/*.swift)
MALLOC_NAMES    := malloc free calloc realloc reallocarray posix_memalign aligned_alloc memalign \
                   valloc pvalloc malloc_usable_size free_sized free_aligned_sized

$(BUILD)/preload.map:
	@mkdir -p $(BUILD)
	printf '{ global: %s dmms_*; local: *; };\n' "$(patsubst %,%;,$(MALLOC_NAMES))" > $@

PRELOAD_HEADERS := $(wildcard Sources/DMMSPreload/CPreload/*)
PRELOAD_C       := $(patsubst Sources/DMMSPreload/%.c,$(BUILD)/obj/%.o,$(wildcard Sources/DMMSPreload/*.c))

$(BUILD)/obj/%.o: Sources/DMMSPreload/%.c $(PRELOAD_HEADERS)
	@mkdir -p $(dir $@)
	clang -O2 -fPIC -fno-stack-protector -Wall -c $< -o $@

$(LIB)/libdmms_preload.so: $(PRELOAD_SOURCES) $(HEADERS) $(PRELOAD_HEADERS) $(BUILD)/preload.map $(PRELOAD_C) Makefile
	@mkdir -p $(LIB)
	$(SWIFTC) $(EMBEDDED) -I Sources/DMMSPreload/CPreload $(LDSHARED) -Xlinker --version-script=$(BUILD)/preload.map \
	    -Xlinker -soname=libdmms_preload.so $(PRELOAD_SOURCES) $(PRELOAD_C) -o $@

preload: $(LIB)/libdmms_preload.so

# ---- examples -------------------------------------------------------------
$(BUILD)/examples/%: examples/%.c include/dmms.h $(LIB)/libdmms.so
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(LINK_C) -o $@

demo: $(BUILD)/examples/demo
	$(BUILD)/examples/demo

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

# Every example must run and succeed (each checks what it shows).
test-examples: $(EXAMPLES)
	@for e in $(EXAMPLES); do $$e > $$e.out 2>&1 || { echo "FAILED: $$e"; cat $$e.out; exit 1; }; done
	@echo "test-examples: $(words $(EXAMPLES)) passed, 0 failed"

# ---- dependencies: the one place that installs anything ---------------------
deps:
	@bash scripts/deps.sh

# ---- tests ------------------------------------------------------------------
C_TESTS := $(patsubst Tests/c/%.c,$(BUILD)/tests/%,$(wildcard Tests/c/*.c))

$(BUILD)/tests/%: Tests/c/%.c Tests/c/check.h Tests/c/child.h include/dmms.h $(LIB)/libdmms.so
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pthread $< $(LINK_C) -o $@

# Each part of the project adds its suites to TEST_SUITES in its mk/ fragment.
# test-runners comes first: it shows that a failing test fails each runner.
TEST_SUITES  := test-runners test-c test-examples test-swift test-preload
CHECK_SUITES := test-c test-swift test-examples
-include $(filter-out mk/swift.mk,$(wildcard mk/*.mk))

# Every suite runs, even after one fails; the summary names each failed suite
# and the run fails if any did.
test: deps
	@bash Tests/harness/run-suites.sh "$(MAKE)" $(TEST_SUITES)

check:
	@bash Tests/harness/run-suites.sh "$(MAKE)" $(CHECK_SUITES)

test-c: $(C_TESTS) lib preload $(CHECKED_LIB)/libdmms.so.0
	@bash Tests/harness/run-c-tests.sh $(C_TESTS)
	@echo "the model test again, the core's internal checks on:"
	@LD_LIBRARY_PATH=$(CHECKED_LIB) bash Tests/harness/run-c-tests.sh $(BUILD)/tests/test_random
	@bash Tests/library/check-library.sh

# swift test's whole output goes to a log; a failure prints the failing tests'
# lines (XCTest and Swift Testing) and the log's path.
SWIFT_LOG := $(BUILD)/swift-test.log
test-swift:
	@mkdir -p $(BUILD)
	@swift build --build-tests -q > $(SWIFT_LOG) 2>&1 || { cat $(SWIFT_LOG); echo "test-swift: FAILED to build"; exit 1; }
	@swift test > $(SWIFT_LOG) 2>&1 || { \
	    grep -E "error:|' failed|✘|Fatal error|Crash|signal" $(SWIFT_LOG) | head -40; \
	    echo "test-swift: FAILED (whole log: $(SWIFT_LOG))"; exit 1; }
	@grep -E "^[[:space:]]+Executed [0-9]+ tests" $(SWIFT_LOG) | tail -n 1 | sed 's/^[[:space:]]*/test-swift: XCTest: /'
	@grep -E "^✔ Test run with" $(SWIFT_LOG) | sed 's/^/test-swift: Swift Testing: /'

# The check of the check: a failing test planted in a copy of the tree must fail
# each runner's own recipe and be named (Tests/planted/run.sh).
test-runners: lib preload $(CHECKED_LIB)/libdmms.so.0
	@bash Tests/planted/run.sh

clean:
	rm -rf $(BUILD) .build

install: lib preload
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(LIB)/libdmms.so.0 $(DESTDIR)$(PREFIX)/lib/libdmms.so.0
	ln -sf libdmms.so.0 $(DESTDIR)$(PREFIX)/lib/libdmms.so
	install -m 755 $(LIB)/libdmms_preload.so $(DESTDIR)$(PREFIX)/lib/libdmms_preload.so
	install -m 644 include/dmms.h $(DESTDIR)$(PREFIX)/include/dmms.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' dmms.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/dmms.pc

# The randomized model test at 100x (about 1 billion operations): long, not in `make test`.
soak: $(BUILD)/tests/test_random
	$(BUILD)/tests/test_random 100

# ---- real programs under the preloaded malloc -------------------------------
test-preload: preload
	bash Tests/preload/run.sh

# ---- line coverage of the Swift core: the C tests and examples against an
# instrumented (non-Embedded) build of the same sources, plus `swift test`.
# The run fails when the core's line coverage is below COVERAGE_FLOOR percent;
# raise the floor (here) when new tests raise the coverage.
COV            := $(BUILD)/coverage
COVERAGE_FLOOR ?= 90
LLVM_BIN := $(dir $(shell command -v $(SWIFTC)))

coverage: $(C_TESTS) $(EXAMPLES)
	@mkdir -p $(COV) && rm -f $(COV)/*.profraw
	$(SWIFTC) $(COVERED) -emit-library $(SOURCES) \
	    -Xlinker -soname=libdmms.so.0 -emit-module-path $(COV)/DMMS.swiftmodule -o $(COV)/libdmms.so.0
	@for t in $(C_TESTS) $(EXAMPLES); do \
	    LD_LIBRARY_PATH=$(COV) LLVM_PROFILE_FILE=$(abspath $(COV))/c-%p.profraw $$t > $(COV)/run.out 2>&1 || { echo "FAILED: $$t"; tail -5 $(COV)/run.out; exit 1; }; \
	done
	swift test --enable-code-coverage > $(COV)/swift-test.log 2>&1 || { cat $(COV)/swift-test.log; exit 1; }
	$(LLVM_BIN)llvm-profdata merge -o $(COV)/all.profdata $(COV)/*.profraw .build/debug/codecov/*.profraw
	$(LLVM_BIN)llvm-cov report $(COV)/libdmms.so.0 -object .build/debug/DMMSPackageTests.xctest \
	    -instr-profile $(COV)/all.profdata -ignore-filename-regex='(\.build|Tests|CDMMS|DMMSPreload)/' | tee $(COV)/report.txt
	bash Tests/coverage/coverage-sites.sh $(LLVM_BIN)llvm-cov $(COV)/libdmms.so.0 .build/debug/DMMSPackageTests.xctest $(COV)/all.profdata
	@awk -v floor=$(COVERAGE_FLOOR) '$$1 == "TOTAL" { lines = $$10; sub(/%/, "", lines); found = 1 } \
	    END { if (!found) { print "coverage: no TOTAL line"; exit 1 } \
	          printf "coverage: %s%% of the core'"'"'s lines (floor %s%%)\n", lines, floor; \
	          if (lines + 0 < floor + 0) { print "coverage: FAILED: below the floor"; exit 1 } }' $(COV)/report.txt

# ---- help: every target, what it does, how long it takes here (2 cores) ---------
help:
	@printf '%s\n' \
	  "make [all]            libdmms.so and libdmms_preload.so (about 45 s from clean)" \
	  "make demo             build and run examples/demo.c (seconds once built)" \
	  "make deps             install the Debian and PyPI packages the tests need, only what is missing" \
	  "                      (seconds when present; about 1 min to install all)" \
	  "make test             deps, then every suite below; fails if any test fails (about 10 min)" \
	  "make check            the inner loop: C tests, swift test, examples (about 1 min built)" \
	  "make test-runners     a failing test planted in a copy fails each runner (about 1 min)" \
	  "make test-c           the C tests of dmms.h and the shipped library's checks (about 40 s)" \
	  "make test-swift       swift test: the core's XCTest suites (about 30 s)" \
	  "make test-examples    every example runs and checks what it shows (seconds)" \
	  "make test-preload     real programs under libdmms_preload.so vs glibc (about 1 min)" \
	  "make test-python      the Python binding, its tools and the HTML report in Chromium (about 1 min)" \
	  "make test-embedded    bare-metal libraries, symbol check, self-tests under QEMU (about 2 min)" \
	  "make fuzz-smoke       seed corpus replay + 20 s per fuzzer (about 2 min)" \
	  "make misuse-scorecard one misuse per program: DMMS vs glibc (about 30 s)" \
	  "make threads-test     TSan stress, reports while allocating, fork stress (about 1 min)" \
	  "make reliability-findings  one program per bug found; fails if one is present (about 1 min)" \
	  "make bench-smoke      the benchmark at tiny counts, contents verified (about 30 s)" \
	  "make bench           the benchmark: benchmarks/RESULTS.md (about 15 min)" \
	  "make instructions     instructions per alloc+free pair under callgrind, and the costliest lines (about 1 min)" \
	  "make coverage         line coverage of the core; fails below $(COVERAGE_FLOOR)% (about 3 min)" \
	  "make soak             the model test at 100x, a billion operations (about 35 min)" \
	  "make soak-threads     the thread and fork stress, long (about 20 min)" \
	  "make fuzz             a fuzzing campaign, FUZZ_SECONDS per harness (default 30 min each)" \
	  "make embedded         build/embedded/<target>/libdmms.a for the three targets (about 2 min)" \
	  "make embedded-size    code and data size of each bare-metal library" \
	  "make install          PREFIX=/usr/local: library, preload, header, pkg-config file" \
	  "make clean            remove build/ and .build/"
