/*  bench-recorder: what the flight recorder costs and whether it keeps up.

    1. Keeps up: the real ofts-recorder process (build/bin, next to this
       bench) records an ofts bus publisher named gateway-md (signed)
       sending md envelopes (Trade, TopOfBook, 10-level Depth in the
       proportions 1:2:2, about 175 bytes each). The target rate is
       bench-throughput's, measured in the same run by running
       bench-throughput (or its best recorded figure, 463880 msgs/s, when
       that is higher). The keep-up runs are offered by a pre-signed
       publisher (bench_presigned.h): every message packed and signed
       ahead, exactly as the bus sends it (the recorder checks every MAC
       as usual), only sent while the clock runs - the question is whether
       the recorder keeps up, and a publisher packing and signing live
       beside it on these 2 cores cannot offer the rate (its ZeroMQ I/O
       thread, the recorder's two checking threads and it share them).
       Runs: 1 s at 343480 (the first sessions' rate), 1 s at the target,
       5 s at the target with the bus's own HWM (200000: falling behind
       for 5 s would lose messages) - THE keep-up run -, 1 s at twice the
       target, 5 s at the target by the live-encoding bus publisher (what a
       gateway-md sharing the box offers: printed, not judged), and the
       drain capacity: 500000 messages queued while the recorder is
       stopped (SIGSTOP), then let go (SIGCONT) - messages / time until
       all are on disk (the recording quiet for 1 s). A keep-up run passes
       when the publisher offered >= 98 % of the rate, every message is in
       the recording, no gap record was written, and the recording stopped
       growing within 100 ms of the last publish (polled every 2 ms); a
       capacity run when every message is in the recording, no gap record.
       Also: the rate offered, bytes per message on disk.
    2. Its cost on tick-to-order: bench-pipeline's ofts chain (md publish ->
       analyzer -> risk -> order receipt, the real cores behind real buses;
       this file includes bench_pipeline.c for it): three such chains
       sampled in turn, one of them recorded; the two others are "without"
       twice over, the method's noise floor. Every third block the
       recorder is stopped: what the publishers' second pipe costs.
       RESULT: pooled p99 with the recorder and its ratio to without.

    Usage: bench-recorder [SETTINGS [BLOCKS [RATE]]]: SETTINGS = JSON members
    added to the recorder section (e.g. '"idle":false'), BLOCKS of 200 turns
    (120; 0 = the keep-up part only), RATE instead of running
    bench-throughput. RESULT lines: recorder_drain_capacity (ratio to the
    target rate) and recorder_tick_to_order_p99 (ratio to without). */
#define MAX_ORDERS 20000          //  per chain (new ones every CHAIN_BLOCKS blocks)
#define main bench_pipeline_main
#include "bench_pipeline.c"
#include "ofts_trust.h"
#include "bench_presigned.h"
#undef main
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "rec_scan.h"
#include "rec_writer.h"

static char s_bin[1024];

static bool s_keep_up_only;             //  BLOCKS 0: the keep-up part only
static const char *s_settings = "";   //  JSON members for the recorder section
static char s_secret[600];              //  the bus secret file, shared with the recorder

