/*  bench_util - what every benchmark shares: a monotonic clock, latency
    samples with percentiles, the RESULT line format, a process's RSS and
    the folder of this executable (where the services it starts are).     */
#ifndef OFTS_BENCH_UTIL_H
#define OFTS_BENCH_UTIL_H
#include <dirent.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

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

//  VmRSS of pid (0: this process) in kB, -1 when unreadable.
static inline long
bench_rss_kb(pid_t pid)
{
    char path[64], line[256];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

//  Pacing a sender to rate msgs/s: `sent` messages since t0 (CLOCK_MONOTONIC
//  ns, as bench_now_ns), sleep until the schedule is due - never spin, and
//  no sleep for less than 20 us. Called every few hundred messages.
static inline void
bench_pace(int64_t t0, uint64_t sent, double rate)
{
    int64_t due = t0 + (int64_t) ((double) sent * 1e9 / rate), now = bench_now_ns();
    if (due > now + 20000) {
        struct timespec ts = { (time_t) ((due - now) / 1000000000LL), (long) ((due - now) % 1000000000LL) };
        nanosleep(&ts, NULL);
    }
}

//  fn(arg, tid, comm) for each thread of pid (/proc/PID/task; comm: the
//  thread's name, e.g. "ZMQbg/IO/0", without its newline).
static inline void
bench_each_thread(pid_t pid, void (*fn)(void *arg, pid_t tid, const char *comm), void *arg)
{
    char path[96], comm[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        pid_t tid = (pid_t) atoi(e->d_name);
        if (tid <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int) pid, (int) tid);
        FILE *f = fopen(path, "r");
        comm[0] = '\0';
        if (f && fgets(comm, sizeof comm, f))
            comm[strcspn(comm, "\n")] = '\0';
        if (f)
            fclose(f);
        fn(arg, tid, comm);
    }
    if (d)
        closedir(d);
}

//  The folder this benchmark runs from (build/bin): 0, or -1.
static inline int
bench_bin_dir(char *buf, size_t size)
{
    char exe[1024];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return -1;
    exe[len] = '\0';
    snprintf(buf, size, "%s", dirname(exe));
    return 0;
}

#endif
