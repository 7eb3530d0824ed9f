/*  bench-web-agg: the monitor's --web work per market-data message, with 10
    browsers' worth of WebSocket clients attached, against the monitor
    without --web. Both loops decode every message from its protobuf bytes
    (what the bus hands the monitor); the web loop also aggregates it and
    ticks the web view (updates at max_hz = 4) on the monitor's timer.
    One simulated hour of GC: a trade and a 10-level book update per step,
    event time advancing 50 ms a step (72 000 steps = 1 h, 144 000 msgs),
    replayed 10 times as fast as the loop goes. Reports msgs/s both ways, the update
    rate each client saw (bound: 4/s), and RSS after 10 and after 60
    simulated minutes (flat: every series is a fixed ring).

    In-process: no ZeroMQ hop (bench-throughput measures the bus); this
    isolates what --web adds.                                               */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench_util.h"
#include "ofts_clock.h"
#include "web.h"
#include "ws_client.h"

#define CLIENTS 10
#define STEPS 72000                 //  1 h at 50 ms
#define STEP_NS (50 * OFTS_NS_PER_MS)
#define T0 ((int64_t) 1764950400 * 1000000000LL)

typedef struct {
    uint8_t *data;
    size_t len;
} blob_t;

static blob_t *s_msgs;
static size_t s_nmsgs;

static void
s_add(Ofts__Envelope *env)
{
    size_t n = ofts__envelope__get_packed_size(env);
    s_msgs[s_nmsgs].data = malloc(n);
    s_msgs[s_nmsgs].len = ofts__envelope__pack(env, s_msgs[s_nmsgs].data);
    s_nmsgs++;
}

//  A random walk on GC's 0.10 tick, a trade and a book per step.
static void
s_generate(void)
{
    s_msgs = calloc(2 * STEPS, sizeof *s_msgs);
    int64_t mid = 2000LL * 1000000000LL, tick = 100000000LL;
    unsigned seed = 42;
    for (int i = 0; i < STEPS; i++) {
        int64_t t = T0 + (int64_t) i * STEP_NS;
        mid += ((int) (rand_r(&seed) % 3) - 1) * tick;
        Ofts__Header h = OFTS__HEADER__INIT;
        h.ts_event = t;
        Ofts__Trade tr = OFTS__TRADE__INIT;
        tr.symbol = "GC";
        tr.contract = "GCZ6";
        tr.price = mid + (rand_r(&seed) % 2) * tick;
        tr.size = 1 + rand_r(&seed) % 20;
        tr.aggressor = rand_r(&seed) % 2 ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
        Ofts__Envelope env = OFTS__ENVELOPE__INIT;
        env.header = &h;
        env.body_case = OFTS__ENVELOPE__BODY_TRADE;
        env.trade = &tr;
        s_add(&env);
        Ofts__Level lv[10], *lp[10];
        for (int k = 0; k < 10; k++) {
            Ofts__Level l = OFTS__LEVEL__INIT;
            l.bid_px = mid - k * tick;
            l.ask_px = mid + (k + 1) * tick;
            l.bid_sz = 5 + rand_r(&seed) % 100;
            l.ask_sz = 5 + rand_r(&seed) % 100;
            lv[k] = l;
            lp[k] = &lv[k];
        }
        Ofts__Depth d = OFTS__DEPTH__INIT;
        d.symbol = "GC";
        d.contract = "GCZ6";
        d.n_levels = 10;
        d.levels = lp;
        env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
        env.depth = &d;
        s_add(&env);
    }
}

//  Heap in use and heap held (all arenas), kB: RSS alone cannot tell a
//  leak from memory malloc keeps for reuse.
static void
s_heap_kb(long *in_use, long *held)
{
    struct mallinfo2 mi = mallinfo2();
    *in_use = (long) (mi.uordblks + mi.hblkhd) / 1024;
    *held = (long) (mi.arena + mi.hblkhd) / 1024;
}

typedef struct {
    ws_client_t *c;
    volatile bool *stop;
    long updates;
} reader_t;

static void *
s_reader(void *arg)
{
    reader_t *r = arg;
    while (!*r->stop) {
        char *m = ws_client_recv(r->c, 100);
        if (m && strstr(m, "\"type\":\"update\""))
            r->updates++;
        free(m);
    }
    return NULL;
}

#define PASSES 10                   //  the hour replayed 10 times: long enough to time

//  PASSES over the hour; web may be NULL (the baseline). Returns msgs/s.
static long s_use60, s_held60, s_bufs60;
static reader_t s_readers[CLIENTS];

