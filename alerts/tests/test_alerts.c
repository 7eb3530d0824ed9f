/*  alerts: the rules (which events, once), the gate (chosen kinds, dedup,
    rate limit), each sink's request, and the sender against a local
    recording HTTP server that fails on purpose (5xx, 429, hang): every
    alert arrives exactly once, a push never waits on the network, a 4xx
    is not retried, and no URL or token reaches the log.                   */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "alert_gate.h"
#include "alert_rules.h"
#include "alert_sender.h"
#include "alert_sink.h"
#include "http_recorder.h"
#include "ofts_clock.h"
#include "ofts_log.h"

#define SEC 1000000000LL

typedef struct {
    alert_t got[32];
    int n;
} sink_t;

static void
s_collect(void *arg, const alert_t *a)
{
    sink_t *s = arg;
    if (s->n < 32)
        s->got[s->n++] = *a;
}

static void
s_feed(alert_rules_t *r, const char *source, Ofts__Envelope *env, int64_t now)
{
    Ofts__Header h = OFTS__HEADER__INIT;
    h.source = (char *) source;
    env->header = &h;
    alert_rules_on_message(r, "x.", env, now);
    env->header = NULL;
}

static void
s_account(alert_rules_t *r, const char *id, Ofts__TradingState state, int64_t pnl, int64_t limit, int64_t now)
{
    Ofts__AccountState a = OFTS__ACCOUNT_STATE__INIT;
    a.account_id = (char *) id;
    a.state = state;
    a.realized_pnl_cents = pnl;
    a.daily_loss_limit_cents = limit;
    a.state_reason = "daily loss limit";
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = &a;
    s_feed(r, "risk", &env, now);
}

static void
s_fill(alert_rules_t *r, const char *fill_id, Ofts__OrderRole role, int64_t now)
{
    Ofts__Fill f = OFTS__FILL__INIT;
    f.fill_id = (char *) fill_id;
    f.client_order_id = "sig-1";
    f.symbol = "GC";
    f.contract = "GCZ6";
    f.role = role;
    f.side = OFTS__SIDE__SIDE_BUY;
    f.quantity = 1;
    f.price = 2350100000000LL;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_FILL;
    env.fill = &f;
    s_feed(r, "gateway-order", &env, now);
}

static void
s_heartbeat(alert_rules_t *r, const char *service, const char *state, int64_t now)
{
    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = (char *) service;
    hb.state = (char *) state;
    hb.pid = 42;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    s_feed(r, service, &env, now);
}

static alert_rules_t *
s_rules(sink_t *s)
{
    alert_rules_config_t cfg = { .loss_warn_pct = 80, .heartbeat_timeout_ns = 3 * SEC, .broker_grace_ns = 5 * SEC };
    memset(s, 0, sizeof *s);
    return alert_rules_new(&cfg, s_collect, s);
}

static void
t_rules_orders_and_fills(void **state)
{
    (void) state;
    sink_t s;
    alert_rules_t *r = s_rules(&s);
    Ofts__OrderRequest o = OFTS__ORDER_REQUEST__INIT;
    o.client_order_id = "GC-abc";
    o.symbol = "GC";
    o.contract = "GCZ6";
    o.side = OFTS__SIDE__SIDE_SELL;
    o.quantity = 2;
    o.entry = 2350100000000LL;
    o.stop = 2355000000000LL;
    o.take_profit = 2340300000000LL;
    o.confidence = 0.72;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = &o;
    s_feed(r, "risk", &env, SEC);
    o.reduce_only = true;               //  a flatten: not a signal
    s_feed(r, "risk", &env, SEC);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.got[0].kind, ALERT_SIGNAL_APPROVED);
    assert_string_equal(s.got[0].key, "signal:GC-abc");
    assert_string_equal(s.got[0].title, "SELL 2 GC");
    assert_string_equal(s.got[0].text, "approved SELL 2 GC (GCZ6) at 2350.1, stop 2355.0, target 2340.3, "
                                       "confidence 0.72, order GC-abc");
    s_fill(r, "f1", OFTS__ORDER_ROLE__ROLE_ENTRY, SEC);
    s_fill(r, "f2", OFTS__ORDER_ROLE__ROLE_STOP, SEC);
    s_fill(r, "f3", OFTS__ORDER_ROLE__ROLE_TARGET, SEC);
    s_fill(r, "f4", OFTS__ORDER_ROLE__ROLE_FLATTEN, SEC);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.got[1].kind, ALERT_ENTRY_FILLED);
    assert_string_equal(s.got[1].key, "fill:f1");
    assert_string_equal(s.got[1].text, "entry filled: BUY 1 GCZ6 at 2350.1 (order sig-1)");
    assert_int_equal(s.got[2].kind, ALERT_STOP_HIT);
    assert_int_equal(s.got[3].kind, ALERT_TARGET_HIT);
    alert_rules_destroy(&r);
}

