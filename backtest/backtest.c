#include "backtest.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "of_engine.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include "ofts_msg.h"
#include "order_manager.h"
#include "risk_engine.h"

#define SAMPLE_NS (5 * OFTS_NS_PER_SEC)
#define MAX_OPEN 16
#define MAX_MARKETS 4096

//  Where one market (a caller's key: one symbol/contract) lives in each
//  core, found on its first event and reused for every later one: the
//  per-event path of a sweep then does no lookup by name.
typedef struct {
    bool has_quote, has_series;
    int quote;                      //  paper broker quote slot
    bt_series_t *series;            //  NULL: no room (stays so)
    risk_market_memo_t risk;
    om_mark_memo_t mark;
} market_t;

typedef struct {
    char symbol[16];
    char contract[32];
    int32_t position;
    int64_t entry_px, entry_ts;
    uint32_t quantity;
    int64_t fees_cents;             //  of the fills so far
    int64_t low_px, high_px;        //  traded range while held (MAE / MFE)
    char reasons[256];
    char signal_id[64];
    int64_t stop_px, target_px;
    double confidence;
    char pending_reasons[256];      //  from the last approved order
    char pending_signal[64];
    int64_t pending_stop, pending_target;
    double pending_confidence;
} open_t;

struct _backtest_t {
    //  What every event reads comes first, together: a sweep runs many
    //  backtests side by side, and this way one event costs each a line
    //  or two of cache, not one per field.
    of_engine_t *analyzer;
    risk_engine_t *risk;
    paper_broker_t *paper;
    order_manager_t *orders;
    int64_t now;
    int64_t next_heartbeat;
    int64_t day_end;                //  the current session's earliest possible end
    uint64_t events, signals;
    market_t *markets;              //  by key (backtest_on_md_key)
    size_t nmarkets;
    size_t nqueued;
    uint64_t changes;               //  gateway-order published, or risk asked it something
    int64_t tick_now;               //  market time of the last order_manager_tick ...
    uint64_t tick_changes;          //  ... and `changes` before it
    int held;                       //  positions open now (MAE / MFE tracking)
    bool driven;                    //  no analyzer, no chart data (sweep)
    bool approved_now;              //  risk approved the signal being handled
    paper_config_t pcfg;
    int64_t *days;                  //  session opens seen
    size_t ndays, cap_days;
    bt_trade_t *trades;
    size_t ntrades, cap_trades;
    bt_series_t series[BT_MAX_SYMBOLS];
    size_t nseries;
    bt_point_t *equity;
    size_t nequity, cap_equity;
    int64_t realized;
    open_t open[MAX_OPEN];
    size_t nopen;
    int64_t halted_ts;              //  first HALTED, market time (0: never)
    char halted_reason[160];
    //  Approvals wait here until market time moves past the event that
    //  caused them (see s_place_queued).
    struct {
        uint8_t *bytes;
        size_t len;
    } queued[MAX_OPEN];
};

#define PUSH(arr, n, cap, item) do { \
        if ((n) == (cap)) { (cap) = (cap) ? (cap) * 2 : 256; (arr) = realloc((arr), (cap) * sizeof *(arr)); } \
        (arr)[(n)++] = (item); } while (0)

static bt_series_t *
s_series(backtest_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->nseries; i++)
        if (ofts_same_name(self->series[i].symbol, symbol))
            return &self->series[i];
    if (self->nseries == BT_MAX_SYMBOLS)
        return NULL;
    bt_series_t *s = &self->series[self->nseries++];
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "%s", symbol);
    return s;
}

static open_t *
s_open(backtest_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->nopen; i++)
        if (strcmp(self->open[i].symbol, symbol) == 0)
            return &self->open[i];
    if (self->nopen == MAX_OPEN)
        return NULL;
    open_t *o = &self->open[self->nopen++];
    memset(o, 0, sizeof *o);
    snprintf(o->symbol, sizeof o->symbol, "%s", symbol);
    return o;
}