//  What the 10 test clients hold for receiving, kB (in this process's heap).
static long
s_client_buffers_kb(void)
{
    size_t sum = 0;
    for (int i = 0; i < CLIENTS; i++)
        sum += s_readers[i].c ? ws_client_buffer_size(s_readers[i].c) : 0;
    return (long) (sum / 1024);
}

static double
s_run(web_t *web, long *rss10, long *rss60)
{
    int64_t start = ofts_clock_now_ns(), next_tick = start;
    volatile uint64_t sink = 0;
    for (size_t n = 0; n < PASSES * s_nmsgs; n++) {
        size_t i = n % s_nmsgs;
        Ofts__Envelope *env = ofts__envelope__unpack(NULL, s_msgs[i].len, s_msgs[i].data);
        sink += env->body_case;
        int64_t now = ofts_clock_now_ns();
        if (web) {
            web_on_message(web, "md.", env, now);
            if (now >= next_tick) {
                web_tick(web, now);
                next_tick = now + 125 * OFTS_NS_PER_MS;     //  the monitor's timer at max_hz 4
            }
        }
        ofts__envelope__free_unpacked(env, NULL);
        if (n == s_nmsgs / 6 && rss10)
            *rss10 = bench_rss_kb(0);
        if (n == s_nmsgs - 1 && rss60) {
            *rss60 = bench_rss_kb(0);
            s_heap_kb(&s_use60, &s_held60);
            s_bufs60 = s_client_buffers_kb();
        }
    }
    (void) sink;
    return (double) PASSES * s_nmsgs / ((double) (ofts_clock_now_ns() - start) / 1e9);
}

int
main(void)
{
    s_generate();
    double base = s_run(NULL, NULL, NULL);
    base = s_run(NULL, NULL, NULL);         //  warm
    web_config_t cfg;
    web_config_read(&cfg, NULL);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.config_path, sizeof cfg.config_path, "none");
    cfg.max_hz = 4;
    web_t *web = web_new(&cfg, NULL, NULL);
    if (!web)
        return 1;
    volatile bool stop = false;
    reader_t *readers = s_readers;
    pthread_t threads[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        readers[i] = (reader_t) { .c = ws_client_connect(web_port(web), "/", 5000, NULL), .stop = &stop };
        if (!readers[i].c)
            return 1;
        pthread_create(&threads[i], NULL, s_reader, &readers[i]);
    }
    long rss10 = 0, rss60 = 0, rss_end;
    int64_t start = ofts_clock_now_ns();
    double rate = s_run(web, &rss10, &rss60);
    double secs = (double) (ofts_clock_now_ns() - start) / 1e9;
    rss_end = bench_rss_kb(0);
    long use_end, held_end, bufs_end = s_client_buffers_kb();
    s_heap_kb(&use_end, &held_end);
    for (int64_t end = ofts_clock_now_ns() + 500 * OFTS_NS_PER_MS; ofts_clock_now_ns() < end;)
        web_tick(web, ofts_clock_now_ns());
    stop = true;
    long min_u = -1, max_u = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        ws_client_destroy(&readers[i].c);
        min_u = min_u < 0 || readers[i].updates < min_u ? readers[i].updates : min_u;
        max_u = readers[i].updates > max_u ? readers[i].updates : max_u;
    }
    web_destroy(&web);
    printf("messages: %zu (1 simulated hour of GC: trade + 10-level book every 50 ms), replayed %d times\n",
           s_nmsgs, PASSES);
    printf("monitor without --web (decode only): %.0f msgs/s\n", base);
    printf("monitor with --web, %d WebSocket clients: %.0f msgs/s over %.2f s\n", CLIENTS, rate, secs);
    printf("updates per client: %ld..%ld in %.2f s = at most %.2f/s (bound 4/s)\n", min_u, max_u, secs + 0.5,
           (double) max_u / (secs + 0.5));
    printf("RSS after 10 simulated minutes %ld kB, after 60 minutes %ld kB, after %d hours %ld kB\n", rss10, rss60,
           PASSES, rss_end);
    printf("heap in use after 60 minutes %ld kB, after %d hours %ld kB; held by malloc (all arenas) %ld kB, %ld kB; "
           "of the heap, the %d test clients' receive buffers %ld kB, %ld kB\n", s_use60, PASSES, use_end, s_held60,
           held_end, CLIENTS, s_bufs60, bufs_end);
    printf("RESULT web_md_msgs_per_sec %.0f msgs/s ratio=%.2f vs monitor_without_web\n", rate, rate / base);
    for (size_t i = 0; i < s_nmsgs; i++)
        free(s_msgs[i].data);
    free(s_msgs);
    return 0;
}
