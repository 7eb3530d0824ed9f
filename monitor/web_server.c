/*  web_server - see web_server.h. Threads: the monitor's thread pushes
    messages under the mutex and wakes lws with lws_cancel_service(); the
    lws thread does all socket work. A message is one reference-counted
    buffer with the LWS_PRE room lws writes its frame header into, built
    by the monitor in place (web_text_t): every client is sent the same
    bytes, outside the mutex; the last reference frees it. (Before, each
    client copied every update twice: 10 browsers x a few hundred kB at
    4 Hz in an accelerated replay, on the 2 cores the monitor needs.)      */
#include "web_server.h"
#include <errno.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ofts_log.h"

#define WS_RING 64                  //  updates kept for browsers behind
//  ... and at most this many bytes of them (the newest always kept): a
//  replay at thousands of times real time makes updates of a few hundred
//  kB, and 64 of those were the web view's only memory that grew with
//  hours of data. A browser further behind gets a snapshot, as past 64.
#define WS_RING_BYTES (2 * 1024 * 1024)

struct _web_text_t {
    unsigned char *buf;             //  LWS_PRE bytes of room, then the text, then a 0
    size_t len, cap;
    int refs;                       //  under the server's mutex once pushed
};

typedef struct {
    uint64_t seq;
    web_text_t *text;
} ws_msg_t;

typedef struct {
    bool is_ws;
    bool need_snapshot;
    uint64_t want_gen;              //  a snapshot of this generation or later
    uint64_t next_seq;              //  next update to send
    char *reply;                    //  answer to a command, sent first
} ws_session_t;

struct _web_server_t {
    web_server_config_t cfg;
    char *host, *static_dir, *token, *ofts_bin, *config_path;
    struct lws_context *context;
    struct lws_vhost *vhost;
    pthread_t thread;
    volatile bool stop;
    pthread_mutex_t mutex;
    ws_msg_t ring[WS_RING];
    size_t ring_bytes;              //  text held in ring
    uint64_t latest;                //  seq of the newest update (0 = none)
    ws_msg_t snapshot;
    uint64_t snap_gen;
    bool snapshot_wanted;
    size_t clients;
    uint64_t copied;                //  bytes of message text copied (web_server_copied_bytes)
};

web_text_t *
web_text_new(size_t hint)
{
    web_text_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cap = hint > 256 ? hint : 256;
    self->buf = malloc(LWS_PRE + self->cap + 1);
    if (!self->buf) {
        free(self);
        return NULL;
    }
    self->buf[LWS_PRE] = 0;
    self->refs = 1;
    return self;
}

int
web_text_append(const char *data, size_t size, void *arg)
{
    web_text_t *self = arg;
    if (self->len + size > self->cap) {
        size_t cap = (self->len + size) * 2;
        unsigned char *buf = realloc(self->buf, LWS_PRE + cap + 1);
        if (!buf)
            return -1;
        self->buf = buf;
        self->cap = cap;
    }
    memcpy(self->buf + LWS_PRE + self->len, data, size);
    self->len += size;
    self->buf[LWS_PRE + self->len] = 0;
    return 0;
}

const char *
web_text_data(const web_text_t *self)
{
    return (const char *) self->buf + LWS_PRE;
}

size_t
web_text_len(const web_text_t *self)
{
    return self->len;
}

void
web_text_destroy(web_text_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

//  Under the server's mutex.
static web_text_t *
s_ref(web_text_t *text)
{
    text->refs++;
    return text;
}

static void
s_unref(web_text_t **text_p)
{
    if (*text_p && --(*text_p)->refs == 0)
        web_text_destroy(text_p);
    *text_p = NULL;
}

static void
s_log(int level, const char *line)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", line);
    copy[strcspn(copy, "\n")] = 0;
    if (level & LLL_ERR)
        log_error("web: lws: %s", copy);
    else
        log_debug("web: lws: %s", copy);
}

static bool
s_token_ok(web_server_t *self, const char *given)
{
    if (!self->token || !*self->token)
        return true;
    if (!given)
        return false;
    //  Constant time in the token's length.
    size_t n = strlen(self->token), m = strlen(given);
    unsigned diff = n != m;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char) self->token[i] ^ (unsigned char) (i < m ? given[i] : 0);
    return diff == 0;
}

static bool
s_request_token_ok(web_server_t *self, struct lws *wsi)
{
    char buf[256];
    return s_token_ok(self, lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf));
}

