/*  test_projectx_client - the REST client against ofts-mock-projectx on
    loopback: auth and refresh, account/contract resolution, bracket place,
    cancel/modify, every ambiguous-outcome path (500, time-out, dropped
    connection, malformed JSON, 429), business errors, and that no secret
    reaches stderr. Each test starts its own mock and always stops it.     */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ofts_instrument.h"
#include "ofts_log.h"
#include "projectx_client.h"
#include "projectx_harness.h"
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define USER "ofts-user"
#define KEY "k3y-5ecret-7f1e9a2b4c"
#define ACCOUNT "PRAC-V2-645601-47191819"
#define ACCOUNT_ID 26282486
#define P(x) ((int64_t) ((x) * 1e9 + ((x) >= 0 ? 0.5 : -0.5)))

typedef struct {
    mock_server_t mock;
    int64_t clock_offset_ms;
    projectx_config_t cfg;
} fixture_t;

static int64_t
fake_clock(void *arg)
{
    fixture_t *f = arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + f->clock_offset_ms;
}

static int
setup_with(void **state, const char *const *extra)
{
    fixture_t *f = calloc(1, sizeof *f);
    const char *args[16] = { "--user", USER, "--key", KEY };
    int n = 4;
    for (int i = 0; extra && extra[i]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    if (mock_start(&f->mock, args) != 0) {
        free(f);
        return -1;
    }
    mock_client_config(&f->mock, &f->cfg, USER, KEY, ACCOUNT);
    f->cfg.timeout_ms = 1500;
    f->cfg.backoff_initial_ms = 20;
    f->cfg.backoff_max_ms = 1500;
    f->cfg.clock_ms = fake_clock;
    f->cfg.clock_arg = f;
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_with(state, NULL); }

static int
teardown(void **state)
{
    fixture_t *f = *state;
    mock_stop(&f->mock);
    free(f);
    return 0;
}

static projectx_t *
logged_in(fixture_t *f)
{
    projectx_t *px = projectx_new(&f->cfg);
    assert_non_null(px);
    assert_int_equal(projectx_login(px), PROJECTX_OK);
    return px;
}

static void
fault(fixture_t *f, const char *json)
{
    json_t *reply = mock_admin(&f->mock, "/mock/fault", json);
    assert_non_null(reply);
    json_decref(reply);
}

static void
admin(fixture_t *f, const char *path, const char *json)
{
    json_t *reply = mock_admin(&f->mock, path, json);
    assert_non_null(reply);
    assert_true(json_is_true(json_object_get(reply, "success")));
    json_decref(reply);
}

static projectx_order_t
market(const char *contract, int side, const char *tag, int sl, int tp)
{
    projectx_order_t o = { .side = side, .type = PROJECTX_TYPE_MARKET, .size = 1,
                           .limit_price = OFTS_UNDEF_PRICE, .stop_price = OFTS_UNDEF_PRICE,
                           .sl_ticks = sl, .tp_ticks = tp };
    snprintf(o.contract_id, sizeof o.contract_id, "%s", contract);
    snprintf(o.custom_tag, sizeof o.custom_tag, "%s", tag);
    return o;
}

//  --------------------------------------------------------------------------

static void
test_login_and_account(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    assert_int_equal(projectx_account_id(px), ACCOUNT_ID);
    assert_non_null(projectx_token(px));
    assert_int_equal(strncmp(projectx_token(px), "eyJ", 3), 0);     //  JWT-shaped
    projectx_account_t accounts[4];
    size_t count = 0;
    assert_int_equal(projectx_accounts(px, accounts, 4, &count), PROJECTX_OK);
    assert_int_equal(count, 2);
    assert_int_equal(accounts[0].balance_cents, 15000000);
    projectx_destroy(&px);
    assert_null(px);

    //  Wrong key: definitive, with LoginErrorCode 3 InvalidCredentials.
    f->cfg.api_key = "wrong";
    px = projectx_new(&f->cfg);
    assert_int_equal(projectx_login(px), PROJECTX_REJECTED);
    assert_non_null(strstr(projectx_last_error(px), "errorCode 3"));
    projectx_destroy(&px);

    //  Account by id ("" = no name); an absent name is NOT_FOUND, not a guess.
    f->cfg.api_key = KEY;
    f->cfg.account_name = "";
    f->cfg.account_id = 25775680;
    px = logged_in(f);
    assert_int_equal(projectx_account_id(px), 25775680);
    projectx_destroy(&px);
    f->cfg.account_id = 0;
    f->cfg.account_name = "NOPE";
    px = projectx_new(&f->cfg);
    assert_int_equal(projectx_login(px), PROJECTX_NOT_FOUND);
    projectx_destroy(&px);
}

static void
test_config_guards(void **state)
{
    fixture_t *f = *state;
    projectx_config_t cfg = f->cfg;
    cfg.base_url = "http://example.com";        //  token in clear text: refused
    assert_null(projectx_new(&cfg));
    cfg.base_url = "ftp://127.0.0.1";
    assert_null(projectx_new(&cfg));
    cfg = f->cfg;
    cfg.username = NULL;
    cfg.api_key = NULL;
    unsetenv("TOPSTEPX_USERNAME");
    unsetenv("TOPSTEPX_API_KEY");
    assert_null(projectx_new(&cfg));
    setenv("TOPSTEPX_USERNAME", USER, 1);
    setenv("TOPSTEPX_API_KEY", KEY, 1);
    char with_api[96];                          //  PXPY-style base with /api/
    snprintf(with_api, sizeof with_api, "%s/api/", f->mock.base_url);
    cfg.base_url = with_api;
    projectx_t *px = projectx_new(&cfg);        //  from the environment
    assert_non_null(px);
    assert_int_equal(projectx_login(px), PROJECTX_OK);
    projectx_destroy(&px);
    unsetenv("TOPSTEPX_USERNAME");
    unsetenv("TOPSTEPX_API_KEY");
}

static void
test_token_refresh(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    assert_int_equal(mock_counter(&f->mock, "login"), 1);
    char first[512];
    snprintf(first, sizeof first, "%s", projectx_token(px));
    projectx_position_t pos[4];
    size_t count;
    //  Inside the refresh margin (24 h token, 30 min margin): validate once.
    f->clock_offset_ms = (24 * 3600 - 1700) * 1000LL;
    assert_int_equal(projectx_open_positions(px, pos, 4, &count), PROJECTX_OK);
    assert_int_equal(mock_counter(&f->mock, "validate"), 1);
    assert_string_not_equal(projectx_token(px), first);
    f->clock_offset_ms = 0;
    assert_int_equal(projectx_open_positions(px, pos, 4, &count), PROJECTX_OK);
    assert_int_equal(mock_counter(&f->mock, "validate"), 1);   //  new exp: no more
    //  Past the new token's exp by our clock: a fresh login, no validate.
    f->clock_offset_ms = (2 * 24 * 3600 + 60) * 1000LL;
    assert_int_equal(projectx_open_positions(px, pos, 4, &count), PROJECTX_OK);
    assert_int_equal(mock_counter(&f->mock, "login"), 2);
    //  Server-side expiry we did not foresee: 401 -> log in again, read once more.
    f->clock_offset_ms = 0;
    admin(f, "/mock/expire_tokens", "{}");
    assert_int_equal(projectx_open_positions(px, pos, 4, &count), PROJECTX_OK);
    assert_int_equal(mock_counter(&f->mock, "login"), 3);
    assert_int_equal(mock_counter(&f->mock, "unauthorized"), 1);
    projectx_destroy(&px);
}

static void
test_contract_resolution(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    projectx_contract_t c;
    //  "NQ" search also returns ENQ.Z26 (inactive), MNQ, NQG, NQM.
    assert_int_equal(projectx_resolve_contract(px, "NQ", &c), PROJECTX_OK);
    assert_string_equal(c.id, "CON.F.US.ENQ.U26");
    assert_string_equal(c.symbol_id, "F.US.ENQ");
    assert_int_equal(c.tick_size, 250000000);
    assert_int_equal(c.tick_value_cents, 500);
    assert_int_equal(projectx_resolve_contract(px, "MNQ", &c), PROJECTX_OK);
    assert_string_equal(c.id, "CON.F.US.MNQ.U26");
    assert_int_equal(projectx_resolve_contract(px, "GC", &c), PROJECTX_OK);
    assert_string_equal(c.id, "CON.F.US.GCE.Z26");      //  not MGC, not G27 (inactive)
    assert_int_equal(projectx_resolve_contract(px, "HG", &c), PROJECTX_OK);
    assert_string_equal(c.id, "CON.F.US.CPE.U26");
    assert_int_equal(c.tick_size, 500000);
    assert_int_equal(projectx_resolve_contract(px, "F.US.EP", &c), PROJECTX_OK);
    assert_string_equal(c.id, "CON.F.US.EP.U26");
    assert_int_equal(projectx_resolve_contract(px, "ZZ", &c), PROJECTX_ERROR);
    assert_int_equal(projectx_resolve_contract(px, "F.US.XYZ", &c), PROJECTX_NOT_FOUND);
    projectx_destroy(&px);
}

static void
test_place_bracket_and_oco(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-t1", 10, 20);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    assert_true(r.order_id > 2147483647LL);     //  int64 ids
    assert_false(r.resolved);
    //  Entry filled at 2350.0; children live at fill -10 ticks / +20 ticks.
    projectx_order_info_t orders[8];
    size_t count = 0;
    assert_int_equal(projectx_open_orders(px, orders, 8, &count), PROJECTX_OK);
    assert_int_equal(count, 2);
    const projectx_order_info_t *sl = strcmp(orders[0].custom_tag, "ofts-t1-SL") == 0 ? &orders[0]
                                                                                    : &orders[1];
    const projectx_order_info_t *tp = sl == &orders[0] ? &orders[1] : &orders[0];
    assert_string_equal(sl->custom_tag, "ofts-t1-SL");
    assert_string_equal(tp->custom_tag, "ofts-t1-TP");
    assert_int_equal(sl->type, PROJECTX_TYPE_STOP);
    assert_int_equal(sl->side, PROJECTX_SIDE_SELL);
    assert_int_equal(sl->stop_price, P(2349.0));
    assert_int_equal(tp->type, PROJECTX_TYPE_LIMIT);
    assert_int_equal(tp->limit_price, P(2352.0));
    assert_int_equal(sl->parent_id, r.order_id);
    assert_int_equal(tp->linked_id, sl->id);
    projectx_order_info_t entry;
    assert_int_equal(projectx_find_order_by_tag(px, "ofts-t1", 0, &entry), PROJECTX_OK);
    assert_int_equal(entry.id, r.order_id);
    assert_int_equal(entry.status, PROJECTX_STATUS_FILLED);
    assert_int_equal(entry.filled_price, P(2350.0));
    projectx_position_t pos[4];
    assert_int_equal(projectx_open_positions(px, pos, 4, &count), PROJECTX_OK);
    assert_int_equal(count, 1);
    assert_int_equal(pos[0].type, PROJECTX_POSITION_LONG);
    assert_int_equal(pos[0].size, 1);
    assert_int_equal(pos[0].avg_price, P(2350.0));

    //  Price reaches the target: TP fills, the server cancels the SL (OCO).
    admin(f, "/mock/price", "{\"contractId\":\"CON.F.US.GCE.Z26\",\"price\":2352.3}");
    assert_int_equal(projectx_open_orders(px, orders, 8, &count), PROJECTX_OK);
    assert_int_equal(count, 0);
    assert_int_equal(projectx_open_positions(px, pos, 4, &count), PROJECTX_OK);
    assert_int_equal(count, 0);
    projectx_trade_t trades[4];
    assert_int_equal(projectx_trades(px, (time(NULL) - 60) * 1000000000LL, 0, trades, 4, &count),
                     PROJECTX_OK);
    assert_int_equal(count, 2);
    assert_false(trades[0].has_pnl);            //  opening half-turn
    assert_true(trades[1].has_pnl);
    assert_int_equal(trades[1].price, P(2352.0));
    assert_int_equal(trades[1].pnl_cents, 20 * 1000);   //  20 ticks x $10
    assert_int_equal(trades[1].order_id, tp->id);
    projectx_order_info_t sl_now;
    assert_int_equal(projectx_find_order_by_tag(px, "ofts-t1-SL", 0, &sl_now), PROJECTX_OK);
    assert_int_equal(sl_now.status, PROJECTX_STATUS_CANCELLED);

    //  Same tag again (a caller resending after UNKNOWN): the broker refuses
    //  the duplicate (code 2), and the client reports the order that exists.
    int64_t first_id = r.order_id;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    assert_true(r.resolved);
    assert_int_equal(r.order_id, first_id);
    assert_int_equal(r.error_code, 2);
    assert_non_null(strstr(r.text, "already placed"));
    assert_int_equal(mock_tag_count(&f->mock, "ofts-t1"), 1);
    projectx_destroy(&px);
}

static void
test_short_limit_modify_cancel(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    projectx_order_t o = market("CON.F.US.ENQ.U26", PROJECTX_SIDE_SELL, "ofts-s1", 8, 16);
    o.type = PROJECTX_TYPE_LIMIT;
    o.limit_price = P(20010.0);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    //  Waiting children are Suspended: invisible to searchOpen (spec §3.5).
    projectx_order_info_t orders[8];
    size_t count;
    assert_int_equal(projectx_open_orders(px, orders, 8, &count), PROJECTX_OK);
    assert_int_equal(count, 1);
    assert_int_equal(orders[0].id, r.order_id);
    assert_int_equal(orders[0].limit_price, P(20010.0));
    assert_int_equal(mock_tag_count(&f->mock, "ofts-s1-SL"), 1);
    projectx_status_t st;
    assert_int_equal(projectx_modify(px, r.order_id, 0, P(20005.25), OFTS_UNDEF_PRICE, &st),
                     PROJECTX_OK);
    assert_int_equal(projectx_open_orders(px, orders, 8, &count), PROJECTX_OK);
    assert_int_equal(orders[0].limit_price, P(20005.25));
    //  Off-tick modify: Rejected (code 3), order unchanged.
    assert_int_equal(projectx_modify(px, r.order_id, 0, P(20005.1), OFTS_UNDEF_PRICE, &st),
                     PROJECTX_REJECTED);
    assert_int_equal(st.error_code, 3);
    assert_int_equal(projectx_modify(px, r.order_id, 0, OFTS_UNDEF_PRICE, OFTS_UNDEF_PRICE, &st),
                     PROJECTX_ERROR);
    assert_int_equal(projectx_cancel(px, r.order_id, &st), PROJECTX_OK);
    assert_int_equal(projectx_open_orders(px, orders, 8, &count), PROJECTX_OK);
    assert_int_equal(count, 0);
    assert_int_equal(projectx_cancel(px, r.order_id, &st), PROJECTX_REJECTED);
    assert_int_equal(st.error_code, 3);
    assert_int_equal(projectx_cancel(px, 42, &st), PROJECTX_REJECTED);
    assert_int_equal(st.error_code, 2);         //  OrderNotFound on cancel
    //  A short market bracket: fills, then the stop side is hit.
    projectx_order_t m = market("CON.F.US.ENQ.U26", PROJECTX_SIDE_SELL, "ofts-s2", 8, 16);
    assert_int_equal(projectx_place(px, &m, &r), PROJECTX_OK);
    admin(f, "/mock/price", "{\"contractId\":\"CON.F.US.ENQ.U26\",\"price\":20002.0}");
    projectx_position_t pos[2];
    assert_int_equal(projectx_open_positions(px, pos, 2, &count), PROJECTX_OK);
    assert_int_equal(count, 0);
    projectx_order_info_t tp;
    assert_int_equal(projectx_find_order_by_tag(px, "ofts-s2-TP", 0, &tp), PROJECTX_OK);
    assert_int_equal(tp.status, PROJECTX_STATUS_CANCELLED);
    assert_int_equal(tp.limit_price, P(19996.0));     //  20000 - 16 x 0.25
    //  Partial close of a 3-lot: 1, then a too-large size, then the rest.
    projectx_order_t three = market("CON.F.US.ENQ.U26", PROJECTX_SIDE_BUY, "ofts-s3", 0, 0);
    three.size = 3;
    assert_int_equal(projectx_place(px, &three, &r), PROJECTX_OK);
    assert_int_equal(projectx_partial_close(px, "CON.F.US.ENQ.U26", 1, &st), PROJECTX_OK);
    assert_int_equal(projectx_open_positions(px, pos, 2, &count), PROJECTX_OK);
    assert_int_equal(count, 1);
    assert_int_equal(pos[0].size, 2);
    assert_int_equal(projectx_partial_close(px, "CON.F.US.ENQ.U26", 5, &st), PROJECTX_REJECTED);
    assert_int_equal(st.error_code, 5);         //  InvalidCloseSize
    assert_int_equal(projectx_partial_close(px, "CON.F.US.ENQ.U26", 0, &st), PROJECTX_ERROR);
    assert_int_equal(projectx_close_contract(px, "CON.F.US.ENQ.U26", &st), PROJECTX_OK);
    assert_int_equal(projectx_open_positions(px, pos, 2, &count), PROJECTX_OK);
    assert_int_equal(count, 0);
    //  closeContract with nothing open: PositionNotFound (2).
    assert_int_equal(projectx_close_contract(px, "CON.F.US.ENQ.U26", &st), PROJECTX_REJECTED);
    assert_int_equal(st.error_code, 2);
    projectx_destroy(&px);
}

static void
test_business_errors(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    projectx_place_result_t r;
    projectx_order_t o = market("CON.F.US.XYZ.Z26", PROJECTX_SIDE_BUY, "ofts-b1", 10, 20);
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_REJECTED);
    assert_int_equal(r.error_code, 8);
    assert_non_null(strstr(r.text, "Contract not found"));
    admin(f, "/mock/config", "{\"market_open\":false}");
    o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-b2", 10, 20);
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_REJECTED);
    assert_int_equal(r.error_code, 5);
    assert_non_null(strstr(r.text, "not in an active trading status"));
    admin(f, "/mock/config", "{\"market_open\":true,\"position_brackets\":true}");
    o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-b3", 10, 20);
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_REJECTED);
    assert_int_equal(r.error_code, 2);
    assert_true(r.bracket_mode_error);
    assert_true(r.order_id > 0);                //  the rejected record has an id
    //  Without brackets the same account is fine.
    o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-b4", 0, 0);
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    assert_false(r.bracket_mode_error);
    //  Local checks: nothing is sent.
    long places = mock_counter(&f->mock, "place");
    o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "", 10, 20);
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_ERROR);
    o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "x", 10, 20);
    o.type = PROJECTX_TYPE_LIMIT;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_ERROR);
    assert_int_equal(mock_counter(&f->mock, "place"), places);
    projectx_destroy(&px);
}

