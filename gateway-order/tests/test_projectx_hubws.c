/*  test_projectx_hubws - the user hub end to end over a real WebSocket:
    projectx_hubws (libwebsockets client) + projectx_userhub + signalr
    against ofts-mock-projectx's SignalR hub. Login over REST, subscribe,
    receive the events of a bracket order, survive a dropped socket and a
    SignalR Close (reconnect, resubscribe), bare payloads, a bad token.   */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ofts_instrument.h"
#include "ofts_log.h"
#include "projectx_client.h"
#include "projectx_harness.h"
#include "projectx_hubws.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    mock_server_t mock;
    projectx_t *px;
    projectx_hubws_t *ws;
    projectx_userhub_t *hub;
    const char *token_override;
    int ups, downs;
    projectx_event_t events[256];
    int nevents;
} fixture_t;

static long
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
on_event(void *arg, const projectx_event_t *ev)
{
    fixture_t *f = arg;
    if (f->nevents < 256)
        f->events[f->nevents++] = *ev;
}

static void
on_state(void *arg, bool up, const char *reason)
{
    fixture_t *f = arg;
    (void) reason;
    if (up)
        f->ups++;
    else
        f->downs++;
}

static const char *
token(void *arg)
{
    fixture_t *f = arg;
    return f->token_override ? f->token_override : projectx_token(f->px);
}

static int
setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    const char *args[] = { "--hub-ping-ms", "500", NULL };
    if (mock_start(&f->mock, args) != 0 || f->mock.hub_port <= 0) {
        free(f);
        return -1;
    }
    projectx_config_t cfg;
    mock_client_config(&f->mock, &cfg, "ofts-user", "ofts-test-key", "PRAC-V2-645601-47191819");
    f->px = projectx_new(&cfg);
    if (!f->px || projectx_login(f->px) != PROJECTX_OK)
        return -1;
    f->ws = projectx_hubws_new();
    projectx_hub_transport_t t;
    projectx_hubws_transport(f->ws, &t);
    projectx_hub_handler_t h = { on_event, on_state, token, f };
    signalr_options_t o;
    signalr_options_defaults(&o);
    o.server_timeout_ms = 3000;     //  the mock pings every 500 ms
    o.handshake_timeout_ms = 3000;
    f->hub = projectx_userhub_new(f->mock.hub_url, projectx_account_id(f->px), &o, &t, &h);
    projectx_hubws_attach(f->ws, f->hub);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture_t *f = *state;
    projectx_userhub_destroy(&f->hub);
    projectx_hubws_destroy(&f->ws);
    projectx_destroy(&f->px);
    mock_stop(&f->mock);
    free(f);
    return 0;
}

//  Service the hub until cond(f) or the deadline; true when cond held.
static bool
pump_until(fixture_t *f, bool (*cond)(fixture_t *), long ms)
{
    long deadline = mono_ms() + ms;
    while (mono_ms() < deadline) {
        projectx_hubws_service(f->ws, 20);
        if (cond(f))
            return true;
    }
    return false;
}

static int want_ups, want_downs;
static bool ups_reached(fixture_t *f) { return f->ups >= want_ups; }
static bool downs_reached(fixture_t *f) { return f->downs >= want_downs; }

static const char *want_tag;
static int want_status;
static bool
order_seen(fixture_t *f)
{
    for (int i = 0; i < f->nevents; i++)
        if (f->events[i].kind == PROJECTX_EVENT_ORDER
            && strcmp(f->events[i].u.order.custom_tag, want_tag) == 0
            && f->events[i].u.order.status == want_status)
            return true;
    return false;
}

static bool
closed_position_seen(fixture_t *f)
{
    for (int i = 0; i < f->nevents; i++)
        if (f->events[i].kind == PROJECTX_EVENT_POSITION && f->events[i].u.position.size == 0
            && f->events[i].u.position.type == 0)
            return true;
    return false;
}

static int
count_kind(fixture_t *f, int kind)
{
    int n = 0;
    for (int i = 0; i < f->nevents; i++)
        n += f->events[i].kind == kind;
    return n;
}

static void
place(fixture_t *f, const char *tag, projectx_place_result_t *r)
{
    projectx_order_t o = { .side = PROJECTX_SIDE_BUY, .type = PROJECTX_TYPE_MARKET, .size = 1,
                           .limit_price = OFTS_UNDEF_PRICE, .stop_price = OFTS_UNDEF_PRICE,
                           .sl_ticks = 10, .tp_ticks = 20 };
    snprintf(o.contract_id, sizeof o.contract_id, "CON.F.US.GCE.Z26");
    snprintf(o.custom_tag, sizeof o.custom_tag, "%s", tag);
    assert_int_equal(projectx_place(f->px, &o, r), PROJECTX_OK);
}

static void
hub_state(fixture_t *f, int *open, int *accepted, int *subscribed)
{
    json_t *state = mock_admin(&f->mock, "/mock/state", NULL);
    json_t *hub = json_object_get(state, "hub");
    *open = (int) json_integer_value(json_object_get(hub, "open"));
    *accepted = (int) json_integer_value(json_object_get(hub, "accepted"));
    *subscribed = (int) json_integer_value(json_object_get(hub, "subscribed"));
    json_decref(state);
}

