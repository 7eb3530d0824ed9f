/*  test_projectx_userhub - user-hub payloads (wrapped, bare, arrays, LIVE
    example), the hub URL, reconnect backoff, and the connection manager
    driven through a fake transport: handshake, four subscriptions, UP,
    events, drop -> DOWN -> reconnect with the current token -> resubscribe,
    subscribe errors, GatewayLogout, silent server.                        */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ofts_instrument.h"
#include "ofts_log.h"
#include "projectx_hubws.h"
#include "projectx_userhub.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RS "\x1e"

static json_t *
parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    assert_non_null(j);
    return j;
}

static void
test_parse_wrapped_and_bare(void **state)
{
    (void) state;
    projectx_event_t ev[4];
    int bad = 0;
    //  LIVE wrapped order (spec §7.1).
    json_t *args = parse("[{\"action\":1,\"data\":{\"id\":3425270858,\"accountId\":26282486,"
                         "\"contractId\":\"CON.F.US.MNQ.U26\",\"symbolId\":\"F.US.MNQ\","
                         "\"creationTimestamp\":\"2026-08-19T20:49:25.3938333+00:00\","
                         "\"updateTimestamp\":\"2026-08-19T20:49:25.3962105+00:00\",\"status\":5,"
                         "\"type\":2,\"side\":1,\"size\":1,\"fillVolume\":0,\"customTag\":\"glt-33fa8e1e\"}}]");
    assert_int_equal(projectx_userhub_parse("GatewayUserOrder", args, ev, 4, &bad), 1);
    assert_int_equal(ev[0].kind, PROJECTX_EVENT_ORDER);
    assert_int_equal(ev[0].action, 1);
    assert_int_equal(ev[0].u.order.id, 3425270858LL);
    assert_int_equal(ev[0].u.order.status, PROJECTX_STATUS_REJECTED);
    assert_string_equal(ev[0].u.order.custom_tag, "glt-33fa8e1e");
    json_decref(args);
    //  Bare (docs' shape) position, then a closing push (type 0, size 0).
    args = parse("[{\"id\":825245547,\"accountId\":26282486,\"contractId\":\"CON.F.US.MNQ.U26\","
                 "\"type\":2,\"size\":3,\"averagePrice\":29547}]");
    assert_int_equal(projectx_userhub_parse("GatewayUserPosition", args, ev, 4, &bad), 1);
    assert_int_equal(ev[0].action, -1);
    assert_int_equal(ev[0].u.position.type, PROJECTX_POSITION_SHORT);
    assert_int_equal(ev[0].u.position.size, 3);
    assert_int_equal(ev[0].u.position.avg_price, 29547000000000LL);
    json_decref(args);
    args = parse("[{\"action\":2,\"data\":{\"id\":825245547,\"accountId\":26282486,"
                 "\"contractId\":\"CON.F.US.MNQ.U26\",\"type\":0,\"size\":0,\"averagePrice\":0}}]");
    assert_int_equal(projectx_userhub_parse("GatewayUserPosition", args, ev, 4, &bad), 1);
    assert_int_equal(ev[0].action, 2);
    assert_int_equal(ev[0].u.position.size, 0);
    json_decref(args);
    //  An array of wrapped trades (UNCONFIRMED shape, tolerated) + one junk row.
    args = parse("[[{\"action\":0,\"data\":{\"id\":3005729833,\"orderId\":3408995735,\"price\":2350.1,"
                 "\"size\":1,\"side\":0,\"profitAndLoss\":null}},{\"action\":0,\"data\":{\"id\":3005729834,"
                 "\"orderId\":3408995736,\"price\":2352,\"size\":1,\"side\":1,\"profitAndLoss\":19.0}},"
                 "{\"action\":0,\"data\":{\"nope\":1}}]]");
    bad = 0;
    assert_int_equal(projectx_userhub_parse("GatewayUserTrade", args, ev, 4, &bad), 2);
    assert_int_equal(bad, 1);
    assert_int_equal(ev[0].u.trade.price, 2350100000000LL);
    assert_false(ev[0].u.trade.has_pnl);
    assert_int_equal(ev[1].u.trade.pnl_cents, 1900);
    assert_int_equal(ev[1].u.trade.order_id, 3408995736LL);
    //  Room for one: two found, one written.
    bad = 0;
    assert_int_equal(projectx_userhub_parse("GatewayUserTrade", args, ev, 1, &bad), 2);
    json_decref(args);
    //  Account; logout; unknown target.
    args = parse("[{\"action\":1,\"data\":{\"id\":26282486,\"name\":\"PRAC\",\"balance\":149831.92,"
                 "\"canTrade\":true}}]");
    assert_int_equal(projectx_userhub_parse("GatewayUserAccount", args, ev, 4, &bad), 1);
    assert_int_equal(ev[0].u.account.balance_cents, 14983192);
    assert_int_equal(projectx_userhub_parse("GatewayLogout", args, ev, 4, &bad), 1);
    assert_int_equal(ev[0].kind, PROJECTX_EVENT_LOGOUT);
    assert_int_equal(projectx_userhub_parse("GatewayQuote", args, ev, 4, &bad), -1);
    json_decref(args);
}

