/*  bench-recorder: what the flight recorder costs and whether it keeps up.

    1. Keeps up: the real ofts-recorder process (build/bin, next to this
       bench) records an ofts bus publisher sending md envelopes (Trade,
       TopOfBook, 10-level Depth in the proportions 1:2:2, about 200 bytes
       each) at the bench-throughput rate (343 k msgs/s, docs/benchmarks.md)
       and at twice that, for 1 s each. Passed when every message is in the
       recording, no gap record was written, and the recording stopped
       growing within 100 ms of the publisher's last message. Also: bytes
       per message on disk (frame, receive time and topic included).
    2. Its cost on tick-to-order: bench-pipeline's ofts chain (md publish ->
       analyzer -> risk -> order receipt, the real cores behind real buses;
       this file includes bench_pipeline.c for it), sampled in alternating
       blocks with the recorder process subscribed to all three publishers
       and without it (the process stopped and gone), so both see the same
       machine load. A third kind of block runs the recorder with other
       settings (argv[1], JSON members of the recorder section; default
       "nice":0, as before recorder.nice existed): what they change.
       RESULT: p99 with the recorder as configured by default (nice 10),
       and the ratio to p99 without it.                                   */
#define main bench_pipeline_main
#include "bench_pipeline.c"
#undef main
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "rec_scan.h"
#include "rec_writer.h"

//  bench_pipeline.c keeps at most MAX_ORDERS (4200) orders per chain: 3 x 4
//  blocks of 50 + 350 samples, plus the syncs, stay below it.
#define BLOCKS 4
#define BLOCK_SAMPLES 250

static char s_bin[1024];

static const char *s_kind2 = "\"nice\":0";

static pid_t
s_recorder_start(const char *dir, const char *eps[3], int nice)
{
    char cfg[600], rec[600], own[600];
    snprintf(cfg, sizeof cfg, "%s/recorder.json", dir);
    snprintf(rec, sizeof rec, "%s/rec", dir);
    snprintf(own, sizeof own, "ipc://%s/recorder.pub", dir);
    FILE *f = fopen(cfg, "w");
    fprintf(f, "{\"log\":{\"level\":\"warn\"},\"bus\":{\"endpoints\":{\"gateway-md\":{\"pub\":\"%s\"},", eps[0]);
    if (eps[1])
        fprintf(f, "\"analyzer\":{\"pub\":\"%s\"},\"risk\":{\"pub\":\"%s\"},", eps[1], eps[2]);
    char prio[64];
    snprintf(prio, sizeof prio, "\"nice\":%d", nice);
    fprintf(f, "\"recorder\":{\"pub\":\"%s\"}}},\"recorder\":{\"dir\":\"%s\",\"fsync\":\"interval\",%s}}\n",
            own, rec, nice < 0 ? s_kind2 : prio);
    fclose(f);
    char exe[1100];
    snprintf(exe, sizeof exe, "%s/ofts-recorder", s_bin);
    pid_t pid = fork();
    if (pid == 0) {
        execl(exe, exe, "--config", cfg, (char *) NULL);
        _exit(127);
    }
    return pid;
}

static void
s_recorder_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static uint64_t
s_rec_bytes(const char *dir)
{
    char rec[600];
    snprintf(rec, sizeof rec, "%s/rec", dir);
    return rec_dir_bytes(rec);
}

typedef struct {
    uint64_t messages, gaps, payload_bytes;
} s_count_t;

static int
s_count(void *arg, const char *path, const rec_record_t *rec)
{
    (void) path;
    s_count_t *c = arg;
    if (rec->type == REC_MESSAGE && rec->topic_len > 3 && memcmp(rec->topic, "md.", 3) == 0) {
        c->messages++;
        c->payload_bytes += rec->payload_len;
    }
    if (rec->type == REC_GAP)
        c->gaps++;
    return 0;
}

//  --- 1. keeps up -------------------------------------------------------------------

