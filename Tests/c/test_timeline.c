/* test_timeline.c — samples of a pool's figures: dmms_timeline_sample on any
 * pool, and DMMS_TIMELINE's file of the default pool (each case in a child
 * process: the default pool reads the environment once). */
#define _GNU_SOURCE
#include "check.h"
#include "child.h"
#include "dmms.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static dmms_error_t last_error;
static void record(const dmms_error_t *err, void *arg) { (void)arg; last_error = *err; }

/* The value after "key": in a sample line, or UINT64_MAX when absent. */
static uint64_t member(const char *line, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\": ", key);
    const char *at = strstr(line, pattern);
    return at ? strtoull(at + strlen(pattern), NULL, 10) : UINT64_MAX;
}

static void sample_of_a_pool(void) {
    dmms_pool_t *pool = dmms_pool_create(NULL, 1 << 20, NULL);
    void *a = dmms_pool_alloc(pool, 40), *b = dmms_pool_alloc(pool, 40), *c = dmms_pool_alloc(pool, 1000);
    dmms_pool_free(pool, b);
    char line[8192];
    size_t length = dmms_timeline_sample(pool, line, sizeof line);
    CHECK(length > 0 && length < sizeof line);
    CHECK_EQ(strlen(line), length);
    CHECK(strncmp(line, "{\"t_ns\": ", 9) == 0);
    CHECK(length >= 3 && strcmp(line + length - 3, "}}\n") == 0);   /* one line, whole */
    CHECK_EQ(strchr(line, '\n'), line + length - 1);
    CHECK_EQ(member(line, "seq"), 3);
    CHECK_EQ(member(line, "bytes_requested"), 1040);
    dmms_stats_t stats;
    dmms_stats(pool, &stats);
    CHECK_EQ(member(line, "bytes_in_use"), stats.bytes_alloc);
    CHECK_EQ(member(line, "bytes_peak"), stats.max_bytes_alloc);
    CHECK_EQ(member(line, "failures"), 0);
    CHECK_EQ(member(line, "errors"), 0);
    CHECK(strstr(line, "\"pool\": \"") != NULL);
    CHECK(strstr(line, "\"exit\"") == NULL);
    /* 40 bytes + guard + record: 64-byte blocks, one in use of two allocated,
     * the freed one lazily free */
    CHECK(strstr(line, "\"sizes\": {\"64\": [1, 2, 1, 2, 0]") != NULL);

    /* Too small a buffer: the length all the same (t_ns only grows, and may
     * take a digit more), and only a NUL. */
    char small[16];
    memset(small, 'x', sizeof small);
    size_t again = dmms_timeline_sample(pool, small, sizeof small);
    CHECK(again >= length && again <= length + 2);
    CHECK_EQ(small[0], 0);
    again = dmms_timeline_sample(pool, NULL, 0);
    CHECK(again >= length && again <= length + 2);
    again = dmms_timeline_sample(pool, line, length);                 /* no room for the NUL */
    CHECK(again >= length && again <= length + 2);
    CHECK_EQ(line[0], 0);

    /* A failure is in the totals and its size's row. */
    dmms_set_error_handler(record, NULL);
    CHECK(dmms_pool_alloc(pool, 2 << 20) == NULL);
    dmms_set_error_handler(NULL, NULL);
    dmms_timeline_sample(pool, line, sizeof line);
    CHECK_EQ(member(line, "failures"), 1);
    CHECK(member(line, "errors") >= 1);

    /* Time goes on from one sample to the next. */
    uint64_t t0 = member(line, "t_ns");
    dmms_pool_free(pool, a);
    dmms_timeline_sample(pool, line, sizeof line);
    CHECK(member(line, "t_ns") >= t0);
    dmms_pool_free(pool, c);
    dmms_pool_destroy(pool);
}

static void sample_of_a_bad_handle(void) {
    dmms_set_error_handler(record, NULL);
    char line[64] = "unchanged";
    int not_a_pool[64] = { 0 };
    CHECK_EQ(dmms_timeline_sample((dmms_pool_t *)not_a_pool, line, sizeof line), 0);
    CHECK_EQ(line[0], 0);
    CHECK_EQ(last_error.status, DMMS_E_NOT_OWNED);
    dmms_set_error_handler(NULL, NULL);
}

static char timeline_path[256];

/* Child: the default pool with DMMS_TIMELINE, 3 MiB requested in 1 KiB
 * buffers (a sample per MiB at least), all freed, then exit. */
