/*  order_manager: de-dup by client order id (memory and store, across a
    restart), protection check (rejected stop -> flatten, missing legs after
    the grace period -> flatten), flatten/kill commands and reduce_only,
    reconciliation (broker wins), fills counted once, snapshots.
    A scripted fake broker stands in where the paper broker cannot misbehave. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "pub_record.h"
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include "order_manager.h"
#include "paper_broker.h"

#define PX(whole, tenths) ((int64_t) (whole) * 1000000000LL + (int64_t) (tenths) * 100000000LL)
#define MS 1000000LL

//  ---------------------------------------------------------------------------
//  What the manager published

static int
s_count(int body, const char *topic_prefix)
{
    int n = 0;
    for (int i = 0; i < pub_n; i++)
        if (pub_log[i].body == body && strncmp(pub_log[i].topic, topic_prefix, strlen(topic_prefix)) == 0)
            n++;
    return n;
}

static const pub_t *
s_last(int body)
{
    for (int i = pub_n - 1; i >= 0; i--)
        if (pub_log[i].body == body)
            return &pub_log[i];
    return NULL;
}

static const pub_t *
s_find_text(const char *needle)
{
    for (int i = 0; i < pub_n; i++)
        if (pub_log[i].body == OFTS__ENVELOPE__BODY_ORDER_UPDATE && strstr(pub_log[i].text, needle))
            return &pub_log[i];
    return NULL;
}

//  ---------------------------------------------------------------------------
//  Scripted broker: market entries fill at once at `fill_px`; legs come
//  back WORKING, or REJECTED when told, or not at all.

typedef struct {
    broker_t broker;
    int places, flattens, cancels;
    bool reject_stop;
    bool no_legs;                       //  legs never show up
    bool duplicate_fills;               //  each fill delivered twice
    bool lost;                          //  place times out and never lands
    int64_t fill_px;
    broker_position_t pos;              //  one symbol
    broker_order_t legs[2];
    int nlegs;
    int seq;
} fake_t;

static broker_order_t
s_leg(fake_t *f, const broker_order_t *entry, int role, int status)
{
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    snprintf(o.client_order_id, sizeof(o.client_order_id), "%s-%s", entry->client_order_id,
             role == OFTS__ORDER_ROLE__ROLE_STOP ? "SL" : "TP");
    strcpy(o.parent_id, entry->client_order_id);
    snprintf(o.broker_order_id, sizeof(o.broker_order_id), "%d", ++f->seq);
    strcpy(o.symbol, entry->symbol);
    o.role = role;
    o.side = entry->side == OFTS__SIDE__SIDE_BUY ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY;
    o.status = status;
    o.quantity = entry->quantity;
    o.price = role == OFTS__ORDER_ROLE__ROLE_STOP ? entry->stop : entry->take_profit;
    if (status == OFTS__ORDER_STATUS__STATUS_REJECTED)
        strcpy(o.text, "Ticks should be less than zero when longing");
    return o;
}

static void
s_fake_fill(fake_t *f, const broker_order_t *o, int32_t signed_qty)
{
    broker_fill_t fill;
    memset(&fill, 0, sizeof(fill));
    snprintf(fill.fill_id, sizeof(fill.fill_id), "T%d", ++f->seq);
    strcpy(fill.client_order_id, o->client_order_id);
    strcpy(fill.symbol, o->symbol);
    fill.role = o->role;
    fill.side = o->side;
    fill.price = f->fill_px;
    fill.quantity = o->quantity;
    broker_emit_fill(&f->broker, &fill);
    if (f->duplicate_fills)
        broker_emit_fill(&f->broker, &fill);
    strcpy(f->pos.symbol, o->symbol);
    f->pos.quantity += signed_qty;
    f->pos.avg_price = f->pos.quantity ? f->fill_px : 0;
}

static broker_result_t
s_fake_place(void *impl, broker_order_t *order, int64_t now_ns)
{
    (void) now_ns;
    fake_t *f = impl;
    f->places++;
    if (f->lost)
        return BROKER_AMBIGUOUS;
    snprintf(order->broker_order_id, sizeof(order->broker_order_id), "%d", ++f->seq);
    order->status = OFTS__ORDER_STATUS__STATUS_FILLED;
    order->filled_quantity = order->quantity;
    order->avg_fill_price = f->fill_px;
    broker_emit_order(&f->broker, order);
    s_fake_fill(f, order, order->side == OFTS__SIDE__SIDE_BUY ? (int32_t) order->quantity
                                                             : -(int32_t) order->quantity);
    f->nlegs = 0;
    if (!f->no_legs) {
        f->legs[f->nlegs++] = s_leg(f, order, OFTS__ORDER_ROLE__ROLE_STOP,
                                    f->reject_stop ? OFTS__ORDER_STATUS__STATUS_REJECTED
                                                   : OFTS__ORDER_STATUS__STATUS_WORKING);
        f->legs[f->nlegs++] = s_leg(f, order, OFTS__ORDER_ROLE__ROLE_TARGET,
                                    OFTS__ORDER_STATUS__STATUS_WORKING);
        for (int i = 0; i < f->nlegs; i++)
            broker_emit_order(&f->broker, &f->legs[i]);
    }
    broker_emit_position(&f->broker, &f->pos);
    return BROKER_OK;
}

static broker_result_t
s_fake_cancel(void *impl, const char *id, int64_t now_ns)
{
    (void) id;
    (void) now_ns;
    ((fake_t *) impl)->cancels++;
    return BROKER_OK;
}

static broker_result_t
s_fake_flatten(void *impl, const char *symbol, const char *id, int64_t now_ns)
{
    (void) now_ns;
    fake_t *f = impl;
    f->flattens++;
    for (int i = 0; i < f->nlegs; i++)
        if (f->legs[i].status == OFTS__ORDER_STATUS__STATUS_WORKING) {
            f->legs[i].status = OFTS__ORDER_STATUS__STATUS_CANCELLED;
            broker_emit_order(&f->broker, &f->legs[i]);
        }
    if (f->pos.quantity == 0)
        return BROKER_OK;
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    strcpy(o.client_order_id, id);
    strcpy(o.symbol, symbol);
    snprintf(o.broker_order_id, sizeof(o.broker_order_id), "%d", ++f->seq);
    o.role = OFTS__ORDER_ROLE__ROLE_FLATTEN;
    o.side = f->pos.quantity > 0 ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY;
    o.quantity = (uint32_t) (f->pos.quantity > 0 ? f->pos.quantity : -f->pos.quantity);
    o.status = OFTS__ORDER_STATUS__STATUS_FILLED;
    broker_emit_order(&f->broker, &o);
    s_fake_fill(f, &o, -f->pos.quantity);
    broker_emit_position(&f->broker, &f->pos);
    return BROKER_OK;
}

static size_t
s_fake_positions(void *impl, broker_position_t *out, size_t max)
{
    fake_t *f = impl;
    if (f->pos.quantity == 0 || max == 0)
        return 0;
    out[0] = f->pos;
    return 1;
}

static size_t
s_fake_open(void *impl, broker_order_t *out, size_t max)
{
    fake_t *f = impl;
    size_t n = 0;
    for (int i = 0; i < f->nlegs && n < max; i++)
        if (f->legs[i].status == OFTS__ORDER_STATUS__STATUS_WORKING)
            out[n++] = f->legs[i];
    return n;
}

static int
s_fake_find(void *impl, const char *id, broker_order_t *out)
{
    fake_t *f = impl;
    for (int i = 0; i < f->nlegs; i++)
        if (strcmp(f->legs[i].client_order_id, id) == 0) {
            *out = f->legs[i];
            return 0;
        }
    return -1;
}

static const broker_ops_t s_fake_ops = {
    "fake", s_fake_place, s_fake_cancel, s_fake_flatten, NULL,
    s_fake_positions, s_fake_open, s_fake_find, false
};

static void
s_fake_init(fake_t *f)
{
    memset(f, 0, sizeof(*f));
    broker_init(&f->broker, &s_fake_ops, f);
    f->fill_px = PX(2350, 0);
}

//  ---------------------------------------------------------------------------

static Ofts__OrderRequest
s_request(const char *id, Ofts__Side side)
{
    Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    req.client_order_id = (char *) id;
    req.signal_id = (char *) id;
    req.symbol = "GC";
    req.contract = "GCZ6";
    req.side = side;
    req.quantity = 1;
    req.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    bool buy = side == OFTS__SIDE__SIDE_BUY;
    req.entry = PX(2350, 1);
    req.stop = buy ? PX(2349, 1) : PX(2351, 1);
    req.take_profit = buy ? PX(2352, 1) : PX(2348, 1);
    return req;
}

static int
s_reset(void **state)
{
    (void) state;
    pub_n = 0;
    return 0;
}

static order_manager_config_t
s_cfg(void)
{
    order_manager_config_t cfg;
    order_manager_config_defaults(&cfg);
    cfg.reconcile_ms = 0;               //  tests reconcile by hand
    return cfg;
}

//  A manager over broker (and store, may be NULL) with cfg (NULL: s_cfg()),
//  publishing into pub_log.
static order_manager_t *
s_om(broker_t *broker, order_store_t *store, const order_manager_config_t *cfg)
{
    order_manager_config_t defaults = s_cfg();
    order_manager_t *om = order_manager_new(broker, store, cfg ? cfg : &defaults);
    order_manager_set_publisher(om, pub_record, NULL);
    return om;
}

//  The same, started at now_ns.
static order_manager_t *
s_om_start(broker_t *broker, order_store_t *store, const order_manager_config_t *cfg, int64_t now_ns)
{
    order_manager_t *om = s_om(broker, store, cfg);
    order_manager_start(om, now_ns);
    return om;
}

//  The paper broker without slippage (on store, may be NULL).
static paper_broker_t *
s_paper(order_store_t *store)
{
    paper_config_t pcfg = { .slippage_ticks = 0 };
    return paper_broker_new(&pcfg, store);
}

//  Same client order id twice: one placement, the resend answered with
//  the order's state.
static void
t_dedup_in_memory(void **state)
{
    (void) state;
    paper_broker_t *pb = s_paper(NULL);
    order_manager_t *om = s_om_start(paper_broker_broker(pb), NULL, NULL, 1);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    Ofts__OrderRequest req = s_request("sig-A", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    order_manager_on_request(om, &req, 3);
    assert_int_equal(order_manager_placed(om), 1);
    assert_int_equal(order_manager_duplicates(om), 1);
    assert_int_equal(paper_broker_position(pb, "GC"), 1);
    assert_int_equal(order_manager_position(om, "GC"), 1);
    assert_true(order_manager_protected(om, "GC"));
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_FILL, "exec.fill.GC."), 1);
    const pub_t *pos = s_last(OFTS__ENVELOPE__BODY_POSITION);
    assert_non_null(pos);
    assert_string_equal(pos->topic, "exec.position.GC.");
    assert_int_equal(pos->quantity, 1);
    assert_true(pos->protected_);
    assert_string_equal(pos->id, "sig-A");
    //  The resend's answer: the entry, filled.
    const pub_t *last = s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE);
    assert_string_equal(last->id, "sig-A");
    assert_int_equal(last->status, OFTS__ORDER_STATUS__STATUS_FILLED);
    order_manager_destroy(&om);
    assert_null(om);
    paper_broker_destroy(&pb);
}

//  An order risk made for one of several accounts (risk.accounts) is
//  refused, not placed in the one account this gateway-order serves.
static void
t_named_account_refused(void **state)
{
    (void) state;
    paper_broker_t *pb = s_paper(NULL);
    order_manager_t *om = s_om_start(paper_broker_broker(pb), NULL, NULL, 1);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    Ofts__OrderRequest req = s_request("sig-acct", OFTS__SIDE__SIDE_BUY);
    req.account = (char *) "TC-150K";
    order_manager_on_request(om, &req, 2);
    assert_int_equal(order_manager_placed(om), 0);
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    const pub_t *last = s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE);
    assert_non_null(last);
    assert_int_equal(last->status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
}

//  A restarted manager over the same store: the known id is not placed
//  again, fills are not counted twice, the position is still reported.
static void
t_restart_no_replacement(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(":memory:");
    paper_config_t pcfg = { .slippage_ticks = 1 };
    paper_broker_t *pb = paper_broker_new(&pcfg, store);
    order_manager_t *om = s_om_start(paper_broker_broker(pb), store, NULL, 1);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    Ofts__OrderRequest req = s_request("sig-B", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    assert_int_equal(order_store_fill_count(store), 1);
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);

    pub_n = 0;
    pb = paper_broker_new(&pcfg, store);
    om = s_om_start(paper_broker_broker(pb), store, NULL, 10);
    //  Start says where we stand.
    const pub_t *pos = s_last(OFTS__ENVELOPE__BODY_POSITION);
    assert_non_null(pos);
    assert_int_equal(pos->quantity, 1);
    assert_true(pos->protected_);
    //  The snapshot risk asks for after its own restart: the trading
    //  state, the day's fill, the two working legs, the position.
    pub_n = 0;
    assert_int_equal(order_manager_snapshot(om, "exec.", pub_record, NULL), 5);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ACCOUNT, "exec.account."), 1);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_FILL, "exec.fill.GC."), 1);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "exec.order.GC."), 2);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_POSITION)->quantity, 1);
    assert_int_equal(order_manager_snapshot(om, "exec.fill.", pub_record, NULL), 1);
    assert_int_equal(order_manager_snapshot(om, "exec.fill.SI.", pub_record, NULL), 0);
    assert_int_equal(order_manager_snapshot(om, "exec.position.", pub_record, NULL), 1);
    order_manager_on_request(om, &req, 11);
    assert_int_equal(order_manager_placed(om), 0);
    assert_int_equal(order_manager_duplicates(om), 1);
    assert_int_equal(paper_broker_position(pb, "GC"), 1);
    assert_int_equal(order_store_fill_count(store), 1);
    //  The restored stop still works and its fill is new.
    paper_broker_on_trade(pb, "GC", NULL, PX(2349, 2), 12);       //  stop at 2349.2 (fill 2350.2 - 1.0)
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    assert_int_equal(order_manager_position(om, "GC"), 0);
    assert_int_equal(order_store_fill_count(store), 2);
    assert_int_equal(order_manager_fills(om), 1);
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
    order_store_destroy(&store);
}

//  The broker rejects the stop: the position is flattened at market at the
//  next tick, loudly (OrderUpdate text).
static void
t_rejected_stop_flattens(void **state)
{
    (void) state;
    fake_t fake;
    s_fake_init(&fake);
    fake.reject_stop = true;
    order_manager_t *om = s_om_start(&fake.broker, NULL, NULL, 1);
    Ofts__OrderRequest req = s_request("sig-C", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 100 * MS);
    assert_int_equal(fake.places, 1);
    //  on_request ends with a tick: the flatten already went out.
    assert_int_equal(fake.flattens, 1);
    assert_int_equal(fake.pos.quantity, 0);
    assert_int_equal(order_manager_position(om, "GC"), 0);
    const pub_t *loud = s_find_text("UNPROTECTED GC 1");
    assert_non_null(loud);
    assert_int_equal(loud->role, OFTS__ORDER_ROLE__ROLE_FLATTEN);
    assert_non_null(strstr(loud->text, "stop sig-C-SL rejected"));
    //  The target leg was cancelled by the flatten.
    order_manager_tick(om, 200 * MS);
    assert_int_equal(fake.flattens, 1);                     //  once, not again
    order_manager_destroy(&om);
}

//  Legs never appear: nothing before the grace period, flatten after it.
static void
t_missing_legs_flatten_after_grace(void **state)
{
    (void) state;
    fake_t fake;
    s_fake_init(&fake);
    fake.no_legs = true;
    order_manager_config_t cfg = s_cfg();
    cfg.protect_grace_ms = 2000;
    order_manager_t *om = s_om_start(&fake.broker, NULL, &cfg, 1);
    Ofts__OrderRequest req = s_request("sig-D", OFTS__SIDE__SIDE_SELL);
    order_manager_on_request(om, &req, 1000 * MS);
    assert_int_equal(fake.pos.quantity, -1);
    order_manager_tick(om, 2500 * MS);
    assert_int_equal(fake.flattens, 0);
    assert_int_equal(order_manager_position(om, "GC"), -1);
    assert_false(order_manager_protected(om, "GC"));
    order_manager_tick(om, 3000 * MS);
    assert_int_equal(fake.flattens, 1);
    assert_int_equal(fake.pos.quantity, 0);
    assert_non_null(s_find_text("not working 2000 ms after the entry fill"));
    order_manager_destroy(&om);
}

//  A fill reported twice is published once.
static void
t_fill_once(void **state)
{
    (void) state;
    fake_t fake;
    s_fake_init(&fake);
    fake.duplicate_fills = true;
    order_store_t *store = order_store_new(":memory:");
    order_manager_t *om = s_om_start(&fake.broker, store, NULL, 1);
    Ofts__OrderRequest req = s_request("sig-E", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_FILL, "exec.fill."), 1);
    assert_int_equal(order_store_fill_count(store), 1);
    order_manager_destroy(&om);
    order_store_destroy(&store);
}

//  Kill: flatten all and refuse entries until resume; flatten by command
//  and by reduce_only request.
static void
t_kill_flatten_resume(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(":memory:");
    paper_broker_t *pb = s_paper(store);
    order_manager_t *om = s_om_start(paper_broker_broker(pb), store, NULL, 1);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    Ofts__OrderRequest req = s_request("k-1", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    assert_int_equal(paper_broker_position(pb, "GC"), 1);

    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_KILL;
    cmd.reason = "daily loss";
    cmd.issued_by = "risk";
    order_manager_on_command(om, &cmd, 3);
    assert_true(order_manager_halted(om));
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    broker_order_t open[8];
    assert_int_equal(broker_open_orders(paper_broker_broker(pb), open, 8), 0);
    req = s_request("k-2", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 4);
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE)->status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    //  The halt survives a restart.
    order_manager_destroy(&om);
    om = s_om_start(paper_broker_broker(pb), store, NULL, 5);
    assert_true(order_manager_halted(om));
    cmd.type = OFTS__COMMAND_TYPE__CMD_RESUME;
    order_manager_on_command(om, &cmd, 6);
    assert_false(order_manager_halted(om));
    req = s_request("k-3", OFTS__SIDE__SIDE_SELL);
    order_manager_on_request(om, &req, 7);
    assert_int_equal(paper_broker_position(pb, "GC"), -1);
    //  Flatten by command, for one symbol.
    cmd.type = OFTS__COMMAND_TYPE__CMD_FLATTEN;
    cmd.symbol = "GC";
    order_manager_on_command(om, &cmd, 8);
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    //  reduce_only: flattens the symbol, once per id.
    req = s_request("k-4", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 9);
    assert_int_equal(paper_broker_position(pb, "GC"), 1);
    Ofts__OrderRequest red = s_request("k-5", OFTS__SIDE__SIDE_SELL);
    red.reduce_only = true;
    order_manager_on_request(om, &red, 10);
    assert_int_equal(paper_broker_position(pb, "GC"), 0);
    order_manager_on_request(om, &red, 11);
    assert_int_equal(order_manager_duplicates(om), 1);
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
    order_store_destroy(&store);
}

//  No price (market closed): the flatten waits; risk's repeats within
//  flatten_retry_ms do not pile up more flatten orders, a later one re-sends.
static void
t_flatten_repeats(void **state)
{
    (void) state;
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_FLATTEN;
    paper_broker_t *pb;
    broker_t *b;
    order_manager_t *om;
    Ofts__OrderRequest req;
    //  No bid, no ask, no trade: the flatten order has to wait.
    pb = s_paper(NULL);
    b = paper_broker_broker(pb);
    om = s_om_start(b, NULL, NULL, 1);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    req = s_request("rep-2", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    paper_broker_on_bbo(pb, "GC", NULL, INT64_MAX, INT64_MAX, 3);  //  no bid, no ask
    broker_order_t open[8];
    assert_int_equal(broker_open_orders(b, open, 8), 2);          //  the legs
    order_manager_on_command(om, &cmd, 100 * MS);
    assert_int_equal(order_manager_flattens(om), 1);
    assert_int_equal(broker_open_orders(b, open, 8), 1);          //  the flatten, waiting
    order_manager_on_command(om, &cmd, 200 * MS);                 //  repeat: ignored
    order_manager_on_command(om, &cmd, 300 * MS);
    assert_int_equal(order_manager_flattens(om), 1);
    order_manager_on_command(om, &cmd, 5200 * MS);                //  after the retry time
    assert_int_equal(order_manager_flattens(om), 2);
    assert_int_equal(broker_open_orders(b, open, 8), 1);          //  still one, not two
    paper_broker_on_bbo(pb, "GC", NULL, PX(2349, 0), PX(2349, 1), 6000 * MS);
    assert_int_equal(paper_broker_position(pb, "GC"), 0);         //  closed once, not flipped
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
}

//  Bad requests: rejected with a reason, never placed.
static void
t_bad_requests(void **state)
{
    (void) state;
    fake_t fake;
    s_fake_init(&fake);
    order_manager_t *om = s_om(&fake.broker, NULL, NULL);
    Ofts__OrderRequest req = s_request("bad-1", OFTS__SIDE__SIDE_BUY);
    req.stop = 0;
    order_manager_on_request(om, &req, 1);
    assert_string_equal(s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE)->text,
                        "an entry needs both a stop and a take profit");
    req = s_request("bad-2", OFTS__SIDE__SIDE_BUY);
    req.symbol = "ZZ";
    order_manager_on_request(om, &req, 1);
    req = s_request("", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 1);
    req = s_request("bad-3", OFTS__SIDE__SIDE_NONE);
    order_manager_on_request(om, &req, 1);
    req = s_request("bad-4", OFTS__SIDE__SIDE_BUY);
    req.quantity = 0;
    order_manager_on_request(om, &req, 1);
    req = s_request("bad-5", OFTS__SIDE__SIDE_BUY);
    req.stop = PX(2351, 1);                                 //  above the entry on a buy
    order_manager_on_request(om, &req, 1);
    assert_string_equal(s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE)->text,
                        "a buy needs stop < entry < take profit");
    req = s_request("bad-6", OFTS__SIDE__SIDE_SELL);
    req.take_profit = PX(2353, 0);                          //  above the entry on a sell
    order_manager_on_request(om, &req, 1);
    req = s_request("bad-7", OFTS__SIDE__SIDE_BUY);
    req.entry = 0;                                          //  no reference price
    order_manager_on_request(om, &req, 1);
    assert_int_equal(fake.places, 0);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "exec.order."), 8);
    //  A rejected id is still "seen": its resend is not placed either.
    req = s_request("bad-1", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    assert_int_equal(fake.places, 0);
    order_manager_destroy(&om);
}

//  The broker has a position we never heard of: reconcile takes it, and the
//  unprotected position is flattened after the grace period.
static void
t_reconcile_broker_wins(void **state)
{
    (void) state;
    fake_t fake;
    s_fake_init(&fake);
    order_manager_t *om = s_om_start(&fake.broker, NULL, NULL, 1);
    strcpy(fake.pos.symbol, "GC");
    fake.pos.quantity = 3;
    fake.pos.avg_price = PX(2351, 0);
    order_manager_reconcile(om, 10 * MS);
    assert_int_equal(order_manager_position(om, "GC"), 3);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_POSITION)->quantity, 3);
    order_manager_tick(om, 10 * MS);
    assert_int_equal(fake.flattens, 0);
    order_manager_tick(om, 2100 * MS);
    assert_int_equal(fake.flattens, 1);
    assert_int_equal(order_manager_position(om, "GC"), 0);
    //  And the other way: we think long, the broker is flat.
    fake.pos.quantity = 0;
    Ofts__OrderRequest req = s_request("r-1", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 3000 * MS);
    assert_int_equal(order_manager_position(om, "GC"), 1);
    fake.pos.quantity = 0;                                  //  closed behind our back
    order_manager_reconcile(om, 3100 * MS);
    assert_int_equal(order_manager_position(om, "GC"), 0);
    order_manager_destroy(&om);
}

//  An ambiguous place that never reached the broker: UNKNOWN, never resent,
//  declared never placed (REJECTED) once unknown_timeout_ms has passed.
static void
t_ambiguous_place_never_landed(void **state)
{
    (void) state;
    fake_t fake;
    s_fake_init(&fake);
    fake.lost = true;
    order_manager_config_t cfg = s_cfg();
    cfg.unknown_timeout_ms = 30000;
    order_store_t *store = order_store_new(":memory:");
    order_manager_t *om = s_om_start(&fake.broker, store, &cfg, 1);
    Ofts__OrderRequest req = s_request("amb-1", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 1000 * MS);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE)->status, OFTS__ORDER_STATUS__STATUS_UNKNOWN);
    order_manager_reconcile(om, 10000 * MS);
    broker_order_t o;
    assert_int_equal(order_store_order_get(store, "amb-1", &o), 1);
    assert_int_equal(o.status, OFTS__ORDER_STATUS__STATUS_UNKNOWN);
    order_manager_on_request(om, &req, 20000 * MS);         //  resend: not placed
    assert_int_equal(fake.places, 1);
    order_manager_reconcile(om, 31001 * MS);
    assert_int_equal(order_store_order_get(store, "amb-1", &o), 1);
    assert_int_equal(o.status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    assert_non_null(strstr(o.text, "never placed"));
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE)->status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    order_manager_on_request(om, &req, 32000 * MS);         //  still never placed again
    assert_int_equal(fake.places, 1);
    order_manager_destroy(&om);
    order_store_destroy(&store);
}

//  Snapshot: positions and working orders, filtered by prefix.
static void
t_snapshot(void **state)
{
    (void) state;
    paper_broker_t *pb = s_paper(NULL);
    order_manager_t *om = s_om_start(paper_broker_broker(pb), NULL, NULL, 1);
    paper_broker_on_bbo(pb, "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
    Ofts__OrderRequest req = s_request("snap-1", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    pub_n = 0;
    assert_int_equal(order_manager_snapshot(om, "exec.", pub_record, NULL), 4);  //  state, position, 2 legs
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_POSITION, "exec.position.GC."), 1);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "exec.order.GC."), 2);
    pub_n = 0;
    assert_int_equal(order_manager_snapshot(om, "exec.position.", pub_record, NULL), 1);
    assert_int_equal(order_manager_snapshot(om, "exec.position.SI.", pub_record, NULL), 0);
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
}

//  Disk full, simulated for this process: RLIMIT_FSIZE 0 makes every file
//  write fail with EFBIG (SIGXFSZ ignored), reads still work. Fast,
//  unprivileged and exact, unlike filling a real disk.
static struct rlimit s_fsize;

static void
s_disk_full(void)
{
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &s_fsize), 0);
    struct rlimit full = { 0, s_fsize.rlim_max };
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &full), 0);
}

static void
s_disk_ok(void)
{
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &s_fsize), 0);
}

static int
s_count_text(const char *text)
{
    int n = 0;
    for (int i = 0; i < pub_n; i++)
        n += strstr(pub_log[i].text, text) != NULL;
    return n;
}

//  issue 11 §4: the snapshot carries every fill risk may lack, not only
//  the newest fill's trading day: the day before too (risk down across the
//  17:00 CT roll). Older days are not resent.
static void
t_snapshot_fills_two_days(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(":memory:");
    const int64_t s = 1000000000LL;
    const int64_t at[3] = { 1733151600 * s, 1733238000 * s, 1733324400 * s };   //  Dec 2, 3, 4 15:00 UTC
    for (int i = 0; i < 3; i++) {
        broker_fill_t f;
        memset(&f, 0, sizeof(f));
        snprintf(f.fill_id, sizeof(f.fill_id), "F%d", i);
        snprintf(f.client_order_id, sizeof(f.client_order_id), "ofts-%d", i);
        snprintf(f.symbol, sizeof(f.symbol), "GC");
        f.side = OFTS__SIDE__SIDE_BUY;
        f.quantity = 1;
        f.ts_ns = at[i];
        assert_int_equal(order_store_fill_add(store, &f), 1);
    }
    paper_broker_t *pb = s_paper(NULL);
    order_manager_t *om = s_om(paper_broker_broker(pb), store, NULL);
    pub_n = 0;
    assert_int_equal(order_manager_snapshot(om, "exec.fill.", pub_record, NULL), 2);
    assert_string_equal(pub_log[0].id, "F1");
    assert_string_equal(pub_log[1].id, "F2");
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
    order_store_destroy(&store);
}

//  A file store, a paper broker that outlives the manager (as a real
//  broker outlives gateway-order), a manager over both.
typedef struct {
    char dir[64];
    char path[128];
    order_store_t *store;
    paper_broker_t *pb;
    order_manager_t *om;
} disk_fx_t;

static void
s_disk_fx_up(disk_fx_t *fx)
{
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/ofts-om-disk-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof(fx->path), "%s/orders.db", fx->dir);
    fx->store = order_store_new(fx->path);
    assert_non_null(fx->store);
    fx->pb = s_paper(NULL);
    paper_broker_on_bbo(fx->pb, "GC", "GCZ6", PX(2350, 0), PX(2350, 1), 1);
    fx->om = s_om(paper_broker_broker(fx->pb), fx->store, NULL);
}

//  gateway-order restarts: a new store handle and manager, same file.
static void
s_disk_fx_restart(disk_fx_t *fx, int64_t now)
{
    order_manager_destroy(&fx->om);
    order_store_destroy(&fx->store);
    fx->store = order_store_new(fx->path);
    assert_non_null(fx->store);
    fx->om = s_om_start(paper_broker_broker(fx->pb), fx->store, NULL, now);
}

static void
s_disk_fx_down(disk_fx_t *fx)
{
    order_manager_destroy(&fx->om);
    order_store_destroy(&fx->store);
    paper_broker_destroy(&fx->pb);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
}

//  Disk full under gateway-order: the approval's id cannot be written, so
//  it is not placed (REDUCING, said on exec.account.); after a restart the
//  re-sent approval is placed once: one fill, never two. Before the fix
//  the failed write was ignored, the order placed, and the resend after
//  the restart (the id not in the store) placed and filled again.
static void
t_disk_full_fails_closed(void **state)
{
    (void) state;
    disk_fx_t fx;
    s_disk_fx_up(&fx);
    order_manager_start(fx.om, 1);
    const pub_t *st = s_last(OFTS__ENVELOPE__BODY_ACCOUNT);
    assert_non_null(st);
    assert_int_equal(st->status, OFTS__TRADING_STATE__STATE_ACTIVE);

    s_disk_full();
    Ofts__OrderRequest req = s_request("full-1", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(fx.om, &req, 2);
    s_disk_ok();
    assert_int_equal(paper_broker_order_count(fx.pb), 0);   //  nothing reached the broker
    assert_int_equal(order_manager_placed(fx.om), 0);
    assert_true(order_manager_reducing(fx.om));
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE)->status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    st = s_last(OFTS__ENVELOPE__BODY_ACCOUNT);
    assert_int_equal(st->status, OFTS__TRADING_STATE__STATE_REDUCING);
    assert_non_null(strstr(st->text, "order store failed"));
    //  The disk has room again, but this run stays REDUCING (fail closed).
    Ofts__OrderRequest other = s_request("full-2", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(fx.om, &other, 3);
    assert_int_equal(paper_broker_order_count(fx.pb), 0);
    assert_true(s_count_text("order store failed") >= 2);

    //  Restart on the same file; risk re-sends the approval.
    pub_n = 0;
    s_disk_fx_restart(&fx, 10);
    assert_false(order_manager_reducing(fx.om));
    order_manager_on_request(fx.om, &req, 11);
    order_manager_on_request(fx.om, &req, 12);
    assert_int_equal(order_manager_placed(fx.om), 1);
    assert_int_equal(paper_broker_position(fx.pb, "GC"), 1);       //  one lot, not two
    assert_int_equal(order_store_fill_count(fx.store), 1);
    s_disk_fx_down(&fx);
}

//  A store that cannot answer "have we seen this id?" never answers "no":
//  the request is refused, not placed.
static void
t_store_read_error_is_not_new(void **state)
{
    (void) state;
    disk_fx_t fx;
    s_disk_fx_up(&fx);
    //  The orders table becomes unreadable under us.
    sqlite3 *db;
    assert_int_equal(sqlite3_open(fx.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE orders RENAME TO orders_gone;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    Ofts__OrderRequest req = s_request("read-1", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(fx.om, &req, 2);
    assert_int_equal(order_manager_placed(fx.om), 0);
    assert_int_equal(paper_broker_order_count(fx.pb), 0);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE)->status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    assert_true(order_manager_reducing(fx.om));
    s_disk_fx_down(&fx);
}

//  issue 13 (a service running for days): the ids kept in memory for the
//  "seen before" answer are bounded when a store holds them all; an id
//  dropped from memory is still refused as a resend (the store answers).
static void
t_seen_ids_bounded(void **state)
{
    (void) state;
    fake_t fake;
    s_fake_init(&fake);
    order_store_t *store = order_store_new(":memory:");
    order_manager_t *om = s_om_start(&fake.broker, store, NULL, 1);
    Ofts__OrderRequest keep = s_request("keep-1", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &keep, 2);
    assert_int_equal(fake.places, 1);
    for (int i = 0; i < 5000; i++) {           //  refused (no stop), each one stored and seen
        char id[32];
        snprintf(id, sizeof id, "bad-%d", i);
        Ofts__OrderRequest req = s_request(id, OFTS__SIDE__SIDE_BUY);
        req.stop = 0;
        pub_n = 0;
        order_manager_on_request(om, &req, 3 + i);
    }
    assert_true(order_manager_ids_in_memory(om) <= 4096);
    pub_n = 0;
    order_manager_on_request(om, &keep, 10000);
    assert_int_equal(fake.places, 1);
    assert_int_equal(order_manager_duplicates(om), 1);
    order_manager_destroy(&om);
    order_store_destroy(&store);
}

//  A GCZ6 position is marked by GCZ6 only: a GCG7 print $20 away changes
//  nothing (it used to mark the root: -$2,000 on one lot).
static void
t_marks_per_contract(void **state)
{
    (void) state;
    paper_broker_t *pb = s_paper(NULL);
    order_manager_t *om = s_om_start(paper_broker_broker(pb), NULL, NULL, 1);
    paper_broker_on_bbo(pb, "GC", "GCZ6", PX(2350, 0), PX(2350, 1), 1);
    Ofts__OrderRequest req = s_request("sig-M", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    assert_int_equal(order_manager_position(om, "GC"), 1);
    pub_n = 0;
    order_manager_mark(om, "GC", "GCG7", PX(2370, 0));
    order_manager_publish_marks(om);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_POSITION, "exec.position.GC."), 0);
    order_manager_mark(om, "GC", "GCZ6", PX(2351, 1));
    order_manager_publish_marks(om);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_POSITION, "exec.position.GC."), 1);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_POSITION)->upnl, 10000);  //  2350.1 -> 2351.1
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
}

//  The same marks through memos (ofts sweep's path): a memo made before
//  the position existed finds it once it does; another month still never
//  marks it; a symbol without a position stays without one.
static void
t_marks_by_memo(void **state)
{
    (void) state;
    paper_broker_t *pb = s_paper(NULL);
    order_manager_t *om = s_om_start(paper_broker_broker(pb), NULL, NULL, 1);
    om_mark_memo_t z6, g7, nq;
    memset(&z6, 0, sizeof z6);
    memset(&g7, 0, sizeof g7);
    memset(&nq, 0, sizeof nq);
    order_manager_mark_memo(om, &z6, "GC", "GCZ6", PX(2349, 0));    //  no position yet
    assert_int_equal(z6.pos, 0);
    paper_broker_on_bbo(pb, "GC", "GCZ6", PX(2350, 0), PX(2350, 1), 1);
    Ofts__OrderRequest req = s_request("sig-M", OFTS__SIDE__SIDE_BUY);
    order_manager_on_request(om, &req, 2);
    assert_int_equal(order_manager_position(om, "GC"), 1);
    pub_n = 0;
    order_manager_mark_memo(om, &g7, "GC", "GCG7", PX(2370, 0));
    order_manager_mark_memo(om, &nq, "NQ", "NQZ6", PX(21000, 0));
    order_manager_publish_marks(om);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_POSITION, "exec.position."), 0);
    assert_int_equal(nq.pos, 0);
    assert_int_equal(nq.npos, g7.npos);
    order_manager_mark_memo(om, &z6, "GC", "GCZ6", PX(2351, 1));
    order_manager_publish_marks(om);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_POSITION, "exec.position.GC."), 1);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_POSITION)->upnl, 10000);  //  2350.1 -> 2351.1
    assert_int_not_equal(z6.pos, 0);
    order_manager_destroy(&om);
    paper_broker_destroy(&pb);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(t_dedup_in_memory, s_reset),
        cmocka_unit_test_setup(t_marks_by_memo, s_reset),
        cmocka_unit_test_setup(t_named_account_refused, s_reset),
        cmocka_unit_test_setup(t_restart_no_replacement, s_reset),
        cmocka_unit_test_setup(t_rejected_stop_flattens, s_reset),
        cmocka_unit_test_setup(t_missing_legs_flatten_after_grace, s_reset),
        cmocka_unit_test_setup(t_fill_once, s_reset),
        cmocka_unit_test_setup(t_kill_flatten_resume, s_reset),
        cmocka_unit_test_setup(t_flatten_repeats, s_reset),
        cmocka_unit_test_setup(t_bad_requests, s_reset),
        cmocka_unit_test_setup(t_reconcile_broker_wins, s_reset),
        cmocka_unit_test_setup(t_ambiguous_place_never_landed, s_reset),
        cmocka_unit_test_setup(t_snapshot, s_reset),
        cmocka_unit_test_setup(t_snapshot_fills_two_days, s_reset),
        cmocka_unit_test_setup(t_disk_full_fails_closed, s_reset),
        cmocka_unit_test_setup(t_store_read_error_is_not_new, s_reset),
        cmocka_unit_test_setup(t_marks_per_contract, s_reset),
        cmocka_unit_test_setup(t_seen_ids_bounded, s_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
