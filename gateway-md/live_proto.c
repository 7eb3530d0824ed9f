/*  live_proto - see live_proto.h.                                            */
#include "live_proto.h"
#include "cram.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCHEMAS 16

struct _live_proto_t {
    live_proto_state_t state;
    char *dataset, *api_key, *client, *stype_in, *symbols;
    char *schemas[MAX_SCHEMAS];
    size_t n_schemas;
    int heartbeat_interval_s;
    bool ts_out, zstd;
    uint64_t start_ns;
    uint32_t replay_mask;

    char line[LIVE_PROTO_MAX_LINE + 1];     //  partial server line
    size_t line_len;
    char *out;                              //  pending bytes to the server
    size_t out_len, out_cap;

    char error[512];
    bool rejected;
    char session_id[128];
    char lsg_version[64];
    char greeting[128];                     //  the first line, as sent
    bool greeted;
    int subscriptions;
};

static char *s_dup(const char *s) { return s ? strdup(s) : NULL; }

live_proto_t *live_proto_new(const live_proto_params_t *p)
{
    if (!p || !p->dataset || !*p->dataset || !p->api_key || !p->symbols || !*p->symbols
        || !p->n_schemas || p->n_schemas > MAX_SCHEMAS)
        return NULL;
    live_proto_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->dataset = s_dup(p->dataset);
    self->api_key = s_dup(p->api_key);
    self->client = s_dup(p->client ? p->client : "ofts/0.1");
    self->stype_in = s_dup(p->stype_in ? p->stype_in : "raw_symbol");
    self->symbols = s_dup(p->symbols);
    for (size_t i = 0; i < p->n_schemas; i++)
        self->schemas[i] = s_dup(p->schemas[i]);
    self->n_schemas = p->n_schemas;
    self->heartbeat_interval_s = p->heartbeat_interval_s;
    self->ts_out = p->ts_out;
    self->zstd = p->zstd;
    self->start_ns = p->start_ns;
    self->replay_mask = p->replay_mask;
    return self;
}

void live_proto_destroy(live_proto_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    live_proto_t *self = *self_p;
    if (self->api_key) {
        memset(self->api_key, 0, strlen(self->api_key));
        free(self->api_key);
    }
    free(self->dataset);
    free(self->client);
    free(self->stype_in);
    free(self->symbols);
    for (size_t i = 0; i < self->n_schemas; i++)
        free(self->schemas[i]);
    if (self->out)
        memset(self->out, 0, self->out_cap);    //  held the CRAM reply
    free(self->out);
    free(self);
    *self_p = NULL;
}

