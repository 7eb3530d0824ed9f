/*  ofts_zmtp - see ofts_zmtp.h. ZMTP 3.0 (rfc.zeromq.org/spec/23): a 64-byte
    greeting each way, a READY command each way (ours says Socket-Type SUB),
    then frames: a flags byte (1 MORE, 2 LONG, 4 COMMAND), a size (1 byte,
    or 8 bytes big-endian when LONG), the body. A 3.0 subscriber subscribes
    with a message whose body is 1 followed by the prefix.               */
#include "ofts_zmtp.h"
#include <czmq.h>
#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "ofts_clock.h"
#include "ofts_log.h"
#include "ofts_limit.h"

#define READ_CHUNK (256 * 1024)
#define BUF_MAX (64 * 1024 * 1024)      //  what one drain buffers before handing messages over
#define RETRY_MS 200
#define HANDSHAKE_MS 1000               //  a peer that has not greeted and READY'd by then is dropped
//  A tcp:// host name is looked up at most this often, and only to dial (a
//  lookup may wait seconds for a DNS server, and the reader's thread is the
//  monitor's loop: not at every dial of a publisher that is down).
#define RESOLVE_MS 30000
#define RESOLVE_RETRY_MS 5000           //  after a lookup that failed
//  A drain that read this much found the socket full, or near it: the
//  publisher has more queued (ofts_zmtp_backlogged). An idle-bus drain of
//  5 ms reads a few KB.
#define BACKLOG_BYTES (32 * 1024)
//  Largest message taken: half the buffer, so a full buffer always holds a
//  whole message. A bigger one - or a frame claiming 2^40 bytes - is a
//  broken or hostile peer: the connection is dropped (as libzmq drops a
//  peer that breaks ZMTP), never waited on with a full buffer.
#define MSG_MAX (BUF_MAX / 2)

struct _ofts_zmtp_t {
    char endpoint[512];
    int fd;                             //  -1: not connected
    int64_t next_try_ms;
    bool shaking;                       //  fd dialled, ZMTP handshake not finished
    int64_t shake_until_ms;
    size_t hello_sent;                  //  of s_hello
    bool greeted;                       //  the peer's greeting was read and is good
    bool was_connected, eof;
    size_t got;                         //  bytes read by the current drain
    bool backlogged;
    const char *broken;                 //  why the stream cannot go on, or NULL
    struct addrinfo *addrs;             //  tcp://: the host's addresses, looked up at most every RESOLVE_MS
    struct addrinfo *start;             //  the one dialled first: the last that worked, or the next to try
    int64_t resolve_after_ms;
    uint8_t *buf;                       //  received, not yet handed over
    size_t pos, len, cap;               //  buf[pos..len): not handed over yet
    ofts_limit_t failing;                //  a listener that never speaks fails every ~1.2 s: logged every 10 s
};

static int64_t
s_now_ms(void)
{
    return ofts_clock_mono_ns() / OFTS_NS_PER_MS;
}

//  tcp://host:port's address into self->addr when it is due: at the first
//  dial, then at a dial RESOLVE_MS later (the host may have moved), or
//  RESOLVE_RETRY_MS after a lookup that failed.
static void
s_resolve(ofts_zmtp_t *self, const char *host, const char *port)
{
    int64_t now = s_now_ms();
    if (now < self->resolve_after_ms)
        return;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc == 0) {
        if (self->addrs)
            freeaddrinfo(self->addrs);
        self->addrs = res;
        self->start = res;
        self->resolve_after_ms = now + RESOLVE_MS;
        return;
    }
    //  The addresses it had (if any) are dialled on.
    uint64_t n = 0;
    if (ofts_limit_failed(&self->failing, ofts_clock_mono_ns(), &n))
        log_warn("publisher %s: cannot look up %s: %s (%llu failures since the last such line; logged at most every "
                 "10 s)", self->endpoint, host, gai_strerror(rc), (unsigned long long) n);
    self->resolve_after_ms = now + RESOLVE_RETRY_MS;
}

//  A socket dialling ipc://path or tcp://host:port without waiting (a TCP
//  connect may still be in progress: the handshake's first send tells), or -1.
static int
s_dial(ofts_zmtp_t *self)
{
    const char *ep = self->endpoint;
    if (strncmp(ep, "ipc://", 6) == 0) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(ep + 6) >= sizeof sa.sun_path)
            return -1;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", ep + 6);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) {
            close(fd);
            fd = -1;
        }
        return fd;
    }
    char host[256];
    const char *colon = strrchr(ep + 6, ':');
    if (strncmp(ep, "tcp://", 6) != 0 || !colon || (size_t) (colon - (ep + 6)) >= sizeof host)
        return -1;
    snprintf(host, sizeof host, "%.*s", (int) (colon - (ep + 6)), ep + 6);
    s_resolve(self, host, colon + 1);
    //  A host may have several addresses (::1 and 127.0.0.1 for localhost)
    //  and the publisher listen on one: from the last that worked, a dial
    //  refused at once goes on to the next now; one that fails later, in
    //  the handshake, moves the start on for the next dial (s_close).
    int n = 0;
    for (struct addrinfo *x = self->addrs; x; x = x->ai_next)
        n++;
    struct addrinfo *a = self->start;
    int fd = -1;
    for (int i = 0; a && fd < 0 && i < n; i++) {
        self->start = a;
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            close(fd);
            fd = -1;
        }
        a = a->ai_next ? a->ai_next : self->addrs;
    }
    return fd;
}

