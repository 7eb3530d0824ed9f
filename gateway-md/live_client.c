/*  live_client - see live_client.h. The text phase lives in live_proto (pure);
    this file owns the socket, the timers, the decoder and the logging.      */
#include "live_client.h"
#include "live_proto.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zstd.h>

#define READS_PER_WAKEUP 16
//  A session that lasted this long counts as healthy: the back-off restarts
//  from backoff_min_ms (so a flapping gateway is not hammered).
#define HEALTHY_SESSION_NS (10 * OFTS_NS_PER_SEC)

struct _live_client_t {
    char *host, *dataset, *key, *client, *stype_in, *symbols;
    char *schemas[LIVE_MAX_SCHEMAS];
    size_t n_schemas;
    int port;
    int heartbeat_interval_s;
    int64_t heartbeat_timeout_ns, connect_timeout_ms, auth_timeout_ns;
    int backoff_min_ms, backoff_max_ms;
    bool zstd;
    bool replay_session_open;
    uint32_t replay_mask;

    live_client_record_fn *fn;
    void *arg;

    live_state_t state;
    int fd;
    live_proto_t *proto;
    dbn_decoder_t *decoder;
    ZSTD_DStream *zstream;          //  compression=zstd: one stream per session
    bool metadata_seen;
    int64_t connected_at, session_at, last_rx, next_attempt_at;
    int attempts;
    int backoff_ms;
    bool had_session;
    bool greeting_logged;           //  this connection's greeting
    uint64_t last_ts_event;
    char error[512];
    live_client_stats_t stats;
    uint8_t buf[65536];
    uint8_t zbuf[131072];
};

//  --------------------------------------------------------------------------
//  Configuration

void live_client_config_defaults(live_client_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "";
    cfg->port = LIVE_DEFAULT_PORT;
    cfg->dataset = "GLBX.MDP3";
    cfg->client = "ofts/0.1";
    cfg->stype_in = "parent";
    cfg->symbols = "GC.FUT,SI.FUT,PL.FUT,HG.FUT,NQ.FUT";
    cfg->schemas[0] = "trades";
    cfg->schemas[1] = "mbp-1";
    cfg->schemas[2] = "mbp-10";
    cfg->n_schemas = 3;
    cfg->heartbeat_interval_s = 30;
    cfg->heartbeat_timeout_ms = 0;
    cfg->connect_timeout_ms = 10000;
    cfg->auth_timeout_ms = 30000;
    cfg->backoff_min_ms = 500;
    cfg->backoff_max_ms = 30000;
    cfg->replay_mask = 1;               //  schemas[0] = trades
}

//  A JSON array of strings (or one comma string) joined with commas into
//  cfg->storage. Returns the joined text or NULL after reporting.
static const char *s_read_list(live_client_config_t *cfg, ofts_cfgsec_t *sec, const char *key,
                               const char *def, size_t *used)
{
    json_t *v = ofts_cfgsec_json(sec, key);
    if (!v)
        return def;
    char *out = cfg->storage + *used;
    size_t room = sizeof cfg->storage - *used, len = 0;
    if (json_is_string(v)) {
        len = (size_t) snprintf(out, room, "%s", json_string_value(v));
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            if (!json_is_string(item) || !*json_string_value(item) || strchr(json_string_value(item), ',')) {
                ofts_cfgsec_fail(sec, key, "expected a list of non-empty strings without commas");
                return NULL;
            }
            len += (size_t) snprintf(out + len, room > len ? room - len : 0, "%s%s", i ? "," : "",
                                     json_string_value(item));
        }
    } else {
        ofts_cfgsec_fail(sec, key, "expected a non-empty list of strings");
        return NULL;
    }
    if (len + 1 >= room || len == 0) {
        ofts_cfgsec_fail(sec, key, len ? "list too long" : "must not be empty");
        return NULL;
    }
    *used += len + 1;
    return out;
}

static int s_range(ofts_cfgsec_t *sec, const char *key, int64_t def, int64_t lo, int64_t hi, int *out)
{
    int64_t v = ofts_cfgsec_int(sec, key, def);
    if (v < lo || v > hi) {
        ofts_cfgsec_fail(sec, key, "must be between %lld and %lld", (long long) lo, (long long) hi);
        return -1;
    }
    *out = (int) v;
    return 0;
}

