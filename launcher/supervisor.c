#include "supervisor.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_fs.h"
#include "ofts_log.h"

#define MAX_CHILDREN 16
#define MAX_ARGS 32
#define LINE_MAX_LEN 4096
#define STABLE_MS 10000

typedef struct {
    char name[48];
    char *args[MAX_ARGS];           //  extra args, owned
    int nargs;
    pid_t pid;
    int fd;                         //  read end of the child's output pipe
    FILE *log;
    char line[LINE_MAX_LEN];
    size_t linelen;
    int64_t started_ms;
    int64_t restart_at_ms;          //  0: not scheduled
    int backoff_ms;
    int restarts;
    bool finished;
} child_t;

struct _supervisor_t {
    supervisor_config_t cfg;
    child_t children[MAX_CHILDREN];
    int nchildren;
    FILE *all_log;
    int64_t stop_at_ms;             //  until_exit: when to stop
    int exit_code;
};

static volatile sig_atomic_t s_stop_signal = 0;
static int s_wake[2] = { -1, -1 };

static void
s_on_signal(int sig)
{
    s_stop_signal = sig;
    if (s_wake[1] >= 0) {
        int saved = errno;
        ssize_t rc = write(s_wake[1], "x", 1);
        (void) rc;
        errno = saved;
    }
}

static void
s_on_sigchld(int sig)
{
    (void) sig;
    if (s_wake[1] >= 0) {
        int saved = errno;
        ssize_t rc = write(s_wake[1], "c", 1);
        (void) rc;
        errno = saved;
    }
}

static int64_t
s_now_ms(void)
{
    return ofts_clock_mono_ns() / OFTS_NS_PER_MS;
}

//  Logs can name accounts and positions: owner only, even one an older
//  version made world-readable.
static FILE *
s_open_log(const char *path)
{
    FILE *f = fopen(path, "a");
    if (f)
        fchmod(fileno(f), 0600);
    return f;
}

