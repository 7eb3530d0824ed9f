#include "sim_market.h"
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"
#include "ofts_instrument.h"

#define LEVELS 10
#define REGIME_NEUTRAL 0
#define REGIME_BUY 1
#define REGIME_SELL (-1)

typedef struct {
    sim_symbol_t sym;
    int64_t tick;
    int64_t bid_idx;                //  best bid in ticks; best ask = ask_idx
    int64_t ask_idx;
    uint32_t bid_sz[LEVELS], ask_sz[LEVELS];
    int regime;
    bool absorbed;                  //  a passive side refills what the flow takes
    int64_t regime_end;
    int64_t next_trade;
    int64_t next_book;
    uint32_t sequence;
} book_t;

struct _sim_market_t {
    sim_config_t cfg;
    uint64_t rng;
    book_t books[SIM_MAX_SYMBOLS];
};

//  xorshift64*: small, fast, and the same on every machine.
static uint64_t
s_rand(sim_market_t *self)
{
    uint64_t x = self->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double
s_uniform(sim_market_t *self)
{
    return (double) (s_rand(self) >> 11) / 9007199254740992.0;
}

static int64_t
s_range(sim_market_t *self, int64_t lo, int64_t hi)
{
    return lo + (int64_t) (s_rand(self) % (uint64_t) (hi - lo + 1));
}

//  Exponential inter-arrival time in ns for a rate per second.
static int64_t
s_exp_ns(sim_market_t *self, double rate)
{
    double u = s_uniform(self);
    if (u < 1e-12)
        u = 1e-12;
    double secs = -__builtin_log(u) / rate;
    return (int64_t) (secs * 1e9) + 1000;
}

void
sim_config_default(sim_config_t *cfg, uint64_t seed, int64_t start_ns, int64_t duration_ns)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = seed;
    cfg->start_ns = start_ns;
    cfg->duration_ns = duration_ns;
    static const sim_symbol_t defaults[] = {
        { "GC", "GCZ6", 1001, 2350100000000LL, 1.0, 0, 0 },
        { "SI", "SIZ6", 1002, 30000000000LL, 0.8, 0, 0 },
        { "PL", "PLF7", 1003, 980000000000LL, 0.5, 0, 0 },
        { "HG", "HGZ6", 1004, 4500000000LL, 0.8, 0, 0 },
        { "NQ", "NQZ6", 1005, 20000000000000LL, 2.0, 0, 0 },
    };
    cfg->nsymbols = 5;
    memcpy(cfg->symbols, defaults, sizeof defaults);
}

void
sim_config_months(sim_config_t *cfg)
{
    int64_t roll = cfg->start_ns + cfg->duration_ns / 2;
    for (int i = 0; i < cfg->nsymbols; i++)
        if (strcmp(cfg->symbols[i].contract, "GCZ6") == 0) {
            cfg->symbols[i].roll_ns = roll;
            cfg->symbols[i].activity_after = 0.05;
        }
    static const sim_symbol_t more[] = {
        { "GC", "GCG7", 1006, 2370100000000LL, 0.05, 0, 1.0 },
        { "GC", "GCZ6-GCG7", 1007, -20000000000LL, 0.03, 0, 0.03 },
    };
    for (size_t i = 0; i < sizeof more / sizeof more[0] && cfg->nsymbols < SIM_MAX_SYMBOLS; i++) {
        cfg->symbols[cfg->nsymbols] = more[i];
        cfg->symbols[cfg->nsymbols++].roll_ns = roll;
    }
}

const char *
sim_config_contract(const sim_config_t *cfg, uint32_t id)
{
    for (int i = 0; i < cfg->nsymbols; i++)
        if (cfg->symbols[i].instrument_id == id)
            return cfg->symbols[i].contract;
    return NULL;
}

//  Activity after the roll time moves to the next month.
static double
s_activity(const book_t *b, int64_t now)
{
    return b->sym.roll_ns && now >= b->sym.roll_ns ? b->sym.activity_after : b->sym.activity;
}

static double
s_trade_rate(const book_t *b, int64_t now)
{
    return (b->regime == REGIME_NEUTRAL ? 4.0 : 12.0) * s_activity(b, now);
}

static void
s_new_regime(sim_market_t *self, book_t *b, int64_t now)
{
    if (b->regime != REGIME_NEUTRAL) {
        b->regime = REGIME_NEUTRAL;
        b->regime_end = now + s_range(self, 60, 150) * OFTS_NS_PER_SEC;
    }
    else {
        b->regime = s_uniform(self) < 0.5 ? REGIME_BUY : REGIME_SELL;
        b->regime_end = now + s_range(self, 50, 110) * OFTS_NS_PER_SEC;
    }
    //  About a third of the one-sided stretches meet a large passive
    //  counterparty (absorption): the same imbalance, but the orders no
    //  longer clear levels, and the price barely moves.
    b->absorbed = b->regime != REGIME_NEUTRAL && s_uniform(self) < 0.35;
}

