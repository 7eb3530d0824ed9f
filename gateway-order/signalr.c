/*  signalr - see signalr.h.                                                  */
#include "signalr.h"
#include "ofts_log.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Reader

struct _signalr_reader_t {
    char *buf;
    size_t len, cap, max_record;
    size_t scanned;         //  bytes already known to hold no separator
    bool skipping;          //  inside an over-long record: drop to the next RS
};

signalr_reader_t *
signalr_reader_new(size_t max_record)
{
    signalr_reader_t *self = calloc(1, sizeof *self);
    self->max_record = max_record ? max_record : (1 << 20);
    return self;
}

void
signalr_reader_destroy(signalr_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->buf);
    free(*self_p);
    *self_p = NULL;
}

void
signalr_reader_reset(signalr_reader_t *self)
{
    self->len = self->scanned = 0;
    self->skipping = false;
}

size_t signalr_reader_pending(signalr_reader_t *self) { return self->len; }

void
signalr_reader_feed(signalr_reader_t *self, const void *data, size_t len)
{
    if (self->len + len > self->cap) {
        size_t cap = self->cap ? self->cap : 4096;
        while (cap < self->len + len)
            cap *= 2;
        self->buf = realloc(self->buf, cap);
        self->cap = cap;
    }
    memcpy(self->buf + self->len, data, len);
    self->len += len;
}

static void
consume(signalr_reader_t *self, size_t n)
{
    memmove(self->buf, self->buf + n, self->len - n);
    self->len -= n;
    self->scanned = 0;
}

int
signalr_reader_next(signalr_reader_t *self, json_t **json, char *err, size_t errlen)
{
    *json = NULL;
    char *rs = self->len > self->scanned
                   ? memchr(self->buf + self->scanned, SIGNALR_RS, self->len - self->scanned)
                   : NULL;
    if (!rs) {
        self->scanned = self->len;
        if (self->len > self->max_record) {
            //  Too long and still no end: drop what we have, skip to the RS.
            self->skipping = true;
            self->len = self->scanned = 0;
        }
        return 0;
    }
    size_t n = (size_t) (rs - self->buf);
    if (self->skipping) {
        self->skipping = false;
        consume(self, n + 1);
        snprintf(err, errlen, "record longer than %zu bytes dropped", self->max_record);
        return -1;
    }
    if (n > self->max_record) {
        consume(self, n + 1);
        snprintf(err, errlen, "record of %zu bytes dropped (limit %zu)", n, self->max_record);
        return -1;
    }
    json_error_t jerr;
    *json = json_loadb(self->buf, n, 0, &jerr);
    consume(self, n + 1);
    if (!*json) {
        snprintf(err, errlen, "record is not JSON: %s", jerr.text);
        return -1;
    }
    return 1;
}

//  --------------------------------------------------------------------------
//  Messages

bool
signalr_msg_decode(const json_t *json, signalr_msg_t *out)
{
    memset(out, 0, sizeof *out);
    const json_t *type = json_object_get(json, "type");
    if (!json_is_integer(type))
        return false;
    out->type = (int) json_integer_value(type);
    out->invocation_id = json_string_value(json_object_get(json, "invocationId"));
    out->target = json_string_value(json_object_get(json, "target"));
    out->arguments = json_object_get(json, "arguments");
    out->result = json_object_get(json, "result");
    out->error = json_string_value(json_object_get(json, "error"));
    out->allow_reconnect = json_is_true(json_object_get(json, "allowReconnect"));
    if (out->type == SIGNALR_INVOCATION && (!out->target || !json_is_array(out->arguments)))
        return false;
    return true;
}

static char *
with_rs(json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT);
    json_decref(json);
    size_t len = strlen(text);
    char *out = realloc(text, len + 2);
    out[len] = SIGNALR_RS;
    out[len + 1] = 0;
    return out;
}

char *
signalr_encode_handshake(void)
{
    return with_rs(json_pack("{s:s,s:i}", "protocol", "json", "version", 1));
}

char *
signalr_encode_invocation(const char *invocation_id, const char *target, json_t *arguments)
{
    json_t *msg = json_pack("{s:i,s:s,s:o}", "type", SIGNALR_INVOCATION, "target", target,
                            "arguments", arguments ? arguments : json_array());
    if (invocation_id)
        json_object_set_new(msg, "invocationId", json_string(invocation_id));
    return with_rs(msg);
}

char *signalr_encode_ping(void) { return with_rs(json_pack("{s:i}", "type", SIGNALR_PING)); }
char *signalr_encode_close(void) { return with_rs(json_pack("{s:i}", "type", SIGNALR_CLOSE)); }

//  --------------------------------------------------------------------------
//  Session

struct _signalr_session_t {
    signalr_options_t options;
    signalr_handler_t handler;
    signalr_reader_t *reader;
    signalr_state_t state;
    int64_t connected_ms, last_sent_ms, last_received_ms;
    uint64_t next_id, bad_records;
    char last_id[24];
};

void
signalr_options_defaults(signalr_options_t *options)
{
    options->keepalive_ms = 15000;
    options->server_timeout_ms = 30000;
    options->handshake_timeout_ms = 15000;
    options->max_record = 1 << 20;
}