static void
test_events_and_reconnect(void **state)
{
    fixture_t *f = *state;
    want_ups = 1;
    assert_true(pump_until(f, ups_reached, 5000));
    assert_true(projectx_userhub_up(f->hub));
    int open, accepted, subscribed;
    hub_state(f, &open, &accepted, &subscribed);
    assert_int_equal(accepted, 1);
    assert_int_equal(subscribed, 1);

    projectx_place_result_t r;
    place(f, "hub-1", &r);
    want_tag = "hub-1";
    want_status = PROJECTX_STATUS_FILLED;
    assert_true(pump_until(f, order_seen, 3000));
    want_tag = "hub-1-SL";
    want_status = PROJECTX_STATUS_OPEN;             //  activated child
    assert_true(pump_until(f, order_seen, 3000));
    bool trade = false, position = false;
    for (int i = 0; i < f->nevents; i++) {
        const projectx_event_t *e = &f->events[i];
        if (e->kind == PROJECTX_EVENT_TRADE && e->u.trade.order_id == r.order_id) {
            trade = true;
            assert_int_equal(e->u.trade.price, 2350000000000LL);
            assert_int_equal(e->action, 0);
        }
        if (e->kind == PROJECTX_EVENT_POSITION && e->u.position.size == 1) {
            position = true;
            assert_int_equal(e->u.position.type, PROJECTX_POSITION_LONG);
        }
        if (e->kind == PROJECTX_EVENT_ORDER)
            assert_true(e->action == 0 || e->action == 1);  //  wrapped
    }
    assert_true(trade);
    assert_true(position);

    //  The server drops the socket: DOWN, then UP again with new subscriptions.
    json_decref(mock_admin(&f->mock, "/mock/hub", "{\"action\":\"drop\"}"));
    want_downs = 1;
    assert_true(pump_until(f, downs_reached, 3000));
    want_ups = 2;
    assert_true(pump_until(f, ups_reached, 5000));
    hub_state(f, &open, &accepted, &subscribed);
    assert_int_equal(accepted, 2);
    assert_int_equal(open, 1);
    assert_int_equal(subscribed, 1);
    //  Events after the reconnect arrive: TP fills, position closed.
    json_decref(mock_admin(&f->mock, "/mock/price",
                           "{\"contractId\":\"CON.F.US.GCE.Z26\",\"price\":2352.0}"));
    assert_true(pump_until(f, closed_position_seen, 3000));
    want_tag = "hub-1-TP";
    want_status = PROJECTX_STATUS_FILLED;
    assert_true(pump_until(f, order_seen, 3000));

    //  SignalR Close with allowReconnect: DOWN, UP.
    json_decref(mock_admin(&f->mock, "/mock/hub", "{\"action\":\"close7\"}"));
    want_downs = 2;
    assert_true(pump_until(f, downs_reached, 3000));
    want_ups = 3;
    assert_true(pump_until(f, ups_reached, 5000));

    //  A silent stall (no pings either): the client's 3 s server time-out
    //  fires, it reconnects, and the new connection works.
    json_decref(mock_admin(&f->mock, "/mock/hub", "{\"action\":\"stall\"}"));
    long stalled_at = mono_ms();
    want_downs = 3;
    assert_true(pump_until(f, downs_reached, 6000));
    assert_true(mono_ms() - stalled_at >= 2400);
    assert_non_null(strstr(projectx_userhub_reason(f->hub), "server timeout"));
    want_ups = 4;
    assert_true(pump_until(f, ups_reached, 5000));

    //  Bare payloads (the docs' shape) parse the same.
    json_decref(mock_admin(&f->mock, "/mock/hub", "{\"wrap\":false}"));
    int before = count_kind(f, PROJECTX_EVENT_TRADE);
    place(f, "hub-2", &r);
    want_tag = "hub-2";
    want_status = PROJECTX_STATUS_FILLED;
    assert_true(pump_until(f, order_seen, 3000));
    assert_int_equal(f->events[f->nevents - 1].action, -1);
    assert_true(count_kind(f, PROJECTX_EVENT_TRADE) > before || pump_until(f, order_seen, 100));
    uint64_t connects, events, bad;
    projectx_userhub_counters(f->hub, &connects, &events, &bad);
    assert_int_equal(connects, 4);
    assert_int_equal(bad, 0);
}

static void
test_bad_token_stays_down(void **state)
{
    fixture_t *f = *state;
    f->token_override = "not-a-token";
    want_downs = 1;
    assert_true(pump_until(f, downs_reached, 3000));
    want_ups = 1;
    assert_false(pump_until(f, ups_reached, 1500));
    assert_false(projectx_userhub_up(f->hub));
    assert_non_null(strstr(projectx_userhub_reason(f->hub), "WebSocket"));
    //  With the real token it comes up on a later attempt (backoff 1-2 s).
    f->token_override = NULL;
    assert_true(pump_until(f, ups_reached, 8000));
}

int
main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ofts_log_init("test-hubws", OFTS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_and_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_token_stays_down, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
