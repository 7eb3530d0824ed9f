/*  order_manager - OrderRequest in, broker orders out, exec.* reported.
    See order_manager.h for the guarantees.                                 */
#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "order_manager.h"
#include "ofts_bus.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include "ofts_log.h"

#define MAX_SYMBOLS 32
#define NS_PER_MS ((int64_t) 1000000)

typedef struct {
    char symbol[BROKER_SYM_LEN];
    char contract[BROKER_CONTRACT_LEN];
    int32_t quantity;
    int64_t avg_price;
    int64_t realized_pnl_cents;
    int64_t mark;                       //  last price, for unrealized P&L ...
    char mark_contract[BROKER_CONTRACT_LEN];    //  ... of this contract only
    int64_t published_mark;             //  mark the last exec.position carried
    char entry_id[BROKER_COID_LEN];     //  entry that opened the position
    int64_t unprotected_since;          //  0: protected or flat
    size_t leg_hint[2];                 //  where the stop and the target were last found
    bool protect_failed;                //  a leg was rejected: flatten now
    char protect_why[BROKER_TEXT_LEN];
    bool published_protected;
    int64_t flatten_sent_ns;            //  0: no flatten in flight
} om_pos_t;

struct _order_manager_t {
    broker_t *broker;
    order_store_t *store;
    order_manager_config_t cfg;
    order_manager_publish_fn *publish;
    void *publish_arg;
    char account[OM_ACCOUNT_LEN];       //  "" = the only one (no risk.accounts)
    zhashx_t *seen;                     //  client order ids seen this run
    zhashx_t *fills_seen;               //  fill ids, only without a store
    broker_order_t *orders;             //  orders not yet finished
    size_t norders, cap;
    broker_order_t done[64];            //  recently finished (answers resends
    size_t ndone;                       //  when there is no store)
    om_pos_t pos[MAX_SYMBOLS];
    size_t npos;
    size_t held;                        //  positions not flat
    bool halted;
    bool reducing;                      //  the store failed: protect and close only
    char reducing_why[BROKER_TEXT_LEN];
    int published_state;                //  -1: not yet; else Ofts__TradingState
    bool starting;                      //  first reconcile: differences are expected
    int64_t now;                        //  latest time we were given
    int64_t last_reconcile;
    int64_t flatten_seq;
    uint64_t placed, duplicates, flattens, fills;
};

//  ---------------------------------------------------------------------------
//  Lookups

static om_pos_t *
s_pos(order_manager_t *self, const char *symbol, bool create)
{
    for (size_t i = 0; i < self->npos; i++)
        if (ofts_same_name(self->pos[i].symbol, symbol))
            return &self->pos[i];
    if (!create || self->npos == MAX_SYMBOLS)
        return NULL;
    om_pos_t *p = &self->pos[self->npos++];
    memset(p, 0, sizeof(*p));
    broker_strlcpy(p->symbol, symbol, sizeof(p->symbol));
    return p;
}

static int
s_order_index(order_manager_t *self, const char *client_order_id)
{
    for (size_t i = 0; i < self->norders; i++)
        if (strcmp(self->orders[i].client_order_id, client_order_id) == 0)
            return (int) i;
    return -1;
}

static void
s_order_insert(order_manager_t *self, const broker_order_t *order)
{
    if (self->norders == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 32;
        self->orders = realloc(self->orders, self->cap * sizeof(broker_order_t));
    }
    self->orders[self->norders++] = *order;
}

static void
s_order_remove(order_manager_t *self, size_t index)
{
    self->done[self->ndone++ % 64] = self->orders[index];
    memmove(&self->orders[index], &self->orders[index + 1],
            (self->norders - index - 1) * sizeof(broker_order_t));
    self->norders--;
}

//  1 seen, 0 new, -1 the store could not say: never taken for "new" (a
//  resend after a restart would be placed a second time).
static int
s_seen(order_manager_t *self, const char *client_order_id)
{
    if (zhashx_lookup(self->seen, client_order_id))
        return 1;
    return self->store ? order_store_order_get(self->store, client_order_id, NULL) : 0;
}

//  Ids seen this run, kept in memory for a fast answer. With a healthy store
//  (which holds every id before it is placed) the set is dropped when it
//  grows past SEEN_MAX: a service running for days must not keep every id
//  it ever saw (issue 13); the store answers for the older ones. Without a
//  store (backtests) or once it failed, memory is the only guard: kept.
#define SEEN_MAX 4096

static void
s_mark_seen(order_manager_t *self, const char *client_order_id)
{
    if (zhashx_size(self->seen) >= SEEN_MAX && self->store && !self->reducing
        && !order_store_failed(self->store))
        zhashx_purge(self->seen);
    zhashx_update(self->seen, client_order_id, (void *) 1);
}

//  ---------------------------------------------------------------------------
//  Publishing

static void
s_emit(order_manager_t *self, const char *kind, const char *symbol, Ofts__Envelope *env)
{
    if (!self->publish)
        return;
    char topic[64];
    ofts_topic(topic, sizeof(topic), kind, symbol);
    self->publish(self->publish_arg, topic, env);
}

static void
s_fill_update(Ofts__OrderUpdate *up, const broker_order_t *o, const char *account)
{
    up->account = (char *) account;
    up->client_order_id = (char *) o->client_order_id;
    up->broker_order_id = (char *) o->broker_order_id;
    up->symbol = (char *) o->symbol;
    up->contract = (char *) o->contract;
    up->role = (Ofts__OrderRole) o->role;
    up->side = (Ofts__Side) o->side;
    up->status = (Ofts__OrderStatus) o->status;
    up->type = (Ofts__OrderType) o->type;
    up->quantity = o->quantity;
    up->filled_quantity = o->filled_quantity;
    up->price = o->price;
    up->avg_fill_price = o->avg_fill_price;
    up->text = (char *) o->text;
}

static void
s_send_order(order_manager_t *self, const broker_order_t *o, order_manager_publish_fn *fn, void *arg)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__OrderUpdate up = OFTS__ORDER_UPDATE__INIT;
    s_fill_update(&up, o, self->account);
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_UPDATE;
    env.order_update = &up;
    if (fn) {
        char topic[64];
        fn(arg, ofts_topic(topic, sizeof(topic), "exec.order", o->symbol), &env);
    }
    else
        s_emit(self, "exec.order", o->symbol, &env);
}

static bool s_protected(order_manager_t *self, om_pos_t *p);