//  $1,000 limit: warn at a $800 loss exactly, once; again only after the
//  loss came back under $400.
static void
t_rules_loss_and_halt(void **state)
{
    (void) state;
    sink_t s;
    alert_rules_t *r = s_rules(&s);
    const Ofts__TradingState A = OFTS__TRADING_STATE__STATE_ACTIVE, H = OFTS__TRADING_STATE__STATE_HALTED;
    s_account(r, "50k", A, -79999, 100000, SEC);
    assert_int_equal(s.n, 0);
    s_account(r, "50k", A, -80000, 100000, SEC);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.got[0].kind, ALERT_DAILY_LOSS_WARN);
    assert_string_equal(s.got[0].title, "50k at 80% of daily loss");
    assert_string_equal(s.got[0].text, "50k: down $800.00 today, the daily loss limit is $1,000.00");
    s_account(r, "50k", A, -85000, 100000, SEC);
    s_account(r, "50k", A, -40000, 100000, SEC);        //  not below half: still warned
    s_account(r, "50k", A, -81000, 100000, SEC);
    assert_int_equal(s.n, 1);
    s_account(r, "50k", A, -39999, 100000, SEC);        //  re-armed
    s_account(r, "50k", A, -90000, 100000, SEC);
    assert_int_equal(s.n, 2);
    s_account(r, "50k", H, -100000, 100000, SEC);
    s_account(r, "50k", H, -100000, 100000, SEC);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.got[2].kind, ALERT_HALT);
    assert_string_equal(s.got[2].key, "halt:risk:50k");
    assert_string_equal(s.got[2].text, "risk HALTED 50k: daily loss limit");
    s_account(r, "150k", A, 0, 300000, SEC);            //  another account: its own state
    s_account(r, "150k", H, 0, 300000, SEC);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.got[3].key, "halt:risk:150k");
    alert_rules_destroy(&r);
}

static void
t_rules_down_broker_gap(void **state)
{
    (void) state;
    sink_t s;
    alert_rules_t *r = s_rules(&s);
    s_heartbeat(r, "risk", "running", 10 * SEC);
    s_heartbeat(r, "gateway-order", "projectx BROKER DISCONNECTED", 10 * SEC);
    alert_rules_tick(r, 13 * SEC);                      //  exactly the timeout: alive
    assert_int_equal(s.n, 0);
    s_heartbeat(r, "gateway-order", "projectx BROKER DISCONNECTED", 13 * SEC);
    alert_rules_tick(r, 13 * SEC + 1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.got[0].kind, ALERT_SERVICE_DOWN);
    assert_string_equal(s.got[0].key, "down:risk");
    s_heartbeat(r, "gateway-order", "projectx BROKER DISCONNECTED", 15 * SEC);
    alert_rules_tick(r, 15 * SEC);                      //  5 s since 10 s
    alert_rules_tick(r, 15 * SEC + 1);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.got[1].kind, ALERT_BROKER_DISCONNECTED);
    s_heartbeat(r, "gateway-order", "projectx", 16 * SEC);       //  back
    s_heartbeat(r, "gateway-order", "projectx BROKER DISCONNECTED", 17 * SEC);
    alert_rules_tick(r, 19 * SEC);
    assert_int_equal(s.n, 2);                           //  only 2 s this time
    alert_rules_on_gap(r, "gateway-md", "md.trade.GC.", 12, 22 * SEC);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.got[2].text, "12 messages lost from gateway-md on md.trade.GC.");
    alert_rules_destroy(&r);
}

