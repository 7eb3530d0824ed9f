/*  paper_broker - simulated fills on market data; see paper_broker.h.      */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "paper_broker.h"
#include "ofts_instrument.h"
#include "ofts_log.h"

#define MAX_SYMBOLS 32
#define KEEP_TERMINAL 512               //  recent finished orders kept in memory

typedef struct {
    char symbol[BROKER_SYM_LEN];
    char contract[BROKER_CONTRACT_LEN]; //  "" when the feed gave none
    int64_t bid, ask, last;             //  0 = unknown
    uint64_t touched;                   //  recency, for orders without a contract
    int64_t ts;                         //  newest event time applied
    int64_t tick;                       //  the symbol's tick (1 unknown), found once
} quote_t;

typedef order_store_paper_t porder_t;   //  order + bracket bookkeeping

//  A limit entry's time in force runs on its contract's market clock (the
//  md it trades on), so live paper and a backtest expire it at the same
//  event. Kept in memory: after a restart a working entry gets a fresh
//  time in force from the first md (at most tif late, never forever).
#define MAX_TIF 64
typedef struct {
    char client_order_id[BROKER_COID_LEN];
    int64_t deadline;                   //  0 = starts with the next md of its contract
} tif_t;

struct _paper_broker_t {
    broker_t broker;
    paper_config_t cfg;
    order_store_t *store;               //  borrowed, may be NULL
    //  Read on every md event, kept on one cache line (a sweep runs many
    //  brokers side by side): the quote count and clock, and whether any
    //  order or time in force needs the event at all.
    size_t nquotes;
    uint64_t quote_clock;
    uint64_t rewound;                   //  md ignored: older than its contract's newest
    porder_t *orders;                   //  working and waiting orders only
    size_t norders, cap;
    size_t ntif;                        //  tif[] in use
    quote_t quotes[MAX_SYMBOLS * 2];
    broker_position_t positions[MAX_SYMBOLS];
    size_t npositions;
    porder_t done[KEEP_TERMINAL];       //  recently finished (ring)
    size_t ndone;
    int64_t seq;                        //  order and fill id counter
    char id_tag[16];                    //  in every id: one broker per account
    tif_t tif[MAX_TIF];                 //  limit entries with a time in force
    uint64_t expired;
};

static const broker_ops_t s_ops;

//  ---------------------------------------------------------------------------
//  Small lookups

static int64_t
s_tick(const char *symbol)
{
    const ofts_instrument_t *inst = ofts_instrument_find(symbol);
    return inst ? inst->tick : 1;
}

//  Quotes are per contract: a root's feed may carry several months (GCZ6
//  and GCG7 both arrive as GC) and a fill must not mix their prices.
static quote_t *
s_quote(paper_broker_t *self, const char *symbol, const char *contract, bool create)
{
    if (!contract)
        contract = "";
    for (size_t i = 0; i < self->nquotes; i++)
        if (ofts_same_name(self->quotes[i].symbol, symbol) && ofts_same_name(self->quotes[i].contract, contract))
            return &self->quotes[i];
    if (!create || self->nquotes == MAX_SYMBOLS * 2)
        return NULL;
    quote_t *q = &self->quotes[self->nquotes++];
    memset(q, 0, sizeof(*q));
    broker_strlcpy(q->symbol, symbol, sizeof(q->symbol));
    broker_strlcpy(q->contract, contract, sizeof(q->contract));
    q->tick = s_tick(symbol);
    return q;
}

//  The quote an order trades on: its own contract's (or a feed without
//  contracts); an order without a contract takes the symbol's latest.
static quote_t *
s_order_quote(paper_broker_t *self, const broker_order_t *o)
{
    quote_t *best = NULL;
    for (size_t i = 0; i < self->nquotes; i++) {
        quote_t *q = &self->quotes[i];
        if (strcmp(q->symbol, o->symbol) != 0)
            continue;
        if (o->contract[0] && q->contract[0] && strcmp(o->contract, q->contract) != 0)
            continue;
        if (!best || q->touched > best->touched)
            best = q;
    }
    return best;
}

//  Does md of `contract` concern order o?
static bool
s_same_contract(const broker_order_t *o, const char *contract)
{
    return !o->contract[0] || !contract || !contract[0] || ofts_same_name(o->contract, contract);
}

static broker_position_t *
s_position(paper_broker_t *self, const char *symbol, bool create)
{
    for (size_t i = 0; i < self->npositions; i++)
        if (strcmp(self->positions[i].symbol, symbol) == 0)
            return &self->positions[i];
    if (!create || self->npositions == MAX_SYMBOLS)
        return NULL;
    broker_position_t *p = &self->positions[self->npositions++];
    memset(p, 0, sizeof(*p));
    broker_strlcpy(p->symbol, symbol, sizeof(p->symbol));
    return p;
}

