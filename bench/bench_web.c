/*  bench-web: the live web view at bus level. The real ofts-monitor
    process (build/bin, next to this bench) runs with --web and 10
    WebSocket clients attached (threads here, reading every update); it is
    fed over the real bus: an ofts bus publisher named gateway-md, signed
    with the bus secret like the real one, on an ipc:// endpoint.

    Market: GC, a trade and a 10-level book per 50 ms of event time (a
    random walk on the 0.10 tick), so 144 000 messages per simulated hour.

    0. The rate to keep up with: bench-throughput (its ipc run), run first
       in this run on the same machine (OFTS_BENCH_RATE instead if given).
    1. As published: 3 simulated hours as fast as the publisher goes; the
       time until the web feed shows the last message's event time (the
       feed's event_t: what the monitor has applied). Baselines, same run,
       same publisher code and bytes: the same ofts-monitor binary without
       --web (it shows only md.bbo.Z*; the time until it printed a marker
       published after the same hours) and the raw ZeroMQ hop (a SUB socket
       in this process receiving and decoding the same messages).
       1b. Capacity: each monitor is stopped (SIGSTOP) while 6 more hours
       are published into the bus queue (HWM 4 M), then let go; the
       publisher is idle while it drains. The plain monitor's rate: until
       it printed the marker. The web monitor's: between the first and the
       last push inside the drain (each push shows how far it had got), so
       the wait for the push after the last message (up to 1/max_hz) is not
       counted; the let-go-to-last-push figure is printed too. RESULT: the
       web monitor's capacity, ratio to the plain monitor's; and the
       capacity against the rate to keep up with (goal >= 1.3).
    2. Memory: 10 more simulated hours, one at a time: an hour is sent, the
       feed is waited for, then (600 ms later: the monitor trims malloc
       after a burst, web.c) the monitor's RSS (/proc/PID/status) is read -
       so the ZeroMQ queue is empty at every sample and what is left is
       what the monitor keeps.
    3. Keeps up: paced at the rate of 0 for 4 s by a pre-encoded publisher:
       the messages are packed and signed before the clock starts exactly
       as the bus would (same source, epoch, seq, topic seq, MAC frame) and
       only sent while it runs (zmq_send_const) - the bus publisher's own
       pack + MAC is about half of its CPU, and it could not offer the
       rate beside the monitor on 2 cores. Bus gaps the monitor reports (its
       gaps panel, from the feed); at every push while the run sends (from
       one push period on), how far behind the publisher's schedule the
       event it showed was (s_backlog); how long after the last publish the
       feed showed the last event. It kept up when there were no gaps, no
       push was more than 100 ms behind (a monitor 5% slower than the rate
       is 100 ms behind after 2 s, and the backlog only grows) and the last
       event came within one push period on the 125 ms tick + 100 ms. (Until
       2026-12-05 (4) the verdict was that last figure alone within 1/max_hz
       + 20 ms: it counted the wait for the next push, up to 375 ms, so a
       monitor level with the publisher failed or passed by the phase of
       its pushes.) Where the CPU went meanwhile: each thread of the
       monitor and of this bench per message, and the machine's busy cores
       (/proc), less ours = what other processes took. Run twice: with the
       simulated hours' 50-ms event steps (at 350 k msgs/s ~2.5 market
       hours pass each second, so every push carries a long stretch of
       heatmap and footprint to 10 clients: a stress case no market makes),
       then with event time advancing as the wall clock does while the
       messages are sent - a real market at that rate, the case -
       and the ramp to the highest rate kept up with, wall-paced too.
    4. The push rate each client saw, against the bound (max_hz 4).
    Both monitors read the bus as ofts up runs them: monitor.reader "own",
    each publisher's socket read by the monitor's thread itself (ofts_bus_
    set_direct); OFTS_BENCH_WEB_READER=zmq runs the whole bench with the
    ZeroMQ SUB socket instead, for a before/after comparison.
    The clients read every frame; client 0 parses each as JSON (event_t,
    gaps), the others only find event_t in the text - 10 full JSON parsers
    of the accelerated replay's large updates took a third of the 2 cores
    from the monitor being measured.                                      */
#include <czmq.h>
#include <pthread.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_presigned.h"
#include "bench_util.h"
#include "ofts_bus.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "ofts_trust.h"
#include "ws_client.h"

#define CLIENTS 10
#define FAST_HOURS 3
#define DRAIN_HOURS 6               //  queued for the capacity runs: ~2 s, 8 pushes inside
#define HOURS 10
#define STEPS_PER_HOUR 72000        //  50 ms steps
#define STEP_NS (50 * OFTS_NS_PER_MS)
#define MSGS_PER_HOUR (2 * STEPS_PER_HOUR)
#define KEEP_UP_RATE 343480.0
#define KEEP_UP_SEC 4
#define KEEP_UP_BACKLOG_MS 100      //  the most a push may lag the publisher (s_backlog)
#define KEEP_UP_LAST_MS (1000 / MAX_HZ + 125 + KEEP_UP_BACKLOG_MS)  //  + the monitor's tick
#define RAMP_STEPS 4
#define MAX_HZ 4
#define T0 ((int64_t) 1764950400 * 1000000000LL)

//  --- the market: a random walk, a trade and a book per step -------------

//  Event time of step i: 50 ms steps (the simulated hours, compressed:
//  at 350 k msgs/s ~2.5 market hours a second) until a wall-paced trial
//  re-bases it so event time advances exactly as the wall clock does
//  while the steps are sent - a real market at that rate (s_time_wall).
static struct {
    uint64_t base_step;
    int64_t base_ns, step_ns;
} s_time = { 0, T0, STEP_NS };

static int64_t
s_step_ns(uint64_t i)
{
    return s_time.base_ns + (int64_t) (i - s_time.base_step) * s_time.step_ns;
}

//  From step `from` on, steps sent at `rate` msgs/s (two per step) are
//  spaced in event time as in wall time.
static void
s_time_wall(uint64_t from, double rate)
{
    int64_t at = s_step_ns(from);
    s_time.base_step = from;
    s_time.base_ns = at;
    s_time.step_ns = (int64_t) (2e9 / rate);
}