//  Size of a newly placed level: the side the flow eats arrives thin.
static uint32_t
s_level_size(sim_market_t *self, const book_t *b, bool bid)
{
    bool pressured = (b->regime == REGIME_BUY && !bid) || (b->regime == REGIME_SELL && bid);
    bool supported = (b->regime == REGIME_BUY && bid) || (b->regime == REGIME_SELL && !bid);
    if (pressured)
        return b->absorbed ? (uint32_t) s_range(self, 20, 50) : (uint32_t) s_range(self, 3, 12);
    if (supported)
        return (uint32_t) s_range(self, 12, 40);
    return (uint32_t) s_range(self, 5, 25);
}

sim_market_t *
sim_market_new(const sim_config_t *cfg)
{
    sim_market_t *self = calloc(1, sizeof *self);
    self->cfg = *cfg;
    self->rng = cfg->seed ? cfg->seed : 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < cfg->nsymbols; i++) {
        book_t *b = &self->books[i];
        b->sym = cfg->symbols[i];
        const ofts_instrument_t *in = ofts_instrument_find(b->sym.root);
        b->tick = in ? in->tick : 1000000;
        b->bid_idx = b->sym.start_price / b->tick;
        b->ask_idx = b->bid_idx + 1;
        for (int l = 0; l < LEVELS; l++) {
            b->bid_sz[l] = s_level_size(self, b, true);
            b->ask_sz[l] = s_level_size(self, b, false);
        }
        b->regime = REGIME_NEUTRAL;
        b->regime_end = cfg->start_ns + s_range(self, 20, 90) * OFTS_NS_PER_SEC;
        b->next_trade = cfg->start_ns + s_exp_ns(self, s_trade_rate(b, cfg->start_ns));
        b->next_book = cfg->start_ns + s_exp_ns(self, 20.0);
    }
    return self;
}