static void
s_send_position(order_manager_t *self, om_pos_t *p, order_manager_publish_fn *fn, void *arg)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Position msg = OFTS__POSITION__INIT;
    msg.symbol = p->symbol;
    msg.contract = p->contract;
    msg.quantity = p->quantity;
    msg.avg_price = p->avg_price;
    msg.realized_pnl_cents = p->realized_pnl_cents;
    const ofts_instrument_t *inst = ofts_instrument_find(p->symbol);
    if (inst && p->quantity && p->mark && strcmp(p->mark_contract, p->contract) == 0)
        msg.unrealized_pnl_cents = ofts_instrument_pnl_cents(inst, p->avg_price, p->mark, p->quantity);
    if (!fn)
        p->published_mark = p->mark;
    msg.protected_ = s_protected(self, p);
    msg.client_order_id = p->entry_id;
    msg.account = self->account;
    env.body_case = OFTS__ENVELOPE__BODY_POSITION;
    env.position = &msg;
    if (fn) {
        char topic[64];
        fn(arg, ofts_topic(topic, sizeof(topic), "exec.position", p->symbol), &env);
    }
    else {
        p->published_protected = msg.protected_;
        s_emit(self, "exec.position", p->symbol, &env);
    }
}

//  Our trading state, for risk and monitors (exec.account.): REDUCING while
//  the store is failed or a kill holds, else ACTIVE.
static void
s_send_state(order_manager_t *self, order_manager_publish_fn *fn, void *arg)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__AccountState msg = OFTS__ACCOUNT_STATE__INIT;
    msg.account_id = self->account[0] ? self->account : (char *) broker_name(self->broker);
    msg.state = self->reducing || self->halted ? OFTS__TRADING_STATE__STATE_REDUCING
                                               : OFTS__TRADING_STATE__STATE_ACTIVE;
    msg.state_reason = self->reducing ? self->reducing_why
                     : self->halted ? (char *) "halted by a kill: entries refused until CMD_RESUME" : (char *) "";
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = &msg;
    if (fn)
        fn(arg, ORDER_MANAGER_STATE_TOPIC, &env);
    else if (self->publish) {
        self->published_state = (int) msg.state;
        self->publish(self->publish_arg, ORDER_MANAGER_STATE_TOPIC, &env);
    }
}

static void
s_state_changed(order_manager_t *self)
{
    int now = self->reducing || self->halted ? OFTS__TRADING_STATE__STATE_REDUCING
                                             : OFTS__TRADING_STATE__STATE_ACTIVE;
    if (now != self->published_state)
        s_send_state(self, NULL, NULL);
}

//  Fail closed: once the store lost a write (disk full, I/O error), what
//  it holds may not be what happened, so no new position is opened until
//  an operator has fixed the disk and restarted us. Stops, targets and
//  flattens still go out: protecting and closing needs no new memory.
static bool
s_store_ok(order_manager_t *self)
{
    if (!self->store || !order_store_failed(self->store))
        return true;
    if (!self->reducing) {
        self->reducing = true;
        snprintf(self->reducing_why, sizeof(self->reducing_why),
                 "order store failed (%s): protect and close only, restart once fixed",
                 order_store_failure(self->store));
        log_error("REDUCING: %s", self->reducing_why);
        s_state_changed(self);
    }
    return false;
}

//  No store transaction is held across a call to a remote broker: what was
//  written so far is committed first, and the broker's answers are written
//  in autocommit (each durable at once) until the call returns.
static void
s_net_begin(order_manager_t *self)
{
    if (self->store && self->broker->ops->remote)
        order_store_pause(self->store);
}

static void
s_net_end(order_manager_t *self)
{
    if (self->store && self->broker->ops->remote)
        order_store_resume(self->store);
}

//  ---------------------------------------------------------------------------
//  Broker events

static void
s_save(order_manager_t *self, const broker_order_t *o)
{
    if (self->store && order_store_order_put(self->store, o) != 0)
        log_error("order %s: not saved to the store", o->client_order_id);
}

//  Broker state wins, but it may not know what we asked for (signal id,
//  requested bracket, our reject text): keep those.
static void
s_merge(broker_order_t *mine, const broker_order_t *theirs)
{
    broker_order_t merged = *theirs;
    if (!merged.parent_id[0])
        broker_strlcpy(merged.parent_id, mine->parent_id, sizeof(merged.parent_id));
    if (!merged.signal_id[0])
        broker_strlcpy(merged.signal_id, mine->signal_id, sizeof(merged.signal_id));
    if (!merged.contract[0])
        broker_strlcpy(merged.contract, mine->contract, sizeof(merged.contract));
    if (!merged.text[0])
        broker_strlcpy(merged.text, mine->text, sizeof(merged.text));
    if (!merged.stop)
        merged.stop = mine->stop;
    if (!merged.take_profit)
        merged.take_profit = mine->take_profit;
    if (!merged.created_ns)
        merged.created_ns = mine->created_ns;
    *mine = merged;
}

static void
s_note_leg_failure(order_manager_t *self, const broker_order_t *o)
{
    if (o->role != OFTS__ORDER_ROLE__ROLE_STOP && o->role != OFTS__ORDER_ROLE__ROLE_TARGET)
        return;
    if (o->status != OFTS__ORDER_STATUS__STATUS_REJECTED)
        return;
    om_pos_t *p = s_pos(self, o->symbol, true);
    if (!p)
        return;
    p->protect_failed = true;
    snprintf(p->protect_why, sizeof(p->protect_why), "%s %s rejected: %s",
             broker_role_name(o->role), o->client_order_id, o->text[0] ? o->text : "no reason");
    log_error("protection: %s", p->protect_why);
}

