/*  test_projectx_model - ProjectX JSON shapes: LIVE-shaped payloads from
    spec/topstepx.md, timestamps of every fraction length, prices integral
    and with trailing zeros, nulls, int64 ids, JWT exp, bracket signs.     */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ofts_config.h"
#include "ofts_instrument.h"
#include "projectx_client.h"
#include "projectx_model.h"
#include <stdlib.h>
#include <string.h>

static json_t *
parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    assert_non_null(j);
    return j;
}

static void
test_time(void **state)
{
    (void) state;
    int64_t ns;
    //  2026-08-19T20:51:31Z = 1787172691 s (checked with calendar.timegm)
    assert_true(projectx_time_parse("2026-08-19T20:51:31.4173693+00:00", &ns));
    assert_int_equal(ns, 1787172691LL * 1000000000LL + 417369300LL);
    assert_true(projectx_time_parse("2026-08-19T20:51:31.15673+00:00", &ns));
    assert_int_equal(ns % 1000000000LL, 156730000LL);
    assert_true(projectx_time_parse("2026-08-19T20:51:31Z", &ns));
    assert_int_equal(ns, 1787172691LL * 1000000000LL);
    assert_true(projectx_time_parse("2026-08-19T15:51:31-05:00", &ns));
    assert_int_equal(ns, 1787172691LL * 1000000000LL);
    assert_true(projectx_time_parse("2026-08-19T20:51:31", &ns));      //  no offset: UTC
    assert_false(projectx_time_parse("2026-08-19", &ns));
    assert_false(projectx_time_parse("2026-08-19T20:51:31.Z", &ns));
    assert_false(projectx_time_parse("2026-13-19T20:51:31Z", &ns));
    assert_false(projectx_time_parse(NULL, &ns));
    char buf[40];
    projectx_time_format(1787172691LL * 1000000000LL + 882000000LL, buf, sizeof buf);
    assert_string_equal(buf, "2026-08-19T20:51:31.882Z");
}

static void
test_prices(void **state)
{
    (void) state;
    json_t *j = parse("{\"a\":6065.250000000,\"b\":29547,\"c\":null,\"d\":0.0005,\"e\":\"4.5005\"}");
    assert_int_equal(projectx_price_from_json(json_object_get(j, "a")), 6065250000000LL);
    assert_int_equal(projectx_price_from_json(json_object_get(j, "b")), 29547000000000LL);
    assert_int_equal(projectx_price_from_json(json_object_get(j, "c")), OFTS_UNDEF_PRICE);
    assert_int_equal(projectx_price_from_json(json_object_get(j, "missing")), OFTS_UNDEF_PRICE);
    assert_int_equal(projectx_price_from_json(json_object_get(j, "d")), 500000LL);
    assert_int_equal(projectx_price_from_json(json_object_get(j, "e")), 4500500000LL);
    json_decref(j);
    //  Encoding prints the decimal, not binary noise.
    json_t *o = json_pack("{s:o,s:o,s:o}", "p", projectx_price_to_json(2350100000000LL), "q",
                          projectx_price_to_json(4500500000LL), "n",
                          projectx_price_to_json(OFTS_UNDEF_PRICE));
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    assert_string_equal(text, "{\"n\":null,\"p\":2350.1,\"q\":4.5005}");
    free(text);
    json_decref(o);
}

static void
test_order_live_shape(void **state)
{
    (void) state;
    //  LIVE example from spec §7.1 (bare data of a wrapped push) + extras.
    json_t *j = parse("{\"id\":3425270858,\"accountId\":26282486,\"contractId\":\"CON.F.US.MNQ.U26\","
                      "\"symbolId\":\"F.US.MNQ\",\"creationTimestamp\":\"2026-08-19T20:49:25.3938333+00:00\","
                      "\"updateTimestamp\":null,\"status\":5,\"type\":2,\"side\":1,\"size\":1,"
                      "\"fillVolume\":0,\"limitPrice\":null,\"stopPrice\":30196.75,"
                      "\"customTag\":\"glt-33fa8e1e\",\"parentOrderId\":3425270857,"
                      "\"linkedOrderId\":3425270859,\"trailDistance\":-10,\"newField\":{\"x\":1}}");
    projectx_order_info_t o;
    assert_true(projectx_order_parse(j, &o));
    assert_int_equal(o.id, 3425270858LL);           //  > 2^31
    assert_int_equal(o.account_id, 26282486);
    assert_string_equal(o.contract_id, "CON.F.US.MNQ.U26");
    assert_string_equal(o.symbol_id, "F.US.MNQ");
    assert_int_equal(o.status, PROJECTX_STATUS_REJECTED);
    assert_true(projectx_status_terminal(o.status));
    assert_int_equal(o.side, PROJECTX_SIDE_SELL);
    assert_int_equal(o.limit_price, OFTS_UNDEF_PRICE);
    assert_int_equal(o.stop_price, 30196750000000LL);
    assert_int_equal(o.filled_price, OFTS_UNDEF_PRICE);
    assert_int_equal(o.updated_ns, 0);
    assert_string_equal(o.custom_tag, "glt-33fa8e1e");
    assert_int_equal(o.parent_id, 3425270857LL);
    assert_int_equal(o.linked_id, 3425270859LL);
    json_decref(j);
    j = parse("{\"accountId\":1}");                 //  no id: not an order
    assert_false(projectx_order_parse(j, &o));
    json_decref(j);
    assert_false(projectx_order_parse(NULL, &o));
}