static void
s_mark(backtest_t *self, const char *symbol, char kind, int direction, int64_t price)
{
    if (self->driven)
        return;
    bt_series_t *s = s_series(self, symbol);
    if (s) {
        bt_mark_t m = { self->now, direction, price, kind };
        PUSH(s->marks, s->nmarks, s->cap_marks, m);
    }
}

//  --- wiring: analyzer -> risk -> orders -> (fills) -> risk ---------------

void
backtest_on_signal(backtest_t *self, const Ofts__Signal *sig, int64_t ts_event)
{
    self->signals++;
    //  Risk answers at once (an order, or a reject): the chart tells the two apart.
    self->approved_now = false;
    risk_engine_on_signal(self->risk, sig, ts_event);
    s_mark(self, sig->symbol, self->approved_now ? 'A' : 'R', sig->direction == OFTS__SIDE__SIDE_BUY ? 1 : -1,
           sig->entry);
}

static void
s_on_signal(void *arg, const Ofts__Signal *sig, int64_t ts_event)
{
    backtest_on_signal(arg, sig, ts_event);
}

static void
s_on_order(void *arg, const Ofts__OrderRequest *req)
{
    backtest_t *self = arg;
    self->changes++;
    open_t *o = s_open(self, req->symbol);
    if (o && !req->reduce_only) {
        snprintf(o->pending_reasons, sizeof o->pending_reasons, "%s", req->reasons);
        snprintf(o->pending_signal, sizeof o->pending_signal, "%s", req->signal_id);
        o->pending_stop = req->stop;
        o->pending_target = req->take_profit;
        o->pending_confidence = req->confidence;
        self->approved_now = true;
    }
    //  Not placed yet: the md event that caused the signal may be followed
    //  by others with the same ts_event (a trade, then the book it left),
    //  and a real order - or the live service path, where the approval
    //  reaches gateway-order after it has read them - can only meet the
    //  book after all of them. req is borrowed: keep it packed.
    if (self->nqueued == MAX_OPEN) {
        order_manager_on_request(self->orders, req, self->now);
        return;
    }
    size_t len = ofts__order_request__get_packed_size(req);
    uint8_t *bytes = malloc(len ? len : 1);
    ofts__order_request__pack(req, bytes);
    self->queued[self->nqueued].bytes = bytes;
    self->queued[self->nqueued].len = len;
    self->nqueued++;
}

//  Place the queued approvals at the current market time (the time of the
//  event that caused them), before the broker sees a newer event.
static void
s_place_queued(backtest_t *self)
{
    for (size_t i = 0; i < self->nqueued; i++) {
        Ofts__OrderRequest *req = ofts__order_request__unpack(NULL, self->queued[i].len, self->queued[i].bytes);
        if (req) {
            order_manager_on_request(self->orders, req, self->now);
            ofts__order_request__free_unpacked(req, NULL);
        }
        free(self->queued[i].bytes);
    }
    self->nqueued = 0;
}

static void
s_on_command(void *arg, const Ofts__Command *cmd)
{
    backtest_t *self = arg;
    self->changes++;
    order_manager_on_command(self->orders, cmd, self->now);
}


//  The traded range while a position is held: its worst and best prices.
static void
s_extend(open_t *o, int64_t price)
{
    if (price < o->low_px)
        o->low_px = price;
    if (price > o->high_px)
        o->high_px = price;
}

static void
s_trade_extras(const open_t *o, const ofts_instrument_t *in, bt_trade_t *t)
{
    snprintf(t->contract, sizeof t->contract, "%s", o->contract);
    t->stop_px = o->stop_px;
    t->target_px = o->target_px;
    t->confidence = o->confidence;
    int32_t pos = t->direction * (int32_t) t->quantity;
    int64_t a = ofts_instrument_pnl_cents(in, o->entry_px, o->low_px, pos);
    int64_t b = ofts_instrument_pnl_cents(in, o->entry_px, o->high_px, pos);
    t->mae_cents = a < b ? a : b;
    t->mfe_cents = a < b ? b : a;
    if (t->mae_cents > 0)
        t->mae_cents = 0;
    if (t->mfe_cents < 0)
        t->mfe_cents = 0;
}

