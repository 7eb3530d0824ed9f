/*  ofts_limit: a repeating failure logged when it starts, then at most
    every 10 s with the count since the last line; after it works again,
    the next failure is logged at once. Times are given, not slept.     */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "ofts_limit.h"

#define MS 1000000LL

//  A silent listener: a handshake given up every 1.2 s.
static void
t_every_ten_seconds_with_the_count(void **state)
{
    (void) state;
    ofts_limit_t lim = { 0 };
    uint64_t since = 0;
    assert_true(ofts_limit_failed(&lim, 5000 * MS, &since));        //  it starts failing: logged
    assert_int_equal(since, 1);
    int logged = 0;
    for (int i = 1; i <= 8; i++)                                    //  6.2 s .. 14.6 s: quiet
        logged += ofts_limit_failed(&lim, (5000 + 1200 * i) * MS, &since);
    assert_int_equal(logged, 0);
    assert_true(ofts_limit_failed(&lim, 15800 * MS, &since));       //  10.8 s after the line
    assert_int_equal(since, 9);                                     //  the 8 kept quiet and this one
    assert_false(ofts_limit_failed(&lim, 17000 * MS, &since));
    assert_int_equal(since, 9);                                     //  untouched when nothing is due
    assert_int_equal(ofts_limit_ok(&lim), 11);                       //  works again: 11 failures in all
    assert_int_equal(ofts_limit_ok(&lim), 0);                        //  said once
    assert_true(ofts_limit_failed(&lim, 17500 * MS, &since));       //  a new failure: logged at once
    assert_int_equal(since, 1);
}

//  Exactly 10 s after the last line a line is due again.
static void
t_boundary(void **state)
{
    (void) state;
    ofts_limit_t lim = { 0 };
    assert_true(ofts_limit_failed(&lim, 0, NULL));
    assert_false(ofts_limit_failed(&lim, OFTS_LIMIT_EVERY_NS - 1, NULL));
    uint64_t since = 0;
    assert_true(ofts_limit_failed(&lim, OFTS_LIMIT_EVERY_NS, &since));
    assert_int_equal(since, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_every_ten_seconds_with_the_count),
        cmocka_unit_test(t_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
