/*  bench_util - what every benchmark shares: a monotonic clock, latency
    samples with percentiles, and the RESULT line format.                  */
#ifndef OFTS_BENCH_UTIL_H
#define OFTS_BENCH_UTIL_H
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline int64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
bench_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  Sorts samples in place; q in [0, 1].
static inline int64_t
bench_percentile(int64_t *samples, size_t n, double q)
{
    if (n == 0)
        return 0;
    qsort(samples, n, sizeof *samples, bench_cmp_i64);
    size_t i = (size_t) (q * (double) (n - 1) + 0.5);
    return samples[i < n ? i : n - 1];
}

#endif