typedef struct {
    unsigned seed;
    int64_t mid;
    Ofts__Header hdr;
    Ofts__Trade trade;
    Ofts__Level lv[10], *lp[10];
    Ofts__Depth depth;
    Ofts__Envelope env;
} s_market_t;

static void
s_market_init(s_market_t *m)
{
    memset(m, 0, sizeof *m);
    m->seed = 42;
    m->mid = 2000LL * 1000000000LL;
    ofts__header__init(&m->hdr);
    ofts__trade__init(&m->trade);
    m->trade.symbol = "GC";
    m->trade.contract = "GCZ6";
    ofts__depth__init(&m->depth);
    m->depth.symbol = "GC";
    m->depth.contract = "GCZ6";
    for (int k = 0; k < 10; k++) {
        ofts__level__init(&m->lv[k]);
        m->lp[k] = &m->lv[k];
    }
    m->depth.n_levels = 10;
    m->depth.levels = m->lp;
    ofts__envelope__init(&m->env);
    m->env.header = &m->hdr;
}

//  Step i's trade (the walk moves), then its book, into m->env.
static void
s_market_trade(s_market_t *m, uint64_t i)
{
    int64_t t = s_step_ns(i), tick = 100000000LL;
    m->hdr.ts_event = m->hdr.ts_recv = t;
    m->mid += ((int) (rand_r(&m->seed) % 3) - 1) * tick;
    m->trade.price = m->mid + (rand_r(&m->seed) % 2) * tick;
    m->trade.size = 1 + rand_r(&m->seed) % 20;
    m->trade.aggressor = rand_r(&m->seed) % 2 ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
    m->env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    m->env.trade = &m->trade;
}

static void
s_market_book(s_market_t *m)
{
    int64_t tick = 100000000LL;
    for (int k = 0; k < 10; k++) {
        m->lv[k].bid_px = m->mid - k * tick;
        m->lv[k].ask_px = m->mid + (k + 1) * tick;
        m->lv[k].bid_sz = 5 + rand_r(&m->seed) % 100;
        m->lv[k].ask_sz = 5 + rand_r(&m->seed) % 100;
    }
    m->env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
    m->env.depth = &m->depth;
}

#define TOPIC_TRADE "md.trade.GC."
#define TOPIC_BOOK "md.book.GC."

//  Publish step i (its trade, then its book).
static void
s_market_step(s_market_t *m, ofts_bus_t *bus, uint64_t i)
{
    s_market_trade(m, i);
    ofts_bus_publish_ts(bus, TOPIC_TRADE, &m->env, m->hdr.ts_event, m->hdr.ts_recv);
    s_market_book(m);
    ofts_bus_publish_ts(bus, TOPIC_BOOK, &m->env, m->hdr.ts_event, m->hdr.ts_recv);
}

//  --- the pre-encoded publisher (the keep-up run) ---------------------------
//  Steps packed and signed ahead, exactly as the bus would (same source,
//  epoch, running seq and per-topic seq, MAC frame), then only sent: the
//  bus publisher's protobuf packing and MAC (about half of its ~2.7 us a
//  message) happen before the clock starts, so this one process can offer
//  a rate the monitor beside it must keep up with (bench_presigned.h).

//  Steps [from, from + steps) as the bus that published steps [0, from) would
//  send them next: its seq is 2 * from, each topic's seq from.
static bench_presigned_t *
s_encode(s_market_t *m, const uint8_t *secret, uint64_t epoch, uint64_t from, uint64_t steps)
{
    bench_presigned_t *e = bench_presigned_new("gateway-md", epoch, secret);
    for (uint64_t i = from; i < from + steps; i++) {
        s_market_trade(m, i);
        bench_presigned_add(e, TOPIC_TRADE, &m->env, 2 * i + 1, i + 1, 0, 0);
        s_market_book(m);
        bench_presigned_add(e, TOPIC_BOOK, &m->env, 2 * i + 2, i + 1, 0, 0);
    }
    return e;
}

static int64_t
s_step_ms(uint64_t step)
{
    return s_step_ns(step) / OFTS_NS_PER_MS;
}

//  --- the web clients ----------------------------------------------------

typedef struct {
    ws_client_t *c;
    atomic_bool *stop;
    bool parse;                     //  full JSON parse (client 0)
    bool record;                    //  keeps the series of pushes (client 1)
    long updates;
    int64_t first_ms, last_ms;
} s_client_t;

static pid_t s_monitor_pid;                 //  the web monitor (its threads' CPU)
static atomic_llong s_feed_event_ms;        //  the latest event_t any client saw
static atomic_llong s_feed_gaps;            //  the most bus gaps the feed reported

//  Every push one client saw: when, and how far the monitor had got (the
//  feed's event_t). Inside a drain, two such points give the monitor's own
//  rate, without the wait for the next push at the end (up to 1/max_hz).
#define SERIES_MAX 8192
static struct {
    int64_t ns;
    int64_t event_ms;
} s_series[SERIES_MAX];
static atomic_int s_nseries;

//  Full parse: the latest event time and the bus gaps the feed reports.
static void
s_seen(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    long long t = (long long) json_integer_value(json_object_get(j, "event_t"));
    long long cur = atomic_load(&s_feed_event_ms);
    while (t > cur && !atomic_compare_exchange_weak(&s_feed_event_ms, &cur, t))
        ;
    long long missing = 0;
    json_t *gap;
    size_t i;
    json_array_foreach(json_object_get(j, "gaps"), i, gap)
        missing += (long long) json_integer_value(json_object_get(gap, "missing"));
    if (missing > atomic_load(&s_feed_gaps))
        atomic_store(&s_feed_gaps, missing);
    json_decref(j);
}

//  The cheap reader: event_t is a top-level key ahead of the contracts.
static long long
s_seen_event_t(const char *text)
{
    const char *at = strstr(text, "\"event_t\":");
    long long t = at ? strtoll(at + 10, NULL, 10) : 0;
    long long cur = atomic_load(&s_feed_event_ms);
    while (t > cur && !atomic_compare_exchange_weak(&s_feed_event_ms, &cur, t))
        ;
    return t;
}