static int
s_find(paper_broker_t *self, const char *client_order_id)
{
    for (size_t i = 0; i < self->norders; i++)
        if (strcmp(self->orders[i].order.client_order_id, client_order_id) == 0)
            return (int) i;
    return -1;
}

static int64_t
s_next_seq(paper_broker_t *self)
{
    self->seq++;
    if (self->store)
        order_store_meta_set(self->store, "paper.seq", self->seq);
    return self->seq;
}

//  ---------------------------------------------------------------------------
//  Persistence and events

static void
s_save_order(paper_broker_t *self, size_t index)
{
    if (self->store)
        order_store_paper_order_put(self->store, &self->orders[index]);
}

//  Persist, then tell the listener (order updates carry a copy).
static void
s_publish_order(paper_broker_t *self, size_t index, int64_t now_ns)
{
    self->orders[index].order.updated_ns = now_ns;
    s_save_order(self, index);
    broker_order_t copy = self->orders[index].order;
    broker_emit_order(&self->broker, &copy);
}

static void
s_publish_position(paper_broker_t *self, broker_position_t *pos)
{
    if (self->store)
        order_store_paper_position_put(self->store, pos);
    broker_position_t copy = *pos;
    broker_emit_position(&self->broker, &copy);
}

static size_t
s_append(paper_broker_t *self, const porder_t *row)
{
    if (self->norders == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        self->orders = realloc(self->orders, self->cap * sizeof(porder_t));
    }
    self->orders[self->norders] = *row;
    return self->norders++;
}

//  Finished orders leave the matching loops for a small ring (older ones
//  stay in the store for find_order). Run between events only: the loops
//  work by index.
static void
s_compact(paper_broker_t *self)
{
    //  Runs after every market event: rows that stay in place are not
    //  copied onto themselves (a row is large; that copy was most of the
    //  paper broker's cost in a backtest).
    size_t kept = 0;
    for (size_t i = 0; i < self->norders; i++) {
        if (broker_status_terminal(self->orders[i].order.status))
            self->done[self->ndone++ % KEEP_TERMINAL] = self->orders[i];
        else {
            if (kept != i)
                self->orders[kept] = self->orders[i];
            kept++;
        }
    }
    self->norders = kept;
}

static const porder_t *
s_find_done(paper_broker_t *self, const char *client_order_id)
{
    size_t n = self->ndone < KEEP_TERMINAL ? self->ndone : KEEP_TERMINAL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(self->done[i].order.client_order_id, client_order_id) == 0)
            return &self->done[i];
    return NULL;
}

//  ---------------------------------------------------------------------------
//  Position keeping, exact in cents

static void
s_apply_fill(paper_broker_t *self, broker_position_t *pos, const broker_fill_t *fill)
{
    const ofts_instrument_t *inst = ofts_instrument_find(fill->symbol);
    int32_t q = fill->side == OFTS__SIDE__SIDE_BUY ? (int32_t) fill->quantity : -(int32_t) fill->quantity;
    if (pos->quantity == 0 || (pos->quantity > 0) == (q > 0)) {
        //  Opening or adding: volume-weighted average (1e-9 units, truncated).
        int64_t held = llabs((long long) pos->quantity), add = llabs((long long) q);
        pos->avg_price = (pos->avg_price * held + fill->price * add) / (held + add);
        pos->quantity += q;
    }
    else {
        int32_t closing = abs(q) < abs(pos->quantity) ? abs(q) : abs(pos->quantity);
        int32_t signed_closed = pos->quantity > 0 ? closing : -closing;
        if (inst)
            pos->realized_pnl_cents += ofts_instrument_pnl_cents(inst, pos->avg_price, fill->price,
                                                                signed_closed);
        int32_t before = pos->quantity;
        pos->quantity += q;
        if (pos->quantity == 0)
            pos->avg_price = 0;
        else if ((before > 0) != (pos->quantity > 0))
            pos->avg_price = fill->price;   //  flipped: the rest opened here
    }
    pos->realized_pnl_cents -= fill->fees_cents;
    broker_strlcpy(pos->contract, fill->contract, sizeof(pos->contract));
    (void) self;
}

//  ---------------------------------------------------------------------------
//  Order state changes

static void
s_cancel_index(paper_broker_t *self, size_t index, const char *why, int64_t now_ns)
{
    broker_order_t *o = &self->orders[index].order;
    o->status = OFTS__ORDER_STATUS__STATUS_CANCELLED;
    broker_strlcpy(o->text, why, sizeof(o->text));
    self->orders[index].suspended = false;
    s_publish_order(self, index, now_ns);
}