//  A browser always sends Origin on a WebSocket: it must be this server's
//  own page. Otherwise any web site open in the trader's browser could read
//  the feed from 127.0.0.1 (WebSockets are not bound by CORS). Clients that
//  are not browsers send no Origin and pass.
static bool
s_same_origin(struct lws *wsi)
{
    char origin[256], host[256], want[300];
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
        return true;
    if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0
        || lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) < 0)
        return false;
    snprintf(want, sizeof want, "http://%s", host);
    if (strcmp(origin, want) == 0)
        return true;
    log_warn("web: WebSocket from origin '%s' refused (not this page, http://%s)", origin, host);
    return false;
}

static const char *
s_mime(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0)
        return "application/javascript";
    if (strcmp(dot, ".css") == 0)
        return "text/css";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    return "application/octet-stream";
}

//  Only plain file names of the static directory: no path can escape it.
static bool
s_safe_name(const char *name)
{
    if (!*name || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!(*p == '.' || *p == '-' || *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

static int
s_http_done(struct lws *wsi)
{
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
s_serve(web_server_t *self, struct lws *wsi, const char *uri)
{
    const char *name = uri[0] == '/' ? uri + 1 : uri;
    if (!*name)
        name = "index.html";
    //  The page's code and style hold nothing private; the page itself and
    //  the WebSocket (every datum, every command) need the token.
    if (strcmp(name, "index.html") == 0 && !s_request_token_ok(self, wsi)) {
        lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, "token required");
        return s_http_done(wsi);
    }
    if (!s_safe_name(name)) {
        lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
        return s_http_done(wsi);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", self->static_dir, name);
    int n = lws_serve_http_file(wsi, path, s_mime(name), NULL, 0);
    if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
        return -1;
    return 0;
}

//  Run `ofts cmd VERB [SYMBOL] --config F` and wait (bounded) for it.
static bool
s_run_ofts_cmd(web_server_t *self, const char *verb, const char *symbol, char *err, size_t errlen)
{
    char *argv[8];
    int n = 0;
    argv[n++] = self->ofts_bin;
    argv[n++] = "cmd";
    argv[n++] = (char *) verb;
    if (symbol && *symbol)
        argv[n++] = (char *) symbol;
    if (self->config_path) {
        argv[n++] = "--config";
        argv[n++] = self->config_path;
    }
    argv[n] = NULL;
    pid_t pid;
    extern char **environ;
    int rc = posix_spawn(&pid, self->ofts_bin, NULL, NULL, argv, environ);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run %s: %s", self->ofts_bin, strerror(rc));
        return false;
    }
    int status = 0;
    for (int waited = 0; waited < 10000; waited += 20) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0) {
            snprintf(err, errlen, "wait failed: %s", strerror(errno));
            return false;
        }
        nanosleep(&(struct timespec) { 0, 20 * 1000000L }, NULL);
        if (waited + 20 >= 10000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(err, errlen, "ofts cmd timed out");
            return false;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "risk did not acknowledge %s", verb);
        return false;
    }
    return true;
}

static char *
s_command(web_server_t *self, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *req = json_loadb(text, len, 0, &jerr);
    const char *verb = req ? json_string_value(json_object_get(req, "cmd")) : NULL;
    const char *symbol = req ? json_string_value(json_object_get(req, "symbol")) : NULL;
    const char *token = req ? json_string_value(json_object_get(req, "token")) : NULL;
    char err[256] = "";
    bool ok = false;
    if (!verb)
        snprintf(err, sizeof err, "not a command");
    else if (!self->cfg.commands)
        snprintf(err, sizeof err, "read-only: start the monitor with --web-commands");
    else if (!self->token || !*self->token || !s_token_ok(self, token))
        snprintf(err, sizeof err, "bad token");
    else if (strcmp(verb, "pause") && strcmp(verb, "resume") && strcmp(verb, "flatten") && strcmp(verb, "kill"))
        snprintf(err, sizeof err, "unknown command");
    else if (symbol && !s_safe_name(symbol) && *symbol)
        snprintf(err, sizeof err, "bad symbol");
    else {
        log_warn("web: command %s%s%s from the page", verb, symbol && *symbol ? " " : "", symbol ? symbol : "");
        ok = s_run_ofts_cmd(self, verb, symbol, err, sizeof err);
    }
    if (!ok)
        log_warn("web: command refused: %s", err);
    json_t *reply = json_pack("{s:s, s:s, s:b, s:s}", "type", "cmd", "cmd", verb ? verb : "", "ok", ok, "error", err);
    char *out = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    json_decref(req);
    return out;
}

static int
s_write(struct lws *wsi, const char *text, size_t len)
{
    unsigned char *buf = malloc(LWS_PRE + len);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, text, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    free(buf);
    return n < (int) len ? -1 : 0;
}

//  Under the mutex: the next thing this session must send (a reference).
static web_text_t *
s_next(web_server_t *self, ws_session_t *ss, bool *more)
{
    *more = false;
    if (!ss->need_snapshot && ss->next_seq <= self->latest) {
        ws_msg_t *m = &self->ring[ss->next_seq % WS_RING];
        if (m->seq != ss->next_seq || !m->text) {
            //  Too far behind: start again from a snapshot.
            ss->need_snapshot = true;
            ss->want_gen = self->snap_gen + 1;
            self->snapshot_wanted = true;
            return NULL;
        }
        ss->next_seq++;
        *more = ss->next_seq <= self->latest;
        return s_ref(m->text);
    }
    if (ss->need_snapshot && self->snap_gen >= ss->want_gen && self->snapshot.text) {
        ss->need_snapshot = false;
        ss->next_seq = self->snapshot.seq + 1;
        *more = ss->next_seq <= self->latest;
        return s_ref(self->snapshot.text);
    }
    return NULL;
}

static int
s_writeable(web_server_t *self, struct lws *wsi, ws_session_t *ss)
{
    if (ss->reply) {
        char *reply = ss->reply;
        ss->reply = NULL;
        int rc = s_write(wsi, reply, strlen(reply));
        free(reply);
        lws_callback_on_writable(wsi);
        return rc;
    }
    bool more;
    pthread_mutex_lock(&self->mutex);
    web_text_t *text = s_next(self, ss, &more);
    pthread_mutex_unlock(&self->mutex);
    if (!text)
        return 0;
    //  lws writes the frame header into the room before the text: the same
    //  bytes for every client, and only this thread writes.
    int n = lws_write(wsi, text->buf + LWS_PRE, text->len, LWS_WRITE_TEXT);
    int rc = n < (int) text->len ? -1 : 0;
    pthread_mutex_lock(&self->mutex);
    s_unref(&text);
    pthread_mutex_unlock(&self->mutex);
    if (more)
        lws_callback_on_writable(wsi);
    return rc;
}

static int
s_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct lws_context *context = lws_get_context(wsi);
    web_server_t *self = context ? lws_context_user(context) : NULL;
    ws_session_t *ss = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return s_serve(self, wsi, in ? (const char *) in : "/");
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return s_request_token_ok(self, wsi) && s_same_origin(wsi) ? 0 : -1;
    case LWS_CALLBACK_ESTABLISHED:
        memset(ss, 0, sizeof *ss);
        ss->is_ws = true;
        pthread_mutex_lock(&self->mutex);
        ss->need_snapshot = true;
        ss->want_gen = self->snap_gen + 1;
        self->snapshot_wanted = true;
        self->clients++;
        pthread_mutex_unlock(&self->mutex);
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (ss && ss->is_ws) {
            pthread_mutex_lock(&self->mutex);
            self->clients--;
            pthread_mutex_unlock(&self->mutex);
            free(ss->reply);
            ss->reply = NULL;
            ss->is_ws = false;
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return s_writeable(self, wsi, ss);
    case LWS_CALLBACK_RECEIVE:
        free(ss->reply);
        ss->reply = s_command(self, in, len);
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (self && self->vhost)
            lws_callback_on_writable_all_protocol_vhost(self->vhost, lws_get_protocol(wsi));
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols s_protocols[] = {
    { "ofts-web", s_callback, sizeof(ws_session_t), 4096, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void *
s_thread(void *arg)
{
    web_server_t *self = arg;
    while (!self->stop)
        lws_service(self->context, 0);
    return NULL;
}

static char *
s_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

web_server_t *
web_server_new(const web_server_config_t *config)
{
    web_server_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *config;
    self->host = s_dup(config->host);
    self->static_dir = s_dup(config->static_dir);
    self->token = s_dup(config->token);
    self->ofts_bin = s_dup(config->ofts_bin);
    self->config_path = s_dup(config->config_path);
    pthread_mutex_init(&self->mutex, NULL);
    lws_set_log_level(LLL_ERR, s_log);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = config->port;
    info.iface = self->host;
    info.protocols = s_protocols;
    info.user = self;
    info.gid = -1;
    info.uid = -1;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    self->context = lws_create_context(&info);
    if (self->context)
        self->vhost = lws_create_vhost(self->context, &info);
    if (!self->context || !self->vhost
        || pthread_create(&self->thread, NULL, s_thread, self) != 0) {
        log_error("web: cannot listen on %s:%d", config->host, config->port);
        if (self->context)
            lws_context_destroy(self->context);
        self->context = NULL;
        web_server_destroy(&self);
        return NULL;
    }
    log_info("web: serving http://%s:%d/ from %s (%s)", config->host, web_server_port(self), config->static_dir,
             config->commands ? "commands enabled" : "read-only");
    return self;
}

void
web_server_destroy(web_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    web_server_t *self = *self_p;
    if (self->context) {
        self->stop = true;
        lws_cancel_service(self->context);
        pthread_join(self->thread, NULL);
        lws_context_destroy(self->context);
    }
    for (int i = 0; i < WS_RING; i++)
        s_unref(&self->ring[i].text);
    s_unref(&self->snapshot.text);
    free(self->host);
    free(self->static_dir);
    free(self->token);
    free(self->ofts_bin);
    free(self->config_path);
    pthread_mutex_destroy(&self->mutex);
    free(self);
    *self_p = NULL;
}

int
web_server_port(web_server_t *self)
{
    return lws_get_vhost_listen_port(self->vhost);
}

bool
web_server_wants_snapshot(web_server_t *self)
{
    pthread_mutex_lock(&self->mutex);
    bool wanted = self->snapshot_wanted;
    pthread_mutex_unlock(&self->mutex);
    return wanted;
}

//  A copy of text, for the callers that hand over a string.
static web_text_t *
s_text_of(web_server_t *self, const char *text)
{
    size_t len = strlen(text);
    web_text_t *t = web_text_new(len);
    if (t && web_text_append(text, len, t) != 0)
        web_text_destroy(&t);
    pthread_mutex_lock(&self->mutex);
    self->copied += len;
    pthread_mutex_unlock(&self->mutex);
    return t;
}

//  Kept for a while: no more room than the text (the ring's budget counts
//  the text; a buffer grown by doubling held up to twice that).
static void
s_fit(web_text_t *text)
{
    if (text->cap > text->len + text->len / 8) {
        unsigned char *buf = realloc(text->buf, LWS_PRE + text->len + 1);
        if (buf) {
            text->buf = buf;
            text->cap = text->len;
        }
    }
}

void
web_server_push_snapshot_text(web_server_t *self, uint64_t seq, web_text_t **text_p)
{
    if (!text_p || !*text_p)
        return;
    s_fit(*text_p);
    pthread_mutex_lock(&self->mutex);
    s_unref(&self->snapshot.text);
    self->snapshot.seq = seq;
    self->snapshot.text = *text_p;
    *text_p = NULL;
    self->snap_gen++;
    self->snapshot_wanted = false;
    pthread_mutex_unlock(&self->mutex);
    lws_cancel_service(self->context);
}

void
web_server_push_update_text(web_server_t *self, uint64_t seq, web_text_t **text_p)
{
    if (!text_p || !*text_p)
        return;
    s_fit(*text_p);
    pthread_mutex_lock(&self->mutex);
    ws_msg_t *m = &self->ring[seq % WS_RING];
    self->ring_bytes -= m->text ? m->text->len : 0;
    s_unref(&m->text);
    m->seq = seq;
    m->text = *text_p;
    *text_p = NULL;
    self->ring_bytes += m->text->len;
    //  Over the byte budget: drop the oldest (their readers will want a
    //  snapshot, see s_next; one still being sent keeps its reference).
    for (uint64_t old = seq >= WS_RING ? seq - WS_RING + 1 : 0; old < seq && self->ring_bytes > WS_RING_BYTES;
         old++) {
        ws_msg_t *o = &self->ring[old % WS_RING];
        if (o->seq == old && o->text) {
            self->ring_bytes -= o->text->len;
            s_unref(&o->text);
        }
    }
    self->latest = seq;
    pthread_mutex_unlock(&self->mutex);
    lws_cancel_service(self->context);
}

void
web_server_push_snapshot(web_server_t *self, uint64_t seq, const char *text)
{
    web_text_t *t = s_text_of(self, text);
    web_server_push_snapshot_text(self, seq, &t);
}

void
web_server_push_update(web_server_t *self, uint64_t seq, const char *text)
{
    web_text_t *t = s_text_of(self, text);
    web_server_push_update_text(self, seq, &t);
}

size_t
web_server_clients(web_server_t *self)
{
    pthread_mutex_lock(&self->mutex);
    size_t n = self->clients;
    pthread_mutex_unlock(&self->mutex);
    return n;
}

size_t
web_server_ring_bytes(web_server_t *self)
{
    pthread_mutex_lock(&self->mutex);
    size_t n = self->ring_bytes;
    pthread_mutex_unlock(&self->mutex);
    return n;
}

uint64_t
web_server_copied_bytes(web_server_t *self)
{
    pthread_mutex_lock(&self->mutex);
    uint64_t n = self->copied;
    pthread_mutex_unlock(&self->mutex);
    return n;
}