//  500 AFTER the broker placed the order: resolved by tag, one order.
static void
test_500_after_place_resolves(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    fault(f, "{\"mode\":\"500_after\",\"path\":\"/api/Order/place\"}");
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-500a", 10, 20);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    assert_true(r.resolved);
    assert_int_equal(r.http_status, 500);
    assert_true(r.order_id > 0);
    assert_int_equal(mock_tag_count(&f->mock, "ofts-500a"), 1);
    assert_int_equal(mock_counter(&f->mock, "place"), 1);       //  never resent
    //  500 BEFORE processing: not on the books -> UNKNOWN, still not resent.
    fault(f, "{\"mode\":\"500\",\"path\":\"/api/Order/place\"}");
    o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-500b", 10, 20);
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_UNKNOWN);
    assert_non_null(strstr(r.text, "not found yet"));
    assert_int_equal(mock_tag_count(&f->mock, "ofts-500b"), 0);
    projectx_stats_t stats;
    projectx_stats(px, &stats);
    assert_int_equal(stats.ambiguous, 2);
    assert_int_equal(stats.resolved, 1);
    projectx_destroy(&px);
}

static void
test_timeout_after_send(void **state)
{
    fixture_t *f = *state;
    f->cfg.timeout_ms = 600;
    projectx_t *px = logged_in(f);
    fault(f, "{\"mode\":\"delay\",\"path\":\"/api/Order/place\",\"delay_ms\":2000}");
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-slow", 10, 20);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    assert_true(r.resolved);
    projectx_stats_t stats;
    projectx_stats(px, &stats);
    assert_int_equal(stats.timeouts, 1);
    assert_int_equal(mock_tag_count(&f->mock, "ofts-slow"), 1);
    assert_int_equal(mock_counter(&f->mock, "place"), 1);
    projectx_destroy(&px);
}

