# mk/bench.mk — the benchmark, included by the Makefile. The malloc contenders and
# valgrind come from `make deps`.
#
#   make bench        every workload, every contender: benchmarks/RESULTS.md (< 15 min)
#   make bench-smoke  the same at tiny counts, contents verified, nothing judged (< 30 s);
#                     part of `make test`
#
# The harness is C (benchmarks/*.c) against dmms.h and the malloc API; the
# malloc contenders run the same binary under LD_PRELOAD (see benchmarks/run.sh).

BENCH_BIN      := $(BUILD)/bench/bench
BENCH_SOURCES  := $(wildcard benchmarks/*.c)
BENCH_HEADERS  := $(wildcard benchmarks/*.h)
BENCH_CFLAGS   := -O2 -g -march=x86-64-v2 -Wall -Wextra -std=c11 -pthread

.PHONY: bench bench-smoke

$(BENCH_BIN): $(BENCH_SOURCES) $(BENCH_HEADERS) include/dmms.h $(LIB)/libdmms.so
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(BENCH_SOURCES) $(LINK_C) -lm -ldl -o $@

bench: deps preload $(BENCH_BIN)
	BENCH=$(BENCH_BIN) BENCH_COMMAND="make bench" bash benchmarks/run.sh

bench-smoke: preload $(BENCH_BIN)
	BENCH=$(BENCH_BIN) BENCH_COMMAND="make bench-smoke" bash benchmarks/run.sh --smoke

TEST_SUITES += bench-smoke