//  Every trade print of a held contract widens its range.
static void
s_track_held(backtest_t *self, const Ofts__Trade *tr)
{
    for (size_t i = 0; i < self->nopen; i++) {
        open_t *o = &self->open[i];
        if (o->position && tr->contract && ofts_same_name(o->contract, tr->contract))
            s_extend(o, tr->price);
    }
}

//  Round trips from fills: a fill that takes the position away from zero
//  opens one, a fill that brings it back closes it.
static void
s_on_fill(backtest_t *self, const Ofts__Fill *f)
{
    open_t *o = s_open(self, f->symbol);
    if (!o)
        return;
    int dir = f->side == OFTS__SIDE__SIDE_BUY ? 1 : -1;
    int32_t before = o->position;
    o->position += dir * (int32_t) f->quantity;
    const ofts_instrument_t *in = ofts_instrument_for_contract(f->contract);
    if (!in)
        in = ofts_instrument_find(f->symbol);
    if (before == 0)
        o->fees_cents = 0;
    o->fees_cents += f->fees_cents;
    if (before == 0) {
        o->entry_px = f->price;
        o->entry_ts = self->now;
        o->quantity = f->quantity;
        o->low_px = o->high_px = f->price;
        snprintf(o->contract, sizeof o->contract, "%s", f->contract ? f->contract : "");
        snprintf(o->reasons, sizeof o->reasons, "%s", o->pending_reasons);
        snprintf(o->signal_id, sizeof o->signal_id, "%s", o->pending_signal);
        o->stop_px = o->pending_stop;
        o->target_px = o->pending_target;
        o->confidence = o->pending_confidence;
        self->held++;
        s_mark(self, f->symbol, 'E', dir, f->price);
        return;
    }
    s_mark(self, f->symbol, 'X', dir, f->price);
    if (o->position == 0)
        self->held--;
    if (o->position != 0 || !in)
        return;                     //  partial exits are not produced by the paper broker
    s_extend(o, f->price);
    bt_trade_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.symbol, sizeof t.symbol, "%s", f->symbol);
    t.direction = before > 0 ? 1 : -1;
    t.quantity = o->quantity;
    t.entry_ts = o->entry_ts;
    t.exit_ts = self->now;
    t.entry_px = o->entry_px;
    t.exit_px = f->price;
    t.fees_cents = o->fees_cents;
    t.pnl_cents = ofts_instrument_pnl_cents(in, o->entry_px, f->price, before) - t.fees_cents;
    snprintf(t.exit_role, sizeof t.exit_role, "%s", ofts_msg_role_name(f->role));
    snprintf(t.reasons, sizeof t.reasons, "%s", o->reasons);
    snprintf(t.signal_id, sizeof t.signal_id, "%s", o->signal_id);
    s_trade_extras(o, in, &t);
    PUSH(self->trades, self->ntrades, self->cap_trades, t);
    self->realized += t.pnl_cents;
    bt_point_t p = { self->now, self->realized };
    PUSH(self->equity, self->nequity, self->cap_equity, p);
}

static void
s_on_exec(void *arg, const char *topic, Ofts__Envelope *env)
{
    (void) topic;
    backtest_t *self = arg;
    self->changes++;
    if (env->body_case == OFTS__ENVELOPE__BODY_FILL)
        s_on_fill(self, env->fill);
    risk_engine_on_envelope(self->risk, env, self->now);
}