static void *
s_client_run(void *arg)
{
    s_client_t *c = arg;
    while (!atomic_load(c->stop)) {
        char *m = ws_client_recv(c->c, 100);
        if (m && strstr(m, "\"type\":\"update\"")) {
            int64_t now = ofts_clock_mono_ns() / OFTS_NS_PER_MS;
            if (!c->updates++)
                c->first_ms = now;
            c->last_ms = now;
        }
        if (m && c->parse)
            s_seen(m);
        else if (m) {
            long long t = s_seen_event_t(m);
            int n = atomic_load(&s_nseries);
            if (c->record && n < SERIES_MAX) {
                s_series[n].ns = ofts_clock_mono_ns();
                s_series[n].event_ms = t;
                atomic_store(&s_nseries, n + 1);
            }
        }
        free(m);
    }
    return NULL;
}

//  --- the monitor process ------------------------------------------------

static pid_t
s_monitor_start(const char *bin, const char *config, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *out = freopen(log, "w", stderr);
        (void) out;
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        char exe[1100];
        snprintf(exe, sizeof exe, "%s/ofts-monitor", bin);
        execl(exe, exe, "--config", config, "--web", "127.0.0.1:0", (char *) NULL);
        _exit(127);
    }
    return pid;
}

//  Wait until the feed shows event time ms (or the deadline); the time it did.
static int64_t
s_wait_feed(int64_t ms, int64_t deadline_ns)
{
    while (atomic_load(&s_feed_event_ms) < ms && ofts_clock_mono_ns() < deadline_ns)
        zclock_sleep(2);
    return ofts_clock_mono_ns();
}

//  CPU seconds a process (tid 0) or one of its threads has used so far.
static double
s_cpu_s(pid_t pid, pid_t tid)
{
    char path[96], line[1024];
    if (tid)
        snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int) pid, (int) tid);
    else
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen(path, "r");
    double s = 0;
    if (f && fgets(line, sizeof line, f)) {
        //  After "(comm)": state is field 3, utime 14, stime 15.
        const char *p = strrchr(line, ')');
        unsigned long long ut = 0, st = 0;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
            s = (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
    }
    if (f)
        fclose(f);
    return s;
}

//  What a drain cost the monitor: CPU per message of its main thread (the
//  bus receive path and the view: the one that must keep up) and of the
//  whole process (+ its ZeroMQ I/O thread, + the WebSocket thread).
typedef struct {
    double main0, proc0, main_us, proc_us;
} s_cpu_t;

static void
s_cpu_start(s_cpu_t *c, pid_t pid)
{
    c->main0 = s_cpu_s(pid, pid);
    c->proc0 = s_cpu_s(pid, 0);
}

static void
s_cpu_stop(s_cpu_t *c, pid_t pid, double msgs)
{
    c->main_us = (s_cpu_s(pid, pid) - c->main0) * 1e6 / msgs;
    c->proc_us = (s_cpu_s(pid, 0) - c->proc0) * 1e6 / msgs;
}

//  CPU seconds so far of a process's threads in three parts: the thread
//  tid == pid (the monitor's main thread; the bench's sending thread),
//  ZeroMQ's I/O threads, and the rest (the monitor's WebSocket thread; the
//  bench's 10 clients).
enum { PART_MAIN, PART_ZMQ_IO, PART_REST, PARTS };

typedef struct {
    pid_t pid;
    double *part;
} s_parts_walk_t;

static void
s_cpu_part_thread(void *arg, pid_t tid, const char *comm)
{
    s_parts_walk_t *w = arg;
    bool io = strncmp(comm, "ZMQbg/IO", 8) == 0;
    w->part[tid == w->pid ? PART_MAIN : io ? PART_ZMQ_IO : PART_REST] += s_cpu_s(w->pid, tid);
}

static void
s_cpu_parts(pid_t pid, double part[PARTS])
{
    memset(part, 0, PARTS * sizeof *part);
    s_parts_walk_t w = { pid, part };
    bench_each_thread(pid, s_cpu_part_thread, &w);
}

//  Busy and all CPU seconds of the machine so far (/proc/stat): busy - what
//  this bench and its monitor used = what other processes took meanwhile.
static void
s_machine_cpu(double *busy, double *all)
{
    unsigned long long v[8] = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                     &v[6], &v[7]) != 8)
        memset(v, 0, sizeof v);
    if (f)
        fclose(f);
    double hz = (double) sysconf(_SC_CLK_TCK);
    *all = (double) (v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7]) / hz;
    *busy = *all - (double) (v[3] + v[4]) / hz;     //  idle, iowait
}

//  Where the CPU went while a trial ran: the monitor's and the bench's
//  threads (per message), the machine's (cores busy, and how much of that
//  was neither).
typedef struct {
    double mon[PARTS], bench[PARTS], busy, all;
    int64_t ns;
} s_cpu_split_t;

static s_cpu_split_t
s_cpu_split_now(void)
{
    s_cpu_split_t c;
    s_cpu_parts(s_monitor_pid, c.mon);
    s_cpu_parts(getpid(), c.bench);
    s_machine_cpu(&c.busy, &c.all);
    c.ns = ofts_clock_mono_ns();
    return c;
}

//  "CPU us/msg: monitor main 1.21 ..." for the CPU used between a and b by
//  msgs messages (cores: over the time between a and b).
static void
s_cpu_split_print(char *out, size_t size, const s_cpu_split_t *a, const s_cpu_split_t *b, double msgs)
{
    double secs = (double) (b->ns - a->ns) / 1e9;
    double m[PARTS], p[PARTS], ours = 0;
    for (int i = 0; i < PARTS; i++) {
        m[i] = b->mon[i] - a->mon[i];
        p[i] = b->bench[i] - a->bench[i];
        ours += m[i] + p[i];
    }
    double busy = b->busy - a->busy, cores = secs > 0 ? (b->all - a->all) / secs : 0;
    snprintf(out, size, "CPU us/msg: monitor main %.2f, its ZeroMQ I/O %.2f, its WebSocket thread %.2f (%.2f cores); "
             "publisher %.2f, its ZeroMQ I/O %.2f, 10 clients %.2f (%.2f cores); machine busy %.2f of %.0f cores, "
             "other processes %.2f", m[0] * 1e6 / msgs, m[1] * 1e6 / msgs, m[2] * 1e6 / msgs, (m[0] + m[1] + m[2]) / secs,
             p[0] * 1e6 / msgs, p[1] * 1e6 / msgs, p[2] * 1e6 / msgs, (p[0] + p[1] + p[2]) / secs, busy / secs, cores,
             (busy - ours) / secs);
}

