#include "ofts_clock.h"
#include <stdio.h>
#include <time.h>

int64_t
ofts_clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * OFTS_NS_PER_SEC + ts.tv_nsec;
}

int64_t
ofts_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * OFTS_NS_PER_SEC + ts.tv_nsec;
}

//  Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
int64_t
ofts_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
ofts_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

static int64_t
s_floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

//  Day number of the n-th Sunday of a month (n >= 1).
static int64_t
s_nth_sunday(int y, int m, int n)
{
    int64_t first = ofts_days_from_civil(y, m, 1);
    int wday = (int) ((first % 7 + 11) % 7);    //  1970-01-01 was a Thursday (4)
    int64_t to_sunday = (7 - wday) % 7;
    return first + to_sunday + 7 * (n - 1);
}

bool
ofts_us_dst_at(int64_t ts_ns)
{
    int64_t secs = s_floor_div(ts_ns, OFTS_NS_PER_SEC);
    int y, m, d;
    ofts_civil_from_days(s_floor_div(secs, 86400), &y, &m, &d);
    //  02:00 CST = 08:00 UTC; 02:00 CDT = 07:00 UTC.
    int64_t start = s_nth_sunday(y, 3, 2) * 86400 + 8 * 3600;
    int64_t end = s_nth_sunday(y, 11, 1) * 86400 + 7 * 3600;
    return secs >= start && secs < end;
}

void
ofts_ct_from_utc(int64_t ts_ns, ofts_ct_t *out)
{
    int offset = ofts_us_dst_at(ts_ns) ? -300 : -360;
    int64_t local = s_floor_div(ts_ns, OFTS_NS_PER_SEC) + offset * 60;
    int64_t days = s_floor_div(local, 86400);
    int64_t sod = local - days * 86400;
    ofts_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int) (sod / 3600);
    out->minute = (int) (sod % 3600 / 60);
    out->second = (int) (sod % 60);
    out->wday = (int) ((days % 7 + 11) % 7);
    out->utc_offset_min = offset;
}

int64_t
ofts_ct_to_utc(int y, int m, int d, int hh, int mm, int ss)
{
    int64_t local = ofts_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    //  Try standard time first, then daylight; keep the one that maps back.
    int64_t as_cst = (local + 360 * 60) * OFTS_NS_PER_SEC;
    if (!ofts_us_dst_at(as_cst))
        return as_cst;
    int64_t as_cdt = (local + 300 * 60) * OFTS_NS_PER_SEC;
    if (ofts_us_dst_at(as_cdt))
        return as_cdt;
    return as_cst;                  //  the skipped hour in spring: an hour later
}

int
ofts_ct_minute_of_day(int64_t ts_ns)
{
    ofts_ct_t ct;
    ofts_ct_from_utc(ts_ns, &ct);
    return ct.hour * 60 + ct.minute;
}

int64_t
ofts_session_open_ns(int64_t ts_ns)
{
    ofts_ct_t ct;
    ofts_ct_from_utc(ts_ns, &ct);
    int64_t open = ofts_ct_to_utc(ct.year, ct.month, ct.day, 17, 0, 0);
    if (open > ts_ns) {
        int y, m, d;
        ofts_civil_from_days(ofts_days_from_civil(ct.year, ct.month, ct.day) - 1, &y, &m, &d);
        open = ofts_ct_to_utc(y, m, d, 17, 0, 0);
    }
    return open;
}

int
ofts_session_day(int64_t ts_ns)
{
    ofts_ct_t ct;
    ofts_ct_from_utc(ofts_session_open_ns(ts_ns), &ct);
    int y, m, d;
    ofts_civil_from_days(ofts_days_from_civil(ct.year, ct.month, ct.day) + 1, &y, &m, &d);
    return y * 10000 + m * 100 + d;
}

void
ofts_clock_format(int64_t ts_ns, char *buf, int size)
{
    int64_t secs = s_floor_div(ts_ns, OFTS_NS_PER_SEC);
    int64_t nanos = ts_ns - secs * OFTS_NS_PER_SEC;
    int64_t days = s_floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    int y, m, d;
    ofts_civil_from_days(days, &y, &m, &d);
    snprintf(buf, (size_t) size, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", y, m, d,
             (int) (sod / 3600), (int) (sod % 3600 / 60), (int) (sod % 60), (long long) nanos);
}
