#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "ofts_clock.h"

#define S OFTS_NS_PER_SEC

static int64_t
s_utc(int y, int m, int d, int hh, int mm, int ss)
{
    return (ofts_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss) * S;
}

static void
t_civil(void **state)
{
    (void) state;
    assert_int_equal(ofts_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ofts_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(ofts_days_from_civil(1969, 12, 31), -1);
    int y, m, d;
    ofts_civil_from_days(20422, &y, &m, &d);        //  2025-11-30
    assert_int_equal(y, 2025);
    assert_int_equal(m, 11);
    assert_int_equal(d, 30);
}

static void
t_dst_edges_2026(void **state)
{
    (void) state;
    //  2026: DST starts Sunday March 8 at 02:00 CST (08:00 UTC),
    //  ends Sunday November 1 at 02:00 CDT (07:00 UTC).
    assert_false(ofts_us_dst_at(s_utc(2026, 3, 8, 7, 59, 59)));
    assert_true(ofts_us_dst_at(s_utc(2026, 3, 8, 8, 0, 0)));
    assert_true(ofts_us_dst_at(s_utc(2026, 11, 1, 6, 59, 59)));
    assert_false(ofts_us_dst_at(s_utc(2026, 11, 1, 7, 0, 0)));
    ofts_ct_t ct;
    ofts_ct_from_utc(s_utc(2026, 3, 8, 7, 59, 59), &ct);
    assert_int_equal(ct.hour, 1);
    assert_int_equal(ct.minute, 59);
    assert_int_equal(ct.utc_offset_min, -360);
    ofts_ct_from_utc(s_utc(2026, 3, 8, 8, 0, 0), &ct);
    assert_int_equal(ct.hour, 3);
    assert_int_equal(ct.utc_offset_min, -300);
    assert_int_equal(ct.wday, 0);
}

static void
t_ct_to_utc(void **state)
{
    (void) state;
    //  17:00 CST = 23:00 UTC; 17:00 CDT = 22:00 UTC.
    assert_true(ofts_ct_to_utc(2026, 1, 15, 17, 0, 0) == s_utc(2026, 1, 15, 23, 0, 0));
    assert_true(ofts_ct_to_utc(2026, 7, 15, 17, 0, 0) == s_utc(2026, 7, 15, 22, 0, 0));
    assert_true(ofts_ct_to_utc(2026, 3, 8, 17, 0, 0) == s_utc(2026, 3, 8, 22, 0, 0));
    assert_int_equal(ofts_ct_minute_of_day(s_utc(2026, 7, 15, 20, 10, 0)), 15 * 60 + 10);
}

static void
t_session_open_and_day(void **state)
{
    (void) state;
    //  2026-11-30 03:26 UTC = Sunday Nov 29 21:26 CST -> session opened 17:00 CST
    //  (23:00 UTC Nov 29), trading day Monday 2026-11-30.
    int64_t ts = s_utc(2026, 11, 30, 3, 26, 0);
    assert_true(ofts_session_open_ns(ts) == s_utc(2026, 11, 29, 23, 0, 0));
    assert_int_equal(ofts_session_day(ts), 20261130);
    //  16:59:59 CT still belongs to the session that opened the day before.
    int64_t before = ofts_ct_to_utc(2026, 7, 15, 16, 59, 59);
    assert_true(ofts_session_open_ns(before) == ofts_ct_to_utc(2026, 7, 14, 17, 0, 0));
    int64_t at = ofts_ct_to_utc(2026, 7, 15, 17, 0, 0);
    assert_true(ofts_session_open_ns(at) == at);
    assert_int_equal(ofts_session_day(at), 20260716);
    //  Across the March change: Sunday 17:00 CDT open.
    int64_t sun = ofts_ct_to_utc(2026, 3, 8, 18, 0, 0);
    assert_true(ofts_session_open_ns(sun) == s_utc(2026, 3, 8, 22, 0, 0));
}

static void
t_format(void **state)
{
    (void) state;
    char buf[48];
    ofts_clock_format(s_utc(2020, 12, 28, 0, 0, 0) + 123, buf, sizeof buf);
    assert_string_equal(buf, "2020-12-28T00:00:00.000000123Z");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_civil),
        cmocka_unit_test(t_dst_edges_2026),
        cmocka_unit_test(t_ct_to_utc),
        cmocka_unit_test(t_session_open_and_day),
        cmocka_unit_test(t_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