//  Connection dropped after the place, and the resolving search fails too:
//  UNKNOWN; a later reconciliation finds exactly one order.
static void
test_drop_then_reconcile(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    fault(f, "{\"mode\":\"drop\",\"path\":\"/api/Order/place\"}");
    fault(f, "{\"slot\":1,\"mode\":\"500\",\"path\":\"/api/Order/search\",\"count\":4}");
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_SELL, "ofts-drop", 10, 20);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_UNKNOWN);
    assert_non_null(strstr(r.text, "lookup failed"));
    projectx_order_info_t found;
    assert_int_equal(projectx_find_order_by_tag(px, "ofts-drop", 0, &found), PROJECTX_OK);
    assert_int_equal(found.status, PROJECTX_STATUS_FILLED);
    assert_int_equal(found.side, PROJECTX_SIDE_SELL);
    assert_int_equal(mock_tag_count(&f->mock, "ofts-drop"), 1);
    assert_int_equal(mock_counter(&f->mock, "place"), 1);
    //  A single drop is resolved inside place.
    fault(f, "{\"mode\":\"drop\",\"path\":\"/api/Order/place\"}");
    o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-drop2", 0, 0);
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    assert_true(r.resolved);
    assert_int_equal(mock_tag_count(&f->mock, "ofts-drop2"), 1);
    projectx_destroy(&px);
}

