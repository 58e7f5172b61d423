/* child.h — running part of a test in a child process: the default pool is
 * made once per process, from the environment, so each case that sets it up
 * differently (or ends the process) runs in its own child. */
#ifndef DMMS_TEST_CHILD_H
#define DMMS_TEST_CHILD_H
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn(arg) in a child process with its stderr captured into err;
 * returns the child's wait status. */
__attribute__((unused)) static int in_child(int (*fn)(const void *), const void *arg, char *err, size_t size) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        exit(fn(arg));          /* exit, not _exit: coverage tools write their data at exit */
    }
    close(pipefd[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(pipefd[0], err + got, size - 1 - got)) > 0) got += (size_t)n;
    err[got] = 0;
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

#endif
