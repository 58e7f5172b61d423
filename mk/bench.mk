# mk/bench.mk — the benchmark, included by the Makefile. The malloc contenders and
# valgrind come from `make deps`.
#
#   make bench        every workload, every contender: benchmarks/RESULTS.md (< 15 min)
#   make bench-smoke  the same at tiny counts, contents verified, nothing judged (< 30 s);
#                     part of `make test`
#   make instructions instructions per alloc+free pair under callgrind (exact, whatever the
#                     load): DMMS lazy/eager, diagnostics on/off, and glibc, with the
#                     costliest lines of the default config (< 1 min)
#   make instructions-by-feature  the same for pools with exactly some flags: the
#                     core alone, then what the lock, the guard and owner tracking add
#
# The harness is C (benchmarks/*.c) against dmms.h and the malloc API; the
# malloc contenders run the same binary under LD_PRELOAD (see benchmarks/run.sh).

BENCH_BIN      := $(BUILD)/bench/bench
BENCH_SOURCES  := $(wildcard benchmarks/*.c)
BENCH_HEADERS  := $(wildcard benchmarks/*.h)
BENCH_CFLAGS   := -O2 -g -march=x86-64-v2 -Wall -Wextra -std=c11 -pthread

.PHONY: bench bench-smoke instructions instructions-by-feature

$(BENCH_BIN): $(BENCH_SOURCES) $(BENCH_HEADERS) include/dmms.h $(LIB)/libdmms.so
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(BENCH_SOURCES) $(LINK_C) -lm -ldl -o $@

bench: deps preload $(BENCH_BIN)
	BENCH=$(BENCH_BIN) BENCH_COMMAND="make bench" bash benchmarks/run.sh

bench-smoke: preload $(BENCH_BIN)
	BENCH=$(BENCH_BIN) BENCH_COMMAND="make bench-smoke" bash benchmarks/run.sh --smoke

TEST_SUITES += bench-smoke

INSTRUCTIONS_CONTENDERS ?= dmms-lazy-on dmms-lazy-off dmms-eager-on glibc

instructions: $(BENCH_BIN)
	python3 benchmarks/instructions.py $(BENCH_BIN) $(INSTRUCTIONS_CONTENDERS)
	python3 benchmarks/instructions.py --profile $(BENCH_BIN) dmms-lazy-on

instructions-by-feature: $(BENCH_BIN) preload
	python3 benchmarks/instructions.py $(BENCH_BIN) --by-feature
	python3 benchmarks/instructions.py $(BENCH_BIN) --timeline