//  The monitor's rate while it drained steps [from, to) (let go at t_go):
//  from the first to the last push strictly inside the drain (started,
//  not yet done); 0 with fewer than two such pushes.
static double
s_interior_rate(int64_t t_go, uint64_t from, uint64_t to, int *pushes)
{
    int n = atomic_load(&s_nseries), a = -1, b = -1;
    for (int i = 0; i < n; i++) {
        int64_t e = s_series[i].event_ms;
        if (s_series[i].ns < t_go || e <= s_step_ms(from) || e >= s_step_ms(to - 1))
            continue;
        a = a < 0 ? i : a;
        b = i;
    }
    *pushes = a < 0 ? 0 : b - a + 1;
    if (a < 0 || b == a || s_series[b].ns <= s_series[a].ns)
        return 0;
    double msgs = 2.0 * (double) (s_series[b].event_ms - s_series[a].event_ms) / (double) (STEP_NS / OFTS_NS_PER_MS);
    return msgs / ((double) (s_series[b].ns - s_series[a].ns) / 1e9);
}

//  bench-throughput's figure, measured now on the same machine (its ipc
//  run only): the rate the web monitor must keep up with. 0 if it failed.
static double
s_bench_throughput(const char *bin)
{
    char cmd[1200], line[512];
    snprintf(cmd, sizeof cmd, "OFTS_BENCH_IPC_ONLY=1 %s/bench-throughput 2>&1", bin);
    FILE *p = popen(cmd, "r");
    double rate = 0;
    while (p && fgets(line, sizeof line, p)) {
        if (strncmp(line, "RESULT pipeline_md_throughput ", 30) == 0)
            rate = atof(line + 30);
        else if (strstr(line, "sustained"))
            printf("bench-throughput, this run: %s", line);
    }
    if (p && pclose(p) != 0)
        rate = 0;
    fflush(stdout);
    return rate;
}

//  The heap in use the monitor logged when it last trimmed after a burst
//  (web.c), in kB; -1 when none yet.
static long
s_logged_heap_kb(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[512];
    long kb = -1;
    while (f && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, "heap in use ");
        if (at)
            kb = atol(at + 12);
    }
    if (f)
        fclose(f);
    return kb;
}

//  --- the baseline: the raw ZeroMQ hop ------------------------------------

typedef struct {
    zsock_t *sub;
    uint64_t want, got;
    int64_t done_ns;
} s_raw_t;

static void *
s_raw_run(void *arg)
{
    s_raw_t *r = arg;
    void *h = zsock_resolve(r->sub);
    zmq_msg_t part;
    zmq_msg_init(&part);
    while (r->got < r->want) {
        //  topic, envelope, MAC: decode the envelope as any subscriber must.
        if (zmq_msg_recv(&part, h, 0) < 0)
            break;
        if (zmq_msg_recv(&part, h, 0) < 0)
            break;
        Ofts__Envelope *env = ofts__envelope__unpack(NULL, zmq_msg_size(&part), zmq_msg_data(&part));
        if (env)
            ofts__envelope__free_unpacked(env, NULL);
        while (zmq_msg_more(&part) && zmq_msg_recv(&part, h, 0) >= 0)
            ;
        r->got++;
    }
    zmq_msg_close(&part);
    r->done_ns = ofts_clock_mono_ns();
    return NULL;
}

static double
s_raw_hop(const char *dir, const uint8_t *secret)
{
    char ep[600];
    snprintf(ep, sizeof ep, "ipc://%s/raw.pub", dir);
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    ofts_bus_set_hwm(bus, 4000000);
    ofts_bus_set_secret(bus, secret);
    if (ofts_bus_bind(bus, ep) != 0)
        return 0;
    s_raw_t r = { .sub = zsock_new(ZMQ_SUB), .want = (uint64_t) FAST_HOURS * MSGS_PER_HOUR };
    zsock_set_rcvhwm(r.sub, 4000000);
    zsock_set_subscribe(r.sub, "md.");
    zsock_connect(r.sub, "%s", ep);
    s_market_t m;
    s_market_init(&m);
    for (int i = 0; i < 50; i++) {          //  until the subscription is through
        m.env.body_case = OFTS__ENVELOPE__BODY__NOT_SET;
        ofts_bus_publish(bus, "sys.warmup.", &m.env);
        zclock_sleep(10);
    }
    pthread_t t;
    pthread_create(&t, NULL, s_raw_run, &r);
    int64_t start = ofts_clock_mono_ns();
    for (uint64_t i = 0; i < (uint64_t) FAST_HOURS * STEPS_PER_HOUR; i++)
        s_market_step(&m, bus, i);
    pthread_join(t, NULL);
    zsock_destroy(&r.sub);
    ofts_bus_destroy(&bus);
    return (double) r.got / ((double) (r.done_ns - start) / 1e9);
}

//  --- baseline: the same monitor without --web -----------------------------

//  Publish a marker BBO on md.bbo.<sym>. (owned by gateway-md like the rest).
static void
s_marker(ofts_bus_t *bus, const char *sym)
{
    Ofts__TopOfBook bbo = OFTS__TOP_OF_BOOK__INIT;
    bbo.symbol = (char *) sym;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_BBO;
    env.bbo = &bbo;
    char topic[64];
    ofts_bus_publish(bus, ofts_topic(topic, sizeof topic, "md.bbo", sym), &env);
}

//  Read what the monitor printed until text appears (or timeout_ms).
static bool
s_read_until(int fd, const char *text, int timeout_ms)
{
    char buf[4096 + 64];
    size_t keep = 0;
    int64_t deadline = ofts_clock_mono_ns() + (int64_t) timeout_ms * OFTS_NS_PER_MS;
    while (ofts_clock_mono_ns() < deadline) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 10) <= 0)
            continue;
        ssize_t n = read(fd, buf + keep, sizeof buf - keep - 1);
        if (n <= 0)
            return false;
        buf[keep + (size_t) n] = 0;
        if (strstr(buf, text))
            return true;
        keep = keep + (size_t) n > 63 ? 63 : keep + (size_t) n;
        memmove(buf, buf + strlen(buf) - keep, keep);
    }
    return false;
}