static void
s_on_account(void *arg, const Ofts__AccountState *acct)
{
    backtest_t *self = arg;
    if (acct->state == OFTS__TRADING_STATE__STATE_HALTED && !self->halted_ts) {
        self->halted_ts = self->now;
        snprintf(self->halted_reason, sizeof self->halted_reason, "%s", acct->state_reason ? acct->state_reason : "");
    }
}

bool
backtest_first_halt(backtest_t *self, int64_t *ts, const char **reason)
{
    *ts = self->halted_ts;
    *reason = self->halted_reason;
    return self->halted_ts != 0;
}

backtest_t *
backtest_new(of_config_t *acfg, const risk_config_t *rcfg, const paper_config_t *pcfg)
{
    backtest_t *self = backtest_new_driven(rcfg, pcfg);
    self->driven = false;
    self->analyzer = of_engine_new(acfg);
    of_engine_set_signal_fn(self->analyzer, s_on_signal, self);
    return self;
}

backtest_t *
backtest_new_driven(const risk_config_t *rcfg, const paper_config_t *pcfg)
{
    backtest_t *self = calloc(1, sizeof *self);
    self->driven = true;
    self->tick_now = INT64_MIN;
    self->pcfg = *pcfg;
    risk_config_t rc = *rcfg;
    rc.require_reconcile = false;       //  nothing to reconcile with: one process
    rc.journal[0] = '\0';
    risk_engine_callbacks_t cb = { .order = s_on_order, .account = s_on_account, .command = s_on_command };
    self->risk = risk_engine_new(&rc, &cb, self);
    self->paper = paper_broker_new(pcfg, NULL);
    order_manager_config_t ocfg;
    order_manager_config_defaults(&ocfg);
    ocfg.reconcile_ms = 0;
    self->orders = order_manager_new(paper_broker_broker(self->paper), NULL, &ocfg);
    order_manager_set_publisher(self->orders, s_on_exec, self);
    return self;
}

void
backtest_destroy(backtest_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    backtest_t *self = *self_p;
    for (size_t i = 0; i < self->nqueued; i++)
        free(self->queued[i].bytes);
    order_manager_destroy(&self->orders);
    paper_broker_destroy(&self->paper);
    risk_engine_destroy(&self->risk);
    of_engine_destroy(&self->analyzer);
    for (size_t i = 0; i < self->nseries; i++) {
        free(self->series[i].prices);
        free(self->series[i].deltas);
        free(self->series[i].marks);
    }
    free(self->trades);
    free(self->equity);
    free(self->days);
    free(self->markets);
    free(self);
    *self_p = NULL;
}

//  Price and cumulative delta, sampled every 5 s of market time for the chart.
static void
s_sample(backtest_t *self, bt_series_t *s, const Ofts__Trade *tr)
{
    if (!s)
        return;
    //  The open moves only at the next 17:00 CT, at least 23 h later (DST
    //  days are 23 or 25 h) and market time never goes back here: the CT
    //  calendar is worked out once a session, not for every trade (it was
    //  a tenth of the backtest's time).
    if (s->session_open == 0 || self->now - s->session_open >= 23 * 3600 * OFTS_NS_PER_SEC) {
        int64_t open = ofts_session_open_ns(self->now);
        if (open != s->session_open) {
            s->session_open = open;
            s->cum_delta = 0;
        }
    }
    if (tr->aggressor == OFTS__SIDE__SIDE_BUY)
        s->cum_delta += tr->size;
    else if (tr->aggressor == OFTS__SIDE__SIDE_SELL)
        s->cum_delta -= tr->size;
    s->last_price = tr->price;
    if (!self->driven && self->now - s->last_sample >= SAMPLE_NS) {
        s->last_sample = self->now;
        bt_point_t p = { self->now, tr->price }, d = { self->now, s->cum_delta };
        PUSH(s->prices, s->nprices, s->cap_prices, p);
        PUSH(s->deltas, s->ndeltas, s->cap_deltas, d);
    }
}