static alert_t
s_alert(alert_kind_t kind, const char *key)
{
    alert_t a = { .kind = kind, .ts_ns = 1764900000LL * SEC };
    snprintf(a.key, sizeof a.key, "%s", key);
    snprintf(a.title, sizeof a.title, "title %s", key);
    snprintf(a.text, sizeof a.text, "text %s", key);
    return a;
}

static void
t_gate(void **state)
{
    (void) state;
    alert_gate_config_t cfg = { .dedup_ns = 300 * SEC, .per_minute = 3 };
    cfg.enabled[ALERT_BUS_GAP] = cfg.enabled[ALERT_HALT] = true;
    alert_gate_t *g = alert_gate_new(&cfg);
    alert_t a = s_alert(ALERT_HALT, "halt:risk:x");
    assert_true(alert_gate_pass(g, &a, 1 * SEC));
    assert_false(alert_gate_pass(g, &a, 299 * SEC));    //  same key inside 300 s
    assert_true(alert_gate_pass(g, &a, 302 * SEC));     //  window over
    alert_t off = s_alert(ALERT_ENTRY_FILLED, "fill:1");
    assert_false(alert_gate_pass(g, &off, SEC));        //  not chosen
    char key[32];
    int passed = 0;
    for (int i = 0; i < 10; i++) {                      //  10 gaps in 10 s: 3 pass
        snprintf(key, sizeof key, "gap:%d", i);
        alert_t gap = s_alert(ALERT_BUS_GAP, key);
        passed += alert_gate_pass(g, &gap, (10 + i) * SEC);
    }
    assert_int_equal(passed, 3);
    assert_int_equal(alert_gate_limited(g), 7);
    alert_t late = s_alert(ALERT_BUS_GAP, "gap:late");
    assert_false(alert_gate_pass(g, &late, 69 * SEC));  //  first of the 3 was at 10 s
    assert_true(alert_gate_pass(g, &late, 70 * SEC));
    assert_int_equal(late.suppressed, 8);
    assert_int_equal(alert_gate_duplicates(g), 1);
    alert_gate_destroy(&g);
}