//  The children of entry `parent` (both legs) get their prices and work.
static void
s_activate_children(paper_broker_t *self, size_t parent, int64_t now_ns)
{
    const porder_t *entry = &self->orders[parent];
    int64_t fill_px = entry->order.avg_fill_price;
    int64_t stop_off = entry->stop_off, target_off = entry->target_off;
    char parent_id[BROKER_COID_LEN];
    broker_strlcpy(parent_id, entry->order.client_order_id, sizeof(parent_id));
    for (size_t i = 0; i < self->norders; i++) {
        porder_t *c = &self->orders[i];
        if (!c->suspended || strcmp(c->order.parent_id, parent_id) != 0)
            continue;
        c->suspended = false;
        c->order.price = fill_px + (c->order.role == OFTS__ORDER_ROLE__ROLE_STOP ? stop_off : target_off);
        c->order.status = OFTS__ORDER_STATUS__STATUS_WORKING;
        broker_strlcpy(c->order.text, "working: entry filled", sizeof(c->order.text));
        s_publish_order(self, i, now_ns);
    }
}

//  OCO: a leg filled, so its sibling goes.
static void
s_cancel_sibling(paper_broker_t *self, size_t index, int64_t now_ns)
{
    const broker_order_t *leg = &self->orders[index].order;
    for (size_t i = 0; i < self->norders; i++) {
        broker_order_t *o = &self->orders[i].order;
        if (i != index && strcmp(o->parent_id, leg->parent_id) == 0
            && !broker_status_terminal(o->status))
            s_cancel_index(self, i, "OCO: sibling filled", now_ns);
    }
}

static void
s_fill(paper_broker_t *self, size_t index, int64_t price, int64_t now_ns)
{
    broker_order_t *o = &self->orders[index].order;
    o->status = OFTS__ORDER_STATUS__STATUS_FILLED;
    o->filled_quantity = o->quantity;
    o->avg_fill_price = price;
    broker_fill_t fill;
    memset(&fill, 0, sizeof(fill));
    snprintf(fill.fill_id, sizeof(fill.fill_id), "PF%s%" PRId64, self->id_tag, s_next_seq(self));
    broker_strlcpy(fill.client_order_id, o->client_order_id, sizeof(fill.client_order_id));
    broker_strlcpy(fill.broker_order_id, o->broker_order_id, sizeof(fill.broker_order_id));
    broker_strlcpy(fill.symbol, o->symbol, sizeof(fill.symbol));
    broker_strlcpy(fill.contract, o->contract, sizeof(fill.contract));
    fill.role = o->role;
    fill.side = o->side;
    fill.price = price;
    fill.quantity = o->quantity;
    fill.fees_cents = paper_config_fee_cents(&self->cfg, o->symbol) * (int64_t) o->quantity;
    fill.ts_ns = now_ns;
    broker_position_t *pos = s_position(self, o->symbol, true);
    if (pos)
        s_apply_fill(self, pos, &fill);
    int role = o->role;
    //  The fill and the position go out before the order's FILLED update:
    //  a listener that clears "entry pending" on FILLED (risk) must already
    //  know the position then, or for a moment it sees flat, nothing
    //  pending. Bracket legs start working before the position is told, so
    //  it is reported protected.
    broker_emit_fill(&self->broker, &fill);
    if (role == OFTS__ORDER_ROLE__ROLE_ENTRY)
        s_activate_children(self, index, now_ns);
    else if (role == OFTS__ORDER_ROLE__ROLE_STOP || role == OFTS__ORDER_ROLE__ROLE_TARGET)
        s_cancel_sibling(self, index, now_ns);
    if (pos)
        s_publish_position(self, pos);
    s_publish_order(self, index, now_ns);
}

//  Market price for side, or 0 when no price is known yet.
static int64_t
s_market_price(paper_broker_t *self, const broker_order_t *o)
{
    quote_t *q = s_order_quote(self, o);
    if (!q)
        return 0;
    int side = o->side;
    int64_t slip = (int64_t) self->cfg.slippage_ticks * s_tick(o->symbol);
    int64_t px = side == OFTS__SIDE__SIDE_BUY ? q->ask : q->bid;
    if (px == 0)
        px = q->last;
    if (px == 0)
        return 0;
    return side == OFTS__SIDE__SIDE_BUY ? px + slip : px - slip;
}

static bool
s_working(const porder_t *row)
{
    return !row->suspended && (row->order.status == OFTS__ORDER_STATUS__STATUS_WORKING
                               || row->order.status == OFTS__ORDER_STATUS__STATUS_PENDING);
}

//  Market orders of symbol that waited for a price. Fills carry market
//  time (the quote's event time), like every other paper fill: an order
//  placed between two md events fills at the latest quote, at its time,
//  never at the wall clock of the place call (one clock for risk's days).
static void
s_fill_markets(paper_broker_t *self, const char *symbol, int64_t now_ns)
{
    for (size_t i = 0; i < self->norders; i++) {
        porder_t *row = &self->orders[i];
        if (!s_working(row) || row->order.type != OFTS__ORDER_TYPE__ORDER_TYPE_MARKET
            || !ofts_same_name(row->order.symbol, symbol))
            continue;
        int64_t px = s_market_price(self, &row->order);
        const quote_t *q = s_order_quote(self, &row->order);
        if (px)
            s_fill(self, i, px, q && q->ts > 0 ? q->ts : now_ns);
    }
}

