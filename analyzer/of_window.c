/*  of_window - rolling trade window: ring buffer + running sums. See of_window.h. */
#include "of_window.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t ts;
    int64_t price;
    uint32_t size;
    uint8_t side;
    uint8_t block;
    uint8_t aggressive;
} s_entry_t;

struct _of_window_t {
    int64_t span_ns;
    uint32_t max_trades;
    s_entry_t *ring;
    size_t capacity;                //  power of two
    size_t head;                    //  index of the oldest entry
    size_t count;
    of_window_sums_t sums;
};

static size_t
s_pow2_at_least(size_t n)
{
    size_t c = 64;
    while (c < n)
        c <<= 1;
    return c;
}

of_window_t *
of_window_new(int64_t span_ns, uint32_t max_trades)
{
    of_window_t *self = calloc(1, sizeof *self);
    self->span_ns = span_ns;
    self->max_trades = max_trades;
    //  A count-limited window never grows; a time-only one grows on demand.
    self->capacity = s_pow2_at_least(max_trades ? max_trades : 256);
    self->ring = calloc(self->capacity, sizeof *self->ring);
    self->sums.start_ns = 0;        //  of_metrics clears it to the first event time
    return self;
}

void
of_window_destroy(of_window_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->ring);
    free(*self_p);
    *self_p = NULL;
}

//  Add (+1) or remove (-1) a marked trade's size from the aggressive sums.
static void
s_aggressive(of_window_sums_t *s, const s_entry_t *e, int sign)
{
    if (!e->aggressive)
        return;
    uint64_t size = sign > 0 ? e->size : 0 - (uint64_t) e->size;
    if (e->side == OF_SIDE_BUY)
        s->aggr_buy_volume += size;
    else if (e->side == OF_SIDE_SELL)
        s->aggr_sell_volume += size;
}

static void
s_drop_oldest(of_window_t *self)
{
    s_entry_t *e = &self->ring[self->head];
    of_window_sums_t *s = &self->sums;
    s->trades--;
    s->volume -= e->size;
    if (e->side == OF_SIDE_BUY)
        s->buy_volume -= e->size;
    else if (e->side == OF_SIDE_SELL)
        s->sell_volume -= e->size;
    s->blocks -= e->block;
    s_aggressive(s, e, -1);
    s->notional -= (__int128) e->price * e->size;
    //  Everything since this trade is still in: the window covers from here.
    if (e->ts > s->start_ns)
        s->start_ns = e->ts;
    self->head = (self->head + 1) & (self->capacity - 1);
    self->count--;
    s->version++;
}

void
of_window_expire(of_window_t *self, int64_t now_ns)
{
    if (self->span_ns <= 0)
        return;
    int64_t cutoff = now_ns - self->span_ns;
    while (self->count && self->ring[self->head].ts <= cutoff)
        s_drop_oldest(self);
    if (cutoff > self->sums.start_ns)
        self->sums.start_ns = cutoff;
}

static void
s_grow(of_window_t *self)
{
    size_t cap = self->capacity * 2;
    s_entry_t *ring = malloc(cap * sizeof *ring);
    for (size_t i = 0; i < self->count; i++)
        ring[i] = self->ring[(self->head + i) & (self->capacity - 1)];
    free(self->ring);
    self->ring = ring;
    self->capacity = cap;
    self->head = 0;
}

void
of_window_add(of_window_t *self, int64_t ts_ns, int64_t price, uint32_t size, int side, bool block,
              bool aggressive)
{
    if (self->max_trades && self->count == self->max_trades)
        s_drop_oldest(self);
    if (self->count == self->capacity)
        s_grow(self);
    s_entry_t *e = &self->ring[(self->head + self->count) & (self->capacity - 1)];
    e->ts = ts_ns;
    e->price = price;
    e->size = size;
    e->side = (uint8_t) side;
    e->block = block ? 1 : 0;
    e->aggressive = aggressive ? 1 : 0;
    self->count++;
    of_window_sums_t *s = &self->sums;
    s->trades++;
    s->volume += size;
    if (side == OF_SIDE_BUY)
        s->buy_volume += size;
    else if (side == OF_SIDE_SELL)
        s->sell_volume += size;
    s->blocks += e->block;
    s_aggressive(s, e, 1);
    s->notional += (__int128) price * size;
    s->version++;
}

void
of_window_mark_newest(of_window_t *self, uint32_t n)
{
    size_t k = n < self->count ? n : self->count;
    for (size_t i = 1; i <= k; i++) {
        s_entry_t *e = &self->ring[(self->head + self->count - i) & (self->capacity - 1)];
        if (e->aggressive)
            continue;
        e->aggressive = 1;
        s_aggressive(&self->sums, e, 1);
        self->sums.version++;
    }
}

void
of_window_clear(of_window_t *self, int64_t start_ns)
{
    uint64_t version = self->sums.version;
    self->head = 0;
    self->count = 0;
    memset(&self->sums, 0, sizeof self->sums);
    self->sums.start_ns = start_ns;
    self->sums.version = version + 1;
}

const of_window_sums_t *of_window_sums(of_window_t *self) { return &self->sums; }
uint64_t of_window_trades(of_window_t *self) { return self->sums.trades; }

//  Round-half-away division; 64-bit when the sum fits (real prices and
//  volumes do), since a 128-bit division costs several times more.
int64_t
of_window_vwap(of_window_t *self)
{
    const of_window_sums_t *s = &self->sums;
    if (s->volume == 0)
        return INT64_MAX;
    if (s->notional >= INT64_MIN / 2 && s->notional <= INT64_MAX / 2 && s->volume <= INT64_MAX / 2) {
        int64_t n = (int64_t) s->notional, v = (int64_t) s->volume;
        int64_t q = n / v, r = n % v;
        if (r < 0)
            r = -r;
        if (2 * r >= v)
            q += n < 0 ? -1 : 1;
        return q;
    }
    __int128 v = (__int128) s->volume;
    __int128 q = s->notional / v, r = s->notional % v;
    if (r < 0)
        r = -r;
    if (2 * r >= v)
        q += s->notional < 0 ? -1 : 1;
    return (int64_t) q;
}
