#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "ofts_clock.h"
#include "ofts_instrument.h"

#define PX(whole, nano) ((int64_t) (whole) * OFTS_PRICE_SCALE + (nano))

static void
t_table_values(void **state)
{
    (void) state;
    //  spec/instruments.md §5 quick checks: 1 tick P&L per contract.
    struct { const char *root; int64_t cents; } ticks[] = {
        { "GC", 1000 }, { "MGC", 100 }, { "SI", 2500 }, { "SIL", 500 }, { "PL", 500 },
        { "HG", 1250 }, { "MHG", 125 }, { "NQ", 500 }, { "MNQ", 50 }, { "ES", 1250 }, { "MES", 125 },
    };
    for (size_t i = 0; i < sizeof ticks / sizeof ticks[0]; i++) {
        const ofts_instrument_t *in = ofts_instrument_find(ticks[i].root);
        assert_non_null(in);
        assert_int_equal(in->tick_value_cents, ticks[i].cents);
        //  point value = tick value / tick size
        assert_int_equal(in->point_value_cents * in->tick / OFTS_PRICE_SCALE, in->tick_value_cents);
    }
    assert_int_equal(ofts_instrument_count(), 11);
    assert_null(ofts_instrument_find("ZZ"));
    assert_string_equal(ofts_instrument_find("HG")->projectx_symbol, "F.US.CPE");
}

static void
t_contract_roots(void **state)
{
    (void) state;
    assert_string_equal(ofts_instrument_for_contract("GCZ6")->root, "GC");
    assert_string_equal(ofts_instrument_for_contract("MGCZ6")->root, "MGC");
    assert_string_equal(ofts_instrument_for_contract("SIZ26")->root, "SI");
    assert_string_equal(ofts_instrument_for_contract("SILU6")->root, "SIL");
    assert_string_equal(ofts_instrument_for_contract("NQH7")->root, "NQ");
    assert_string_equal(ofts_instrument_for_contract("GC.FUT")->root, "GC");
    assert_string_equal(ofts_instrument_for_contract("NQ")->root, "NQ");
    assert_null(ofts_instrument_for_contract("GCX"));
    assert_null(ofts_instrument_for_contract("ESH1 P2250"));
    assert_null(ofts_instrument_for_contract("ZB"));
}

static void
t_rounding(void **state)
{
    (void) state;
    int64_t tick = ofts_instrument_find("GC")->tick;
    assert_true(ofts_price_round(PX(2350, 140000000), tick, OFTS_ROUND_NEAREST) == PX(2350, 100000000));
    assert_true(ofts_price_round(PX(2350, 150000000), tick, OFTS_ROUND_NEAREST) == PX(2350, 200000000));
    assert_true(ofts_price_round(PX(2350, 110000000), tick, OFTS_ROUND_UP) == PX(2350, 200000000));
    assert_true(ofts_price_round(PX(2350, 190000000), tick, OFTS_ROUND_DOWN) == PX(2350, 100000000));
    assert_true(ofts_price_round(PX(2350, 100000000), tick, OFTS_ROUND_UP) == PX(2350, 100000000));
    assert_true(ofts_price_round(-PX(0, 140000000), tick, OFTS_ROUND_NEAREST) == -PX(0, 100000000));
    assert_true(ofts_price_round(-PX(0, 150000000), tick, OFTS_ROUND_NEAREST) == -PX(0, 200000000));
    assert_true(ofts_price_round(OFTS_UNDEF_PRICE, tick, OFTS_ROUND_NEAREST) == OFTS_UNDEF_PRICE);
    int64_t hg = ofts_instrument_find("HG")->tick;            //  0.0005
    assert_true(ofts_price_round(PX(4, 500200000), hg, OFTS_ROUND_NEAREST) == PX(4, 500000000));
    assert_true(ofts_price_round(PX(4, 500300000), hg, OFTS_ROUND_NEAREST) == PX(4, 500500000));
}