static void
s_on_order(void *arg, const broker_order_t *incoming)
{
    order_manager_t *self = arg;
    int index = s_order_index(self, incoming->client_order_id);
    broker_order_t merged;
    if (index >= 0) {
        merged = self->orders[index];
        bool same = merged.status == incoming->status
                 && merged.filled_quantity == incoming->filled_quantity
                 && merged.price == incoming->price
                 && merged.avg_fill_price == incoming->avg_fill_price;
        s_merge(&merged, incoming);
        self->orders[index] = merged;
        if (same)
            return;                     //  nothing new: say nothing
    }
    else {
        broker_order_t stored;
        merged = *incoming;
        if (self->store && order_store_order_get(self->store, incoming->client_order_id, &stored) == 1) {
            if (stored.status == incoming->status && broker_status_terminal(stored.status))
                return;                 //  old news (reconcile after restart)
            s_merge(&stored, incoming);
            merged = stored;
        }
        s_mark_seen(self, merged.client_order_id);
        if (!broker_status_terminal(merged.status))
            s_order_insert(self, &merged);
    }
    s_save(self, &merged);
    log_info("order %s %s %s %s %u %s%s%s", merged.client_order_id, merged.symbol,
             broker_role_name(merged.role), broker_side_name(merged.side), merged.quantity,
             broker_status_name(merged.status), merged.text[0] ? ": " : "", merged.text);
    s_note_leg_failure(self, &merged);
    s_send_order(self, &merged, NULL, NULL);
    index = s_order_index(self, merged.client_order_id);
    if (index >= 0 && broker_status_terminal(merged.status))
        s_order_remove(self, (size_t) index);
}

static void
s_fill_msg(Ofts__Fill *msg, const broker_fill_t *fill, const char *account)
{
    msg->account = (char *) account;
    msg->fill_id = (char *) fill->fill_id;
    msg->client_order_id = (char *) fill->client_order_id;
    msg->broker_order_id = (char *) fill->broker_order_id;
    msg->symbol = (char *) fill->symbol;
    msg->contract = (char *) fill->contract;
    msg->role = (Ofts__OrderRole) fill->role;
    msg->side = (Ofts__Side) fill->side;
    msg->price = fill->price;
    msg->quantity = fill->quantity;
    msg->fees_cents = fill->fees_cents;
}

static void
s_on_fill(void *arg, const broker_fill_t *fill)
{
    order_manager_t *self = arg;
    int fresh;
    if (self->store) {
        fresh = order_store_fill_add(self->store, fill);
        if (fresh < 0) {
            log_error("fill %s: not saved to the store; publishing anyway", fill->fill_id);
            fresh = 1;
        }
    }
    else {
        fresh = zhashx_lookup(self->fills_seen, fill->fill_id) ? 0 : 1;
        zhashx_update(self->fills_seen, fill->fill_id, (void *) 1);
    }
    if (!fresh) {
        log_debug("fill %s seen before: ignored", fill->fill_id);
        return;
    }
    self->fills++;
    char px[32];
    log_info("fill %s %s %s %s %u @ %s (%s)", fill->fill_id, fill->client_order_id, fill->symbol,
             broker_side_name(fill->side), fill->quantity, ofts_price_str(fill->price, px, sizeof(px)),
             broker_role_name(fill->role));
    om_pos_t *p = s_pos(self, fill->symbol, true);
    if (p && fill->role == OFTS__ORDER_ROLE__ROLE_ENTRY)
        broker_strlcpy(p->entry_id, fill->client_order_id, sizeof(p->entry_id));
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Fill msg = OFTS__FILL__INIT;
    s_fill_msg(&msg, fill, self->account);
    env.body_case = OFTS__ENVELOPE__BODY_FILL;
    env.fill = &msg;
    s_emit(self, "exec.fill", fill->symbol, &env);
}

static void
s_set_position(order_manager_t *self, om_pos_t *p, const broker_position_t *bp)
{
    if (bp->contract[0])
        broker_strlcpy(p->contract, bp->contract, sizeof(p->contract));
    self->held += (bp->quantity != 0) - (p->quantity != 0);
    p->quantity = bp->quantity;
    p->avg_price = bp->avg_price;
    p->realized_pnl_cents = bp->realized_pnl_cents;
    if (p->quantity == 0) {
        p->unprotected_since = 0;
        p->protect_failed = false;
        p->protect_why[0] = 0;
        p->flatten_sent_ns = 0;
    }
}

static void
s_on_position(void *arg, const broker_position_t *bp)
{
    order_manager_t *self = arg;
    om_pos_t *p = s_pos(self, bp->symbol, true);
    if (!p)
        return;
    s_set_position(self, p, bp);
    char px[32];
    log_info("position %s %d @ %s realized %" PRId64 " cents", p->symbol, p->quantity,
             ofts_price_str(p->avg_price, px, sizeof(px)), p->realized_pnl_cents);
    s_send_position(self, p, NULL, NULL);
}

//  ---------------------------------------------------------------------------
//  Protection

static bool
s_leg_is(const broker_order_t *o, const char *symbol, int role)
{
    //  Integer tests before the name: this runs for every open position on
    //  every tick (every event in a backtest).
    return o->role == role
        && (o->status == OFTS__ORDER_STATUS__STATUS_WORKING || o->status == OFTS__ORDER_STATUS__STATUS_PARTIAL)
        && ofts_same_name(o->symbol, symbol);
}

//  A working leg of symbol? Looked for first where it was found last time
//  (legs stay put while their position is open), then everywhere: the hint
//  changes only the order of the search, never the answer.
static bool
s_leg_working(order_manager_t *self, const char *symbol, int role, size_t *hint)
{
    if (*hint < self->norders && s_leg_is(&self->orders[*hint], symbol, role))
        return true;
    for (size_t i = 0; i < self->norders; i++)
        if (s_leg_is(&self->orders[i], symbol, role)) {
            *hint = i;
            return true;
        }
    return false;
}

static bool
s_protected(order_manager_t *self, om_pos_t *p)
{
    return p->quantity != 0 && s_leg_working(self, p->symbol, OFTS__ORDER_ROLE__ROLE_STOP, &p->leg_hint[0])
        && s_leg_working(self, p->symbol, OFTS__ORDER_ROLE__ROLE_TARGET, &p->leg_hint[1]);
}

static void
s_next_flatten_id(order_manager_t *self, const char *symbol, char *id, size_t size)
{
    self->flatten_seq++;
    if (self->store)
        order_store_meta_set(self->store, "om.flatten_seq", self->flatten_seq);
    snprintf(id, size, BROKER_FLATTEN_PREFIX "%s-%" PRId64, symbol, self->flatten_seq);
}