//  Stops and limits of symbol against one trade price.
static void
s_match_trade(paper_broker_t *self, const quote_t *q, const char *symbol, const char *contract,
              int64_t trade, int64_t now_ns)
{
    int64_t slip = (int64_t) self->cfg.slippage_ticks * q->tick;
    //  Index loop: children activated by an entry fill are later in the
    //  array and get their chance against this same trade.
    for (size_t i = 0; i < self->norders; i++) {
        porder_t *row = &self->orders[i];
        if (!s_working(row) || !ofts_same_name(row->order.symbol, symbol)
            || !s_same_contract(&row->order, contract))
            continue;
        bool buy = row->order.side == OFTS__SIDE__SIDE_BUY;
        int64_t px = row->order.price;
        if (row->order.type == OFTS__ORDER_TYPE__ORDER_TYPE_STOP) {
            //  Touched: it is a market order now. A gap through the stop
            //  fills at the trade that triggered it, not at the stop.
            if (buy ? trade >= px : trade <= px) {
                int64_t worse = buy ? (trade > px ? trade : px) : (trade < px ? trade : px);
                s_fill(self, i, buy ? worse + slip : worse - slip, now_ns);
            }
        }
        else if (row->order.type == OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT) {
            if (buy ? trade < px : trade > px)
                s_fill(self, i, px, now_ns);
        }
    }
}

//  ---------------------------------------------------------------------------
//  Time in force of limit entries

static void
s_tif_add(paper_broker_t *self, const broker_order_t *o)
{
    if (self->cfg.entry_tif_ms <= 0 || o->role != OFTS__ORDER_ROLE__ROLE_ENTRY
        || o->type != OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT || self->ntif == MAX_TIF)
        return;
    tif_t *t = &self->tif[self->ntif++];
    broker_strlcpy(t->client_order_id, o->client_order_id, sizeof(t->client_order_id));
    quote_t *q = s_order_quote(self, o);
    t->deadline = q && q->ts ? q->ts + self->cfg.entry_tif_ms * 1000000LL : 0;
}

//  Entries of symbol/contract whose time ran out by md time ts: EXPIRED,
//  with their waiting legs. Before matching: a lapsed order never fills.
static void
s_tif_check(paper_broker_t *self, const char *symbol, const char *contract, int64_t ts)
{
    size_t kept = 0;
    for (size_t k = 0; k < self->ntif; k++) {
        tif_t t = self->tif[k];
        int index = s_find(self, t.client_order_id);
        if (index < 0 || broker_status_terminal(self->orders[index].order.status))
            continue;                   //  filled or cancelled: forget it
        broker_order_t *o = &self->orders[index].order;
        if (!ofts_same_name(o->symbol, symbol) || !s_same_contract(o, contract)) {
            self->tif[kept++] = t;
            continue;
        }
        if (t.deadline == 0)
            t.deadline = ts + self->cfg.entry_tif_ms * 1000000LL;
        if (ts < t.deadline) {
            self->tif[kept++] = t;
            continue;
        }
        o->status = OFTS__ORDER_STATUS__STATUS_EXPIRED;
        snprintf(o->text, sizeof(o->text), "time in force %lld ms lapsed unfilled",
                 (long long) self->cfg.entry_tif_ms);
        self->expired++;
        log_info("paper: %s %s", o->client_order_id, o->text);
        s_publish_order(self, (size_t) index, ts);
        for (size_t i = 0; i < self->norders; i++)
            if (self->orders[i].suspended && strcmp(self->orders[i].order.parent_id, t.client_order_id) == 0)
                s_cancel_index(self, i, "entry expired", ts);
    }
    self->ntif = kept;
}

//  ---------------------------------------------------------------------------
//  broker_ops

static broker_result_t
s_reject(broker_order_t *order, const char *why)
{
    order->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
    broker_strlcpy(order->text, why, sizeof(order->text));
    log_warn("paper: reject %s: %s", order->client_order_id, why);
    return BROKER_REJECTED;
}

static bool
s_known_id(paper_broker_t *self, const char *client_order_id)
{
    return s_find(self, client_order_id) >= 0 || s_find_done(self, client_order_id)
        || (self->store && order_store_paper_order_get(self->store, client_order_id, NULL) == 1);
}