supervisor_t *
supervisor_new(const supervisor_config_t *config)
{
    supervisor_t *self = calloc(1, sizeof *self);
    self->cfg = *config;
    if (ofts_mkdir_p(config->log_dir, 0700) != 0) {
        log_error("cannot create log dir %s: %s", config->log_dir, strerror(errno));
        free(self);
        return NULL;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/orderflow_trading.log", config->log_dir);
    self->all_log = s_open_log(path);
    if (!self->all_log) {
        log_error("cannot open %s: %s", path, strerror(errno));
        free(self);
        return NULL;
    }
    ofts_log_set_tee(self->all_log);
    return self;
}

void
supervisor_destroy(supervisor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    supervisor_t *self = *self_p;
    for (int i = 0; i < self->nchildren; i++) {
        child_t *c = &self->children[i];
        for (int a = 0; a < c->nargs; a++)
            free(c->args[a]);
        if (c->fd >= 0)
            close(c->fd);
        if (c->log)
            fclose(c->log);
    }
    ofts_log_set_tee(NULL);
    if (self->all_log)
        fclose(self->all_log);
    free(self);
    *self_p = NULL;
}

int
supervisor_add(supervisor_t *self, const char *service, const char *const *extra)
{
    if (self->nchildren == MAX_CHILDREN)
        return -1;
    child_t *c = &self->children[self->nchildren++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", service);
    c->fd = -1;
    c->backoff_ms = self->cfg.restart_min_ms;
    for (int i = 0; extra && extra[i] && c->nargs < MAX_ARGS - 4; i++)
        c->args[c->nargs++] = strdup(extra[i]);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.log", self->cfg.log_dir, service);
    c->log = s_open_log(path);
    return c->log ? 0 : -1;
}

static void
s_binary(supervisor_t *self, const char *service, char *buf, size_t size)
{
    snprintf(buf, size, "%s/ofts-%s", self->cfg.bin_dir, service);
}

//  Build argv: binary --config F [extra...] [more...]
static void
s_argv(supervisor_t *self, child_t *c, const char *bin, const char *more, char **argv)
{
    int n = 0;
    argv[n++] = (char *) bin;
    argv[n++] = "--config";
    argv[n++] = (char *) self->cfg.config_path;
    if (more)
        argv[n++] = (char *) more;
    for (int i = 0; i < c->nargs; i++)
        argv[n++] = c->args[i];
    argv[n] = NULL;
}

static void s_filter_env(const char *service);

int
supervisor_check(supervisor_t *self)
{
    for (int i = 0; i < self->nchildren; i++) {
        child_t *c = &self->children[i];
        char bin[1024];
        s_binary(self, c->name, bin, sizeof bin);
        if (access(bin, X_OK) != 0) {
            //  Not built (or not installed): say which, and what to do.
            log_error("%s: %s: %s: build it (cmake --build build --target ofts-%s) or leave %s out "
                      "(up.services, or --only); nothing started", c->name, bin, strerror(errno), c->name, c->name);
            return 127;
        }
        char *argv[MAX_ARGS + 8];
        s_argv(self, c, bin, "--check-config", argv);
        pid_t pid = fork();
        if (pid == 0) {
            //  Only the verdict matters here: a refusal is on stderr; each
            //  service's "config OK" line would be noise before the start.
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0)
                dup2(devnull, STDOUT_FILENO);
            s_filter_env(c->name);
            execv(bin, argv);
            fprintf(stderr, "ofts: cannot run %s: %s\n", bin, strerror(errno));
            _exit(127);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0) {
            log_error("%s: %s (exit %d); nothing started", c->name,
                      code == OFTS_EXIT_FATAL ? "cannot run (its ERROR line above says why)"
                                              : "rejected the configuration", code);
            return code == 127 ? 127 : 2;
        }
    }
    return 0;
}

//  Secrets reach only the service that needs them (issue 11): the broker
//  credentials only gateway-order, the market data key only gateway-md, the
//  webhooks (OFTS_ALERT_*) only alerts. Any other TOPSTEPX_* / DATABENTO_* /
//  OFTS_ALERT_* variable (and its _FILE form) is removed from a child's
//  environment before exec.
static bool
s_env_allowed(const char *service, const char *var)
{
    if (strncmp(var, "TOPSTEPX_", 9) == 0)
        return strcmp(service, "gateway-order") == 0;
    if (strncmp(var, "DATABENTO_", 10) == 0)
        return strcmp(service, "gateway-md") == 0;
    if (strncmp(var, "OFTS_ALERT_", 11) == 0)         //  webhook URLs and bot tokens
        return strcmp(service, "alerts") == 0;
    return true;
}

static void
s_filter_env(const char *service)
{
    extern char **environ;
    char names[64][128];
    int n = 0;
    for (char **e = environ; *e && n < 64; e++) {
        const char *eq = strchr(*e, '=');
        size_t len = eq ? (size_t) (eq - *e) : strlen(*e);
        if (len < sizeof names[0] && !s_env_allowed(service, *e)) {
            memcpy(names[n], *e, len);
            names[n++][len] = '\0';
        }
    }
    for (int i = 0; i < n; i++)
        unsetenv(names[i]);
}

static void
s_start(supervisor_t *self, child_t *c)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        log_error("pipe: %s", strerror(errno));
        return;
    }
    char bin[1024];
    s_binary(self, c->name, bin, sizeof bin);
    char *argv[MAX_ARGS + 8];
    s_argv(self, c, bin, NULL, argv);
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork %s: %s", c->name, strerror(errno));
        close(fds[0]);
        close(fds[1]);
        c->restart_at_ms = s_now_ms() + c->backoff_ms;
        return;
    }
    if (pid == 0) {
        //  Die with the supervisor: a killed `ofts up` must not leave
        //  services trading on their own.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        setpgid(0, 0);              //  Ctrl-C reaches us only; we stop children in order
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        s_filter_env(c->name);
        execv(bin, argv);
        fprintf(stderr, "ofts: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = fds[0];
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    c->pid = pid;
    c->started_ms = s_now_ms();
    c->restart_at_ms = 0;
    log_info("started %s (pid %d)%s", c->name, (int) pid, c->restarts ? " again" : "");
}

static void
s_write_line(supervisor_t *self, child_t *c, const char *line, size_t len)
{
    fwrite(line, 1, len, c->log);
    fputc('\n', c->log);
    fflush(c->log);
    fwrite(line, 1, len, self->all_log);
    fputc('\n', self->all_log);
    fflush(self->all_log);
    if (!self->cfg.quiet) {
        fwrite(line, 1, len, stderr);
        fputc('\n', stderr);
    }
}

//  Read what the child wrote; returns false at end of file.
static bool
s_read_child(supervisor_t *self, child_t *c)
{
    char buf[8192];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n == 0)
        return false;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || c->linelen == LINE_MAX_LEN - 1) {
            s_write_line(self, c, c->line, c->linelen);
            c->linelen = 0;
            if (buf[i] == '\n')
                continue;
        }
        c->line[c->linelen++] = buf[i];
    }
    return true;
}

