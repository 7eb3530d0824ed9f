/*  web_agg - see web_agg.h. Every collection is a fixed ring numbered by a
    running sequence: an update sends the items whose number is at or after
    the one that was open at the previous update (it may have grown since),
    so the memory and the size of every message are bounded whatever the
    feed does.                                                              */
#include "web_agg.h"
#include <stdlib.h>
#include <string.h>
#include "ofts_instrument.h"

#define WA_CONTRACTS 8
#define WA_BARS 40                  //  footprint bars kept per contract
#define WA_CELLS 96                 //  distinct prices per bar
#define WA_COLS 600                 //  heatmap columns kept per contract
#define WA_LEVELS 20                //  10 bid + 10 ask
#define WA_TRADES 600               //  trade groups kept per contract
#define WA_GROUPS 128               //  distinct (price, side) groups per push
#define WA_GROUP_SLOTS 256          //  their hash (open addressing, at most half full)
#define WA_SIGNALS 30
#define WA_ORDERS 24
#define WA_FILLS 30
#define WA_ROOTS 16
#define WA_GAPS 16

typedef struct {
    int64_t px;
    uint32_t bid, ask;              //  volume that hit the bid / lifted the ask
} wa_cell_t;

typedef struct {
    uint64_t seq;
    int64_t t0;
    int64_t open, high, low, close;
    int64_t delta, cum_delta, vwap;
    uint64_t volume;
    int ncells;
    wa_cell_t cells[WA_CELLS];
} wa_bar_t;

typedef struct {
    uint64_t seq;
    int64_t t0;
    int n;
    int64_t px[WA_LEVELS];
    uint32_t sz[WA_LEVELS];
    uint8_t bid[WA_LEVELS];         //  1 = resting bid, 0 = resting ask
} wa_col_t;

typedef struct {
    uint64_t seq;
    int64_t t;
    int64_t px;
    uint32_t size;
    int side;                       //  1 buy aggressor, 2 sell, 0 unknown
} wa_trade_t;

typedef struct {
    char contract[24];
    char root[8];
    wa_bar_t bars[WA_BARS];
    uint64_t nbars, bars_pushed;    //  bars_pushed: first bar the next update sends
    wa_col_t cols[WA_COLS];
    uint64_t ncols, cols_pushed;
    bool has_depth;
    wa_trade_t trades[WA_TRADES];
    uint64_t ntrades, trades_pushed;
    //  The groups of this push by (price, side): 0 empty, else 1 + the
    //  group's number after trades_pushed. A trade finds its group in one
    //  or two probes (it scanned up to 128 groups: an accelerated replay
    //  fills them all between two pushes).
    uint8_t group_of[WA_GROUP_SLOTS];
    int64_t cum_delta;
    double pv, vol;                 //  session VWAP sums (price in points)
    bool dirty;
    //  latest metrics
    bool has_metrics;
    Ofts__Metrics m;
} wa_contract_t;

typedef struct {
    char id[64], symbol[16], contract[24], reasons[512], status[16], reject[256];
    int side;
    int64_t t, entry, stop, target;
    double confidence;
} wa_signal_t;

typedef struct {
    char id[64], symbol[16], contract[24], text[128];
    int role, side, status, type;
    uint32_t qty, filled;
    int64_t price, avg, stop, target;
    int64_t t;
} wa_order_t;

typedef struct {
    char id[64], order[64], symbol[16], contract[24];
    int role, side;
    int64_t price, t;
    uint32_t qty;
} wa_fill_t;

typedef struct {
    char symbol[16], contract[24], entry_order[64];
    char account[48];                   //  several accounts: one row per account
    int32_t qty;
    int64_t avg, realized, unrealized;
    bool protected_;
} wa_position_t;

//  One of risk's accounts (risk.account., account_id), several accounts.
#define WA_ACCOUNTS 8
typedef struct {
    char id[48];
    int64_t balance, realized, unrealized, floor, daily_limit;
    int state;
    char reason[128];
} wa_account_t;

struct _web_agg_t {
    web_agg_config_t cfg;
    wa_contract_t *contracts[WA_CONTRACTS];
    int ncontracts;
    wa_signal_t signals[WA_SIGNALS];
    uint64_t nsignals;
    wa_order_t orders[WA_ORDERS];
    uint64_t norders;
    wa_fill_t fills[WA_FILLS];
    uint64_t nfills;
    wa_position_t positions[WA_CONTRACTS];
    int npositions;
    bool has_account;
    int64_t balance, realized, unrealized, peak, floor;
    int state;
    char state_reason[256], account_id[64];
    uint32_t open_positions, open_contracts;
    wa_account_t accounts[WA_ACCOUNTS];
    int naccounts;
    struct { char root[8]; web_thresholds_t t; } thresholds[WA_ROOTS];
    int nthresholds;
    struct { char source[48]; uint64_t missing, events; } gaps[WA_GAPS];
    int ngaps;
    health_t *health;
    uint64_t seq;
    bool dirty;
    int64_t last_event_ns;
};

web_agg_t *
web_agg_new(const web_agg_config_t *config)
{
    web_agg_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *config;
    if (self->cfg.bar_ns <= 0)
        self->cfg.bar_ns = 60LL * 1000000000LL;
    if (self->cfg.column_ns <= 0)
        self->cfg.column_ns = 1000000000LL;
    return self;
}

void
web_agg_destroy(web_agg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    web_agg_t *self = *self_p;
    for (int i = 0; i < self->ncontracts; i++)
        free(self->contracts[i]);
    free(self);
    *self_p = NULL;
}