//  Tell the broker to flatten symbol with order `id`; the request is stored
//  and announced first, with `reason` as its text.
static void
s_flatten_symbol(order_manager_t *self, const char *symbol, const char *id, const char *reason,
                 int64_t now_ns)
{
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    broker_strlcpy(o.client_order_id, id, sizeof(o.client_order_id));
    broker_strlcpy(o.symbol, symbol, sizeof(o.symbol));
    om_pos_t *p = s_pos(self, symbol, false);
    if (p) {
        broker_strlcpy(o.contract, p->contract, sizeof(o.contract));
        o.quantity = (uint32_t) abs(p->quantity);
        o.side = p->quantity > 0 ? OFTS__SIDE__SIDE_SELL
               : p->quantity < 0 ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_NONE;
        p->flatten_sent_ns = now_ns;
    }
    o.role = OFTS__ORDER_ROLE__ROLE_FLATTEN;
    o.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    o.status = OFTS__ORDER_STATUS__STATUS_PENDING;
    broker_strlcpy(o.text, reason, sizeof(o.text));
    o.created_ns = o.updated_ns = now_ns;
    s_mark_seen(self, o.client_order_id);
    s_save(self, &o);
    s_order_insert(self, &o);
    s_send_order(self, &o, NULL, NULL);
    self->flattens++;
    if (self->store)
        order_store_flush(self->store);
    s_net_begin(self);
    broker_result_t rc = broker_flatten(self->broker, symbol, id, now_ns);
    broker_order_t theirs;
    int found = broker_find_order(self->broker, id, &theirs);
    s_net_end(self);
    int index = s_order_index(self, id);
    if (index < 0 || found == 0)
        return;                         //  the broker finished it / events keep it up to date
    broker_order_t *mine = &self->orders[index];
    //  No order at the broker: nothing to close (working orders, if any,
    //  were cancelled), or the flatten was refused.
    mine->status = rc == BROKER_REJECTED ? OFTS__ORDER_STATUS__STATUS_REJECTED
                 : rc == BROKER_AMBIGUOUS ? OFTS__ORDER_STATUS__STATUS_UNKNOWN
                 : OFTS__ORDER_STATUS__STATUS_CANCELLED;
    if (rc == BROKER_OK && (!p || p->quantity == 0))
        broker_strlcpy(mine->text, "flat: nothing to close", sizeof(mine->text));
    if (rc == BROKER_REJECTED)
        log_error("flatten %s %s: refused by the broker", symbol, id);
    mine->updated_ns = now_ns;
    broker_order_t copy = *mine;
    s_save(self, &copy);
    s_send_order(self, &copy, NULL, NULL);
    if (broker_status_terminal(copy.status))
        s_order_remove(self, (size_t) index);
}

//  A position without both legs working: flatten at once after a reject,
//  else after the grace period (the broker may still be activating them).
static void
s_check_protection(order_manager_t *self, int64_t now_ns)
{
    //  All flat: nothing to check (a flat position's unprotected_since is
    //  already 0). The common case, on every event of a backtest.
    if (self->held == 0)
        return;
    for (size_t i = 0; i < self->npos; i++) {
        om_pos_t *p = &self->pos[i];
        if (p->quantity == 0)
            continue;                   //  flat: unprotected_since is 0 already
        bool ok = s_protected(self, p);
        if (p->quantity != 0 && ok != p->published_protected)
            s_send_position(self, p, NULL, NULL);
        if (p->quantity == 0 || (ok && !p->protect_failed)) {
            p->unprotected_since = 0;
            continue;
        }
        if (p->unprotected_since == 0)
            p->unprotected_since = now_ns;
        bool overdue = now_ns - p->unprotected_since >= self->cfg.protect_grace_ms * NS_PER_MS;
        if (!p->protect_failed && !overdue)
            continue;
        if (p->flatten_sent_ns && now_ns - p->flatten_sent_ns < self->cfg.flatten_retry_ms * NS_PER_MS)
            continue;                   //  one in flight
        if (!p->protect_why[0])
            snprintf(p->protect_why, sizeof(p->protect_why),
                     "stop/target not working %" PRId64 " ms after the entry fill",
                     (now_ns - p->unprotected_since) / NS_PER_MS);
        char reason[BROKER_TEXT_LEN], id[BROKER_COID_LEN];
        snprintf(reason, sizeof(reason), "UNPROTECTED %s %d: %s -> flattening at market",
                 p->symbol, p->quantity, p->protect_why);
        log_error("%s%s%s", reason, self->account[0] ? " in account " : "", self->account);
        s_next_flatten_id(self, p->symbol, id, sizeof(id));
        s_flatten_symbol(self, p->symbol, id, reason, now_ns);
    }
}

//  ---------------------------------------------------------------------------
//  Requests and commands

static void
s_reject_request(order_manager_t *self, broker_order_t *o, const char *why, int64_t now_ns)
{
    o->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
    broker_strlcpy(o->text, why, sizeof(o->text));
    o->updated_ns = now_ns;
    log_warn("request %s %s: rejected: %s", o->client_order_id, o->symbol, why);
    if (o->client_order_id[0]) {
        s_mark_seen(self, o->client_order_id);
        s_save(self, o);
    }
    s_send_order(self, o, NULL, NULL);
}

static const char *
s_validate(order_manager_t *self, const Ofts__OrderRequest *req)
{
    if (!req->client_order_id || !req->client_order_id[0])
        return "client_order_id missing";
    if (strlen(req->client_order_id) > BROKER_COID_LEN - 5)
        return "client_order_id too long";
    if (!req->symbol || !ofts_instrument_find(req->symbol))
        return "unknown symbol";
    if (req->side != OFTS__SIDE__SIDE_BUY && req->side != OFTS__SIDE__SIDE_SELL)
        return "side must be buy or sell";
    //  risk.accounts (docs/accounts.md): an order is placed only in the
    //  account it names (order_accounts routes it here); never in another,
    //  which would multiply that account's exposure.
    if (strcmp(req->account ? req->account : "", self->account) != 0)
        return self->account[0] ? "an order for another account: not placed here"
                                : "an order for a named account (risk.accounts): gateway-order has no "
                                  "accounts list, it serves one unnamed account";
    if (req->reduce_only)
        return NULL;
    if (req->quantity == 0)
        return "quantity must be > 0";
    if (req->stop == 0 || req->take_profit == 0)
        return "an entry needs both a stop and a take profit";
    if (req->entry <= 0)
        return "entry price (limit/stop price, or a market order's reference) missing";
    //  Brokers take bracket distances, not sides: a stop on the wrong side
    //  would silently become a stop on the right side at that distance.
    bool buy = req->side == OFTS__SIDE__SIDE_BUY;
    if (buy ? !(req->stop < req->entry && req->entry < req->take_profit)
            : !(req->stop > req->entry && req->entry > req->take_profit))
        return buy ? "a buy needs stop < entry < take profit" : "a sell needs stop > entry > take profit";
    return NULL;
}

