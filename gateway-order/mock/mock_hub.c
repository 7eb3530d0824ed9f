/*  mock_hub - see mock_hub.h.                                                */
#include "mock_hub.h"
#include "signalr.h"
#include "projectx_model.h"
#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUB_ACCOUNTS 1
#define SUB_ORDERS 2
#define SUB_POSITIONS 4
#define SUB_TRADES 8

typedef struct {
    int64_t account;
    int sub;                //  which subscription receives it
    char *text;             //  full SignalR message, RS-terminated
} event_t;

typedef struct conn_t {
    struct conn_t *next;
    struct lws *wsi;
    signalr_reader_t *reader;
    bool handshaken, kill, close7, stalled;
    int subs;               //  every kind subscribed (any account)
    struct {                //  per account: one connection may follow several
        int64_t id;
        int subs;
    } accounts[8];
    int naccounts;
    size_t next_event;
    char *out;              //  replies waiting to be written
    size_t out_len;
    int64_t last_sent_ms, last_received_ms;
} conn_t;

struct _mock_hub_t {
    pthread_mutex_t lock;   //  events, conns' flags
    pthread_t thread;
    struct lws_context *context;
    volatile int stop;
    mock_hub_token_fn check;
    void *check_arg;
    int ping_ms, client_timeout_ms, port;
    bool wrap;
    event_t *events;
    size_t nevents, cap;
    conn_t *conns;
    int accepted, refused, http_requests;
    lws_sorted_usec_list_t tick;
};

//  The projectx clock (accelerated in the soak, like the client's).
static int64_t mono_ms(void) { return projectx_time_mono_ms(); }

static void
out_append(conn_t *c, const char *text)
{
    size_t len = strlen(text);
    c->out = realloc(c->out, c->out_len + len + 1);
    memcpy(c->out + c->out_len, text, len);
    c->out_len += len;
}

static void
out_append_json(conn_t *c, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    out_append(c, text);
    out_append(c, "\x1e");
    free(text);
}

static int
sub_for(const char *target)
{
    if (!strcmp(target, "SubscribeAccounts"))
        return SUB_ACCOUNTS;
    if (!strcmp(target, "SubscribeOrders"))
        return SUB_ORDERS;
    if (!strcmp(target, "SubscribePositions"))
        return SUB_POSITIONS;
    if (!strcmp(target, "SubscribeTrades"))
        return SUB_TRADES;
    return 0;
}

//  Subscriptions per account (SubscribeOrders(accountId) etc.).
static void
conn_follow(conn_t *c, int64_t account, int sub)
{
    for (int i = 0; i < c->naccounts; i++)
        if (c->accounts[i].id == account) {
            c->accounts[i].subs |= sub;
            return;
        }
    if (c->naccounts < 8) {
        c->accounts[c->naccounts].id = account;
        c->accounts[c->naccounts++].subs = sub;
    }
}

static bool
conn_follows(const conn_t *c, int64_t account, int sub)
{
    for (int i = 0; i < c->naccounts; i++)
        if (c->accounts[i].id == account)
            return (c->accounts[i].subs & sub) != 0;
    return false;
}

//  What ASP.NET answers when the arguments do not bind to the hub method:
//  SubscribeAccounts takes none, the others one integer accountId
//  (UnsubscribeX the same). NULL when they bind.
static const char *
argument_error(const char *target, const json_t *arguments, char *text, size_t size)
{
    size_t want = strstr(target, "Accounts") ? 0 : 1;
    size_t got = json_array_size(arguments);
    if (got != want) {
        snprintf(text, size, "Failed to invoke '%s' due to an error on the server. "
                 "InvalidDataException: Invocation provides %zu argument(s) but target expects %zu.",
                 target, got, want);
        return text;
    }
    if (want && !json_is_integer(json_array_get(arguments, 0))) {
        snprintf(text, size, "Failed to invoke '%s' due to an error on the server. "
                 "InvalidDataException: Error binding arguments. Make sure that the types of the "
                 "provided values match the types of the hub method being invoked.", target);
        return text;
    }
    return NULL;
}

