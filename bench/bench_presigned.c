/*  bench_presigned - see bench_presigned.h.                               */
#include "bench_presigned.h"
#include "bench_util.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>
#include "ofts_bus.h"
#include "ofts_clock.h"
#include "ofts_trust.h"

#define TOPICS 64

struct _bench_presigned_t {
    char *source;
    uint64_t epoch;
    bool signed_bus;
    ofts_trust_mackey_t key;
    char *topic[TOPICS];            //  the distinct topics, in order of first use
    size_t topic_len[TOPICS];
    int ntopics;
    uint8_t *bytes;                 //  the envelopes, one after the other
    size_t nbytes, cap;
    size_t *off;                    //  message k: bytes[off[k] .. off[k + 1])
    uint8_t *which;                 //  message k's topic
    uint8_t (*mac)[OFTS_TRUST_MAC_SIZE];
    size_t n, max;
};

bench_presigned_t *
bench_presigned_new(const char *source, uint64_t epoch, const uint8_t *secret)
{
    bench_presigned_t *self = calloc(1, sizeof *self);
    self->source = strdup(source);
    self->epoch = epoch;
    self->signed_bus = secret != NULL;
    if (secret)
        ofts_trust_mackey_init(&self->key, secret);
    self->off = calloc(1, sizeof *self->off);
    return self;
}

void
bench_presigned_destroy(bench_presigned_t **self_p)
{
    bench_presigned_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->ntopics; i++)
        free(self->topic[i]);
    sodium_memzero(&self->key, sizeof self->key);
    free(self->source);
    free(self->bytes);
    free(self->off);
    free(self->which);
    free(self->mac);
    free(self);
    *self_p = NULL;
}

static int
s_topic(bench_presigned_t *self, const char *topic)
{
    for (int i = self->ntopics - 1; i >= 0; i--)
        if (strcmp(self->topic[i], topic) == 0)
            return i;
    if (self->ntopics == TOPICS)
        abort();                    //  a bench's mistake, not a run-time condition
    self->topic[self->ntopics] = strdup(topic);
    self->topic_len[self->ntopics] = strlen(topic);
    return self->ntopics++;
}

static void
s_room(bench_presigned_t *self, size_t size)
{
    if (self->n == self->max) {
        self->max = self->max ? self->max * 2 : 1024;
        self->off = realloc(self->off, (self->max + 1) * sizeof *self->off);
        self->which = realloc(self->which, self->max);
        self->mac = realloc(self->mac, self->max * sizeof *self->mac);
    }
    if (self->nbytes + size > self->cap) {
        self->cap = (self->nbytes + size) * 2;
        self->bytes = realloc(self->bytes, self->cap);
    }
}

void
bench_presigned_add(bench_presigned_t *self, const char *topic, Ofts__Envelope *env, uint64_t seq,
                    uint64_t topic_seq, int64_t ts_event, int64_t ts_recv)
{
    Ofts__Header local = OFTS__HEADER__INIT;
    Ofts__Header *saved = env->header;
    Ofts__Header *hdr = saved ? saved : &local;
    ofts_bus_stamp(hdr, self->source, seq, self->epoch, topic_seq, ts_event, ts_recv);
    env->header = hdr;
    size_t size = ofts__envelope__get_packed_size(env);
    s_room(self, size);
    int t = s_topic(self, topic);
    uint8_t *body = self->bytes + self->nbytes;
    ofts__envelope__pack(env, body);
    env->header = saved;
    if (saved)
        saved->source = NULL;
    if (self->signed_bus)
        ofts_bus_mac(&self->key, self->topic[t], self->topic_len[t], body, size, self->mac[self->n]);
    self->which[self->n] = (uint8_t) t;
    self->off[self->n] = self->nbytes;
    self->nbytes += size;
    self->off[++self->n] = self->nbytes;
}

size_t
bench_presigned_count(const bench_presigned_t *self)
{
    return self->n;
}

int
bench_presigned_send(const bench_presigned_t *self, void *pub, size_t k)
{
    int t = self->which[k];
    int last = self->signed_bus ? ZMQ_SNDMORE : 0;
    if (zmq_send_const(pub, self->topic[t], self->topic_len[t], ZMQ_SNDMORE) < 0
        || zmq_send_const(pub, self->bytes + self->off[k], self->off[k + 1] - self->off[k], last) < 0
        || (self->signed_bus && zmq_send_const(pub, self->mac[k], OFTS_TRUST_MAC_SIZE, 0) < 0))
        return -1;
    return 0;
}

double
bench_presigned_send_all(const bench_presigned_t *self, void *pub, double rate)
{
    int64_t t0 = ofts_clock_mono_ns();
    for (size_t k = 0; k < self->n; k++) {
        bench_presigned_send(self, pub, k);
        if (rate > 0 && (k & 127) == 127)
            bench_pace(t0, k + 1, rate);
    }
    int64_t end = ofts_clock_mono_ns();
    return end > t0 ? (double) self->n / ((double) (end - t0) / 1e9) : 0;
}