static void
s_from_request(broker_order_t *o, const Ofts__OrderRequest *req, int64_t now_ns)
{
    memset(o, 0, sizeof(*o));
    broker_strlcpy(o->client_order_id, req->client_order_id, sizeof(o->client_order_id));
    broker_strlcpy(o->signal_id, req->signal_id, sizeof(o->signal_id));
    broker_strlcpy(o->symbol, req->symbol, sizeof(o->symbol));
    broker_strlcpy(o->contract, req->contract, sizeof(o->contract));
    o->role = req->reduce_only ? OFTS__ORDER_ROLE__ROLE_FLATTEN : OFTS__ORDER_ROLE__ROLE_ENTRY;
    o->side = req->side;
    o->type = req->reduce_only ? OFTS__ORDER_TYPE__ORDER_TYPE_MARKET : req->type;
    o->status = OFTS__ORDER_STATUS__STATUS_PENDING;
    o->quantity = req->quantity;
    o->price = req->entry;
    o->stop = req->stop;
    o->take_profit = req->take_profit;
    o->created_ns = o->updated_ns = now_ns;
}

//  A resend: say again what became of it, place nothing.
static void
s_duplicate(order_manager_t *self, const Ofts__OrderRequest *req)
{
    self->duplicates++;
    broker_order_t o;
    int index = s_order_index(self, req->client_order_id);
    bool known = index >= 0;
    if (known)
        o = self->orders[index];
    for (size_t i = 0; i < 64 && i < self->ndone && !known; i++)
        if (strcmp(self->done[i].client_order_id, req->client_order_id) == 0) {
            o = self->done[i];
            known = true;
        }
    if (!known && self->store)
        known = order_store_order_get(self->store, req->client_order_id, &o) == 1;
    log_info("request %s: duplicate client order id, not placed again (%s)", req->client_order_id,
             known ? broker_status_name(o.status) : "seen");
    if (known)
        s_send_order(self, &o, NULL, NULL);
}

static void s_place_failed(order_manager_t *self, size_t index, broker_result_t rc,
                           const broker_order_t *sent, int64_t now_ns);

void
order_manager_on_request(order_manager_t *self, const Ofts__OrderRequest *req, int64_t now_ns)
{
    self->now = now_ns;
    int seen = req->client_order_id && req->client_order_id[0] ? s_seen(self, req->client_order_id) : 0;
    if (seen == 1) {
        s_duplicate(self, req);
        return;
    }
    broker_order_t o;
    s_from_request(&o, req, now_ns);
    const char *why = s_validate(self, req);
    bool store_ok = s_store_ok(self);
    if (!why && seen < 0)
        why = "order store read failed: cannot tell whether this id was placed before: not placed";
    if (!why && !store_ok && !req->reduce_only)
        why = self->reducing_why;
    if (!why && self->halted && !req->reduce_only)
        why = "gateway-order halted by a kill command: entries refused until CMD_RESUME";
    if (why) {
        s_reject_request(self, &o, why, now_ns);
        return;
    }
    if (req->reduce_only) {
        //  Partial reduces are not offered: bracket legs would not shrink
        //  with the position (spec §3.9), so a reduce closes the symbol.
        log_info("request %s: reduce_only -> flatten %s", o.client_order_id, o.symbol);
        s_flatten_symbol(self, o.symbol, o.client_order_id, "reduce_only request: flatten", now_ns);
        order_manager_tick(self, now_ns);
        return;
    }
    //  Written before the broker hears of it: a crash from here on can
    //  never lead to a second placement.
    s_mark_seen(self, o.client_order_id);
    s_save(self, &o);
    s_order_insert(self, &o);
    s_send_order(self, &o, NULL, NULL);
    self->placed++;
    char px[32], sl[32], tp[32];
    log_info("place %s %s %s %u %s @ %s sl %s tp %s via %s", o.client_order_id, o.symbol,
             broker_side_name(o.side), o.quantity,
             o.type == OFTS__ORDER_TYPE__ORDER_TYPE_MARKET ? "market"
             : o.type == OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT ? "limit" : "stop",
             ofts_price_str(o.price, px, sizeof(px)), ofts_price_str(o.stop, sl, sizeof(sl)),
             ofts_price_str(o.take_profit, tp, sizeof(tp)), broker_name(self->broker));
    if (self->store)
        order_store_flush(self->store);
    if (!s_store_ok(self)) {
        //  The id may not be on disk: after a restart a resend would look
        //  new. Not placed.
        self->placed--;
        int index = s_order_index(self, o.client_order_id);
        if (index >= 0)
            s_order_remove(self, (size_t) index);
        s_reject_request(self, &o, self->reducing_why, now_ns);
        return;
    }
    broker_order_t sent = o;
    s_net_begin(self);
    broker_result_t rc = broker_place(self->broker, &sent, now_ns);
    s_net_end(self);
    int index = s_order_index(self, o.client_order_id);
    if (rc != BROKER_OK && index >= 0)
        s_place_failed(self, (size_t) index, rc, &sent, now_ns);
    order_manager_tick(self, now_ns);
}

//  The broker said no (or maybe): record and report it.
static void
s_place_failed(order_manager_t *self, size_t index, broker_result_t rc, const broker_order_t *sent,
               int64_t now_ns)
{
    broker_order_t *mine = &self->orders[index];
    mine->status = rc == BROKER_REJECTED ? OFTS__ORDER_STATUS__STATUS_REJECTED
                                         : OFTS__ORDER_STATUS__STATUS_UNKNOWN;
    broker_strlcpy(mine->broker_order_id, sent->broker_order_id, sizeof(mine->broker_order_id));
    broker_strlcpy(mine->text, sent->text[0] ? sent->text
                   : rc == BROKER_REJECTED ? "rejected by the broker"
                   : "outcome unknown: reconciling", sizeof(mine->text));
    mine->updated_ns = now_ns;
    broker_order_t copy = *mine;
    if (rc == BROKER_REJECTED)
        log_warn("place %s: rejected by %s: %s", copy.client_order_id, broker_name(self->broker), copy.text);
    else
        log_warn("place %s: ambiguous outcome at %s: reconciling", copy.client_order_id,
                 broker_name(self->broker));
    s_save(self, &copy);
    s_send_order(self, &copy, NULL, NULL);
    if (broker_status_terminal(copy.status))
        s_order_remove(self, index);
}

