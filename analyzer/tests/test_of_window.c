/*  of_window: sums, VWAP, expiry by time and by count, growth, and a
    randomised comparison against a brute-force recount.                   */
#include "of_test.h"
#include "of_window.h"

static void
t_sums_and_vwap(void **state)
{
    (void) state;
    of_window_t *w = of_window_new(SEC(60), 0);
    of_window_clear(w, 0);
    of_window_add(w, SEC(1), P("2350.0"), 3, OF_SIDE_BUY, false, true);
    of_window_add(w, SEC(2), P("2350.1"), 2, OF_SIDE_SELL, false, false);
    of_window_add(w, SEC(3), P("2350.2"), 5, OF_SIDE_NONE, true, false);
    const of_window_sums_t *s = of_window_sums(w);
    assert_int_equal(s->aggr_buy_volume, 3);
    assert_int_equal(s->aggr_sell_volume, 0);
    //  marking the newest two: the sell counts, the unknown side never does
    uint64_t version = s->version;
    of_window_mark_newest(w, 2);
    assert_int_equal(s->aggr_sell_volume, 2);
    assert_int_equal(s->aggr_buy_volume, 3);
    assert_true(s->version > version);
    //  more than the window holds: only what is there, each trade once
    of_window_mark_newest(w, 10);
    assert_int_equal(s->aggr_buy_volume, 3);
    assert_int_equal(s->aggr_sell_volume, 2);
    assert_int_equal(s->trades, 3);
    assert_int_equal(s->volume, 10);        //  3 + 2 + 5: unknown side counts in total
    assert_int_equal(s->buy_volume, 3);
    assert_int_equal(s->sell_volume, 2);
    assert_int_equal(s->blocks, 1);
    //  (2350.0*3 + 2350.1*2 + 2350.2*5) / 10 = (7050.0 + 4700.2 + 11751.0) / 10 = 2350.12
    assert_int_equal(of_window_vwap(w), P("2350.12"));
    of_window_destroy(&w);
    assert_null(w);
}

static void
t_vwap_rounds_half_up(void **state)
{
    (void) state;
    of_window_t *w = of_window_new(0, 10);
    //  (100 + 101) / 2 = 100.5 units of 1e-9 -> 101
    of_window_add(w, 1, 100, 1, OF_SIDE_BUY, false, false);
    of_window_add(w, 2, 101, 1, OF_SIDE_BUY, false, false);
    assert_int_equal(of_window_vwap(w), 101);
    //  (100 + 101 + 100) / 3 = 100.33 -> 100
    of_window_add(w, 3, 100, 1, OF_SIDE_BUY, false, false);
    assert_int_equal(of_window_vwap(w), 100);
    of_window_destroy(&w);
}

static void
t_expiry_by_time(void **state)
{
    (void) state;
    of_window_t *w = of_window_new(SEC(10), 0);
    of_window_clear(w, 0);
    of_window_add(w, SEC(1), P("10"), 3, OF_SIDE_BUY, false, false);
    of_window_add(w, SEC(2), P("11"), 2, OF_SIDE_SELL, true, false);
    of_window_add(w, SEC(3), P("12"), 5, OF_SIDE_NONE, false, false);
    //  now 10.999 s: cutoff 0.999 s, nothing is that old
    of_window_expire(w, SEC(11) - 1);
    assert_int_equal(of_window_trades(w), 3);
    //  now 11 s: cutoff 1 s; the trade at exactly 1 s (10 s old) leaves
    of_window_expire(w, SEC(11));
    const of_window_sums_t *s = of_window_sums(w);
    assert_int_equal(s->trades, 2);
    assert_int_equal(s->volume, 7);
    assert_int_equal(s->buy_volume, 0);
    assert_int_equal(s->sell_volume, 2);
    assert_int_equal(s->blocks, 1);
    assert_int_equal(s->start_ns, SEC(1));
    //  (11*2 + 12*5) / 7 = 82/7 = 11.714285714285.. -> 11.714285714
    assert_int_equal(of_window_vwap(w), P("11.714285714"));
    of_window_expire(w, SEC(13));
    assert_int_equal(s->trades, 0);
    assert_int_equal(s->volume, 0);
    assert_int_equal(s->blocks, 0);
    assert_true(s->notional == 0);
    assert_int_equal(of_window_vwap(w), INT64_MAX);
    assert_int_equal(s->start_ns, SEC(3));
    of_window_destroy(&w);
}

static void
t_expiry_by_count(void **state)
{
    (void) state;
    of_window_t *w = of_window_new(0, 2);
    of_window_clear(w, 0);
    of_window_add(w, SEC(1), P("10"), 4, OF_SIDE_BUY, false, false);
    of_window_add(w, SEC(2), P("20"), 1, OF_SIDE_SELL, false, false);
    of_window_expire(w, SEC(1000));         //  no time limit: nothing leaves
    assert_int_equal(of_window_trades(w), 2);
    of_window_add(w, SEC(3), P("30"), 2, OF_SIDE_BUY, false, false);
    const of_window_sums_t *s = of_window_sums(w);
    assert_int_equal(s->trades, 2);         //  the 4-lot at 1 s was pushed out
    assert_int_equal(s->volume, 3);
    assert_int_equal(s->buy_volume, 2);
    assert_int_equal(s->sell_volume, 1);
    assert_int_equal(s->start_ns, SEC(1));  //  covers (1 s, now]
    //  (20*1 + 30*2) / 3 = 26.666666666.. -> 26.666666667
    assert_int_equal(of_window_vwap(w), P("26.666666667"));
    of_window_destroy(&w);
}

