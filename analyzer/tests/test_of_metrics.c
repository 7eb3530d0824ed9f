/*  of_metrics: every metric by hand on small sequences, expiry through the
    event clock, the intensity average, blocks, and the 17:00 CT session
    reset of cumulative delta (including the two DST weeks of 2026).      */
#include <math.h>
#include "of_test.h"
#include "of_config.h"
#include "of_metrics.h"

//  Monday 2026-11-30 16:00 UTC = 10:00 CST, mid-session.
#define T0 SEC(1796076000)

static of_params_t
s_params(void)
{
    of_config_t *cfg = of_config_new(NULL);
    of_params_t p = *of_config_params(cfg, ofts_instrument_find("GC"));
    of_config_destroy(&cfg);
    return p;
}

//  A print that met the quote best_px x best_sz (the ask for a buy, the bid
//  for a sell; "" = no quote known).
static void
s_print(of_metrics_t *m, int64_t ts, const char *px, uint32_t size, int side, const char *best_px,
        uint32_t best_sz)
{
    of_metrics_advance(m, ts);
    of_print_t print = { ts, P(px), size, side, *best_px ? P(best_px) : INT64_MAX, best_sz };
    of_metrics_on_trade(m, &print);
}

static void
s_trade(of_metrics_t *m, int64_t ts, const char *px, uint32_t size, int side)
{
    s_print(m, ts, px, size, side, "", 0);
}

static void
t_five_metrics(void **state)
{
    (void) state;
    of_params_t p = s_params();
    p.block_size = 10;
    of_metrics_t *m = of_metrics_new(&p);
    of_book_t *book = of_book_new(p.depth_levels);
    //  The 5-lot takes all 5 offered at 2350.0 (it cleared the level): an
    //  aggressive order. The others take part of what is shown.
    s_print(m, T0 + SEC(1), "2350.0", 5, OF_SIDE_BUY, "2350.0", 5);
    s_print(m, T0 + SEC(2), "2350.1", 3, OF_SIDE_SELL, "2350.1", 8);
    s_trade(m, T0 + SEC(3), "2350.1", 2, OF_SIDE_NONE);
    s_print(m, T0 + SEC(4), "2350.2", 10, OF_SIDE_BUY, "2350.2", 30);
    of_metrics_advance(m, T0 + SEC(4) + SEC(1) / 2);
    Ofts__TopOfBook top = t_bbo("GC", "GCZ6", P("2350.1"), 4, P("2350.2"), 6);
    of_book_on_top(book, &top);

    Ofts__Metrics out;
    ofts__metrics__init(&out);
    of_metrics_fill(m, book, &out);
    //  volume 5+3+2+10 = 20; buy 5+10 = 15; sell 3; the 2-lot has no side
    assert_int_equal(out.window_volume, 20);
    assert_int_equal(out.window_trades, 4);
    //  imbalance (15 - 3) / 20 = 0.6
    assert_true(fabs(out.imbalance_ratio - 0.6) < 1e-12);
    //  aggressive: only the 5-lot that cleared its level, 5/20 = 0.25 buy, no
    //  sell (the imbalance is 0.6, the aggressive share much less)
    assert_true(out.aggressive_buy_ratio == 0.25);
    assert_true(out.aggressive_sell_ratio == 0.0);
    //  delta +5 -3 +10 = 12 (the unknown 2-lot adds nothing)
    assert_int_equal(out.cumulative_delta, 12);
    //  VWAP (2350.0*5 + 2350.1*3 + 2350.1*2 + 2350.2*10) / 20
    //     = (11750 + 7050.3 + 4700.2 + 23502) / 20 = 47002.5 / 20 = 2350.125
    assert_int_equal(out.vwap, P("2350.125"));
    //  intensity: window covers first event (T0+1 s) .. now (T0+4.5 s) = 3.5 s;
    //  4 trades * 60 / 3.5 = 68.571428..
    assert_true(fabs(out.trade_intensity - 4 * 60 / 3.5) < 1e-9);
    //  one 10-lot >= block_size 10
    assert_int_equal(out.block_trades, 1);
    //  depth (top fallback): (4 - 6) / 10 = -0.2
    assert_true(fabs(out.depth_imbalance + 0.2) < 1e-12);
    //  microprice (2350.1*6 + 2350.2*4) / 10 = (14100.6 + 9400.8) / 10 = 2350.14
    assert_int_equal(out.microprice, P("2350.14"));
    assert_int_equal(out.last_price, P("2350.2"));
    assert_int_equal(out.bid_px, P("2350.1"));
    assert_int_equal(out.ask_px, P("2350.2"));

    //  60 s later (cutoff T0+2 s): the trades at 1 s and 2 s leave.
    //  left: NONE 2 + BUY 10 -> imbalance 10/12, buy ratio 10/12, sell 0
    of_metrics_advance(m, T0 + SEC(62));
    of_metrics_fill(m, book, &out);
    assert_int_equal(out.window_volume, 12);
    assert_true(fabs(out.imbalance_ratio - 10.0 / 12.0) < 1e-12);
    assert_true(out.aggressive_buy_ratio == 0.0);           //  the 5-lot has left
    assert_true(out.aggressive_sell_ratio == 0.0);
    assert_int_equal(out.cumulative_delta, 12);             //  delta is per session, not per window
    assert_true(fabs(out.trade_intensity - 2.0) < 1e-9);    //  2 trades over 60 s
    //  (2350.1*2 + 2350.2*10) / 12 = 28202.2 / 12 = 2350.183333333..
    assert_int_equal(out.vwap, P("2350.183333333"));
    assert_int_equal(out.block_trades, 1);
    of_metrics_advance(m, T0 + SEC(64));                    //  all gone
    of_metrics_fill(m, book, &out);
    assert_true(out.imbalance_ratio == 0.0);
    assert_int_equal(out.vwap, INT64_MAX);
    assert_int_equal(out.block_trades, 0);
    of_book_destroy(&book);
    of_metrics_destroy(&m);
    assert_null(m);
}

