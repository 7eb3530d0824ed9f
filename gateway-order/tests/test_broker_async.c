/*  broker_async: the order manager over a broker whose calls hang. A fake
    inner broker blocks every place until the test opens a gate; meanwhile
    the manager's calls (another symbol's order, a kill, ticks) return at
    once; once the gate opens the calls reach the broker once each, in the
    order they were made (a flatten never overtakes the place before it),
    and the outcomes the broker only returned (rejected, ambiguous, nothing
    to close) come back as the order updates the manager used to make.    */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include "broker_async.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "order_manager.h"

#define PX(whole, tenths) ((int64_t) (whole) * 1000000000LL + (int64_t) (tenths) * 100000000LL)
#define MS 1000000LL

//  ---------------------------------------------------------------------------
//  A fake broker: places wait for the gate; every call is logged.

typedef struct {
    broker_t broker;
    pthread_mutex_t mx;
    pthread_cond_t cv;
    bool gate_open;
    broker_result_t place_rc;           //  what place returns
    bool flat;                          //  flatten: nothing to close
    char calls[32][80];
    int ncalls;
    pthread_t caller;                   //  the thread that called last
} fake_t;

static void
s_log_call(fake_t *f, const char *what, const char *id)
{
    pthread_mutex_lock(&f->mx);
    if (f->ncalls < 32)
        snprintf(f->calls[f->ncalls++], 80, "%s %s", what, id);
    f->caller = pthread_self();
    pthread_mutex_unlock(&f->mx);
}

static broker_result_t
s_fake_place(void *impl, broker_order_t *order, int64_t now_ns)
{
    fake_t *f = impl;
    pthread_mutex_lock(&f->mx);
    while (!f->gate_open)
        pthread_cond_wait(&f->cv, &f->mx);
    pthread_mutex_unlock(&f->mx);
    s_log_call(f, "place", order->client_order_id);
    order->updated_ns = now_ns;
    if (f->place_rc == BROKER_REJECTED) {
        order->status = OFTS__ORDER_STATUS__STATUS_REJECTED;
        snprintf(order->text, sizeof(order->text), "market closed");
        return BROKER_REJECTED;
    }
    if (f->place_rc == BROKER_AMBIGUOUS) {
        order->status = OFTS__ORDER_STATUS__STATUS_UNKNOWN;
        return BROKER_AMBIGUOUS;
    }
    order->status = OFTS__ORDER_STATUS__STATUS_WORKING;
    snprintf(order->broker_order_id, sizeof(order->broker_order_id), "b-%s", order->client_order_id);
    broker_emit_order(&f->broker, order);
    return BROKER_OK;
}

static broker_result_t
s_fake_cancel(void *impl, const char *client_order_id, int64_t now_ns)
{
    (void) now_ns;
    s_log_call(impl, "cancel", client_order_id);
    return BROKER_OK;
}

static broker_result_t
s_fake_flatten(void *impl, const char *symbol, const char *flatten_id, int64_t now_ns)
{
    fake_t *f = impl;
    s_log_call(f, "flatten", symbol);
    if (f->flat)
        return BROKER_OK;
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    snprintf(o.client_order_id, sizeof(o.client_order_id), "%s", flatten_id);
    snprintf(o.symbol, sizeof(o.symbol), "%s", symbol);
    o.role = OFTS__ORDER_ROLE__ROLE_FLATTEN;
    o.status = OFTS__ORDER_STATUS__STATUS_FILLED;
    o.updated_ns = now_ns;
    broker_emit_order(&f->broker, &o);
    return BROKER_OK;
}

static size_t s_fake_none(void *impl, void *out, size_t max) { (void) impl; (void) out; (void) max; return 0; }
static size_t s_fake_positions(void *impl, broker_position_t *out, size_t max) { return s_fake_none(impl, out, max); }
static size_t s_fake_open(void *impl, broker_order_t *out, size_t max) { return s_fake_none(impl, out, max); }