static void
test_malformed_json(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    projectx_position_t pos[2];
    size_t count;
    fault(f, "{\"mode\":\"malformed\",\"path\":\"/api/Position/searchOpen\",\"count\":10}");
    assert_int_equal(projectx_open_positions(px, pos, 2, &count), PROJECTX_ERROR);
    assert_non_null(strstr(projectx_last_error(px), "malformed JSON"));
    projectx_stats_t stats;
    projectx_stats(px, &stats);
    assert_int_equal(stats.retries, 3);
    //  Once, then fine: the retry hides it.
    fault(f, "{\"mode\":\"malformed\",\"path\":\"/api/Position/searchOpen\",\"count\":1}");
    assert_int_equal(projectx_open_positions(px, pos, 2, &count), PROJECTX_OK);
    //  On a place: ambiguous -> resolved.
    fault(f, "{\"mode\":\"malformed\",\"path\":\"/api/Order/place\"}");
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-mal", 10, 20);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    assert_true(r.resolved);
    assert_int_equal(mock_tag_count(&f->mock, "ofts-mal"), 1);
    //  success:true with errorCode 7 on a read: protocol error, not data.
    fault(f, "{\"mode\":\"mismatch\",\"path\":\"/api/Position/searchOpen\"}");
    assert_int_equal(projectx_open_positions(px, pos, 2, &count), PROJECTX_ERROR);
    assert_non_null(strstr(projectx_last_error(px), "protocol error"));
    projectx_destroy(&px);
}