typedef struct {
    Ofts__Envelope env[3];
    Ofts__Trade trade;
    Ofts__TopOfBook bbo;
    Ofts__Depth depth;
    Ofts__Level levels[10], *plevels[10];
} s_md_t;

static void
s_md_init(s_md_t *m)
{
    ofts__trade__init(&m->trade);
    m->trade.symbol = "GC";
    m->trade.contract = "GCZ6";
    m->trade.instrument_id = 42140878;
    m->trade.price = PRICE;
    m->trade.size = 2;
    m->trade.aggressor = OFTS__SIDE__SIDE_BUY;
    ofts__top_of_book__init(&m->bbo);
    m->bbo.symbol = "GC";
    m->bbo.contract = "GCZ6";
    m->bbo.instrument_id = 42140878;
    m->bbo.bid_px = PRICE - 100000000;
    m->bbo.ask_px = PRICE;
    m->bbo.bid_sz = 12;
    m->bbo.ask_sz = 9;
    m->bbo.bid_ct = 4;
    m->bbo.ask_ct = 3;
    ofts__depth__init(&m->depth);
    m->depth.symbol = "GC";
    m->depth.contract = "GCZ6";
    m->depth.instrument_id = 42140878;
    for (int i = 0; i < 10; i++) {
        ofts__level__init(&m->levels[i]);
        m->levels[i].bid_px = PRICE - (i + 1) * 100000000LL;
        m->levels[i].ask_px = PRICE + i * 100000000LL;
        m->levels[i].bid_sz = (uint32_t) (5 + i);
        m->levels[i].ask_sz = (uint32_t) (7 + i);
        m->levels[i].bid_ct = 2;
        m->levels[i].ask_ct = 3;
        m->plevels[i] = &m->levels[i];
    }
    m->depth.n_levels = 10;
    m->depth.levels = m->plevels;
    for (int i = 0; i < 3; i++)
        ofts__envelope__init(&m->env[i]);
    m->env[0].body_case = OFTS__ENVELOPE__BODY_TRADE;
    m->env[0].trade = &m->trade;
    m->env[1].body_case = OFTS__ENVELOPE__BODY_BBO;
    m->env[1].bbo = &m->bbo;
    m->env[2].body_case = OFTS__ENVELOPE__BODY_DEPTH;
    m->env[2].depth = &m->depth;
}