//  How both monitors read the bus (monitor.reader): "own" (the default)
//  unless OFTS_BENCH_WEB_READER says "zmq" - for a comparison run.
static const char *
s_reader(void)
{
    const char *r = getenv("OFTS_BENCH_WEB_READER");
    return r && strcmp(r, "zmq") == 0 ? "zmq" : "own";
}

//  ofts-monitor without --web, showing only md.bbo.Z* (so it prints only
//  the markers): everything else is received, checked, decoded and
//  dropped, as the plain monitor does with topics it does not show. After
//  FAST_HOURS published as fast as we can, a md.bbo.ZZ. marker: the time
//  until it printed that is the time it took for all of them.
static void
s_plain_monitor(const char *bin, const char *dir, const char *secret, double *live, double *drained, s_cpu_t *cpu)
{
    *live = *drained = 0;
    char config[600], ep[600], log[600], exe[1100];
    snprintf(config, sizeof config, "%s/plain.json", dir);
    snprintf(ep, sizeof ep, "ipc://%s/plain.pub", dir);
    snprintf(log, sizeof log, "%s/plain.log", dir);
    snprintf(exe, sizeof exe, "%s/ofts-monitor", bin);
    FILE *f = fopen(config, "w");
    fprintf(f, "{\"bus\":{\"secret_file\":\"%s\",\"endpoints\":{\"gateway-md\":{\"pub\":\"%s\"}}},"
               "\"monitor\":{\"reader\":\"%s\"}}\n", secret, ep, s_reader());
    fclose(f);
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    ofts_bus_set_hwm(bus, 4000000);
    ofts_bus_set_secret(bus, ofts_trust_process_secret());
    int fds[2];
    if (ofts_bus_bind(bus, ep) != 0 || pipe(fds) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (!freopen(log, "w", stderr))
            _exit(127);
        execl(exe, exe, "--config", config, "md.bbo.Z", (char *) NULL);
        _exit(127);
    }
    close(fds[1]);
    //  Until it prints a warm-up marker (its subscription is through), then
    //  until the warm-up markers stop coming.
    bool ready = false;
    for (int i = 0; i < 500 && !ready; i++) {
        s_marker(bus, "ZY");
        ready = s_read_until(fds[0], "md.bbo.ZY.", 10);
    }
    while (ready && s_read_until(fds[0], "md.bbo.ZY.", 300))
        ;
    s_market_t m;
    s_market_init(&m);
    int64_t start = ofts_clock_mono_ns();
    for (uint64_t i = 0; i < (uint64_t) FAST_HOURS * STEPS_PER_HOUR; i++)
        s_market_step(&m, bus, i);
    s_marker(bus, "ZZ");
    bool done = ready && s_read_until(fds[0], "md.bbo.ZZ.", 300000);
    int64_t end = ofts_clock_mono_ns();
    if (done)
        *live = (double) FAST_HOURS * MSGS_PER_HOUR / ((double) (end - start) / 1e9);
    //  Its own capacity: stopped while the next hours queue up, then let go.
    kill(pid, SIGSTOP);
    for (uint64_t i = (uint64_t) FAST_HOURS * STEPS_PER_HOUR; i < (uint64_t) (FAST_HOURS + DRAIN_HOURS) * STEPS_PER_HOUR; i++)
        s_market_step(&m, bus, i);
    s_marker(bus, "ZX");
    start = ofts_clock_mono_ns();
    s_cpu_start(cpu, pid);
    kill(pid, SIGCONT);
    bool drained_ok = done && s_read_until(fds[0], "md.bbo.ZX.", 300000);
    end = ofts_clock_mono_ns();
    s_cpu_stop(cpu, pid, (double) DRAIN_HOURS * MSGS_PER_HOUR);
    if (drained_ok)
        *drained = (double) DRAIN_HOURS * MSGS_PER_HOUR / ((double) (end - start) / 1e9);
    done = drained_ok;
    kill(pid, SIGINT);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    ofts_bus_destroy(&bus);
    if (!done)
        fprintf(stderr, "bench-web: the monitor without --web did not finish (see %s)\n", log);
}

typedef struct {
    double offered, lag_ms;
    double backlog_ms;              //  the most a push inside the run lagged the publisher
    int pushes;                     //  pushes inside the run (after its first push period)
    double push_gap_ms;             //  the longest time between two pushes meanwhile
    long long gaps;
    bool pass;
    int64_t from_ns, to_ns;         //  CLOCK_MONOTONIC: first publish, last event shown
    char line[300], cpu[400];
} s_trial_t;

//  A trial's schedule: its first push in the series, when it sent (t0 ..
//  end) at what rate, and its steps' event times (base_ns + k * step_ns).
typedef struct {
    int first_push;
    int64_t t0, end, base_ns, step_ns;
    double rate;
} s_window_t;

//  How far behind the publisher the monitor was at each push that arrived
//  while the run was sending (from one push period after its start): the
//  push came at ns and showed event time event_ms, which the publisher's
//  schedule sent at t0 + its index / rate; the most of these. Unlike the
//  time from the last publish to the push that showed it, this does not
//  count the wait for the next push (up to 1/max_hz + the 125 ms tick):
//  that wait alone put a monitor that was level with the publisher 323 ms
//  "behind" at 221 k msgs/s in a run that kept up at 324 k.
static double
s_backlog(s_window_t w, int *pushes, double *gap_ms)
{
    double most = 0;
    int n = atomic_load(&s_nseries);
    *pushes = 0;
    *gap_ms = 0;
    for (int i = w.first_push; i < n; i++) {
        if (i > w.first_push && s_series[i - 1].ns >= w.t0 && s_series[i].ns <= w.end) {
            double gap = (double) (s_series[i].ns - s_series[i - 1].ns) / 1e6;
            *gap_ms = gap > *gap_ms ? gap : *gap_ms;
        }
        if (s_series[i].ns < w.t0 + OFTS_NS_PER_SEC / MAX_HZ || s_series[i].ns > w.end)
            continue;
        double k = ((double) s_series[i].event_ms * 1e6 - (double) w.base_ns) / (double) w.step_ns;
        double sent = (double) w.t0 + (k > 0 ? 2 * k * 1e9 / w.rate : 0);
        double late = ((double) s_series[i].ns - sent) / 1e6;
        most = late > most ? late : most;
        (*pushes)++;
    }
    return most;
}