static void
test_rate_limit_429(void **state)
{
    fixture_t *f = *state;
    f->cfg.rate_general = 0;                    //  local limiter off: meet the server's
    projectx_t *px = logged_in(f);              //  (login + Account/search = 1 counted)
    admin(f, "/mock/config", "{\"rate_limit\":3,\"rate_window_ms\":800}");
    projectx_position_t pos[2];
    size_t count;
    for (int i = 0; i < 6; i++)
        assert_int_equal(projectx_open_positions(px, pos, 2, &count), PROJECTX_OK);
    projectx_stats_t stats;
    projectx_stats(px, &stats);
    assert_true(stats.http_429 >= 1);
    assert_true(mock_counter(&f->mock, "rate_limited") >= 1);
    //  A 429 on a place is ambiguous (spec §6): never resent, reconciled.
    admin(f, "/mock/config", "{\"rate_limit\":0}");
    fault(f, "{\"mode\":\"429\",\"path\":\"/api/Order/place\"}");
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-429", 10, 20);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_UNKNOWN);
    assert_int_equal(r.http_status, 429);
    assert_int_equal(mock_tag_count(&f->mock, "ofts-429"), 0);
    projectx_destroy(&px);
}

static long
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
test_local_rate_limiter(void **state)
{
    fixture_t *f = *state;
    f->cfg.rate_general = 4;
    f->cfg.rate_general_window_ms = 1000;       //  <= 4 in any second: burst 2 + 2/s
    projectx_t *px = logged_in(f);              //  Account/search uses 1
    projectx_position_t pos[2];
    size_t count;
    long start = mono_ms();
    for (int i = 0; i < 3; i++)
        assert_int_equal(projectx_open_positions(px, pos, 2, &count), PROJECTX_OK);
    long elapsed = mono_ms() - start;
    assert_true(elapsed >= 900);                //  2 waits of ~500 ms
    projectx_stats_t stats;
    projectx_stats(px, &stats);
    assert_int_equal(stats.local_throttle_waits, 2);
    assert_int_equal(mock_counter(&f->mock, "rate_limited"), 0);
    projectx_destroy(&px);
}