static int write_a_timeline(const void *arg) {
    setenv("DMMS_TIMELINE", (const char *)arg, 1);
    static void *buffers[3072];
    for (int i = 0; i < 3072; i++) if (!(buffers[i] = dmms_alloc(1024))) return 10;
    for (int i = 0; i < 3072; i++) if (dmms_free(buffers[i]) != DMMS_OK) return 11;
    return 0;
}

static void timeline_of_the_default_pool(void) {
    snprintf(timeline_path, sizeof timeline_path, "/tmp/dmms-timeline-%d.jsonl", (int)getpid());
    unlink(timeline_path);
    char err[1024];
    int status = in_child(write_a_timeline, timeline_path, err, sizeof err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(err[0], 0);                                    /* nothing on stderr */
    FILE *file = fopen(timeline_path, "r");
    CHECK(file != NULL);
    if (!file) return;
    static char line[8192], last[8192];
    int lines = 0, whole = 0, increasing = 1;
    uint64_t seq = 0, peak = 0;
    while (fgets(line, sizeof line, file)) {
        lines++;
        size_t n = strlen(line);
        whole += strncmp(line, "{\"t_ns\": ", 9) == 0 && n >= 2 && line[n - 1] == '\n' && line[n - 2] == '}';
        uint64_t s = member(line, "seq");
        if (s < seq) increasing = 0;
        seq = s;
        if (member(line, "bytes_peak") > peak) peak = member(line, "bytes_peak");
        strcpy(last, line);
    }
    fclose(file);
    CHECK(lines >= 4);                                      /* 3 MiB: 3 by bytes, and the exit one */
    CHECK_EQ(whole, lines);
    CHECK(increasing);
    CHECK_EQ(member(last, "seq"), 3072);
    CHECK(strstr(last, "\"exit\": true}") != NULL);
    CHECK_EQ(member(last, "bytes_requested"), 0);          /* all freed */
    CHECK(peak >= 3072 * 1024);
    CHECK(member(last, "pid") != UINT64_MAX);
    unlink(timeline_path);
}

/* Child: a program that closes every descriptor it did not open (as a
 * daemon does) and opens a file of its own, which gets the lowest number:
 * the timeline never writes into it. */
static char user_path[256];
static int close_descriptors_and_allocate(const void *arg) {
    setenv("DMMS_TIMELINE", (const char *)arg, 1);
    void *first = dmms_alloc(100);                            /* the timeline starts */
    for (int fd = 3; fd < 64; fd++) close(fd);
    int mine = open(user_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (mine != 3) return 20;
    static void *buffers[2048];
    for (int i = 0; i < 2048; i++) if (!(buffers[i] = dmms_alloc(1024))) return 21;
    for (int i = 0; i < 2048; i++) dmms_free(buffers[i]);
    if (write(mine, "mine\n", 5) != 5) return 22;
    close(mine);
    return dmms_free(first) == DMMS_OK ? 0 : 23;
}

static void descriptors_of_the_program_are_its_own(void) {
    snprintf(timeline_path, sizeof timeline_path, "/tmp/dmms-timeline-fd-%d.jsonl", (int)getpid());
    snprintf(user_path, sizeof user_path, "/tmp/dmms-user-file-%d.txt", (int)getpid());
    unlink(timeline_path);
    char err[1024];
    int status = in_child(close_descriptors_and_allocate, timeline_path, err, sizeof err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char text[64] = "";
    FILE *file = fopen(user_path, "r");
    size_t n = file ? fread(text, 1, sizeof text - 1, file) : 0;
    text[n] = 0;
    if (file) fclose(file);
    CHECK(strcmp(text, "mine\n") == 0);                       /* no sample in the program's file */
    int lines = 0;
    file = fopen(timeline_path, "r");
    static char line[8192];
    while (file && fgets(line, sizeof line, file)) lines++;
    if (file) fclose(file);
    CHECK(lines >= 3);                                        /* 2 MiB of blocks and more: samples */
    unlink(timeline_path);
    unlink(user_path);
}

/* A path that cannot be written: one line on stderr, the program runs on. */
static void unwritable_timeline(void) {
    char err[1024];
    int status = in_child(write_a_timeline, "/nonexistent-dir/timeline.jsonl", err, sizeof err);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(err, "DMMS_TIMELINE='/nonexistent-dir/timeline.jsonl': cannot be written") != NULL);
    int lines = 0;
    for (const char *c = err; *c; c++) lines += *c == '\n';
    CHECK_EQ(lines, 1);
}

int main(void) {
    sample_of_a_pool();
    sample_of_a_bad_handle();
    timeline_of_the_default_pool();
    descriptors_of_the_program_are_its_own();
    unwritable_timeline();
    return check_summary("test_timeline");
}
