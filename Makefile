# DMMS — build, test, demo, benchmark, install.
#
#   make            build/lib/libdmms.so (Embedded Swift: needs only libc)
#   make demo       build and run examples/demo.c
#   make test       every test (Swift, C, randomized model, ...)
#   make bench      the benchmark: benchmarks/RESULTS.md
#   make install    PREFIX=/usr/local

PREFIX   ?= /usr/local
SWIFTC   ?= swiftc
CC       ?= cc
CFLAGS   ?= -O2 -g -Wall -Wextra -std=c11
BUILD    := build
LIB      := $(BUILD)/lib
SOURCES  := $(shell find Sources/DMMS -name '*.swift' | sort)
HEADERS  := include/dmms.h Sources/CDMMS/platform.h Sources/CDMMS/module.modulemap

# Embedded Swift: no runtime, no metadata, nothing but libc (see TOOLCHAIN notes
# in the README). The version script exports dmms_* and nothing else.
EMBEDDED := -enable-experimental-feature Embedded -wmo -parse-as-library -O -g \
            -enforce-exclusivity=unchecked -swift-version 5 -I Sources/CDMMS \
            -Xfrontend -function-sections -Xfrontend -disable-stack-protector
LDSHARED := -emit-library -use-ld=lld -Xlinker --gc-sections

LINK_C   := -I include -L $(LIB) -ldmms -Wl,-rpath,$(abspath $(LIB))

.PHONY: all lib preload demo test test-swift test-c test-examples test-preload coverage soak clean install

all: lib preload
lib: $(LIB)/libdmms.so

$(LIB)/libdmms.so.0: $(SOURCES) $(HEADERS) $(BUILD)/dmms.map Makefile
	@mkdir -p $(LIB)
	$(SWIFTC) $(EMBEDDED) $(LDSHARED) -Xlinker --version-script=$(BUILD)/dmms.map \
	    -Xlinker -soname=libdmms.so.0 -module-name DMMS $(SOURCES) -o $@

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

PRELOAD_C       := $(patsubst Sources/DMMSPreload/%.c,$(BUILD)/obj/%.o,$(wildcard Sources/DMMSPreload/*.c))

$(BUILD)/obj/%.o: Sources/DMMSPreload/%.c
	@mkdir -p $(dir $@)
	clang -O2 -fPIC -fno-stack-protector -Wall -c $< -o $@

$(LIB)/libdmms_preload.so: $(PRELOAD_SOURCES) $(HEADERS) $(BUILD)/preload.map $(PRELOAD_C) Makefile
	@mkdir -p $(LIB)
	$(SWIFTC) $(EMBEDDED) $(LDSHARED) -Xlinker --version-script=$(BUILD)/preload.map \
	    -Xlinker -soname=libdmms_preload.so -module-name DMMS $(PRELOAD_SOURCES) $(PRELOAD_C) -o $@

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

# ---- tests ------------------------------------------------------------------
C_TESTS := $(patsubst Tests/c/%.c,$(BUILD)/tests/%,$(wildcard Tests/c/*.c))

$(BUILD)/tests/%: Tests/c/%.c Tests/c/check.h include/dmms.h $(LIB)/libdmms.so
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -pthread $< $(LINK_C) -o $@

# Each part of the project adds its tests to TEST_TARGETS in its mk/ fragment.
TEST_TARGETS := test-c test-examples test-swift test-preload
-include mk/*.mk

test: $(TEST_TARGETS)
	@echo "make test: all suites passed"

test-c: $(C_TESTS) lib preload
	@bash Tests/run-c-tests.sh $(C_TESTS)
	@command -v pkg-config >/dev/null || (apt-get update -qq && apt-get install -y -qq pkg-config >/dev/null)
	@bash Tests/check-library.sh

test-swift:
	swift build --build-tests -q 2>&1 | grep -v '^\[' || true
	swift test 2>&1 | tail -n 5

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
	@command -v sqlite3 >/dev/null || (apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null)
	@command -v bc >/dev/null || (apt-get update -qq && apt-get install -y -qq bc >/dev/null)
	bash Tests/preload/run.sh

# ---- line coverage of the Swift core: the C tests and examples against an
# instrumented (non-Embedded) build of the same sources, plus `swift test`.
COV      := $(BUILD)/coverage
LLVM_BIN := $(dir $(shell command -v $(SWIFTC)))

coverage: $(C_TESTS) $(EXAMPLES)
	@mkdir -p $(COV) && rm -f $(COV)/*.profraw
	$(SWIFTC) -emit-library -parse-as-library -O -profile-generate -profile-coverage-mapping \
	    -enforce-exclusivity=unchecked -swift-version 5 -I Sources/CDMMS -module-name DMMS $(SOURCES) \
	    -Xlinker -soname=libdmms.so.0 -emit-module-path $(COV)/DMMS.swiftmodule -o $(COV)/libdmms.so.0
	@for t in $(C_TESTS) $(EXAMPLES); do \
	    LD_LIBRARY_PATH=$(COV) LLVM_PROFILE_FILE=$(abspath $(COV))/c-%p.profraw $$t > $(COV)/run.out 2>&1 || { echo "FAILED: $$t"; tail -5 $(COV)/run.out; exit 1; }; \
	done
	swift test --enable-code-coverage 2>&1 | tail -n 1
	$(LLVM_BIN)llvm-profdata merge -o $(COV)/all.profdata $(COV)/*.profraw .build/debug/codecov/*.profraw
	$(LLVM_BIN)llvm-cov report $(COV)/libdmms.so.0 -object .build/debug/DMMSPackageTests.xctest \
	    -instr-profile $(COV)/all.profdata -ignore-filename-regex='(\.build|Tests|CDMMS|DMMSPreload)/' | tee $(COV)/report.txt
	bash Tests/coverage-sites.sh $(LLVM_BIN)llvm-cov $(COV)/libdmms.so.0 .build/debug/DMMSPackageTests.xctest $(COV)/all.profdata