//  Steps paced at rate (msgs/s) for secs by the pre-encoded publisher, then
//  the monitor's backlog at the pushes meanwhile, how long until the feed
//  showed the last one, the gaps, and where the CPU went.
static s_trial_t
s_trial(ofts_bus_t *bus, s_market_t *m, uint64_t *step, double rate, int secs, bool wall_paced)
{
    s_trial_t r = { 0 };
    uint64_t n = (uint64_t) (rate * secs / 2);
    if (wall_paced)
        s_time_wall(*step, rate);
    s_window_t w = { .first_push = atomic_load(&s_nseries), .base_ns = s_step_ns(*step), .step_ns = s_time.step_ns,
                     .rate = rate };
    bench_presigned_t *enc = s_encode(m, ofts_trust_process_secret(), ofts_bus_epoch(bus), *step, n);
    void *pub = zsock_resolve(ofts_bus_pub_sock(bus));
    long long gaps0 = atomic_load(&s_feed_gaps);
    s_cpu_split_t cpu0 = s_cpu_split_now();
    int64_t t0 = ofts_clock_mono_ns();
    r.offered = bench_presigned_send_all(enc, pub, rate);
    *step += n;
    int64_t end = ofts_clock_mono_ns();
    int64_t caught = s_wait_feed(s_step_ms(*step - 1), end + 60 * OFTS_NS_PER_SEC);
    s_cpu_split_t cpu1 = s_cpu_split_now();
    r.lag_ms = (double) (caught - end) / 1e6;
    r.gaps = atomic_load(&s_feed_gaps) - gaps0;
    r.from_ns = t0;
    r.to_ns = caught;
    w.t0 = t0;
    w.end = end;
    r.backlog_ms = s_backlog(w, &r.pushes, &r.push_gap_ms);
    //  Kept up: the rate offered, nothing lost, never more than
    //  KEEP_UP_BACKLOG_MS behind at a push (a monitor 5 % slower than the
    //  rate is 100 ms behind after 2 s), and the last event shown at the
    //  latest one push interval (1/max_hz, on the 125 ms tick) after that.
    bool reached = r.offered >= 0.98 * rate, level = r.pushes > 0 && r.backlog_ms <= KEEP_UP_BACKLOG_MS,
         in_time = r.lag_ms <= KEEP_UP_LAST_MS;
    r.pass = reached && level && in_time && r.gaps == 0;
    snprintf(r.line, sizeof r.line, "offered %.0f msgs/s, bus gaps %lld, at most %.0f ms behind at the %d pushes "
             "meanwhile (%.0f ms apart at most), last event shown %.0f ms after the last publish -> %s", r.offered,
             r.gaps, r.backlog_ms, r.pushes, r.push_gap_ms, r.lag_ms,
             r.pass ? "kept up" : !reached ? "NOT OFFERED (the publisher fell short)" : "fell behind");
    s_cpu_split_print(r.cpu, sizeof r.cpu, &cpu0, &cpu1, (double) bench_presigned_count(enc));
    bench_presigned_destroy(&enc);
    zclock_sleep(300);              //  the next trial starts on an empty queue
    return r;
}

