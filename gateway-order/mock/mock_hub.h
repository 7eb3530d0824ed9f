/*  mock_hub - the mock ProjectX user hub: SignalR JSON protocol over a
    libwebsockets server on loopback, in its own thread. The REST side of
    the mock publishes events here (thread-safe).

    Behaviour (spec topstepx.md §7, §11): the upgrade needs a valid
    access_token query parameter (else HTTP 401); plain HTTP answers too
    (POST /hubs/user/negotiate: the negotiate JSON, 401 without a token;
    GET /hubs/user without an upgrade: 400; other paths 404); the first
    message must be the handshake, answered {}; every invocation with an id
    gets a Completion; Subscribe{Accounts,Orders,Positions,Trades} select
    events, and arguments that do not bind (SubscribeAccounts takes none,
    the others one integer accountId) get ASP.NET's error Completion; a
    client Close is answered with a Close; a client silent too long gets an
    error Close ("Connection closed with an error.") and is closed;
    events go out as type-1 invocations wrapped {action, data} (or bare when
    configured); pending events are coalesced into one frame (several
    messages per frame, like the real hub); a ping after ping_ms of idle;
    a client silent for max(30 s, 2 x ping_ms) is closed; admin actions
    "drop" (close the socket), "close7" (send a SignalR Close with
    allowReconnect) and "stall" (send nothing any more, not even pings).                                             */
#ifndef MOCK_HUB_H
#define MOCK_HUB_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _mock_hub_t mock_hub_t;
typedef bool (*mock_hub_token_fn)(void *arg, const char *token);

//  port 0 = ephemeral. NULL on failure.
mock_hub_t *mock_hub_start(int port, mock_hub_token_fn check, void *arg, int ping_ms);
int mock_hub_port(mock_hub_t *self);
//  Queue an event for subscribers of this account. Takes payload (the
//  entity); action is the wrapper's action code.
void mock_hub_publish(mock_hub_t *self, int64_t account, const char *target, int action,
                      json_t *payload);
void mock_hub_set_wrap(mock_hub_t *self, bool wrap);
//  "drop" | "close7" | "stall". Returns how many connections it applied to.
int mock_hub_admin(mock_hub_t *self, const char *action);
//  Open, handshaken connections and total accepted connections so far.
void mock_hub_counts(mock_hub_t *self, int *open, int *accepted, int *subscribed);
//  Close clients silent this long (default max(30 s, 2 x ping_ms)).
void mock_hub_set_client_timeout(mock_hub_t *self, int ms);
//  Upgrades refused with HTTP 401 so far.
int mock_hub_refused(mock_hub_t *self);
void mock_hub_stop(mock_hub_t **self_p);

#endif
