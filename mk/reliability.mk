# mk/reliability.mk — reliability and security (issue "Reliability and security"),
# included by the Makefile. Results and findings: docs/reliability.md.
#
#   make fuzz              a fuzzing campaign: each harness FUZZ_SECONDS (default 1800)
#                          from Tests/fuzz/corpus, new inputs in build/fuzz/corpus
#   make fuzz-smoke        the seed corpus replayed, then FUZZ_SMOKE_SECONDS (20) of
#                          fuzzing per harness; part of `make test`
#   make misuse-scorecard  one misuse per program, against the DMMS API, under the
#                          preloaded malloc and on glibc: the table in docs/reliability.md;
#                          part of `make test`
#   make work-bounds       the work of calls whose cost must not grow with the pool,
#                          counted under callgrind; part of `make test`
#   make threads-test      ThreadSanitizer stress, fork while allocating, reports while
#                          allocating (short); part of `make test`
#   make soak-threads      the same, long
#   make tools-test        memcheck and ASan report misuses of pool buffers as they do
#                          for malloc (Tests/tools); part of `make test`
#
# The fuzzers and the TSan stress compile the core as ordinary (non-Embedded)
# Swift together with a harness, in one swiftc invocation, so the sanitizers
# instrument the core itself.

FUZZ_SECONDS       ?= 1800
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZERS      := $(FUZZ_BUILD)/ops-fuzzer $(FUZZ_BUILD)/misuse-fuzzer
# dladdr for call-site names: the Swift core refers to it; the preload library defines it.
$(FUZZ_BUILD)/symbols.o: Sources/DMMSPreload/symbols.c
	@mkdir -p $(@D)
	clang -O1 -c $< -o $@

$(FUZZ_BUILD)/ops-fuzzer: Tests/fuzz/OpsFuzzer.swift
$(FUZZ_BUILD)/misuse-fuzzer: Tests/fuzz/MisuseFuzzer.swift
$(FUZZ_BUILD)/%-fuzzer: $(SOURCES) $(HEADERS) Tests/fuzz/Support.swift $(FUZZ_BUILD)/symbols.o
	@mkdir -p $(@D)
	nice $(SWIFTC) $(SANITIZED) -sanitize=fuzzer,address $(SOURCES) Tests/fuzz/Support.swift \
	    $(filter Tests/fuzz/%Fuzzer.swift,$^) $(FUZZ_BUILD)/symbols.o -o $@

.PHONY: fuzz fuzz-smoke misuse-scorecard work-bounds threads-test soak-threads

fuzz: $(FUZZERS)
	bash Tests/fuzz/run.sh campaign $(FUZZ_SECONDS) $(FUZZERS)

fuzz-smoke: $(FUZZERS)
	bash Tests/fuzz/run.sh smoke $(FUZZ_SMOKE_SECONDS) $(FUZZERS)

TEST_SUITES += fuzz-smoke

# ---- the misuse scorecard ------------------------------------------------------
misuse-scorecard: lib preload
	CC="$(CC)" bash Tests/misuse/run.sh

TEST_SUITES += misuse-scorecard

# ---- the work of a call, counted (callgrind): the free fill's cost is the buffer's ----
work-bounds: lib
	CC="$(CC)" bash Tests/work/run.sh

TEST_SUITES += work-bounds

# ---- threads and processes -----------------------------------------------------------
THREADS_BUILD := $(BUILD)/threads
THREADS_BINS  := $(THREADS_BUILD)/tsan-stress $(THREADS_BUILD)/reports_stress \
                 $(THREADS_BUILD)/fork_stress $(THREADS_BUILD)/fork_stress_api

$(THREADS_BUILD)/tsan-stress: Tests/threads/TSanStress.swift $(SOURCES) $(HEADERS) $(FUZZ_BUILD)/symbols.o
	@mkdir -p $(@D)
	nice $(SWIFTC) $(SANITIZED) -sanitize=thread -Xcc -DDMMS_TSAN $(SOURCES) $< $(FUZZ_BUILD)/symbols.o -o $@

$(THREADS_BUILD)/reports_stress: Tests/threads/reports_stress.c Tests/c/check.h include/dmms.h $(LIB)/libdmms.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -pthread $< $(LINK_C) -o $@

$(THREADS_BUILD)/fork_stress: Tests/threads/fork_stress.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -pthread $< -o $@

$(THREADS_BUILD)/fork_stress_api: Tests/threads/fork_stress.c include/dmms.h $(LIB)/libdmms.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -pthread -DFORK_DMMS_API $< $(LINK_C) -o $@

threads-test: lib preload $(THREADS_BINS)
	bash Tests/threads/run.sh short

soak-threads: lib preload $(THREADS_BINS)
	bash Tests/threads/run.sh long

TEST_SUITES += threads-test

# ---- the findings: one program per library bug found here (docs/reliability.md) ------
# Each prints what it sees and ends "<name>: PRESENT" (exit 1) or "<name>: absent"
# (exit 0). The suite fails when any is present, hangs (60 s) or ends otherwise.
FINDINGS := $(wildcard Tests/fuzz/findings/*.c Tests/threads/findings/*.c)

reliability-findings: lib
	@mkdir -p $(BUILD)/findings
	@present=0; absent=0; \
	for source in $(FINDINGS); do \
	    name=$$(basename $$source .c); out=$(BUILD)/findings/$$name.out; \
	    $(CC) -O1 -g -std=gnu11 -pthread $$source $(LINK_C) -o $(BUILD)/findings/$$name; \
	    status=0; timeout -s KILL 60 $(BUILD)/findings/$$name > $$out 2>&1 || status=$$?; \
	    if [ $$status -eq 0 ] && [ "$$(tail -n 1 $$out)" = "$$name: absent" ]; then \
	        absent=$$((absent + 1)); \
	    else \
	        present=$$((present + 1)); echo "FAILED: finding $$name (exit $$status):"; tail -n 5 $$out; \
	    fi; \
	done; \
	echo "reliability-findings: $$absent passed, $$present failed"; [ $$present -eq 0 ]

.PHONY: reliability-findings
TEST_SUITES += reliability-findings

# ---- memcheck and ASan see pool buffers (platform.h's tool requests) -----------------
TOOLS_BUILD := $(BUILD)/tools
$(TOOLS_BUILD)/tools_misuse: Tests/tools/tools_misuse.c $(LIB)/libdmms.so include/dmms.h
	@mkdir -p $(@D)
	$(CC) -O1 -g -Wall -Wextra -std=c11 $< -I include -L $(LIB) -ldmms -Wl,-rpath,$(CURDIR)/$(LIB) -o $@
$(TOOLS_BUILD)/tools_misuse_asan: Tests/tools/tools_misuse.c $(LIB)/libdmms.so include/dmms.h
	@mkdir -p $(@D)
	clang -O1 -g -fsanitize=address -fuse-ld=lld -Wall -Wextra -std=c11 $< -I include -L $(LIB) -ldmms \
	    -Wl,-rpath,$(CURDIR)/$(LIB) -o $@

.PHONY: tools-test
tools-test: $(TOOLS_BUILD)/tools_misuse $(TOOLS_BUILD)/tools_misuse_asan
	bash Tests/tools/run.sh $(TOOLS_BUILD)

TEST_SUITES += tools-test