static void
t_sink_requests(void **state)
{
    (void) state;
    setenv("OFTS_ALERT_DISCORD_URL", "http://127.0.0.1:1/d", 1);
    setenv("OFTS_ALERT_SLACK_URL", "http://127.0.0.1:1/s", 1);
    setenv("OFTS_ALERT_NTFY_URL", "http://127.0.0.1:1/n", 1);
    setenv("OFTS_ALERT_WEBHOOK_URL", "http://127.0.0.1:1/j", 1);
    setenv("OFTS_ALERT_TELEGRAM_TOKEN", "123:ABC", 1);
    unsetenv("OFTS_ALERT_TELEGRAM_CHAT_ID");
    alert_sink_t sinks[8];
    char err[200];
    assert_int_equal(alert_sinks_from_env(sinks, 8, "http://tg", err, sizeof err), 4);
    assert_non_null(strstr(err, "OFTS_ALERT_TELEGRAM_CHAT_ID"));
    setenv("OFTS_ALERT_TELEGRAM_CHAT_ID", "-100", 1);
    assert_int_equal(alert_sinks_from_env(sinks, 8, "http://tg", err, sizeof err), 5);
    assert_string_equal(err, "");
    alert_t a = s_alert(ALERT_HALT, "halt:risk:x");
    const char *want[] = {
        "{\"content\":\"title halt:risk:x\\ntext halt:risk:x\"}",
        "{\"text\":\"title halt:risk:x\\ntext halt:risk:x\"}",
        "title halt:risk:x\ntext halt:risk:x",
        "{\"key\":\"halt:risk:x\",\"kind\":\"halt\",\"title\":\"title halt:risk:x\",\"text\":\"text halt:risk:x\","
        "\"ts\":\"2025-12-05T02:00:00.000000000Z\",\"ts_ns\":\"1764900000000000000\",\"suppressed\":0}",
        "{\"chat_id\":\"-100\",\"text\":\"title halt:risk:x\\ntext halt:risk:x\",\"disable_notification\":false}",
    };
    const char *urls[] = { "http://127.0.0.1:1/d", "http://127.0.0.1:1/s", "http://127.0.0.1:1/n",
                           "http://127.0.0.1:1/j", "http://tg/bot123:ABC/sendMessage" };
    for (int i = 0; i < 5; i++) {
        alert_request_t req;
        assert_int_equal(alert_request_make(&sinks[i], &a, &req), 0);
        assert_string_equal(req.url, urls[i]);
        assert_string_equal(req.body, want[i]);
        if (sinks[i].type == SINK_NTFY) {
            assert_string_equal(req.headers[0], "Title: title halt:risk:x");
            assert_string_equal(req.headers[1], "Priority: 5");
        }
        if (sinks[i].type == SINK_JSON)
            assert_string_equal(req.headers[0], "Idempotency-Key: halt:risk:x@1764900000000000000");
        alert_request_free(&req);
    }
    const char *vars[] = { "DISCORD_URL", "SLACK_URL", "NTFY_URL", "WEBHOOK_URL", "TELEGRAM_TOKEN",
                           "TELEGRAM_CHAT_ID" };
    for (int i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "OFTS_ALERT_%s", vars[i]);
        unsetenv(name);
    }
}

static alert_sink_t
s_json_sink(http_recorder_t *rec, const char *path)
{
    alert_sink_t sink = { .type = SINK_JSON };
    snprintf(sink.url, sizeof sink.url, "http://127.0.0.1:%d%s", http_recorder_port(rec), path);
    return sink;
}

static bool
s_wait_count(http_recorder_t *rec, size_t want, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (http_recorder_count(rec) >= want)
            return true;
        usleep(10000);
    }
    return http_recorder_count(rec) >= want;
}

//  Five alerts through 500, 429, a hang past the time-out, 200 and 500
//  again: each recorded exactly once, and the URL's secret path is never
//  in the log.
static void
t_sender_exactly_once_through_failures(void **state)
{
    (void) state;
    char logpath[] = "/tmp/alerts-log-XXXXXX";
    int fd = mkstemp(logpath);
    FILE *tee = fdopen(fd, "w+");
    ofts_log_set_tee(tee);
    http_recorder_t *rec = http_recorder_new();
    assert_non_null(rec);
    http_recorder_plan(rec, "500,429,hang,200,500", 1500);
    alert_sink_t sink = s_json_sink(rec, "/hook/SECRET-TOKEN-42");
    alert_sender_config_t cfg = { .timeout_ms = 400, .retry_min_ms = 20, .retry_max_ms = 200, .max_attempts = 10,
                                  .queue_max = 100 };
    alert_sender_t *snd = alert_sender_new(&cfg, &sink, 1);
    char key[32];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "k%d", i);
        alert_t a = s_alert(ALERT_HALT, key);
        assert_int_equal(alert_sender_push(snd, &a), 0);
    }
    assert_true(s_wait_count(rec, 5, 15000));
    usleep(300000);                                     //  nothing more arrives
    assert_int_equal(http_recorder_count(rec), 5);
    for (int i = 0; i < 5; i++) {
        char needle[40];
        snprintf(needle, sizeof needle, "\"key\":\"k%d\"", i);
        assert_int_equal(http_recorder_count_matching(rec, needle), 1);
    }
    http_record_t r;
    assert_int_equal(http_recorder_get(rec, 0, &r), 0);
    assert_string_equal(r.path, "/hook/SECRET-TOKEN-42");
    assert_non_null(strstr(r.idempotency_key, "@1764900000000000000"));
    free(r.body);
    alert_sender_stats_t st;
    alert_sender_stats(snd, &st);
    assert_int_equal(st.delivered, 5);
    assert_int_equal(st.retries, 4);                    //  500, 429, hang, 500
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.waiting, 0);
    assert_true(http_recorder_requests(rec) >= 9);
    alert_sender_destroy(&snd);
    http_recorder_destroy(&rec);
    ofts_log_set_tee(NULL);
    fflush(tee);
    rewind(tee);
    char line[1024];
    int lines = 0;
    while (fgets(line, sizeof line, tee)) {
        lines++;
        assert_null(strstr(line, "SECRET-TOKEN"));
    }
    assert_true(lines >= 9);                            //  5 sent + 4 retry lines at least
    fclose(tee);
    unlink(logpath);
}