//  Risk repeats flatten commands while it sees exposure (pub/sub may lose
//  one): a repeat while our flatten is still working, with nothing else
//  working on the symbol, is a no-op until flatten_retry_ms has passed.
static bool
s_flatten_in_flight(order_manager_t *self, const char *symbol, int64_t now_ns)
{
    om_pos_t *p = s_pos(self, symbol, false);
    if (!p || !p->flatten_sent_ns || now_ns - p->flatten_sent_ns >= self->cfg.flatten_retry_ms * NS_PER_MS)
        return false;
    bool flatten_working = false;
    for (size_t i = 0; i < self->norders; i++) {
        const broker_order_t *o = &self->orders[i];
        if (strcmp(o->symbol, symbol) != 0)
            continue;
        if (o->role != OFTS__ORDER_ROLE__ROLE_FLATTEN)
            return false;               //  an entry or leg to cancel: do it
        flatten_working = true;
    }
    return flatten_working;
}

//  "flatten gc" names a root; what is held may be a contract (GCZ6).
static bool
s_symbol_matches(const char *wanted, const char *held)
{
    if (strcasecmp(wanted, held) == 0)
        return true;
    const ofts_instrument_t *ins = ofts_instrument_for_contract(held);
    return ins && strcasecmp(ins->root, wanted) == 0;
}

void
order_manager_flatten(order_manager_t *self, const char *symbol, const char *reason, int64_t now_ns)
{
    self->now = now_ns;
    //  Everything we know of: positions, and symbols with working orders.
    char symbols[MAX_SYMBOLS * 2][BROKER_SYM_LEN];
    size_t n = 0;
    for (size_t i = 0; i < self->npos; i++)
        if (self->pos[i].quantity != 0)
            broker_strlcpy(symbols[n++], self->pos[i].symbol, BROKER_SYM_LEN);
    for (size_t i = 0; i < self->norders && n < MAX_SYMBOLS * 2; i++) {
        bool have = false;
        for (size_t j = 0; j < n; j++)
            have = have || strcmp(symbols[j], self->orders[i].symbol) == 0;
        if (!have)
            broker_strlcpy(symbols[n++], self->orders[i].symbol, BROKER_SYM_LEN);
    }
    for (size_t i = 0; i < n; i++) {
        if (symbol && symbol[0] && !s_symbol_matches(symbol, symbols[i]))
            continue;
        if (s_flatten_in_flight(self, symbols[i], now_ns)) {
            log_debug("flatten %s: one is in flight, nothing else working: repeat ignored", symbols[i]);
            continue;
        }
        char id[BROKER_COID_LEN];
        s_next_flatten_id(self, symbols[i], id, sizeof(id));
        log_warn("flatten %s: %s", symbols[i], reason);
        s_flatten_symbol(self, symbols[i], id, reason, now_ns);
    }
}

void
order_manager_on_command(order_manager_t *self, const Ofts__Command *cmd, int64_t now_ns)
{
    const char *symbol = cmd->symbol ? cmd->symbol : "";
    char reason[BROKER_TEXT_LEN];
    snprintf(reason, sizeof(reason), "%s by %s: %s",
             cmd->type == OFTS__COMMAND_TYPE__CMD_KILL ? "kill" : "flatten",
             cmd->issued_by && cmd->issued_by[0] ? cmd->issued_by : "?",
             cmd->reason && cmd->reason[0] ? cmd->reason : "no reason given");
    switch (cmd->type) {
    case OFTS__COMMAND_TYPE__CMD_KILL:
        self->halted = true;
        if (self->store)
            order_store_meta_set(self->store, "om.halted", 1);
        s_state_changed(self);
        log_error("KILL: halted, flattening everything (%s)", reason);
        order_manager_flatten(self, NULL, reason, now_ns);
        break;
    case OFTS__COMMAND_TYPE__CMD_FLATTEN:
        log_warn("FLATTEN %s (%s)", symbol[0] ? symbol : "all", reason);
        order_manager_flatten(self, symbol, reason, now_ns);
        break;
    case OFTS__COMMAND_TYPE__CMD_RESUME:
        if (self->halted)
            log_warn("resume: entries accepted again");
        self->halted = false;
        if (self->store)
            order_store_meta_set(self->store, "om.halted", 0);
        s_state_changed(self);
        break;
    default:
        log_debug("command %d: nothing for gateway-order to do", cmd->type);
        break;
    }
    order_manager_tick(self, now_ns);
}

void
order_manager_on_envelope(order_manager_t *self, const Ofts__Envelope *env, int64_t now_ns)
{
    if (env->body_case == OFTS__ENVELOPE__BODY_ORDER_REQUEST && env->order_request)
        order_manager_on_request(self, env->order_request, now_ns);
    else if (env->body_case == OFTS__ENVELOPE__BODY_COMMAND && env->command)
        order_manager_on_command(self, env->command, now_ns);
}

static void
s_mark(om_pos_t *p, const char *contract, int64_t price)
{
    if (!contract)
        contract = "";
    //  Another month of the root never marks this position (GCG7 is not GCZ6).
    if (!p || price <= 0 || price == INT64_MAX || (p->contract[0] && !ofts_same_name(p->contract, contract)))
        return;
    p->mark = price;
    broker_strlcpy(p->mark_contract, contract, sizeof(p->mark_contract));
}

void
order_manager_mark(order_manager_t *self, const char *symbol, const char *contract, int64_t price)
{
    s_mark(s_pos(self, symbol, false), contract, price);
}

void
order_manager_mark_memo(order_manager_t *self, om_mark_memo_t *memo, const char *symbol, const char *contract,
                        int64_t price)
{
    //  Positions are only ever added: while none was added since the last
    //  look, symbol still has none.
    if (!memo->pos && memo->npos != self->npos) {
        om_pos_t *p = s_pos(self, symbol, false);
        memo->pos = p ? (size_t) (p - self->pos) + 1 : 0;
        memo->npos = self->npos;
    }
    s_mark(memo->pos ? &self->pos[memo->pos - 1] : NULL, contract, price);
}

void
order_manager_publish_marks(order_manager_t *self)
{
    for (size_t i = 0; i < self->npos; i++) {
        om_pos_t *p = &self->pos[i];
        if (p->quantity != 0 && p->mark && p->mark != p->published_mark)
            s_send_position(self, p, NULL, NULL);
    }
}

//  ---------------------------------------------------------------------------
//  Reconciliation: the broker wins