//  Checks a real broker would make: instrument, size, tick alignment,
//  bracket sides (spec §5.3: a long's stop below, target above).
static const char *
s_validate(paper_broker_t *self, const broker_order_t *o, int64_t *stop_off, int64_t *target_off)
{
    const ofts_instrument_t *inst = ofts_instrument_find(o->symbol);
    if (!inst)
        return "unknown symbol";
    if (o->quantity == 0)
        return "quantity must be > 0";
    if (o->side != OFTS__SIDE__SIDE_BUY && o->side != OFTS__SIDE__SIDE_SELL)
        return "side must be buy or sell";
    if (o->client_order_id[0] == 0 || strlen(o->client_order_id) > BROKER_COID_LEN - 4)
        return "client order id empty or too long";
    if (s_known_id(self, o->client_order_id))
        return "client order id already used";
    if (o->type != OFTS__ORDER_TYPE__ORDER_TYPE_MARKET && (o->price <= 0 || o->price % inst->tick))
        return "price missing or not on a tick";
    *stop_off = *target_off = 0;
    if (o->stop == 0 && o->take_profit == 0)
        return NULL;
    if (o->price <= 0)
        return "bracket needs a reference price";
    bool buy = o->side == OFTS__SIDE__SIDE_BUY;
    *stop_off = o->stop ? o->stop - o->price : 0;
    *target_off = o->take_profit ? o->take_profit - o->price : 0;
    if ((o->stop && (o->stop % inst->tick)) || (o->take_profit && (o->take_profit % inst->tick)))
        return "bracket price not on a tick";
    if (o->stop && (buy ? *stop_off >= 0 : *stop_off <= 0))
        return "stop on the wrong side of the entry";
    if (o->take_profit && (buy ? *target_off <= 0 : *target_off >= 0))
        return "target on the wrong side of the entry";
    return NULL;
}

static void
s_add_child(paper_broker_t *self, const broker_order_t *entry, int role, int64_t now_ns)
{
    porder_t row;
    memset(&row, 0, sizeof(row));
    broker_order_t *c = &row.order;
    snprintf(c->client_order_id, sizeof(c->client_order_id), "%s-%s", entry->client_order_id,
             role == OFTS__ORDER_ROLE__ROLE_STOP ? "SL" : "TP");
    broker_strlcpy(c->parent_id, entry->client_order_id, sizeof(c->parent_id));
    snprintf(c->broker_order_id, sizeof(c->broker_order_id), "P%s%" PRId64, self->id_tag, s_next_seq(self));
    broker_strlcpy(c->signal_id, entry->signal_id, sizeof(c->signal_id));
    broker_strlcpy(c->symbol, entry->symbol, sizeof(c->symbol));
    broker_strlcpy(c->contract, entry->contract, sizeof(c->contract));
    c->role = role;
    c->side = entry->side == OFTS__SIDE__SIDE_BUY ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY;
    c->type = role == OFTS__ORDER_ROLE__ROLE_STOP ? OFTS__ORDER_TYPE__ORDER_TYPE_STOP
                                                   : OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT;
    c->status = OFTS__ORDER_STATUS__STATUS_PENDING;
    c->quantity = entry->quantity;
    broker_strlcpy(c->text, "suspended until the entry fills", sizeof(c->text));
    c->created_ns = now_ns;
    row.suspended = true;
    size_t index = s_append(self, &row);
    s_publish_order(self, index, now_ns);
}

static broker_result_t
s_place(void *impl, broker_order_t *order, int64_t now_ns)
{
    paper_broker_t *self = impl;
    int64_t stop_off, target_off;
    const char *why = s_validate(self, order, &stop_off, &target_off);
    if (why)
        return s_reject(order, why);
    porder_t row;
    memset(&row, 0, sizeof(row));
    row.order = *order;
    row.stop_off = stop_off;
    row.target_off = target_off;
    broker_order_t *o = &row.order;
    snprintf(o->broker_order_id, sizeof(o->broker_order_id), "P%s%" PRId64, self->id_tag, s_next_seq(self));
    o->status = OFTS__ORDER_STATUS__STATUS_WORKING;
    o->filled_quantity = 0;
    o->avg_fill_price = 0;
    o->text[0] = 0;
    o->created_ns = now_ns;
    if (!o->contract[0]) {
        quote_t *q = s_order_quote(self, o);
        if (q)
            broker_strlcpy(o->contract, q->contract, sizeof(o->contract));
    }
    size_t index = s_append(self, &row);
    *order = self->orders[index].order;
    s_tif_add(self, order);
    s_publish_order(self, index, now_ns);
    if (order->stop)
        s_add_child(self, order, OFTS__ORDER_ROLE__ROLE_STOP, now_ns);
    if (order->take_profit)
        s_add_child(self, order, OFTS__ORDER_ROLE__ROLE_TARGET, now_ns);
    if (order->type == OFTS__ORDER_TYPE__ORDER_TYPE_MARKET)
        s_fill_markets(self, order->symbol, now_ns);
    s_compact(self);
    return BROKER_OK;
}