int live_client_config_read(live_client_config_t *cfg, ofts_cfgsec_t *gateway_md)
{
    live_client_config_defaults(cfg);
    ofts_cfgsec_t *sec = ofts_cfgsec_section(gateway_md, "live");
    if (!sec)
        return -1;
    int rc = 0;
    size_t used = 0;
    cfg->host = ofts_cfgsec_string(sec, "host", cfg->host);
    rc |= s_range(sec, "port", cfg->port, 1, 65535, &cfg->port);
    cfg->dataset = ofts_cfgsec_string(sec, "dataset", cfg->dataset);
    cfg->stype_in = ofts_cfgsec_string(sec, "stype_in", cfg->stype_in);
    static const char *const stypes[] = { "parent", "continuous", "raw_symbol", "instrument_id" };
    bool stype_ok = false;
    for (size_t i = 0; i < 4; i++)
        stype_ok |= cfg->stype_in && strcmp(cfg->stype_in, stypes[i]) == 0;
    if (!stype_ok) {
        ofts_cfgsec_fail(sec, "stype_in", "must be parent, continuous, raw_symbol or instrument_id");
        rc = -1;
    }
    const char *symbols = s_read_list(cfg, sec, "symbols", cfg->symbols, &used);
    const char *schemas = s_read_list(cfg, sec, "schemas", NULL, &used);
    if (!symbols)
        rc = -1;
    else
        cfg->symbols = symbols;
    if (schemas) {
        //  split in place: schemas live in storage
        char *s = (char *) schemas;
        cfg->n_schemas = 0;
        for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (cfg->n_schemas == LIVE_MAX_SCHEMAS || dbn_schema_parse(tok) < 0) {
                ofts_cfgsec_fail(sec, "schemas", "unknown schema '%s' or more than %d schemas", tok,
                                 LIVE_MAX_SCHEMAS);
                rc = -1;
                break;
            }
            cfg->schemas[cfg->n_schemas++] = tok;
        }
    } else if (ofts_cfgsec_has(sec, "schemas")) {
        rc = -1;
    }
    rc |= s_range(sec, "heartbeat_interval_s", cfg->heartbeat_interval_s, 0, 3600, &cfg->heartbeat_interval_s);
    if (cfg->heartbeat_interval_s > 0 && cfg->heartbeat_interval_s < 5) {
        //  py client docstring: "Minimum interval is 5 seconds"
        ofts_cfgsec_fail(sec, "heartbeat_interval_s", "the gateway's minimum is 5 (0 = gateway default)");
        rc = -1;
    }
    rc |= s_range(sec, "heartbeat_timeout_ms", 0, 0, 3600000, &cfg->heartbeat_timeout_ms);
    rc |= s_range(sec, "connect_timeout_ms", cfg->connect_timeout_ms, 100, 600000, &cfg->connect_timeout_ms);
    rc |= s_range(sec, "auth_timeout_ms", cfg->auth_timeout_ms, 100, 600000, &cfg->auth_timeout_ms);
    rc |= s_range(sec, "backoff_min_ms", cfg->backoff_min_ms, 10, 3600000, &cfg->backoff_min_ms);
    rc |= s_range(sec, "backoff_max_ms", cfg->backoff_max_ms, 10, 3600000, &cfg->backoff_max_ms);
    const char *compression = ofts_cfgsec_string(sec, "compression", "none");
    if (!compression || (strcmp(compression, "none") && strcmp(compression, "zstd"))) {
        ofts_cfgsec_fail(sec, "compression", "must be \"none\" or \"zstd\"");
        rc = -1;
    }
    cfg->zstd = compression && strcmp(compression, "zstd") == 0;
    const char *replay = ofts_cfgsec_string(sec, "replay_start", "none");
    if (!replay || (strcmp(replay, "none") && strcmp(replay, "session_open"))) {
        ofts_cfgsec_fail(sec, "replay_start", "must be \"none\" or \"session_open\"");
        rc = -1;
    }
    cfg->replay_session_open = replay && strcmp(replay, "session_open") == 0;
    //  which schemas replay: default trades (MBP-10 for a whole session is
    //  millions of records)
    bool explicit_rs = ofts_cfgsec_has(sec, "replay_schemas");
    const char *rs = s_read_list(cfg, sec, "replay_schemas", "trades", &used);
    cfg->replay_mask = 0;
    if (!rs)
        rc = -1;
    else if (!explicit_rs) {
        for (size_t i = 0; i < cfg->n_schemas; i++)
            if (strcmp(cfg->schemas[i], "trades") == 0)
                cfg->replay_mask |= 1u << i;
    } else {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", rs);
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            size_t i = 0;
            while (i < cfg->n_schemas && strcmp(cfg->schemas[i], tok) != 0)
                i++;
            if (i == cfg->n_schemas) {
                ofts_cfgsec_fail(sec, "replay_schemas", "'%s' is not one of the subscribed schemas", tok);
                rc = -1;
                break;
            }
            cfg->replay_mask |= 1u << i;
        }
    }
    if (cfg->backoff_max_ms < cfg->backoff_min_ms) {
        ofts_cfgsec_fail(sec, "backoff_max_ms", "must be >= backoff_min_ms");
        rc = -1;
    }
    return rc ? -1 : 0;
}