//  Aggressor orders: consecutive prints with one ts_event and side. Book
//  before them: bid 2350.0 x 6, ask 2350.1 x 4.
static void
t_aggressor_orders(void **state)
{
    (void) state;
    of_params_t p = s_params();
    of_metrics_t *m = of_metrics_new(&p);
    of_book_t *book = of_book_new(p.depth_levels);
    //  A: buy 2 + 2 at the ask: the second print makes 4 >= the 4 shown, so
    //  the order cleared the level; its first print counts too (4 lots).
    s_print(m, T0 + 1000, "2350.1", 2, OF_SIDE_BUY, "2350.1", 4);
    assert_true(of_metrics_aggressive_buy(m) == 0.0);      //  not known yet
    s_print(m, T0 + 1000, "2350.1", 2, OF_SIDE_BUY, "2350.1", 4);
    assert_true(of_metrics_aggressive_buy(m) == 1.0);      //  4 of 4
    //  B: buy 1 of the 4 shown: takes part of the best, not aggressive.
    s_print(m, T0 + 2000, "2350.1", 1, OF_SIDE_BUY, "2350.1", 4);
    //  C: sell 3 at the bid, then 2 one tick lower: it swept a level (5).
    s_print(m, T0 + 3000, "2350.0", 3, OF_SIDE_SELL, "2350.0", 6);
    s_print(m, T0 + 3000, "2349.9", 2, OF_SIDE_SELL, "2350.0", 6);
    //  D: one sell print below the bid it met: a trade-through (1).
    s_print(m, T0 + 4000, "2349.8", 1, OF_SIDE_SELL, "2350.0", 6);
    //  E: an unknown side (3) is never aggressive and belongs to no order.
    s_trade(m, T0 + 5000, "2350.0", 3, OF_SIDE_NONE);
    //  F: no quote known, two prints at one price: nothing proves a sweep (3).
    s_trade(m, T0 + 6000, "2350.0", 2, OF_SIDE_BUY);
    s_trade(m, T0 + 6000, "2350.0", 1, OF_SIDE_BUY);
    //  G: one ts_event, two sides: two orders; each takes 1 of 6 shown (2).
    s_print(m, T0 + 7000, "2350.1", 1, OF_SIDE_BUY, "2350.1", 6);
    s_print(m, T0 + 7000, "2350.0", 1, OF_SIDE_SELL, "2350.0", 6);
    //  H: the same buy order's ts again after another order: a new order
    //  (prints must be consecutive), 1 of 6 (1).
    s_print(m, T0 + 7000, "2350.1", 1, OF_SIDE_BUY, "2350.1", 6);

    Ofts__Metrics out;
    ofts__metrics__init(&out);
    of_metrics_fill(m, book, &out);
    //  volume 4 + 1 + 5 + 1 + 3 + 3 + 2 + 1 = 20; buy 4+1+3+1+1 = 10, sell 5+1+1 = 7
    assert_int_equal(out.window_volume, 20);
    assert_true(fabs(out.imbalance_ratio - 3.0 / 20.0) < 1e-12);
    //  aggressive buy: A = 4 -> 0.2; aggressive sell: C + D = 6 -> 0.3
    assert_true(out.aggressive_buy_ratio == 0.2);
    assert_true(fabs(out.aggressive_sell_ratio - 0.3) < 1e-12);
    //  the window expires them like any trade: A and B leave at T0 + 60 s + 2 us
    of_metrics_advance(m, T0 + SEC(60) + 2000);
    of_metrics_fill(m, book, &out);
    assert_int_equal(out.window_volume, 15);
    assert_true(out.aggressive_buy_ratio == 0.0);
    assert_true(fabs(out.aggressive_sell_ratio - 6.0 / 15.0) < 1e-12);
    of_book_destroy(&book);
    of_metrics_destroy(&m);
}