typedef struct {
    projectx_t *px;
    volatile bool stop;
    int reads, failed;
} poller_t;

static void *
poller_main(void *arg)
{
    poller_t *p = arg;
    projectx_set_background_thread(p->px);
    projectx_position_t pos[4];
    size_t count;
    while (!p->stop) {
        if (projectx_open_positions(p->px, pos, 4, &count) == PROJECTX_OK)
            p->reads++;
        else
            p->failed++;
    }
    return NULL;
}

//  The mock refuses more than 20 requests per 2 s; our budget is 18.
static void
s_budget_18_of_20(fixture_t *f)
{
    admin(f, "/mock/config", "{\"rate_limit\":20,\"rate_window_ms\":2000}");
    f->cfg.rate_general = 18;
    f->cfg.rate_general_window_ms = 2000;
    f->cfg.clock_ms = NULL;
}

//  Four market buys on px, one every 700 ms (tags prefix-0..3): each must
//  go first, ahead of any poller (< 500 ms), and be accepted.
static void
s_place_while_polling(projectx_t *px, const char *prefix)
{
    for (int i = 0; i < 4; i++) {
        usleep(700 * 1000);
        char tag[32];
        snprintf(tag, sizeof tag, "%s-%d", prefix, i);
        projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, tag, 0, 0);
        projectx_place_result_t r;
        long start = mono_ms();
        assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
        assert_true(mono_ms() - start < 500);
    }
}

