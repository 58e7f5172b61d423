/* main.c — one workload, one contender, one process.
 *
 *   bench WORKLOAD --contender NAME [--range R] [--seed N] [--live N]
 *         [--steps N] [--warmup N] [--reps N] [--threads N]
 *         [--pool-bytes N] [--min-block N] [--tsc-hz F]
 *
 * WORKLOAD: latency (W1), throughput (W2), fragmentation (W3),
 * adversarial (W4), threads (W5), server (W6), loop (W7), stress (W8),
 * instructions (for callgrind), or tsc (prints the measured TSC rate, for
 * the other runs' --tsc-hz). */
#include "harness.h"
#include <stdio.h>

static void usage(void) {
    die("usage: bench latency|throughput|fragmentation|adversarial|threads|server|loop|stress|instructions|tsc "
        "--contender NAME [--range A|B|small|large] [--seed N] [--live N] [--steps N] [--warmup N] "
        "[--reps N] [--threads N] [--pool-bytes N] [--min-block N] [--tsc-hz F]");
}

static uint64_t number(const char *text) {
    char *end;
    unsigned long long value = strtoull(text, &end, 0);
    if (*end != '\0') die("not a number: %s", text);
    return value;
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    const char *workload = argv[1], *name = "glibc";
    double given_hz = 0;
    options_t o = {
        .range = "A", .seed = 1, .live = 10000, .steps = 100000, .warmup = 0, .reps = 1,
        .threads = 1, .pool_bytes = (size_t)4 << 20, .min_block = 32,
    };
    for (int i = 2; i < argc; i++) {
        const char *flag = argv[i];
        if (i + 1 >= argc) usage();
        const char *value = argv[++i];
        if (!strcmp(flag, "--contender")) name = value;
        else if (!strcmp(flag, "--range")) o.range = value;
        else if (!strcmp(flag, "--seed")) o.seed = number(value);
        else if (!strcmp(flag, "--live")) o.live = (uint32_t)number(value);
        else if (!strcmp(flag, "--steps")) o.steps = number(value);
        else if (!strcmp(flag, "--warmup")) o.warmup = number(value);
        else if (!strcmp(flag, "--reps")) o.reps = (uint32_t)number(value);
        else if (!strcmp(flag, "--threads")) o.threads = (uint32_t)number(value);
        else if (!strcmp(flag, "--pool-bytes")) o.pool_bytes = number(value);
        else if (!strcmp(flag, "--min-block")) o.min_block = (uint32_t)number(value);
        else if (!strcmp(flag, "--tsc-hz")) given_hz = strtod(value, NULL);
        else usage();
    }
    if (o.live == 0 || o.reps == 0) die("--live and --reps must be positive");
    if (o.pool_bytes & (o.pool_bytes - 1)) die("--pool-bytes must be a power of two");

    if (!strcmp(workload, "tsc")) {
        timer_calibrate(0);
        printf("%.0f\n", tsc_hz);
        return 0;
    }
    contender_select(name);
    timer_calibrate(given_hz);
    if (!strcmp(workload, "latency")) return run_latency(&o);
    if (!strcmp(workload, "throughput")) return run_throughput(&o);
    if (!strcmp(workload, "fragmentation")) return run_fragmentation(&o);
    if (!strcmp(workload, "adversarial")) return run_adversarial(&o);
    if (!strcmp(workload, "threads")) return run_threads(&o);
    if (!strcmp(workload, "server")) return run_server(&o);
    if (!strcmp(workload, "loop")) return run_loop(&o);
    if (!strcmp(workload, "stress")) return run_stress(&o);
    if (!strcmp(workload, "instructions")) return run_instructions(&o);
    usage();
}