static void
test_trade_position_account_contract(void **state)
{
    (void) state;
    json_t *j = parse("{\"trades\":[{\"id\":8604,\"accountId\":203,\"contractId\":\"CON.F.US.EP.H25\","
                      "\"creationTimestamp\":\"2025-01-21T16:13:52.523293+00:00\",\"price\":6065.25,"
                      "\"profitAndLoss\":50.0,\"fees\":1.4,\"side\":1,\"size\":1,\"voided\":false,"
                      "\"orderId\":14328},{\"id\":3005729833,\"accountId\":203,\"contractId\":\"CON.F.US.EP.H25\","
                      "\"creationTimestamp\":\"2025-01-21T16:13:04.142302+00:00\",\"price\":6064.25,"
                      "\"profitAndLoss\":null,\"fees\":1.4,\"commissions\":0,\"side\":0,\"size\":1,"
                      "\"voided\":false,\"orderId\":14326}]}");
    projectx_trade_t t;
    assert_true(projectx_trade_parse(json_array_get(json_object_get(j, "trades"), 0), &t));
    assert_int_equal(t.price, 6065250000000LL);
    assert_true(t.has_pnl);
    assert_int_equal(t.pnl_cents, 5000);
    assert_int_equal(t.fees_cents, 140);
    assert_int_equal(t.order_id, 14328);
    assert_true(projectx_trade_parse(json_array_get(json_object_get(j, "trades"), 1), &t));
    assert_false(t.has_pnl);                        //  half-turn
    assert_int_equal(t.id, 3005729833LL);
    json_decref(j);

    j = parse("{\"id\":6124,\"accountId\":536,\"contractId\":\"CON.F.US.GMET.J25\","
              "\"creationTimestamp\":\"2025-04-21T19:52:32.175721+00:00\",\"type\":1,\"size\":2,"
              "\"averagePrice\":1575.750000000,\"contractDisplayName\":\"GMETJ25\"}");
    projectx_position_t p;
    assert_true(projectx_position_parse(j, &p));
    assert_int_equal(p.type, PROJECTX_POSITION_LONG);
    assert_int_equal(p.size, 2);
    assert_int_equal(p.avg_price, 1575750000000LL);
    json_decref(j);

    j = parse("{\"id\":25775680,\"name\":\"50KTC-V2-DLL-645601-97590973\",\"balance\":49989.34,"
              "\"canTrade\":true,\"isVisible\":true}");
    projectx_account_t a;
    assert_true(projectx_account_parse(j, &a));
    assert_int_equal(a.balance_cents, 4998934);
    assert_true(a.can_trade);
    assert_false(a.simulated);                      //  absent in the DOC example
    json_decref(j);

    j = parse("{\"id\":\"CON.F.US.CPE.U26\",\"name\":\"HGU6\",\"description\":\"Copper\","
              "\"tickSize\":0.0005,\"tickValue\":12.5,\"activeContract\":true,\"symbolId\":\"F.US.CPE\"}");
    projectx_contract_t c;
    assert_true(projectx_contract_parse(j, &c));
    assert_int_equal(c.tick_size, ofts_instrument_find("HG")->tick);
    assert_int_equal(c.tick_value_cents, ofts_instrument_find("HG")->tick_value_cents);
    assert_true(c.active);
    json_decref(j);
}

