/*  of_book: top of book, depth imbalance over N levels, fallback to the
    top, empty sides, and the exact microprice.                           */
#include "of_test.h"
#include "of_book.h"

static void
t_top_only(void **state)
{
    (void) state;
    of_book_t *b = of_book_new(5);
    assert_int_equal(of_book_bid_px(b), UNDEF_PX);
    assert_int_equal(of_book_microprice(b), UNDEF_PX);
    assert_true(of_book_depth_imbalance(b) == 0.0);

    Ofts__TopOfBook top = t_bbo("GC", "GCZ6", P("2350.0"), 10, P("2350.1"), 30);
    of_book_on_top(b, &top);
    assert_int_equal(of_book_bid_px(b), P("2350.0"));
    assert_int_equal(of_book_ask_sz(b), 30);
    assert_false(of_book_has_depth(b));
    //  no depth yet: the top stands in. (10 - 30) / (10 + 30) = -0.5
    assert_true(of_book_depth_imbalance(b) == -0.5);
    //  (2350.0*30 + 2350.1*10) / 40 = (70500 + 23501) / 40 = 94001/40 = 2350.025
    assert_int_equal(of_book_microprice(b), P("2350.025"));
    of_book_destroy(&b);
    assert_null(b);
}

static void
t_microprice_rounding(void **state)
{
    (void) state;
    of_book_t *b = of_book_new(1);
    //  (100*1 + 101*1) / 2 = 100.5 units -> 101 (half rounds up)
    Ofts__TopOfBook top = t_bbo("GC", "GCZ6", 100, 1, 101, 1);
    of_book_on_top(b, &top);
    assert_int_equal(of_book_microprice(b), 101);
    //  (100*1 + 103*2) / 3 = 306/3 = 102 exactly; a bigger bid pulls toward the ask
    top = t_bbo("GC", "GCZ6", 100, 2, 103, 1);
    of_book_on_top(b, &top);
    assert_int_equal(of_book_microprice(b), 102);
    //  NQ-sized prices: (20000.25*7 + 20000.50*3) / 10 = (140001.75 + 60001.5) / 10 = 20000.325
    top = t_bbo("NQ", "NQZ6", P("20000.25"), 3, P("20000.50"), 7);
    of_book_on_top(b, &top);
    assert_int_equal(of_book_microprice(b), P("20000.325"));
    of_book_destroy(&b);
}

static void
t_empty_side(void **state)
{
    (void) state;
    of_book_t *b = of_book_new(5);
    Ofts__TopOfBook top = t_bbo("GC", "GCZ6", UNDEF_PX, 0, P("2350.1"), 4);
    of_book_on_top(b, &top);
    assert_int_equal(of_book_bid_px(b), UNDEF_PX);
    assert_int_equal(of_book_microprice(b), UNDEF_PX);
    assert_true(of_book_depth_imbalance(b) == -1.0);      //  (0 - 4) / 4
    //  a price with size 0 is no level either
    top = t_bbo("GC", "GCZ6", P("2350.0"), 0, P("2350.1"), 4);
    of_book_on_top(b, &top);
    assert_int_equal(of_book_bid_px(b), UNDEF_PX);
    of_book_destroy(&b);
}

static void
t_depth_levels(void **state)
{
    (void) state;
    of_book_t *b = of_book_new(5);
    t_depth_t d;
    t_depth_init(&d, "GC", "GCZ6", 10);
    for (size_t i = 0; i < 10; i++)
        t_level(&d, i, P("2350.0") - (int64_t) i * P("0.1"), (uint32_t) (10 + i),
                P("2350.1") + (int64_t) i * P("0.1"), (uint32_t) (1 + i));
    of_book_on_depth(b, &d.depth);
    assert_true(of_book_has_depth(b));
    //  levels 0..4 only: bids 10+11+12+13+14 = 60, asks 1+2+3+4+5 = 15
    //  (60 - 15) / 75 = 0.6
    assert_true(of_book_depth_imbalance(b) == 0.6);
    assert_int_equal(of_book_bid_px(b), P("2350.0"));
    assert_int_equal(of_book_ask_px(b), P("2350.1"));
    assert_int_equal(of_book_bid_sz(b), 10);

    //  a later top replaces the best level but not the depth sums
    Ofts__TopOfBook top = t_bbo("GC", "GCZ6", P("2350.1"), 2, P("2350.2"), 8);
    of_book_on_top(b, &top);
    assert_int_equal(of_book_bid_px(b), P("2350.1"));
    assert_true(of_book_depth_imbalance(b) == 0.6);

    //  a thin book: 2 levels, one ask missing (UNDEF)
    t_depth_init(&d, "GC", "GCZ6", 2);
    t_level(&d, 0, P("2350.0"), 5, P("2350.1"), 5);
    t_level(&d, 1, P("2349.9"), 10, UNDEF_PX, 99);
    of_book_on_depth(b, &d.depth);
    //  bids 15, asks 5 (the UNDEF ask's 99 does not count): 10/20 = 0.5
    assert_true(of_book_depth_imbalance(b) == 0.5);
    assert_int_equal(of_book_bid_px(b), P("2350.0"));

    //  an empty depth message: no top, imbalance 0
    t_depth_init(&d, "GC", "GCZ6", 0);
    of_book_on_depth(b, &d.depth);
    assert_int_equal(of_book_bid_px(b), UNDEF_PX);
    assert_true(of_book_depth_imbalance(b) == 0.0);
    of_book_clear(b);
    assert_false(of_book_has_depth(b));
    of_book_destroy(&b);
}

static void
t_levels_clamped(void **state)
{
    (void) state;
    of_book_t *b = of_book_new(1);
    t_depth_t d;
    t_depth_init(&d, "GC", "GCZ6", 3);
    t_level(&d, 0, P("1"), 3, P("2"), 1);
    t_level(&d, 1, P("0.9"), 100, P("2.1"), 1);
    of_book_on_depth(b, &d.depth);
    assert_true(of_book_depth_imbalance(b) == 0.5);        //  (3 - 1) / 4, level 0 only
    of_book_destroy(&b);
    b = of_book_new(99);                                    //  clamped to 10
    of_book_on_depth(b, &d.depth);
    //  (3 + 100) - (1 + 1) = 101 over 105
    assert_true(of_book_depth_imbalance(b) == 101.0 / 105.0);
    of_book_destroy(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_top_only),
        cmocka_unit_test(t_microprice_rounding),
        cmocka_unit_test(t_empty_side),
        cmocka_unit_test(t_depth_levels),
        cmocka_unit_test(t_levels_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