static int
s_fake_find(void *impl, const char *client_order_id, broker_order_t *out)
{
    (void) out;
    s_log_call(impl, "find", client_order_id);
    return -1;
}

static const broker_ops_t s_fake_ops = {
    .name = "fake", .place = s_fake_place, .cancel = s_fake_cancel, .flatten = s_fake_flatten,
    .positions = s_fake_positions, .open_orders = s_fake_open, .find_order = s_fake_find, .remote = true,
};

static void
s_open_gate(fake_t *f)
{
    pthread_mutex_lock(&f->mx);
    f->gate_open = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mx);
}

//  ---------------------------------------------------------------------------
//  Fixture: manager -> broker_async -> fake

typedef struct {
    char id[BROKER_COID_LEN];
    int status;
    char text[BROKER_TEXT_LEN];
} update_t;

typedef struct {
    fake_t fake;
    broker_async_t *async;
    order_manager_t *om;
    update_t updates[64];
    int nupdates;
} fx_t;

static void
s_publish(void *arg, const char *topic, Ofts__Envelope *env)
{
    (void) topic;
    fx_t *fx = arg;
    if (env->body_case != OFTS__ENVELOPE__BODY_ORDER_UPDATE || fx->nupdates == 64)
        return;
    update_t *u = &fx->updates[fx->nupdates++];
    snprintf(u->id, sizeof(u->id), "%s", env->order_update->client_order_id);
    u->status = env->order_update->status;
    snprintf(u->text, sizeof(u->text), "%s", env->order_update->text);
}

//  The latest update published for id (NULL: none).
static const update_t *
s_last(fx_t *fx, const char *id)
{
    for (int i = fx->nupdates - 1; i >= 0; i--)
        if (strcmp(fx->updates[i].id, id) == 0)
            return &fx->updates[i];
    return NULL;
}

static int
s_setup(void **state)
{
    ofts_log_init("test-async", OFTS_LOG_ERROR);
    fx_t *fx = calloc(1, sizeof(*fx));
    pthread_mutex_init(&fx->fake.mx, NULL);
    pthread_cond_init(&fx->fake.cv, NULL);
    broker_init(&fx->fake.broker, &s_fake_ops, &fx->fake);
    fx->async = broker_async_new(&fx->fake.broker);
    order_manager_config_t cfg;
    order_manager_config_defaults(&cfg);
    cfg.reconcile_ms = 0;
    fx->om = order_manager_new(broker_async_broker(fx->async), NULL, &cfg);
    order_manager_set_publisher(fx->om, s_publish, fx);
    order_manager_start(fx->om, ofts_clock_now_ns());
    *state = fx;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *fx = *state;
    s_open_gate(&fx->fake);             //  a hung place must not hang the test
    order_manager_destroy(&fx->om);
    broker_async_destroy(&fx->async);
    pthread_cond_destroy(&fx->fake.cv);
    pthread_mutex_destroy(&fx->fake.mx);
    free(fx);
    return 0;
}

static Ofts__OrderRequest
s_request(const char *id, const char *symbol)
{
    Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    req.client_order_id = (char *) id;
    req.symbol = (char *) symbol;
    req.side = OFTS__SIDE__SIDE_BUY;
    req.quantity = 1;
    req.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    req.entry = PX(2350, 0);
    req.stop = PX(2349, 0);
    req.take_profit = PX(2352, 0);
    return req;
}

//  Tick the manager until cond holds (5 s).
#define WAIT_FOR(fx, cond) do { \
        int64_t deadline_ = ofts_clock_mono_ns() + 5000 * MS; \
        while (!(cond)) { \
            assert_true(ofts_clock_mono_ns() < deadline_); \
            order_manager_tick((fx)->om, ofts_clock_now_ns()); \
            zclock_sleep(2); \
        } \
    } while (0)

static bool
s_status_is(fx_t *fx, const char *id, int status)
{
    const update_t *u = s_last(fx, id);
    return u && u->status == status;
}

