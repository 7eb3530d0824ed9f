/*  broker_projectx - broker_t over the ProjectX REST client; see the header. */
#include <ctype.h>
#include <czmq.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "broker_projectx.h"
#include "projectx_hubws.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include "ofts.pb-c.h"

#define MAX_SYMBOLS 32
#define MAX_OPEN 512                    //  Order/searchOpen rows a flatten reads
#define NS_PER_MS ((int64_t) 1000000)
#define LOOKBACK_NS (12LL * 3600 * 1000000000LL)   //  first search window
//  The search window starts this far before the oldest order still
//  working (or before the last poll when none is): clock skew and late
//  rows. It moves forward as orders finish, so a service that runs for
//  days never drags its whole history through every poll.
#define WINDOW_MARGIN_NS (5LL * 60 * 1000000000LL)
//  An order whose place was ambiguous and that the broker still does not
//  know by tag this long after is not there.
#define UNKNOWN_SETTLE_NS (60LL * 1000000000LL)
//  Trade ids older than the window by this much are forgotten.
#define TRADES_KEEP_NS (3600LL * 1000000000LL)
//  A position read that the fills told so far do not explain is held back
//  until they do, for at most this many later trade reads or this long
//  (then told anyway: a real discrepancy, e.g. a trade in the broker's UI).
#define HOLD_READS 2
#define HOLD_MAX_NS (30LL * 1000000000LL)

//  One poll's answers, made on the I/O thread, applied on the caller's.
typedef struct {
    projectx_order_info_t *orders;
    size_t norders;
    projectx_trade_t *trades;
    size_t ntrades;
    projectx_position_t positions[MAX_SYMBOLS];
    size_t npositions;
    bool orders_ok, trades_ok, positions_ok;
    int64_t as_of_ns;                   //  projectx clock when the poll began
} snapshot_t;

typedef struct {
    broker_order_t order;
    int64_t px_id;                      //  ProjectX order id; 0 until known
    char contract_id[PROJECTX_CONTRACT_LEN];
    bool flatten;                       //  a closeContract stand-in
    uint32_t executed;                  //  flatten: contracts of close trades seen
    int64_t tif_deadline_ns;            //  limit entry: cancel unfilled after (0: none)
    bool tif_lapsed;                    //  we cancelled it for its time in force
} tracked_t;

typedef struct {
    char symbol[BROKER_SYM_LEN];
    projectx_contract_t contract;
} contract_entry_t;

//  A symbol's fills told since its position was last told: told + filled
//  is what a listener that adds fills to positions (risk) holds now.
typedef struct {
    char symbol[BROKER_SYM_LEN];
    int32_t filled;                     //  signed contracts
    int64_t held_ns;                    //  a read was first held then (0: none held)
    int reads;                          //  trade reads applied since
} book_t;

struct _broker_projectx_t {
    broker_t broker;
    projectx_t *client;
    int poll_ms;
    int64_t entry_tif_ns;               //  limit entries' time in force (0: none)
    char *hub_url;
    //  The caller's thread (broker_ops) only:
    tracked_t *orders;
    size_t norders, cap;
    zhashx_t *by_tag;                   //  client order id -> index + 1
    zhashx_t *by_px;                    //  ProjectX order id -> index + 1
    contract_entry_t contracts[MAX_SYMBOLS];
    size_t ncontracts;
    broker_position_t positions[MAX_SYMBOLS];   //  as told to the listener
    size_t npositions;
    book_t books[MAX_SYMBOLS];
    size_t nbooks;
    zhashx_t *trades_seen;              //  trade id -> its time (ns)
    bool hub_up_seen;
    unsigned applied;                   //  kinds of read applied so far (orders 1, trades 2, positions 4)
    //  Shared with the I/O thread, under mx:
    pthread_mutex_t mx;
    snapshot_t *ready;                  //  newest poll, not yet applied
    int64_t since_ns;                   //  search window start (0: first poll)
    bool poll_soon;                     //  the caller changed something, or the hub rang: look
    bool hub_up, stop;
    bool synced;                        //  every kind of read applied once (broker_projectx_synced)
    broker_projectx_stats_t stats;
    //  The I/O thread only: the poll clock.
    pthread_t io;
    bool io_started;
    bool retry;                         //  the last poll failed: ask again at the next slot
    int64_t last_poll_ms;
    //  The hub thread only: the user hub (none without hub_url).
    pthread_t hub_thread;
    bool hub_started;
    projectx_hubws_t *ws;
    projectx_userhub_t *hub;
    char token[4096];
    //  Several accounts of one login: the adapters of the other accounts,
    //  whose events this one's hub also brings (broker_projectx_new_shared).
    broker_projectx_t *peers[PROJECTX_USERHUB_MAX_ACCOUNTS];
    size_t npeers;
};

//  ---------------------------------------------------------------------------
//  Mapping

static int
s_status(int px_status)
{
    switch (px_status) {
    case PROJECTX_STATUS_OPEN:
    case PROJECTX_STATUS_PENDING_CANCEL:
        return OFTS__ORDER_STATUS__STATUS_WORKING;
    case PROJECTX_STATUS_FILLED:
        return OFTS__ORDER_STATUS__STATUS_FILLED;
    case PROJECTX_STATUS_CANCELLED:
        return OFTS__ORDER_STATUS__STATUS_CANCELLED;
    case PROJECTX_STATUS_EXPIRED:
        return OFTS__ORDER_STATUS__STATUS_EXPIRED;
    case PROJECTX_STATUS_REJECTED:
        return OFTS__ORDER_STATUS__STATUS_REJECTED;
    case PROJECTX_STATUS_PENDING:
    case PROJECTX_STATUS_SUSPENDED:
        return OFTS__ORDER_STATUS__STATUS_PENDING;
    default:
        return OFTS__ORDER_STATUS__STATUS_UNKNOWN;  //  reconcile decides
    }
}

static int
s_type(int px_type)
{
    return px_type == PROJECTX_TYPE_LIMIT ? OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT
         : px_type == PROJECTX_TYPE_STOP || px_type == PROJECTX_TYPE_TRAILING_STOP
           ? OFTS__ORDER_TYPE__ORDER_TYPE_STOP : OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
}

static int
s_side(int px_side)
{
    return px_side == PROJECTX_SIDE_BUY ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
}

//  "CON.F.US.GCE.Z26" -> the instrument whose projectx symbolId is F.US.GCE.
static const ofts_instrument_t *
s_instrument_of(const char *contract_id)
{
    const char *p = strncmp(contract_id, "CON.", 4) == 0 ? contract_id + 4 : contract_id;
    const char *dot = strrchr(p, '.');
    size_t len = dot ? (size_t) (dot - p) : strlen(p);
    for (size_t i = 0; i < ofts_instrument_count(); i++) {
        const ofts_instrument_t *inst = ofts_instrument_at(i);
        if (inst->projectx_symbol && strlen(inst->projectx_symbol) == len
            && strncmp(inst->projectx_symbol, p, len) == 0)
            return inst;
    }
    return NULL;
}

