/*  live_proto - the text phase of the Databento live gateway (Raw API), as a
    sans-I/O state machine: bytes from the server in, lines to the server out.

    spec/databento.md §8.2-§8.7:
        S: lsg_version=<v>\n        S: cram=<challenge>\n   (any greeting text is accepted)
        C: auth=<cram>|dataset=..|encoding=dbn|ts_out=0|compression=none|zstd|client=..[|heartbeat_interval_s=N]\n
        S: success=1|session_id=<id>\n    or    success=0|error=<text>\n
        C: schema=..|stype_in=..|symbols=..|snapshot=0|id=N|is_last=1\n  (per schema, 500 symbols a line)
        C: start_session\n
        S: DBN stream (metadata, records) until the connection closes
    Lines may be split across reads or share a read with the next phase, so
    live_proto_feed reports how many bytes the text phase used; in STREAMING
    state the rest of the buffer is DBN for the decoder.

    No sockets, no clock, no logging: live_client does the I/O.              */
#ifndef OFTS_LIVE_PROTO_H
#define OFTS_LIVE_PROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _live_proto_t live_proto_t;

typedef struct {
    const char *dataset;            //  GLBX.MDP3
    const char *api_key;            //  used only to compute the CRAM reply
    const char *client;             //  user agent sent as client=
    const char *stype_in;           //  parent | continuous | raw_symbol | instrument_id
    const char *symbols;            //  comma list, e.g. "GC.FUT,NQ.FUT"
    const char *const *schemas;     //  e.g. {"trades","mbp-1","mbp-10"}
    size_t n_schemas;
    int heartbeat_interval_s;       //  0 = gateway default (not sent)
    bool ts_out;
    bool zstd;                      //  compression=zstd: all after start_session is zstd
    uint64_t start_ns;              //  intraday replay from here (0 = live only) ...
    uint32_t replay_mask;           //  ... for the schemas whose bit is set (bit i = schemas[i])
} live_proto_params_t;

typedef enum {
    LIVE_PROTO_GREETING = 0,        //  waiting for lsg_version / cram
    LIVE_PROTO_AUTH_SENT,           //  waiting for success=
    LIVE_PROTO_STREAMING,           //  subscriptions + start_session queued; DBN follows
    LIVE_PROTO_FAILED               //  see live_proto_error / live_proto_rejected
} live_proto_state_t;

//  Longest text line accepted from the server before it counts as garbage.
#define LIVE_PROTO_MAX_LINE 4096
//  Symbols per subscription line (cpp kSymbolMaxChunkSize, py/rs the same).
#define LIVE_PROTO_SYMBOL_CHUNK 500

//  Copies every parameter (the key is wiped on destroy). NULL on bad params.
live_proto_t *live_proto_new(const live_proto_params_t *params);
void live_proto_destroy(live_proto_t **self_p);

//  Hand over bytes received from the server. Returns the number of bytes
//  the text phase consumed (the rest is DBN once the state is STREAMING),
//  or -1 when the session failed (state FAILED).
long live_proto_feed(live_proto_t *self, const char *data, size_t len);

//  Bytes to write to the server (may be empty), then how many were written.
const char *live_proto_output(live_proto_t *self, size_t *len);
void live_proto_output_done(live_proto_t *self, size_t n);

live_proto_state_t live_proto_state(live_proto_t *self);
const char *live_proto_state_name(live_proto_state_t state);
//  Why the session failed: one line, never contains the key.
const char *live_proto_error(live_proto_t *self);
//  True when the gateway answered success=0 (bad key, unknown dataset,
//  no entitlement ...): retrying with the same settings cannot help.
bool live_proto_rejected(live_proto_t *self);
const char *live_proto_session_id(live_proto_t *self);
//  lsg_version=<v> of the greeting ("" when the greeting had another form).
const char *live_proto_lsg_version(live_proto_t *self);
//  The greeting line as received ("" when the challenge came first). Any
//  text is accepted, as the official clients do; only the next line must be
//  the challenge.
const char *live_proto_greeting(live_proto_t *self);
//  Number of subscription lines sent.
int live_proto_subscriptions(live_proto_t *self);

//  Parse one control line (without '\n') into up to max key/value pairs,
//  in place. Returns the pair count or -1 on a malformed line.
typedef struct { char *key; char *value; } live_kv_t;
int live_proto_parse_line(char *line, live_kv_t *kv, int max);
const char *live_kv_get(const live_kv_t *kv, int n, const char *key);

#endif
