/*  ws_client - see ws_client.h.                                            */
#include "ws_client.h"
#include <arpa/inet.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct _ws_client_t {
    int fd;
    unsigned char *buf;
    size_t len, cap;
};

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
s_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

//  Read more bytes into the buffer before the deadline; false on close/time-out.
static bool
s_fill(ws_client_t *self, int64_t deadline)
{
    int64_t left = deadline - s_now_ms();
    struct pollfd p = { .fd = self->fd, .events = POLLIN };
    if (left <= 0 || poll(&p, 1, (int) left) <= 0)
        return false;
    if (self->cap - self->len < 65536) {
        self->cap = self->cap * 2 + 65536;
        self->buf = realloc(self->buf, self->cap);
    }
    ssize_t n = read(self->fd, self->buf + self->len, self->cap - self->len);
    if (n <= 0)
        return false;
    self->len += (size_t) n;
    return true;
}

static void
s_consume(ws_client_t *self, size_t n)
{
    memmove(self->buf, self->buf + n, self->len - n);
    self->len -= n;
}

ws_client_t *
ws_client_connect(int port, const char *path, int timeout_ms, int *status)
{
    return ws_client_connect_ex(port, path, NULL, timeout_ms, status);
}

ws_client_t *
ws_client_connect_ex(int port, const char *path, const char *headers, int timeout_ms, int *status)
{
    ws_client_t *self = calloc(1, sizeof *self);
    self->fd = s_connect(port);
    if (status)
        *status = -1;
    if (self->fd < 0) {
        free(self);
        return NULL;
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Protocol: ofts-web\r\n%s\r\n",
                     path, port, headers ? headers : "");
    if (write(self->fd, req, (size_t) n) != n) {
        ws_client_destroy(&self);
        return NULL;
    }
    int64_t deadline = s_now_ms() + timeout_ms;
    char *end = NULL;
    while (!end) {
        if (!s_fill(self, deadline)) {
            ws_client_destroy(&self);
            return NULL;
        }
        self->buf[self->len < self->cap ? self->len : self->cap - 1] = 0;
        end = strstr((char *) self->buf, "\r\n\r\n");
    }
    int code = 0;
    sscanf((char *) self->buf, "HTTP/1.1 %d", &code);
    if (status)
        *status = code;
    if (code != 101) {
        ws_client_destroy(&self);
        return NULL;
    }
    s_consume(self, (size_t) (end + 4 - (char *) self->buf));
    return self;
}

void
ws_client_destroy(ws_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    close((*self_p)->fd);
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

char *
ws_client_recv(ws_client_t *self, int timeout_ms)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    char *msg = NULL;
    size_t msg_len = 0;
    while (true) {
        //  Header: 2 bytes, then 0, 2 or 8 bytes of length (server frames are not masked).
        while (self->len < 2)
            if (!s_fill(self, deadline))
                goto fail;
        size_t hdr = 2;
        uint64_t plen = self->buf[1] & 0x7f;
        if (plen == 126)
            hdr = 4;
        else if (plen == 127)
            hdr = 10;
        while (self->len < hdr)
            if (!s_fill(self, deadline))
                goto fail;
        if (plen == 126)
            plen = (uint64_t) self->buf[2] << 8 | self->buf[3];
        else if (plen == 127) {
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = plen << 8 | self->buf[2 + i];
        }
        while (self->len < hdr + plen)
            if (!s_fill(self, deadline))
                goto fail;
        int opcode = self->buf[0] & 0x0f;
        bool fin = self->buf[0] & 0x80;
        if (opcode == 8)
            goto fail;
        if (opcode == 1 || opcode == 0) {
            msg = realloc(msg, msg_len + plen + 1);
            memcpy(msg + msg_len, self->buf + hdr, plen);
            msg_len += plen;
            msg[msg_len] = 0;
        }
        s_consume(self, hdr + plen);
        if (msg && fin)
            return msg;
    }
fail:
    free(msg);
    return NULL;
}

int
ws_client_send(ws_client_t *self, const char *text)
{
    size_t len = strlen(text);
    unsigned char *f = malloc(len + 14);
    size_t h = 0;
    f[h++] = 0x81;
    if (len < 126)
        f[h++] = 0x80 | (unsigned char) len;
    else {
        f[h++] = 0x80 | 126;
        f[h++] = (unsigned char) (len >> 8);
        f[h++] = (unsigned char) len;
    }
    unsigned char mask[4] = { 0x12, 0x34, 0x56, 0x78 };
    memcpy(f + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        f[h + i] = (unsigned char) text[i] ^ mask[i % 4];
    ssize_t n = write(self->fd, f, h + len);
    free(f);
    return n == (ssize_t) (h + len) ? 0 : -1;
}

int
http_get(int port, const char *path, char **body)
{
    *body = NULL;
    int fd = s_connect(port);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    if (write(fd, req, (size_t) n) != n) {
        close(fd);
        return -1;
    }
    ws_client_t c = { .fd = fd };
    int64_t deadline = s_now_ms() + 5000;
    while (s_fill(&c, deadline))
        ;
    close(fd);
    int code = -1;
    if (c.len > 0) {
        c.buf = realloc(c.buf, c.len + 1);
        c.buf[c.len] = 0;
        sscanf((char *) c.buf, "HTTP/1.1 %d", &code);
        char *b = strstr((char *) c.buf, "\r\n\r\n");
        *body = strdup(b ? b + 4 : "");
    }
    free(c.buf);
    return code;
}

int
ws_wait_logged_port(const char *log_path, int timeout_ms)
{
    static const char marker[] = "serving http://127.0.0.1:";
    int64_t deadline = s_now_ms() + timeout_ms;
    while (s_now_ms() < deadline) {
        FILE *f = fopen(log_path, "r");
        char line[1024];
        while (f && fgets(line, sizeof line, f)) {
            char *at = strstr(line, marker);
            if (at) {
                fclose(f);
                return atoi(at + strlen(marker));
            }
        }
        if (f)
            fclose(f);
        nanosleep(&(struct timespec) { 0, 100000000L }, NULL);
    }
    return -1;
}

size_t
ws_client_buffer_size(ws_client_t *self)
{
    return self->cap;
}