static broker_result_t
s_cancel(void *impl, const char *client_order_id, int64_t now_ns)
{
    paper_broker_t *self = impl;
    int index = s_find(self, client_order_id);
    if (index < 0 || broker_status_terminal(self->orders[index].order.status))
        return BROKER_REJECTED;         //  unknown, or already filled / cancelled
    s_cancel_index(self, (size_t) index, "cancelled by request", now_ns);
    //  An entry takes its waiting children with it.
    for (size_t i = 0; i < self->norders; i++)
        if (self->orders[i].suspended && strcmp(self->orders[i].order.parent_id, client_order_id) == 0)
            s_cancel_index(self, i, "entry cancelled", now_ns);
    s_compact(self);
    return BROKER_OK;
}

static broker_result_t
s_flatten(void *impl, const char *symbol, const char *flatten_id, int64_t now_ns)
{
    paper_broker_t *self = impl;
    for (size_t i = 0; i < self->norders; i++) {
        broker_order_t *o = &self->orders[i].order;
        if (strcmp(o->symbol, symbol) == 0 && !broker_status_terminal(o->status))
            s_cancel_index(self, i, "flatten", now_ns);
    }
    s_compact(self);
    broker_position_t *pos = s_position(self, symbol, false);
    if (!pos || pos->quantity == 0)
        return BROKER_OK;
    broker_order_t order;
    memset(&order, 0, sizeof(order));
    broker_strlcpy(order.client_order_id, flatten_id, sizeof(order.client_order_id));
    broker_strlcpy(order.symbol, symbol, sizeof(order.symbol));
    broker_strlcpy(order.contract, pos->contract, sizeof(order.contract));
    order.role = OFTS__ORDER_ROLE__ROLE_FLATTEN;
    order.side = pos->quantity > 0 ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY;
    order.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    order.quantity = (uint32_t) abs(pos->quantity);
    return s_place(self, &order, now_ns);
}

static void
s_poll(void *impl, int64_t now_ns)
{
    (void) impl;
    (void) now_ns;                      //  nothing is time driven in paper
}

static size_t
s_positions(void *impl, broker_position_t *out, size_t max)
{
    paper_broker_t *self = impl;
    size_t n = 0;
    for (size_t i = 0; i < self->npositions && n < max; i++)
        if (self->positions[i].quantity != 0)
            out[n++] = self->positions[i];
    return n;
}

static size_t
s_open_orders(void *impl, broker_order_t *out, size_t max)
{
    paper_broker_t *self = impl;
    size_t n = 0;
    for (size_t i = 0; i < self->norders && n < max; i++)
        if (!broker_status_terminal(self->orders[i].order.status))
            out[n++] = self->orders[i].order;
    return n;
}

static int
s_find_order(void *impl, const char *client_order_id, broker_order_t *out)
{
    paper_broker_t *self = impl;
    int index = s_find(self, client_order_id);
    if (index >= 0) {
        *out = self->orders[index].order;
        return 0;
    }
    const porder_t *done = s_find_done(self, client_order_id);
    if (done) {
        *out = done->order;
        return 0;
    }
    order_store_paper_t row;
    if (self->store && order_store_paper_order_get(self->store, client_order_id, &row) == 1) {
        *out = row.order;
        return 0;
    }
    return -1;
}

static const broker_ops_t s_ops = {
    .name = "paper",
    .place = s_place,
    .cancel = s_cancel,
    .flatten = s_flatten,
    .poll = s_poll,
    .positions = s_positions,
    .open_orders = s_open_orders,
    .find_order = s_find_order,
};

//  ---------------------------------------------------------------------------
//  Life cycle and market data

//  What a Topstep account pays per contract, round turn, in cents
//  (exchange + clearing + NFA). Source: help.topstep.com "What are the
//  commissions and fees" (article 8284231) as quoted 2025-02 by a public
//  TopstepX fee table; ES $2.80 matches the ProjectX Trade/search example
//  ($1.40 a side, spec/topstepx.md §3.10). PL and MHG are not in that
//  table: UNCONFIRMED, charged like GC and MGC. config/default.json carries
//  the same table; docs/gateway-order.md says where it comes from.
static const struct {
    const char *root;
    int64_t cents;
} s_topstep_fees[] = {
    { "GC", 324 }, { "MGC", 124 }, { "SI", 324 }, { "SIL", 124 }, { "PL", 324 }, { "HG", 324 },
    { "MHG", 124 }, { "NQ", 280 }, { "MNQ", 74 }, { "ES", 280 }, { "MES", 74 },
};

void
paper_config_defaults(paper_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->slippage_ticks = PAPER_DEFAULT_SLIPPAGE_TICKS;
    cfg->fees_cents = PAPER_FEES_TABLE;
    cfg->entry_tif_ms = PAPER_DEFAULT_ENTRY_TIF_MS;
    for (size_t i = 0; i < sizeof s_topstep_fees / sizeof s_topstep_fees[0]; i++) {
        snprintf(cfg->fees_round_turn[i].root, sizeof cfg->fees_round_turn[i].root, "%s", s_topstep_fees[i].root);
        cfg->fees_round_turn[i].cents = s_topstep_fees[i].cents;
        cfg->nfees++;
    }
}