static void
test_url_and_backoff(void **state)
{
    (void) state;
    char *url = projectx_userhub_url("https://rtc.topstepx.com/hubs/user", "ab+c/d=");
    assert_string_equal(url, "wss://rtc.topstepx.com/hubs/user?access_token=ab%2Bc%2Fd%3D");
    free(url);
    url = projectx_userhub_url("http://127.0.0.1:5000/hubs/user", "x.y_z");
    assert_string_equal(url, "ws://127.0.0.1:5000/hubs/user?access_token=x.y_z");
    free(url);
    assert_int_equal(projectx_userhub_backoff_ms(0), 0);
    assert_int_equal(projectx_userhub_backoff_ms(1), 1000);
    assert_int_equal(projectx_userhub_backoff_ms(3), 5000);
    assert_int_equal(projectx_userhub_backoff_ms(5), 30000);
    assert_int_equal(projectx_userhub_backoff_ms(99), 30000);
}

//  --------------------------------------------------------------------------
//  Connection manager with a fake transport

typedef struct {
    char url[256];
    int opens, closes;
    int open_rc;
    char sent[32][160];
    int nsent;
    int ups, downs;
    char reason[256];
    projectx_event_t last;
    int events;
    const char *token;
} fake_t;

static int
t_open(void *arg, const char *url)
{
    fake_t *f = arg;
    f->opens++;
    snprintf(f->url, sizeof f->url, "%s", url);
    return f->open_rc;
}
static void
t_send(void *arg, const char *text, size_t len)
{
    fake_t *f = arg;
    if (f->nsent < 32)
        snprintf(f->sent[f->nsent++], 160, "%.*s", (int) len, text);
}
static void t_close(void *arg) { ((fake_t *) arg)->closes++; }
static void
h_event(void *arg, const projectx_event_t *ev)
{
    fake_t *f = arg;
    f->last = *ev;
    f->events++;
}
static void
h_state(void *arg, bool up, const char *reason)
{
    fake_t *f = arg;
    if (up)
        f->ups++;
    else
        f->downs++;
    snprintf(f->reason, sizeof f->reason, "%s", reason);
}
static const char *h_token(void *arg) { return ((fake_t *) arg)->token; }

static projectx_userhub_t *
hub(fake_t *f)
{
    memset(f, 0, sizeof *f);
    f->token = "tok1";
    projectx_hub_transport_t t = { t_open, t_send, t_close, f };
    projectx_hub_handler_t h = { h_event, h_state, h_token, f };
    projectx_userhub_t *self = projectx_userhub_new("http://127.0.0.1:9/hubs/user", 26282486, NULL,
                                                    &t, &h);
    projectx_userhub_set_jitter(self, false);       //  exact times below
    return self;
}

static void
rx(projectx_userhub_t *h, const char *text, int64_t now)
{
    projectx_userhub_received(h, text, strlen(text), now);
}