//  A ProjectX order as a broker_order_t: the tag says who it is.
static void
s_from_info(broker_order_t *o, const projectx_order_info_t *info)
{
    memset(o, 0, sizeof(*o));
    broker_strlcpy(o->client_order_id, info->custom_tag, sizeof(o->client_order_id));
    snprintf(o->broker_order_id, sizeof(o->broker_order_id), "%" PRId64, info->id);
    const ofts_instrument_t *inst = s_instrument_of(info->contract_id);
    broker_strlcpy(o->symbol, inst ? inst->root : info->contract_id, sizeof(o->symbol));
    broker_strlcpy(o->contract, info->contract_id, sizeof(o->contract));
    size_t len = strlen(o->client_order_id);
    o->role = OFTS__ORDER_ROLE__ROLE_ENTRY;
    if (len > 3 && strcmp(o->client_order_id + len - 3, "-SL") == 0)
        o->role = OFTS__ORDER_ROLE__ROLE_STOP;
    else if (len > 3 && strcmp(o->client_order_id + len - 3, "-TP") == 0)
        o->role = OFTS__ORDER_ROLE__ROLE_TARGET;
    if (o->role != OFTS__ORDER_ROLE__ROLE_ENTRY) {
        broker_strlcpy(o->parent_id, o->client_order_id, sizeof(o->parent_id));
        o->parent_id[len - 3] = 0;
    }
    o->side = s_side(info->side);
    o->type = s_type(info->type);
    o->status = s_status(info->status);
    o->quantity = (uint32_t) info->size;
    o->filled_quantity = (uint32_t) info->fill_volume;
    o->price = info->limit_price != OFTS_UNDEF_PRICE ? info->limit_price
             : info->stop_price != OFTS_UNDEF_PRICE ? info->stop_price : 0;
    o->avg_fill_price = info->filled_price != OFTS_UNDEF_PRICE ? info->filled_price : 0;
    o->created_ns = info->created_ns;
    o->updated_ns = info->updated_ns;
}

//  ---------------------------------------------------------------------------
//  Tracking

static tracked_t *
s_tracked(broker_projectx_t *self, const char *client_order_id)
{
    uintptr_t at = (uintptr_t) zhashx_lookup(self->by_tag, client_order_id);
    return at ? &self->orders[at - 1] : NULL;
}

static tracked_t *
s_tracked_px(broker_projectx_t *self, int64_t px_id)
{
    char key[24];
    snprintf(key, sizeof key, "%" PRId64, px_id);
    uintptr_t at = (uintptr_t) zhashx_lookup(self->by_px, key);
    return at ? &self->orders[at - 1] : NULL;
}

static void
s_index(broker_projectx_t *self, size_t i)
{
    tracked_t *t = &self->orders[i];
    zhashx_update(self->by_tag, t->order.client_order_id, (void *) (uintptr_t) (i + 1));
    if (t->px_id) {
        char key[24];
        snprintf(key, sizeof key, "%" PRId64, t->px_id);
        zhashx_update(self->by_px, key, (void *) (uintptr_t) (i + 1));
    }
}

static tracked_t *
s_track(broker_projectx_t *self, const broker_order_t *order, int64_t px_id, const char *contract_id)
{
    tracked_t *t = s_tracked(self, order->client_order_id);
    if (!t) {
        if (self->norders == self->cap) {
            self->cap = self->cap ? self->cap * 2 : 32;
            self->orders = realloc(self->orders, self->cap * sizeof(tracked_t));
        }
        t = &self->orders[self->norders++];
        memset(t, 0, sizeof(*t));
    }
    int64_t created = t->order.created_ns;
    t->order = *order;
    if (!t->order.created_ns)
        t->order.created_ns = created;
    if (px_id)
        t->px_id = px_id;
    if (contract_id)
        broker_strlcpy(t->contract_id, contract_id, sizeof(t->contract_id));
    s_index(self, (size_t) (t - self->orders));
    return t;
}

//  Ask the I/O thread to poll soon (after a place, cancel or close).
static void
s_poll_soon(broker_projectx_t *self)
{
    pthread_mutex_lock(&self->mx);
    self->poll_soon = true;
    pthread_mutex_unlock(&self->mx);
}

static const projectx_contract_t *
s_contract(broker_projectx_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->ncontracts; i++)
        if (strcmp(self->contracts[i].symbol, symbol) == 0)
            return &self->contracts[i].contract;
    if (self->ncontracts == MAX_SYMBOLS)
        return NULL;
    contract_entry_t *e = &self->contracts[self->ncontracts];
    if (projectx_resolve_contract(self->client, symbol, &e->contract) != PROJECTX_OK) {
        log_error("projectx: no active contract for %s: %s", symbol, projectx_last_error(self->client));
        return NULL;
    }
    broker_strlcpy(e->symbol, symbol, sizeof(e->symbol));
    self->ncontracts++;
    log_info("projectx: %s trades as %s", symbol, e->contract.id);
    return &e->contract;
}

int
broker_projectx_contract_for(const char *active_id, const char *contract, char *out, size_t size)
{
    const ofts_instrument_t *inst = contract ? ofts_instrument_for_contract(contract) : NULL;
    const char *dot = strrchr(active_id, '.');
    size_t root = inst ? strlen(inst->root) : 0;
    if (!inst || !contract[root]) {                         //  no month named: the active one
        snprintf(out, size, "%s", active_id);
        return 0;
    }
    const char *month = contract + root;                    //  "Z6" / "G7" / "Z26"
    if (!dot || strlen(dot) != 4 || !isdigit((unsigned char) dot[2]) || !isdigit((unsigned char) dot[3]))
        return -1;
    int active_yy = (dot[2] - '0') * 10 + (dot[3] - '0');
    int yy = strlen(month) == 3 ? atoi(month + 1) : (active_yy / 10) * 10 + (month[1] - '0');
    if (yy < active_yy - 1)
        yy += 10;                                           //  GCH0 while Z29 is active: 2030
    snprintf(out, size, "%.*s.%c%02d", (int) (dot - active_id), active_id, month[0], yy % 100);
    return 0;
}

//  ---------------------------------------------------------------------------
//  Time in force of limit entries (issue 12: like paper, an entry limit not
//  filled within entry_tif_ms is cancelled and reported EXPIRED). ProjectX
//  has no time in force of its own for our orders; with Auto OCO brackets
//  the legs exist only once the entry fills, so a lapsed entry never gets
//  its bracket. The clock is the caller's (place and poll get the same).

static bool
s_tif_applies(const broker_projectx_t *self, const broker_order_t *o)
{
    return self->entry_tif_ns > 0 && o->role == OFTS__ORDER_ROLE__ROLE_ENTRY
        && o->type == OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT && !broker_status_terminal(o->status);
}

//  From now (our place) or from the broker's creation time (an entry found
//  at the broker after a restart).
static void
s_tif_start(broker_projectx_t *self, tracked_t *t, int64_t from_ns)
{
    if (t && !t->tif_deadline_ns && s_tif_applies(self, &t->order) && from_ns > 0)
        t->tif_deadline_ns = from_ns + self->entry_tif_ns;
}

static broker_result_t s_cancel(void *impl, const char *client_order_id, int64_t now_ns);