void live_client_gateway_host(const live_client_config_t *cfg, char *out, size_t outlen)
{
    if (cfg->host && *cfg->host) {
        snprintf(out, outlen, "%s", cfg->host);
        return;
    }
    //  spec §8.1: lower-case dataset, '.' -> '-', + ".lsg.databento.com"
    size_t n = 0;
    for (const char *p = cfg->dataset ? cfg->dataset : ""; *p && n + 1 < outlen; p++)
        out[n++] = *p == '.' ? '-' : (char) tolower((unsigned char) *p);
    out[n] = '\0';
    snprintf(out + n, outlen - n, ".lsg.databento.com");
}

//  --------------------------------------------------------------------------
//  Construction

live_client_t *live_client_new(const live_client_config_t *cfg, live_client_record_fn *fn, void *arg)
{
    if (!cfg || !cfg->dataset || !*cfg->dataset || !cfg->symbols || !*cfg->symbols || !cfg->n_schemas
        || cfg->n_schemas > LIVE_MAX_SCHEMAS || cfg->port <= 0 || cfg->port > 65535) {
        log_error("live: invalid configuration (dataset, symbols, schemas and port are required)");
        return NULL;
    }
    if (!cfg->api_key || strlen(cfg->api_key) < 5) {
        log_error("live: no usable API key (set DATABENTO_API_KEY)");
        return NULL;
    }
    live_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    char host[256];
    live_client_gateway_host(cfg, host, sizeof host);
    self->host = strdup(host);
    self->dataset = strdup(cfg->dataset);
    self->key = strdup(cfg->api_key);
    self->client = strdup(cfg->client ? cfg->client : "ofts/0.1");
    self->stype_in = strdup(cfg->stype_in ? cfg->stype_in : "raw_symbol");
    self->symbols = strdup(cfg->symbols);
    for (size_t i = 0; i < cfg->n_schemas; i++)
        self->schemas[i] = strdup(cfg->schemas[i]);
    self->n_schemas = cfg->n_schemas;
    self->port = cfg->port;
    self->heartbeat_interval_s = cfg->heartbeat_interval_s;
    int hb_ms = cfg->heartbeat_timeout_ms > 0 ? cfg->heartbeat_timeout_ms
              : ((cfg->heartbeat_interval_s > 0 ? cfg->heartbeat_interval_s : 30) + 5) * 1000;
    self->heartbeat_timeout_ns = (int64_t) hb_ms * OFTS_NS_PER_MS;
    self->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
    self->auth_timeout_ns = (int64_t) (cfg->auth_timeout_ms > 0 ? cfg->auth_timeout_ms : 30000) * OFTS_NS_PER_MS;
    self->backoff_min_ms = cfg->backoff_min_ms > 0 ? cfg->backoff_min_ms : 500;
    self->backoff_max_ms = cfg->backoff_max_ms >= self->backoff_min_ms ? cfg->backoff_max_ms : self->backoff_min_ms;
    self->zstd = cfg->zstd;
    self->replay_session_open = cfg->replay_session_open;
    self->replay_mask = cfg->replay_mask;
    self->fn = fn;
    self->arg = arg;
    self->fd = -1;
    self->state = LIVE_IDLE;
    return self;
}