//  Connect, handshake, answer the four subscriptions.
static void
bring_up(projectx_userhub_t *h, fake_t *f, int64_t now)
{
    int first = f->nsent;
    projectx_userhub_tick(h, now);
    projectx_userhub_opened(h, now + 5);
    assert_string_equal(f->sent[first], "{\"protocol\":\"json\",\"version\":1}" RS);
    rx(h, "{}" RS, now + 10);
    assert_int_equal(f->nsent, first + 5);
    assert_string_equal(f->sent[first + 1],
                        "{\"type\":1,\"target\":\"SubscribeAccounts\",\"arguments\":[],\"invocationId\":\"0\"}" RS);
    assert_string_equal(f->sent[first + 2],
                        "{\"type\":1,\"target\":\"SubscribeOrders\",\"arguments\":[26282486],\"invocationId\":\"1\"}" RS);
    assert_non_null(strstr(f->sent[first + 3], "SubscribePositions"));
    assert_non_null(strstr(f->sent[first + 4], "SubscribeTrades"));
    assert_false(projectx_userhub_up(h));
    rx(h, "{\"type\":3,\"invocationId\":\"0\"}" RS "{\"type\":3,\"invocationId\":\"1\",\"result\":null}" RS
          "{\"type\":3,\"invocationId\":\"2\"}" RS, now + 20);
    assert_false(projectx_userhub_up(h));
    rx(h, "{\"type\":3,\"invocationId\":\"3\"}" RS, now + 21);
    assert_true(projectx_userhub_up(h));
}

static void
test_hub_lifecycle(void **state)
{
    (void) state;
    fake_t f;
    projectx_userhub_t *h = hub(&f);
    bring_up(h, &f, 1000);
    assert_int_equal(f.opens, 1);
    assert_string_equal(f.url, "ws://127.0.0.1:9/hubs/user?access_token=tok1");
    assert_int_equal(f.ups, 1);
    //  Two events in one frame, one wrapped, one bare.
    rx(h, "{\"type\":1,\"target\":\"GatewayUserTrade\",\"arguments\":[{\"action\":0,\"data\":"
          "{\"id\":7,\"orderId\":8,\"price\":2350.1,\"size\":1,\"side\":0}}]}" RS
          "{\"type\":1,\"target\":\"GatewayUserOrder\",\"arguments\":[{\"id\":8,\"status\":2,"
          "\"customTag\":\"c1\"}]}" RS, 2000);
    assert_int_equal(f.events, 2);
    assert_int_equal(f.last.kind, PROJECTX_EVENT_ORDER);
    assert_string_equal(f.last.u.order.custom_tag, "c1");
    //  A batch of 20 orders in one argument: all delivered.
    char batch[4096] = "{\"type\":1,\"target\":\"GatewayUserOrder\",\"arguments\":[[";
    for (int i = 0; i < 20; i++)
        snprintf(batch + strlen(batch), sizeof batch - strlen(batch), "%s{\"id\":%d,\"status\":1}",
                 i ? "," : "", 100 + i);
    snprintf(batch + strlen(batch), sizeof batch - strlen(batch), "]]}" RS);
    rx(h, batch, 2100);
    assert_int_equal(f.events, 22);
    assert_int_equal(f.last.u.order.id, 119);
    //  Connection drops: DOWN once, reconnect at once (backoff 0), then 1 s.
    f.token = "tok2";
    projectx_userhub_lost(h, "Connection closed with an error.", 3000);
    assert_int_equal(f.downs, 1);
    assert_string_equal(f.reason, "Connection closed with an error.");
    assert_false(projectx_userhub_up(h));
    bring_up(h, &f, 3000);
    assert_int_equal(f.opens, 2);
    assert_string_equal(f.url, "ws://127.0.0.1:9/hubs/user?access_token=tok2");   //  current token
    assert_int_equal(f.ups, 2);
    //  Server Close message: closes our transport, DOWN.
    rx(h, "{\"type\":7,\"error\":\"bye\",\"allowReconnect\":true}" RS, 4000);
    assert_int_equal(f.downs, 2);
    assert_int_equal(f.closes, 1);
    //  The session before lasted 1 s (not stable): the backoff keeps
    //  growing: 1 s, 2 s, 5 s ...
    f.open_rc = -1;
    projectx_userhub_tick(h, 4999);
    assert_int_equal(f.opens, 2);
    projectx_userhub_tick(h, 5000);          //  +1 s, fails
    assert_int_equal(f.opens, 3);
    projectx_userhub_tick(h, 6999);
    assert_int_equal(f.opens, 3);
    projectx_userhub_tick(h, 7000);          //  +2 s, fails
    assert_int_equal(f.opens, 4);
    assert_int_equal(f.downs, 2);            //  reported once while down
    f.open_rc = 0;
    projectx_userhub_tick(h, 11999);
    assert_int_equal(f.opens, 4);
    projectx_userhub_tick(h, 12000);         //  +5 s
    assert_int_equal(f.opens, 5);
    projectx_userhub_opened(h, 12001);
    rx(h, "{}" RS, 12002);
    rx(h, "{\"type\":3,\"invocationId\":\"0\"}" RS "{\"type\":3,\"invocationId\":\"1\"}" RS
          "{\"type\":3,\"invocationId\":\"2\"}" RS "{\"type\":3,\"invocationId\":\"3\"}" RS, 12003);
    assert_int_equal(f.ups, 3);
    uint64_t connects, events, bad;
    projectx_userhub_counters(h, &connects, &events, &bad);
    assert_int_equal(connects, 5);
    assert_int_equal(events, 22);
    int sent = f.nsent;
    projectx_userhub_destroy(&h);
    assert_null(h);
    assert_int_equal(f.closes, 2);           //  destroy closes the live transport
    //  ... after a SignalR Close (issue #13 fault 5).
    assert_int_equal(f.nsent, sent + 1);
    assert_string_equal(f.sent[sent], "{\"type\":7}" RS);
}