static void
t_clock_is_monotone(void **state)
{
    (void) state;
    of_params_t p = s_params();
    p.window_ns = SEC(10);
    of_metrics_t *m = of_metrics_new(&p);
    s_trade(m, T0 + SEC(20), "1", 1, OF_SIDE_BUY);
    //  a late (older) timestamp does not move the clock back
    s_trade(m, T0 + SEC(5), "1", 2, OF_SIDE_SELL);
    assert_int_equal(of_metrics_now(m), T0 + SEC(20));
    assert_int_equal(of_metrics_window_trades(m), 2);
    of_metrics_advance(m, T0 + SEC(30));                    //  both at 20 s: cutoff 20 s
    assert_int_equal(of_metrics_window_trades(m), 0);
    of_metrics_destroy(&m);
}

static void
t_count_window_intensity(void **state)
{
    (void) state;
    of_params_t p = s_params();
    p.window_ns = 0;
    p.window_trades = 3;
    of_metrics_t *m = of_metrics_new(&p);
    for (int i = 0; i < 5; i++)
        s_trade(m, T0 + SEC(2 * i), "1", 1, OF_SIDE_BUY);   //  0, 2, 4, 6, 8 s
    //  holds 4, 6, 8 s; the 2 s trade was pushed out, so it covers (2 s, 8 s] = 6 s
    //  3 trades * 60 / 6 = 30 per minute
    assert_true(fabs(of_metrics_intensity(m) - 30.0) < 1e-9);
    of_metrics_destroy(&m);
}

static void
t_intensity_ratio(void **state)
{
    (void) state;
    of_params_t p = s_params();
    p.intensity_sample_ns = SEC(10);
    p.intensity_avg_samples = 3;                            //  alpha = 2/(3+1) = 0.5
    of_metrics_t *m = of_metrics_new(&p);
    for (int i = 0; i < 10; i++)                            //  one a second, T0 .. T0+9
        s_trade(m, T0 + SEC(i), "1", 1, OF_SIDE_BUY);
    assert_true(of_metrics_intensity_ratio(m) == 0.0);      //  no sample yet
    //  T0+10: sample first (10 trades over 10 s = 60/min, ema = 60), then trade 11
    s_trade(m, T0 + SEC(10), "1", 1, OF_SIDE_BUY);
    //  intensity 11 * 60 / 10 = 66; ratio 66 / 60 = 1.1
    assert_true(fabs(of_metrics_intensity(m) - 66.0) < 1e-9);
    assert_true(fabs(of_metrics_intensity_ratio(m) - 1.1) < 1e-12);
    //  T0+30: grid points 20 s and 30 s were due: k = 2, x = 11*60/30 = 22
    //  ema = 22 + 0.5^2 * (60 - 22) = 31.5; ratio 22 / 31.5
    of_metrics_advance(m, T0 + SEC(30));
    assert_true(fabs(of_metrics_intensity_ratio(m) - 22.0 / 31.5) < 1e-12);
    //  quiet for 10 minutes: window empty, the average decays toward 0; the
    //  floor of 1 trade/min keeps the ratio finite when trading resumes
    of_metrics_advance(m, T0 + SEC(630));
    s_trade(m, T0 + SEC(630), "1", 1, OF_SIDE_BUY);
    //  1 trade over a 60 s window = 1/min, average < 1 -> floor 1 -> ratio 1
    assert_true(fabs(of_metrics_intensity_ratio(m) - 1.0) < 1e-12);
    of_metrics_destroy(&m);
}

static void
t_blocks_per_symbol(void **state)
{
    (void) state;
    of_params_t p = s_params();                             //  GC default block_size 20
    assert_int_equal(p.block_size, 20);
    of_metrics_t *m = of_metrics_new(&p);
    s_trade(m, T0, "1", 19, OF_SIDE_BUY);
    s_trade(m, T0 + 1, "1", 20, OF_SIDE_SELL);
    s_trade(m, T0 + 2, "1", 250, OF_SIDE_NONE);
    assert_int_equal(of_window_sums(of_metrics_window(m))->blocks, 2);
    of_metrics_destroy(&m);
}