static void
test_bracket_signs(void **state)
{
    (void) state;
    //  Spec §5.3: long SL < 0, TP > 0; short SL > 0, TP < 0.
    assert_int_equal(projectx_bracket_sl_ticks(PROJECTX_SIDE_BUY, 10), -10);
    assert_int_equal(projectx_bracket_tp_ticks(PROJECTX_SIDE_BUY, 17), 17);
    assert_int_equal(projectx_bracket_sl_ticks(PROJECTX_SIDE_SELL, 10), 10);
    assert_int_equal(projectx_bracket_tp_ticks(PROJECTX_SIDE_SELL, 17), -17);
    assert_int_equal(projectx_bracket_sl_ticks(PROJECTX_SIDE_BUY, -10), -10);  //  sign-proof
}

static void
test_jwt_exp(void **state)
{
    (void) state;
    //  header {"alg":"HS256","typ":"JWT"}, payload {"sub":"u","exp":1787172691}
    const char *token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                        "eyJzdWIiOiJ1IiwiZXhwIjoxNzg3MTcyNjkxfQ.c2lnbmF0dXJl";
    assert_int_equal(projectx_jwt_exp(token), 1787172691LL);
    assert_int_equal(projectx_jwt_exp("opaque-token"), -1);
    assert_int_equal(projectx_jwt_exp("a.!!!.b"), -1);
    assert_int_equal(projectx_jwt_exp(NULL), -1);
    //  payload {"sub":"u"}: no exp
    assert_int_equal(projectx_jwt_exp("x.eyJzdWIiOiJ1In0.y"), -1);
}

static void
test_status(void **state)
{
    (void) state;
    assert_string_equal(projectx_status_name(8), "Suspended");
    assert_string_equal(projectx_status_name(42), "Unknown");
    assert_true(projectx_status_working(PROJECTX_STATUS_SUSPENDED));
    assert_false(projectx_status_working(PROJECTX_STATUS_FILLED));
    assert_false(projectx_status_terminal(PROJECTX_STATUS_NONE));
}

static void
test_config_keys(void **state)
{
    (void) state;
    char err[256];
    ofts_config_t *cfg = ofts_config_parse(
        "{\"gateway_order\":{\"projectx\":{\"base_url\":\"http://127.0.0.1:5000\","
        "\"user_hub_url\":\"http://127.0.0.1:5001/hubs/user\",\"account_name\":\"PRAC-1\","
        "\"timeout_ms\":2500,\"rate_general\":100,\"live\":false}}}",
        "test.json", err, sizeof err);
    assert_non_null(cfg);
    ofts_cfgsec_t *sec = ofts_config_section(cfg, "gateway_order.projectx");
    projectx_config_t px;
    projectx_config_defaults(&px);
    assert_int_equal(projectx_config_read(&px, sec), 0);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), 0);
    assert_string_equal(px.base_url, "http://127.0.0.1:5000");
    assert_string_equal(px.user_hub_url, "http://127.0.0.1:5001/hubs/user");
    assert_string_equal(px.account_name, "PRAC-1");
    assert_int_equal(px.timeout_ms, 2500);
    assert_int_equal(px.rate_general, 100);
    assert_int_equal(px.rate_general_window_ms, 60000);     //  default kept
    assert_int_equal(px.read_retries, 3);
    ofts_config_destroy(&cfg);

    //  A typo is reported with its dotted key; a negative time-out too.
    cfg = ofts_config_parse("{\"gateway_order\":{\"projectx\":{\"timeout\":5}}}", "t.json", err,
                            sizeof err);
    sec = ofts_config_section(cfg, "gateway_order.projectx");
    projectx_config_defaults(&px);
    assert_int_equal(projectx_config_read(&px, sec), 0);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), -1);
    assert_non_null(strstr(err, "gateway_order.projectx.timeout"));
    ofts_config_destroy(&cfg);
    cfg = ofts_config_parse("{\"gateway_order\":{\"projectx\":{\"timeout_ms\":-1}}}", "t.json",
                            err, sizeof err);
    sec = ofts_config_section(cfg, "gateway_order.projectx");
    assert_int_equal(projectx_config_read(&px, sec), -1);
    assert_int_equal(ofts_cfgsec_finish(&sec, err, sizeof err), -1);
    assert_non_null(strstr(err, "timeout_ms"));
    ofts_config_destroy(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_prices),
        cmocka_unit_test(test_order_live_shape),
        cmocka_unit_test(test_trade_position_account_contract),
        cmocka_unit_test(test_bracket_signs),
        cmocka_unit_test(test_jwt_exp),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_config_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
