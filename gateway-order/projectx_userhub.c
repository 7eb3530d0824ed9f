/*  projectx_userhub - see projectx_userhub.h.                                */
#include "projectx_userhub.h"
#include "ofts_log.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Payloads

static int
target_kind(const char *target)
{
    static const struct {
        const char *name;
        int kind;
    } map[] = { { "GatewayUserAccount", PROJECTX_EVENT_ACCOUNT },
                { "GatewayUserOrder", PROJECTX_EVENT_ORDER },
                { "GatewayUserPosition", PROJECTX_EVENT_POSITION },
                { "GatewayUserTrade", PROJECTX_EVENT_TRADE },
                { "GatewayLogout", PROJECTX_EVENT_LOGOUT } };
    for (size_t i = 0; target && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(target, map[i].name) == 0)
            return map[i].kind;
    return -1;
}

static bool
parse_entity(int kind, const json_t *entity, projectx_event_t *ev)
{
    switch (kind) {
    case PROJECTX_EVENT_ACCOUNT:
        return projectx_account_parse(entity, &ev->u.account);
    case PROJECTX_EVENT_ORDER:
        return projectx_order_parse(entity, &ev->u.order);
    case PROJECTX_EVENT_POSITION:
        return projectx_position_parse(entity, &ev->u.position);
    case PROJECTX_EVENT_TRADE:
        return projectx_trade_parse(entity, &ev->u.trade);
    default:
        return false;
    }
}

//  One argument: wrapped {action, data}, a bare entity, or an array of
//  either (UNCONFIRMED, tolerated). depth stops arrays of arrays.
static void
parse_argument(int kind, const json_t *arg, projectx_event_t *out, size_t max, int *n, int *bad,
               int depth)
{
    if (json_is_array(arg) && depth == 0) {
        for (size_t i = 0; i < json_array_size(arg); i++)
            parse_argument(kind, json_array_get(arg, i), out, max, n, bad, 1);
        return;
    }
    const json_t *data = json_object_get(arg, "data");
    const json_t *action = json_object_get(arg, "action");
    bool wrapped = json_is_object(data) && (json_is_integer(action) || json_is_null(action)
                                            || !json_object_get(arg, "id"));
    projectx_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.action = wrapped && json_is_integer(action) ? (int) json_integer_value(action) : -1;
    if (!parse_entity(kind, wrapped ? data : arg, &ev)) {
        (*bad)++;
        return;
    }
    if ((size_t) *n < max)
        out[*n] = ev;
    (*n)++;
}

int
projectx_userhub_parse(const char *target, const json_t *arguments, projectx_event_t *out,
                       size_t max, int *bad)
{
    int kind = target_kind(target);
    int dummy = 0;
    if (!bad)
        bad = &dummy;
    if (kind < 0)
        return -1;
    if (kind == PROJECTX_EVENT_LOGOUT) {
        if (max > 0) {
            memset(out, 0, sizeof *out);
            out->kind = kind;
            out->action = -1;
        }
        return max > 0 ? 1 : 0;
    }
    int n = 0;
    for (size_t i = 0; i < json_array_size(arguments); i++)
        parse_argument(kind, json_array_get(arguments, i), out, max, &n, bad, 0);
    return n;
}

int64_t
projectx_userhub_backoff_ms(int failures)
{
    static const int64_t steps[] = { 0, 1000, 2000, 5000, 10000, 30000 };
    int last = (int) (sizeof steps / sizeof steps[0]) - 1;
    if (failures < 0)
        failures = 0;
    return steps[failures > last ? last : failures];
}