static void
test_hub_failures(void **state)
{
    (void) state;
    fake_t f;
    projectx_userhub_t *h = hub(&f);
    //  A subscription error is a failed connection.
    projectx_userhub_tick(h, 0);
    projectx_userhub_opened(h, 1);
    rx(h, "{}" RS "{\"type\":3,\"invocationId\":\"1\",\"error\":\"Unauthorized\"}" RS, 2);
    assert_int_equal(f.downs, 1);
    assert_string_equal(f.reason, "subscribe failed: Unauthorized");
    assert_int_equal(f.closes, 1);
    //  Silent server after UP: 30 s without a byte -> DOWN; pings go out meanwhile.
    bring_up(h, &f, 1000);
    int before = f.nsent;
    projectx_userhub_tick(h, 16021);
    assert_int_equal(f.nsent, before + 1);
    assert_string_equal(f.sent[before], "{\"type\":6}" RS);
    projectx_userhub_tick(h, 31020);
    assert_true(projectx_userhub_up(h));
    projectx_userhub_tick(h, 31021);
    assert_false(projectx_userhub_up(h));
    assert_non_null(strstr(f.reason, "server timeout"));
    //  GatewayLogout: session is dead, DOWN.
    bring_up(h, &f, 40000);
    rx(h, "{\"type\":1,\"target\":\"GatewayLogout\",\"arguments\":[]}" RS, 41000);
    assert_false(projectx_userhub_up(h));
    assert_non_null(strstr(f.reason, "GatewayLogout"));
    //  Connect that never completes.
    projectx_userhub_tick(h, 50000);
    int opens = f.opens;
    projectx_userhub_tick(h, 50000 + 15000);
    assert_non_null(strstr(projectx_userhub_reason(h), "connect timed out"));
    assert_int_equal(f.opens, opens);
    //  Scheduled reconnect after max_session: down, then straight back.
    projectx_userhub_set_max_session(h, 60000);
    f.token = "tok9";
    bring_up(h, &f, 300000);
    int ups = f.ups;
    rx(h, "{\"type\":6}" RS, 330000);        //  server pings keep it alive
    rx(h, "{\"type\":6}" RS, 359000);
    projectx_userhub_tick(h, 300021 + 59999);
    assert_true(projectx_userhub_up(h));
    projectx_userhub_tick(h, 300021 + 60000);
    assert_false(projectx_userhub_up(h));
    assert_non_null(strstr(projectx_userhub_reason(h), "scheduled reconnect"));
    bring_up(h, &f, 300021 + 60000);         //  backoff 0
    assert_int_equal(f.ups, ups + 1);
    assert_string_equal(f.url, "ws://127.0.0.1:9/hubs/user?access_token=tok9");
    opens = f.opens;
    //  Dropped while the REST side has no token: down, no socket.
    projectx_userhub_lost(h, "gone", 400000);
    f.token = NULL;
    projectx_userhub_tick(h, 401000);        //  up 40 s only: 1 s backoff
    assert_int_equal(f.opens, opens);
    assert_non_null(strstr(projectx_userhub_reason(h), "no token"));
    projectx_userhub_destroy(&h);
}