//  delta after a sequence: +size buy, -size sell
static void
t_session_reset_cst(void **state)
{
    (void) state;
    of_params_t p = s_params();
    of_metrics_t *m = of_metrics_new(&p);
    int64_t open = SEC(1796079600);                         //  Mon 2026-11-30 17:00 CST = 23:00 UTC
    s_trade(m, open - SEC(3600) - 1, "1", 5, OF_SIDE_BUY);  //  15:59:59.999 CT
    s_trade(m, open - 1, "1", 2, OF_SIDE_BUY);              //  in the break, same trading day
    assert_int_equal(of_metrics_cumulative_delta(m), 7);
    assert_int_equal(of_metrics_session_open(m), open - SEC(86400));
    s_trade(m, open, "1", 3, OF_SIDE_SELL);                 //  17:00:00.000 CT: reset, then -3
    assert_int_equal(of_metrics_cumulative_delta(m), -3);
    assert_int_equal(of_metrics_session_open(m), open);
    //  the window was emptied too (reset_window_at_session)
    assert_int_equal(of_metrics_window_trades(m), 1);
    of_metrics_destroy(&m);
}

static void
t_session_reset_dst_spring(void **state)
{
    (void) state;
    of_params_t p = s_params();
    p.reset_window_at_session = false;
    p.window_ns = 0;
    p.window_trades = 100;
    of_metrics_t *m = of_metrics_new(&p);
    //  Thu 2026-03-05, CST (UTC-6): 17:00 CT = 23:00 UTC
    s_trade(m, SEC(1772748000), "1", 4, OF_SIDE_BUY);       //  22:00 UTC = 16:00 CST: no reset
    assert_int_equal(of_metrics_cumulative_delta(m), 4);
    s_trade(m, SEC(1772751600) - 1, "1", 1, OF_SIDE_BUY);
    assert_int_equal(of_metrics_cumulative_delta(m), 5);
    s_trade(m, SEC(1772751600), "1", 1, OF_SIDE_SELL);      //  23:00 UTC = 17:00 CST: reset
    assert_int_equal(of_metrics_cumulative_delta(m), -1);
    //  Fri 15:00 CST: same trading day as Thu 17:00
    s_trade(m, SEC(1772830800), "1", 6, OF_SIDE_BUY);
    assert_int_equal(of_metrics_cumulative_delta(m), 5);
    //  DST began Sun 2026-03-08 02:00. Sun 17:00 CDT = 22:00 UTC: reset
    s_trade(m, SEC(1773007200), "1", 2, OF_SIDE_BUY);
    assert_int_equal(of_metrics_cumulative_delta(m), 2);
    //  Mon 2026-03-09 21:59:59 UTC = 16:59:59 CDT: no reset
    s_trade(m, SEC(1773093600) - SEC(1), "1", 3, OF_SIDE_BUY);
    assert_int_equal(of_metrics_cumulative_delta(m), 5);
    //  Mon 22:00 UTC = 17:00 CDT (an hour earlier in UTC than last week): reset
    s_trade(m, SEC(1773093600), "1", 1, OF_SIDE_SELL);
    assert_int_equal(of_metrics_cumulative_delta(m), -1);
    assert_int_equal(of_metrics_session_open(m), SEC(1773093600));
    //  Mon 23:00 UTC is no longer a session open
    s_trade(m, SEC(1773093600) + SEC(3600), "1", 1, OF_SIDE_SELL);
    assert_int_equal(of_metrics_cumulative_delta(m), -2);
    //  the window was kept (reset_window_at_session false)
    assert_int_equal(of_metrics_window_trades(m), 8);
    of_metrics_destroy(&m);
}

static void
t_session_reset_dst_fall(void **state)
{
    (void) state;
    of_params_t p = s_params();
    of_metrics_t *m = of_metrics_new(&p);
    //  Fri 2026-10-30 17:00 CDT = 22:00 UTC; DST ends Sun 2026-11-01
    s_trade(m, SEC(1793397600) + SEC(60), "1", 9, OF_SIDE_BUY);
    assert_int_equal(of_metrics_session_open(m), SEC(1793397600));
    //  Mon 2026-11-02 22:00 UTC = 16:00 CST: still Sunday-evening's session
    s_trade(m, SEC(1793660400) - SEC(3600), "1", 1, OF_SIDE_BUY);
    assert_int_equal(of_metrics_cumulative_delta(m), 1);   //  reset at Sun 17:00 CST
    //  Mon 17:00 CST = 23:00 UTC: reset
    s_trade(m, SEC(1793660400), "1", 4, OF_SIDE_SELL);
    assert_int_equal(of_metrics_cumulative_delta(m), -4);
    assert_int_equal(of_metrics_session_open(m), SEC(1793660400));
    of_metrics_destroy(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_five_metrics),
        cmocka_unit_test(t_aggressor_orders),
        cmocka_unit_test(t_clock_is_monotone),
        cmocka_unit_test(t_count_window_intensity),
        cmocka_unit_test(t_intensity_ratio),
        cmocka_unit_test(t_blocks_per_symbol),
        cmocka_unit_test(t_session_reset_cst),
        cmocka_unit_test(t_session_reset_dst_spring),
        cmocka_unit_test(t_session_reset_dst_fall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