void
web_agg_set_thresholds(web_agg_t *self, const char *root, const web_thresholds_t *t)
{
    if (self->nthresholds == WA_ROOTS)
        return;
    snprintf(self->thresholds[self->nthresholds].root, sizeof self->thresholds[0].root, "%s", root);
    self->thresholds[self->nthresholds++].t = *t;
}

void
web_agg_set_daily_loss(web_agg_t *self, int64_t cents)
{
    self->cfg.daily_loss_cents = cents;
}

void
web_agg_set_health(web_agg_t *self, health_t *health)
{
    self->health = health;
}

void
web_agg_touch(web_agg_t *self)
{
    self->dirty = true;
}

uint64_t
web_agg_seq(web_agg_t *self)
{
    return self->seq;
}

static const char *
s_key(const char *contract, const char *symbol)
{
    return contract && *contract ? contract : symbol ? symbol : "";
}

static wa_contract_t *
s_contract(web_agg_t *self, const char *contract, const char *symbol)
{
    const char *key = s_key(contract, symbol);
    if (!*key)
        return NULL;
    for (int i = 0; i < self->ncontracts; i++)
        if (strcmp(self->contracts[i]->contract, key) == 0)
            return self->contracts[i];
    if (self->ncontracts == WA_CONTRACTS)
        return NULL;
    wa_contract_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->contract, sizeof c->contract, "%s", key);
    snprintf(c->root, sizeof c->root, "%s", symbol ? symbol : "");
    self->contracts[self->ncontracts++] = c;
    return c;
}

static double
s_px(int64_t price)
{
    return ofts_price_to_double(price);
}

//  The bar holding event time t (a new one when t is past the open bar).
static wa_bar_t *
s_bar(web_agg_t *self, wa_contract_t *c, int64_t t)
{
    int64_t t0 = t - t % self->cfg.bar_ns;
    if (c->nbars > 0) {
        wa_bar_t *open = &c->bars[(c->nbars - 1) % WA_BARS];
        if (t0 <= open->t0)
            return open;            //  late events count in the open bar
    }
    wa_bar_t *b = &c->bars[c->nbars % WA_BARS];
    memset(b, 0, sizeof *b);
    b->seq = c->nbars++;
    b->t0 = t0;
    b->cum_delta = c->cum_delta;
    return b;
}

static void
s_on_trade(web_agg_t *self, const Ofts__Trade *tr, int64_t t)
{
    wa_contract_t *c = s_contract(self, tr->contract, tr->symbol);
    if (!c || tr->size == 0)
        return;
    wa_bar_t *b = s_bar(self, c, t);
    if (b->volume == 0)
        b->open = b->high = b->low = tr->price;
    if (tr->price > b->high)
        b->high = tr->price;
    if (tr->price < b->low)
        b->low = tr->price;
    b->close = tr->price;
    b->volume += tr->size;
    int side = tr->aggressor == OFTS__SIDE__SIDE_BUY ? 1 : tr->aggressor == OFTS__SIDE__SIDE_SELL ? 2 : 0;
    int64_t signed_size = side == 1 ? (int64_t) tr->size : side == 2 ? -(int64_t) tr->size : 0;
    b->delta += signed_size;
    c->cum_delta += signed_size;
    b->cum_delta = c->cum_delta;
    c->pv += s_px(tr->price) * tr->size;
    c->vol += tr->size;
    b->vwap = ofts_price_from_double(c->pv / c->vol);
    int i = 0;
    while (i < b->ncells && b->cells[i].px != tr->price)
        i++;
    if (i == b->ncells && b->ncells < WA_CELLS)
        b->cells[b->ncells++].px = tr->price;
    if (i < b->ncells) {
        if (side == 1)
            b->cells[i].ask += tr->size;
        else if (side == 2)
            b->cells[i].bid += tr->size;
    }
    //  Trades since the last push are grouped by price and side: a bounded
    //  message at any feed rate, and the size still shows the volume.
    unsigned h = (unsigned) ((((uint64_t) tr->price + (uint64_t) side) * 0x9E3779B97F4A7C15ULL) >> 56);
    for (; c->group_of[h]; h = (h + 1) % WA_GROUP_SLOTS) {
        wa_trade_t *g = &c->trades[(c->trades_pushed + c->group_of[h] - 1) % WA_TRADES];
        if (g->px == tr->price && g->side == side) {
            g->size += tr->size;
            g->t = t;
            c->dirty = true;
            return;
        }
    }
    if (c->ntrades - c->trades_pushed >= WA_GROUPS)
        return;                     //  volume is in the footprint already
    c->group_of[h] = (uint8_t) (c->ntrades - c->trades_pushed + 1);
    wa_trade_t *g = &c->trades[c->ntrades % WA_TRADES];
    *g = (wa_trade_t) { .seq = c->ntrades++, .t = t, .px = tr->price, .size = tr->size, .side = side };
    c->dirty = true;
}

static wa_col_t *
s_column(web_agg_t *self, wa_contract_t *c, int64_t t)
{
    int64_t t0 = t - t % self->cfg.column_ns;
    if (c->ncols > 0) {
        wa_col_t *open = &c->cols[(c->ncols - 1) % WA_COLS];
        if (t0 <= open->t0)
            return open;
    }
    wa_col_t *col = &c->cols[c->ncols % WA_COLS];
    memset(col, 0, sizeof *col);
    col->seq = c->ncols++;
    col->t0 = t0;
    return col;
}