static void
s_set_fee(paper_config_t *cfg, const char *root, int64_t cents)
{
    for (size_t i = 0; i < cfg->nfees; i++)
        if (strcmp(cfg->fees_round_turn[i].root, root) == 0) {
            cfg->fees_round_turn[i].cents = cents;
            return;
        }
    if (cfg->nfees == PAPER_MAX_FEES)
        return;
    snprintf(cfg->fees_round_turn[cfg->nfees].root, sizeof cfg->fees_round_turn[0].root, "%s", root);
    cfg->fees_round_turn[cfg->nfees++].cents = cents;
}

void
paper_config_read(paper_config_t *cfg, ofts_cfgsec_t *sec)
{
    cfg->slippage_ticks = (int) ofts_cfgsec_int_range(sec, "slippage_ticks", cfg->slippage_ticks, 0, 100);
    cfg->fees_cents = ofts_cfgsec_int_range(sec, "fees_cents", cfg->fees_cents, PAPER_FEES_TABLE, 100000);
    cfg->entry_tif_ms = ofts_cfgsec_int_range(sec, "entry_tif_ms", cfg->entry_tif_ms, 0, 86400000);
    ofts_cfgsec_string(sec, "fees_source", NULL);      //  documentation only
    if (!ofts_cfgsec_has(sec, "fees_round_turn"))
        return;
    ofts_cfgsec_t *fees = ofts_cfgsec_section(sec, "fees_round_turn");
    const char *keys[PAPER_MAX_FEES];
    size_t n = ofts_cfgsec_keys(fees, keys, PAPER_MAX_FEES);
    for (size_t i = 0; i < n; i++) {
        double dollars = ofts_cfgsec_double_range(fees, keys[i], -1, 0, 1000);
        if (!ofts_instrument_find(keys[i]))
            ofts_cfgsec_fail(fees, keys[i], "unknown instrument root");
        else if (dollars >= 0)
            s_set_fee(cfg, keys[i], (int64_t) (dollars * 100 + 0.5));
    }
}

int64_t
paper_config_fee_cents(const paper_config_t *cfg, const char *root)
{
    if (cfg->fees_cents >= 0)
        return cfg->fees_cents;
    for (size_t i = 0; root && i < cfg->nfees; i++)
        if (strcmp(cfg->fees_round_turn[i].root, root) == 0)
            return cfg->fees_round_turn[i].cents / 2;
    return 0;
}

static void
s_load_order(void *arg, const order_store_paper_t *row)
{
    s_append(arg, row);
}

static void
s_load_position(void *arg, const broker_position_t *pos)
{
    paper_broker_t *self = arg;
    broker_position_t *p = s_position(self, pos->symbol, true);
    if (p)
        *p = *pos;
}

paper_broker_t *
paper_broker_new(const paper_config_t *cfg, order_store_t *store)
{
    paper_broker_t *self = calloc(1, sizeof(*self));
    if (cfg)
        self->cfg = *cfg;
    else
        paper_config_defaults(&self->cfg);
    self->store = store;
    broker_init(&self->broker, &s_ops, self);
    if (store) {
        self->seq = order_store_meta_get(store, "paper.seq", 0);
        int orders = order_store_paper_orders_each(store, true, s_load_order, self);
        int positions = order_store_paper_positions_each(store, s_load_position, self);
        if (orders > 0 || positions > 0)
            log_info("paper: restored %d working orders, %d positions from %s", orders, positions,
                     order_store_path(store));
    }
    return self;
}

void
paper_broker_destroy(paper_broker_t **self_p)
{
    paper_broker_t *self = *self_p;
    if (!self)
        return;
    free(self->orders);
    free(self);
    *self_p = NULL;
}

void
paper_broker_set_account(paper_broker_t *self, const char *account)
{
    //  FNV-1a: short, and the same for an account whatever its place in
    //  the list, so ids stay unique across restarts and reorderings.
    uint32_t h = 2166136261u;
    for (const char *c = account ? account : ""; *c; c++)
        h = (h ^ (uint8_t) *c) * 16777619u;
    if (account && *account)
        snprintf(self->id_tag, sizeof(self->id_tag), "%06x-", h & 0xffffff);
    else
        self->id_tag[0] = 0;
}

broker_t *
paper_broker_broker(paper_broker_t *self)
{
    return &self->broker;
}

static int64_t
s_side_px(int64_t px)
{
    return px <= 0 || px == INT64_MAX ? 0 : px;
}

//  Orders placed without a contract trade the first contract the feed
//  shows for their symbol, from then on.
static void
s_adopt_contract(paper_broker_t *self, const char *symbol, const char *contract)
{
    if (!contract || !contract[0])
        return;
    for (size_t i = 0; i < self->norders; i++) {
        broker_order_t *o = &self->orders[i].order;
        if (!o->contract[0] && ofts_same_name(o->symbol, symbol))
            broker_strlcpy(o->contract, contract, sizeof(o->contract));
    }
}

