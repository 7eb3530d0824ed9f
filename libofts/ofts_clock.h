/*  ofts_clock - wall and monotonic time, and CME's clock: US Central Time
    with US daylight-saving rules, trading sessions and the daily break.

    Core libraries never read the clock: shells call ofts_clock_now_ns() and
    pass times in. The CT conversion is pure arithmetic (US rules since 2007:
    DST from the second Sunday of March 02:00 to the first Sunday of November
    02:00 local), so tests can cross a DST change without touching TZ.        */
#ifndef OFTS_CLOCK_H
#define OFTS_CLOCK_H
#include <stdbool.h>
#include <stdint.h>

#define OFTS_NS_PER_SEC  1000000000LL
#define OFTS_NS_PER_MS   1000000LL
#define OFTS_NS_PER_MIN  (60LL * OFTS_NS_PER_SEC)

int64_t ofts_clock_now_ns(void);        //  CLOCK_REALTIME
int64_t ofts_clock_mono_ns(void);       //  CLOCK_MONOTONIC

typedef struct {
    int year, month, day;               //  month 1..12
    int hour, minute, second;
    int wday;                           //  0 = Sunday
    int utc_offset_min;                 //  -300 (CDT) or -360 (CST)
} ofts_ct_t;

//  Days since 1970-01-01 for a civil date, and back.
int64_t ofts_days_from_civil(int y, int m, int d);
void ofts_civil_from_days(int64_t days, int *y, int *m, int *d);

bool ofts_us_dst_at(int64_t ts_ns);
void ofts_ct_from_utc(int64_t ts_ns, ofts_ct_t *out);
//  UTC ns of a Central Time wall-clock moment (ambiguous hours resolve to
//  the standard-time reading; nonexistent ones shift forward by an hour).
int64_t ofts_ct_to_utc(int y, int m, int d, int hh, int mm, int ss);
//  Minutes since CT midnight.
int ofts_ct_minute_of_day(int64_t ts_ns);

//  CME Globex trading day: starts 17:00 CT the previous evening.
//  Most recent 17:00 CT at or before ts: where session counters reset.
int64_t ofts_session_open_ns(int64_t ts_ns);
//  The trading day as yyyymmdd (a Sunday 18:00 CT tick belongs to Monday).
int ofts_session_day(int64_t ts_ns);

//  Format ns as ISO-8601 UTC "2026-11-30T03:26:14.123456789Z".
void ofts_clock_format(int64_t ts_ns, char *buf, int size);

#endif
