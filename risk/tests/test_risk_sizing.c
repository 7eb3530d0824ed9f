/*  risk_sizing: contracts per trade and the account cap, by hand.          */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "risk_sizing.h"

static int64_t
px(const char *text)
{
    int64_t v = 0;
    assert_true(ofts_price_parse(text, &v));
    return v;
}

static risk_config_t
s_risk_cfg(int64_t dollars)
{
    risk_config_t cfg;
    risk_config_defaults(&cfg);
    cfg.sizing = RISK_SIZING_RISK;
    cfg.risk_per_trade_cents = dollars * 100;
    return cfg;
}

//  NQ: 20 points = 80 ticks x $5 = $400 per contract; $500 -> floor(500/400) = 1.
static void
t_nq_20_points_500(void **state)
{
    (void) state;
    risk_config_t cfg = s_risk_cfg(500);
    const ofts_instrument_t *nq = ofts_instrument_find("NQ");
    assert_int_equal(risk_sizing_stop_cents(nq, px("20000"), px("19980")), 40000);
    assert_int_equal(risk_sizing_quantity(&cfg, nq, px("20000"), px("19980")), 1);
    cfg.risk_per_trade_cents = 79999;   //  $799.99 -> still 1
    assert_int_equal(risk_sizing_quantity(&cfg, nq, px("20000"), px("19980")), 1);
    cfg.risk_per_trade_cents = 80000;   //  $800 -> exactly 2
    assert_int_equal(risk_sizing_quantity(&cfg, nq, px("20000"), px("19980")), 2);
    //  Short side: stop above the entry, same distance.
    assert_int_equal(risk_sizing_quantity(&cfg, nq, px("20000"), px("20020")), 2);
}

//  GC: 5.0 = 50 ticks x $10 = $500 per contract; $1,000 -> 2.
static void
t_gc_5_points_1000(void **state)
{
    (void) state;
    risk_config_t cfg = s_risk_cfg(1000);
    const ofts_instrument_t *gc = ofts_instrument_find("GC");
    assert_int_equal(risk_sizing_stop_cents(gc, px("2350.0"), px("2345.0")), 50000);
    assert_int_equal(risk_sizing_quantity(&cfg, gc, px("2350.0"), px("2345.0")), 2);
    cfg.risk_per_trade_cents = 149999;
    assert_int_equal(risk_sizing_quantity(&cfg, gc, px("2350.0"), px("2345.0")), 2);
    cfg.risk_per_trade_cents = 150000;
    assert_int_equal(risk_sizing_quantity(&cfg, gc, px("2350.0"), px("2345.0")), 3);
}

static void
t_micros_and_copper(void **state)
{
    (void) state;
    risk_config_t cfg = s_risk_cfg(500);
    //  MNQ 20 points = $40 -> floor(500 / 40) = 12
    assert_int_equal(risk_sizing_quantity(&cfg, ofts_instrument_find("MNQ"), px("20000"), px("19980")), 12);
    //  HG 4.5000 -> 4.4900 = 20 ticks x $12.50 = $250 -> 2
    assert_int_equal(risk_sizing_stop_cents(ofts_instrument_find("HG"), px("4.5"), px("4.49")), 25000);
    assert_int_equal(risk_sizing_quantity(&cfg, ofts_instrument_find("HG"), px("4.5"), px("4.49")), 2);
    //  SI 30.000 -> 29.750 = 50 ticks x $25 = $1,250 > $500 -> 0
    assert_int_equal(risk_sizing_quantity(&cfg, ofts_instrument_find("SI"), px("30"), px("29.75")), 0);
}

static void
t_zero_and_fixed(void **state)
{
    (void) state;
    risk_config_t cfg = s_risk_cfg(300);
    const ofts_instrument_t *nq = ofts_instrument_find("NQ");
    assert_int_equal(risk_sizing_quantity(&cfg, nq, px("20000"), px("19980")), 0);   //  $300 < $400
    assert_int_equal(risk_sizing_quantity(&cfg, nq, px("20000"), px("20000")), 0);   //  no stop distance
    cfg.sizing = RISK_SIZING_FIXED;
    cfg.fixed_contracts = 3;
    assert_int_equal(risk_sizing_quantity(&cfg, nq, px("20000"), px("19980")), 3);
}

//  Topstep 50K: 5 lots, micros 10:1 (spec/topstepx.md §8.4).
static void
t_weights_and_capacity(void **state)
{
    (void) state;
    risk_config_t cfg;
    risk_config_defaults(&cfg);
    assert_int_equal(cfg.max_contracts, 5);
    assert_int_equal(risk_sizing_weight(&cfg, ofts_instrument_find("GC")), 10);
    assert_int_equal(risk_sizing_weight(&cfg, ofts_instrument_find("MGC")), 1);
    assert_int_equal(risk_sizing_weight(&cfg, ofts_instrument_find("MNQ")), 1);
    assert_int_equal(risk_sizing_weight(&cfg, ofts_instrument_find("MHG")), 1);
    assert_int_equal(risk_sizing_weight(&cfg, ofts_instrument_find("SIL")), 10);   //  unpublished weight
    cfg.full_weight_count = 0;
    assert_int_equal(risk_sizing_weight(&cfg, ofts_instrument_find("SIL")), 2);    //  1,000 oz of 5,000
    const ofts_instrument_t *gc = ofts_instrument_find("GC"), *mgc = ofts_instrument_find("MGC");
    assert_int_equal(risk_sizing_capacity(&cfg, gc, 0), 5);
    assert_int_equal(risk_sizing_capacity(&cfg, mgc, 0), 50);
    assert_int_equal(risk_sizing_capacity(&cfg, gc, 40), 1);     //  4 minis open
    assert_int_equal(risk_sizing_capacity(&cfg, gc, 41), 0);     //  4 minis + 1 micro: no mini fits
    assert_int_equal(risk_sizing_capacity(&cfg, mgc, 41), 9);
    assert_int_equal(risk_sizing_capacity(&cfg, mgc, 50), 0);
    assert_int_equal(risk_sizing_capacity(&cfg, mgc, 60), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_nq_20_points_500),
        cmocka_unit_test(t_gc_5_points_1000),
        cmocka_unit_test(t_micros_and_copper),
        cmocka_unit_test(t_zero_and_fixed),
        cmocka_unit_test(t_weights_and_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