//  Ours, at once: greeting (ZMTP 3.0, NULL) and READY as a SUB. The
//  subscription (s_subscribe) only after the peer's READY: libzmq takes
//  every message before its own READY went out for a handshake command,
//  and drops a peer whose "second READY" is a subscription.
static const uint8_t s_hello[] = {
    0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 0, 'N', 'U', 'L', 'L', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x04, 25, 5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 3,
    'S', 'U', 'B',
};
static const uint8_t s_subscribe[] = { 0x00, 1, 1 };       //  everything

ofts_zmtp_t *
ofts_zmtp_new(const char *endpoint)
{
    if (strncmp(endpoint, "ipc://", 6) != 0 && strncmp(endpoint, "tcp://", 6) != 0)
        return NULL;
    ofts_zmtp_t *self = calloc(1, sizeof *self);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->fd = -1;
    return self;
}

//  why NULL: quietly (a publisher that is not there yet is not news).
static void
s_close(ofts_zmtp_t *self, const char *why)
{
    if (self->fd < 0)
        return;
    close(self->fd);
    self->fd = -1;
    if (self->shaking && self->start)       //  never got through on this address: the next one next time
        self->start = self->start->ai_next ? self->start->ai_next : self->addrs;
    self->len = self->pos = 0;          //  a message cut short is lost, as on any reconnect
    self->next_try_ms = s_now_ms() + RETRY_MS;
    uint64_t n = 0;
    if (why && ofts_limit_failed(&self->failing, ofts_clock_mono_ns(), &n))
        log_warn("publisher %s: %s%s%s (%llu failures since the last such line; logged at most every 10 s)",
                 self->endpoint, self->shaking ? "ZMTP handshake failed: " : "", why,
                 self->shaking ? "" : ", reconnecting", (unsigned long long) n);
    self->shaking = false;
}

void
ofts_zmtp_destroy(ofts_zmtp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ofts_zmtp_t *self = *self_p;
    if (self->fd >= 0)
        close(self->fd);
    if (self->addrs)
        freeaddrinfo(self->addrs);
    free(self->buf);
    free(self);
    *self_p = NULL;
}

static void
s_connect(ofts_zmtp_t *self)
{
    if (s_now_ms() < self->next_try_ms)
        return;
    self->fd = s_dial(self);
    if (self->fd < 0) {
        self->next_try_ms = s_now_ms() + RETRY_MS;
        return;
    }
    self->shaking = true;
    self->shake_until_ms = s_now_ms() + HANDSHAKE_MS;
    self->hello_sent = 0;
    self->greeted = false;
    self->eof = false;
    self->len = self->pos = 0;
}

static bool s_fill(ofts_zmtp_t *self, bool once);

//  The peer's READY at the head of the buffer: 1 when read (and consumed),
//  0 when incomplete, -1 when it is something else.
static int
s_ready(ofts_zmtp_t *self)
{
    if (self->len < 2)
        return 0;
    uint8_t flags = self->buf[0];
    uint64_t size = self->buf[1];
    size_t head = 2;
    if (!(flags & 0x04))
        return -1;
    if (flags & 0x02) {
        if (self->len < 9)
            return 0;
        size = 0;
        for (int i = 1; i < 9; i++)
            size = size << 8 | self->buf[i];
        head = 9;
    }
    if (size < 6 || size > 256)
        return -1;
    if (self->len < head + size)
        return 0;
    if (memcmp(self->buf + head, "\5READY", 6) != 0)
        return -1;
    memmove(self->buf, self->buf + head + size, self->len - head - size);
    self->len -= head + (size_t) size;
    return 1;
}

//  One step of the handshake with what the socket allows now, never
//  waiting: a listener that accepts and never speaks costs a drain
//  nothing but a read() until HANDSHAKE_MS, then it is dropped (and
//  dialled again RETRY_MS later). false while not done (or dropped).
//  A TCP dial to a port of this host that nobody listens on can connect
//  to itself (the kernel may pick the same port as the source: the
//  "simultaneous open"); the ofts ports (4710x) are inside Linux's
//  ephemeral range. Such a socket would greet itself, hold the port and
//  keep the publisher, restarting, from binding it.
static bool
s_self_connected(int fd)
{
    struct sockaddr_storage mine, peer;
    socklen_t ml = sizeof mine, pl = sizeof peer;
    if (getsockname(fd, (struct sockaddr *) &mine, &ml) != 0 || getpeername(fd, (struct sockaddr *) &peer, &pl) != 0)
        return false;               //  not connected yet (or not TCP at all)
    return mine.ss_family != AF_UNIX && ml == pl && memcmp(&mine, &peer, ml) == 0;
}