//  Market time reached the earliest end of the session: note the session
//  it is in now (the CT calendar once a session, not once an event).
static void
s_new_day(backtest_t *self)
{
    int64_t open = ofts_session_open_ns(self->now);
    if (self->ndays == 0 || open != self->days[self->ndays - 1])
        PUSH(self->days, self->ndays, self->cap_days, open);
    //  Sessions last 23 to 25 h (DST): look again 23 h after this open.
    self->day_end = open + 23 * 3600 * OFTS_NS_PER_SEC;
}

//  mk: the event's market when the caller keys its markets, else NULL (by name).
static void
s_on_md(backtest_t *self, Ofts__Envelope *env, market_t *mk)
{
    int64_t ts = env->header ? env->header->ts_event : 0;
    if (self->nqueued && ts > self->now)
        s_place_queued(self);
    if (ts > self->now)
        self->now = ts;
    self->events++;
    if (self->now >= self->day_end)
        s_new_day(self);
    //  gateway-md is "alive" as long as data flows: the stale-data guard
    //  sees market time only.
    if (self->now >= self->next_heartbeat) {
        Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
        hb.service = "gateway-md";
        risk_engine_on_heartbeat(self->risk, &hb, self->now);
        risk_engine_tick(self->risk, self->now);
        self->next_heartbeat = self->now + 100 * OFTS_NS_PER_MS;
    }
    //  The broker sees the market first; an order approved on this event's
    //  signal is placed when market time moves on (s_on_order), so it fills
    //  on the book after every event of this ts_event, never on the one
    //  that caused it.
    //  Its own event time, not the backtest's monotone clock: the paper
    //  broker applies one rule to out-of-order md, live and here.
    if (!mk)
        paper_broker_on_md(self->paper, env, ts ? ts : self->now);
    else if (env->body_case == OFTS__ENVELOPE__BODY_TRADE || env->body_case == OFTS__ENVELOPE__BODY_BBO) {
        if (!mk->has_quote) {           //  made when by name it would be: at its first trade or bbo
            const char *symbol = env->body_case == OFTS__ENVELOPE__BODY_TRADE ? env->trade->symbol : env->bbo->symbol;
            const char *contract = env->body_case == OFTS__ENVELOPE__BODY_TRADE ? env->trade->contract
                                                                                 : env->bbo->contract;
            mk->quote = paper_broker_quote_slot(self->paper, symbol, contract);
            mk->has_quote = true;
        }
        paper_broker_on_md_at(self->paper, mk->quote, env, ts ? ts : self->now);
    }
    if (env->body_case == OFTS__ENVELOPE__BODY_TRADE) {
        const Ofts__Trade *tr = env->trade;
        if (mk && !mk->has_series) {
            mk->series = s_series(self, tr->symbol);
            mk->has_series = true;
        }
        s_sample(self, mk ? mk->series : s_series(self, tr->symbol), tr);
        if (self->held)
            s_track_held(self, tr);
        if (mk)
            order_manager_mark_memo(self->orders, &mk->mark, tr->symbol, tr->contract, tr->price);
        else
            order_manager_mark(self->orders, tr->symbol, tr->contract, tr->price);
        if (mk)
            risk_engine_on_trade_memo(self->risk, &mk->risk, tr, self->now);
        else
            risk_engine_on_trade(self->risk, tr, self->now);
    }
    else if (env->body_case == OFTS__ENVELOPE__BODY_BBO) {
        if (mk)
            risk_engine_on_bbo_memo(self->risk, &mk->risk, env->bbo, self->now);
        else
            risk_engine_on_bbo(self->risk, env->bbo, self->now);
    }
    //  A tick at the market time of the last one, with nothing published
    //  or asked since, finds what that one found and does nothing (no
    //  order, position or time moved; the paper broker polls nothing):
    //  skipped. A trade and the book it left share their time.
    if (self->now != self->tick_now || self->changes != self->tick_changes) {
        self->tick_now = self->now;
        self->tick_changes = self->changes;
        order_manager_tick(self->orders, self->now);
    }
    if (self->analyzer)
        of_engine_envelope(self->analyzer, env);
}