static void
s_col_add(wa_col_t *col, int64_t px, uint32_t sz, bool bid)
{
    if (px == INT64_MAX || px == 0 || sz == 0 || col->n == WA_LEVELS)
        return;
    col->px[col->n] = px;
    col->sz[col->n] = sz;
    col->bid[col->n++] = bid;
}

static void
s_on_depth(web_agg_t *self, const Ofts__Depth *d, int64_t t)
{
    wa_contract_t *c = s_contract(self, d->contract, d->symbol);
    if (!c)
        return;
    c->has_depth = true;
    wa_col_t *col = s_column(self, c, t);
    col->n = 0;                     //  the latest book in the column wins
    for (size_t i = 0; i < d->n_levels && i < WA_LEVELS / 2; i++) {
        s_col_add(col, d->levels[i]->bid_px, d->levels[i]->bid_sz, true);
        s_col_add(col, d->levels[i]->ask_px, d->levels[i]->ask_sz, false);
    }
    c->dirty = true;
}

static void
s_on_bbo(web_agg_t *self, const Ofts__TopOfBook *b, int64_t t)
{
    wa_contract_t *c = s_contract(self, b->contract, b->symbol);
    if (!c || c->has_depth)
        return;
    wa_col_t *col = s_column(self, c, t);
    col->n = 0;
    s_col_add(col, b->bid_px, b->bid_sz, true);
    s_col_add(col, b->ask_px, b->ask_sz, false);
    c->dirty = true;
}

static wa_signal_t *
s_signal_find(web_agg_t *self, const char *id)
{
    uint64_t first = self->nsignals > WA_SIGNALS ? self->nsignals - WA_SIGNALS : 0;
    for (uint64_t s = first; s < self->nsignals; s++)
        if (strcmp(self->signals[s % WA_SIGNALS].id, id) == 0)
            return &self->signals[s % WA_SIGNALS];
    return NULL;
}

static void
s_on_signal(web_agg_t *self, const Ofts__Signal *sg, int64_t t)
{
    if (s_signal_find(self, sg->id))
        return;                     //  a re-sent signal is the same signal
    wa_signal_t *s = &self->signals[self->nsignals++ % WA_SIGNALS];
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", sg->id);
    snprintf(s->symbol, sizeof s->symbol, "%s", sg->symbol);
    snprintf(s->contract, sizeof s->contract, "%s", s_key(sg->contract, sg->symbol));
    snprintf(s->reasons, sizeof s->reasons, "%s", sg->reasons);
    snprintf(s->status, sizeof s->status, "pending");
    s->side = sg->direction;
    s->t = t;
    s->entry = sg->entry;
    s->stop = sg->stop;
    s->target = sg->take_profit;
    s->confidence = sg->confidence;
}

static wa_order_t *
s_order(web_agg_t *self, const char *id, bool create)
{
    uint64_t first = self->norders > WA_ORDERS ? self->norders - WA_ORDERS : 0;
    for (uint64_t s = first; s < self->norders; s++)
        if (strcmp(self->orders[s % WA_ORDERS].id, id) == 0)
            return &self->orders[s % WA_ORDERS];
    if (!create)
        return NULL;
    wa_order_t *o = &self->orders[self->norders++ % WA_ORDERS];
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", id);
    return o;
}

static void
s_on_order_request(web_agg_t *self, const Ofts__OrderRequest *r, int64_t t)
{
    wa_signal_t *s = s_signal_find(self, r->signal_id);
    if (s)
        snprintf(s->status, sizeof s->status, "approved");
    wa_order_t *o = s_order(self, r->client_order_id, true);
    snprintf(o->symbol, sizeof o->symbol, "%s", r->symbol);
    snprintf(o->contract, sizeof o->contract, "%s", s_key(r->contract, r->symbol));
    o->role = r->reduce_only ? OFTS__ORDER_ROLE__ROLE_FLATTEN : OFTS__ORDER_ROLE__ROLE_ENTRY;
    o->side = r->side;
    o->type = r->type;
    o->qty = r->quantity;
    o->price = r->entry;
    o->stop = r->stop;
    o->target = r->take_profit;
    o->t = t;
}

static void
s_on_order_update(web_agg_t *self, const Ofts__OrderUpdate *u, int64_t t)
{
    wa_order_t *o = s_order(self, u->client_order_id, true);
    snprintf(o->symbol, sizeof o->symbol, "%s", u->symbol);
    snprintf(o->contract, sizeof o->contract, "%s", s_key(u->contract, u->symbol));
    snprintf(o->text, sizeof o->text, "%s", u->text);
    o->role = u->role;
    o->side = u->side;
    o->status = u->status;
    o->type = u->type;
    o->qty = u->quantity;
    o->filled = u->filled_quantity;
    if (u->price)
        o->price = u->price;
    o->avg = u->avg_fill_price;
    o->t = t;
}

static void
s_on_fill(web_agg_t *self, const Ofts__Fill *f, int64_t t)
{
    wa_fill_t *x = &self->fills[self->nfills++ % WA_FILLS];
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s", f->fill_id);
    snprintf(x->order, sizeof x->order, "%s", f->client_order_id);
    snprintf(x->symbol, sizeof x->symbol, "%s", f->symbol);
    snprintf(x->contract, sizeof x->contract, "%s", s_key(f->contract, f->symbol));
    x->role = f->role;
    x->side = f->side;
    x->price = f->price;
    x->qty = f->quantity;
    x->t = t;
}