//  Issue #13 fault 3: a hub that accepts, subscribes and drops at once was
//  reconnected at once every time (the count reset on subscribe): 931
//  connections in 50 s. Now the backoff grows with jitter until a session
//  lasts PROJECTX_USERHUB_STABLE_MS; a loop ticking every 10 ms for 50 s
//  makes at most 7 connections (0, 1-1.5, 2-3, 5-7.5, 10-15, 30-45 s).
static void
test_hub_flapping_backs_off(void **state)
{
    (void) state;
    fake_t f;
    projectx_userhub_t *h = hub(&f);
    projectx_userhub_set_jitter(h, true);
    int64_t last_open_ms = 0, gaps[16];
    int ngaps = 0, opens = 0;
    for (int64_t now = 0; now < 50000; now += 10) {
        projectx_userhub_tick(h, now);
        if (f.opens > opens) {
            opens = f.opens;
            if (opens > 1 && ngaps < 16)
                gaps[ngaps++] = now - last_open_ms;
            last_open_ms = now;
            projectx_userhub_opened(h, now);
            rx(h, "{}" RS "{\"type\":3,\"invocationId\":\"0\"}" RS "{\"type\":3,\"invocationId\":\"1\"}" RS
                  "{\"type\":3,\"invocationId\":\"2\"}" RS "{\"type\":3,\"invocationId\":\"3\"}" RS, now);
            assert_true(projectx_userhub_up(h));
            projectx_userhub_lost(h, "dropped after subscribe", now);
        }
    }
    assert_true(opens >= 5 && opens <= 7);
    //  Each wait within [base, 1.5 x base] of 0, 1, 2, 5, 10 s.
    static const int64_t base[] = { 0, 1000, 2000, 5000, 10000, 30000 };
    for (int i = 0; i < ngaps; i++) {
        assert_true(gaps[i] >= base[i]);
        assert_true(gaps[i] <= base[i] + base[i] / 2 + 10);
    }
    //  A session that lasted a minute resets it: the next reconnect is at once.
    projectx_userhub_set_jitter(h, false);
    int64_t t = 200000;
    projectx_userhub_tick(h, t);
    projectx_userhub_opened(h, t);
    rx(h, "{}" RS "{\"type\":3,\"invocationId\":\"0\"}" RS "{\"type\":3,\"invocationId\":\"1\"}" RS
          "{\"type\":3,\"invocationId\":\"2\"}" RS "{\"type\":3,\"invocationId\":\"3\"}" RS, t);
    rx(h, "{\"type\":6}" RS, t + 29000);
    rx(h, "{\"type\":6}" RS, t + 58000);
    projectx_userhub_lost(h, "dropped after a minute", t + 61000);
    opens = f.opens;
    projectx_userhub_tick(h, t + 61000);
    assert_int_equal(f.opens, opens + 1);
    projectx_userhub_destroy(&h);
}

//  Issue #13 fault 5: frames the client cannot read left the hub UP with 0
//  events (and no REST polling). Now: DOWN (the caller polls) and reconnect.
static void
test_hub_unreadable_goes_down(void **state)
{
    (void) state;
    fake_t f;
    projectx_userhub_t *h = hub(&f);
    bring_up(h, &f, 1000);
    rx(h, "{this is not json" RS, 2000);
    assert_false(projectx_userhub_up(h));
    assert_int_equal(f.downs, 1);
    assert_non_null(strstr(f.reason, "unreadable frames"));
    assert_int_equal(f.closes, 1);
    //  Events whose payload cannot be read at all: the same.
    bring_up(h, &f, 5000);
    rx(h, "{\"type\":1,\"target\":\"GatewayUserOrder\",\"arguments\":[\"garbage\"]}" RS, 6000);
    assert_false(projectx_userhub_up(h));
    assert_non_null(strstr(f.reason, "unreadable events"));
    assert_int_equal(f.events, 0);
    projectx_userhub_destroy(&h);
}

static void
test_redact(void **state)
{
    (void) state;
    char line[] = "connect /hubs/user?access_token=eyJhbGciOi.eyJzdWIi.c2ln&x=1 failed\n";
    assert_string_equal(projectx_hubws_redact(line), "connect /hubs/user?access_token=");
    char plain[] = "ERROR: connection refused\r\n";
    assert_string_equal(projectx_hubws_redact(plain), "ERROR: connection refused");
}

int
main(void)
{
    ofts_log_init("test-userhub", OFTS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_wrapped_and_bare),
        cmocka_unit_test(test_url_and_backoff),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_hub_lifecycle),
        cmocka_unit_test(test_hub_failures),
        cmocka_unit_test(test_hub_flapping_backs_off),
        cmocka_unit_test(test_hub_unreadable_goes_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