//  Cancel the limit entries whose time in force lapsed. A cancel refused
//  (it filled meanwhile) is left to the polls; an ambiguous one is tried
//  again a second later.
static void
s_tif_check(broker_projectx_t *self, int64_t now_ns)
{
    for (size_t i = 0; i < self->norders; i++) {
        tracked_t *t = &self->orders[i];
        if (!t->tif_deadline_ns || t->tif_lapsed || now_ns < t->tif_deadline_ns || !s_tif_applies(self, &t->order))
            continue;
        log_info("projectx: %s: time in force %lld ms lapsed unfilled: cancelling", t->order.client_order_id,
                 (long long) (self->entry_tif_ns / NS_PER_MS));
        broker_result_t rc = s_cancel(self, t->order.client_order_id, now_ns);
        t = &self->orders[i];
        if (rc == BROKER_AMBIGUOUS)
            t->tif_deadline_ns = now_ns + 1000 * NS_PER_MS;
        else
            t->tif_lapsed = rc == BROKER_OK;
    }
}

//  Our cancel for the time in force shows as CANCELLED at the broker: say
//  EXPIRED and why, as paper does.
static void
s_tif_report(const broker_projectx_t *self, const tracked_t *t, broker_order_t *o)
{
    if (!t || !t->tif_lapsed || o->status != OFTS__ORDER_STATUS__STATUS_CANCELLED)
        return;
    o->status = OFTS__ORDER_STATUS__STATUS_EXPIRED;
    snprintf(o->text, sizeof(o->text), "time in force %lld ms lapsed %s", (long long) (self->entry_tif_ns / NS_PER_MS),
             o->filled_quantity ? "partly filled: rest cancelled" : "unfilled");
}

//  ---------------------------------------------------------------------------
//  broker_ops

//  A bracket leg's distance from the entry reference in whole ticks. 0 when
//  the leg is not asked for. A leg under one tick away would round to 0 and
//  silently go out unprotected on that side: refuse the order instead.
static int
s_bracket_ticks(broker_order_t *order, const char *leg, int64_t level, int64_t tick, int32_t *ticks)
{
    *ticks = 0;
    if (!level)
        return 0;
    int64_t distance = llabs((long long) (order->price - level));
    if (distance / tick >= 1) {
        *ticks = (int32_t) (distance / tick);
        return 0;
    }
    char a[32], b[32], c[32];
    snprintf(order->text, sizeof(order->text), "%s %s is under one tick (%s) from the reference %s: "
             "refused", leg, ofts_price_str(level, a, sizeof a), ofts_price_str(tick, b, sizeof b),
             ofts_price_str(order->price, c, sizeof c));
    order->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
    log_warn("projectx: %s: %s", order->client_order_id, order->text);
    return -1;
}

static broker_result_t
s_place(void *impl, broker_order_t *order, int64_t now_ns)
{
    broker_projectx_t *self = impl;
    const projectx_contract_t *c = s_contract(self, order->symbol);
    if (!c) {
        broker_strlcpy(order->text, "no active ProjectX contract for the symbol", sizeof(order->text));
        order->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
        return BROKER_REJECTED;
    }
    //  The order goes to the month whose order flow made the signal; ProjectX
    //  trades one month per root (its active contract): another is refused.
    char wanted[PROJECTX_CONTRACT_LEN];
    if (broker_projectx_contract_for(c->id, order->contract, wanted, sizeof(wanted)) != 0
        || strcmp(wanted, c->id) != 0) {
        snprintf(order->text, sizeof(order->text), "%s (%s) is not the month ProjectX trades for %s (%s)",
                 order->contract, wanted, order->symbol, c->id);
        order->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
        log_warn("projectx: refuse %s: %s", order->client_order_id, order->text);
        return BROKER_REJECTED;
    }
    int64_t tick = c->tick_size > 0 ? c->tick_size : 1;
    projectx_order_t px;
    memset(&px, 0, sizeof(px));
    broker_strlcpy(px.contract_id, c->id, sizeof(px.contract_id));
    px.side = order->side == OFTS__SIDE__SIDE_BUY ? PROJECTX_SIDE_BUY : PROJECTX_SIDE_SELL;
    px.size = (int32_t) order->quantity;
    px.limit_price = px.stop_price = OFTS_UNDEF_PRICE;
    if (order->type == OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT) {
        px.type = PROJECTX_TYPE_LIMIT;
        px.limit_price = order->price;
    }
    else if (order->type == OFTS__ORDER_TYPE__ORDER_TYPE_STOP) {
        px.type = PROJECTX_TYPE_STOP;
        px.stop_price = order->price;
    }
    else
        px.type = PROJECTX_TYPE_MARKET;
    //  Brackets are distances in ticks from the fill (spec §5.2): take them
    //  from the requested entry reference; the client applies the signs.
    if ((order->stop || order->take_profit) && order->price <= 0) {
        broker_strlcpy(order->text, "bracket needs a reference price", sizeof(order->text));
        order->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
        return BROKER_REJECTED;
    }
    if (s_bracket_ticks(order, "stop", order->stop, tick, &px.sl_ticks) != 0
        || s_bracket_ticks(order, "target", order->take_profit, tick, &px.tp_ticks) != 0)
        return BROKER_REJECTED;
    broker_strlcpy(px.custom_tag, order->client_order_id, sizeof(px.custom_tag));
    projectx_place_result_t res;
    memset(&res, 0, sizeof(res));
    int rc = projectx_place(self->client, &px, &res);
    if (res.order_id)
        snprintf(order->broker_order_id, sizeof(order->broker_order_id), "%" PRId64, res.order_id);
    order->created_ns = order->updated_ns = now_ns;
    if (rc == PROJECTX_OK) {
        order->status = OFTS__ORDER_STATUS__STATUS_WORKING;
        order->text[0] = 0;
        s_tif_start(self, s_track(self, order, res.order_id, c->id), now_ns);
        broker_emit_order(&self->broker, order);
        s_poll_soon(self);
        return BROKER_OK;
    }
    if (res.bracket_mode_error)
        snprintf(order->text, sizeof(order->text), "account is in Position Brackets mode: the operator "
                 "must switch it to Auto OCO Brackets (%s)", res.text);
    else
        snprintf(order->text, sizeof(order->text), "%s: %s", projectx_result_name(rc), res.text);
    if (rc == PROJECTX_UNKNOWN) {
        order->status = OFTS__ORDER_STATUS__STATUS_UNKNOWN;
        s_track(self, order, res.order_id, c->id);  //  the polls will find it by tag
        return BROKER_AMBIGUOUS;
    }
    order->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
    return BROKER_REJECTED;
}

static broker_result_t
s_cancel(void *impl, const char *client_order_id, int64_t now_ns)
{
    (void) now_ns;
    broker_projectx_t *self = impl;
    tracked_t *t = s_tracked(self, client_order_id);
    if (!t || !t->px_id || broker_status_terminal(t->order.status))
        return BROKER_REJECTED;
    projectx_status_t st;
    int rc = projectx_cancel(self->client, t->px_id, &st);
    if (rc == PROJECTX_OK) {
        s_poll_soon(self);
        return BROKER_OK;               //  the next poll reports CANCELLED
    }
    log_warn("projectx: cancel %s: %s", client_order_id, st.text);
    return rc == PROJECTX_UNKNOWN ? BROKER_AMBIGUOUS : BROKER_REJECTED;
}

static broker_position_t *
s_position(broker_projectx_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->npositions; i++)
        if (strcmp(self->positions[i].symbol, symbol) == 0)
            return &self->positions[i];
    return NULL;
}