static void
t_time_and_count(void **state)
{
    (void) state;
    of_window_t *w = of_window_new(SEC(5), 3);
    of_window_clear(w, 0);
    for (int i = 1; i <= 4; i++)
        of_window_add(w, SEC(i), P("1"), (uint32_t) i, OF_SIDE_BUY, false, false);
    assert_int_equal(of_window_sums(w)->volume, 2 + 3 + 4);    //  count: 3 newest
    of_window_expire(w, SEC(7));            //  cutoff 2 s: drops the 2-lot at 2 s
    assert_int_equal(of_window_sums(w)->volume, 3 + 4);
    of_window_destroy(&w);
}

static void
t_growth(void **state)
{
    (void) state;
    of_window_t *w = of_window_new(SEC(3600), 0);
    of_window_clear(w, 0);
    uint64_t total = 0;
    for (int i = 0; i < 5000; i++) {
        of_window_add(w, i, P("1"), (uint32_t) (i % 7 + 1), i % 2 ? OF_SIDE_BUY : OF_SIDE_SELL, false, false);
        total += (uint64_t) (i % 7 + 1);
    }
    assert_int_equal(of_window_trades(w), 5000);
    assert_int_equal(of_window_sums(w)->volume, total);
    of_window_clear(w, 0);
    assert_int_equal(of_window_trades(w), 0);
    assert_int_equal(of_window_sums(w)->volume, 0);
    of_window_destroy(&w);
}

//  Random streams against a recount from a plain array: catches any drift
//  between the running sums and the ring contents.
static void
t_random_against_recount(void **state)
{
    (void) state;
    enum { N = 20000 };
    static int64_t ts[N], px[N];
    static uint32_t sz[N];
    static int side[N];
    static bool aggr[N];
    uint64_t rng = 12345;
    of_window_t *w = of_window_new(SEC(2), 50);
    of_window_clear(w, 0);
    int64_t now = 0;
    for (int i = 0; i < N; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        now += (int64_t) (rng >> 33) % 200000000;      //  0..0.2 s apart
        ts[i] = now;
        px[i] = P("2350") + (int64_t) ((rng >> 20) % 50) * 100000000;
        sz[i] = (uint32_t) ((rng >> 40) % 30 + 1);
        side[i] = (int) ((rng >> 50) % 3);
        of_window_expire(w, now);
        aggr[i] = (rng >> 45) % 4 == 0;
        of_window_add(w, now, px[i], sz[i], side[i], sz[i] >= 25, aggr[i]);
        //  now and then an order turns out to sweep: its newest k prints
        if ((rng >> 56) % 5 == 0) {
            int k = (int) ((rng >> 58) % 3) + 1;
            of_window_mark_newest(w, (uint32_t) k);
            for (int j = i, n = 0; j >= 0 && j > i - k && n < 50 && ts[j] > now - SEC(2); j--, n++)
                aggr[j] = true;
        }
        //  recount: newest 50 trades with ts > now - 2 s
        uint64_t vol = 0, buy = 0, sell = 0, n = 0, blocks = 0, abuy = 0, asell = 0;
        __int128 notional = 0;
        for (int j = i; j >= 0 && n < 50 && ts[j] > now - SEC(2); j--, n++) {
            vol += sz[j];
            buy += side[j] == OF_SIDE_BUY ? sz[j] : 0;
            sell += side[j] == OF_SIDE_SELL ? sz[j] : 0;
            blocks += sz[j] >= 25;
            abuy += aggr[j] && side[j] == OF_SIDE_BUY ? sz[j] : 0;
            asell += aggr[j] && side[j] == OF_SIDE_SELL ? sz[j] : 0;
            notional += (__int128) px[j] * sz[j];
        }
        const of_window_sums_t *s = of_window_sums(w);
        assert_int_equal(s->trades, n);
        assert_int_equal(s->volume, vol);
        assert_int_equal(s->buy_volume, buy);
        assert_int_equal(s->sell_volume, sell);
        assert_int_equal(s->blocks, blocks);
        assert_int_equal(s->aggr_buy_volume, abuy);
        assert_int_equal(s->aggr_sell_volume, asell);
        assert_true(s->notional == notional);
    }
    of_window_destroy(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_sums_and_vwap),
        cmocka_unit_test(t_vwap_rounds_half_up),
        cmocka_unit_test(t_expiry_by_time),
        cmocka_unit_test(t_expiry_by_count),
        cmocka_unit_test(t_time_and_count),
        cmocka_unit_test(t_growth),
        cmocka_unit_test(t_random_against_recount),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