//  Publish at `rate` for 1 s; true when the recorder kept up. *bytes_per_msg out.
static bool
s_keep_up(const char *dir, double rate, double *bytes_per_msg, double *lag_ms, uint64_t *sent_out, uint64_t *gaps_out)
{
    char ep[600];
    snprintf(ep, sizeof ep, "ipc://%s/md.pub", dir);
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    ofts_bus_set_hwm(bus, 1000000);
    *bytes_per_msg = *lag_ms = 0;
    *sent_out = *gaps_out = 0;
    if (ofts_bus_bind(bus, ep) != 0)
        return false;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s/rec", dir);
    if (system(cmd) != 0)
        return false;
    const char *eps[3] = { ep, NULL, NULL };
    pid_t rec = s_recorder_start(dir, eps, 10);
    //  Until it records: a few messages on a warm-up topic.
    s_md_t m;
    s_md_init(&m);
    for (int i = 0; i < 500 && s_rec_bytes(dir) < 4096; i++) {
        ofts_bus_publish(bus, "sys.warmup.", &m.env[0]);
        zclock_sleep(10);
    }
    static const char *topics[3] = { "md.trade.GC.", "md.bbo.GC.", "md.book.GC." };
    static const int kind[5] = { 0, 1, 2, 1, 2 };
    uint64_t n = (uint64_t) rate, sent = 0;
    int64_t t0 = ofts_clock_mono_ns();
    for (uint64_t i = 0; i < n; i++) {
        int k = kind[i % 5];
        m.trade.price = PRICE + (int64_t) (i % 50) * 100000000LL;
        ofts_bus_publish_ts(bus, topics[k], &m.env[k], (int64_t) i, (int64_t) i);
        sent++;
        if ((i & 255) == 255) {         //  pace: sleep to the schedule, never spin
            int64_t due = t0 + (int64_t) ((double) i * 1e9 / rate), now = ofts_clock_mono_ns();
            if (due > now + 20000) {
                struct timespec ts = { 0, due - now };
                nanosleep(&ts, NULL);
            }
        }
    }
    int64_t end = ofts_clock_mono_ns();
    //  When did the recording stop growing?
    uint64_t last = s_rec_bytes(dir);
    int64_t last_growth = end;
    while (ofts_clock_mono_ns() - last_growth < 300 * OFTS_NS_PER_MS) {
        zclock_sleep(2);
        uint64_t now = s_rec_bytes(dir);
        if (now != last) {
            last = now;
            last_growth = ofts_clock_mono_ns();
        }
    }
    s_recorder_stop(rec);
    ofts_bus_destroy(&bus);
    char recdir[600];
    snprintf(recdir, sizeof recdir, "%s/rec", dir);
    char *dirs[1] = { recdir };
    char **paths;
    size_t np = rec_expand(1, dirs, &paths);
    s_count_t c = { 0 };
    rec_scan(paths, np, NULL, s_count, &c, NULL);
    rec_free_list(&paths, np);
    *lag_ms = (double) (last_growth - end) / 1e6;
    *bytes_per_msg = c.messages ? (double) (s_rec_bytes(dir) - REC_HEADER_SIZE) / (double) c.messages : 0;
    *sent_out = sent;
    *gaps_out = c.gaps;
    printf("  %7.0f msgs/s for 1 s: sent %llu, recorded %llu, gap records %llu, recording settled %.1f ms after "
           "the last publish, %.1f bytes/msg on disk (envelope %.1f)\n", rate, (unsigned long long) sent,
           (unsigned long long) c.messages, (unsigned long long) c.gaps, *lag_ms, *bytes_per_msg,
           c.messages ? (double) c.payload_bytes / (double) c.messages : 0);
    return c.messages == sent && c.gaps == 0 && *lag_ms <= 100;
}

//  --- 2. tick-to-order with and without ------------------------------------------------

static void
s_percentiles_n(int64_t *samples, size_t n, int64_t out[3])
{
    out[0] = bench_percentile(samples, n, 0.50);
    out[1] = bench_percentile(samples, n, 0.99);
    out[2] = bench_percentile(samples, n, 0.999);
}

static int
s_cost(const char *dir, int64_t with[3], int64_t without[3], int64_t nice0[3])
{
    char base[600];
    snprintf(base, sizeof base, "ipc://%s/p", dir);
    chain_t *o = calloc(1, sizeof *o);
    int rc = s_ofts_start(o, base);
    if (rc == 0)
        rc = s_sync(o);
    const char *eps[3];
    char epbuf[3][300];
    for (int i = 0; i < 3; i++) {
        snprintf(epbuf[i], sizeof epbuf[i], "%s", zsock_endpoint(ofts_bus_pub_sock(o->bus[i])));
        eps[i] = epbuf[i];
    }
    //  Three kinds of block in turn: the recorder as configured (nice 10),
    //  no recorder, the recorder at nice 0.
    int64_t *samples[3];
    size_t ns[3] = { 0 };
    for (int k = 0; k < 3; k++)
        samples[k] = calloc(BLOCKS * BLOCK_SAMPLES, sizeof *samples[k]);
    int lost = 0;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s/rec", dir);     //  a fresh recording: nothing to recover at each start
    if (system(cmd) != 0)
        rc = -1;
    for (int b = 0; rc == 0 && b < 3 * BLOCKS; b++) {
        int kind = b % 3;
        bool recording = kind != 1;
        pid_t rec = 0;
        if (recording) {
            rec = s_recorder_start(dir, eps, kind == 0 ? 10 : -1);
            for (int i = 0; i < 300 && s_rec_bytes(dir) < 2048; i++)
                s_sample(o, 2000, true);        //  until it records (these samples are not kept)
        }
        for (int s = 0; rc == 0 && s < 50 + BLOCK_SAMPLES; s++) {
            int64_t t = s_sample(o, 2000, true);
            if (t < 0 && ++lost > 20)
                rc = -1;
            else if (t >= 0 && s >= 50)
                samples[kind][ns[kind]++] = t;
        }
        if (rec)
            s_recorder_stop(rec);
    }
    if (lost)
        fprintf(stderr, "bench-recorder: %d samples without an order within 2 s (left out)\n", lost);
    if (rc != 0)
        fprintf(stderr, "bench-recorder: chain %s\n", ns[0] + ns[1] ? "lost too many samples" : "never answered");
    if (rc == 0) {
        s_percentiles_n(samples[0], ns[0], with);
        s_percentiles_n(samples[1], ns[1], without);
        s_percentiles_n(samples[2], ns[2], nice0);
    }
    for (int k = 0; k < 3; k++)
        free(samples[k]);
    s_chain_stop(o);
    free(o);
    return rc;
}