//  symbol's book, made on first use (NULL when the table is full).
static book_t *
s_book(broker_projectx_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->nbooks; i++)
        if (strcmp(self->books[i].symbol, symbol) == 0)
            return &self->books[i];
    if (self->nbooks == MAX_SYMBOLS)
        return NULL;
    book_t *book = &self->books[self->nbooks++];
    memset(book, 0, sizeof *book);
    broker_strlcpy(book->symbol, symbol, sizeof book->symbol);
    return book;
}

//  Was ProjectX order px_id among the first n search results?
static bool
s_listed(const projectx_order_info_t *list, size_t n, int64_t px_id)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].id == px_id)
            return true;
    return false;
}

//  Cancel every working order of the account on symbol (any month), not
//  only the ones we track: a stop learned of by an instance that died
//  before saving it, or an order placed by hand, would otherwise outlive
//  the position and open a naked one later. Order/searchOpen lists the
//  working ones; tracked Suspended legs (not listed, spec §3.5) are
//  cancelled by id. false when the list could not be read.
static bool
s_cancel_working(broker_projectx_t *self, const char *symbol, int64_t now_ns)
{
    size_t count = 0;
    projectx_order_info_t *open = calloc(MAX_OPEN, sizeof *open);
    bool listed = projectx_open_orders(self->client, open, MAX_OPEN, &count) == PROJECTX_OK;
    if (!listed) {
        log_warn("projectx: flatten %s: open orders could not be listed: cancelling the tracked ones", symbol);
        count = 0;
    }
    if (count > MAX_OPEN)
        count = MAX_OPEN;
    for (size_t i = 0; i < count; i++) {
        const projectx_order_info_t *info = &open[i];
        const ofts_instrument_t *inst = s_instrument_of(info->contract_id);
        if (!inst || strcmp(inst->root, symbol) != 0)
            continue;
        projectx_status_t st;
        if (projectx_cancel(self->client, info->id, &st) == PROJECTX_OK)
            log_info("projectx: flatten %s: cancelled order %" PRId64 " (%s)", symbol, info->id,
                     info->custom_tag[0] ? info->custom_tag : "no tag: not placed by ofts");
        else
            log_warn("projectx: flatten %s: cancel %" PRId64 ": %s", symbol, info->id, st.text);
    }
    for (size_t i = 0; i < self->norders; i++) {
        tracked_t *t = &self->orders[i];
        if (strcmp(t->order.symbol, symbol) == 0 && t->px_id && !t->flatten
            && !broker_status_terminal(t->order.status) && !s_listed(open, count, t->px_id))
            s_cancel(self, t->order.client_order_id, now_ns);
    }
    free(open);
    return listed;
}

//  The position on symbol at the broker now: 1 read, 0 flat, -1 unreadable.
//  A flatten never decides by the last poll: an entry that filled since
//  (found when its cancel said "already filled") would be left open with
//  its legs just cancelled - naked (found by the soak: a flatten all right
//  after a place closed nothing, the position waited for the grace).
static int
s_position_now(broker_projectx_t *self, const char *symbol, broker_position_t *out)
{
    projectx_position_t px[MAX_SYMBOLS];
    size_t count = 0;
    if (projectx_open_positions(self->client, px, MAX_SYMBOLS, &count) != PROJECTX_OK)
        return -1;
    memset(out, 0, sizeof(*out));
    broker_strlcpy(out->symbol, symbol, sizeof(out->symbol));
    for (size_t i = 0; i < count && i < MAX_SYMBOLS; i++) {
        const ofts_instrument_t *inst = s_instrument_of(px[i].contract_id);
        if (inst && strcmp(inst->root, symbol) == 0 && px[i].size != 0) {
            out->quantity += px[i].type == PROJECTX_POSITION_SHORT ? -px[i].size : px[i].size;
            broker_strlcpy(out->contract, px[i].contract_id, sizeof(out->contract));
        }
    }
    return out->quantity != 0;
}

static broker_result_t
s_flatten(void *impl, const char *symbol, const char *flatten_id, int64_t now_ns)
{
    broker_projectx_t *self = impl;
    bool all_cancelled = s_cancel_working(self, symbol, now_ns);
    broker_position_t now_pos, *pos = &now_pos;
    int open = s_position_now(self, symbol, &now_pos);
    if (open < 0) {
        //  Unreadable: trust the last poll, and close anyway (a flat
        //  contract answers PositionNotFound, handled below).
        broker_position_t *last = s_position(self, symbol);
        memset(&now_pos, 0, sizeof(now_pos));
        if (last)
            now_pos = *last;
        log_warn("projectx: flatten %s: positions could not be read: closing anyway", symbol);
    }
    const projectx_contract_t *c = s_contract(self, symbol);
    if (open == 0 || !c)
        return all_cancelled ? BROKER_OK : BROKER_AMBIGUOUS;    //  nothing to close
    //  The month the position is in (an old month after a roll), else the active one.
    const char *contract_id = pos->contract[0] && !strncmp(pos->contract, "CON.", 4) ? pos->contract : c->id;
    projectx_status_t st;
    int rc = projectx_close_contract(self->client, contract_id, &st);
    if (rc == PROJECTX_REJECTED && st.error_code == 2) {
        //  PositionNotFound: it closed (a leg filled) since our last poll.
        log_info("projectx: close %s: already flat", contract_id);
        s_poll_soon(self);
        return all_cancelled ? BROKER_OK : BROKER_AMBIGUOUS;
    }
    if (rc == PROJECTX_REJECTED || rc == PROJECTX_ERROR) {
        log_error("projectx: close %s: %s", contract_id, st.text);
        return BROKER_REJECTED;
    }
    if (!all_cancelled)
        rc = PROJECTX_UNKNOWN;          //  the flatten is retried: orphans may remain
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    broker_strlcpy(o.client_order_id, flatten_id, sizeof(o.client_order_id));
    broker_strlcpy(o.symbol, symbol, sizeof(o.symbol));
    broker_strlcpy(o.contract, contract_id, sizeof(o.contract));
    o.role = OFTS__ORDER_ROLE__ROLE_FLATTEN;
    o.side = pos->quantity > 0 ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY;
    o.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    o.quantity = (uint32_t) abs(pos->quantity);
    o.status = OFTS__ORDER_STATUS__STATUS_WORKING;
    o.created_ns = o.updated_ns = now_ns;
    broker_strlcpy(o.text, "Position/closeContract", sizeof(o.text));
    tracked_t *t = s_track(self, &o, 0, contract_id);
    t->flatten = true;
    broker_emit_order(&self->broker, &o);
    s_poll_soon(self);                  //  look again soon
    return rc == PROJECTX_OK ? BROKER_OK : BROKER_AMBIGUOUS;
}