static size_t
s_queued(fx_t *fx)
{
    broker_async_stats_t st;
    broker_async_stats(fx->async, &st);
    return st.queued;
}

//  The broker hangs on the first place: the manager still takes a second
//  symbol's order, a kill and ticks at once; each is stored and announced
//  (pending) before the broker hears of it.
static void
t_calls_never_wait(void **state)
{
    fx_t *fx = *state;
    Ofts__OrderRequest a = s_request("a-1", "GC"), b = s_request("b-1", "NQ");
    int64_t t0 = ofts_clock_mono_ns();
    order_manager_on_request(fx->om, &a, ofts_clock_now_ns());
    order_manager_on_request(fx->om, &b, ofts_clock_now_ns());
    for (int i = 0; i < 100; i++)
        order_manager_tick(fx->om, ofts_clock_now_ns());
    Ofts__Command kill = OFTS__COMMAND__INIT;
    kill.type = OFTS__COMMAND_TYPE__CMD_KILL;
    order_manager_on_command(fx->om, &kill, ofts_clock_now_ns());
    int64_t took = ofts_clock_mono_ns() - t0;
    assert_true(took < 200 * MS);       //  the place is still hanging
    assert_true(order_manager_halted(fx->om));
    assert_true(s_status_is(fx, "a-1", OFTS__ORDER_STATUS__STATUS_PENDING));
    assert_true(s_status_is(fx, "b-1", OFTS__ORDER_STATUS__STATUS_PENDING));
    assert_int_equal(fx->fake.ncalls, 0);
    assert_true(s_queued(fx) >= 4);     //  2 places, 2 flattens
    //  A duplicate while queued is not queued again.
    order_manager_on_request(fx->om, &a, ofts_clock_now_ns());
    assert_int_equal(order_manager_duplicates(fx->om), 1);
    s_open_gate(&fx->fake);
    WAIT_FOR(fx, s_queued(fx) == 0 && s_status_is(fx, "a-1", OFTS__ORDER_STATUS__STATUS_WORKING)
                 && s_status_is(fx, "b-1", OFTS__ORDER_STATUS__STATUS_WORKING));
    //  In the order they were made, once each: no flatten before its place.
    assert_int_equal(fx->fake.ncalls, 4);
    assert_string_equal(fx->fake.calls[0], "place a-1");
    assert_string_equal(fx->fake.calls[1], "place b-1");
    assert_string_equal(fx->fake.calls[2], "flatten GC");
    assert_string_equal(fx->fake.calls[3], "flatten NQ");
    assert_false(pthread_equal(fx->fake.caller, pthread_self()));   //  on the worker
    //  The pending update of a-1 came before its working one.
    int pending = -1, working = -1;
    for (int i = 0; i < fx->nupdates; i++) {
        if (strcmp(fx->updates[i].id, "a-1") != 0)
            continue;
        if (fx->updates[i].status == OFTS__ORDER_STATUS__STATUS_PENDING && pending < 0)
            pending = i;
        if (fx->updates[i].status == OFTS__ORDER_STATUS__STATUS_WORKING)
            working = i;
    }
    assert_true(pending >= 0 && working > pending);
}