static pid_t
s_recorder_start(const char *dir, const char *eps[3])
{
    char cfg[600], rec[600], own[600];
    snprintf(cfg, sizeof cfg, "%s/recorder.json", dir);
    snprintf(rec, sizeof rec, "%s/rec", dir);
    snprintf(own, sizeof own, "ipc://%s/recorder.pub", dir);
    FILE *f = fopen(cfg, "w");
    fprintf(f, "{\"log\":{\"level\":\"error\"},\"bus\":{\"secret_file\":\"%s\",\"endpoints\":{\"gateway-md\":{\"pub\":\"%s\"},",
            s_secret, eps[0]);
    if (eps[1])
        fprintf(f, "\"analyzer\":{\"pub\":\"%s\"},\"risk\":{\"pub\":\"%s\"},", eps[1], eps[2]);
    fprintf(f, "\"recorder\":{\"pub\":\"%s\"}}},\"recorder\":{\"dir\":\"%s\",\"fsync\":\"interval\"%s%s}}\n",
            own, rec, s_settings[0] ? "," : "", s_settings);
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
    kill(pid, SIGCONT);             //  in case a frozen block was cut short
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

//  Times scheduled in, CPU ns and ns waited on a run queue of each thread
//  of pid (schedstat), by thread name (comm: the recorder's threads,
//  ZMQbg/IO/0, ...).
#define NAMES 8
typedef struct {
    char name[NAMES][20];
    uint64_t ticks[NAMES], cpu_ns[NAMES], wait_ns[NAMES];
} s_sched_t;

typedef struct {
    pid_t pid;
    s_sched_t *out;
} s_sched_walk_t;

static void
s_sched_thread(void *arg, pid_t tid, const char *comm)
{
    s_sched_walk_t *w = arg;
    s_sched_t *out = w->out;
    char p[128];
    snprintf(p, sizeof p, "/proc/%d/task/%d/schedstat", (int) w->pid, (int) tid);
    FILE *f = fopen(p, "r");
    unsigned long long run = 0, wait = 0, slices = 0;
    int i = 0;
    while (i < NAMES - 1 && out->name[i][0] && strcmp(out->name[i], comm) != 0)
        i++;
    snprintf(out->name[i], sizeof out->name[i], "%s", comm);
    if (f && fscanf(f, "%llu %llu %llu", &run, &wait, &slices) == 3) {
        out->cpu_ns[i] += run;
        out->wait_ns[i] += wait;
        out->ticks[i] += slices;
    }
    if (f)
        fclose(f);
}

static void
s_proc_sched(pid_t pid, s_sched_t *out)
{
    memset(out, 0, sizeof *out);
    s_sched_walk_t w = { pid, out };
    bench_each_thread(pid, s_sched_thread, &w);
}

//  acc += b - a, by name.
static void
s_sched_add(s_sched_t *acc, const s_sched_t *a, const s_sched_t *b)
{
    for (int j = 0; j < NAMES && b->name[j][0]; j++) {
        int i = 0, k = 0;
        while (k < NAMES && a->name[k][0] && strcmp(a->name[k], b->name[j]) != 0)
            k++;
        while (i < NAMES - 1 && acc->name[i][0] && strcmp(acc->name[i], b->name[j]) != 0)
            i++;
        snprintf(acc->name[i], sizeof acc->name[i], "%s", b->name[j]);
        bool had = k < NAMES && strcmp(a->name[k], b->name[j]) == 0;
        acc->ticks[i] += b->ticks[j] - (had ? a->ticks[k] : 0);
        acc->cpu_ns[i] += b->cpu_ns[j] - (had ? a->cpu_ns[k] : 0);
        acc->wait_ns[i] += b->wait_ns[j] - (had ? a->wait_ns[k] : 0);
    }
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

typedef struct {
    double rate, seconds;
    int hwm;                            //  the publisher's send HWM
    bool live;                          //  the bus publisher, packing and signing each message as it goes
    bool stopped;                       //  capacity: publish with the recorder stopped, then let it go
} s_run_t;

typedef struct {
    uint64_t sent, recorded, gaps;
    double offered;                     //  the rate the publisher achieved (msgs/s)
    double lag_ms;                      //  when the recording stopped growing, after the last publish (SIGCONT)
    double drain_rate;                  //  recorded / (settled - first publish or SIGCONT)
    double bytes_per_msg, envelope;     //  on disk, and the envelope alone
    bool offered_ok;                    //  >= 98 % of the rate (a capacity run: always)
    bool recorded_all;                  //  every message recorded, no gap record
    bool pass;                          //  offered, recorded all, settled within 100 ms (capacity: recorded all)
    s_sched_t rec, pub;                 //  the recorder's and the publisher's threads, first publish to settled
} s_result_t;

static const char *s_topics[3] = { "md.trade.GC.", "md.bbo.GC.", "md.book.GC." };
static const int s_kind[5] = { 0, 1, 2, 1, 2 };

static void
s_md_message(s_md_t *m, uint64_t i, int *k)
{
    *k = s_kind[i % 5];
    m->trade.price = PRICE + (int64_t) (i % 50) * 100000000LL;
}

//  The live publisher: n messages packed and signed one by one by the bus,
//  paced to rate (0: as fast as it goes). The rate achieved.
static double
s_publish_live(ofts_bus_t *bus, s_md_t *m, uint64_t n, double rate)
{
    int64_t t0 = ofts_clock_mono_ns();
    for (uint64_t i = 0; i < n; i++) {
        int k;
        s_md_message(m, i, &k);
        ofts_bus_publish_ts(bus, s_topics[k], &m->env[k], (int64_t) i, (int64_t) i);
        if (rate > 0 && (i & 255) == 255)
            bench_pace(t0, i, rate);
    }
    return (double) n / ((double) (ofts_clock_mono_ns() - t0) / 1e9);
}

//  The same n messages, packed and signed ahead as bus would send them
//  next (its seq goes on from the warm-up's; each md topic's starts at 1).
static bench_presigned_t *
s_presign(ofts_bus_t *bus, s_md_t *m, uint64_t n)
{
    bench_presigned_t *e = bench_presigned_new(ofts_bus_service(bus), ofts_bus_epoch(bus),
                                               ofts_trust_process_secret());
    uint64_t seq = ofts_bus_seq(bus), topic_seq[3] = { 0 };
    for (uint64_t i = 0; i < n; i++) {
        int k;
        s_md_message(m, i, &k);
        bench_presigned_add(e, s_topics[k], &m->env[k], ++seq, ++topic_seq[k], (int64_t) i, (int64_t) i);
    }
    return e;
}

//  When the recording stopped growing: quiet for quiet_ms, counted from
//  `from` - or, when it must grow first (a capacity run: the recorder may
//  take a moment to be scheduled after SIGCONT), from its first growth
//  (at most 10 s).
static int64_t
s_settled(const char *dir, int64_t from, int quiet_ms, bool must_grow)
{
    uint64_t last = s_rec_bytes(dir);
    int64_t last_growth = from;
    bool grew = !must_grow;
    while (true) {
        int64_t now = ofts_clock_mono_ns();
        if (now - last_growth >= quiet_ms * OFTS_NS_PER_MS && (grew || now - from > 10 * OFTS_NS_PER_SEC))
            return last_growth;
        zclock_sleep(2);
        uint64_t bytes = s_rec_bytes(dir);
        if (bytes != last) {
            last = bytes;
            last_growth = ofts_clock_mono_ns();
            grew = true;
        }
    }
}

//  Each thread's CPU per message and its wait for a CPU (runnable, not
//  running): where the 2 cores went during the run.
static void
s_print_sched(const char *who, const s_sched_t *s, uint64_t messages)
{
    printf(" %s:", who);
    for (int i = 0; i < NAMES && s->name[i][0]; i++)
        if (s->cpu_ns[i] > 1000000)
            printf(" %s %.2f us/msg, waited %.0f ms;", s->name[i],
                   messages ? (double) s->cpu_ns[i] / 1e3 / (double) messages : 0, (double) s->wait_ns[i] / 1e6);
}

static void
s_print_cpu(const s_result_t *r)
{
    printf("    CPU (first publish to settled; threads with more than 1 ms):");
    s_print_sched("recorder", &r->rec, r->recorded);
    s_print_sched("publisher", &r->pub, r->sent);
    printf("\n");
}

static void
s_print_result(const s_run_t *run, const s_result_t *r)
{

    if (run->stopped) {
        printf("  capacity: %llu messages queued while the recorder was stopped (pre-signed publisher, HWM %d),"
               " recorded %llu, gap records %llu, all on disk %.1f ms after SIGCONT: drains %.0f msgs/s\n"
               "    -> %s\n", (unsigned long long) r->sent, run->hwm, (unsigned long long) r->recorded,
               (unsigned long long) r->gaps, r->lag_ms, r->drain_rate,
               r->pass ? "recorded all, zero gaps" : "LOST MESSAGES");
        s_print_cpu(r);
        return;
    }
    printf("  %7.0f msgs/s for %.0f s, %s publisher (HWM %d), offered %.0f msgs/s (%.1f %%): sent %llu, recorded"
           " %llu, gap records %llu, recording settled %.1f ms after the last publish (%.0f msgs/s from first"
           " publish to settled), %.1f bytes/msg on disk (envelope %.1f)\n", run->rate, run->seconds,
           run->live ? "LIVE-ENCODING" : "pre-signed", run->hwm, r->offered, 100 * r->offered / run->rate,
           (unsigned long long) r->sent, (unsigned long long) r->recorded, (unsigned long long) r->gaps, r->lag_ms,
           r->drain_rate, r->bytes_per_msg, r->envelope);
    printf("    -> %s\n", r->pass ? "offered, kept up, zero gaps"
                        : !r->recorded_all ? "LOST MESSAGES (gaps)"
                        : r->lag_ms > 100 ? "FELL BEHIND (settled late)"
                        : "NOT OFFERED: the publisher fell short of 98 % of the rate (the recorder kept up with"
                          " what it was offered)");
    s_print_cpu(r);
}

//  One run (see s_run_t and s_result_t).
static s_result_t
s_keep_up(const char *dir, const s_run_t *run)
{
    s_result_t r = { 0 };
    char ep[600];
    snprintf(ep, sizeof ep, "ipc://%s/md.pub", dir);
    ofts_bus_t *bus = ofts_bus_new("gateway-md");
    ofts_bus_set_secret(bus, ofts_trust_process_secret());
    ofts_bus_set_hwm(bus, run->hwm);
    if (ofts_bus_bind(bus, ep) != 0)
        return r;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s/rec", dir);
    if (system(cmd) != 0)
        return r;
    const char *eps[3] = { ep, NULL, NULL };
    pid_t rec = s_recorder_start(dir, eps);
    //  Until it records: a few messages on a warm-up topic.
    s_md_t m;
    s_md_init(&m);
    for (int i = 0; i < 500 && s_rec_bytes(dir) < 4096; i++) {
        ofts_bus_publish(bus, "sys.warmup.", &m.env[0]);
        zclock_sleep(10);
    }
    r.sent = (uint64_t) (run->rate * run->seconds);
    bench_presigned_t *pre = run->live ? NULL : s_presign(bus, &m, r.sent);
    void *pub = zsock_resolve(ofts_bus_pub_sock(bus));
    if (run->stopped)
        kill(rec, SIGSTOP);
    s_sched_t rec0, pub0, rec1, pub1;
    s_proc_sched(rec, &rec0);
    s_proc_sched(getpid(), &pub0);
    int64_t t0 = ofts_clock_mono_ns();
    double rate = run->stopped ? 0 : run->rate;
    r.offered = pre ? bench_presigned_send_all(pre, pub, rate) : s_publish_live(bus, &m, r.sent, rate);
    if (run->stopped) {
        zclock_sleep(200);              //  the publisher's I/O thread fills the socket
        t0 = ofts_clock_mono_ns();
        kill(rec, SIGCONT);
    }
    int64_t end = run->stopped ? t0 : ofts_clock_mono_ns();
    int64_t last_growth = s_settled(dir, end, run->stopped ? 1000 : 300, run->stopped);
    s_proc_sched(rec, &rec1);
    s_proc_sched(getpid(), &pub1);
    s_sched_add(&r.rec, &rec0, &rec1);
    s_sched_add(&r.pub, &pub0, &pub1);
    s_recorder_stop(rec);
    ofts_bus_destroy(&bus);
    bench_presigned_destroy(&pre);
    char recdir[600];
    snprintf(recdir, sizeof recdir, "%s/rec", dir);
    char *dirs[1] = { recdir };
    char **paths;
    size_t np = rec_expand(1, dirs, &paths);
    s_count_t c = { 0 };
    rec_scan(paths, np, NULL, s_count, &c, NULL);
    rec_free_list(&paths, np);
    r.recorded = c.messages;
    r.gaps = c.gaps;
    r.lag_ms = (double) (last_growth - end) / 1e6;
    r.drain_rate = (double) c.messages / ((double) (last_growth - t0) / 1e9);
    r.bytes_per_msg = c.messages ? (double) (s_rec_bytes(dir) - REC_HEADER_SIZE) / (double) c.messages : 0;
    r.envelope = c.messages ? (double) c.payload_bytes / (double) c.messages : 0;
    r.offered_ok = run->stopped || r.offered >= 0.98 * run->rate;
    r.recorded_all = c.messages == r.sent && c.gaps == 0;
    r.pass = r.recorded_all && (run->stopped || (r.offered_ok && r.lag_ms <= 100));
    s_print_result(run, &r);
    return r;
}

#define BEST_THROUGHPUT 463880.0         //  bench-throughput's best signed ipc run here (docs/benchmarks.md)

//  bench-throughput's signed ipc rate, measured now by running it (next to
//  this bench). BEST_THROUGHPUT if it cannot be run.
static double
s_throughput_rate(void)
{
    char cmd[1200], line[512];
    snprintf(cmd, sizeof cmd, "%s/bench-throughput", s_bin);
    double rate = 0;
    FILE *p = popen(cmd, "r");
    while (p && fgets(line, sizeof line, p)) {
        printf("  [bench-throughput] %s", line);
        if (strncmp(line, "RESULT pipeline_md_throughput ", 30) == 0)
            rate = atof(line + 30);
    }
    if (p)
        pclose(p);
    if (rate <= 0) {
        printf("  bench-throughput could not be run: its best figure here, %.0f msgs/s, is used\n", BEST_THROUGHPUT);
        rate = BEST_THROUGHPUT;
    }
    fflush(stdout);
    return rate;
}

//  --- 2. tick-to-order with and without ------------------------------------------------
//
//  The noise on a shared 2-core machine comes in bursts (another build, a
//  test suite) that last from milliseconds to minutes, so the kinds are
//  interleaved sample by sample, not block by block: three identical
//  chains run at once and take their samples in turn (the order rotated
//  at each turn), 0.5 ms apart. The recorder (one process, all along)
//  is connected to one of them only: each of that chain's publishers binds
//  a second endpoint that only the recorder connects to, so its publishers
//  fan every message out to it as in production. Kinds:
//    0 with       the recorded chain, the recorder running
//    1 without    a chain the recorder never connects to
//    2 without'   the third chain, also without: the method's noise floor
//                 (2 against 1 differs by nothing but chance)
//    3 frozen     the recorded chain while the recorder is stopped
//                 (SIGSTOP, every third block): what the publishers'
//                 second pipe costs without the recorder's CPU
//  Which chain is recorded rotates with each generation of chains (new
//  chains every CHAIN_BLOCKS blocks: their market time must stay inside
//  the trading hours, 2 s a sample from 08:30 CT, entries until 15:00).

enum { K_WITH, K_WITHOUT, K_NULL, K_FROZEN, KINDS };
static const char *s_kind_name[KINDS] = { "with recorder", "without", "without (null)", "frozen (fan-out)" };

#define BLOCK_TURNS 200                 //  turns (one sample of each chain) per block
#define CHAIN_BLOCKS 40                 //  8000 samples per chain: 4.4 h of market time
#define SAMPLE_GAP_US 500
static int s_blocks = 120;

typedef struct {
    char dir[600], rec_eps[3][300];
    chain_t *o[3];
    int recorded;                       //  which chain
    pid_t rec;
    int64_t *samples[KINDS];            //  [block * BLOCK_TURNS + i]
    int *count[KINDS];                  //  [block]
    s_sched_t rec_sched;                //  the recorder's scheduling in running blocks
    int lost;                           //  samples without an order within 2 s (taken again)
} s_ab_t;

//  Until the recording has not grown for 30 ms (at most 3 s).
static void
s_settle(const char *dir)
{
    uint64_t last = s_rec_bytes(dir);
    int64_t since = ofts_clock_mono_ns(), start = since;
    while (ofts_clock_mono_ns() - since < 30 * OFTS_NS_PER_MS && ofts_clock_mono_ns() - start < 3 * OFTS_NS_PER_SEC) {
        zclock_sleep(5);
        uint64_t now = s_rec_bytes(dir);
        if (now != last) {
            last = now;
            since = ofts_clock_mono_ns();
        }
    }
}

static void
s_chains_down(s_ab_t *ab)
{
    for (int c = 0; c < 3; c++)
        if (ab->o[c]) {
            s_chain_stop(ab->o[c]);     //  closes the recorder's endpoints with the sockets
            free(ab->o[c]);
            ab->o[c] = NULL;
        }
    s_settle(ab->dir);
}

//  Three new chains; the recorder connected to chain `recorded`. 0 or -1.
static int
s_chains_up(s_ab_t *ab, int recorded)
{
    static int generation;
    int rc = 0;
    for (int c = 0; rc == 0 && c < 3; c++) {
        char base[600];
        snprintf(base, sizeof base, "ipc://%s/g%dc%d", ab->dir, generation, c);
        ab->o[c] = calloc(1, sizeof *ab->o[c]);
        rc = s_ofts_start(ab->o[c], base);
        if (rc == 0)
            rc = s_sync(ab->o[c]);
    }
    generation++;
    ab->recorded = recorded;
    for (int i = 0; rc == 0 && i < 3; i++)
        if (zsock_bind(ofts_bus_pub_sock(ab->o[recorded]->bus[i]), "%s", ab->rec_eps[i]) < 0) {
            fprintf(stderr, "bench-recorder: bind %s: %s\n", ab->rec_eps[i], zmq_strerror(zmq_errno()));
            rc = -1;
        }
    //  Until it records (it retries its connects every 100 ms).
    uint64_t before = s_rec_bytes(ab->dir);
    for (int i = 0; rc == 0 && i < 500 && s_rec_bytes(ab->dir) == before; i++)
        s_sample(ab->o[recorded], 2000, true);
    if (rc == 0 && s_rec_bytes(ab->dir) == before) {
        fprintf(stderr, "bench-recorder: the recorder did not connect\n");
        rc = -1;
    }
    for (int i = 0; rc == 0 && i < 20; i++)     //  settle every chain after the switch
        for (int c = 0; c < 3; c++)
            s_sample(ab->o[c], 2000, true);
    return rc;
}

//  One block: BLOCK_TURNS turns of one sample per chain. 0 or -1.
static int
s_block(s_ab_t *ab, int block)
{
    bool frozen = block % 3 == 2;
    if (frozen) {
        s_settle(ab->dir);
        kill(ab->rec, SIGSTOP);
    }
    s_sched_t sched0, sched1;
    s_proc_sched(ab->rec, &sched0);
    int rc = 0;
    for (int t = 0; rc == 0 && t < BLOCK_TURNS; t++)
        for (int j = 0; rc == 0 && j < 3; j++) {
            int c = (t + j) % 3;
            int kind = c == ab->recorded ? (frozen ? K_FROZEN : K_WITH)
                     : c == (ab->recorded + 1) % 3 ? K_WITHOUT : K_NULL;
            int64_t s = s_sample(ab->o[c], 2000, true);
            if (s < 0 && ++ab->lost > 20)
                rc = -1;
            else if (s >= 0)
                ab->samples[kind][(size_t) block * BLOCK_TURNS + (size_t) ab->count[kind][block]++] = s;
            s_pause_us(SAMPLE_GAP_US);
        }
    if (frozen)
        kill(ab->rec, SIGCONT);
    s_proc_sched(ab->rec, &sched1);
    if (!frozen)
        s_sched_add(&ab->rec_sched, &sched0, &sched1);
    if (frozen)
        s_settle(ab->dir);          //  it drains its queue now, before the next block
    return rc;
}

//  p-quantile of one kind's samples in the given blocks, pooled.
static int64_t
s_pooled(const s_ab_t *ab, int kind, const int *blocks, int nb, double q, int64_t *scratch)
{
    size_t n = 0;
    for (int b = 0; b < nb; b++) {
        size_t m = (size_t) ab->count[kind][blocks[b]];
        memcpy(scratch + n, ab->samples[kind] + (size_t) blocks[b] * BLOCK_TURNS, m * sizeof *scratch);
        n += m;
    }
    return bench_percentile(scratch, n, q);
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

typedef struct {
    size_t n[KINDS];
    int64_t q[KINDS][3];                //  pooled p50, p99, p99.9
    double boot[KINDS][2];              //  95% interval of the pooled p99 ratio to without (blocks resampled)
    double blk_med[KINDS], blk_min[KINDS], blk_max[KINDS];      //  per-block p99 ratios
} s_stats_t;

static void
s_statistics(const s_ab_t *ab, s_stats_t *st)
{
    int nb = s_blocks;
    int *all = calloc((size_t) nb, sizeof *all), *pick = calloc((size_t) nb, sizeof *pick);
    int64_t *scratch = calloc((size_t) nb * BLOCK_TURNS, sizeof *scratch);
    for (int b = 0; b < nb; b++)
        all[b] = b;
    static const double qs[3] = { 0.50, 0.99, 0.999 };
    for (int k = 0; k < KINDS; k++) {
        for (int b = 0; b < nb; b++)
            st->n[k] += (size_t) ab->count[k][b];
        for (int i = 0; i < 3; i++)
            st->q[k][i] = s_pooled(ab, k, all, nb, qs[i], scratch);
    }
    //  Per block: each kind's p99 against the without chain's in the same block.
    double *ratio = calloc((size_t) nb, sizeof *ratio);
    for (int k = 0; k < KINDS; k++) {
        int m = 0;
        for (int b = 0; b < nb; b++)
            if (ab->count[k][b] && ab->count[K_WITHOUT][b])
                ratio[m++] = (double) s_pooled(ab, k, &all[b], 1, 0.99, scratch)
                           / (double) s_pooled(ab, K_WITHOUT, &all[b], 1, 0.99, scratch);
        qsort(ratio, (size_t) m, sizeof *ratio, s_cmp_double);
        st->blk_med[k] = m ? ratio[m / 2] : 0;
        st->blk_min[k] = m ? ratio[0] : 0;
        st->blk_max[k] = m ? ratio[m - 1] : 0;
    }
    //  Bootstrap over blocks: the same resampled blocks for every kind, so
    //  what a block's moment of the machine did stays paired.
    enum { BOOT = 200 };
    double *bs[KINDS];
    for (int k = 0; k < KINDS; k++)
        bs[k] = calloc(BOOT, sizeof *bs[k]);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int t = 0; t < BOOT; t++) {
        for (int b = 0; b < nb; b++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            pick[b] = (int) (x % (uint64_t) nb);
        }
        double base = (double) s_pooled(ab, K_WITHOUT, pick, nb, 0.99, scratch);
        for (int k = 0; k < KINDS; k++)
            bs[k][t] = (double) s_pooled(ab, k, pick, nb, 0.99, scratch) / base;
    }
    for (int k = 0; k < KINDS; k++) {
        qsort(bs[k], BOOT, sizeof *bs[k], s_cmp_double);
        st->boot[k][0] = bs[k][BOOT * 25 / 1000];
        st->boot[k][1] = bs[k][BOOT * 975 / 1000 - 1];
        free(bs[k]);
    }
    free(ratio);
    free(scratch);
    free(pick);
    free(all);
}

static int
s_cost(const char *dir, s_stats_t *st, s_ab_t *ab)
{
    snprintf(ab->dir, sizeof ab->dir, "%s", dir);
    const char *eps[3];
    static const char *names[3] = { "md", "an", "risk" };
    for (int i = 0; i < 3; i++) {
        snprintf(ab->rec_eps[i], sizeof ab->rec_eps[i], "ipc://%s/rec-%s", dir, names[i]);
        eps[i] = ab->rec_eps[i];
    }
    for (int k = 0; k < KINDS; k++) {
        ab->samples[k] = calloc((size_t) s_blocks * BLOCK_TURNS, sizeof *ab->samples[k]);
        ab->count[k] = calloc((size_t) s_blocks, sizeof *ab->count[k]);
    }
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s/rec", dir);     //  a fresh recording
    int rc = system(cmd) == 0 ? 0 : -1;
    if (rc == 0)
        ab->rec = s_recorder_start(dir, eps);
    int64_t t0 = ofts_clock_mono_ns();
    for (int b = 0; rc == 0 && b < s_blocks; b++) {
        if (b % CHAIN_BLOCKS == 0) {
            s_chains_down(ab);
            rc = s_chains_up(ab, (b / CHAIN_BLOCKS) % 3);
        }
        if (rc == 0)
            rc = s_block(ab, b);
    }
    double secs = (double) (ofts_clock_mono_ns() - t0) / 1e9;
    s_chains_down(ab);
    if (ab->rec)
        s_recorder_stop(ab->rec);
    if (ab->lost)
        fprintf(stderr, "bench-recorder: %d samples without an order within 2 s (left out)\n", ab->lost);
    if (rc != 0)
        fprintf(stderr, "bench-recorder: a chain lost too many samples or the recorder did not connect\n");
    else {
        s_statistics(ab, st);
        printf("  %d blocks of %d turns (3 chains, one sample each, %d us apart) in %.1f s\n", s_blocks, BLOCK_TURNS,
               SAMPLE_GAP_US, secs);
    }
    for (int k = 0; k < KINDS; k++) {
        free(ab->samples[k]);
        free(ab->count[k]);
    }
    return rc;
}

static void
s_print_cost(const s_stats_t *st, const s_ab_t *ab)
{
    printf("tick-to-order (bench-pipeline's ofts chain, ipc; 3 chains sampled in turn; ns; ratios to 'without';"
           " [95%% interval, blocks resampled]; per block: median (min-max) of the block p99 ratios):\n");
    for (int k = 0; k < KINDS; k++) {
        printf("  %-17s n %5zu  p50 %7lld  p99 %8lld  p99.9 %8lld", s_kind_name[k], st->n[k], (long long) st->q[k][0],
               (long long) st->q[k][1], (long long) st->q[k][2]);
        if (k != K_WITHOUT)
            printf("  | p99 x%.3f [%.3f-%.3f]  p50 x%.3f  per block x%.2f (%.2f-%.2f)",
                   (double) st->q[k][1] / (double) st->q[K_WITHOUT][1], st->boot[k][0], st->boot[k][1],
                   (double) st->q[k][0] / (double) st->q[K_WITHOUT][0], st->blk_med[k], st->blk_min[k],
                   st->blk_max[k]);
        printf("\n");
    }
    printf("  recorder while running, per recorded sample (7 messages): times scheduled in / us CPU:");
    for (int i = 0; i < NAMES && ab->rec_sched.name[i][0]; i++)
        printf(" %s %.2f / %.1f", ab->rec_sched.name[i], (double) ab->rec_sched.ticks[i] / (double) st->n[K_WITH],
               (double) ab->rec_sched.cpu_ns[i] / 1e3 / (double) st->n[K_WITH]);
    printf("\n");
}

int
main(int argc, char **argv)
{
    if (argc > 1)
        s_settings = argv[1];
    if (argc > 2 && atoi(argv[2]) >= 3)
        s_blocks = atoi(argv[2]);
    s_keep_up_only = argc > 2 && strcmp(argv[2], "0") == 0;
    ofts_log_init("bench-recorder", OFTS_LOG_ERROR);
    if (bench_bin_dir(s_bin, sizeof s_bin) != 0)
        return 1;
    char dir[] = "/tmp/ofts-bench-recorder-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    signal(SIGPIPE, SIG_IGN);
    //  A signed bus, as in every installation: the recorder records only
    //  what carries the bus MAC, and the publishers pay for signing.
    snprintf(s_secret, sizeof s_secret, "%s/bus.secret", dir);
    if (ofts_trust_use_secret_file(s_secret) != 0)
        return 1;
    //  The target: bench-throughput's rate measured now, or its best recorded
    //  signed figure (463880, 2026-12-05) when that is higher - its run-to-run
    //  spread here is 15-30 %, and the recorder must keep up with the best.
    double measured = argc > 3 ? atof(argv[3]) : s_throughput_rate();
    double bt_rate = measured > BEST_THROUGHPUT ? measured : BEST_THROUGHPUT;
    printf("recorder {fsync interval%s%s} keeps up (real ofts-recorder process, ipc://; bench-throughput's rate %.0f"
           " msgs/s %s, target %.0f msgs/s = the higher of it and the best recorded, %.0f):\n",
           s_settings[0] ? ", " : "", s_settings, measured, argc > 3 ? "given" : "measured just now", bt_rate,
           BEST_THROUGHPUT);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    //  The 1 s bursts hide nothing behind a 1 M HWM: "settled" says when the
    //  recorder had it all. The sustained runs use the bus's own HWM (200000):
    //  a recorder slower than the rate for 5 s would lose messages (gaps).
    //  The keep-up runs are offered by the pre-signed publisher (packed and
    //  signed ahead, bench_presigned.h): the question is whether the recorder
    //  keeps up, and a publisher encoding and signing live on these same 2
    //  cores cannot offer the rate beside it; that one's run is printed too.
    enum { R_FIRST, R_BURST, R_SUSTAINED, R_DOUBLE, R_LIVE, R_CAPACITY, RUNS };
    const s_run_t runs[RUNS] = {
        [R_FIRST] = { 343480, 1, 1000000, false, false },       //  the rate of the first sessions
        [R_BURST] = { bt_rate, 1, 1000000, false, false },
        [R_SUSTAINED] = { bt_rate, 5, 200000, false, false },
        [R_DOUBLE] = { 2 * bt_rate, 1, 1000000, false, false },
        [R_LIVE] = { bt_rate, 5, 200000, true, false },         //  what a gateway-md on this box offers
        [R_CAPACITY] = { 500000, 1, 1000000, false, true },     //  500000 queued, then drained
    };
    s_result_t res[RUNS];
    for (int i = 0; i < RUNS; i++) {
        res[i] = s_keep_up(dir, &runs[i]);
        fflush(stdout);
    }
    const s_result_t *burst = &res[R_BURST], *sus = &res[R_SUSTAINED], *cap = &res[R_CAPACITY],
                     *live = &res[R_LIVE];
    bool ok = burst->pass && sus->pass;
    printf("keep-up at bench-throughput's rate %.0f msgs/s, pre-signed publisher: 1 s burst %s (offered %.0f, settled"
           " %.1f ms), 5 s sustained %s (offered %.0f = %.1f %%, %llu of %llu recorded, %llu gap records, settled %.1f"
           " ms); drain capacity %.0f msgs/s = x%.2f that rate (%s)\n", bt_rate,
           burst->pass ? "kept up" : "FAILED", burst->offered, burst->lag_ms, sus->pass ? "KEPT UP" : "FAILED",
           sus->offered, 100 * sus->offered / bt_rate, (unsigned long long) sus->recorded,
           (unsigned long long) sus->sent, (unsigned long long) sus->gaps, sus->lag_ms, cap->drain_rate,
           cap->drain_rate / bt_rate, cap->pass ? "all recorded, 0 gaps" : "LOST MESSAGES");
    printf("live-encoding publisher (packs and signs each message, as a gateway-md sharing these 2 cores): offered"
           " %.0f msgs/s for 5 s = %.1f %% of the target; recorded %llu of %llu, %llu gap records, settled %.1f ms\n",
           live->offered, 100 * live->offered / bt_rate, (unsigned long long) live->recorded,
           (unsigned long long) live->sent, (unsigned long long) live->gaps, live->lag_ms);
    char verdict[300];
    snprintf(verdict, sizeof verdict, "burst settled %.1f ms, 5 s sustained offered %.0f msgs/s: %s", burst->lag_ms,
             sus->offered, sus->pass ? "0 gaps" : !sus->offered_ok ? "NOT OFFERED" : "FAILED");
    s_stats_t st = { 0 };
    s_ab_t ab = { 0 };
    if (s_keep_up_only) {
        printf("RESULT recorder_drain_capacity %.0f msgs/s ratio=%.2f vs bench_throughput (%.0f msgs/s; %s)\n",
               cap->drain_rate, cap->drain_rate / bt_rate, bt_rate, verdict);
        return system(cmd) == 0 && ok ? 0 : 1;
    }
    int rc = s_cost(dir, &st, &ab);
    if (system(cmd) != 0)
        rc = 1;
    zsys_shutdown();
    if (rc != 0) {
        fprintf(stderr, "bench-recorder: the pipeline did not answer\n");
        return 1;
    }
    s_print_cost(&st, &ab);
    const s_result_t *first = &res[R_FIRST];
    printf("recorder at %.0f msgs/s: %s (%llu sent, %llu gap records, settled %.1f ms after), %.1f bytes/msg on disk\n",
           runs[R_FIRST].rate, first->pass ? "kept up" : "FAILED", (unsigned long long) first->sent,
           (unsigned long long) first->gaps, first->lag_ms, first->bytes_per_msg);
    printf("RESULT recorder_drain_capacity %.0f msgs/s ratio=%.2f vs bench_throughput (%.0f msgs/s; %s)\n",
           cap->drain_rate, cap->drain_rate / bt_rate, bt_rate, verdict);
    printf("RESULT recorder_tick_to_order_p99 %lld ns ratio=%.2f vs no_recorder (null %.2f; 95%% %.2f-%.2f, null %.2f-%.2f)\n",
           (long long) st.q[K_WITH][1], (double) st.q[K_WITH][1] / (double) st.q[K_WITHOUT][1],
           (double) st.q[K_NULL][1] / (double) st.q[K_WITHOUT][1], st.boot[K_WITH][0], st.boot[K_WITH][1],
           st.boot[K_NULL][0], st.boot[K_NULL][1]);
    return ok ? 0 : 1;
}