//  Order/search rows: new states of our tags, and the legs of our entries.
static void
s_apply_orders(broker_projectx_t *self, const snapshot_t *snap)
{
    for (size_t i = 0; i < snap->norders; i++) {
        const projectx_order_info_t *info = &snap->orders[i];
        if (!info->custom_tag[0])
            continue;
        broker_order_t o;
        s_from_info(&o, info);
        tracked_t *t = s_tracked(self, o.client_order_id);
        bool ours = t != NULL;
        if (!ours) {
            //  A leg of an entry we placed, or any order ofts tagged (an
            //  earlier instance placed it, or learned of it and died before
            //  saving it): track it whatever its parent's state, so the
            //  manager sees it and a flatten cancels it.
            ours = (o.parent_id[0] && s_tracked(self, o.parent_id) != NULL)
                || broker_ofts_tag(o.client_order_id);
            if (ours && !broker_status_terminal(o.status))
                log_info("projectx: adopting %s order %s (%" PRId64 ", %s) found at the broker",
                         broker_role_name(o.role), o.client_order_id, info->id, broker_status_name(o.status));
        }
        if (!ours)
            continue;
        s_tif_report(self, t, &o);
        if (t && t->order.status == o.status && t->order.filled_quantity == o.filled_quantity
            && t->order.price == o.price)
            continue;
        if (t) {                        //  keep what ProjectX does not echo
            broker_strlcpy(o.signal_id, t->order.signal_id, sizeof(o.signal_id));
            o.stop = t->order.stop;
            o.take_profit = t->order.take_profit;
        }
        t = s_track(self, &o, info->id, info->contract_id);
        s_tif_start(self, t, info->created_ns);
        broker_emit_order(&self->broker, &o);
    }
}

//  A closeContract execution belongs to the flatten on its contract still
//  waiting for it: one still working, else one a poll already saw flat
//  (Trade/search read before the close, Position/searchOpen after it:
//  the flatten was finished by the position and its trade came a poll
//  later - it was counted as an entry fill with no order id).
static tracked_t *
s_flatten_for_trade(broker_projectx_t *self, const projectx_trade_t *tr)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < self->norders; i++) {
            tracked_t *t = &self->orders[i];
            if (!t->flatten || strcmp(t->contract_id, tr->contract_id) != 0
                || broker_status_terminal(t->order.status) != (pass == 1))
                continue;
            if (pass == 0 || (t->executed < t->order.quantity && tr->created_ns >= t->order.created_ns - WINDOW_MARGIN_NS))
                return t;
        }
    return NULL;
}

static const char *
s_coid_for_trade(broker_projectx_t *self, const projectx_trade_t *tr, int *role)
{
    tracked_t *mine = s_tracked_px(self, tr->order_id);
    if (mine) {
        *role = mine->order.role;
        return mine->order.client_order_id;
    }
    //  Not one of ours by id: a closeContract execution for a flatten.
    tracked_t *t = s_flatten_for_trade(self, tr);
    if (t) {
        t->executed += (uint32_t) tr->size;
        *role = OFTS__ORDER_ROLE__ROLE_FLATTEN;
        return t->order.client_order_id;
    }
    *role = OFTS__ORDER_ROLE__ROLE_ENTRY;
    return "";
}

//  The close's execution is the flatten's fill: done when it is all there.
//  (Waiting for a poll that reads the position flat could wait for ever
//  when the next entry opens first, and a flatten left "working" would pin
//  the search window to its start.)
static void
s_flatten_filled(broker_projectx_t *self, const char *flatten_id, uint32_t qty, int64_t ts_ns)
{
    tracked_t *t = s_tracked(self, flatten_id);
    if (!t || !t->flatten || broker_status_terminal(t->order.status))
        return;
    t->order.filled_quantity += qty;
    if (t->order.filled_quantity < t->order.quantity)
        return;
    t->order.status = OFTS__ORDER_STATUS__STATUS_FILLED;
    t->order.updated_ns = ts_ns;
    broker_order_t copy = t->order;
    broker_emit_order(&self->broker, &copy);
}

static void
s_apply_trades(broker_projectx_t *self, const snapshot_t *snap)
{
    for (size_t i = 0; i < snap->ntrades; i++) {
        const projectx_trade_t *tr = &snap->trades[i];
        char id[BROKER_ID_LEN];
        snprintf(id, sizeof(id), "%" PRId64, tr->id);
        if (tr->voided || zhashx_lookup(self->trades_seen, id))
            continue;
        zhashx_update(self->trades_seen, id, (void *) (intptr_t) (tr->created_ns > 0 ? tr->created_ns : 1));
        broker_fill_t f;
        memset(&f, 0, sizeof(f));
        broker_strlcpy(f.fill_id, id, sizeof(f.fill_id));
        broker_strlcpy(f.client_order_id, s_coid_for_trade(self, tr, &f.role), sizeof(f.client_order_id));
        snprintf(f.broker_order_id, sizeof(f.broker_order_id), "%" PRId64, tr->order_id);
        const ofts_instrument_t *inst = s_instrument_of(tr->contract_id);
        broker_strlcpy(f.symbol, inst ? inst->root : tr->contract_id, sizeof(f.symbol));
        broker_strlcpy(f.contract, tr->contract_id, sizeof(f.contract));
        f.side = s_side(tr->side);
        f.price = tr->price;
        f.quantity = (uint32_t) tr->size;
        f.fees_cents = tr->fees_cents;
        f.ts_ns = tr->created_ns;
        broker_emit_fill(&self->broker, &f);
        book_t *book = s_book(self, f.symbol);
        if (book)
            book->filled += f.side == OFTS__SIDE__SIDE_BUY ? (int32_t) f.quantity : -(int32_t) f.quantity;
        if (f.role == OFTS__ORDER_ROLE__ROLE_FLATTEN)
            s_flatten_filled(self, f.client_order_id, f.quantity, f.ts_ns);
    }
    for (size_t i = 0; i < self->nbooks; i++)
        if (self->books[i].held_ns)
            self->books[i].reads++;
}

//  The position a read says for symbol (flat when not listed).
static broker_position_t
s_read_position(const broker_position_t *read, size_t n, const char *symbol)
{
    for (size_t j = 0; j < n; j++)
        if (strcmp(read[j].symbol, symbol) == 0)
            return read[j];
    broker_position_t flat;
    memset(&flat, 0, sizeof flat);
    broker_strlcpy(flat.symbol, symbol, sizeof flat.symbol);
    return flat;
}

//  Tell the listener symbol's position as read (when it changed), keep it
//  as told, and start its book again.
static void
s_tell_position(broker_projectx_t *self, const broker_position_t *read, book_t *book)
{
    broker_position_t *old = s_position(self, read->symbol);
    if (read->quantity == 0 && old) {
        broker_position_t flat = *old;  //  flat on the month it was in
        flat.quantity = 0;
        flat.avg_price = 0;
        *old = self->positions[--self->npositions];
        broker_emit_position(&self->broker, &flat);
    }
    else if (read->quantity != 0 && (!old || old->quantity != read->quantity || old->avg_price != read->avg_price)) {
        if (!old && self->npositions < MAX_SYMBOLS)
            old = &self->positions[self->npositions++];
        if (old)
            *old = *read;
        broker_emit_position(&self->broker, read);
    }
    if (book) {
        book->filled = 0;
        book->held_ns = 0;
        book->reads = 0;
    }
}