//  What the broker only returned becomes the update the manager used to
//  publish: a refusal with its reason, an ambiguous place as UNKNOWN, a
//  flatten with nothing to close as CANCELLED "flat: nothing to close".
static void
t_outcomes_become_updates(void **state)
{
    fx_t *fx = *state;
    s_open_gate(&fx->fake);
    fx->fake.place_rc = BROKER_REJECTED;
    Ofts__OrderRequest r = s_request("r-1", "GC");
    order_manager_on_request(fx->om, &r, ofts_clock_now_ns());
    WAIT_FOR(fx, s_status_is(fx, "r-1", OFTS__ORDER_STATUS__STATUS_REJECTED));
    assert_string_equal(s_last(fx, "r-1")->text, "market closed");
    fx->fake.place_rc = BROKER_AMBIGUOUS;
    Ofts__OrderRequest u = s_request("u-1", "GC");
    order_manager_on_request(fx->om, &u, ofts_clock_now_ns());
    WAIT_FOR(fx, s_status_is(fx, "u-1", OFTS__ORDER_STATUS__STATUS_UNKNOWN));
    assert_string_equal(s_last(fx, "u-1")->text, "outcome unknown: reconciling");
    //  Flatten GC: the broker had nothing to close.
    fx->fake.flat = true;
    Ofts__Command flat = OFTS__COMMAND__INIT;
    flat.type = OFTS__COMMAND_TYPE__CMD_FLATTEN;
    flat.symbol = "GC";
    order_manager_on_command(fx->om, &flat, ofts_clock_now_ns());
    WAIT_FOR(fx, s_status_is(fx, "FL-GC-1", OFTS__ORDER_STATUS__STATUS_CANCELLED));
    assert_string_equal(s_last(fx, "FL-GC-1")->text, "flat: nothing to close");
}

//  At the broker_t level: a cancel made right after a place waits for it;
//  find_order answers a queued call from memory, asks the broker about an
//  unknown id once, and hands its "not there" to the next call.
static void
t_cancel_after_place_and_find(void **state)
{
    fx_t *fx = *state;
    broker_t *b = broker_async_broker(fx->async);
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    snprintf(o.client_order_id, sizeof(o.client_order_id), "c-1");
    snprintf(o.symbol, sizeof(o.symbol), "GC");
    assert_int_equal(broker_place(b, &o, 1), BROKER_OK);
    assert_int_equal(broker_cancel(b, "c-1", 2), BROKER_OK);
    broker_order_t seen;
    assert_int_equal(broker_find_order(b, "c-1", &seen), 0);
    assert_int_equal(seen.status, OFTS__ORDER_STATUS__STATUS_PENDING);
    assert_int_equal(broker_open_orders(b, &seen, 1), 1);
    assert_int_equal(broker_find_order(b, "nobody", &seen), -2);    //  asked
    assert_int_equal(broker_find_order(b, "nobody", &seen), -2);    //  not asked twice
    zclock_sleep(50);
    assert_int_equal(fx->fake.ncalls, 0);                           //  all behind the place
    s_open_gate(&fx->fake);
    WAIT_FOR(fx, s_queued(fx) == 0);
    broker_poll(b, 3);
    assert_int_equal(fx->fake.ncalls, 3);
    assert_string_equal(fx->fake.calls[0], "place c-1");
    assert_string_equal(fx->fake.calls[1], "cancel c-1");
    assert_string_equal(fx->fake.calls[2], "find nobody");
    assert_int_equal(broker_find_order(b, "nobody", &seen), -1);    //  the answer, once
    assert_int_equal(broker_find_order(b, "c-1", &seen), 0);
    assert_int_equal(seen.status, OFTS__ORDER_STATUS__STATUS_WORKING);
}

//  The signal socket wakes a loop when news is ready.
static void
t_signal_when_ready(void **state)
{
    fx_t *fx = *state;
    s_open_gate(&fx->fake);
    broker_t *b = broker_async_broker(fx->async);
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    snprintf(o.client_order_id, sizeof(o.client_order_id), "s-1");
    broker_place(b, &o, 1);
    zpoller_t *poller = zpoller_new(broker_async_signal(fx->async), NULL);
    assert_non_null(zpoller_wait(poller, 5000));
    zpoller_destroy(&poller);
    broker_order_t seen;
    broker_poll(b, 2);
    assert_int_equal(broker_find_order(b, "s-1", &seen), 0);
    assert_int_equal(seen.status, OFTS__ORDER_STATUS__STATUS_WORKING);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_calls_never_wait, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_outcomes_become_updates, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_cancel_after_place_and_find, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_signal_when_ready, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