static void
s_on_position(web_agg_t *self, const Ofts__Position *p)
{
    wa_position_t *x = NULL;
    const char *account = p->account ? p->account : "";
    for (int i = 0; i < self->npositions && !x; i++)
        if (strcmp(self->positions[i].symbol, p->symbol) == 0 && strcmp(self->positions[i].account, account) == 0)
            x = &self->positions[i];
    if (!x && self->npositions < WA_CONTRACTS)
        x = &self->positions[self->npositions++];
    if (!x)
        return;
    snprintf(x->symbol, sizeof x->symbol, "%s", p->symbol);
    snprintf(x->account, sizeof x->account, "%s", account);
    snprintf(x->contract, sizeof x->contract, "%s", s_key(p->contract, p->symbol));
    snprintf(x->entry_order, sizeof x->entry_order, "%s", p->client_order_id);
    x->qty = p->quantity;
    x->avg = p->avg_price;
    x->realized = p->realized_pnl_cents;
    x->unrealized = p->unrealized_pnl_cents;
    x->protected_ = p->protected_;
}

//  risk's accounts, each by its account_id (several accounts: the page
//  shows each and the total).
static void
s_on_risk_account(web_agg_t *self, const Ofts__AccountState *a)
{
    int i = 0;
    while (i < self->naccounts && strcmp(self->accounts[i].id, a->account_id) != 0)
        i++;
    if (i == WA_ACCOUNTS)
        return;
    if (i == self->naccounts)
        self->naccounts++;
    wa_account_t *x = &self->accounts[i];
    snprintf(x->id, sizeof x->id, "%s", a->account_id);
    x->balance = a->balance_cents;
    x->realized = a->realized_pnl_cents;
    x->unrealized = a->unrealized_pnl_cents;
    x->floor = a->mll_floor_cents;
    x->daily_limit = a->daily_loss_limit_cents;
    x->state = a->state;
    snprintf(x->reason, sizeof x->reason, "%s", a->state_reason);
}

static void
s_on_account(web_agg_t *self, const Ofts__AccountState *a)
{
    self->has_account = true;
    self->balance = a->balance_cents;
    self->realized = a->realized_pnl_cents;
    self->unrealized = a->unrealized_pnl_cents;
    self->peak = a->peak_balance_cents;
    self->floor = a->mll_floor_cents;
    self->state = a->state;
    self->open_positions = a->open_positions;
    self->open_contracts = a->open_contracts;
    snprintf(self->state_reason, sizeof self->state_reason, "%s", a->state_reason);
    snprintf(self->account_id, sizeof self->account_id, "%s", a->account_id);
}

void
web_agg_on_message(web_agg_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns)
{
    int64_t t = env->header && env->header->ts_event ? env->header->ts_event : now_ns;
    //  The chart's clock is the market's (a replay runs in the past).
    bool md = env->body_case == OFTS__ENVELOPE__BODY_TRADE || env->body_case == OFTS__ENVELOPE__BODY_DEPTH
              || env->body_case == OFTS__ENVELOPE__BODY_BBO;
    if (md && t > self->last_event_ns)
        self->last_event_ns = t;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_TRADE: s_on_trade(self, env->trade, t); return;
    case OFTS__ENVELOPE__BODY_DEPTH: s_on_depth(self, env->depth, t); return;
    case OFTS__ENVELOPE__BODY_BBO: s_on_bbo(self, env->bbo, t); return;
    case OFTS__ENVELOPE__BODY_METRICS: {
        wa_contract_t *c = s_contract(self, env->metrics->contract, env->metrics->symbol);
        if (c) {
            c->m = *env->metrics;
            c->m.symbol = c->m.contract = NULL;     //  freed with the message
            c->has_metrics = true;
        }
        break;
    }
    case OFTS__ENVELOPE__BODY_SIGNAL: s_on_signal(self, env->signal, t); break;
    case OFTS__ENVELOPE__BODY_ORDER_REQUEST: s_on_order_request(self, env->order_request, t); break;
    case OFTS__ENVELOPE__BODY_RISK_REJECT: {
        wa_signal_t *s = s_signal_find(self, env->risk_reject->signal_id);
        if (s) {
            snprintf(s->status, sizeof s->status, "rejected");
            snprintf(s->reject, sizeof s->reject, "%s", env->risk_reject->text);
        }
        break;
    }
    case OFTS__ENVELOPE__BODY_ORDER_UPDATE: s_on_order_update(self, env->order_update, t); break;
    case OFTS__ENVELOPE__BODY_FILL: s_on_fill(self, env->fill, t); break;
    case OFTS__ENVELOPE__BODY_POSITION: s_on_position(self, env->position); break;
    case OFTS__ENVELOPE__BODY_ACCOUNT:
        if (topic && strncmp(topic, "risk.", 5) == 0)
            s_on_risk_account(self, env->account);
        s_on_account(self, env->account);
        break;
    case OFTS__ENVELOPE__BODY_HEARTBEAT: break;
    default: return;
    }
    self->dirty = true;
}

void
web_agg_on_gap(web_agg_t *self, const char *source, uint64_t missing)
{
    int i = 0;
    while (i < self->ngaps && strcmp(self->gaps[i].source, source) != 0)
        i++;
    if (i == self->ngaps) {
        if (self->ngaps == WA_GAPS)
            return;
        memset(&self->gaps[i], 0, sizeof self->gaps[i]);
        snprintf(self->gaps[i].source, sizeof self->gaps[i].source, "%s", source);
        self->ngaps++;
    }
    self->gaps[i].missing += missing;
    self->gaps[i].events++;
    self->dirty = true;
}

//  --------------------------------------------------------------------------
//  JSON. Prices go out in points (doubles): the browser only draws them.