static void s_close(live_client_t *self)
{
    if (self->fd >= 0)
        close(self->fd);
    self->fd = -1;
    live_proto_destroy(&self->proto);
    dbn_decoder_destroy(&self->decoder);
    ZSTD_freeDStream(self->zstream);
    self->zstream = NULL;
    self->metadata_seen = false;
    self->greeting_logged = false;
}

void live_client_destroy(live_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    live_client_t *self = *self_p;
    s_close(self);
    memset(self->key, 0, strlen(self->key));
    free(self->key);
    free(self->host);
    free(self->dataset);
    free(self->client);
    free(self->stype_in);
    free(self->symbols);
    for (size_t i = 0; i < self->n_schemas; i++)
        free(self->schemas[i]);
    free(self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Connection state changes

//  Lose the connection and schedule the next attempt with exponential back-off.
static int s_drop(live_client_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int s_drop(live_client_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->error, sizeof self->error, fmt, ap);
    va_end(ap);
    bool had_fd = self->fd >= 0;
    int64_t now = ofts_clock_mono_ns();
    if (self->state == LIVE_STREAMING && now - self->session_at >= HEALTHY_SESSION_NS)
        self->attempts = 0;
    //  Bytes of a record cut by the drop are lost with the connection: say so.
    if (self->decoder && self->metadata_seen && !dbn_decoder_error(self->decoder)
        && dbn_decoder_finish(self->decoder) < 0)
        log_warn("live: connection ended inside a record: %s", dbn_decoder_error(self->decoder));
    s_close(self);
    int64_t delay = self->backoff_min_ms;
    for (int i = 0; i < self->attempts && delay < self->backoff_max_ms; i++)
        delay *= 2;
    if (delay > self->backoff_max_ms)
        delay = self->backoff_max_ms;
    self->attempts++;
    self->backoff_ms = (int) delay;
    self->next_attempt_at = now + delay * OFTS_NS_PER_MS;
    self->state = LIVE_BACKOFF;
    log_warn("live: %s; reconnecting to %s:%d in %lld ms (attempt %d)", self->error, self->host,
             self->port, (long long) delay, self->attempts);
    return had_fd ? LIVE_FD_CHANGED : 0;
}

//  The gateway said no: report once and stop for good.
static int s_fail(live_client_t *self, const char *why)
{
    snprintf(self->error, sizeof self->error, "%s", why);
    s_close(self);
    self->state = LIVE_FAILED;
    log_error("live: %s; not retrying (check DATABENTO_API_KEY, the dataset and your licence)", self->error);
    return -1;
}

//  Start a non-blocking connect to one of the host's addresses (rotating
//  through them across attempts). Returns the fd, or -1 with the reason.
//  DNS resolution (getaddrinfo) is the one blocking step.
static int s_start_connect(live_client_t *self, char *why, size_t whylen)
{
    char port[16];
    snprintf(port, sizeof port, "%d", self->port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    int gai = getaddrinfo(self->host, port, &hints, &res);
    if (gai) {
        snprintf(why, whylen, "cannot resolve %s: %s", self->host, gai_strerror(gai));
        return -1;
    }
    int naddr = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        naddr++;
    struct addrinfo *ai = res;
    for (uint64_t k = (self->stats.connects - 1) % (uint64_t) naddr; k > 0; k--)
        ai = ai->ai_next;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        snprintf(why, whylen, "socket: %s", strerror(errno));
    else if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        snprintf(why, whylen, "connect to %s:%d failed: %s", self->host, self->port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

//  TCP is up: start the text phase.
static int s_on_connected(live_client_t *self)
{
    const char *schemas[LIVE_MAX_SCHEMAS];
    for (size_t i = 0; i < self->n_schemas; i++)
        schemas[i] = self->schemas[i];
    live_proto_params_t params = { .dataset = self->dataset, .api_key = self->key, .client = self->client,
        .stype_in = self->stype_in, .symbols = self->symbols, .schemas = schemas,
        .n_schemas = self->n_schemas, .heartbeat_interval_s = self->heartbeat_interval_s,
        .zstd = self->zstd };
    if (self->replay_session_open && !self->had_session) {
        int64_t now = ofts_clock_now_ns();
        int64_t open = ofts_session_open_ns(now);
        int64_t floor = now - (int64_t) (23.5 * 3600) * OFTS_NS_PER_SEC;
        params.start_ns = (uint64_t) (open > floor ? open : floor);
        params.replay_mask = self->replay_mask;
        char when[40];
        ofts_clock_format((int64_t) params.start_ns, when, sizeof when);
        log_info("live: first session replays from %s (session open) for %d schema(s)", when,
                 __builtin_popcount(self->replay_mask));
    }
    self->proto = live_proto_new(&params);
    if (!self->proto)
        return s_fail(self, "invalid live session parameters");
    self->state = LIVE_AUTHENTICATING;
    self->connected_at = self->last_rx = ofts_clock_mono_ns();
    log_info("live: connected to %s:%d, authenticating for %s", self->host, self->port, self->dataset);
    return 0;
}

//  Has the non-blocking connect finished? 0 still pending or done,
//  else what s_drop returned.
static int s_check_connect(live_client_t *self, int64_t now)
{
    struct pollfd p = { .fd = self->fd, .events = POLLOUT };
    int ready = poll(&p, 1, 0);
    if (ready == 0) {
        if (now - self->connected_at > self->connect_timeout_ms * OFTS_NS_PER_MS) {
            self->stats.connect_failures++;
            return s_drop(self, "connect to %s:%d timed out after %lld ms", self->host, self->port,
                          (long long) self->connect_timeout_ms);
        }
        return 0;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (ready < 0 || getsockopt(self->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        self->stats.connect_failures++;
        return s_drop(self, "connect to %s:%d failed: %s", self->host, self->port, strerror(err));
    }
    return s_on_connected(self);
}

int live_client_connect(live_client_t *self)
{
    if (self->state == LIVE_FAILED || self->state == LIVE_STOPPED)
        return -1;
    s_close(self);
    //  every attempt after the first is a reconnect, whether or not the
    //  earlier ones ever got a session
    if (self->stats.connects > 0)
        self->stats.reconnects++;
    self->stats.connects++;
    char why[300];
    int fd = s_start_connect(self, why, sizeof why);
    if (fd < 0) {
        self->stats.connect_failures++;
        return s_drop(self, "%s", why);
    }
    self->fd = fd;
    self->state = LIVE_CONNECTING;
    self->connected_at = ofts_clock_mono_ns();
    //  loopback and refusals usually settle at once; otherwise tick() and
    //  on_readable() finish the job, so the caller's loop never blocks here
    int rc = s_check_connect(self, self->connected_at);
    if (rc < 0)
        return rc;
    return self->fd >= 0 ? LIVE_FD_CHANGED : 0;
}

//  Write what the protocol queued (a few short lines).
static int s_flush(live_client_t *self)
{
    size_t len;
    const char *out = live_proto_output(self->proto, &len);
    while (len > 0) {
        ssize_t n = send(self->fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;           //  the next tick tries again
        if (n < 0)
            return s_drop(self, "send to the gateway failed: %s", strerror(errno));
        live_proto_output_done(self->proto, (size_t) n);
        out = live_proto_output(self->proto, &len);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Records

static void s_on_metadata(live_client_t *self)
{
    const dbn_metadata_t *meta = dbn_decoder_metadata(self->decoder);
    if (!meta || self->metadata_seen)
        return;
    self->metadata_seen = true;
    log_info("live: streaming %s (DBN v%u, ts_out=%d, start %llu)", meta->dataset, meta->version,
             meta->ts_out ? 1 : 0, (unsigned long long) meta->start);
}

static void s_on_record(live_client_t *self, const dbn_record_t *rec)
{
    self->stats.records++;
    if (rec->rtype == DBN_RTYPE_SYSTEM) {
        if (rec->system.code == 0)
            self->stats.heartbeats++;
        else
            log_info("live: gateway: %s", rec->system.msg);
    } else if (rec->rtype == DBN_RTYPE_ERROR) {
        self->stats.gateway_errors++;
        log_warn("live: gateway error (code %u): %s", rec->error.code, rec->error.err);
    } else if (rec->rtype != DBN_RTYPE_SYMBOL_MAPPING) {
        self->last_ts_event = rec->ts_event;
    }
    if (self->fn)
        self->fn(rec, self->decoder, self->arg);
}

static const char *s_decoder_error(live_client_t *self)
{
    const char *e = dbn_decoder_error(self->decoder);
    return e ? e : "out of memory";
}

static int s_feed_plain(live_client_t *self, const uint8_t *data, size_t len);

//  compression=zstd: everything after start_session, metadata included, is
//  one zstd stream (spec §8.7, cpp SetCompression after start_session).
static int s_feed_dbn(live_client_t *self, const uint8_t *data, size_t len)
{
    if (!self->zstream)
        return s_feed_plain(self, data, len);
    ZSTD_inBuffer in = { data, len, 0 };
    for (;;) {
        ZSTD_outBuffer out = { self->zbuf, sizeof self->zbuf, 0 };
        size_t rc = ZSTD_decompressStream(self->zstream, &out, &in);
        if (ZSTD_isError(rc)) {
            self->stats.decode_errors++;
            return s_drop(self, "bad zstd from the gateway: %s", ZSTD_getErrorName(rc));
        }
        int frc = s_feed_plain(self, self->zbuf, out.pos);
        if (frc)
            return frc;
        //  a full output buffer may leave more inside zstd: go round again
        if (in.pos == in.size && out.pos < out.size)
            return 0;
    }
}

static int s_feed_plain(live_client_t *self, const uint8_t *data, size_t len)
{
    if (len && dbn_decoder_feed(self->decoder, data, len) < 0) {
        self->stats.decode_errors++;
        return s_drop(self, "bad DBN from the gateway: %s", s_decoder_error(self));
    }
    const dbn_record_t *rec;
    int rc;
    while ((rc = dbn_decoder_next(self->decoder, &rec)) == 1) {
        s_on_metadata(self);
        s_on_record(self, rec);
        if (self->state != LIVE_STREAMING)
            return LIVE_FD_CHANGED;     //  callback stopped us
    }
    if (rc < 0) {
        self->stats.decode_errors++;
        return s_drop(self, "bad DBN from the gateway: %s", s_decoder_error(self));
    }
    s_on_metadata(self);
    return 0;
}

static int s_on_authenticated(live_client_t *self)
{
    self->state = LIVE_STREAMING;
    self->session_at = ofts_clock_mono_ns();
    self->stats.sessions++;
    self->decoder = dbn_decoder_new();
    if (self->zstd)
        self->zstream = ZSTD_createDStream();
    if (!self->decoder || (self->zstd && !self->zstream))
        return s_fail(self, "out of memory");
    if (self->had_session) {
        //  spec §8.9: subscriptions are re-sent without `start`; the gateway
        //  does not replay what happened while we were away.
        log_warn("live: session %s resumed after a drop; data after ts_event %llu was not replayed",
                 live_proto_session_id(self->proto), (unsigned long long) self->last_ts_event);
    } else {
        log_info("live: authenticated, session %s (gateway %s); %d subscription line(s), %s on %s",
                 live_proto_session_id(self->proto), live_proto_lsg_version(self->proto),
                 live_proto_subscriptions(self->proto), self->stype_in, self->symbols);
    }
    self->had_session = true;
    return 0;
}

static int s_process(live_client_t *self, const uint8_t *data, size_t len)
{
    if (self->state == LIVE_AUTHENTICATING) {
        long used = live_proto_feed(self->proto, (const char *) data, len);
        const char *greeting = live_proto_greeting(self->proto);
        if (!self->greeting_logged && *greeting) {
            //  any text is accepted (as the official clients do): log it
            self->greeting_logged = true;
            log_info("live: gateway greeting '%s'", greeting);
        }
        if (used < 0) {
            if (live_proto_rejected(self->proto))
                return s_fail(self, live_proto_error(self->proto));
            return s_drop(self, "%s", live_proto_error(self->proto));
        }
        int rc = s_flush(self);
        if (rc)
            return rc;
        if (live_proto_state(self->proto) != LIVE_PROTO_STREAMING)
            return 0;
        if ((rc = s_on_authenticated(self)) != 0)
            return rc;
        data += used;
        len -= (size_t) used;
    }
    if (self->state == LIVE_STREAMING)
        return s_feed_dbn(self, data, len);
    return 0;
}

int live_client_on_readable(live_client_t *self)
{
    if (self->fd < 0)
        return self->state == LIVE_FAILED ? -1 : 0;
    if (self->state == LIVE_CONNECTING) {
        int rc = s_check_connect(self, ofts_clock_mono_ns());
        if (rc || self->state != LIVE_AUTHENTICATING)
            return rc ? rc : (self->fd < 0 ? LIVE_FD_CHANGED : 0);
    }
    for (int i = 0; i < READS_PER_WAKEUP; i++) {
        ssize_t n = recv(self->fd, self->buf, sizeof self->buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0)
            return s_drop(self, "receive from the gateway failed: %s", strerror(errno));
        if (n == 0) {
            if (self->state == LIVE_AUTHENTICATING)
                return s_drop(self, "gateway closed the connection during authentication");
            return s_drop(self, "gateway closed the connection");
        }
        self->stats.bytes += (uint64_t) n;
        self->last_rx = ofts_clock_mono_ns();
        int rc = s_process(self, self->buf, (size_t) n);
        if (rc)
            return rc;
    }
    return 0;
}

int live_client_tick(live_client_t *self, int64_t now)
{
    switch (self->state) {
    case LIVE_BACKOFF:
        if (now >= self->next_attempt_at)
            return live_client_connect(self);
        return 0;
    case LIVE_CONNECTING:
        return s_check_connect(self, now);
    case LIVE_AUTHENTICATING:
        if (now - self->connected_at > self->auth_timeout_ns)
            return s_drop(self, "authentication timed out after %lld ms",
                          (long long) (self->auth_timeout_ns / OFTS_NS_PER_MS));
        return s_flush(self);
    case LIVE_STREAMING:
        if (now - self->last_rx > self->heartbeat_timeout_ns) {
            self->stats.heartbeat_timeouts++;
            return s_drop(self, "no data from the gateway for %lld ms (heartbeat time-out)",
                          (long long) ((now - self->last_rx) / OFTS_NS_PER_MS));
        }
        return s_flush(self);
    case LIVE_FAILED:
        return -1;
    default:
        return 0;
    }
}

void live_client_stop(live_client_t *self)
{
    s_close(self);
    if (self->state != LIVE_FAILED)
        self->state = LIVE_STOPPED;
}

live_state_t live_client_state(live_client_t *self) { return self->state; }
const char *live_client_error(live_client_t *self) { return self->error; }
void live_client_stats(live_client_t *self, live_client_stats_t *out) { *out = self->stats; }
int live_client_backoff_ms(live_client_t *self) { return self->backoff_ms; }
uint64_t live_client_last_ts_event(live_client_t *self) { return self->last_ts_event; }
int live_client_fd(live_client_t *self) { return self->fd; }

const char *live_client_state_name(live_state_t state)
{
    switch (state) {
    case LIVE_IDLE:           return "idle";
    case LIVE_BACKOFF:        return "backoff";
    case LIVE_CONNECTING:     return "connecting";
    case LIVE_AUTHENTICATING: return "authenticating";
    case LIVE_STREAMING:      return "streaming";
    case LIVE_FAILED:         return "failed";
    case LIVE_STOPPED:        return "stopped";
    }
    return "?";
}