int
main(void)
{
    ofts_log_init("bench-web", OFTS_LOG_ERROR);
    signal(SIGPIPE, SIG_IGN);
    char bin[1024];
    if (bench_bin_dir(bin, sizeof bin) != 0)
        return 1;
    char dir[] = "/tmp/ofts-bench-web-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char secret[600], config[600], log[600], md_ep[600], cmd[700];
    snprintf(secret, sizeof secret, "%s/bus.secret", dir);
    snprintf(config, sizeof config, "%s/config.json", dir);
    snprintf(log, sizeof log, "%s/monitor.log", dir);
    snprintf(md_ep, sizeof md_ep, "ipc://%s/md.pub", dir);
    if (ofts_trust_use_secret_file(secret) != 0)
        return 1;
    FILE *f = fopen(config, "w");
    fprintf(f, "{\"bus\":{\"secret_file\":\"%s\",\"endpoints\":{\"gateway-md\":{\"pub\":\"%s\"},"
               "\"monitor\":{\"pub\":\"ipc://%s/monitor.pub\"}}},"
               "\"monitor\":{\"reader\":\"%s\",\"web\":{\"max_hz\":%d}}}\n", secret, md_ep, dir, s_reader(),
            MAX_HZ);
    fclose(f);

    //  The rate to keep up with: bench-throughput's, measured first in this
    //  run (OFTS_BENCH_RATE instead, when given; its old figure if it fails).
    const char *rate_env = getenv("OFTS_BENCH_RATE");
    double measured = rate_env && atof(rate_env) > 0 ? 0 : s_bench_throughput(bin);
    double keep_up_rate = rate_env && atof(rate_env) > 0 ? atof(rate_env) : measured > 0 ? measured : KEEP_UP_RATE;
    double raw = s_raw_hop(dir, ofts_trust_process_secret());
    double plain, plain_drained;
    s_cpu_t plain_cpu = { 0 }, web_cpu = { 0 };
    s_plain_monitor(bin, dir, secret, &plain, &plain_drained, &plain_cpu);

    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    ofts_bus_set_hwm(bus, 4000000);             //  the whole 10 h fits: a slow monitor shows as time, not loss
    ofts_bus_set_secret(bus, ofts_trust_process_secret());
    if (ofts_bus_bind(bus, md_ep) != 0)
        return 1;
    pid_t monitor = s_monitor_start(bin, config, log);
    s_monitor_pid = monitor;
    int port = ws_wait_logged_port(log, 20000);
    if (port <= 0) {
        fprintf(stderr, "bench-web: the monitor did not serve (see %s)\n", log);
        kill(monitor, SIGKILL);
        waitpid(monitor, NULL, 0);
        ofts_bus_destroy(&bus);
        return 1;
    }
    atomic_bool stop = false;
    s_client_t clients[CLIENTS];
    pthread_t threads[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (s_client_t) { .c = ws_client_connect(port, "/", 5000, NULL), .stop = &stop, .parse = i == 0,
                                    .record = i == 1 };
        if (!clients[i].c)
            return 1;
        pthread_create(&threads[i], NULL, s_client_run, &clients[i]);
    }
    s_market_t m;
    s_market_init(&m);
    //  Until the monitor applies what we publish (its subscription is through).
    uint64_t step = 0;
    for (int i = 0; i < 500 && atomic_load(&s_feed_event_ms) < s_step_ms(0); i++) {
        s_market_step(&m, bus, step++);
        zclock_sleep(10);
    }
    long rss_start = bench_rss_kb(monitor), rss_at_hour[HOURS + 1] = { 0 }, heap_at_hour[HOURS + 1] = { 0 };

    //  1. Simulated hours as fast as we can publish.
    uint64_t first = step, last = step + (uint64_t) FAST_HOURS * STEPS_PER_HOUR;
    int64_t start = ofts_clock_mono_ns();
    for (; step < last; step++)
        s_market_step(&m, bus, step);
    int64_t published = ofts_clock_mono_ns();
    int64_t done = s_wait_feed(s_step_ms(last - 1), published + 300 * OFTS_NS_PER_SEC);
    bool finished = atomic_load(&s_feed_event_ms) >= s_step_ms(last - 1);
    double web = (double) (last - first) * 2 / ((double) (done - start) / 1e9);

    //  1b. Its own capacity, the publisher out of the way: stopped while the
    //  next hours queue up (the bus HWM holds them), then let go.
    double web_drained = 0, web_capacity = 0, pub_alone = 0;
    int inside = 0;
    int64_t drain_from = 0, drain_to = 0;  //  CLOCK_MONOTONIC, for perf record -k mono + report --time
    if (finished) {
        kill(monitor, SIGSTOP);
        int64_t t_stop = ofts_clock_mono_ns();
        uint64_t from = step;
        for (last = step + (uint64_t) DRAIN_HOURS * STEPS_PER_HOUR; step < last; step++)
            s_market_step(&m, bus, step);
        int64_t let_go = ofts_clock_mono_ns();
        //  What the publisher does with no subscriber working beside it.
        pub_alone = (double) DRAIN_HOURS * MSGS_PER_HOUR / ((double) (let_go - t_stop) / 1e9);
        s_cpu_start(&web_cpu, monitor);
        kill(monitor, SIGCONT);
        int64_t drained = s_wait_feed(s_step_ms(last - 1), let_go + 300 * OFTS_NS_PER_SEC);
        s_cpu_stop(&web_cpu, monitor, (double) DRAIN_HOURS * MSGS_PER_HOUR);
        finished = atomic_load(&s_feed_event_ms) >= s_step_ms(last - 1);
        web_drained = (double) DRAIN_HOURS * MSGS_PER_HOUR / ((double) (drained - let_go) / 1e9);
        web_capacity = s_interior_rate(let_go, from, last, &inside);
        drain_from = let_go;
        drain_to = drained;
    }
    double capacity = web_capacity > 0 ? web_capacity : web_drained;

    //  2. Hour by hour, the monitor caught up at each sample.
    rss_at_hour[0] = bench_rss_kb(monitor);
    for (int h = 1; h <= HOURS && finished; h++) {
        for (last = step + STEPS_PER_HOUR; step < last; step++)
            s_market_step(&m, bus, step);
        s_wait_feed(s_step_ms(last - 1), ofts_clock_mono_ns() + 120 * OFTS_NS_PER_SEC);
        finished = atomic_load(&s_feed_event_ms) >= s_step_ms(last - 1);
        zclock_sleep(600);          //  an idle tick or two: the monitor hands the burst's memory back
        rss_at_hour[h] = bench_rss_kb(monitor);
        heap_at_hour[h] = s_logged_heap_kb(log);
    }
    long long gaps_fast = atomic_load(&s_feed_gaps);

    //  3. Paced at the bench-throughput rate, by the pre-encoded publisher:
    //  packed and signed before the clock starts, only sent while it runs.
    //  Then the highest rate it keeps up with: 2-s trials, bisected.
    s_trial_t squeezed = s_trial(bus, &m, &step, keep_up_rate, KEEP_UP_SEC, false);
    s_trial_t head = s_trial(bus, &m, &step, keep_up_rate, KEEP_UP_SEC, true), ramp[RAMP_STEPS];
    double lo = head.pass ? keep_up_rate : 0, hi = head.pass ? 1.6 * keep_up_rate : keep_up_rate;
    double rates[RAMP_STEPS];
    for (int i = 0; i < RAMP_STEPS; i++) {
        rates[i] = lo > 0 ? (lo + hi) / 2 : hi / 2;
        ramp[i] = s_trial(bus, &m, &step, rates[i], 2, true);
        if (ramp[i].pass)
            lo = rates[i];
        else
            hi = rates[i];
    }
    long long gaps_paced = atomic_load(&s_feed_gaps) - gaps_fast;
    zclock_sleep(1000);
    atomic_store(&stop, true);
    long min_u = -1, max_u = 0;
    double max_rate = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        ws_client_destroy(&clients[i].c);
        s_client_t *c = &clients[i];
        min_u = min_u < 0 || c->updates < min_u ? c->updates : min_u;
        max_u = c->updates > max_u ? c->updates : max_u;
        if (c->updates > 1) {
            double r = (double) (c->updates - 1) / ((double) (c->last_ms - c->first_ms) / 1e3);
            max_rate = r > max_rate ? r : max_rate;
        }
    }
    kill(monitor, SIGINT);
    waitpid(monitor, NULL, 0);
    ofts_bus_destroy(&bus);

    printf("market: GC, trade + 10-level book every 50 ms of event time (%d msgs per simulated hour); "
           "the real ofts-monitor --web fed over ipc:// by a signed ofts bus publisher, %d WebSocket clients; "
           "monitor.reader %s (%s)\n", MSGS_PER_HOUR, CLIENTS, s_reader(),
           strcmp(s_reader(), "own") == 0 ? "it reads the socket itself: no ZeroMQ I/O thread in its path"
                                          : "a ZeroMQ SUB socket, OFTS_BENCH_WEB_READER=zmq");
    printf("raw ZeroMQ hop (same publisher, SUB + decode in this process): %.0f msgs/s\n", raw);
    printf("monitor without --web (same binary, same publisher, md.bbo.Z* shown): %.0f msgs/s as published; "
           "%.0f msgs/s draining %d queued hours\n", plain, plain_drained, DRAIN_HOURS);
    printf("monitor --web draining %d queued hours (stopped while they were published): %.0f msgs/s from let-go to "
           "the push that showed the last event; %.0f msgs/s between the first and last of the %d pushes inside the "
           "drain (its own rate, without the wait for the next push)\n", DRAIN_HOURS, web_drained, web_capacity,
           inside);
    printf("CPU per message while draining (/proc, 10 ms ticks): main thread %.2f us without --web, %.2f us with "
           "(%.0f / %.0f msgs/s with a core to itself); whole process %.2f / %.2f us\n", plain_cpu.main_us,
           web_cpu.main_us, plain_cpu.main_us > 0 ? 1e6 / plain_cpu.main_us : 0,
           web_cpu.main_us > 0 ? 1e6 / web_cpu.main_us : 0, plain_cpu.proc_us, web_cpu.proc_us);
    printf("  (the web monitor's drain: CLOCK_MONOTONIC %.6f .. %.6f s, e.g. perf record -k mono, report --time)\n",
           (double) drain_from / 1e9, (double) drain_to / 1e9);
    printf("the bench's signed publisher alone (the monitor stopped): %.0f msgs/s\n", pub_alone);
    printf("monitor --web, %d simulated hours as fast as published: %.0f msgs/s (published in %.2f s, the feed "
           "showed the last event %.2f s after the first publish)%s\n", FAST_HOURS, web,
           (double) (published - start) / 1e9, (double) (done - start) / 1e9, finished ? "" : ", NOT FINISHED");
    printf("monitor RSS (kB, caught up at each sample): at start %ld, after the fast hours %ld; then after each of "
           "%d more hours:", rss_start, rss_at_hour[0], HOURS);
    for (int h = 1; h <= HOURS; h++)
        printf(" %ld", rss_at_hour[h]);
    printf("\nmonitor heap in use (kB, malloc's own count as it trimmed after each hour):");
    for (int h = 1; h <= HOURS; h++)
        printf(" %ld", heap_at_hour[h]);
    printf("\n  growth over the last %d hours (hour 1 -> hour %d): RSS %+ld kB, heap in use %+ld kB; bus gaps %lld\n",
           HOURS - 1, HOURS, rss_at_hour[HOURS] - rss_at_hour[1], heap_at_hour[HOURS] - heap_at_hour[1], gaps_fast);
    //  One sample moves with what the rings hold at that instant (the
    //  updates kept for browsers: up to 2 MB): the halves' means show a trend.
    double half[2] = { 0, 0 };
    for (int h = 1; h <= HOURS; h++)
        half[h > HOURS / 2] += (double) heap_at_hour[h] / (HOURS / 2);
    printf("  heap in use, mean of hours 1-%d vs %d-%d: %.0f vs %.0f kB (%+.0f kB)\n", HOURS / 2, HOURS / 2 + 1, HOURS,
           half[0], half[1], half[1] - half[0]);
    printf("keeps up at %.0f msgs/s (%s) for %d s, the pre-encoded and pre-signed publisher, event time advancing "
           "as the wall clock (a real market at that rate): %s\n", keep_up_rate,
           rate_env && atof(rate_env) > 0 ? "OFTS_BENCH_RATE" : measured > 0 ? "bench-throughput's rate, this run"
                                                                             : "bench-throughput failed: old figure",
           KEEP_UP_SEC, head.line);
    printf("    %s\n", head.cpu);
    printf("  the same rate with 50-ms event steps (~%.1f market hours a second: each push carries a long stretch "
           "of heatmap and footprint - a stress case, not a market): %s\n",
           keep_up_rate / 2 * STEP_NS / 1e9 / 3600, squeezed.line);
    printf("    %s\n", squeezed.cpu);
    printf("  (that run: CLOCK_MONOTONIC %.6f .. %.6f s)\n", (double) head.from_ns / 1e9, (double) head.to_ns / 1e9);
    printf("  the highest rate it keeps up with (2-s trials, wall-paced event time, bisected; pass = the rate offered, "
           "0 gaps, at most %d ms behind the publisher at every push from %d ms on, the last event shown within "
           "%d ms):\n", KEEP_UP_BACKLOG_MS, 1000 / MAX_HZ, KEEP_UP_LAST_MS);
    for (int i = 0; i < RAMP_STEPS; i++)
        printf("    %.0f msgs/s: %s\n      %s\n", rates[i], ramp[i].line, ramp[i].cpu);
    printf("  -> kept up at %.0f msgs/s (%.2f x bench-throughput's rate)%s\n", lo, lo / keep_up_rate,
           lo > 0 ? "" : ": at no rate tried");
    printf("pushes per client: %ld..%ld, at most %.2f/s over the run (bound: %d/s)\n", min_u, max_u, max_rate,
           MAX_HZ);
    printf("as published: monitor --web %.0f vs without --web %.0f msgs/s (ratio %.2f), raw hop %.0f (ratio %.2f)\n",
           web, plain, plain > 0 ? web / plain : 0, raw, web / raw);
    printf("capacity vs the rate to keep up with: %.0f / %.0f msgs/s = %.2f (goal >= 1.30); kept up, paced: %.0f "
           "msgs/s = %.2f\n", capacity, keep_up_rate, capacity / keep_up_rate, lo, lo / keep_up_rate);
    printf("RESULT web_bus_md_msgs_per_sec %.0f msgs/s ratio=%.2f vs monitor_without_web\n", capacity,
           plain_drained > 0 ? capacity / plain_drained : 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    zsys_shutdown();
    return finished && gaps_fast == 0 && gaps_paced == 0 ? 0 : 1;
}