//  Issue #13 fault 2: reads released the whole budget at once (then a
//  steady rate), so a busy poller overran the broker's limit (HTTP 429s)
//  and a place queued behind the reads got 429 -> UNKNOWN. Now one smooth
//  budget for both threads, under the broker's: a poller reading flat out
//  for 4 s (mock limit 20 per 2 s, ours 18) gets no 429, no window holds
//  more than 18 requests, and every place goes first (< 500 ms) and is OK.
static void
test_scheduler_places_before_polls(void **state)
{
    fixture_t *f = *state;
    s_budget_18_of_20(f);
    projectx_t *px = logged_in(f);
    poller_t p = { px, false, 0, 0 };
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, poller_main, &p), 0);
    s_place_while_polling(px, "ofts-sched");
    p.stop = true;
    pthread_join(thread, NULL);
    projectx_stats_t stats;
    projectx_stats(px, &stats);
    assert_int_equal(mock_counter(&f->mock, "rate_limited"), 0);
    assert_int_equal(stats.http_429, 0);
    assert_true(stats.max_per_window <= 18);
    assert_true(p.reads >= 10);             //  the poller did get its share
    assert_int_equal(p.failed, 0);
    assert_int_equal(mock_counter(&f->mock, "place"), 4);
    projectx_destroy(&px);
}

//  Several accounts of one login (issue 19): two account views of one
//  session share its token and its one request budget - the broker counts
//  the login's requests, not each account's. Two pollers (one per account)
//  read flat out for 3 s while account B places every 700 ms (mock limit
//  20 per 2 s, ours 18): one login, no 429, no window above 18 for the two
//  accounts together, every place first (< 500 ms) and on its account.
//  (Two logins with a budget each would send up to 36 per 2 s.)
static void
test_views_share_one_budget(void **state)
{
    fixture_t *f = *state;
    s_budget_18_of_20(f);
    long logins = mock_counter(&f->mock, "login");
    projectx_t *login = projectx_new(&f->cfg);
    assert_int_equal(projectx_login_session(login), PROJECTX_OK);
    projectx_t *a = projectx_view(login, ACCOUNT_ID), *b = projectx_view(login, 25775680);
    projectx_destroy(&login);
    poller_t pa = { a, false, 0, 0 }, pb = { b, false, 0, 0 };
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, poller_main, &pa), 0);
    assert_int_equal(pthread_create(&tb, NULL, poller_main, &pb), 0);
    s_place_while_polling(b, "ofts-view");
    pa.stop = pb.stop = true;
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    projectx_stats_t sa, sb;
    projectx_stats(a, &sa);
    projectx_stats(b, &sb);
    printf("two views: %d + %d reads, %llu requests, at most %llu in a window\n", pa.reads, pb.reads,
           (unsigned long long) sa.requests, (unsigned long long) sa.max_per_window);
    assert_int_equal(sa.requests, sb.requests);         //  one set of counters: the session's
    assert_int_equal(mock_counter(&f->mock, "login"), logins + 1);
    assert_int_equal(mock_counter(&f->mock, "rate_limited"), 0);
    assert_int_equal(sa.http_429, 0);
    assert_true(sa.max_per_window <= 18);
    assert_true(pa.reads >= 5 && pb.reads >= 5);        //  both pollers got a share
    assert_int_equal(pa.failed + pb.failed, 0);
    size_t count;
    projectx_position_t pos[4];
    assert_int_equal(projectx_open_positions(b, pos, 4, &count), PROJECTX_OK);
    assert_int_equal(count, 1);
    assert_int_equal(pos[0].size, 4);                   //  B's four buys, on B
    assert_int_equal(projectx_open_positions(a, pos, 4, &count), PROJECTX_OK);
    assert_int_equal(count, 0);
    projectx_destroy(&a);
    projectx_destroy(&b);
}

