/*  rec_check - see rec_check.h.                                          */
#include "rec_check.h"
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_bus.h"

typedef struct {
    size_t off;                         //  topic at bytes + off, then body, then mac
    uint32_t tlen, blen, mlen;
    bool has_body, has_mac, ok;
} s_item_t;

struct _rec_check_t {
    ofts_trust_mackey_t key;
    uint8_t *bytes;
    size_t len, cap;
    s_item_t *items;
    size_t n, cap_items;
    pthread_t helper;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t from, to;                    //  the helper's share of the batch
    bool work, stop;
    uint64_t parallel_runs;
};

static void
s_check(rec_check_t *self, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        s_item_t *it = &self->items[i];
        const uint8_t *t = self->bytes + it->off;
        it->ok = it->has_body && it->has_mac
                 && ofts_bus_mac_ok(&self->key, t, it->tlen, t + it->tlen, it->blen, t + it->tlen + it->blen, it->mlen);
    }
}

static void *
s_helper(void *arg)
{
    rec_check_t *self = arg;
    pthread_mutex_lock(&self->lock);
    while (true) {
        while (!self->work && !self->stop)
            pthread_cond_wait(&self->cond, &self->lock);
        if (self->stop)
            break;
        pthread_mutex_unlock(&self->lock);
        s_check(self, self->from, self->to);
        pthread_mutex_lock(&self->lock);
        self->work = false;
        pthread_cond_broadcast(&self->cond);
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

rec_check_t *
rec_check_new(const ofts_trust_mackey_t *key)
{
    rec_check_t *self = calloc(1, sizeof *self);
    self->key = *key;
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->cond, NULL);
    pthread_create(&self->helper, NULL, s_helper, self);
    return self;
}

void
rec_check_destroy(rec_check_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rec_check_t *self = *self_p;
    pthread_mutex_lock(&self->lock);
    self->stop = true;
    pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->lock);
    pthread_join(self->helper, NULL);
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->cond);
    sodium_memzero(&self->key, sizeof self->key);
    free(self->bytes);
    free(self->items);
    free(self);
    *self_p = NULL;
}

void
rec_check_add(rec_check_t *self, const uint8_t *topic, size_t tlen, const uint8_t *body, size_t blen,
              const uint8_t *mac, size_t mlen)
{
    size_t need = tlen + (body ? blen : 0) + (mac ? mlen : 0);
    if (self->len + need > self->cap) {
        self->cap = (self->len + need) * 2 + 65536;
        self->bytes = realloc(self->bytes, self->cap);
    }
    if (self->n == self->cap_items) {
        self->cap_items = self->cap_items ? self->cap_items * 2 : 1024;
        self->items = realloc(self->items, self->cap_items * sizeof *self->items);
    }
    s_item_t *it = &self->items[self->n++];
    *it = (s_item_t) { .off = self->len, .tlen = (uint32_t) tlen, .blen = body ? (uint32_t) blen : 0,
                       .mlen = mac ? (uint32_t) mlen : 0, .has_body = body != NULL, .has_mac = mac != NULL };
    memcpy(self->bytes + self->len, topic, tlen);
    if (body)
        memcpy(self->bytes + self->len + tlen, body, blen);
    if (mac)
        memcpy(self->bytes + self->len + tlen + it->blen, mac, mlen);
    self->len += need;
}

size_t rec_check_count(rec_check_t *self) { return self->n; }
size_t rec_check_bytes(rec_check_t *self) { return self->len; }
uint64_t rec_check_parallel_runs(rec_check_t *self) { return self->parallel_runs; }

void
rec_check_run(rec_check_t *self, rec_check_fn *fn, void *arg)
{
    size_t half = self->n / 2;
    bool two = self->n >= REC_CHECK_PARALLEL;
    if (two) {
        pthread_mutex_lock(&self->lock);
        self->from = 0;
        self->to = half;
        self->work = true;
        pthread_cond_broadcast(&self->cond);
        pthread_mutex_unlock(&self->lock);
        self->parallel_runs++;
    }
    s_check(self, two ? half : 0, self->n);
    if (two) {
        pthread_mutex_lock(&self->lock);
        while (self->work)
            pthread_cond_wait(&self->cond, &self->lock);
        pthread_mutex_unlock(&self->lock);
    }
    for (size_t i = 0; i < self->n; i++) {
        const s_item_t *it = &self->items[i];
        const uint8_t *t = self->bytes + it->off;
        fn(arg, t, it->tlen, it->has_body ? t + it->tlen : NULL, it->blen, it->has_mac, it->ok);
    }
    self->n = self->len = 0;
}