//  One record from the client. Returns -1 to close the connection.
static int
on_record(mock_hub_t *self, conn_t *c, json_t *json)
{
    if (!c->handshaken) {
        const char *protocol = json_string_value(json_object_get(json, "protocol"));
        if (!protocol || strcmp(protocol, "json") != 0
            || json_integer_value(json_object_get(json, "version")) != 1) {
            out_append_json(c, json_pack("{s:s}", "error", "Requested protocol is not available."));
            c->kill = true;
            return 0;
        }
        c->handshaken = true;
        out_append(c, "{}\x1e");
        return 0;
    }
    signalr_msg_t msg;
    if (!signalr_msg_decode(json, &msg))
        return 0;
    if (msg.type == SIGNALR_CLOSE) {
        //  A clean goodbye is answered with one (ASP.NET does), then closed.
        out_append(c, "{\"type\":7}\x1e");
        c->kill = true;
        return 0;
    }
    if (msg.type != SIGNALR_INVOCATION)
        return 0;
    int sub = sub_for(msg.target);
    const char *error = NULL;
    char text[256];
    if (!sub && strncmp(msg.target, "Unsubscribe", 11) != 0) {
        snprintf(text, sizeof text, "Unknown hub method '%s'", msg.target);
        error = text;
    } else if ((error = argument_error(msg.target, msg.arguments, text, sizeof text)))
        sub = 0;
    if (sub) {
        pthread_mutex_lock(&self->lock);
        c->subs |= sub;
        if (sub != SUB_ACCOUNTS)
            conn_follow(c, json_integer_value(json_array_get(msg.arguments, 0)), sub);
        pthread_mutex_unlock(&self->lock);
    }
    if (msg.invocation_id) {
        json_t *completion = json_pack("{s:i,s:s}", "type", SIGNALR_COMPLETION, "invocationId",
                                       msg.invocation_id);
        if (error)
            json_object_set_new(completion, "error", json_string(error));
        else
            json_object_set_new(completion, "result", json_null());
        out_append_json(c, completion);
    }
    return 0;
}

//  Everything this connection should receive, in one frame.
static void
flush(mock_hub_t *self, conn_t *c)
{
    pthread_mutex_lock(&self->lock);
    if (c->stalled) {       //  a silent stall: nothing at all, not even pings
        pthread_mutex_unlock(&self->lock);
        return;
    }
    for (; c->handshaken && c->next_event < self->nevents; c->next_event++) {
        const event_t *e = &self->events[c->next_event];
        if ((c->subs & e->sub) && (e->sub == SUB_ACCOUNTS || conn_follows(c, e->account, e->sub)))
            out_append(c, e->text);
    }
    bool close7 = c->close7;
    c->close7 = false;
    pthread_mutex_unlock(&self->lock);
    if (close7) {
        out_append(c, "{\"type\":7,\"error\":\"Server is restarting\",\"allowReconnect\":true}\x1e");
        c->kill = true;
    }
    if (c->handshaken && !c->out_len && mono_ms() - c->last_sent_ms >= self->ping_ms)
        out_append(c, "{\"type\":6}\x1e");
    if (!c->out_len)
        return;
    unsigned char *buf = malloc(LWS_PRE + c->out_len);
    memcpy(buf + LWS_PRE, c->out, c->out_len);
    lws_write(c->wsi, buf + LWS_PRE, c->out_len, LWS_WRITE_TEXT);
    free(buf);
    free(c->out);
    c->out = NULL;
    c->out_len = 0;
    c->last_sent_ms = mono_ms();
}