//  A read the fills told since the last position do not explain (a poll
//  read Trade/search before a close or an entry executed and
//  Position/searchOpen after it: the trade comes a poll later) is held:
//  told now, the position and then the late fill would both move risk's
//  (flat, then the close's fill on top: a phantom position and the close's
//  P&L lost). Told once the fills catch up - fill first, then position -
//  or anyway after HOLD_READS trade reads / HOLD_MAX_NS.
static void
s_settle_position(broker_projectx_t *self, const broker_position_t *read, int64_t now_ns)
{
    book_t *book = s_book(self, read->symbol);
    broker_position_t *told = s_position(self, read->symbol);
    int32_t expected = (told ? told->quantity : 0) + (book ? book->filled : 0);
    if (!book || read->quantity == expected) {
        s_tell_position(self, read, book);
        return;
    }
    if (!book->held_ns) {
        book->held_ns = now_ns > 0 ? now_ns : 1;
        pthread_mutex_lock(&self->mx);
        self->stats.positions_held++;
        pthread_mutex_unlock(&self->mx);
        log_info("projectx: position %s %d read, fills told say %d: held until the trade is read", read->symbol,
                 read->quantity, expected);
        s_poll_soon(self);
        return;
    }
    if (book->reads < HOLD_READS && now_ns - book->held_ns < HOLD_MAX_NS) {
        s_poll_soon(self);
        return;
    }
    log_warn("projectx: position %s %d at the broker, fills told say %d after %d trade reads: told as read "
             "(a trade not seen - placed by hand?)", read->symbol, read->quantity, expected, book->reads);
    pthread_mutex_lock(&self->mx);
    self->stats.positions_forced++;
    pthread_mutex_unlock(&self->mx);
    s_tell_position(self, read, book);
}

static void
s_apply_positions(broker_projectx_t *self, const snapshot_t *snap, int64_t now_ns)
{
    size_t count = snap->npositions;
    const projectx_position_t *px = snap->positions;
    broker_position_t now[MAX_SYMBOLS];
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        const ofts_instrument_t *inst = s_instrument_of(px[i].contract_id);
        if (!inst || px[i].size == 0)
            continue;
        memset(&now[n], 0, sizeof(now[n]));
        broker_strlcpy(now[n].symbol, inst->root, sizeof(now[n].symbol));
        broker_strlcpy(now[n].contract, px[i].contract_id, sizeof(now[n].contract));
        now[n].quantity = px[i].type == PROJECTX_POSITION_SHORT ? -px[i].size : px[i].size;
        now[n].avg_price = px[i].avg_price;
        n++;
    }
    //  The first read is told as it is: the fills before it (the look-back
    //  window's) are history, not news.
    bool first = !(self->applied & 4u);
    //  Gone since last told: flat now (or held).
    for (size_t i = self->npositions; i-- > 0;) {
        broker_position_t flat = s_read_position(now, n, self->positions[i].symbol);
        if (flat.quantity == 0)
            s_settle_position(self, &flat, now_ns);
    }
    for (size_t j = 0; j < n; j++) {
        if (first)
            s_tell_position(self, &now[j], s_book(self, now[j].symbol));
        else
            s_settle_position(self, &now[j], now_ns);
    }
    if (first)
        for (size_t i = 0; i < self->nbooks; i++)
            self->books[i].filled = 0;
    //  A flatten is done when its position is told flat (its fill told).
    for (size_t i = 0; i < self->norders; i++) {
        tracked_t *t = &self->orders[i];
        if (t->flatten && !broker_status_terminal(t->order.status) && !s_position(self, t->order.symbol)) {
            t->order.status = OFTS__ORDER_STATUS__STATUS_FILLED;
            t->order.filled_quantity = t->order.quantity;
            t->order.updated_ns = now_ns;
            broker_order_t copy = t->order;
            broker_emit_order(&self->broker, &copy);
        }
    }
}

//  Finished orders are kept for a while (a late trade still finds its
//  order id), then forgotten; find_order can always ask by tag.
static void
s_compact(broker_projectx_t *self)
{
    enum { KEEP = 256 };
    if (self->norders < 4 * KEEP)
        return;
    size_t kept = 0, cut = self->norders - KEEP;
    for (size_t i = 0; i < self->norders; i++)
        if (i >= cut || !broker_status_terminal(self->orders[i].order.status))
            self->orders[kept++] = self->orders[i];
    self->norders = kept;
    zhashx_purge(self->by_tag);
    zhashx_purge(self->by_px);
    for (size_t i = 0; i < self->norders; i++)
        s_index(self, i);
}

//  Trade ids from before the window can never come back in a reply.
static void
s_forget_trades(broker_projectx_t *self, int64_t since_ns)
{
    if (zhashx_size(self->trades_seen) < 1024)
        return;
    zlistx_t *keys = zhashx_keys(self->trades_seen);
    for (const char *key = zlistx_first(keys); key; key = zlistx_next(keys))
        if ((intptr_t) zhashx_lookup(self->trades_seen, key) < since_ns - TRADES_KEEP_NS)
            zhashx_delete(self->trades_seen, key);
    zlistx_destroy(&keys);
}

//  The next window starts before the oldest order still working (it can
//  still change) and never later than the last poll: a moving window, not
//  a fixed start with a row cap (issue #13: with a 12 h start and 512 rows,
//  the newest orders were the ones cut).
static void
s_move_window(broker_projectx_t *self, int64_t as_of_ns)
{
    int64_t start = as_of_ns;
    for (size_t i = 0; i < self->norders; i++) {
        const tracked_t *t = &self->orders[i];
        if (!broker_status_terminal(t->order.status) && t->order.created_ns > 0
            && t->order.created_ns < start)
            start = t->order.created_ns;
    }
    start -= WINDOW_MARGIN_NS;
    pthread_mutex_lock(&self->mx);
    self->since_ns = start;
    pthread_mutex_unlock(&self->mx);
    s_forget_trades(self, start);
}

static void
s_snapshot_free(snapshot_t **snap_p)
{
    if (*snap_p) {
        free((*snap_p)->orders);
        free((*snap_p)->trades);
        free(*snap_p);
        *snap_p = NULL;
    }
}

//  On the caller's thread: apply the newest poll the I/O thread made, if
//  any. Without one this is a lock and a pointer test (md handling stays
//  in microseconds; issue #11 §4).
static void
s_poll(void *impl, int64_t now_ns)
{
    broker_projectx_t *self = impl;
    pthread_mutex_lock(&self->mx);
    snapshot_t *snap = self->ready;
    self->ready = NULL;
    bool up = self->hub_up;
    pthread_mutex_unlock(&self->mx);
    self->hub_up_seen = up;
    s_tif_check(self, now_ns);
    if (!snap)
        return;
    if (snap->orders_ok)
        s_apply_orders(self, snap);
    if (snap->trades_ok)
        s_apply_trades(self, snap);
    if (snap->positions_ok)
        s_apply_positions(self, snap, now_ns);
    s_compact(self);
    if (snap->orders_ok)
        s_move_window(self, snap->as_of_ns);
    //  After the events it caused: whoever sees synced sees them queued.
    self->applied |= (snap->orders_ok ? 1u : 0) | (snap->trades_ok ? 2u : 0) | (snap->positions_ok ? 4u : 0);
    if (self->applied == 7u) {
        pthread_mutex_lock(&self->mx);
        self->synced = true;
        pthread_mutex_unlock(&self->mx);
    }
    s_snapshot_free(&snap);
}

static size_t
s_positions(void *impl, broker_position_t *out, size_t max)
{
    broker_projectx_t *self = impl;
    size_t n = self->npositions < max ? self->npositions : max;
    memcpy(out, self->positions, n * sizeof(*out));
    return n;
}

static size_t
s_open_orders(void *impl, broker_order_t *out, size_t max)
{
    broker_projectx_t *self = impl;
    size_t n = 0;
    //  Not the UNKNOWN ones: nobody knows they are open; left out, the
    //  manager asks find_order about them, which asks the broker again.
    for (size_t i = 0; i < self->norders && n < max; i++)
        if (!broker_status_terminal(self->orders[i].order.status)
            && self->orders[i].order.status != OFTS__ORDER_STATUS__STATUS_UNKNOWN)
            out[n++] = self->orders[i].order;
    return n;
}