void
backtest_on_md(backtest_t *self, const char *topic, Ofts__Envelope *env)
{
    (void) topic;
    s_on_md(self, env, NULL);
}

void
backtest_on_md_key(backtest_t *self, Ofts__Envelope *env, size_t key)
{
    if (key >= MAX_MARKETS) {
        s_on_md(self, env, NULL);
        return;
    }
    if (key >= self->nmarkets) {
        size_t n = self->nmarkets ? self->nmarkets : 16;
        while (n <= key)
            n *= 2;
        self->markets = realloc(self->markets, n * sizeof *self->markets);
        memset(self->markets + self->nmarkets, 0, (n - self->nmarkets) * sizeof *self->markets);
        self->nmarkets = n;
    }
    s_on_md(self, env, &self->markets[key]);
}

void
backtest_finish(backtest_t *self)
{
    s_place_queued(self);
    risk_engine_tick(self->risk, self->now);
    order_manager_tick(self->orders, self->now);
}

size_t backtest_trades(backtest_t *self, const bt_trade_t **t) { *t = self->trades; return self->ntrades; }
size_t backtest_series(backtest_t *self, const bt_series_t **s) { *s = self->series; return self->nseries; }
size_t backtest_equity(backtest_t *self, const bt_point_t **p) { *p = self->equity; return self->nequity; }
uint64_t backtest_events(backtest_t *self) { return self->events; }
uint64_t backtest_signals(backtest_t *self) { return self->signals; }
uint64_t backtest_approved(backtest_t *self) { return risk_engine_approved(self->risk); }
uint64_t backtest_rejected(backtest_t *self) { return risk_engine_rejected(self->risk); }

int32_t
backtest_open_position(backtest_t *self, const char *symbol)
{
    return paper_broker_position(self->paper, symbol);
}

int64_t
backtest_open_pnl_cents(backtest_t *self)
{
    int64_t total = 0;
    for (size_t i = 0; i < self->nopen; i++) {
        open_t *o = &self->open[i];
        bt_series_t *s = s_series(self, o->symbol);
        const ofts_instrument_t *in = ofts_instrument_find(o->symbol);
        if (o->position && s && in)
            total += ofts_instrument_pnl_cents(in, o->entry_px, s->last_price, o->position);
    }
    return total;
}

size_t backtest_days(backtest_t *self, const int64_t **opens) { *opens = self->days; return self->ndays; }

bt_trade_t *
backtest_open_trades(backtest_t *self, size_t *n)
{
    bt_trade_t *out = calloc(self->nopen ? self->nopen : 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; i < self->nopen; i++) {
        open_t *o = &self->open[i];
        bt_series_t *s = s_series(self, o->symbol);
        const ofts_instrument_t *in = ofts_instrument_find(o->symbol);
        if (!o->position || !s || !in)
            continue;
        bt_trade_t *t = &out[(*n)++];
        snprintf(t->symbol, sizeof t->symbol, "%s", o->symbol);
        t->direction = o->position > 0 ? 1 : -1;
        t->quantity = (uint32_t) (o->position > 0 ? o->position : -o->position);
        t->entry_ts = o->entry_ts;
        t->entry_px = o->entry_px;
        t->exit_px = s->last_price;
        t->fees_cents = o->fees_cents;
        t->pnl_cents = ofts_instrument_pnl_cents(in, o->entry_px, s->last_price, o->position) - o->fees_cents;
        snprintf(t->exit_role, sizeof t->exit_role, "OPEN");
        snprintf(t->reasons, sizeof t->reasons, "%s", o->reasons);
        snprintf(t->signal_id, sizeof t->signal_id, "%s", o->signal_id);
        s_trade_extras(o, in, t);
    }
    return out;
}