static bool
s_shake(ofts_zmtp_t *self)
{
    if (self->hello_sent == 0 && s_self_connected(self->fd)) {
        s_close(self, NULL);        //  as a refused dial: quietly, again RETRY_MS later
        return false;
    }
    while (self->hello_sent < sizeof s_hello) {
        ssize_t n = send(self->fd, s_hello + self->hello_sent, sizeof s_hello - self->hello_sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN))
            break;                      //  a TCP connect still in progress, or a full socket
        if (n <= 0) {
            //  Refused (a TCP connect to nobody): quietly, as a failed dial.
            s_close(self, self->hello_sent || errno != ECONNREFUSED ? strerror(errno) : NULL);
            return false;
        }
        self->hello_sent += (size_t) n;
    }
    s_fill(self, false);
    if (!self->greeted && self->len >= 64) {
        const uint8_t *peer = self->buf;
        if (peer[0] != 0xFF || peer[9] != 0x7F || peer[10] < 3 || memcmp(peer + 12, "NULL", 5) != 0) {
            s_close(self, "not a ZMTP 3 NULL greeting");
            return false;
        }
        memmove(self->buf, self->buf + 64, self->len - 64);
        self->len -= 64;
        self->greeted = true;
    }
    int ready = self->greeted && self->hello_sent == sizeof s_hello ? s_ready(self) : 0;
    if (ready < 0) {
        s_close(self, "no READY from the publisher");
        return false;
    }
    if (ready == 0 && self->eof) {
        self->eof = false;              //  quietly when nothing was exchanged: a refused TCP connect
        s_close(self, self->hello_sent || self->len || self->greeted ? "closed by the publisher" : NULL);
        return false;
    }
    if (ready == 0) {
        if (s_now_ms() >= self->shake_until_ms)
            s_close(self, "timed out");
        return false;
    }
    if (send(self->fd, s_subscribe, sizeof s_subscribe, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t) sizeof s_subscribe) {
        s_close(self, "cannot subscribe");  //  3 bytes on a fresh socket: it is gone
        return false;
    }
    self->shaking = false;
    uint64_t failed = ofts_limit_ok(&self->failing);
    if (self->was_connected || failed)
        log_info("publisher %s: connected%s (%llu failures before)", self->endpoint,
                 self->was_connected ? " again" : "", (unsigned long long) failed);
    self->was_connected = true;
    return true;
}

//  Reads what the socket holds (never waits); false when the buffer is full.
//  once: one read of at most READ_CHUNK - a reader handing messages over
//  one at a time (ofts_zmtp_next) reads again when they run out; reading
//  on while a fast publisher keeps the socket full would buffer up to
//  BUF_MAX before the first was handed over.
static bool
s_fill(ofts_zmtp_t *self, bool once)
{
    while (self->fd >= 0) {
        if (self->cap - self->len < READ_CHUNK) {
            if (self->cap >= BUF_MAX)
                return false;
            self->cap = self->cap ? self->cap * 2 : 4 * READ_CHUNK;
            self->buf = realloc(self->buf, self->cap);
        }
        size_t room = self->cap - self->len;
        ssize_t n = read(self->fd, self->buf + self->len, once && room > READ_CHUNK ? READ_CHUNK : room);
        if (n > 0) {
            self->len += (size_t) n;
            self->got += (size_t) n;
            if (once)
                return true;
        }
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        else {
            self->eof = true;           //  the publisher went away: what is complete is handed over first
            return true;
        }
    }
    return true;
}

//  One frame at *pos: 1, 0 when incomplete, -1 when bigger than a message may be.
static int
s_frame(const uint8_t *buf, size_t len, size_t *pos, uint8_t *flags, const uint8_t **body, size_t *size)
{
    size_t p = *pos;
    if (len - p < 2)
        return 0;
    *flags = buf[p];
    uint64_t n = buf[p + 1];
    size_t head = 2;
    if (*flags & 0x02) {
        if (len - p < 9)
            return 0;
        n = 0;
        for (int i = 1; i < 9; i++)
            n = n << 8 | buf[p + i];
        head = 9;
    }
    if (n > MSG_MAX)
        return -1;
    if (n > len - p - head)
        return 0;
    *body = buf + p + head;
    *size = (size_t) n;
    *pos = p + head + (size_t) n;
    return 1;
}

