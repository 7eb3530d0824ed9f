/*  projectx_harness - see projectx_harness.h.                                */
#include "projectx_harness.h"
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int
mock_start(mock_server_t *mock, const char *const *args)
{
    memset(mock, 0, sizeof *mock);
    const char *bin = getenv("OFTS_BIN");
    char path[1024];
    snprintf(path, sizeof path, "%s/ofts-mock-projectx", bin ? bin : ".");
    const char *argv[32] = { path };
    int argc = 1;
    for (int i = 0; args && args[i] && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        //  Never outlive the test (a test killed at its time-out would leave
        //  the mock holding ctest's output pipe: the suite hangs).
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(path, (char *const *) argv);
        fprintf(stderr, "cannot exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    mock->pid = pid;
    char line[64] = "";
    size_t len = 0;
    long deadline = mono_ms() + 10000;
    //  Two lines: the REST port, then the user-hub port.
    while (len < sizeof line - 1 && !(strchr(line, '\n') && strchr(strchr(line, '\n') + 1, '\n'))) {
        long left = deadline - mono_ms();
        struct pollfd pfd = { fds[0], POLLIN, 0 };
        if (left <= 0 || poll(&pfd, 1, (int) left) <= 0)
            break;
        ssize_t n = read(fds[0], line + len, sizeof line - 1 - len);
        if (n <= 0)
            break;
        len += (size_t) n;
        line[len] = 0;
    }
    close(fds[0]);
    mock->port = atoi(line);
    mock->hub_port = strchr(line, '\n') ? atoi(strchr(line, '\n') + 1) : 0;
    if (mock->port <= 0) {
        fprintf(stderr, "mock did not report a port (%s)\n", path);
        mock_stop(mock);
        return -1;
    }
    snprintf(mock->base_url, sizeof mock->base_url, "http://127.0.0.1:%d", mock->port);
    snprintf(mock->hub_url, sizeof mock->hub_url, "http://127.0.0.1:%d/hubs/user", mock->hub_port);
    return 0;
}

void
mock_stop(mock_server_t *mock)
{
    if (mock->pid <= 0)
        return;
    kill(mock->pid, SIGTERM);
    long deadline = mono_ms() + 5000;
    int status;
    while (waitpid(mock->pid, &status, WNOHANG) == 0) {
        if (mono_ms() > deadline) {
            kill(mock->pid, SIGKILL);
            waitpid(mock->pid, &status, 0);
            break;
        }
        usleep(10000);
    }
    mock->pid = 0;
}

static size_t
collect(char *ptr, size_t size, size_t n, void *arg)
{
    char **buf = arg;
    size_t old = *buf ? strlen(*buf) : 0;
    *buf = realloc(*buf, old + size * n + 1);
    memcpy(*buf + old, ptr, size * n);
    (*buf)[old + size * n] = 0;
    return size * n;
}

json_t *
mock_admin(mock_server_t *mock, const char *path, const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", mock->base_url, path);
    CURL *c = curl_easy_init();
    char *reply = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    json_t *json = NULL;
    if (cc == CURLE_OK && reply) {
        json_error_t err;
        json = json_loads(reply, 0, &err);
    }
    free(reply);
    return json;
}

int
mock_tag_count(mock_server_t *mock, const char *tag)
{
    json_t *state = mock_admin(mock, "/mock/state", NULL);
    int count = 0;
    json_t *orders = json_object_get(state, "orders");
    for (size_t i = 0; i < json_array_size(orders); i++) {
        const char *t = json_string_value(json_object_get(json_array_get(orders, i), "customTag"));
        if (t && strcmp(t, tag) == 0)
            count++;
    }
    json_decref(state);
    return count;
}

long
mock_counter(mock_server_t *mock, const char *name)
{
    json_t *state = mock_admin(mock, "/mock/state", NULL);
    long value = (long) json_integer_value(json_object_get(json_object_get(state, "counters"), name));
    json_decref(state);
    return value;
}

void
mock_client_config(const mock_server_t *mock, projectx_config_t *cfg, const char *user,
                   const char *key, const char *account)
{
    projectx_config_defaults(cfg);
    cfg->base_url = mock->base_url;
    cfg->username = user;
    cfg->api_key = key;
    cfg->account_name = account;
}