void
sim_market_destroy(sim_market_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

static void
s_header(dbn_record_t *rec, const book_t *b, uint8_t rtype, int64_t ts)
{
    memset(rec, 0, sizeof *rec);
    rec->rtype = rtype;
    rec->publisher_id = 1;              //  GLBX.MDP3
    rec->instrument_id = b->sym.instrument_id;
    rec->ts_event = (uint64_t) ts;
    rec->ts_out = DBN_UNDEF_TIMESTAMP;
    rec->kind = DBN_KIND_MBP;
    rec->mbp.ts_recv = (uint64_t) ts + 40000;   //  40 us from matching engine to capture
    rec->mbp.ts_in_delta = 15000;
}

static void
s_emit_book(sim_market_t *self, book_t *b, int64_t ts, char action, char side, int64_t price, uint32_t size,
            sim_emit_fn *fn, void *arg)
{
    (void) self;
    dbn_record_t rec;
    s_header(&rec, b, DBN_RTYPE_MBP10, ts);
    rec.mbp.price = price;
    rec.mbp.size = size;
    rec.mbp.action = action;
    rec.mbp.side = side;
    rec.mbp.flags = DBN_F_LAST;
    rec.mbp.sequence = ++b->sequence;
    rec.mbp.level_count = LEVELS;
    for (int l = 0; l < LEVELS; l++) {
        rec.mbp.levels[l].bid_px = (b->bid_idx - l) * b->tick;
        rec.mbp.levels[l].ask_px = (b->ask_idx + l) * b->tick;
        rec.mbp.levels[l].bid_sz = b->bid_sz[l];
        rec.mbp.levels[l].ask_sz = b->ask_sz[l];
        rec.mbp.levels[l].bid_ct = b->bid_sz[l] / 4 + 1;
        rec.mbp.levels[l].ask_ct = b->ask_sz[l] / 4 + 1;
    }
    fn(arg, &rec);
}

//  Remove the best level of a side; the book shifts and a new level
//  appears at the back.
static void
s_pop_level(sim_market_t *self, book_t *b, bool bid)
{
    uint32_t *sz = bid ? b->bid_sz : b->ask_sz;
    memmove(sz, sz + 1, (LEVELS - 1) * sizeof *sz);
    sz[LEVELS - 1] = s_level_size(self, b, bid);
    if (bid)
        b->bid_idx--;
    else
        b->ask_idx++;
}

//  One print of an aggressor order: a trades record (rtype 0).
static void
s_print(book_t *b, int64_t ts, int64_t price, uint32_t size, bool buy, bool last,
        sim_emit_fn *fn, void *arg)
{
    dbn_record_t rec;
    s_header(&rec, b, DBN_RTYPE_MBP0, ts);
    rec.mbp.price = price;
    rec.mbp.size = size;
    rec.mbp.action = 'T';
    rec.mbp.side = buy ? 'B' : 'A';
    rec.mbp.flags = last ? DBN_F_LAST : 0;
    rec.mbp.sequence = ++b->sequence;
    fn(arg, &rec);
}

//  One aggressor order. A size larger than the best level sweeps: it
//  clears the level and goes on at the next price, as a CME match event
//  does, so one order prints once per price level, every print with the
//  same ts_event and side, F_LAST on the last (spec/databento.md §11).
//  At most three levels, then the rest is dropped (an IOC order's
//  remainder). Returns the records written.
static uint64_t
s_trade(sim_market_t *self, book_t *b, int64_t ts, sim_emit_fn *fn, void *arg)
{
    double p_buy = b->regime == REGIME_BUY ? 0.82 : b->regime == REGIME_SELL ? 0.18 : 0.5;
    bool buy = s_uniform(self) < p_buy;
    uint32_t want = s_uniform(self) < 0.01 ? (uint32_t) s_range(self, 25, 60)
                                           : (uint32_t) (1 + (s_rand(self) % 4) + (s_rand(self) % 5));
    uint64_t records = 0;
    char action = 'M';
    int64_t price = 0;
    uint32_t *level = buy ? &b->ask_sz[0] : &b->bid_sz[0];
    //  An absorbing seller (buyer) is an iceberg: it shows the same size
    //  again after each fill, so the level never empties.
    bool refill = b->absorbed && buy == (b->regime == REGIME_BUY);
    for (int swept = 0; want > 0 && swept < 3; swept++) {
        uint32_t size = want < *level ? want : *level;
        want -= size;
        price = (buy ? b->ask_idx : b->bid_idx) * b->tick;
        bool last = want == 0 || swept == 2 || refill;
        s_print(b, ts, price, size, buy, last, fn, arg);
        records++;
        if (!refill)
            *level -= size;
        if (*level == 0) {
            s_pop_level(self, b, !buy);
            action = 'C';
        }
        if (last)
            break;
    }
    s_emit_book(self, b, ts, action, buy ? 'A' : 'B', price, *level, fn, arg);
    return records + 1;
}

//  A limit order arrives or leaves. A spread wider than one tick is closed
//  first, from the side the flow favours.
static void
s_book_event(sim_market_t *self, book_t *b, int64_t ts, sim_emit_fn *fn, void *arg)
{
    if (b->ask_idx - b->bid_idx > 1) {
        bool bid = b->regime == REGIME_BUY || (b->regime == REGIME_NEUTRAL && s_uniform(self) < 0.5);
        uint32_t *sz = bid ? b->bid_sz : b->ask_sz;
        memmove(sz + 1, sz, (LEVELS - 1) * sizeof *sz);
        sz[0] = s_level_size(self, b, bid);
        if (bid)
            b->bid_idx++;
        else
            b->ask_idx--;
        s_emit_book(self, b, ts, 'A', bid ? 'B' : 'A', (bid ? b->bid_idx : b->ask_idx) * b->tick, sz[0], fn, arg);
        return;
    }
    bool bid = s_uniform(self) < 0.5;
    int l = (int) (s_rand(self) % LEVELS);
    uint32_t *sz = bid ? &b->bid_sz[l] : &b->ask_sz[l];
    bool add = s_uniform(self) < 0.55 || *sz <= 2;
    uint32_t delta = (uint32_t) s_range(self, 1, 6);
    if (add)
        *sz += delta;
    else
        *sz -= delta < *sz ? delta : *sz - 1;
    //  The side the flow leans on keeps more resting size.
    if (b->regime != REGIME_NEUTRAL && add && ((b->regime == REGIME_BUY) == bid))
        *sz += delta;
    int64_t price = (bid ? b->bid_idx - l : b->ask_idx + l) * b->tick;
    s_emit_book(self, b, ts, add ? 'A' : 'C', bid ? 'B' : 'A', price, *sz, fn, arg);
}

uint64_t
sim_market_run(sim_market_t *self, sim_emit_fn *fn, void *arg)
{
    uint64_t count = 0;
    int64_t end = self->cfg.start_ns + self->cfg.duration_ns;
    while (true) {
        //  The earliest next event over all symbols keeps the file in time order.
        book_t *next = NULL;
        int64_t when = INT64_MAX;
        int what = 0;
        for (int i = 0; i < self->cfg.nsymbols; i++) {
            book_t *b = &self->books[i];
            int64_t t[3] = { b->regime_end, b->next_trade, b->next_book };
            for (int k = 0; k < 3; k++)
                if (t[k] < when) {
                    when = t[k];
                    next = b;
                    what = k;
                }
        }
        if (!next || when >= end)
            break;
        if (what == 0)
            s_new_regime(self, next, when);
        else if (what == 1) {
            count += s_trade(self, next, when, fn, arg);
            next->next_trade = when + s_exp_ns(self, s_trade_rate(next, when));
        }
        else {
            s_book_event(self, next, when, fn, arg);
            count++;
            next->next_book = when + s_exp_ns(self, 20.0 * s_activity(next, when));
        }
    }
    return count;
}
