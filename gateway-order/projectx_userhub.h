/*  projectx_userhub - the ProjectX user hub (SignalR over WebSocket): live
    order, position, trade and account events for one account, with
    reconnect and a clear "down" signal so the caller polls REST instead.

    Spec: topstepx.md §7. After the SignalR handshake we invoke
    SubscribeAccounts(), SubscribeOrders(accountId),
    SubscribePositions(accountId), SubscribeTrades(accountId); the hub is
    UP once all four completed without error. Events GatewayUserAccount /
    GatewayUserOrder / GatewayUserPosition / GatewayUserTrade carry one
    argument, live-wrapped as {"action":n,"data":{entity}} or bare (the docs'
    shape); both are accepted, and an array of either too (§10.10).
    GatewayLogout (payload UNCONFIRMED) is reported as a LOGOUT event.

    There is no replay (§7.1): after every (re)connect the caller must
    reconcile over REST; on_state(up=true) is the cue. While down, the caller
    polls REST (projectx_client) - on_state(up=false) is that cue.

    This file is pure: the hub never opens a socket or reads the clock. A
    transport (projectx_hubws.c: libwebsockets; tests: a fake) opens the
    WebSocket when asked and feeds bytes and time back in.                  */
#ifndef PROJECTX_USERHUB_H
#define PROJECTX_USERHUB_H
#include "projectx_model.h"
#include "signalr.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PROJECTX_EVENT_ACCOUNT = 1,
    PROJECTX_EVENT_ORDER,
    PROJECTX_EVENT_POSITION,
    PROJECTX_EVENT_TRADE,
    PROJECTX_EVENT_LOGOUT
} projectx_event_kind_t;

typedef struct {
    int kind;                       //  projectx_event_kind_t
    int action;                     //  the wrapper's action (meaning UNCONFIRMED), -1 bare
    union {
        projectx_account_t account;
        projectx_order_info_t order;
        projectx_position_t position;   //  closed: type 0, size 0
        projectx_trade_t trade;
    } u;
} projectx_event_t;

//  Parse one user-hub invocation. Returns the number of events found (may
//  exceed max: only max are written; call again with room for all),
//  entities that fail to parse are skipped and counted in *bad; -1 for a
//  target that is not a user-hub event.
int projectx_userhub_parse(const char *target, const json_t *arguments, projectx_event_t *out,
                           size_t max, int *bad);

//  Reconnect delay after `failures` consecutive failed/lost connections:
//  0, 1, 2, 5, 10, 30, 30, ... seconds (ASP.NET's default is 0, 2, 10, 30
//  then gives up; a trading client never gives up). The hub adds a random
//  0..50 % (jitter), and counts a connection as failed unless it stayed up
//  PROJECTX_USERHUB_STABLE_MS: subscribing is not enough.
#define PROJECTX_USERHUB_STABLE_MS 60000
int64_t projectx_userhub_backoff_ms(int failures);

//  "https://rtc.topstepx.com/hubs/user" + token ->
//  "wss://rtc.topstepx.com/hubs/user?access_token=<url-encoded>".
//  Returns a malloc'd string; it contains the token: never log it.
char *projectx_userhub_url(const char *hub_url, const char *token);

typedef struct {
    //  Start connecting to url (ws:// or wss://). Completion is reported with
    //  projectx_userhub_opened() or projectx_userhub_lost().
    int (*open)(void *arg, const char *url);
    void (*send)(void *arg, const char *text, size_t len);
    void (*close)(void *arg);
    void *arg;
} projectx_hub_transport_t;

typedef struct {
    void (*on_event)(void *arg, const projectx_event_t *event);
    //  up: subscribed and receiving; false: down (poll REST). reason says why.
    void (*on_state)(void *arg, bool up, const char *reason);
    //  The current REST token, read at every (re)connect (tokens rotate).
    const char *(*token)(void *arg);
    void *arg;
} projectx_hub_handler_t;

typedef struct _projectx_userhub_t projectx_userhub_t;

projectx_userhub_t *projectx_userhub_new(const char *hub_url, int64_t account_id,
                                         const signalr_options_t *options,
                                         const projectx_hub_transport_t *transport,
                                         const projectx_hub_handler_t *handler);
void projectx_userhub_destroy(projectx_userhub_t **self_p);
//  One hub for every account of the login (several accounts: docs/accounts.md):
//  more accounts to subscribe (Orders, Positions, Trades each), from the next
//  (re)connect; call before the first tick. -1 when full.
#define PROJECTX_USERHUB_MAX_ACCOUNTS 8
int projectx_userhub_add_account(projectx_userhub_t *self, int64_t account_id);

//  Call often (each loop turn, at least every second): connects when due,
//  reconnects with backoff, pings, detects silence.
void projectx_userhub_tick(projectx_userhub_t *self, int64_t now_ms);
//  From the transport.
void projectx_userhub_opened(projectx_userhub_t *self, int64_t now_ms);
void projectx_userhub_received(projectx_userhub_t *self, const void *data, size_t len,
                               int64_t now_ms);
void projectx_userhub_lost(projectx_userhub_t *self, const char *reason, int64_t now_ms);

//  Reconnect (with the then-current token) after a session has lasted this
//  long, so a rotated token is in use at least daily (spec §7.7: whether an
//  open socket outlives its token is UNCONFIRMED). Default 20 h; 0 = never.
void projectx_userhub_set_max_session(projectx_userhub_t *self, int64_t ms);
//  Jitter on reconnect delays (default on; tests turn it off for exact times).
void projectx_userhub_set_jitter(projectx_userhub_t *self, bool on);
bool projectx_userhub_up(projectx_userhub_t *self);
//  Why the hub is (or last went) down; "" before the first failure.
const char *projectx_userhub_reason(projectx_userhub_t *self);
//  Counters: connects attempted, events delivered, bad payloads.
void projectx_userhub_counters(projectx_userhub_t *self, uint64_t *connects, uint64_t *events,
                               uint64_t *bad);

#endif