static void
conn_unlink(mock_hub_t *self, conn_t *c)
{
    pthread_mutex_lock(&self->lock);
    for (conn_t **p = &self->conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    pthread_mutex_unlock(&self->lock);
}

//  A small complete HTTP answer (the hub port is an HTTP server too).
//  Returns what the lws callback should return.
static int
http_reply(struct lws *wsi, unsigned status, const char *type, const char *body)
{
    size_t len = strlen(body);
    unsigned char head[LWS_PRE + 512];
    unsigned char *start = head + LWS_PRE, *p = start, *end = head + sizeof head - 1;
    if (lws_add_http_common_headers(wsi, status, type, len, &p, end)
        || lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    unsigned char *buf = malloc(LWS_PRE + len + 1);
    memcpy(buf + LWS_PRE, body, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
    free(buf);
    if (n < (int) len)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

//  Plain HTTP on the hub port, as ASP.NET answers it: POST
//  /hubs/user/negotiate (401 without a valid access_token), a GET of the
//  hub without an upgrade (400), anything else 404.
static int
on_http(mock_hub_t *self, struct lws *wsi, const char *uri)
{
    char arg[1024];
    const char *token = lws_get_urlarg_by_name(wsi, "access_token=", arg, sizeof arg);
    bool authorized = token && self->check(self->check_arg, token);
    pthread_mutex_lock(&self->lock);
    self->http_requests++;
    pthread_mutex_unlock(&self->lock);
    if (strcmp(uri, "/hubs/user/negotiate") == 0) {
        if (!authorized)
            return http_reply(wsi, 401, "text/plain", "");
        char body[256];
        unsigned id = (unsigned) rand();
        snprintf(body, sizeof body, "{\"negotiateVersion\":1,\"connectionId\":\"c%08x\","
                 "\"connectionToken\":\"t%08x\",\"availableTransports\":[{\"transport\":"
                 "\"WebSockets\",\"transferFormats\":[\"Text\",\"Binary\"]}]}", id, id);
        return http_reply(wsi, 200, "application/json", body);
    }
    if (strcmp(uri, "/hubs/user") == 0)
        return http_reply(wsi, 400, "text/plain", "Connection ID required");
    return http_reply(wsi, 404, "text/plain", "");
}

static int
on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct lws_context *context = lws_get_context(wsi);
    mock_hub_t *self = context ? lws_context_user(context) : NULL;
    conn_t *c = user;
    if (!self)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[256] = "", arg[1024];
        lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
        const char *token = lws_get_urlarg_by_name(wsi, "access_token=", arg, sizeof arg);
        if (strcmp(uri, "/hubs/user") != 0) {
            http_reply(wsi, 404, "text/plain", "");
            return -1;
        }
        if (!token || !self->check(self->check_arg, token)) {
            //  Refused upgrade: an HTTP 401 like the real hub, not a
            //  dropped socket.
            pthread_mutex_lock(&self->lock);
            self->refused++;
            pthread_mutex_unlock(&self->lock);
            http_reply(wsi, 401, "text/plain", "");
            return -1;
        }
        break;
    }
    case LWS_CALLBACK_HTTP:
        return on_http(self, wsi, (const char *) in);
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        c->reader = signalr_reader_new(1 << 20);
        c->last_sent_ms = c->last_received_ms = mono_ms();
        pthread_mutex_lock(&self->lock);
        c->next = self->conns;
        self->conns = c;
        self->accepted++;
        c->next_event = self->nevents;      //  no replay, like the real hub
        pthread_mutex_unlock(&self->lock);
        break;
    case LWS_CALLBACK_RECEIVE: {
        signalr_reader_feed(c->reader, in, len);
        c->last_received_ms = mono_ms();
        json_t *json;
        char err[128];
        int rc;
        while ((rc = signalr_reader_next(c->reader, &json, err, sizeof err)) != 0) {
            if (rc < 0)
                continue;
            int close = on_record(self, c, json);
            json_decref(json);
            if (close)
                return -1;
        }
        lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (c->kill && !c->out_len)
            return -1;
        if (!c->kill && mono_ms() - c->last_received_ms >= self->client_timeout_ms) {
            //  Client silent too long (ASP.NET ClientTimeoutInterval): an
            //  error Close, then the socket (the client reads "Server
            //  returned an error on close: Connection closed with an error.").
            out_append(c, "{\"type\":7,\"error\":\"Connection closed with an error.\","
                          "\"allowReconnect\":true}\x1e");
            c->kill = true;
        }
        flush(self, c);
        if (c->kill)
            lws_callback_on_writable(wsi);      //  written; close on the next turn
        break;
    case LWS_CALLBACK_CLOSED:
        conn_unlink(self, c);
        signalr_reader_destroy(&c->reader);
        free(c->out);
        c->out = NULL;
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        //  New events (or an admin action) from another thread.
        pthread_mutex_lock(&self->lock);
        for (conn_t *x = self->conns; x; x = x->next)
            lws_callback_on_writable(x->wsi);
        pthread_mutex_unlock(&self->lock);
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    { "signalr", on_lws, sizeof(conn_t), 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
on_tick(lws_sorted_usec_list_t *sul)
{
    mock_hub_t *self = lws_container_of(sul, mock_hub_t, tick);
    int64_t now = mono_ms();
    pthread_mutex_lock(&self->lock);
    for (conn_t *c = self->conns; c; c = c->next)
        if (now - c->last_sent_ms >= self->ping_ms
            || now - c->last_received_ms >= self->client_timeout_ms)
            lws_callback_on_writable(c->wsi);
    pthread_mutex_unlock(&self->lock);
    lws_sul_schedule(self->context, 0, &self->tick, on_tick, 250 * LWS_US_PER_MS);
}

static void *
run(void *arg)
{
    mock_hub_t *self = arg;
    lws_sul_schedule(self->context, 0, &self->tick, on_tick, 250 * LWS_US_PER_MS);
    while (!self->stop)
        lws_service(self->context, 0);
    return NULL;
}

mock_hub_t *
mock_hub_start(int port, mock_hub_token_fn check, void *arg, int ping_ms)
{
    mock_hub_t *self = calloc(1, sizeof *self);
    pthread_mutex_init(&self->lock, NULL);
    self->check = check;
    self->check_arg = arg;
    self->ping_ms = ping_ms > 0 ? ping_ms : 15000;
    self->client_timeout_ms = 2 * self->ping_ms > 30000 ? 2 * self->ping_ms : 30000;
    self->wrap = true;
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.user = self;
    info.gid = -1;
    info.uid = -1;
    self->context = lws_create_context(&info);
    if (!self->context) {
        free(self);
        return NULL;
    }
    self->port = lws_get_vhost_listen_port(lws_get_vhost_by_name(self->context, "default"));
    pthread_create(&self->thread, NULL, run, self);
    return self;
}

int mock_hub_port(mock_hub_t *self) { return self->port; }

void
mock_hub_set_wrap(mock_hub_t *self, bool wrap)
{
    pthread_mutex_lock(&self->lock);
    self->wrap = wrap;
    pthread_mutex_unlock(&self->lock);
}

//  Forget events every connection has been sent (a multi-day soak must
//  not keep them all). Under the lock.
static void
events_compact(mock_hub_t *self)
{
    size_t done = self->nevents;
    for (conn_t *c = self->conns; c; c = c->next)
        done = c->next_event < done ? c->next_event : done;
    if (done < 1024)
        return;
    for (size_t i = 0; i < done; i++)
        free(self->events[i].text);
    memmove(self->events, self->events + done, (self->nevents - done) * sizeof(event_t));
    self->nevents -= done;
    for (conn_t *c = self->conns; c; c = c->next)
        c->next_event -= done;
}

void
mock_hub_set_client_timeout(mock_hub_t *self, int ms)
{
    pthread_mutex_lock(&self->lock);
    if (ms > 0)
        self->client_timeout_ms = ms;
    pthread_mutex_unlock(&self->lock);
}

int
mock_hub_refused(mock_hub_t *self)
{
    pthread_mutex_lock(&self->lock);
    int n = self->refused;
    pthread_mutex_unlock(&self->lock);
    return n;
}

void
mock_hub_publish(mock_hub_t *self, int64_t account, const char *target, int action,
                 json_t *payload)
{
    int sub = !strcmp(target, "GatewayUserOrder")      ? SUB_ORDERS
              : !strcmp(target, "GatewayUserPosition") ? SUB_POSITIONS
              : !strcmp(target, "GatewayUserTrade")    ? SUB_TRADES
                                                       : SUB_ACCOUNTS;
    pthread_mutex_lock(&self->lock);
    json_t *arg = self->wrap ? json_pack("{s:i,s:o}", "action", action, "data", payload) : payload;
    json_t *msg = json_pack("{s:i,s:s,s:[o]}", "type", SIGNALR_INVOCATION, "target", target,
                            "arguments", arg);
    char *text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(msg);
    size_t len = strlen(text);
    text = realloc(text, len + 2);
    text[len] = SIGNALR_RS;
    text[len + 1] = 0;
    if (self->nevents == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 256;
        self->events = realloc(self->events, sizeof(event_t) * self->cap);
    }
    self->events[self->nevents++] = (event_t) { account, sub, text };
    events_compact(self);
    pthread_mutex_unlock(&self->lock);
    lws_cancel_service(self->context);
}

int
mock_hub_admin(mock_hub_t *self, const char *action)
{
    int n = 0;
    pthread_mutex_lock(&self->lock);
    for (conn_t *c = self->conns; c; c = c->next, n++) {
        if (!strcmp(action, "drop"))
            c->kill = true;
        else if (!strcmp(action, "close7"))
            c->close7 = true;
        else if (!strcmp(action, "stall"))
            c->stalled = true;
    }
    pthread_mutex_unlock(&self->lock);
    lws_cancel_service(self->context);
    return n;
}

void
mock_hub_counts(mock_hub_t *self, int *open, int *accepted, int *subscribed)
{
    pthread_mutex_lock(&self->lock);
    *open = 0;
    *subscribed = 0;
    for (conn_t *c = self->conns; c; c = c->next) {
        (*open)++;
        if (c->subs == (SUB_ACCOUNTS | SUB_ORDERS | SUB_POSITIONS | SUB_TRADES))
            (*subscribed)++;
    }
    *accepted = self->accepted;
    pthread_mutex_unlock(&self->lock);
}

void
mock_hub_stop(mock_hub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mock_hub_t *self = *self_p;
    self->stop = 1;
    lws_cancel_service(self->context);
    pthread_join(self->thread, NULL);
    lws_context_destroy(self->context);
    for (size_t i = 0; i < self->nevents; i++)
        free(self->events[i].text);
    free(self->events);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
