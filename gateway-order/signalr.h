/*  signalr - the ASP.NET Core SignalR JSON hub protocol, sans I/O.

    ProjectX pushes order/position/trade events over SignalR (spec
    topstepx.md §7). There is no C SignalR library, and the protocol is small
    (dotnet/aspnetcore HubProtocol.md): after the WebSocket opens, the client
    sends {"protocol":"json","version":1} + 0x1E; the server answers {} +
    0x1E (or {"error":...}); from then on every message is one JSON object
    terminated by 0x1E, several per WebSocket frame or one split across
    frames. Types used: 1 Invocation, 3 Completion, 6 Ping, 7 Close; the
    others (2, 4, 5, 8, 9) are ignored.

    Three pieces, none of which touches a socket or reads the clock:
      signalr_reader_t   bytes in (any chunking) -> JSON records out
      signalr_encode_*   the few messages a client sends
      signalr_session_t  the client state machine: handshake, keep-alive
                         ping (keepalive_ms of outbound silence), server
                         time-out (server_timeout_ms of inbound silence),
                         invocation ids, Close. The transport (libwebsockets
                         in projectx_userhub.c, or a test) feeds it bytes and
                         the time, and sends what it asks to send.          */
#ifndef SIGNALR_H
#define SIGNALR_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGNALR_RS '\x1e'

typedef enum {
    SIGNALR_INVOCATION = 1,
    SIGNALR_STREAM_ITEM = 2,
    SIGNALR_COMPLETION = 3,
    SIGNALR_STREAM_INVOCATION = 4,
    SIGNALR_CANCEL_INVOCATION = 5,
    SIGNALR_PING = 6,
    SIGNALR_CLOSE = 7,
    SIGNALR_ACK = 8,
    SIGNALR_SEQUENCE = 9
} signalr_type_t;

//  --------------------------------------------------------------------------
//  Reader

typedef struct _signalr_reader_t signalr_reader_t;

//  max_record: longest record accepted (bytes); longer ones are skipped up
//  to their separator and reported as an error, so one bad message cannot
//  grow memory without bound or desynchronise the stream.
signalr_reader_t *signalr_reader_new(size_t max_record);
void signalr_reader_destroy(signalr_reader_t **self_p);
void signalr_reader_feed(signalr_reader_t *self, const void *data, size_t len);
//  1: *json is the next record (caller decrefs); 0: no complete record yet;
//  -1: the next record was not valid JSON or too long (it is dropped, err
//  says why; call again for the following records).
int signalr_reader_next(signalr_reader_t *self, json_t **json, char *err, size_t errlen);
//  Bytes buffered that do not yet form a complete record.
size_t signalr_reader_pending(signalr_reader_t *self);
void signalr_reader_reset(signalr_reader_t *self);

//  --------------------------------------------------------------------------
//  Messages

typedef struct {
    int type;
    const char *invocation_id;      //  NULL when absent
    const char *target;             //  type 1
    const json_t *arguments;        //  type 1: array (never NULL for type 1)
    const json_t *result;           //  type 3
    const char *error;              //  type 3 / 7
    bool allow_reconnect;           //  type 7
} signalr_msg_t;

//  Borrowed view of a record. false when it has no integer "type", or a
//  type-1 message lacks target/arguments.
bool signalr_msg_decode(const json_t *json, signalr_msg_t *out);

//  The strings below are malloc'd, end with 0x1E, and are sent as one text
//  frame each.
char *signalr_encode_handshake(void);
//  invocation_id NULL = fire-and-forget (server sends no Completion).
//  Takes ownership of arguments (an array; NULL = []).
char *signalr_encode_invocation(const char *invocation_id, const char *target, json_t *arguments);
char *signalr_encode_ping(void);
char *signalr_encode_close(void);

//  --------------------------------------------------------------------------
//  Session

typedef enum { SIGNALR_CLOSED = 0, SIGNALR_HANDSHAKING, SIGNALR_OPEN } signalr_state_t;

typedef struct {
    //  Send one text frame (the transport copies it).
    void (*send)(void *arg, const char *text, size_t len);
    //  Handshake accepted: subscribe now.
    void (*on_open)(void *arg);
    //  A server->client invocation (an event such as GatewayUserOrder).
    void (*on_invocation)(void *arg, const char *target, const json_t *arguments);
    //  Answer to one of our invocations; error NULL on success.
    void (*on_completion)(void *arg, const char *invocation_id, const char *error);
    //  The session is over (server Close, handshake error, server silent,
    //  transport lost); the transport should close the socket.
    void (*on_closed)(void *arg, const char *reason, bool allow_reconnect);
    void *arg;
} signalr_handler_t;

typedef struct {
    int keepalive_ms;               //  ping after this much outbound silence (15000)
    int server_timeout_ms;          //  dead after this much inbound silence (30000)
    int handshake_timeout_ms;       //  (15000)
    size_t max_record;              //  (1 MiB)
} signalr_options_t;

void signalr_options_defaults(signalr_options_t *options);

typedef struct _signalr_session_t signalr_session_t;

signalr_session_t *signalr_session_new(const signalr_options_t *options,
                                       const signalr_handler_t *handler);
void signalr_session_destroy(signalr_session_t **self_p);
//  The WebSocket is open: sends the handshake.
void signalr_session_connected(signalr_session_t *self, int64_t now_ms);
//  Bytes of a text frame (or a fragment of one).
void signalr_session_receive(signalr_session_t *self, const void *data, size_t len,
                             int64_t now_ms);
//  Call at least every second: sends pings, detects a silent server or a
//  handshake that never completes.
void signalr_session_tick(signalr_session_t *self, int64_t now_ms);
//  Invoke a hub method with a fresh invocation id (returned; valid until the
//  next call). Takes ownership of arguments. NULL when not OPEN.
const char *signalr_session_invoke(signalr_session_t *self, const char *target,
                                   json_t *arguments, int64_t now_ms);
//  The transport lost the connection (reports on_closed once).
void signalr_session_disconnected(signalr_session_t *self, const char *reason);
signalr_state_t signalr_session_state(signalr_session_t *self);
//  Counters: records that were not JSON / not SignalR, messages ignored.
uint64_t signalr_session_bad_records(signalr_session_t *self);

#endif