static void
t_pnl_cents(void **state)
{
    (void) state;
    //  spec/instruments.md §5.
    assert_int_equal(ofts_instrument_pnl_cents(ofts_instrument_find("GC"), PX(2350, 0), PX(2351, 0), 1), 10000);
    assert_int_equal(ofts_instrument_pnl_cents(ofts_instrument_find("HG"), PX(4, 500000000), PX(4, 510000000), 1), 25000);
    assert_int_equal(ofts_instrument_pnl_cents(ofts_instrument_find("SI"), PX(30, 0), PX(30, 250000000), 1), 125000);
    assert_int_equal(ofts_instrument_pnl_cents(ofts_instrument_find("SIL"), PX(30, 0), PX(30, 250000000), 1), 25000);
    assert_int_equal(ofts_instrument_pnl_cents(ofts_instrument_find("NQ"), PX(20000, 0), PX(19980, 0), 1), -40000);
    assert_int_equal(ofts_instrument_pnl_cents(ofts_instrument_find("MNQ"), PX(20000, 0), PX(19980, 0), 1), -4000);
    //  Short 2 GC from 2351.0 to 2350.0: +2 x $100.
    assert_int_equal(ofts_instrument_pnl_cents(ofts_instrument_find("GC"), PX(2351, 0), PX(2350, 0), -2), 20000);
}

static void
t_parse_and_format(void **state)
{
    (void) state;
    int64_t p;
    assert_true(ofts_price_parse("2350.10", &p));
    assert_true(p == PX(2350, 100000000));
    assert_true(ofts_price_parse("-0.0005", &p));
    assert_true(p == -500000);
    assert_true(ofts_price_parse("3720.25", &p));
    assert_true(p == 3720250000000LL);
    assert_false(ofts_price_parse("1.0000000001", &p));
    assert_false(ofts_price_parse("abc", &p));
    assert_false(ofts_price_parse("", &p));
    assert_false(ofts_price_parse("1.2.3", &p));
    char buf[32];
    assert_string_equal(ofts_price_str(PX(2350, 100000000), buf, sizeof buf), "2350.1");
    assert_string_equal(ofts_price_str(PX(2350, 0), buf, sizeof buf), "2350.0");
    assert_string_equal(ofts_price_str(-500000, buf, sizeof buf), "-0.0005");
    assert_string_equal(ofts_price_str(OFTS_UNDEF_PRICE, buf, sizeof buf), "UNDEF");
    assert_string_equal(ofts_price_fmt(PX(4, 500000000), 4, buf, sizeof buf), "4.5000");
    assert_true(ofts_price_from_double(0.10) == 100000000);
    assert_true(ofts_price_from_double(0.02) == 20000000);
}

static void
t_sessions(void **state)
{
    (void) state;
    const ofts_instrument_t *gc = ofts_instrument_find("GC"), *nq = ofts_instrument_find("NQ");
    //  2026-07-18 is a Saturday, 07-19 Sunday, 07-15 Wednesday, 07-17 Friday.
    assert_false(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 18, 12, 0, 0)));
    assert_false(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 19, 16, 59, 59)));
    assert_true(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 19, 17, 0, 0)));
    assert_true(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 15, 15, 59, 59)));
    assert_false(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 15, 16, 0, 0)));
    assert_false(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 15, 16, 59, 0)));
    assert_true(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 15, 17, 0, 0)));
    assert_false(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 17, 16, 0, 0)));
    assert_false(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 17, 17, 30, 0)));
    //  Equity index halt 15:15-15:30 CT; metals trade through it.
    assert_true(ofts_instrument_session_open(nq, ofts_ct_to_utc(2026, 7, 15, 15, 14, 59)));
    assert_false(ofts_instrument_session_open(nq, ofts_ct_to_utc(2026, 7, 15, 15, 15, 0)));
    assert_true(ofts_instrument_session_open(nq, ofts_ct_to_utc(2026, 7, 15, 15, 30, 0)));
    assert_true(ofts_instrument_session_open(gc, ofts_ct_to_utc(2026, 7, 15, 15, 20, 0)));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_table_values),
        cmocka_unit_test(t_contract_roots),
        cmocka_unit_test(t_rounding),
        cmocka_unit_test(t_pnl_cents),
        cmocka_unit_test(t_parse_and_format),
        cmocka_unit_test(t_sessions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