static void
s_close_output(supervisor_t *self, child_t *c)
{
    while (c->fd >= 0 && s_read_child(self, c)) {
        struct pollfd p = { c->fd, POLLIN, 0 };
        if (poll(&p, 1, 0) <= 0)
            break;
    }
    if (c->linelen) {
        s_write_line(self, c, c->line, c->linelen);
        c->linelen = 0;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static child_t *
s_by_pid(supervisor_t *self, pid_t pid)
{
    for (int i = 0; i < self->nchildren; i++)
        if (self->children[i].pid == pid)
            return &self->children[i];
    return NULL;
}

static void
s_describe(int status, char *buf, size_t size)
{
    if (WIFEXITED(status))
        snprintf(buf, size, "exit code %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "status %d", status);
}

static void
s_on_exit(supervisor_t *self, child_t *c, int status, bool stopping)
{
    char how[96];
    s_describe(status, how, sizeof how);
    s_close_output(self, c);
    c->pid = 0;
    int64_t now = s_now_ms();
    if (stopping) {
        log_info("%s stopped (%s)", c->name, how);
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        c->finished = true;
        log_info("%s finished (%s)", c->name, how);
        if (self->cfg.until_exit && strcmp(self->cfg.until_exit, c->name) == 0)
            self->stop_at_ms = now + self->cfg.grace_ms;
        return;
    }
    if (WIFEXITED(status) && (WEXITSTATUS(status) == OFTS_EXIT_CONFIG || WEXITSTATUS(status) == OFTS_EXIT_FATAL
                              || WEXITSTATUS(status) == 127)) {
        int code = WEXITSTATUS(status);
        log_error("%s cannot run (%s: %s; its last ERROR line above says why); a restart cannot fix this: "
                  "not restarting, stopping everything", c->name, how,
                  code == OFTS_EXIT_CONFIG ? "configuration refused"
                  : code == OFTS_EXIT_FATAL ? "fatal error" : "binary not found");
        self->exit_code = OFTS_EXIT_CONFIG;
        self->stop_at_ms = now;
        return;
    }
    if (now - c->started_ms >= STABLE_MS)
        c->backoff_ms = self->cfg.restart_min_ms;
    c->restarts++;
    c->restart_at_ms = now + c->backoff_ms;
    log_warn("%s died (%s) after %lld ms; restart #%d in %d ms", c->name, how,
             (long long) (now - c->started_ms), c->restarts, c->backoff_ms);
    c->backoff_ms = c->backoff_ms * 2 > self->cfg.restart_max_ms ? self->cfg.restart_max_ms : c->backoff_ms * 2;
}

static void
s_reap(supervisor_t *self, bool stopping)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        child_t *c = s_by_pid(self, pid);
        if (c)
            s_on_exit(self, c, status, stopping);
    }
}

static int
s_running(supervisor_t *self)
{
    int n = 0;
    for (int i = 0; i < self->nchildren; i++)
        n += self->children[i].pid > 0;
    return n;
}

//  One round of waiting: child output, signals, timers.
static void
s_poll_once(supervisor_t *self, int timeout_ms)
{
    struct pollfd fds[MAX_CHILDREN + 1];
    child_t *owners[MAX_CHILDREN + 1];
    int n = 0;
    fds[n] = (struct pollfd) { s_wake[0], POLLIN, 0 };
    owners[n++] = NULL;
    for (int i = 0; i < self->nchildren; i++) {
        if (self->children[i].fd >= 0) {
            fds[n] = (struct pollfd) { self->children[i].fd, POLLIN, 0 };
            owners[n++] = &self->children[i];
        }
    }
    if (poll(fds, (nfds_t) n, timeout_ms) <= 0)
        return;
    if (fds[0].revents) {
        char drain[64];
        while (read(s_wake[0], drain, sizeof drain) > 0)
            ;
    }
    for (int i = 1; i < n; i++)
        if (fds[i].revents && !s_read_child(self, owners[i])) {
            close(owners[i]->fd);   //  EOF: the exit itself arrives via SIGCHLD
            owners[i]->fd = -1;
        }
}

static void
s_stop_all(supervisor_t *self)
{
    for (int i = self->nchildren - 1; i >= 0; i--)
        if (self->children[i].pid > 0)
            kill(self->children[i].pid, SIGTERM);
    int64_t deadline = s_now_ms() + self->cfg.stop_timeout_ms;
    while (s_running(self) > 0 && s_now_ms() < deadline) {
        s_poll_once(self, 50);
        s_reap(self, true);
    }
    for (int i = 0; i < self->nchildren; i++) {
        child_t *c = &self->children[i];
        if (c->pid > 0) {
            log_warn("%s did not stop within %d ms; killing it", c->name, self->cfg.stop_timeout_ms);
            kill(c->pid, SIGKILL);
        }
    }
    while (s_running(self) > 0) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0 && errno != EINTR)
            break;
        child_t *c = pid > 0 ? s_by_pid(self, pid) : NULL;
        if (c)
            s_on_exit(self, c, status, true);
    }
}

int
supervisor_run(supervisor_t *self)
{
    if (pipe2(s_wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return 1;
    struct sigaction sa = { 0 };
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = s_on_sigchld;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);

    log_info("up: starting %d services, config %s, logs in %s", self->nchildren,
             self->cfg.config_path, self->cfg.log_dir);
    for (int i = 0; i < self->nchildren; i++)
        s_start(self, &self->children[i]);
    while (!s_stop_signal) {
        int64_t now = s_now_ms();
        if (self->stop_at_ms && now >= self->stop_at_ms)
            break;
        for (int i = 0; i < self->nchildren; i++) {
            child_t *c = &self->children[i];
            if (c->restart_at_ms && now >= c->restart_at_ms && !c->pid)
                s_start(self, c);
        }
        s_poll_once(self, 100);
        s_reap(self, false);
    }
    if (s_stop_signal)
        log_info("up: %s received, stopping services", strsignal(s_stop_signal));
    else
        log_info("up: stopping services");
    s_stop_all(self);
    log_info("up: all services stopped");
    close(s_wake[0]);
    close(s_wake[1]);
    s_wake[0] = s_wake[1] = -1;
    return self->exit_code;
}