static void s_emit(live_proto_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_emit(live_proto_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (self->out_len + (size_t) n + 1 > self->out_cap) {
        size_t cap = (self->out_len + (size_t) n + 1) * 2;
        char *grown = realloc(self->out, cap);
        if (!grown)
            return;
        self->out = grown;
        self->out_cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(self->out + self->out_len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    self->out_len += (size_t) n;
}

static long s_fail(live_proto_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long s_fail(live_proto_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->error, sizeof self->error, fmt, ap);
    va_end(ap);
    self->state = LIVE_PROTO_FAILED;
    return -1;
}

int live_proto_parse_line(char *line, live_kv_t *kv, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || n == max)
            return -1;
        *eq = '\0';
        kv[n].key = tok;
        kv[n].value = eq + 1;
        n++;
    }
    return n;
}

const char *live_kv_get(const live_kv_t *kv, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

//  Queue one subscription line per schema and per 500-symbol chunk, then
//  start_session: the gateway streams nothing before it.
static void s_subscribe(live_proto_t *self)
{
    int id = 0;
    for (size_t s = 0; s < self->n_schemas; s++) {
        const char *p = self->symbols;
        while (*p) {
            const char *end = p;
            int count = 0;
            while (*end) {
                const char *comma = strchr(end, ',');
                const char *stop = comma ? comma : end + strlen(end);
                count++;
                end = comma ? comma + 1 : stop;
                if (count == LIVE_PROTO_SYMBOL_CHUNK || !comma)
                    break;
            }
            size_t len = (size_t) (end - p);
            if (len && p[len - 1] == ',')
                len--;
            bool last = *end == '\0';
            s_emit(self, "schema=%s|stype_in=%s|symbols=%.*s", self->schemas[s], self->stype_in, (int) len, p);
            //  spec §8.6: start = UNIX ns, within the last 24 hours
            if (self->start_ns && (self->replay_mask & (1u << s)))
                s_emit(self, "|start=%llu", (unsigned long long) self->start_ns);
            s_emit(self, "|snapshot=0|id=%d|is_last=%d\n", id, last ? 1 : 0);
            self->subscriptions++;
            p = end;
        }
        id++;
    }
    s_emit(self, "start_session\n");
}

static long s_on_line(live_proto_t *self, char *line)
{
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r')
        line[len - 1] = '\0';
    if (self->state == LIVE_PROTO_GREETING) {
        if (strncmp(line, "cram", 4) != 0 && !self->greeted) {
            //  cpp DecodeChallenge: the first line is the greeting, whatever
            //  it says (its own test gateway sends "lsg-test"); only the
            //  line after it must be the challenge
            self->greeted = true;
            snprintf(self->greeting, sizeof self->greeting, "%s", line);
            if (strncmp(line, "lsg_version=", 12) == 0)
                snprintf(self->lsg_version, sizeof self->lsg_version, "%s", line + 12);
            return 0;
        }
        if (strncmp(line, "cram", 4) == 0) {
            //  cpp DecodeChallenge: the challenge is everything after the first '='
            const char *eq = strchr(line, '=');
            if (!eq || !eq[1])
                return s_fail(self, "gateway sent an empty CRAM challenge");
            char reply[CRAM_REPLY_LEN + 1];
            if (cram_reply(eq + 1, self->api_key, reply, sizeof reply))
                return s_fail(self, "cannot compute the CRAM reply (API key shorter than %d characters?)",
                              CRAM_BUCKET_LEN);
            s_emit(self, "auth=%s|dataset=%s|encoding=dbn|ts_out=%d|compression=%s|client=%s",
                   reply, self->dataset, self->ts_out ? 1 : 0, self->zstd ? "zstd" : "none", self->client);
            if (self->heartbeat_interval_s > 0)
                s_emit(self, "|heartbeat_interval_s=%d", self->heartbeat_interval_s);
            s_emit(self, "\n");
            memset(reply, 0, sizeof reply);
            self->state = LIVE_PROTO_AUTH_SENT;
            return 0;
        }
        return s_fail(self, "did not receive the CRAM challenge after the greeting: unexpected line '%.80s'", line);
    }
    //  AUTH_SENT: success=1|session_id=..  or  success=0|error=..
    live_kv_t kv[16];
    int n = live_proto_parse_line(line, kv, 16);
    if (n < 0)
        return s_fail(self, "malformed authentication response from the gateway");
    const char *success = live_kv_get(kv, n, "success");
    const char *error = live_kv_get(kv, n, "error");
    if (!success)
        return s_fail(self, "gateway did not send a success indicator%s%s",
                      error ? ": " : "", error ? error : "");
    if (strcmp(success, "1") != 0) {
        self->rejected = true;
        return s_fail(self, "gateway rejected authentication for dataset %s: %s", self->dataset,
                      error && *error ? error : "(no reason given)");
    }
    const char *sid = live_kv_get(kv, n, "session_id");
    snprintf(self->session_id, sizeof self->session_id, "%s", sid ? sid : "");
    self->state = LIVE_PROTO_STREAMING;
    s_subscribe(self);
    return 0;
}

long live_proto_feed(live_proto_t *self, const char *data, size_t len)
{
    size_t used = 0;
    while (used < len) {
        if (self->state == LIVE_PROTO_STREAMING)
            return (long) used;
        if (self->state == LIVE_PROTO_FAILED)
            return -1;
        char c = data[used++];
        if (c == '\n') {
            self->line[self->line_len] = '\0';
            self->line_len = 0;
            if (s_on_line(self, self->line) < 0)
                return -1;
            continue;
        }
        if (c == '\0' || self->line_len == LIVE_PROTO_MAX_LINE)
            return s_fail(self, "gateway sent garbage in the text phase (state %s)",
                          live_proto_state_name(self->state));
        self->line[self->line_len++] = c;
    }
    return self->state == LIVE_PROTO_FAILED ? -1 : (long) used;
}

const char *live_proto_output(live_proto_t *self, size_t *len)
{
    *len = self->out_len;
    return self->out ? self->out : "";
}

void live_proto_output_done(live_proto_t *self, size_t n)
{
    if (n >= self->out_len) {
        if (self->out)
            memset(self->out, 0, self->out_len);
        self->out_len = 0;
        return;
    }
    memmove(self->out, self->out + n, self->out_len - n);
    self->out_len -= n;
}

live_proto_state_t live_proto_state(live_proto_t *self) { return self->state; }
const char *live_proto_error(live_proto_t *self) { return self->error; }
bool live_proto_rejected(live_proto_t *self) { return self->rejected; }
const char *live_proto_session_id(live_proto_t *self) { return self->session_id; }
const char *live_proto_lsg_version(live_proto_t *self) { return self->lsg_version; }
const char *live_proto_greeting(live_proto_t *self) { return self->greeting; }
int live_proto_subscriptions(live_proto_t *self) { return self->subscriptions; }

const char *live_proto_state_name(live_proto_state_t state)
{
    switch (state) {
    case LIVE_PROTO_GREETING:  return "greeting";
    case LIVE_PROTO_AUTH_SENT: return "auth-sent";
    case LIVE_PROTO_STREAMING: return "streaming";
    case LIVE_PROTO_FAILED:    return "failed";
    }
    return "?";
}
