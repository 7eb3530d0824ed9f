#include "e2e_util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t
e2e_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
e2e_tempdir(const char *tag)
{
    char path[256];
    snprintf(path, sizeof path, "/tmp/ofts-%s-XXXXXX", tag);
    if (!mkdtemp(path))
        return NULL;
    return strdup(path);
}

static int
s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path);
}

void
e2e_rmtree(const char *path)
{
    if (path)
        nftw(path, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
e2e_bin(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("OFTS_BIN");
    snprintf(buf, size, "%s/%s", dir ? dir : "bin", name);
    return buf;
}

char *
e2e_write_config(const char *dir, const char *extra_json)
{
    static const char *services[] = { "gateway-md", "analyzer", "risk", "gateway-order", "monitor", "recorder" };
    json_t *eps = json_object();
    for (int i = 0; i < 6; i++) {
        char pub[512], ctl[512];
        snprintf(pub, sizeof pub, "ipc://%s/%s.pub", dir, services[i]);
        snprintf(ctl, sizeof ctl, "ipc://%s/%s.ctl", dir, services[i]);
        json_t *one = json_pack("{s:s}", "pub", pub);
        if (strcmp(services[i], "risk") == 0 || strcmp(services[i], "gateway-order") == 0)
            json_object_set_new(one, "ctl", json_string(ctl));
        json_object_set_new(eps, services[i], one);
    }
    char logs[512];
    snprintf(logs, sizeof logs, "%s/logs", dir);
    //  Durable state goes into the temp dir too: a journal or order store
    //  left in the build tree would make the next run see old order ids.
    char journal[512], store[512];
    snprintf(journal, sizeof journal, "%s/var/risk.sqlite", dir);
    snprintf(store, sizeof store, "%s/var/gateway-order.db", dir);
    char secret[512];
    snprintf(secret, sizeof secret, "%s/var/bus.secret", dir);
    json_t *root = json_pack("{s:{s:i, s:i, s:s, s:o}, s:{s:s, s:i, s:i}, s:{s:s}, s:{s:s}}",
                             "bus", "heartbeat_ms", 200, "heartbeat_timeout_ms", 1500, "secret_file", secret,
                             "endpoints", eps,
                             "up", "log_dir", logs, "restart_min_ms", 100, "restart_max_ms", 1000,
                             "risk", "journal", journal, "gateway_order", "db_path", store);
    if (extra_json) {
        json_error_t err;
        json_t *extra = json_loads(extra_json, 0, &err);
        if (!extra) {
            fprintf(stderr, "e2e: bad extra config: %s\n", err.text);
            abort();
        }
        const char *key;
        json_t *value;
        json_object_foreach(extra, key, value) {
            json_t *mine = json_object_get(root, key);
            if (mine && json_is_object(mine) && json_is_object(value))
                json_object_update(mine, value);
            else
                json_object_set(root, key, value);
        }
        json_decref(extra);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_dump_file(root, path, JSON_INDENT(2));
    json_decref(root);
    return strdup(path);
}

int
e2e_spawn(e2e_proc_t *proc, char *const argv[], bool pipe_out, const char *log_path)
{
    memset(proc, 0, sizeof *proc);
    proc->out = -1;
    int fds[2] = { -1, -1 };
    if (pipe_out && pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (pipe_out)
            dup2(fds[1], STDOUT_FILENO);
        if (log_path) {
            int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0)
                dup2(fd, STDERR_FILENO);
        }
        execv(argv[0], argv);
        fprintf(stderr, "e2e: cannot exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    proc->pid = pid;
    if (pipe_out) {
        close(fds[1]);
        proc->out = fds[0];
        fcntl(proc->out, F_SETFL, O_NONBLOCK);
    }
    return 0;
}

bool
e2e_read_line(e2e_proc_t *proc, char *line, size_t size, int64_t deadline_ms)
{
    while (true) {
        char *nl = memchr(proc->buf, '\n', proc->len);
        if (nl) {
            size_t n = (size_t) (nl - proc->buf);
            size_t copy = n < size - 1 ? n : size - 1;
            memcpy(line, proc->buf, copy);
            line[copy] = '\0';
            memmove(proc->buf, nl + 1, proc->len - n - 1);
            proc->len -= n + 1;
            return true;
        }
        int64_t left = deadline_ms - e2e_now_ms();
        if (left <= 0 || proc->out < 0)
            return false;
        struct pollfd p = { proc->out, POLLIN, 0 };
        if (poll(&p, 1, (int) left) <= 0)
            continue;
        if (proc->len == sizeof proc->buf)
            proc->len = 0;          //  an absurd line: drop it rather than hang
        ssize_t r = read(proc->out, proc->buf + proc->len, sizeof proc->buf - proc->len);
        if (r == 0)
            return false;
        if (r > 0)
            proc->len += (size_t) r;
    }
}

int
e2e_stop(e2e_proc_t *proc, int sig, int wait_ms)
{
    if (proc->pid <= 0)
        return -1;
    kill(proc->pid, sig);
    int status = 0;
    int64_t deadline = e2e_now_ms() + wait_ms;
    pid_t r = 0;
    while ((r = waitpid(proc->pid, &status, WNOHANG)) == 0 && e2e_now_ms() < deadline)
        usleep(10000);              //  polling a condition (the child's exit), bounded
    if (r == 0) {
        kill(proc->pid, SIGKILL);
        waitpid(proc->pid, &status, 0);
        status = -1;
    }
    if (proc->out >= 0)
        close(proc->out);
    proc->out = -1;
    proc->pid = 0;
    return status;
}

bool
e2e_pid_alive(pid_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

//  ofts-sim with an optional extra flag and its value (NULL: none).
static char *
s_sim_file(const char *dir, const char *name, double minutes, unsigned seed, const char *flag, const char *value)
{
    char sim[1024], path[1024], mins[32], seeds[32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(mins, sizeof mins, "%g", minutes);
    snprintf(seeds, sizeof seeds, "%u", seed);
    char *argv[] = { (char *) e2e_bin("ofts-sim", sim, sizeof sim), "--minutes", mins, "--seed", seeds, "-o", path,
                     (char *) flag, (char *) value, NULL };
    e2e_proc_t p;
    if (e2e_spawn(&p, argv, false, "/dev/null") != 0)
        return NULL;
    int status;
    waitpid(p.pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? strdup(path) : NULL;
}

char *
e2e_sim_file(const char *dir, const char *name, double minutes, unsigned seed)
{
    return s_sim_file(dir, name, minutes, seed, NULL, NULL);
}

char *
e2e_sim_file_at(const char *dir, const char *name, double minutes, unsigned seed, const char *start_iso)
{
    return s_sim_file(dir, name, minutes, seed, "--start", start_iso);
}

char *
e2e_sim_months_file(const char *dir, const char *name, double minutes, unsigned seed)
{
    return s_sim_file(dir, name, minutes, seed, "--months", NULL);
}

int
e2e_wait_exit(e2e_proc_t *proc, int wait_ms)
{
    if (proc->pid <= 0)
        return -1;
    int status = 0;
    int64_t deadline = e2e_now_ms() + wait_ms;
    while (true) {
        pid_t r = waitpid(proc->pid, &status, WNOHANG);
        if (r == proc->pid)
            break;
        if (e2e_now_ms() >= deadline)
            return -1;
        usleep(20000);              //  polling a condition (the child's exit), bounded
    }
    if (proc->out >= 0)
        close(proc->out);
    proc->out = -1;
    proc->pid = 0;
    return status;
}

//  Calls fn(pid, argv0, arg) for every live (not zombie) direct child of
//  parent, until fn returns true; returns that pid, or 0.
typedef bool (child_fn)(pid_t pid, const char *argv0, void *arg);

static pid_t
s_each_child(pid_t parent, child_fn *fn, void *arg)
{
    DIR *dir = opendir("/proc");
    if (!dir)
        return 0;
    pid_t found = 0;
    struct dirent *de;
    while (!found && (de = readdir(dir))) {
        pid_t pid = (pid_t) atoi(de->d_name);
        if (pid <= 0)
            continue;
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        //  "pid (comm) state ppid ...": comm may hold spaces, so read after ')'.
        char *close_paren = strrchr(buf, ')');
        char state;
        int ppid = 0;
        if (!close_paren || sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2 || ppid != parent
            || state == 'Z')
            continue;
        snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
        f = fopen(path, "r");
        if (!f)
            continue;
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';              //  argv[0] is the first NUL-terminated string
        if (fn(pid, buf, arg))
            found = pid;
    }
    closedir(dir);
    return found;
}

static bool
s_named(pid_t pid, const char *argv0, void *arg)
{
    (void) pid;
    const char *base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    return strcmp(base, (const char *) arg) == 0;
}

pid_t
e2e_child_pid(pid_t parent, const char *exe_name)
{
    return s_each_child(parent, s_named, (void *) exe_name);
}

static bool
s_kill_one(pid_t pid, const char *argv0, void *arg)
{
    int *count = arg;
    fprintf(stderr, "e2e: cleanup: kill -9 %s (pid %d)\n", argv0, pid);
    kill(pid, SIGKILL);
    (*count)++;
    return false;
}

int
e2e_kill_children(void)
{
    int count = 0;
    s_each_child(getpid(), s_kill_one, &count);
    //  Reap them all (and any zombie): nothing of ours outlives the test.
    int64_t deadline = e2e_now_ms() + 5000;
    while (e2e_now_ms() < deadline) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r < 0)
            break;                  //  ECHILD: none left
        if (r == 0)
            usleep(10000);          //  polling a condition (the children's exit), bounded
    }
    return count;
}

int
e2e_count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int count = 0;
    char line[8192];
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            count++;
    fclose(f);
    return count;
}

int
e2e_run(char *const argv[], const char *log_path)
{
    e2e_proc_t p;
    if (e2e_spawn(&p, argv, false, log_path) != 0)
        return -1;
    int status;
    while (waitpid(p.pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
e2e_capture(char *const argv[], const char *dir, bool with_stdout, char *out, size_t size)
{
    char log[1024];
    snprintf(log, sizeof log, "%s/capture.txt", dir);
    remove(log);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            if (with_stdout)
                dup2(fd, STDOUT_FILENO);
        }
        execv(argv[0], argv);
        fprintf(stderr, "e2e: cannot exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(out, 1, size - 1, f) : 0;
    out[n] = '\0';
    if (f)
        fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
e2e_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

void
e2e_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

int
e2e_up_until_replayed(const char *dir, const char *cfg, int grace_ms, int wait_ms)
{
    char ofts[1024], errlog[1024], grace[16];
    e2e_bin("ofts", ofts, sizeof ofts);
    snprintf(errlog, sizeof errlog, "%s/up.stderr", dir);
    snprintf(grace, sizeof grace, "%d", grace_ms);
    e2e_proc_t up;
    char *argv[] = { ofts, "up", "--config", (char *) cfg, "--until-exit", "gateway-md", "--grace-ms", grace,
                     "--quiet", NULL };
    if (e2e_spawn(&up, argv, false, errlog) != 0)
        return -1;
    int status = e2e_wait_exit(&up, wait_ms);
    if (status == -1) {
        fprintf(stderr, "e2e: `ofts up` did not finish the replay within %d ms: stopping it\n", wait_ms);
        e2e_stop(&up, SIGINT, 15000);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
e2e_sql_int(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    int n = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 1000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

int
e2e_run_with_config(const char *dir, const char *extra_json, const char *bin, const char *sub, const char *flag,
                    bool with_stdout, char *out, size_t size)
{
    char path[1024];
    char *cfg = e2e_write_config(dir, extra_json);
    char *argv[6];
    int n = 0;
    argv[n++] = (char *) e2e_bin(bin, path, sizeof path);
    if (sub)
        argv[n++] = (char *) sub;
    argv[n++] = "--config";
    argv[n++] = cfg;
    if (flag)
        argv[n++] = (char *) flag;
    argv[n] = NULL;
    int rc = e2e_capture(argv, dir, with_stdout, out, size);
    free(cfg);
    return rc;
}

int
e2e_dir_setup(char **dir, const char *tag)
{
    *dir = e2e_tempdir(tag);
    return *dir ? 0 : -1;
}

int
e2e_dir_teardown(char **dir)
{
    e2e_rmtree(*dir);
    free(*dir);
    *dir = NULL;
    return 0;
}

int
e2e_sim_setup(char **dir, char **data, const char *tag, const char *name, double minutes, unsigned seed)
{
    *data = NULL;
    if (e2e_dir_setup(dir, tag) != 0)
        return -1;
    *data = e2e_sim_file(*dir, name, minutes, seed);
    return *data ? 0 : -1;
}

int
e2e_sim_teardown(char **dir, char **data)
{
    free(*data);
    *data = NULL;
    return e2e_dir_teardown(dir);
}

static bool
s_executable_in(const char *dirs, char sep, const char *name, char *path, size_t size)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", dirs);
    char seps[2] = { sep, '\0' }, *save = NULL;
    for (char *dir = strtok_r(copy, seps, &save); dir; dir = strtok_r(NULL, seps, &save)) {
        snprintf(path, size, "%s/%s", dir, name);
        if (access(path, X_OK) == 0)
            return true;
    }
    return false;
}

bool
e2e_find_chromium(char *path, size_t size)
{
    const char *names[] = { "chromium", "chromium-browser", "google-chrome" };
    const char *env = getenv("PATH");
    for (size_t n = 0; n < 3; n++)
        if ((env && s_executable_in(env, ':', names[n], path, size))
            || s_executable_in("/usr/bin:/usr/local/bin:/snap/bin", ':', names[n], path, size))
            return true;
    return false;
}

char *
e2e_dump_dom(const char *chromium, const char *dir, const char *html, const char *name)
{
    char cmd[4096], out[1024];
    snprintf(out, sizeof out, "%s/%s.dom", dir, name);
    snprintf(cmd, sizeof cmd, "'%s' --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
             "--user-data-dir='%s/chromium' --virtual-time-budget=5000 --dump-dom 'file://%s' > '%s' 2>/dev/null",
             chromium, dir, html, out);
    char *argv[] = { "/bin/sh", "-c", cmd, NULL };
    if (e2e_run(argv, "/dev/null") != 0)
        return NULL;
    return e2e_read_file(out);
}

char *
e2e_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, n > 0 ? (size_t) n + 1 : 1);
    if (n > 0 && fread(text, 1, (size_t) n, f) != (size_t) n)
        text[0] = '\0';
    fclose(f);
    return text;
}
