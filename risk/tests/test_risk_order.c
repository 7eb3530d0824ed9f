/*  risk_order: the signal -> OrderRequest step and its client order id.   */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "risk_order.h"

//  Expected ids computed independently (Python FNV-1a, both bases).
static void
t_client_id_is_a_pure_function(void **state)
{
    (void) state;
    char a[RISK_CLIENT_ID_SIZE], b[RISK_CLIENT_ID_SIZE];
    risk_order_client_id("sig-1", a, sizeof a);
    assert_string_equal(a, "ofts-dcdbdc4f314bc3640d070985");
    risk_order_client_id("sig-1", b, sizeof b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 29);            //  + "-SL" still <= 36 (ProjectX customTag)
    risk_order_client_id("GC-20260310T150000.000000000Z-buy", a, sizeof a);
    assert_string_equal(a, "ofts-b5e92ad9c513df83bbfd818a");
    risk_order_client_id("sig-2", b, sizeof b);
    assert_string_not_equal(b, "ofts-dcdbdc4f314bc3640d070985");
}

static void
t_order_from_signal(void **state)
{
    (void) state;
    risk_config_t cfg;
    risk_config_defaults(&cfg);
    cfg.order_type = OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT;
    Ofts__Signal sig;
    ofts__signal__init(&sig);
    sig.id = (char *) "sig-1";
    sig.symbol = (char *) "GC";
    sig.contract = (char *) "GCJ6";
    sig.confidence = 0.8;
    sig.reasons = (char *) "Strong buy imbalance: 0.72";
    risk_plan_t plan = { OFTS__SIDE__SIDE_BUY, 2350000000000LL, 2345000000000LL, 2360000000000LL, 2, 100000 };
    char coid[RISK_CLIENT_ID_SIZE];
    risk_order_client_id(sig.id, coid, sizeof coid);
    Ofts__OrderRequest req;
    risk_order_from_signal(&req, &sig, &plan, &cfg, coid);
    assert_string_equal(req.client_order_id, "ofts-dcdbdc4f314bc3640d070985");
    assert_string_equal(req.signal_id, "sig-1");
    assert_string_equal(req.contract, "GCJ6");
    assert_int_equal(req.side, OFTS__SIDE__SIDE_BUY);
    assert_int_equal(req.quantity, 2);
    assert_int_equal(req.type, OFTS__ORDER_TYPE__ORDER_TYPE_LIMIT);
    assert_int_equal(req.entry, 2350000000000LL);
    assert_int_equal(req.stop, 2345000000000LL);
    assert_int_equal(req.take_profit, 2360000000000LL);
    assert_false(req.reduce_only);
    //  It packs: a valid protobuf for the bus.
    Ofts__Envelope env;
    ofts__envelope__init(&env);
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = &req;
    uint8_t buf[512];
    size_t n = ofts__envelope__pack(&env, buf);
    Ofts__Envelope *back = ofts__envelope__unpack(NULL, n, buf);
    assert_non_null(back);
    assert_string_equal(back->order_request->client_order_id, coid);
    ofts__envelope__free_unpacked(back, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_client_id_is_a_pure_function),
        cmocka_unit_test(t_order_from_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