//  What was handed over leaves the buffer (the frames of the last message
//  stay valid until the next read or parse).
static void
s_compact(ofts_zmtp_t *self)
{
    if (self->pos == 0)
        return;
    memmove(self->buf, self->buf + self->pos, self->len - self->pos);
    self->len -= self->pos;
    self->pos = 0;
}

//  The message at pos: true with its frames (pos moves past it); false
//  when it is not all there yet, or never will be (self->broken set).
//  Commands (PING, ...) are skipped: they are not messages.
static bool
s_parse_one(ofts_zmtp_t *self, const uint8_t *frames[], size_t sizes[], int *nframes)
{
    for (;;) {
        size_t p = self->pos;
        int n = 0;
        uint8_t flags = 0x01;
        bool command = false;
        while (flags & 0x01) {
            const uint8_t *body;
            size_t size;
            int got = s_frame(self->buf, self->len, &p, &flags, &body, &size);
            if (got <= 0 || p - self->pos > MSG_MAX || (n == OFTS_ZMTP_MAX_FRAMES && !(flags & 0x04))) {
                if (got < 0 || p - self->pos > MSG_MAX)
                    self->broken = "a message larger than a bus message may be (broken peer)";
                else if (got > 0)
                    self->broken = "a message of more frames than a bus message has (broken peer)";
                return false;
            }
            if (flags & 0x04) {
                command = true;
                break;
            }
            frames[n] = body;
            sizes[n++] = size;
        }
        self->pos = p;
        if (!command) {
            *nframes = n;
            return true;
        }
    }
}

//  Connected and past the handshake (one step of it taken now if not).
static bool
s_ready_to_read(ofts_zmtp_t *self)
{
    if (self->fd < 0)
        s_connect(self);
    if (self->fd >= 0 && self->shaking && !s_shake(self))
        return false;
    return self->fd >= 0;
}

//  The next whole message of the buffer - when it has none and refill,
//  after one read of the socket. A broken or closed stream is closed here,
//  after every whole message before its end was handed over.
static bool
s_next(ofts_zmtp_t *self, bool refill, const uint8_t *frames[], size_t sizes[], int *nframes)
{
    for (int read = 0; self->fd >= 0; read++) {
        if (s_parse_one(self, frames, sizes, nframes))
            return true;
        if (self->broken) {
            s_close(self, self->broken);
            self->broken = NULL;
        }
        else if (self->eof) {
            self->eof = false;
            s_close(self, "gone");
        }
        else if (read == 0 && refill) {
            s_compact(self);
            s_fill(self, true);
            continue;
        }
        break;
    }
    return false;
}

int
ofts_zmtp_next(ofts_zmtp_t *self, const uint8_t *frames[], size_t sizes[], int *nframes)
{
    return s_ready_to_read(self) && s_next(self, true, frames, sizes, nframes) ? 1 : 0;
}

bool ofts_zmtp_connected(ofts_zmtp_t *self) { return self->fd >= 0 && !self->shaking; }

bool
ofts_zmtp_pending(ofts_zmtp_t *self)
{
    const uint8_t *frames[OFTS_ZMTP_MAX_FRAMES];
    size_t sizes[OFTS_ZMTP_MAX_FRAMES];
    int n;
    size_t pos = self->pos;
    //  Not while shaking hands: the buffer holds the peer's greeting then.
    bool whole = ofts_zmtp_connected(self) && s_parse_one(self, frames, sizes, &n);
    self->pos = pos;                    //  only looked at
    self->broken = NULL;                //  found again (and acted on) by the next read
    return whole;
}

int
ofts_zmtp_drain(ofts_zmtp_t *self, int max, ofts_zmtp_fn *fn, void *arg)
{
    self->got = 0;
    self->backlogged = false;
    if (!s_ready_to_read(self))
        return 0;
    //  The socket first, all it holds: how much came says whether the
    //  publisher has more queued (ofts_zmtp_backlogged).
    s_compact(self);
    s_fill(self, false);
    int count = 0, n;
    const uint8_t *frames[OFTS_ZMTP_MAX_FRAMES];
    size_t sizes[OFTS_ZMTP_MAX_FRAMES];
    while (count < max && s_next(self, false, frames, sizes, &n)) {
        fn(arg, frames, sizes, n);
        count++;
    }
    self->backlogged = self->fd >= 0 && self->got >= BACKLOG_BYTES;
    return count;
}

bool ofts_zmtp_handshaking(ofts_zmtp_t *self) { return self->fd >= 0 && self->shaking; }
bool ofts_zmtp_backlogged(ofts_zmtp_t *self) { return self->backlogged; }
int ofts_zmtp_fd(ofts_zmtp_t *self) { return self->fd; }
const char *ofts_zmtp_endpoint(ofts_zmtp_t *self) { return self->endpoint; }