char *
projectx_userhub_url(const char *hub_url, const char *token)
{
    const char *rest = hub_url;
    const char *scheme = "wss://";
    if (strncmp(hub_url, "https://", 8) == 0)
        rest = hub_url + 8;
    else if (strncmp(hub_url, "http://", 7) == 0) {
        rest = hub_url + 7;
        scheme = "ws://";
    } else if (strncmp(hub_url, "wss://", 6) == 0)
        rest = hub_url + 6;
    else if (strncmp(hub_url, "ws://", 5) == 0) {
        rest = hub_url + 5;
        scheme = "ws://";
    }
    size_t tlen = token ? strlen(token) : 0;
    size_t size = strlen(scheme) + strlen(rest) + 16 + tlen * 3 + 1;
    char *url = malloc(size);
    int n = snprintf(url, size, "%s%s%caccess_token=", scheme, rest, strchr(rest, '?') ? '&' : '?');
    char *p = url + n;
    for (size_t i = 0; i < tlen; i++) {
        unsigned char c = (unsigned char) token[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            *p++ = (char) c;
        else
            p += sprintf(p, "%%%02X", c);
    }
    *p = 0;
    return url;
}

//  --------------------------------------------------------------------------
//  Connection manager

typedef enum { HUB_IDLE = 0, HUB_CONNECTING, HUB_SESSION } hub_phase_t;

//  SubscribeAccounts, then Orders / Positions / Trades for each account.
#define SUBSCRIPTIONS (1 + 3 * PROJECTX_USERHUB_MAX_ACCOUNTS)

struct _projectx_userhub_t {
    char *hub_url;
    int64_t account_ids[PROJECTX_USERHUB_MAX_ACCOUNTS];
    int naccounts;
    signalr_options_t options;
    projectx_hub_transport_t transport;
    projectx_hub_handler_t handler;
    signalr_session_t *session;
    hub_phase_t phase;
    bool transport_open;
    bool up, reported;              //  reported: on_state was called at least once
    int failures;
    bool jitter;
    uint64_t rng;
    uint64_t bad_seen;              //  unreadable records already acted on
    int64_t now_ms, next_attempt_ms, connect_started_ms, up_since_ms, max_session_ms;
    char sub_ids[SUBSCRIPTIONS][24];
    int subs_done;
    uint64_t connects, events, bad;
    char reason[256];
};

static void
report(projectx_userhub_t *self, bool up, const char *reason)
{
    if (self->reported && self->up == up)
        return;
    self->up = up;
    self->reported = true;
    if (up)
        log_info("projectx: user hub up (subscribed)");
    else
        log_warn("projectx: user hub down (%s): polling REST", reason);
    if (self->handler.on_state)
        self->handler.on_state(self->handler.arg, up, reason);
}

//  The session ended or the connection failed: schedule the next attempt.
static void
go_down(projectx_userhub_t *self, const char *reason)
{
    if (self->transport_open && self->transport.close)
        self->transport.close(self->transport.arg);
    self->transport_open = false;
    self->phase = HUB_IDLE;
    snprintf(self->reason, sizeof self->reason, "%s", reason);
    //  Only a connection that stayed up for a while resets the backoff: a
    //  hub that accepts, subscribes and drops at once must not be hammered
    //  (931 connections in 50 s before this rule).
    if (self->up && self->now_ms - self->up_since_ms >= PROJECTX_USERHUB_STABLE_MS)
        self->failures = 0;
    int64_t wait = projectx_userhub_backoff_ms(self->failures);
    if (self->jitter && wait > 0) {
        //  +0..50 %, so many clients dropped together do not return together.
        self->rng = self->rng * 6364136223846793005ULL + 1442695040888963407ULL;
        wait += (int64_t) ((self->rng >> 33) % (uint64_t) (wait / 2 + 1));
    }
    self->failures++;
    self->next_attempt_ms = self->now_ms + wait;
    report(self, false, reason);
    log_info("projectx: user hub reconnect in %lld ms (attempt %d)", (long long) wait,
             self->failures);
}

static void
on_send(void *arg, const char *text, size_t len)
{
    projectx_userhub_t *self = arg;
    if (self->transport.send)
        self->transport.send(self->transport.arg, text, len);
}

static int
s_subscriptions(const projectx_userhub_t *self)
{
    return 1 + 3 * self->naccounts;
}

static void
on_open(void *arg)
{
    projectx_userhub_t *self = arg;
    static const char *targets[4] = { "SubscribeAccounts", "SubscribeOrders",
                                                  "SubscribePositions", "SubscribeTrades" };
    self->subs_done = 0;
    memset(self->sub_ids, 0, sizeof self->sub_ids);
    for (int i = 0; i < s_subscriptions(self); i++) {
        int kind = i == 0 ? 0 : 1 + (i - 1) % 3;
        int64_t account = i == 0 ? 0 : self->account_ids[(i - 1) / 3];
        json_t *args = i == 0 ? json_array() : json_pack("[I]", (json_int_t) account);
        const char *id = signalr_session_invoke(self->session, targets[kind], args, self->now_ms);
        snprintf(self->sub_ids[i], sizeof self->sub_ids[i], "%s", id ? id : "");
    }
}

static void
on_completion(void *arg, const char *invocation_id, const char *error)
{
    projectx_userhub_t *self = arg;
    for (int i = 0; i < SUBSCRIPTIONS; i++) {
        if (strcmp(self->sub_ids[i], invocation_id) != 0)
            continue;
        self->sub_ids[i][0] = 0;
        if (error) {
            char reason[256];
            snprintf(reason, sizeof reason, "subscribe failed: %s", error);
            go_down(self, reason);
            return;
        }
        if (++self->subs_done == s_subscriptions(self)) {
            self->up_since_ms = self->now_ms;
            report(self, true, "subscribed");
        }
    }
}

static void
on_invocation(void *arg, const char *target, const json_t *arguments)
{
    projectx_userhub_t *self = arg;
    projectx_event_t stack[16];
    projectx_event_t *events = stack;
    int bad = 0;
    int n = projectx_userhub_parse(target, arguments, events, 16, &bad);
    if (n < 0) {
        log_debug("projectx: user hub: ignoring %s", target);
        return;
    }
    if (n > 16) {       //  a big batch: parse again into a buffer that fits
        events = malloc(sizeof *events * (size_t) n);
        bad = 0;
        n = projectx_userhub_parse(target, arguments, events, (size_t) n, &bad);
    }
    if (bad) {
        self->bad += (uint64_t) bad;
        log_warn("projectx: user hub: %d unreadable %s payload(s)", bad, target);
    }
    if (bad && n == 0) {
        //  Nothing usable arrived: the stream cannot be trusted; say DOWN
        //  (the caller polls REST) and reconnect.
        go_down(self, "unreadable events from the hub");
        return;
    }
    for (int i = 0; i < n; i++) {
        self->events++;
        if (self->handler.on_event)
            self->handler.on_event(self->handler.arg, &events[i]);
    }
    bool logout = n > 0 && events[0].kind == PROJECTX_EVENT_LOGOUT;
    if (events != stack)
        free(events);
    if (logout)
        go_down(self, "GatewayLogout: session ended");
}

static void
on_closed(void *arg, const char *reason, bool allow_reconnect)
{
    projectx_userhub_t *self = arg;
    (void) allow_reconnect;     //  a trading client reconnects regardless, with backoff
    go_down(self, reason);
}

projectx_userhub_t *
projectx_userhub_new(const char *hub_url, int64_t account_id, const signalr_options_t *options,
                     const projectx_hub_transport_t *transport,
                     const projectx_hub_handler_t *handler)
{
    projectx_userhub_t *self = calloc(1, sizeof *self);
    self->hub_url = strdup(hub_url);
    self->account_ids[self->naccounts++] = account_id;
    if (options)
        self->options = *options;
    else
        signalr_options_defaults(&self->options);
    self->transport = *transport;
    self->handler = *handler;
    self->max_session_ms = 20LL * 3600 * 1000;
    self->jitter = true;
    self->rng = (uint64_t) (uintptr_t) self ^ (uint64_t) account_id;
    signalr_handler_t h = { on_send, on_open, on_invocation, on_completion, on_closed, self };
    self->session = signalr_session_new(&self->options, &h);
    return self;
}

int
projectx_userhub_add_account(projectx_userhub_t *self, int64_t account_id)
{
    for (int i = 0; i < self->naccounts; i++)
        if (self->account_ids[i] == account_id)
            return 0;
    if (self->naccounts == PROJECTX_USERHUB_MAX_ACCOUNTS)
        return -1;
    self->account_ids[self->naccounts++] = account_id;
    return 0;
}

void
projectx_userhub_destroy(projectx_userhub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    projectx_userhub_t *self = *self_p;
    if (self->transport_open && self->phase == HUB_SESSION
        && signalr_session_state(self->session) != SIGNALR_CLOSED && self->transport.send) {
        //  A clean goodbye (SignalR Close), so the server does not wait out
        //  its client time-out for us.
        char *bye = signalr_encode_close();
        self->transport.send(self->transport.arg, bye, strlen(bye));
        free(bye);
    }
    if (self->transport_open && self->transport.close)
        self->transport.close(self->transport.arg);
    signalr_session_destroy(&self->session);
    free(self->hub_url);
    free(self);
    *self_p = NULL;
}

static void
connect_now(projectx_userhub_t *self)
{
    const char *token = self->handler.token ? self->handler.token(self->handler.arg) : NULL;
    if (!token || !*token) {
        go_down(self, "no token (REST login first)");
        return;
    }
    char *url = projectx_userhub_url(self->hub_url, token);
    self->connects++;
    self->phase = HUB_CONNECTING;
    self->connect_started_ms = self->now_ms;
    int rc = self->transport.open ? self->transport.open(self->transport.arg, url) : -1;
    memset(url, 0, strlen(url));    //  holds the token
    free(url);
    if (rc != 0) {
        go_down(self, "cannot start the WebSocket connection");
        return;
    }
    self->transport_open = true;
}

void
projectx_userhub_tick(projectx_userhub_t *self, int64_t now_ms)
{
    self->now_ms = now_ms;
    if (self->phase == HUB_IDLE && now_ms >= self->next_attempt_ms)
        connect_now(self);
    else if (self->phase == HUB_CONNECTING
             && now_ms - self->connect_started_ms >= self->options.handshake_timeout_ms)
        go_down(self, "WebSocket connect timed out");
    else if (self->phase == HUB_SESSION && self->up && self->max_session_ms > 0
             && now_ms - self->up_since_ms >= self->max_session_ms) {
        self->failures = 0;     //  planned: reconnect at once
        go_down(self, "scheduled reconnect (token rotation)");
    } else if (self->phase == HUB_SESSION) {
        signalr_session_tick(self->session, now_ms);
        if (self->phase == HUB_SESSION && !self->up
            && signalr_session_state(self->session) == SIGNALR_OPEN
            && now_ms - self->connect_started_ms >= self->options.handshake_timeout_ms)
            go_down(self, "subscriptions not confirmed in time");
    }
}

void
projectx_userhub_opened(projectx_userhub_t *self, int64_t now_ms)
{
    self->now_ms = now_ms;
    if (self->phase != HUB_CONNECTING)
        return;
    self->phase = HUB_SESSION;
    self->connect_started_ms = now_ms;
    signalr_session_connected(self->session, now_ms);
}

void
projectx_userhub_received(projectx_userhub_t *self, const void *data, size_t len, int64_t now_ms)
{
    self->now_ms = now_ms;
    if (self->phase != HUB_SESSION)
        return;
    signalr_session_receive(self->session, data, len, now_ms);
    uint64_t bad = signalr_session_bad_records(self->session);
    if (bad > self->bad_seen) {
        //  Frames we cannot read: events may be lost. Not UP with 0 events:
        //  DOWN (REST polls) and a fresh connection.
        self->bad_seen = bad;
        if (self->phase == HUB_SESSION)
            go_down(self, "unreadable frames from the hub");
    }
}

void
projectx_userhub_lost(projectx_userhub_t *self, const char *reason, int64_t now_ms)
{
    self->now_ms = now_ms;
    self->transport_open = false;
    if (self->phase == HUB_SESSION && signalr_session_state(self->session) != SIGNALR_CLOSED)
        signalr_session_disconnected(self->session, reason);    //  -> on_closed -> go_down
    else if (self->phase != HUB_IDLE)
        go_down(self, reason ? reason : "connection failed");
}

bool projectx_userhub_up(projectx_userhub_t *self) { return self->up; }
void projectx_userhub_set_jitter(projectx_userhub_t *self, bool on) { self->jitter = on; }
void projectx_userhub_set_max_session(projectx_userhub_t *self, int64_t ms) { self->max_session_ms = ms; }
const char *projectx_userhub_reason(projectx_userhub_t *self) { return self->reason; }

void
projectx_userhub_counters(projectx_userhub_t *self, uint64_t *connects, uint64_t *events,
                          uint64_t *bad)
{
    *connects = self->connects;
    *events = self->events;
    *bad = self->bad + signalr_session_bad_records(self->session);
}