int
main(int argc, char **argv)
{
    if (argc > 1)
        s_kind2 = argv[1];          //  the third kind's recorder settings (JSON members)
    ofts_log_init("bench-recorder", OFTS_LOG_ERROR);
    if (bench_bin_dir(s_bin, sizeof s_bin) != 0)
        return 1;
    char dir[] = "/tmp/ofts-bench-recorder-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    signal(SIGPIPE, SIG_IGN);
    printf("recorder keeps up (real ofts-recorder process, fsync interval, ipc://):\n");
    bool ok = true;
    double bpm = 0, lag = 0;
    uint64_t sent = 0, gaps = 0;
    const double rates[2] = { 343480, 686960 };
    for (int i = 0; i < 2; i++) {
        double b = 0, l = 0;
        uint64_t s = 0, g = 0;
        bool pass = s_keep_up(dir, rates[i], &b, &l, &s, &g);
        printf("    -> %s\n", pass ? "kept up, zero gaps" : "FELL BEHIND or lost messages");
        if (i == 0) {
            ok = pass;
            bpm = b;
            lag = l;
            sent = s;
            gaps = g;
        }
    }
    int64_t with[3] = { 0 }, without[3] = { 0 }, nice0[3] = { 0 };
    int rc = s_cost(dir, with, without, nice0);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = 1;
    zsys_shutdown();
    if (rc != 0) {
        fprintf(stderr, "bench-recorder: the pipeline did not answer\n");
        return 1;
    }
    printf("tick-to-order (bench-pipeline's ofts chain, ipc), %d blocks of %d samples of each kind, in turn (ns):\n",
           BLOCKS, BLOCK_SAMPLES);
    printf("  without recorder    p50 %7lld  p99 %7lld  p99.9 %7lld\n", (long long) without[0],
           (long long) without[1], (long long) without[2]);
    printf("  with recorder (10)  p50 %7lld  p99 %7lld  p99.9 %7lld\n", (long long) with[0], (long long) with[1],
           (long long) with[2]);
    printf("  ratio               p50 %7.2f  p99 %7.2f  p99.9 %7.2f\n", (double) with[0] / (double) without[0],
           (double) with[1] / (double) without[1], (double) with[2] / (double) without[2]);
    printf("  recorder {%s}: p50 %lld  p99 %lld  p99.9 %lld  (ratio p50 %.2f, p99 %.2f)\n", s_kind2,
           (long long) nice0[0], (long long) nice0[1], (long long) nice0[2], (double) nice0[0] / (double) without[0],
           (double) nice0[1] / (double) without[1]);
    printf("recorder at %.0f msgs/s: %s (%llu sent, %llu gap records, settled %.1f ms after), %.1f bytes/msg on disk\n",
           rates[0], ok ? "kept up" : "FELL BEHIND", (unsigned long long) sent, (unsigned long long) gaps, lag, bpm);
    printf("RESULT recorder_tick_to_order_p99 %lld ns ratio=%.2f vs no_recorder\n", (long long) with[1],
           (double) with[1] / (double) without[1]);
    return ok ? 0 : 1;
}