static const char *
s_side(int side)
{
    return side == OFTS__SIDE__SIDE_BUY ? "BUY" : side == OFTS__SIDE__SIDE_SELL ? "SELL" : "";
}

static const char *
s_enum(const ProtobufCEnumDescriptor *d, int value)
{
    //  "STATUS_WORKING" -> "WORKING": the page shows the word.
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    const char *u = v ? strchr(v->name, '_') : NULL;
    return u ? u + 1 : v ? v->name : "?";
}

static json_t *
s_px_json(int64_t price)
{
    return price && price != INT64_MAX ? json_real(s_px(price)) : json_null();
}

//  Digits a price of this contract needs (HG ticks are 0.0005).
static int
s_decimals(const char *contract)
{
    const ofts_instrument_t *ins = ofts_instrument_for_contract(contract);
    return ins ? ins->decimals : 2;
}

//  --------------------------------------------------------------------------
//  The message as text. The series (bars, heatmap columns, trades: nearly
//  all of an update's bytes, hundreds of kB in an accelerated replay) are
//  written straight to the sink with our own number formatting; jansson
//  (a tree of objects, printf per price) made them a tenth of the monitor's
//  time at a few hundred thousand md messages a second. The small panels
//  are still built with jansson and dumped in place.

typedef struct {
    web_agg_sink_fn *sink;
    void *arg;
    int rc;
    size_t len;
    char buf[16384];
} wa_out_t;

static void
s_flush(wa_out_t *o)
{
    if (o->len && o->rc == 0)
        o->rc = o->sink(o->buf, o->len, o->arg);
    o->len = 0;
}

static void
s_put(wa_out_t *o, const char *data, size_t size)
{
    if (o->len + size > sizeof o->buf) {
        s_flush(o);
        if (size > sizeof o->buf) {
            if (o->rc == 0)
                o->rc = o->sink(data, size, o->arg);
            return;
        }
    }
    memcpy(o->buf + o->len, data, size);
    o->len += size;
}

//  A string literal (only: its size is the literal's).
#define S_PUTS(o, lit) s_put((o), "" lit, sizeof(lit) - 1)

static int
s_put_cb(const char *data, size_t size, void *arg)
{
    s_put(arg, data, size);
    return 0;
}