//  Market data older than what this contract already showed is ignored: a
//  replay restarted from the beginning of its file must not fill (or stop
//  out) orders on prices from the past. Live data never goes back per
//  contract; equal times (a trade and the book it left) pass.
static bool
s_rewound(paper_broker_t *self, quote_t *q, int64_t ts_ns)
{
    if (q->ts && ts_ns < q->ts - PAPER_REWIND_SLACK_NS) {
        self->rewound++;
        return true;
    }
    if (ts_ns > q->ts)
        q->ts = ts_ns;
    return false;
}

//  symbol and contract are the caller's (contract may be NULL) or the
//  quote's own copies (by slot): the same text either way.
static void
s_on_bbo(paper_broker_t *self, quote_t *q, const char *symbol, const char *contract, int64_t bid,
         int64_t ask, int64_t ts_ns)
{
    if (!q || s_rewound(self, q, ts_ns))
        return;
    q->bid = s_side_px(bid);
    q->ask = s_side_px(ask);
    q->touched = ++self->quote_clock;
    if (self->norders == 0 && self->ntif == 0)
        return;                         //  nothing working: nothing to adopt, expire, fill or compact
    s_adopt_contract(self, symbol, contract);
    s_tif_check(self, symbol, contract, ts_ns);
    s_fill_markets(self, symbol, ts_ns);
    s_compact(self);
}

static void
s_on_trade(paper_broker_t *self, quote_t *q, const char *symbol, const char *contract, int64_t price,
           int64_t ts_ns)
{
    if (!q || s_side_px(price) == 0 || s_rewound(self, q, ts_ns))
        return;
    q->last = price;
    q->touched = ++self->quote_clock;
    if (self->norders == 0 && self->ntif == 0)
        return;
    s_adopt_contract(self, symbol, contract);
    s_tif_check(self, symbol, contract, ts_ns);
    s_fill_markets(self, symbol, ts_ns);
    s_match_trade(self, q, symbol, contract, price, ts_ns);
    s_compact(self);
}

void
paper_broker_on_bbo(paper_broker_t *self, const char *symbol, const char *contract, int64_t bid,
                    int64_t ask, int64_t ts_ns)
{
    s_on_bbo(self, s_quote(self, symbol, contract, true), symbol, contract, bid, ask, ts_ns);
}

void
paper_broker_on_trade(paper_broker_t *self, const char *symbol, const char *contract, int64_t price,
                      int64_t ts_ns)
{
    s_on_trade(self, s_quote(self, symbol, contract, true), symbol, contract, price, ts_ns);
}

void
paper_broker_on_md(paper_broker_t *self, const Ofts__Envelope *env, int64_t ts_ns)
{
    if (env->body_case == OFTS__ENVELOPE__BODY_TRADE && env->trade)
        paper_broker_on_trade(self, env->trade->symbol, env->trade->contract, env->trade->price, ts_ns);
    else if (env->body_case == OFTS__ENVELOPE__BODY_BBO && env->bbo)
        paper_broker_on_bbo(self, env->bbo->symbol, env->bbo->contract, env->bbo->bid_px,
                            env->bbo->ask_px, ts_ns);
}

int
paper_broker_quote_slot(paper_broker_t *self, const char *symbol, const char *contract)
{
    quote_t *q = s_quote(self, symbol, contract, true);
    return q ? (int) (q - self->quotes) : -1;
}

void
paper_broker_on_md_at(paper_broker_t *self, int slot, const Ofts__Envelope *env, int64_t ts_ns)
{
    quote_t *q = slot >= 0 && (size_t) slot < self->nquotes ? &self->quotes[slot] : NULL;
    if (!q)
        return;
    if (env->body_case == OFTS__ENVELOPE__BODY_TRADE && env->trade)
        s_on_trade(self, q, q->symbol, q->contract, env->trade->price, ts_ns);
    else if (env->body_case == OFTS__ENVELOPE__BODY_BBO && env->bbo)
        s_on_bbo(self, q, q->symbol, q->contract, env->bbo->bid_px, env->bbo->ask_px, ts_ns);
}

uint64_t paper_broker_rewound(paper_broker_t *self) { return self->rewound; }
uint64_t paper_broker_expired(paper_broker_t *self) { return self->expired; }

int32_t
paper_broker_position(paper_broker_t *self, const char *symbol)
{
    broker_position_t *p = s_position(self, symbol, false);
    return p ? p->quantity : 0;
}

int64_t
paper_broker_realized_cents(paper_broker_t *self, const char *symbol)
{
    broker_position_t *p = s_position(self, symbol, false);
    return p ? p->realized_pnl_cents : 0;
}

size_t
paper_broker_order_count(paper_broker_t *self)
{
    return self->norders;
}
