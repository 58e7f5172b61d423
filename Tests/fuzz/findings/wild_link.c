/* wild_link.c — a free block's links pass their check after a two-bit write
 * (finding "linear link check", docs/reliability.md).
 *
 * A free block keeps its links in its first 16 bytes, with a 40-bit check
 * (FreeList.swift): word 0 = next (44 bits) << 20 | check bits 0-19, and the
 * check is fold40(next ^ rotate(prev) ^ key), where fold40 XORs bit i and bit
 * i + 40 together. The fold is linear, so damage whose bits cancel in it
 * passes whatever the key: flipping `next` bits 1 and 41 (word 0 bits 21 and
 * 61) leaves the check intact and moves `next` by 2^41 units of 16 bytes. The
 * block is popped as valid, the wild `next` becomes the list head, and the
 * next request of that size reads a node there — before any check — and
 * faults. (A random 8-byte write passes with probability 2^-40; patterned
 * writes need not be random.)
 *
 * Exit 0 when the damage is reported (DMMS_E_CORRUPT) and nothing crashes.
 */
#include <dmms.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int reports;
static void count(const dmms_error_t *e, void *a) { (void)a; reports++; printf("  report: %s\n", e->message); }

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t pid = fork();
    if (pid == 0) {
        dmms_set_error_handler(count, NULL);
        dmms_config_t c;
        dmms_config_init(&c);
        c.coalesce = DMMS_COALESCE_ON_DEMAND;      /* every free is lazy: a list b -> a */
        dmms_pool_t *p = dmms_pool_create(NULL, 1 << 16, &c);
        unsigned char *a = dmms_pool_alloc(p, 40), *b = dmms_pool_alloc(p, 40);
        dmms_pool_free(p, a);
        dmms_pool_free(p, b);
        uint64_t w0;
        memcpy(&w0, b, 8);
        w0 ^= (1ULL << 21) | (1ULL << 61);         /* next bits 1 and 41: they cancel in the check */
        memcpy(b, &w0, 8);                         /* a write after free */
        printf("  dmms_check after the write: %llu problems\n", (unsigned long long)dmms_check(p));
        void *first = dmms_pool_alloc(p, 40);
        printf("  first request: %p (b was %p)\n", first, (void *)b);
        void *second = dmms_pool_alloc(p, 40);
        printf("  second request: %p\n", second);
        _exit(reports > 0 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    int present = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (WIFSIGNALED(status)) printf("  killed by signal %d\n", WTERMSIG(status));
    printf("wild_link: %s\n", present ? "PRESENT" : "absent");
    return present;
}