//  Digits of v, written backwards from end; returns the first.
static char *
s_digits(char *end, uint64_t v)
{
    do {
        *--end = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static void
s_int(wa_out_t *o, int64_t v)
{
    char tmp[24], *end = tmp + sizeof tmp;
    char *p = s_digits(end, v < 0 ? 0 - (uint64_t) v : (uint64_t) v);
    if (v < 0)
        *--p = '-';
    s_put(o, p, (size_t) (end - p));
}

//  A price (1e-9 fixed point) in points, exactly: 2000.1, 2000.0 (a number
//  with a point, a real to a JSON parser, as jansson wrote it).
static void
s_price(wa_out_t *o, int64_t price)
{
    uint64_t u = price < 0 ? 0 - (uint64_t) price : (uint64_t) price;
    char tmp[40], *end = tmp + 20;
    char *p = s_digits(end, u / 1000000000ULL);
    if (price < 0)
        *--p = '-';
    *end = '.';
    uint64_t frac = u % 1000000000ULL;
    for (int i = 9; i >= 1; i--, frac /= 10)
        end[i] = (char) ('0' + frac % 10);
    int n = 9;
    while (n > 1 && end[n] == '0')
        n--;
    s_put(o, p, (size_t) (end + 1 + n - p));
}

//  A price, or null for none (0 or INT64_MAX), as s_px_json.
static void
s_price_or_null(wa_out_t *o, int64_t price)
{
    if (price && price != INT64_MAX)
        s_price(o, price);
    else
        S_PUTS(o, "null");
}

//  A jansson value, taken (null if it could not be made).
static void
s_json(wa_out_t *o, json_t *j)
{
    if (!j || json_dump_callback(j, s_put_cb, o, JSON_COMPACT | JSON_REAL_PRECISION(12) | JSON_ENCODE_ANY) != 0)
        S_PUTS(o, "null");
    json_decref(j);
}

//  [price,a,b]: a footprint cell (bid, ask volume) or a heatmap level
//  (size, 1 for a bid), after a comma unless first.
static void
s_px_pair(wa_out_t *o, bool first, int64_t px, int64_t a, int64_t b)
{
    if (!first)
        S_PUTS(o, ",");
    S_PUTS(o, "[");
    s_price(o, px);
    S_PUTS(o, ",");
    s_int(o, a);
    S_PUTS(o, ",");
    s_int(o, b);
    S_PUTS(o, "]");
}

//  {"seq":N,"t":MS - how a bar and a heatmap column begin.
static void
s_item_head(wa_out_t *o, uint64_t seq, int64_t t0)
{
    S_PUTS(o, "{\"seq\":");
    s_int(o, (int64_t) seq);
    S_PUTS(o, ",\"t\":");
    s_int(o, t0 / 1000000);
}

//  ,"key":value for each; a price null when there is none.
typedef struct {
    const char *key;
    int64_t value;
    bool price;
} wa_field_t;

static void
s_fields(wa_out_t *o, const wa_field_t *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_put(o, f[i].key, strlen(f[i].key));
        if (f[i].price)
            s_price_or_null(o, f[i].value);
        else
            s_int(o, f[i].value);
    }
}

//  One item of a ring (wa_bar_t, wa_col_t, wa_trade_t) as JSON.
typedef void s_item_fn(wa_out_t *o, const void *item);

static void
s_bar_write(wa_out_t *o, const void *item)
{
    const wa_bar_t *b = item;
    const wa_field_t f[] = {
        { ",\"o\":", b->open, true }, { ",\"h\":", b->high, true }, { ",\"l\":", b->low, true },
        { ",\"c\":", b->close, true }, { ",\"delta\":", b->delta, false }, { ",\"cd\":", b->cum_delta, false },
        { ",\"vwap\":", b->vwap, true }, { ",\"vol\":", (int64_t) b->volume, false },
    };
    s_item_head(o, b->seq, b->t0);
    s_fields(o, f, sizeof f / sizeof f[0]);
    S_PUTS(o, ",\"cells\":[");
    for (int i = 0; i < b->ncells; i++)
        s_px_pair(o, i == 0, b->cells[i].px, b->cells[i].bid, b->cells[i].ask);
    S_PUTS(o, "]}");
}

static void
s_col_write(wa_out_t *o, const void *item)
{
    const wa_col_t *col = item;
    s_item_head(o, col->seq, col->t0);
    S_PUTS(o, ",\"lv\":[");
    for (int i = 0; i < col->n; i++)
        s_px_pair(o, i == 0, col->px[i], col->sz[i], col->bid[i]);
    S_PUTS(o, "]}");
}

static void
s_trade_write(wa_out_t *o, const void *item)
{
    const wa_trade_t *g = item;
    S_PUTS(o, "[");
    s_int(o, g->t / 1000000);
    S_PUTS(o, ",");
    s_price(o, g->px);
    S_PUTS(o, ",");
    s_int(o, g->size);
    S_PUTS(o, ",");
    s_int(o, g->side);
    S_PUTS(o, "]");
}

static uint64_t
s_first(uint64_t from, uint64_t n, uint64_t ring)
{
    uint64_t oldest = n > ring ? n - ring : 0;
    return from > oldest ? from : oldest;
}

//  Items from..n-1 of a ring of cap items of size bytes (those still kept),
//  comma-separated.
static void
s_ring_write(wa_out_t *o, const void *ring, size_t size, uint64_t cap, uint64_t from, uint64_t n, s_item_fn *write)
{
    uint64_t first = s_first(from, n, cap);
    for (uint64_t s = first; s < n; s++) {
        if (s > first)
            S_PUTS(o, ",");
        write(o, (const char *) ring + (s % cap) * size);
    }
}

static const web_thresholds_t *
s_thresholds(web_agg_t *self, const char *root)
{
    for (int i = 0; i < self->nthresholds; i++)
        if (strcmp(self->thresholds[i].root, root) == 0)
            return &self->thresholds[i].t;
    return NULL;
}

static json_t *
s_metrics_json(web_agg_t *self, wa_contract_t *c)
{
    if (!c->has_metrics)
        return json_null();
    const Ofts__Metrics *m = &c->m;
    json_t *o = json_pack("{s:f, s:I, s:f, s:f, s:f, s:f, s:f, s:o, s:o, s:I, s:I}", "imbalance",
                          m->imbalance_ratio, "cum_delta", (json_int_t) m->cumulative_delta, "aggr_buy",
                          m->aggressive_buy_ratio, "aggr_sell", m->aggressive_sell_ratio, "depth",
                          m->depth_imbalance, "intensity", m->trade_intensity, "intensity_ratio",
                          m->intensity_ratio, "vwap", s_px_json(m->vwap), "last", s_px_json(m->last_price),
                          "window_volume", (json_int_t) m->window_volume, "window_trades",
                          (json_int_t) m->window_trades);
    const web_thresholds_t *t = s_thresholds(self, c->root);
    if (t)
        json_object_set_new(o, "thresholds",
                            json_pack("{s:f, s:I, s:f, s:f, s:f, s:f}", "imbalance", t->imbalance, "cum_delta",
                                      (json_int_t) t->cumulative_delta, "aggressive", t->aggressive, "depth",
                                      t->depth, "intensity_ratio", t->intensity, "min_confidence",
                                      t->min_confidence));
    return o;
}

//  A contract's series from the given sequence numbers on (all kept: all).
static void
s_contract_write(wa_out_t *o, web_agg_t *self, wa_contract_t *c, bool all)
{
    S_PUTS(o, "{\"contract\":");
    s_json(o, json_string(c->contract));
    S_PUTS(o, ",\"root\":");
    s_json(o, json_string(c->root));
    S_PUTS(o, ",\"decimals\":");
    s_int(o, s_decimals(c->contract));
    S_PUTS(o, ",\"bars\":[");
    s_ring_write(o, c->bars, sizeof c->bars[0], WA_BARS, all ? 0 : c->bars_pushed, c->nbars, s_bar_write);
    S_PUTS(o, "],\"cols\":[");
    s_ring_write(o, c->cols, sizeof c->cols[0], WA_COLS, all ? 0 : c->cols_pushed, c->ncols, s_col_write);
    S_PUTS(o, "],\"trades\":[");
    s_ring_write(o, c->trades, sizeof c->trades[0], WA_TRADES, all ? 0 : c->trades_pushed, c->ntrades,
                 s_trade_write);
    S_PUTS(o, "],\"metrics\":");
    s_json(o, s_metrics_json(self, c));
    S_PUTS(o, "}");
}

static json_t *
s_signals_json(web_agg_t *self)
{
    json_t *a = json_array();
    for (uint64_t s = s_first(0, self->nsignals, WA_SIGNALS); s < self->nsignals; s++) {
        wa_signal_t *x = &self->signals[s % WA_SIGNALS];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:i, s:s, s:I, s:o, s:o, s:o, s:f, s:s, s:s, s:s}", "id", x->id, "symbol",
                         x->symbol, "contract", x->contract, "decimals", s_decimals(x->contract), "side", s_side(x->side), "t",
                         (json_int_t) (x->t / 1000000), "entry", s_px_json(x->entry), "stop", s_px_json(x->stop),
                         "target", s_px_json(x->target), "confidence", x->confidence, "reasons", x->reasons,
                         "status", x->status, "reject", x->reject));
    }
    return a;
}