//  While the webhook hangs, pushing 200 alerts takes no time at all; a
//  full queue drops (counted) instead of blocking.
static void
t_sender_never_blocks(void **state)
{
    (void) state;
    http_recorder_t *rec = http_recorder_new();
    http_recorder_hang_all(rec, 1);
    http_recorder_plan(rec, "", 5000);
    alert_sink_t sink = s_json_sink(rec, "/h");
    alert_sender_config_t cfg = { .timeout_ms = 3000, .retry_min_ms = 100, .retry_max_ms = 100, .max_attempts = 3,
                                  .queue_max = 150 };
    alert_sender_t *snd = alert_sender_new(&cfg, &sink, 1);
    usleep(50000);
    int64_t t0 = ofts_clock_mono_ns();
    int full = 0;
    for (int i = 0; i < 200; i++) {
        char key[16];
        snprintf(key, sizeof key, "n%d", i);
        alert_t a = s_alert(ALERT_ENTRY_FILLED, key);
        full += alert_sender_push(snd, &a) != 0;
    }
    int64_t took_ms = (ofts_clock_mono_ns() - t0) / 1000000;
    print_message("200 pushes while the webhook hangs: %lld ms\n", (long long) took_ms);
    assert_true(took_ms < 100);
    assert_int_equal(full, 50);
    alert_sender_stats_t st;
    alert_sender_stats(snd, &st);
    assert_int_equal(st.dropped_full, 50);
    int64_t s0 = ofts_clock_mono_ns();
    alert_sender_destroy(&snd);                         //  aborts the hung request
    assert_true((ofts_clock_mono_ns() - s0) / 1000000 < 2000);
    http_recorder_destroy(&rec);
}

static void
t_sender_gives_up_on_4xx(void **state)
{
    (void) state;
    http_recorder_t *rec = http_recorder_new();
    http_recorder_plan(rec, "404", 0);
    alert_sink_t sink = s_json_sink(rec, "/wrong");
    alert_sender_config_t cfg = { .timeout_ms = 1000, .retry_min_ms = 10, .retry_max_ms = 10, .max_attempts = 5,
                                  .queue_max = 10 };
    alert_sender_t *snd = alert_sender_new(&cfg, &sink, 1);
    alert_t a = s_alert(ALERT_HALT, "x");
    alert_sender_push(snd, &a);
    alert_sender_stats_t st = { 0 };
    for (int i = 0; i < 300 && st.failed == 0; i++) {
        usleep(10000);
        alert_sender_stats(snd, &st);
    }
    usleep(100000);
    alert_sender_stats(snd, &st);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.attempts, 1);
    assert_int_equal(http_recorder_requests(rec), 1);
    alert_sender_destroy(&snd);
    http_recorder_destroy(&rec);
}

int
main(void)
{
    ofts_log_init("test-alerts", OFTS_LOG_INFO);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_rules_orders_and_fills),
        cmocka_unit_test(t_rules_loss_and_halt),
        cmocka_unit_test(t_rules_down_broker_gap),
        cmocka_unit_test(t_gate),
        cmocka_unit_test(t_sink_requests),
        cmocka_unit_test(t_sender_exactly_once_through_failures),
        cmocka_unit_test(t_sender_never_blocks),
        cmocka_unit_test(t_sender_gives_up_on_4xx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
