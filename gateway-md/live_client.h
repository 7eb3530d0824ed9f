/*  live_client - Databento live gateway client over raw TCP (spec/databento.md §8).

    Connects, authenticates (CRAM, live_proto), subscribes, starts the session
    and feeds the DBN stream to a dbn_decoder; every decoded record goes to
    the record callback (symbol mappings are applied by the decoder, so
    dbn_decoder_symbol() names instruments inside the callback).

    Non-blocking and loop-friendly: register live_client_fd() for reading,
    call live_client_on_readable() when it is readable and live_client_tick()
    every ~100 ms. Both return LIVE_FD_CHANGED when the socket was opened or
    closed, so the caller re-registers the new fd (-1 = none).

    Failure handling:
      * connection lost / refused, heartbeat time-out (no byte for
        heartbeat_timeout), auth time-out, garbage DBN: drop the connection,
        back off exponentially (backoff_min_ms doubling to backoff_max_ms),
        reconnect, re-authenticate, resubscribe (no `start`: the gap is not
        replayed, it is logged), start_session again.
      * the gateway rejects authentication (success=0: bad key, unknown
        dataset, no licence): state LIVE_FAILED, no retry - retrying cannot
        help and would hammer the gateway. live_client_error() says why.
    The API key is used only for the CRAM reply and is never logged.        */
#ifndef OFTS_LIVE_CLIENT_H
#define OFTS_LIVE_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dbn_decoder.h"
#include "ofts_config.h"

#define LIVE_MAX_SCHEMAS 8
#define LIVE_DEFAULT_PORT 13000

typedef struct {
    //  Gateway address. host NULL/"" = derived from dataset as the official
    //  clients do: GLBX.MDP3 -> glbx-mdp3.lsg.databento.com (port 13000).
    const char *host;
    int port;
    const char *dataset;
    const char *api_key;                //  from DATABENTO_API_KEY; copied, wiped on destroy
    const char *client;                 //  user agent (client=)
    const char *stype_in;               //  parent | continuous | raw_symbol | instrument_id
    const char *symbols;                //  comma list: "GC.FUT,NQ.FUT"
    const char *schemas[LIVE_MAX_SCHEMAS];
    size_t n_schemas;
    int heartbeat_interval_s;           //  asked of the gateway; 0 = its default (30 s)
    int heartbeat_timeout_ms;           //  0 = (interval or 30 s) + 5 s, as cpp/rs
    int connect_timeout_ms;             //  10000 (official clients)
    int auth_timeout_ms;                //  30000 (official clients)
    int backoff_min_ms;                 //  500
    int backoff_max_ms;                 //  30000
    bool zstd;                          //  compression=zstd on the wire (false)
    //  Intraday replay on the FIRST session only: from the current CME
    //  session open (17:00 CT, at most 23.5 h back) for the schemas in
    //  replay_mask (bit i = schemas[i]). Reconnects never replay (§8.9).
    bool replay_session_open;           //  false
    uint32_t replay_mask;               //  from replay_schemas, default trades only
    char storage[4096];                 //  owns strings read by live_client_config_read
} live_client_config_t;

//  Defaults documented above (no key, no symbols).
void live_client_config_defaults(live_client_config_t *cfg);
//  Read the "live" child of the gateway_md section into cfg (keys: host port
//  dataset schemas symbols stype_in heartbeat_interval_s heartbeat_timeout_ms
//  connect_timeout_ms auth_timeout_ms backoff_min_ms backoff_max_ms
//  compression replay_start replay_schemas).
//  Range errors are reported through ofts_cfgsec_fail. Returns 0 or -1.
int live_client_config_read(live_client_config_t *cfg, ofts_cfgsec_t *gateway_md);
//  Host name the client connects to (cfg->host or the derived one).
void live_client_gateway_host(const live_client_config_t *cfg, char *out, size_t outlen);

typedef enum {
    LIVE_IDLE = 0,          //  not started
    LIVE_BACKOFF,           //  waiting to (re)connect
    LIVE_CONNECTING,        //  non-blocking TCP connect in progress
    LIVE_AUTHENTICATING,    //  TCP up, text phase
    LIVE_STREAMING,         //  start_session sent, DBN flowing
    LIVE_FAILED,            //  gateway rejected us; no retry
    LIVE_STOPPED
} live_state_t;

#define LIVE_FD_CHANGED 1

typedef struct _live_client_t live_client_t;
typedef void (live_client_record_fn)(const dbn_record_t *rec, dbn_decoder_t *decoder, void *arg);

typedef struct {
    uint64_t connects;              //  TCP connections made
    uint64_t sessions;              //  authenticated sessions
    uint64_t reconnects;            //  connection attempts after the first (connects - 1)
    uint64_t records;               //  records delivered (all rtypes)
    uint64_t bytes;                 //  bytes received
    uint64_t heartbeats;            //  SystemMsg heartbeats
    uint64_t gateway_errors;        //  ErrorMsg records
    uint64_t heartbeat_timeouts;
    uint64_t decode_errors;
    uint64_t connect_failures;
} live_client_stats_t;

//  Copies cfg (and the key). NULL on invalid config (logged).
live_client_t *live_client_new(const live_client_config_t *cfg, live_client_record_fn *fn, void *arg);
void live_client_destroy(live_client_t **self_p);

//  Start now: begin a non-blocking connect (finished by tick/on_readable
//  within connect_timeout_ms; only the DNS lookup blocks) and send nothing
//  until the gateway greets. Returns LIVE_FD_CHANGED when a socket exists,
//  0 when it failed at once and a retry is scheduled, -1 when failed for good.
int live_client_connect(live_client_t *self);
int live_client_fd(live_client_t *self);
//  Read what is there, run the protocol, deliver records.
//  LIVE_FD_CHANGED when the connection was dropped, -1 when failed for good.
int live_client_on_readable(live_client_t *self);
//  Timers: heartbeat/auth time-outs and reconnect after back-off.
int live_client_tick(live_client_t *self, int64_t now_mono_ns);
//  Close and stop (no reconnect).
void live_client_stop(live_client_t *self);

live_state_t live_client_state(live_client_t *self);
const char *live_client_state_name(live_state_t state);
const char *live_client_error(live_client_t *self);
void live_client_stats(live_client_t *self, live_client_stats_t *out);
//  Back-off delay before the next attempt (ms), for tests and logs.
int live_client_backoff_ms(live_client_t *self);
//  Last ts_event delivered (0 = none): the start of a gap after a drop.
uint64_t live_client_last_ts_event(live_client_t *self);

#endif