static json_t *
s_orders_json(web_agg_t *self)
{
    json_t *a = json_array();
    for (uint64_t s = s_first(0, self->norders, WA_ORDERS); s < self->norders; s++) {
        wa_order_t *o = &self->orders[s % WA_ORDERS];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:s, s:I}", "id",
                         o->id, "symbol", o->symbol, "contract", o->contract, "role",
                         s_enum(&ofts__order_role__descriptor, o->role), "side", s_side(o->side), "status",
                         s_enum(&ofts__order_status__descriptor, o->status), "type",
                         s_enum(&ofts__order_type__descriptor, o->type), "qty", (json_int_t) o->qty, "filled",
                         (json_int_t) o->filled, "price", s_px_json(o->price), "avg", s_px_json(o->avg),
                         "stop", s_px_json(o->stop), "target", s_px_json(o->target), "text", o->text, "t",
                         (json_int_t) (o->t / 1000000)));
    }
    return a;
}

static json_t *
s_fills_json(web_agg_t *self)
{
    json_t *a = json_array();
    for (uint64_t s = s_first(0, self->nfills, WA_FILLS); s < self->nfills; s++) {
        wa_fill_t *f = &self->fills[s % WA_FILLS];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:I}", "id", f->id, "order", f->order,
                         "symbol", f->symbol, "contract", f->contract, "role",
                         s_enum(&ofts__order_role__descriptor, f->role), "side", s_side(f->side), "price",
                         s_px_json(f->price), "qty", (json_int_t) f->qty, "t", (json_int_t) (f->t / 1000000)));
    }
    return a;
}

//  The price of the newest working order of a role for a symbol, else 0.
static int64_t
s_working(web_agg_t *self, const char *symbol, int role)
{
    for (uint64_t s = self->norders; s-- > s_first(0, self->norders, WA_ORDERS);) {
        wa_order_t *o = &self->orders[s % WA_ORDERS];
        if (o->role == role && strcmp(o->symbol, symbol) == 0
            && (o->status == OFTS__ORDER_STATUS__STATUS_WORKING || o->status == OFTS__ORDER_STATUS__STATUS_PENDING
                || o->status == OFTS__ORDER_STATUS__STATUS_PARTIAL))
            return o->price;
    }
    return 0;
}

static json_t *
s_positions_json(web_agg_t *self)
{
    json_t *a = json_array();
    for (int i = 0; i < self->npositions; i++) {
        wa_position_t *p = &self->positions[i];
        //  Stop and target: the working protective orders; until they are
        //  acknowledged, the levels the entry order asked for.
        int64_t stop = s_working(self, p->symbol, OFTS__ORDER_ROLE__ROLE_STOP);
        int64_t target = s_working(self, p->symbol, OFTS__ORDER_ROLE__ROLE_TARGET);
        wa_order_t *entry = *p->entry_order ? s_order(self, p->entry_order, false) : NULL;
        if (!stop && entry)
            stop = entry->stop;
        if (!target && entry)
            target = entry->target;
        if (p->qty == 0)
            stop = target = 0;
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:o, s:o, s:I, s:I, s:b}", "symbol", p->symbol,
                         "account", p->account, "contract",
                         p->contract, "decimals", s_decimals(p->contract), "qty", p->qty, "entry", s_px_json(p->qty ? p->avg : 0), "stop",
                         s_px_json(stop), "target", s_px_json(target), "realized", (json_int_t) p->realized,
                         "unrealized", (json_int_t) p->unrealized, "protected", p->protected_));
    }
    return a;
}

static json_t *
s_account_json(web_agg_t *self)
{
    if (!self->has_account)
        return json_null();
    int64_t day = self->realized + self->unrealized;
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:i, s:i}", "id", self->account_id,
                          "balance", (json_int_t) self->balance, "realized", (json_int_t) self->realized,
                          "unrealized", (json_int_t) self->unrealized, "peak", (json_int_t) self->peak, "floor",
                          (json_int_t) self->floor, "to_floor", (json_int_t) (self->balance + self->unrealized - self->floor),
                          "state", s_enum(&ofts__trading_state__descriptor, self->state), "reason",
                          self->state_reason, "open_positions", (int) self->open_positions, "open_contracts",
                          (int) self->open_contracts);
    if (self->cfg.daily_loss_cents > 0)
        json_object_set_new(o, "to_daily_limit", json_integer(self->cfg.daily_loss_cents + day));
    return o;
}

//  Each of risk's accounts with its distances to its own limits (the
//  page lists them, and the total, when there are several).
static json_t *
s_accounts_json(web_agg_t *self)
{
    json_t *a = json_array();
    for (int i = 0; i < self->naccounts; i++) {
        const wa_account_t *x = &self->accounts[i];
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:s}", "id", x->id, "balance", (json_int_t) x->balance,
                              "realized", (json_int_t) x->realized, "unrealized", (json_int_t) x->unrealized,
                              "to_floor", (json_int_t) (x->balance + x->unrealized - x->floor), "state",
                              s_enum(&ofts__trading_state__descriptor, x->state), "reason", x->reason);
        if (x->daily_limit > 0)
            json_object_set_new(o, "to_daily_limit", json_integer(x->daily_limit + x->realized + x->unrealized));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *
s_health_json(web_agg_t *self, int64_t now_ns)
{
    json_t *a = json_array();
    size_t n = self->health ? health_count(self->health) : 0;
    for (size_t i = 0; i < n; i++) {
        const health_entry_t *e = health_at(self->health, i);
        json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:b, s:i, s:I, s:I}", "service", e->service, "state",
                                           e->state, "pid", (int) e->pid, "alive", e->alive, "restarts",
                                           (int) e->restarts, "uptime_ms", (json_int_t) e->uptime_ms, "age_ms",
                                           (json_int_t) ((now_ns - e->last_seen_ns) / 1000000)));
    }
    return a;
}

static json_t *
s_gaps_json(web_agg_t *self)
{
    json_t *a = json_array();
    for (int i = 0; i < self->ngaps; i++)
        json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "source", self->gaps[i].source, "missing",
                                           (json_int_t) self->gaps[i].missing, "events",
                                           (json_int_t) self->gaps[i].events));
    return a;
}

static int
s_message(web_agg_t *self, const char *type, bool all, int64_t now_ns, web_agg_sink_fn *sink, void *arg)
{
    wa_out_t *o = malloc(sizeof *o);
    if (!o)
        return -1;
    o->sink = sink;
    o->arg = arg;
    o->rc = 0;
    o->len = 0;
    S_PUTS(o, "{\"type\":\"");
    s_put(o, type, strlen(type));
    S_PUTS(o, "\",\"seq\":");
    s_int(o, (int64_t) self->seq);
    S_PUTS(o, ",\"event_t\":");
    s_int(o, self->last_event_ns / 1000000);
    S_PUTS(o, ",\"contracts\":{");
    bool any = false;
    for (int i = 0; i < self->ncontracts; i++) {
        wa_contract_t *c = self->contracts[i];
        json_t *key = all || c->dirty ? json_string(c->contract) : NULL;
        if (!key)
            continue;               //  unchanged, or not text (jansson refused it as a key too)
        if (any)
            S_PUTS(o, ",");
        any = true;
        s_json(o, key);
        S_PUTS(o, ":");
        s_contract_write(o, self, c, all);
    }
    S_PUTS(o, "},\"signals\":");
    s_json(o, s_signals_json(self));
    S_PUTS(o, ",\"orders\":");
    s_json(o, s_orders_json(self));
    S_PUTS(o, ",\"fills\":");
    s_json(o, s_fills_json(self));
    S_PUTS(o, ",\"positions\":");
    s_json(o, s_positions_json(self));
    S_PUTS(o, ",\"account\":");
    s_json(o, s_account_json(self));
    S_PUTS(o, ",\"health\":");
    s_json(o, s_health_json(self, now_ns));
    S_PUTS(o, ",\"gaps\":");
    s_json(o, s_gaps_json(self));
    S_PUTS(o, ",\"accounts\":");
    s_json(o, s_accounts_json(self));
    S_PUTS(o, "}");
    s_flush(o);
    int rc = o->rc;
    free(o);
    return rc;
}

int
web_agg_snapshot_write(web_agg_t *self, int64_t now_ns, web_agg_sink_fn *sink, void *arg)
{
    return s_message(self, "snapshot", true, now_ns, sink, arg);
}

int
web_agg_update_write(web_agg_t *self, int64_t now_ns, web_agg_sink_fn *sink, void *arg)
{
    bool any = self->dirty;
    for (int i = 0; i < self->ncontracts; i++)
        any = any || self->contracts[i]->dirty;
    if (!any)
        return 1;
    self->seq++;
    int rc = s_message(self, "update", false, now_ns, sink, arg);
    for (int i = 0; i < self->ncontracts; i++) {
        wa_contract_t *c = self->contracts[i];
        //  The open bar and column may still grow: the next update resends them.
        c->bars_pushed = c->nbars ? c->nbars - 1 : 0;
        c->cols_pushed = c->ncols ? c->ncols - 1 : 0;
        c->trades_pushed = c->ntrades;
        memset(c->group_of, 0, sizeof c->group_of);
        c->dirty = false;
    }
    self->dirty = false;
    return rc;
}

//  The text parsed back: for tests and tools that read values.
typedef struct {
    char *text;
    size_t len, cap;
} wa_text_t;

static int
s_text_cb(const char *data, size_t size, void *arg)
{
    wa_text_t *t = arg;
    if (t->len + size + 1 > t->cap) {
        t->cap = (t->len + size + 1) * 2;
        char *text = realloc(t->text, t->cap);
        if (!text)
            return -1;
        t->text = text;
    }
    memcpy(t->text + t->len, data, size);
    t->len += size;
    return 0;
}

static json_t *
s_parsed(wa_text_t *t, int rc)
{
    json_t *j = rc == 0 && t->text ? json_loadb(t->text, t->len, 0, NULL) : NULL;
    free(t->text);
    return j;
}

json_t *
web_agg_snapshot(web_agg_t *self, int64_t now_ns)
{
    wa_text_t t = { 0 };
    return s_parsed(&t, web_agg_snapshot_write(self, now_ns, s_text_cb, &t));
}

json_t *
web_agg_update(web_agg_t *self, int64_t now_ns)
{
    wa_text_t t = { 0 };
    return s_parsed(&t, web_agg_update_write(self, now_ns, s_text_cb, &t));
}