static int
s_find_order(void *impl, const char *client_order_id, broker_order_t *out)
{
    broker_projectx_t *self = impl;
    tracked_t *t = s_tracked(self, client_order_id);
    bool unknown = t && t->order.status == OFTS__ORDER_STATUS__STATUS_UNKNOWN;
    if (t && !unknown) {
        *out = t->order;
        return 0;
    }
    //  Unknown (an ambiguous place) is asked again by tag: answering our own
    //  "unknown" for ever left it working here, and the search window
    //  pinned to it grew without end.
    projectx_order_info_t info;
    int rc = projectx_find_order_by_tag(self->client, client_order_id, 0, &info);
    if (rc == PROJECTX_NOT_FOUND && unknown
        && projectx_time_now_ms() * NS_PER_MS - t->order.created_ns < UNKNOWN_SETTLE_NS) {
        *out = t->order;                //  too early to call it absent
        return 0;
    }
    if (rc == PROJECTX_NOT_FOUND) {
        if (unknown) {
            t->order.status = OFTS__ORDER_STATUS__STATUS_REJECTED;
            broker_strlcpy(t->order.text, "not at the broker after an ambiguous place",
                           sizeof(t->order.text));
        }
        return -1;
    }
    if (rc != PROJECTX_OK)
        return -2;
    s_from_info(out, &info);
    if (t) {                            //  keep what ProjectX does not echo
        broker_strlcpy(out->signal_id, t->order.signal_id, sizeof(out->signal_id));
        out->stop = t->order.stop;
        out->take_profit = t->order.take_profit;
    }
    s_track(self, out, info.id, info.contract_id);  //  followed from now on
    return 0;
}

static const broker_ops_t s_ops = {
    .name = "projectx",
    .place = s_place,
    .cancel = s_cancel,
    .flatten = s_flatten,
    .poll = s_poll,
    .positions = s_positions,
    .open_orders = s_open_orders,
    .find_order = s_find_order,
    .remote = true,
};

//  ---------------------------------------------------------------------------
//  The I/O thread makes every REST read; the hub thread services the user
//  hub. The caller's thread never waits on either (issue #11 §4: with the
//  hub serviced from poll(), every md message waited >= 1 ms). They are two
//  threads because a read may wait seconds for the login's request budget
//  (shared by every account's poller, and places come first): the hub's
//  handshake, pings and events must not wait with it.

//  User hub: a doorbell for REST polls (see the header).
//  The hub is the login's: its up/down is news for every account's adapter.
//  up < 0: no change.
static void
s_ring_peers(broker_projectx_t *self, int up)
{
    for (size_t i = 0; i < self->npeers; i++) {
        broker_projectx_t *peer = self->peers[i];
        pthread_mutex_lock(&peer->mx);
        peer->poll_soon = true;
        if (up >= 0)
            peer->hub_up = up;
        pthread_mutex_unlock(&peer->mx);
    }
}

//  The account an event is about; 0 when it names none (log-out: everyone's).
static int64_t
s_event_account(const projectx_event_t *event)
{
    switch (event->kind) {
    case PROJECTX_EVENT_ACCOUNT: return event->u.account.id;
    case PROJECTX_EVENT_ORDER: return event->u.order.account_id;
    case PROJECTX_EVENT_POSITION: return event->u.position.account_id;
    case PROJECTX_EVENT_TRADE: return event->u.trade.account_id;
    default: return 0;
    }
}

//  An event rings only the adapter of the account it names: each polls its
//  own account, and every poll (3 reads) comes out of the login's one
//  request budget - ringing all N for one account's fill would spend N x.
static void
s_hub_event(void *arg, const projectx_event_t *event)
{
    broker_projectx_t *self = arg;
    int64_t account = s_event_account(event);
    if (!account || account == projectx_account_id(self->client)) {
        pthread_mutex_lock(&self->mx);
        self->poll_soon = true;
        self->stats.hub_events++;
        pthread_mutex_unlock(&self->mx);
    }
    for (size_t i = 0; i < self->npeers; i++) {
        broker_projectx_t *peer = self->peers[i];
        if (account && account != projectx_account_id(peer->client))
            continue;
        pthread_mutex_lock(&peer->mx);
        peer->poll_soon = true;
        peer->stats.hub_events++;
        pthread_mutex_unlock(&peer->mx);
    }
}

static void
s_hub_state(void *arg, bool up, const char *reason)
{
    broker_projectx_t *self = arg;
    pthread_mutex_lock(&self->mx);
    bool was = self->hub_up;
    self->hub_up = up;
    if (up && !was)
        self->stats.hub_ups++;
    self->poll_soon = true;             //  no replay after a reconnect: look now
    pthread_mutex_unlock(&self->mx);
    if (up != was) {
        if (up)
            log_info("projectx: user hub up: REST poll every %d ms + on events", self->poll_ms * 10);
        else
            log_warn("projectx: user hub down (%s): REST poll every %d ms", reason ? reason : "?",
                     self->poll_ms);
    }
    s_ring_peers(self, up);
}

static const char *
s_hub_token(void *arg)
{
    broker_projectx_t *self = arg;
    return projectx_token_copy(self->client, self->token, sizeof self->token) ? self->token : NULL;
}

//  A poll not yet applied is replaced by a newer one; a read the newer one
//  could not make keeps the older answer (the legs an earlier Order/search
//  saw must not vanish because the next one got a 429).
static void
s_snapshot_keep(snapshot_t *newer, snapshot_t *older)
{
    if (!newer->orders_ok && older->orders_ok) {
        newer->orders = older->orders;
        newer->norders = older->norders;
        newer->orders_ok = true;
        newer->as_of_ns = older->as_of_ns;  //  the window moves by what was read
        older->orders = NULL;
    }
    if (!newer->trades_ok && older->trades_ok) {
        newer->trades = older->trades;
        newer->ntrades = older->ntrades;
        newer->trades_ok = true;
        older->trades = NULL;
    }
    if (!newer->positions_ok && older->positions_ok) {
        memcpy(newer->positions, older->positions, sizeof newer->positions);
        newer->npositions = older->npositions;
        newer->positions_ok = true;
    }
}

//  One poll: three reads, coalescing every doorbell since the last one.
//  False when a read failed: what it would have said is still unknown.
static bool
s_poll_once(broker_projectx_t *self, int64_t since_ns)
{
    snapshot_t *snap = calloc(1, sizeof *snap);
    snap->as_of_ns = projectx_time_now_ms() * NS_PER_MS;
    if (!since_ns)
        since_ns = snap->as_of_ns - LOOKBACK_NS;
    projectx_keepalive(self->client);
    snap->orders_ok = projectx_search_orders_all(self->client, since_ns, 0, &snap->orders,
                                                 &snap->norders) == PROJECTX_OK;
    snap->trades_ok = projectx_trades_all(self->client, since_ns, 0, &snap->trades,
                                          &snap->ntrades) == PROJECTX_OK;
    size_t count = 0;
    snap->positions_ok = projectx_open_positions(self->client, snap->positions, MAX_SYMBOLS,
                                                 &count) == PROJECTX_OK;
    snap->npositions = count < MAX_SYMBOLS ? count : MAX_SYMBOLS;
    pthread_mutex_lock(&self->mx);
    if (self->ready) {
        self->stats.snapshots_replaced++;
        s_snapshot_keep(snap, self->ready);
    }
    s_snapshot_free(&self->ready);      //  the newer one says everything it did
    self->ready = snap;
    self->stats.polls++;
    if (snap->norders > self->stats.max_rows)
        self->stats.max_rows = snap->norders;
    bool complete = snap->orders_ok && snap->trades_ok && snap->positions_ok;
    if (!complete)
        self->stats.polls_incomplete++;
    pthread_mutex_unlock(&self->mx);
    return complete;
}