static void
s_reconcile_positions(order_manager_t *self)
{
    broker_position_t theirs[MAX_SYMBOLS];
    s_net_begin(self);
    size_t n = broker_positions(self->broker, theirs, MAX_SYMBOLS);
    s_net_end(self);
    //  Ours that the broker does not list are flat there.
    for (size_t i = 0; i < self->npos; i++) {
        om_pos_t *p = &self->pos[i];
        bool listed = false;
        for (size_t j = 0; j < n; j++)
            listed = listed || strcmp(theirs[j].symbol, p->symbol) == 0;
        if (!listed && p->quantity != 0) {
            log_warn("reconcile: %s: we had %d, the broker is flat: taking the broker's", p->symbol,
                     p->quantity);
            broker_position_t flat;
            memset(&flat, 0, sizeof(flat));
            broker_strlcpy(flat.symbol, p->symbol, sizeof(flat.symbol));
            flat.realized_pnl_cents = p->realized_pnl_cents;
            s_set_position(self, p, &flat);
            s_send_position(self, p, NULL, NULL);
        }
    }
    for (size_t j = 0; j < n; j++) {
        om_pos_t *p = s_pos(self, theirs[j].symbol, true);
        if (!p)
            continue;
        if (p->quantity != theirs[j].quantity || p->avg_price != theirs[j].avg_price) {
            if (p->quantity != theirs[j].quantity)
                ofts_log(self->starting ? OFTS_LOG_INFO : OFTS_LOG_WARN,
                         "reconcile: %s: we had %d, the broker has %d: taking the broker's",
                         p->symbol, p->quantity, theirs[j].quantity);
            broker_position_t bp = theirs[j];
            if (!bp.realized_pnl_cents)
                bp.realized_pnl_cents = p->realized_pnl_cents;
            s_set_position(self, p, &bp);
            s_send_position(self, p, NULL, NULL);
        }
    }
}

//  An order the broker has never heard of. Before our write-then-place
//  completed (crash in between, or an ambiguous place that did not land),
//  after unknown_timeout_ms it is declared never placed. Working orders
//  that vanish are left to the next reconcile (warned).
static void
s_not_at_broker(order_manager_t *self, size_t index, int64_t now_ns)
{
    broker_order_t *o = &self->orders[index];
    bool unplaced = o->status == OFTS__ORDER_STATUS__STATUS_PENDING
                 || o->status == OFTS__ORDER_STATUS__STATUS_UNKNOWN;
    if (!unplaced || o->parent_id[0]
        || now_ns - o->created_ns < self->cfg.unknown_timeout_ms * NS_PER_MS) {
        log_warn("reconcile: %s (%s) unknown to the broker", o->client_order_id,
                 broker_status_name(o->status));
        return;
    }
    o->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
    snprintf(o->text, sizeof(o->text), "not at the broker %" PRId64 " s after it was sent: never placed",
             (now_ns - o->created_ns) / (1000 * NS_PER_MS));
    o->updated_ns = now_ns;
    broker_order_t copy = *o;
    log_error("reconcile: %s: %s", copy.client_order_id, copy.text);
    s_save(self, &copy);
    s_send_order(self, &copy, NULL, NULL);
    s_order_remove(self, index);
}

static void
s_reconcile_orders(order_manager_t *self, int64_t now_ns)
{
    enum { MAX_OPEN = 256 };
    broker_order_t *open = calloc(MAX_OPEN, sizeof(broker_order_t));
    s_net_begin(self);
    size_t n = broker_open_orders(self->broker, open, MAX_OPEN);
    s_net_end(self);
    //  Ours that left the broker's open list: ask what became of them.
    //  Iterate on a copy of the ids: updates may remove entries.
    size_t count = self->norders;
    char (*ids)[BROKER_COID_LEN] = calloc(count ? count : 1, BROKER_COID_LEN);
    for (size_t i = 0; i < count; i++)
        broker_strlcpy(ids[i], self->orders[i].client_order_id, BROKER_COID_LEN);
    for (size_t i = 0; i < count; i++) {
        bool listed = false;
        for (size_t j = 0; j < n && !listed; j++)
            listed = strcmp(open[j].client_order_id, ids[i]) == 0;
        int index = s_order_index(self, ids[i]);
        if (index < 0)
            continue;
        broker_order_t theirs;
        if (listed)
            continue;
        s_net_begin(self);
        int found = broker_find_order(self->broker, ids[i], &theirs);
        s_net_end(self);
        if (found == 0) {
            if (theirs.status != self->orders[index].status)
                log_warn("reconcile: %s: %s here, %s at the broker: taking the broker's", ids[i],
                         broker_status_name(self->orders[index].status),
                         broker_status_name(theirs.status));
            s_on_order(self, &theirs);
        }
        else if (found == -1)
            s_not_at_broker(self, (size_t) index, now_ns);
        else
            log_warn("reconcile: %s: the broker could not be asked; later", ids[i]);
    }
    //  The broker's that we do not track: adopt them.
    for (size_t j = 0; j < n; j++) {
        int index = s_order_index(self, open[j].client_order_id);
        if (index < 0)
            log_warn("reconcile: broker order %s (%s) not tracked here: adopting it",
                     open[j].client_order_id, open[j].broker_order_id);
        if (index < 0 || self->orders[index].status != open[j].status)
            s_on_order(self, &open[j]);
    }
    free(ids);
    free(open);
}

void
order_manager_reconcile(order_manager_t *self, int64_t now_ns)
{
    self->last_reconcile = now_ns;
    s_reconcile_orders(self, now_ns);
    s_reconcile_positions(self);
}

void
order_manager_tick(order_manager_t *self, int64_t now_ns)
{
    self->now = now_ns;
    s_net_begin(self);
    broker_poll(self->broker, now_ns);
    s_net_end(self);
    if (self->cfg.reconcile_ms > 0
        && now_ns - self->last_reconcile >= self->cfg.reconcile_ms * NS_PER_MS)
        order_manager_reconcile(self, now_ns);
    s_check_protection(self, now_ns);
    s_store_ok(self);
}

//  ---------------------------------------------------------------------------
//  Life cycle

void
order_manager_config_defaults(order_manager_config_t *cfg)
{
    cfg->protect_grace_ms = OM_DEFAULT_PROTECT_GRACE_MS;
    cfg->reconcile_ms = OM_DEFAULT_RECONCILE_MS;
    cfg->flatten_retry_ms = OM_DEFAULT_FLATTEN_RETRY_MS;
    cfg->unknown_timeout_ms = OM_DEFAULT_UNKNOWN_TIMEOUT_MS;
}

