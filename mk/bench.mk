# mk/bench.mk — the benchmark (issue "Benchmarks"), included by the Makefile.
#
#   make bench        every workload, every contender: benchmarks/RESULTS.md (< 15 min)
#   make bench-smoke  the same at tiny counts, contents verified, nothing judged (< 30 s);
#                     part of `make test`
#   make bench-deps   installs the malloc contenders and valgrind when missing
#
# The harness is C (benchmarks/*.c) against dmms.h and the malloc API; the
# malloc contenders run the same binary under LD_PRELOAD (see benchmarks/run.sh).

BENCH_BIN      := $(BUILD)/bench/bench
BENCH_SOURCES  := $(wildcard benchmarks/*.c)
BENCH_HEADERS  := $(wildcard benchmarks/*.h)
BENCH_CFLAGS   := -O2 -g -march=x86-64-v2 -Wall -Wextra -std=c11 -pthread
# Debian packages the benchmark needs: the malloc contenders, callgrind, the report writer.
BENCH_PACKAGES := libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev valgrind python3

.PHONY: bench bench-smoke bench-deps

$(BENCH_BIN): $(BENCH_SOURCES) $(BENCH_HEADERS) include/dmms.h $(LIB)/libdmms.so
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(BENCH_SOURCES) $(LINK_C) -lm -ldl -o $@

# apt-get only for what is missing: a machine that has everything is left alone.
bench-deps:
	@command -v dpkg-query >/dev/null || { echo "bench-deps: not Debian; install $(BENCH_PACKAGES) by hand"; exit 0; }; \
	missing=; \
	for package in $(BENCH_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q '^install ok installed' \
	        || missing="$$missing $$package"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then sudo=; \
	elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "bench-deps: need root to install:$$missing"; exit 1; fi; \
	echo "bench-deps: installing$$missing"; \
	$$sudo apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing

bench: bench-deps preload $(BENCH_BIN)
	BENCH=$(BENCH_BIN) BENCH_COMMAND="make bench" bash benchmarks/run.sh

bench-smoke: bench-deps preload $(BENCH_BIN)
	BENCH=$(BENCH_BIN) BENCH_COMMAND="make bench-smoke" bash benchmarks/run.sh --smoke

TEST_TARGETS += bench-smoke
