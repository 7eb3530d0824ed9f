/*  http_recorder - see http_recorder.h. A thread per connection, so a hung
    answer holds only its own connection (as on a real server), and a retry
    on a new connection is served at once.                                 */
#include "http_recorder.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORDS 512
#define MAX_PLAN 64
#define MAX_CONNS 256

struct _http_recorder_t {
    int fd, port;
    pthread_t thread;
    pthread_mutex_t mx;
    bool stop;
    char plan[MAX_PLAN][8];
    size_t nplan, next_plan;
    int hang_ms;
    bool hang_all;
    http_record_t records[MAX_RECORDS];
    size_t nrecords, requests;
    pthread_t conns[MAX_CONNS];
    size_t nconns;
};

typedef struct {
    http_recorder_t *self;
    int fd;
} s_conn_t;

static int64_t
s_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Read one request (headers and Content-Length body) within 5 s.
static char *
s_read_request(int fd, size_t *hdr_len)
{
    size_t cap = 65536, len = 0;
    char *buf = calloc(1, cap + 1);
    int64_t deadline = s_ms() + 5000;
    char *end = NULL;
    size_t want = 0;
    while (s_ms() < deadline) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(fd, buf + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t) n;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            *hdr_len = (size_t) (end - buf) + 4;
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            want = *hdr_len + (cl ? strtoul(cl + 17, NULL, 10) : 0);
        }
        if (end && len >= want)
            return buf;
    }
    free(buf);
    return NULL;
}

static void
s_header(const char *req, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    char pat[64];
    snprintf(pat, sizeof pat, "\r\n%s:", name);
    const char *h = strcasestr(req, pat);
    if (!h)
        return;
    h += strlen(pat);
    while (*h == ' ')
        h++;
    size_t n = strcspn(h, "\r\n");
    snprintf(out, size, "%.*s", (int) (n < size ? n : size - 1), h);
}

static void
s_serve(http_recorder_t *self, int fd)
{
    size_t hdr_len = 0;
    char *req = s_read_request(fd, &hdr_len);
    if (!req)
        return;
    pthread_mutex_lock(&self->mx);
    self->requests++;
    bool held = self->hang_all;
    const char *answer = held ? "hang" : self->next_plan < self->nplan ? self->plan[self->next_plan++] : "200";
    int hang_ms = self->hang_ms;
    pthread_mutex_unlock(&self->mx);
    if (strcmp(answer, "hang") == 0) {
        //  hang_all holds the connection until it is turned off (then
        //  closes it unanswered); a planned hang lasts hang_ms.
        int64_t until = s_ms() + hang_ms;
        while (held || s_ms() < until) {
            pthread_mutex_lock(&self->mx);
            bool stop = self->stop;
            held = held && self->hang_all;
            pthread_mutex_unlock(&self->mx);
            if (stop)
                break;
            usleep(20000);
        }
        free(req);
        return;
    }
    int code = atoi(answer);
    char resp[256];
    snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n%s\r\nok", code,
             code == 429 ? "Retry-After: 1\r\n" : "");
    if (code >= 200 && code < 300) {
        pthread_mutex_lock(&self->mx);
        if (self->nrecords < MAX_RECORDS) {
            http_record_t *r = &self->records[self->nrecords++];
            sscanf(req, "%*s %255s", r->path);
            s_header(req, "Idempotency-Key", r->idempotency_key, sizeof r->idempotency_key);
            r->body = strdup(req + hdr_len);
        }
        pthread_mutex_unlock(&self->mx);
    }
    if (write(fd, resp, strlen(resp)) < 0)
        perror("http_recorder write");
    free(req);
}

static void *
s_conn_run(void *arg)
{
    s_conn_t *conn = arg;
    s_serve(conn->self, conn->fd);
    close(conn->fd);
    free(conn);
    return NULL;
}

static void *
s_run(void *arg)
{
    http_recorder_t *self = arg;
    for (;;) {
        pthread_mutex_lock(&self->mx);
        bool stop = self->stop;
        pthread_mutex_unlock(&self->mx);
        if (stop)
            break;
        struct pollfd p = { .fd = self->fd, .events = POLLIN };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(self->fd, NULL, NULL);
        if (c < 0)
            continue;
        s_conn_t *conn = malloc(sizeof *conn);
        *conn = (s_conn_t) { self, c };
        if (self->nconns == MAX_CONNS || pthread_create(&self->conns[self->nconns], NULL, s_conn_run, conn) != 0) {
            s_conn_run(conn);
            continue;
        }
        self->nconns++;
    }
    for (size_t i = 0; i < self->nconns; i++)
        pthread_join(self->conns[i], NULL);
    return NULL;
}

http_recorder_t *
http_recorder_new(void)
{
    http_recorder_t *self = calloc(1, sizeof *self);
    pthread_mutex_init(&self->mx, NULL);
    self->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    if (bind(self->fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen(self->fd, 16) != 0
        || getsockname(self->fd, (struct sockaddr *) &addr, &len) != 0) {
        close(self->fd);
        free(self);
        return NULL;
    }
    self->port = ntohs(addr.sin_port);
    pthread_create(&self->thread, NULL, s_run, self);
    return self;
}

void
http_recorder_destroy(http_recorder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    http_recorder_t *self = *self_p;
    pthread_mutex_lock(&self->mx);
    self->stop = true;
    pthread_mutex_unlock(&self->mx);
    pthread_join(self->thread, NULL);
    close(self->fd);
    for (size_t i = 0; i < self->nrecords; i++)
        free(self->records[i].body);
    pthread_mutex_destroy(&self->mx);
    free(self);
    *self_p = NULL;
}

int http_recorder_port(http_recorder_t *self) { return self->port; }

void
http_recorder_plan(http_recorder_t *self, const char *plan, int hang_ms)
{
    pthread_mutex_lock(&self->mx);
    self->nplan = self->next_plan = 0;
    self->hang_ms = hang_ms;
    char copy[512];
    snprintf(copy, sizeof copy, "%s", plan);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && self->nplan < MAX_PLAN; t = strtok_r(NULL, ",", &save))
        snprintf(self->plan[self->nplan++], sizeof self->plan[0], "%s", t);
    pthread_mutex_unlock(&self->mx);
}

void
http_recorder_hang_all(http_recorder_t *self, int on)
{
    pthread_mutex_lock(&self->mx);
    self->hang_all = on != 0;
    pthread_mutex_unlock(&self->mx);
}

size_t
http_recorder_requests(http_recorder_t *self)
{
    pthread_mutex_lock(&self->mx);
    size_t n = self->requests;
    pthread_mutex_unlock(&self->mx);
    return n;
}

size_t
http_recorder_count(http_recorder_t *self)
{
    pthread_mutex_lock(&self->mx);
    size_t n = self->nrecords;
    pthread_mutex_unlock(&self->mx);
    return n;
}

int
http_recorder_get(http_recorder_t *self, size_t i, http_record_t *out)
{
    int rc = -1;
    pthread_mutex_lock(&self->mx);
    if (i < self->nrecords) {
        *out = self->records[i];
        out->body = strdup(self->records[i].body);
        rc = 0;
    }
    pthread_mutex_unlock(&self->mx);
    return rc;
}

size_t
http_recorder_count_matching(http_recorder_t *self, const char *needle)
{
    size_t n = 0;
    pthread_mutex_lock(&self->mx);
    for (size_t i = 0; i < self->nrecords; i++)
        n += strstr(self->records[i].body, needle) != NULL;
    pthread_mutex_unlock(&self->mx);
    return n;
}