order_manager_t *
order_manager_new(broker_t *broker, order_store_t *store, const order_manager_config_t *cfg)
{
    order_manager_t *self = calloc(1, sizeof(*self));
    self->broker = broker;
    self->store = store;
    if (cfg)
        self->cfg = *cfg;
    else
        order_manager_config_defaults(&self->cfg);
    self->seen = zhashx_new();
    self->fills_seen = zhashx_new();
    self->published_state = -1;
    broker_events_t events = { s_on_order, s_on_fill, s_on_position, self };
    broker_set_events(broker, &events);
    return self;
}

void
order_manager_destroy(order_manager_t **self_p)
{
    order_manager_t *self = *self_p;
    if (!self)
        return;
    broker_events_t none = { NULL, NULL, NULL, NULL };
    broker_set_events(self->broker, &none);
    zhashx_destroy(&self->seen);
    zhashx_destroy(&self->fills_seen);
    free(self->orders);
    free(self);
    *self_p = NULL;
}

void
order_manager_set_account(order_manager_t *self, const char *account)
{
    broker_strlcpy(self->account, account ? account : "", sizeof(self->account));
}

const char *
order_manager_account(order_manager_t *self)
{
    return self->account;
}

void
order_manager_set_publisher(order_manager_t *self, order_manager_publish_fn *fn, void *arg)
{
    self->publish = fn;
    self->publish_arg = arg;
}

static void
s_load_order(void *arg, const broker_order_t *order)
{
    order_manager_t *self = arg;
    s_order_insert(self, order);
    //  An open leg tells which entry the position belongs to.
    if (order->parent_id[0]) {
        om_pos_t *p = s_pos(self, order->symbol, true);
        if (p)
            broker_strlcpy(p->entry_id, order->parent_id, sizeof(p->entry_id));
    }
}

void
order_manager_start(order_manager_t *self, int64_t now_ns)
{
    self->now = now_ns;
    if (self->store) {
        self->halted = order_store_meta_get(self->store, "om.halted", 0) != 0;
        self->flatten_seq = order_store_meta_get(self->store, "om.flatten_seq", 0);
        int open = order_store_orders_each(self->store, true, s_load_order, self);
        log_info("start: %d open orders reloaded from %s%s", open, order_store_path(self->store),
                 self->halted ? " (HALTED by an earlier kill: send CMD_RESUME to trade)" : "");
    }
    s_store_ok(self);
    s_send_state(self, NULL, NULL);
    self->starting = true;
    order_manager_reconcile(self, now_ns);
    self->starting = false;
    //  Say where we stand even when nothing differed.
    for (size_t i = 0; i < self->npos; i++)
        if (self->pos[i].quantity != 0)
            s_send_position(self, &self->pos[i], NULL, NULL);
    s_check_protection(self, now_ns);
}

typedef struct {
    const char *prefix;
    order_manager_publish_fn *fn;
    void *arg;
    int count;
    const char *account;
} snap_t;

static void
s_snap_fill(void *arg, const broker_fill_t *fill)
{
    snap_t *snap = arg;
    char topic[64];
    ofts_topic(topic, sizeof(topic), "exec.fill", fill->symbol);
    if (strncmp(topic, snap->prefix, strlen(snap->prefix)) != 0)
        return;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    Ofts__Fill msg = OFTS__FILL__INIT;
    s_fill_msg(&msg, fill, snap->account);
    env.body_case = OFTS__ENVELOPE__BODY_FILL;
    env.fill = &msg;
    snap->fn(snap->arg, topic, &env);
    snap->count++;
}

//  Which fills a snapshot carries: every fill a subscriber may lack, i.e.
//  the newest fill's trading day AND the day before it (a risk that was
//  down across the 17:00 CT roll lacks the end of the previous day too).
//  Fills are on one clock (market time where md drives them, the broker's
//  execution time with ProjectX), so "the newest fill's day" is the day the
//  stream is in, and the subscriber de-duplicates by fill_id.
static int64_t
s_snapshot_fills_since(int64_t newest_ns)
{
    return ofts_session_open_ns(ofts_session_open_ns(newest_ns) - 1);
}

int
order_manager_snapshot(order_manager_t *self, const char *prefix, order_manager_publish_fn *fn,
                       void *arg)
{
    snap_t snap = { prefix ? prefix : "", fn, arg, 0, self->account };
    char topic[64];
    size_t plen = strlen(snap.prefix);
    if (strncmp(ORDER_MANAGER_STATE_TOPIC, snap.prefix, plen) == 0) {
        s_send_state(self, fn, arg);
        snap.count++;
    }
    if (self->store && strncmp("exec.fill.", snap.prefix, plen < 10 ? plen : 10) == 0) {
        int64_t newest = order_store_fill_latest_ns(self->store);
        if (newest > 0)
            order_store_fills_since(self->store, s_snapshot_fills_since(newest), s_snap_fill, &snap);
    }
    for (size_t i = 0; i < self->norders; i++) {
        ofts_topic(topic, sizeof(topic), "exec.order", self->orders[i].symbol);
        if (strncmp(topic, snap.prefix, plen) == 0) {
            s_send_order(self, &self->orders[i], fn, arg);
            snap.count++;
        }
    }
    for (size_t i = 0; i < self->npos; i++) {
        ofts_topic(topic, sizeof(topic), "exec.position", self->pos[i].symbol);
        if (strncmp(topic, snap.prefix, plen) == 0) {
            s_send_position(self, &self->pos[i], fn, arg);
            snap.count++;
        }
    }
    return snap.count;
}

int32_t
order_manager_position(order_manager_t *self, const char *symbol)
{
    om_pos_t *p = s_pos(self, symbol, false);
    return p ? p->quantity : 0;
}

bool
order_manager_protected(order_manager_t *self, const char *symbol)
{
    om_pos_t *p = s_pos(self, symbol, false);
    return p && s_protected(self, p);
}

bool
order_manager_halted(order_manager_t *self)
{
    return self->halted;
}

bool
order_manager_reducing(order_manager_t *self)
{
    return self->reducing;
}

uint64_t order_manager_placed(order_manager_t *self) { return self->placed; }
uint64_t order_manager_duplicates(order_manager_t *self) { return self->duplicates; }
uint64_t order_manager_flattens(order_manager_t *self) { return self->flattens; }
uint64_t order_manager_fills(order_manager_t *self) { return self->fills; }
size_t order_manager_ids_in_memory(order_manager_t *self) { return zhashx_size(self->seen); }
