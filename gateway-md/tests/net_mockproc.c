/*  net_mockproc - see net_mockproc.h.                                       */
#include "net_mockproc.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t mockproc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mockproc_start(mockproc_t *m, const char *const *argv, int timeout_ms)
{
    memset(m, 0, sizeof *m);
    m->pid = -1;
    m->out_fd = -1;
    const char *bin = getenv("OFTS_BIN");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", bin ? bin : ".", argv[0]);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        execv(path, (char *const *) argv);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    m->pid = pid;
    m->out_fd = pipefd[0];
    char line[32];
    size_t len = 0;
    int64_t deadline = mockproc_now_ms() + timeout_ms;
    while (len < sizeof line - 1) {
        int left = (int) (deadline - mockproc_now_ms());
        struct pollfd p = { .fd = m->out_fd, .events = POLLIN };
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t n = read(m->out_fd, line + len, 1);
        if (n <= 0)
            break;
        if (line[len] == '\n') {
            line[len] = '\0';
            m->port = atoi(line);
            return m->port > 0 ? 0 : -1;
        }
        len++;
    }
    mockproc_stop(m);
    return -1;
}

void mockproc_stop(mockproc_t *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGTERM);
        int64_t deadline = mockproc_now_ms() + 2000;
        int status;
        while (waitpid(m->pid, &status, WNOHANG) == 0) {
            if (mockproc_now_ms() > deadline) {
                kill(m->pid, SIGKILL);
                waitpid(m->pid, &status, 0);
                break;
            }
            struct timespec ts = { 0, 5000000 };
            nanosleep(&ts, NULL);
        }
    }
    if (m->out_fd >= 0)
        close(m->out_fd);
    m->pid = -1;
    m->out_fd = -1;
}

static char s_capture_path[64];

int stderr_capture_start(void)
{
    fflush(stderr);
    snprintf(s_capture_path, sizeof s_capture_path, "/tmp/ofts-stderr-XXXXXX");
    int fd = mkstemp(s_capture_path);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    return saved;
}

char *stderr_capture_stop(int saved)
{
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    FILE *f = fopen(s_capture_path, "r");
    char *text = calloc(1, 65536);
    if (f) {
        size_t n = fread(text, 1, 65535, f);
        text[n] = '\0';
        fclose(f);
    }
    unlink(s_capture_path);
    //  show what was captured so the test log still has it
    fputs(text, stderr);
    return text;
}

int mockproc_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int ok = fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof a) == 0
             && getsockname(fd, (struct sockaddr *) &a, &len) == 0;
    if (fd >= 0)
        close(fd);
    return ok ? ntohs(a.sin_port) : -1;
}