//  Wait at most ~1 s of projectx time per turn (less at accelerated time).
static int
s_turn_ms(void)
{
    int turn_ms = (int) (1000.0 / projectx_time_scale());
    return turn_ms < 1 ? 1 : turn_ms > 20 ? 20 : turn_ms;
}

//  A flag shared under mx, read from any thread.
static bool
s_read_flag(broker_projectx_t *self, const bool *flag)
{
    pthread_mutex_lock(&self->mx);
    bool value = *flag;
    pthread_mutex_unlock(&self->mx);
    return value;
}

static void *
s_hub_main(void *arg)
{
    broker_projectx_t *self = arg;
    int turn_ms = s_turn_ms();
    while (!s_read_flag(self, &self->stop))
        projectx_hubws_service(self->ws, turn_ms);
    projectx_userhub_destroy(&self->hub);       //  sends the SignalR Close
    projectx_hubws_attach(self->ws, NULL);
    for (int i = 0; i < 3; i++)
        projectx_hubws_service(self->ws, 5);    //  let the Close leave
    projectx_hubws_destroy(&self->ws);
    return NULL;
}

//  The user hub (hub_url set): its own thread. The login's one hub also
//  subscribes the peers' accounts.
static void
s_hub_start(broker_projectx_t *self)
{
    self->ws = projectx_hubws_new();
    projectx_hub_transport_t transport;
    projectx_hubws_transport(self->ws, &transport);
    projectx_hub_handler_t handler = { s_hub_event, s_hub_state, s_hub_token, self };
    self->hub = projectx_userhub_new(self->hub_url, projectx_account_id(self->client), NULL, &transport,
                                     &handler);
    for (size_t i = 0; self->hub && i < self->npeers; i++)
        projectx_userhub_add_account(self->hub, projectx_account_id(self->peers[i]->client));
    if (self->hub) {
        projectx_hubws_attach(self->ws, self->hub);
        self->hub_started = pthread_create(&self->hub_thread, NULL, s_hub_main, self) == 0;
    }
    if (!self->hub_started) {
        log_warn("projectx: user hub not started: REST polling only");
        projectx_userhub_destroy(&self->hub);
        projectx_hubws_destroy(&self->ws);
    }
}

static void *
s_io_main(void *arg)
{
    broker_projectx_t *self = arg;
    projectx_set_background_thread(self->client);
    int turn_ms = s_turn_ms();
    for (;;) {
        zclock_sleep(turn_ms);
        pthread_mutex_lock(&self->mx);
        bool stop = self->stop, soon = self->poll_soon, up = self->hub_up;
        int64_t since = self->since_ns;
        pthread_mutex_unlock(&self->mx);
        if (stop)
            break;
        int64_t now = projectx_time_mono_ms();
        int64_t since_last = now - self->last_poll_ms;
        int64_t interval = (int64_t) self->poll_ms * (up ? 10 : 1);
        //  A burst of events (or of our own orders) is one poll: at most
        //  one per poll_ms, however often the doorbell rings (default
        //  2 s: 3 reads / 2 s = 90 of the 200 a minute, at worst).
        bool rung = self->retry || soon;
        if (self->last_poll_ms && since_last < (rung ? self->poll_ms : interval))
            continue;
        pthread_mutex_lock(&self->mx);
        self->poll_soon = false;
        pthread_mutex_unlock(&self->mx);
        self->last_poll_ms = now;
        //  A read that failed (a 429, a time-out) is asked again at the next
        //  doorbell slot, not at the timed poll: the events that rang were
        //  consumed by this poll, and with the hub up the timed poll is 10 x
        //  poll_ms away - longer than the protection grace. (The soak's
        //  unprotected positions: an entry filled, Order/search got 429s,
        //  the legs stayed unseen until the timed poll, and the manager
        //  flattened a position whose stop and target were working.)
        self->retry = !s_poll_once(self, since);
    }
    return NULL;
}

broker_projectx_t *
broker_projectx_new(projectx_t *client, int poll_ms, const char *hub_url)
{
    return broker_projectx_new_shared(client, poll_ms, hub_url, NULL, 0);
}

broker_projectx_t *
broker_projectx_new_shared(projectx_t *client, int poll_ms, const char *hub_url, broker_projectx_t **peers,
                           size_t npeers)
{
    broker_projectx_t *self = calloc(1, sizeof(*self));
    for (size_t i = 0; i < npeers && i < PROJECTX_USERHUB_MAX_ACCOUNTS - 1; i++)
        self->peers[self->npeers++] = peers[i];
    self->client = client;
    self->poll_ms = poll_ms > 0 ? poll_ms : BROKER_PROJECTX_DEFAULT_POLL_MS;
    self->hub_url = hub_url && hub_url[0] ? strdup(hub_url) : NULL;
    self->trades_seen = zhashx_new();
    self->by_tag = zhashx_new();
    self->by_px = zhashx_new();
    pthread_mutex_init(&self->mx, NULL);
    broker_init(&self->broker, &s_ops, self);
    if (self->hub_url)
        s_hub_start(self);
    self->io_started = pthread_create(&self->io, NULL, s_io_main, self) == 0;
    if (!self->io_started)
        log_error("projectx: cannot start the I/O thread: no polling");
    return self;
}

void
broker_projectx_set_entry_tif(broker_projectx_t *self, int64_t entry_tif_ms)
{
    self->entry_tif_ns = entry_tif_ms > 0 ? entry_tif_ms * NS_PER_MS : 0;
}

bool
broker_projectx_hub_up(broker_projectx_t *self)
{
    return s_read_flag(self, &self->hub_up);
}

bool
broker_projectx_synced(broker_projectx_t *self)
{
    return s_read_flag(self, &self->synced);
}

void
broker_projectx_stats(broker_projectx_t *self, broker_projectx_stats_t *out)
{
    pthread_mutex_lock(&self->mx);
    *out = self->stats;
    pthread_mutex_unlock(&self->mx);
    out->tracked = self->norders;
}

void
broker_projectx_destroy(broker_projectx_t **self_p)
{
    broker_projectx_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock(&self->mx);
    self->stop = true;
    pthread_mutex_unlock(&self->mx);
    if (self->io_started)
        pthread_join(self->io, NULL);
    if (self->hub_started)
        pthread_join(self->hub_thread, NULL);
    s_snapshot_free(&self->ready);
    pthread_mutex_destroy(&self->mx);
    projectx_destroy(&self->client);
    zhashx_destroy(&self->trades_seen);
    zhashx_destroy(&self->by_tag);
    zhashx_destroy(&self->by_px);
    free(self->hub_url);
    free(self->orders);
    free(self);
    *self_p = NULL;
}

broker_t *
broker_projectx_broker(broker_projectx_t *self)
{
    return &self->broker;
}