//  A dead token on a mutation: ambiguous; we log in again and the order is
//  still there for the caller to reconcile.
static void
test_401_on_cancel(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-401", 0, 0);
    o.type = PROJECTX_TYPE_LIMIT;
    o.limit_price = P(2300.0);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_OK);
    admin(f, "/mock/expire_tokens", "{}");
    projectx_status_t st;
    assert_int_equal(projectx_cancel(px, r.order_id, &st), PROJECTX_UNKNOWN);
    assert_int_equal(st.http_status, 401);
    projectx_order_info_t found;
    assert_int_equal(projectx_find_order_by_tag(px, "ofts-401", 0, &found), PROJECTX_OK);
    assert_int_equal(found.status, PROJECTX_STATUS_OPEN);
    assert_int_equal(projectx_cancel(px, r.order_id, &st), PROJECTX_OK);
    projectx_destroy(&px);
}

//  Connection refused: nothing sent, so a place is ERROR (safe), not UNKNOWN.
static void
test_not_sent_is_error(void **state)
{
    fixture_t *f = *state;
    projectx_t *px = logged_in(f);
    mock_stop(&f->mock);
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-down", 10, 20);
    projectx_place_result_t r;
    assert_int_equal(projectx_place(px, &o, &r), PROJECTX_ERROR);
    assert_non_null(strstr(r.text, "not sent"));
    projectx_destroy(&px);
}

static void
test_no_secrets_in_stderr(void **state)
{
    fixture_t *f = *state;
    char path[] = "/tmp/ofts-px-stderr-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    ofts_log_set_level(OFTS_LOG_DEBUG);
    setenv("TOPSTEPX_USERNAME", USER, 1);
    setenv("TOPSTEPX_API_KEY", KEY, 1);
    projectx_config_t cfg = f->cfg;
    cfg.username = NULL;
    cfg.api_key = NULL;
    //  Results are kept and asserted after stderr is restored, so a failure
    //  message is visible.
    int rc[5];
    projectx_t *px = projectx_new(&cfg);
    assert_non_null(px);
    rc[0] = projectx_login(px);
    char token1[512];
    snprintf(token1, sizeof token1, "%s", projectx_token(px) ? projectx_token(px) : "none");
    f->clock_offset_ms = (24 * 3600 - 60) * 1000LL;     //  force a validate
    projectx_position_t pos[2];
    size_t count;
    rc[1] = projectx_open_positions(px, pos, 2, &count);
    char token2[512];
    snprintf(token2, sizeof token2, "%s", projectx_token(px) ? projectx_token(px) : "none");
    json_decref(mock_admin(&f->mock, "/mock/expire_tokens", "{}"));     //  401 + re-login
    rc[2] = projectx_open_positions(px, pos, 2, &count);
    json_decref(mock_admin(&f->mock, "/mock/fault",
                           "{\"mode\":\"500_after\",\"path\":\"/api/Order/place\"}"));
    projectx_order_t o = market("CON.F.US.GCE.Z26", PROJECTX_SIDE_BUY, "ofts-sec", 10, 20);
    projectx_place_result_t r;
    rc[3] = projectx_place(px, &o, &r);
    rc[4] = r.resolved;
    char token3[512];
    snprintf(token3, sizeof token3, "%s", projectx_token(px) ? projectx_token(px) : "none");
    projectx_destroy(&px);
    unsetenv("TOPSTEPX_API_KEY");
    unsetenv("TOPSTEPX_USERNAME");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ofts_log_set_level(OFTS_LOG_INFO);
    char log[65536] = "";
    ssize_t n = pread(fd, log, sizeof log - 1, 0);
    close(fd);
    unlink(path);
    assert_int_equal(rc[0], PROJECTX_OK);
    assert_int_equal(rc[1], PROJECTX_OK);
    assert_int_equal(rc[2], PROJECTX_OK);
    assert_int_equal(rc[3], PROJECTX_OK);
    assert_true(rc[4]);
    assert_true(n > 200);                       //  it did log (debug lines)
    log[n] = 0;
    assert_non_null(strstr(log, "Order/place"));
    assert_null(strstr(log, KEY));
    assert_string_not_equal(token1, token2);
    assert_null(strstr(log, token1));
    assert_null(strstr(log, token2));
    assert_null(strstr(log, token3));
    //  Not even the signature segment alone.
    assert_null(strstr(log, strrchr(token1, '.') + 1));
    assert_null(strstr(log, "Bearer"));
}

int
main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ofts_log_init("test-projectx", OFTS_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_and_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_guards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contract_resolution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_place_bracket_and_oco, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_limit_modify_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_business_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_500_after_place_resolves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_after_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_then_reconcile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_429, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_rate_limiter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scheduler_places_before_polls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_views_share_one_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_401_on_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_sent_is_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_secrets_in_stderr, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