signalr_session_t *
signalr_session_new(const signalr_options_t *options, const signalr_handler_t *handler)
{
    signalr_session_t *self = calloc(1, sizeof *self);
    if (options)
        self->options = *options;
    else
        signalr_options_defaults(&self->options);
    self->handler = *handler;
    self->reader = signalr_reader_new(self->options.max_record);
    return self;
}

void
signalr_session_destroy(signalr_session_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    signalr_reader_destroy(&(*self_p)->reader);
    free(*self_p);
    *self_p = NULL;
}

signalr_state_t signalr_session_state(signalr_session_t *self) { return self->state; }
uint64_t signalr_session_bad_records(signalr_session_t *self) { return self->bad_records; }

static void
send_owned(signalr_session_t *self, char *text, int64_t now_ms)
{
    if (self->handler.send)
        self->handler.send(self->handler.arg, text, strlen(text));
    free(text);
    self->last_sent_ms = now_ms;
}

static void
close_session(signalr_session_t *self, const char *reason, bool allow_reconnect)
{
    if (self->state == SIGNALR_CLOSED)
        return;
    self->state = SIGNALR_CLOSED;
    if (self->handler.on_closed)
        self->handler.on_closed(self->handler.arg, reason, allow_reconnect);
}

void
signalr_session_connected(signalr_session_t *self, int64_t now_ms)
{
    signalr_reader_reset(self->reader);
    self->state = SIGNALR_HANDSHAKING;
    self->connected_ms = self->last_received_ms = now_ms;
    self->next_id = 0;      //  invocation ids are unique per connection
    send_owned(self, signalr_encode_handshake(), now_ms);
}

static void
on_handshake_reply(signalr_session_t *self, json_t *json)
{
    const char *error = json_string_value(json_object_get(json, "error"));
    if (!json_is_object(json) || error) {
        char reason[256];
        snprintf(reason, sizeof reason, "handshake refused: %s", error ? error : "not an object");
        close_session(self, reason, false);
        return;
    }
    self->state = SIGNALR_OPEN;
    if (self->handler.on_open)
        self->handler.on_open(self->handler.arg);
}

static void
on_message(signalr_session_t *self, json_t *json)
{
    signalr_msg_t msg;
    if (!signalr_msg_decode(json, &msg)) {
        self->bad_records++;
        log_warn("signalr: message without a valid type/target ignored");
        return;
    }
    switch (msg.type) {
    case SIGNALR_INVOCATION:
        if (self->handler.on_invocation)
            self->handler.on_invocation(self->handler.arg, msg.target, msg.arguments);
        break;
    case SIGNALR_COMPLETION:
        if (self->handler.on_completion && msg.invocation_id)
            self->handler.on_completion(self->handler.arg, msg.invocation_id, msg.error);
        break;
    case SIGNALR_PING:
        break;      //  its arrival already refreshed last_received_ms
    case SIGNALR_CLOSE: {
        char reason[256];
        snprintf(reason, sizeof reason, "server closed: %s", msg.error ? msg.error : "no error");
        close_session(self, reason, msg.allow_reconnect || !msg.error);
        break;
    }
    default:
        break;      //  streaming/ack/sequence: not used by ProjectX
    }
}

void
signalr_session_receive(signalr_session_t *self, const void *data, size_t len, int64_t now_ms)
{
    if (self->state == SIGNALR_CLOSED)
        return;
    self->last_received_ms = now_ms;
    signalr_reader_feed(self->reader, data, len);
    for (;;) {
        json_t *json = NULL;
        char err[160];
        int rc = signalr_reader_next(self->reader, &json, err, sizeof err);
        if (rc == 0)
            break;
        if (rc < 0) {
            self->bad_records++;
            log_warn("signalr: %s", err);
            if (self->state == SIGNALR_HANDSHAKING) {
                close_session(self, "handshake reply is not JSON", true);
                return;
            }
            continue;
        }
        if (self->state == SIGNALR_HANDSHAKING)
            on_handshake_reply(self, json);
        else if (self->state == SIGNALR_OPEN)
            on_message(self, json);
        json_decref(json);
        if (self->state == SIGNALR_CLOSED)
            return;
    }
}

void
signalr_session_tick(signalr_session_t *self, int64_t now_ms)
{
    if (self->state == SIGNALR_CLOSED)
        return;
    if (self->state == SIGNALR_HANDSHAKING
        && now_ms - self->connected_ms >= self->options.handshake_timeout_ms) {
        close_session(self, "handshake timed out", true);
        return;
    }
    if (now_ms - self->last_received_ms >= self->options.server_timeout_ms) {
        close_session(self, "server timeout elapsed without receiving a message", true);
        return;
    }
    if (self->state == SIGNALR_OPEN && now_ms - self->last_sent_ms >= self->options.keepalive_ms)
        send_owned(self, signalr_encode_ping(), now_ms);
}

const char *
signalr_session_invoke(signalr_session_t *self, const char *target, json_t *arguments,
                       int64_t now_ms)
{
    if (self->state != SIGNALR_OPEN) {
        json_decref(arguments);
        return NULL;
    }
    snprintf(self->last_id, sizeof self->last_id, "%llu", (unsigned long long) self->next_id++);
    send_owned(self, signalr_encode_invocation(self->last_id, target, arguments), now_ms);
    return self->last_id;
}

void
signalr_session_disconnected(signalr_session_t *self, const char *reason)
{
    close_session(self, reason ? reason : "connection lost", true);
}
