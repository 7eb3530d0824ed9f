/*  bench-throughput: the highest md rate the pipeline sustains with zero
    gaps. A gateway-md stand-in (md_normalizer on simulated DBN records,
    publishing real Trade / TopOfBook / Depth envelopes through a real
    ofts bus) feeds an analyzer thread (ofts bus SUB + the real of_engine)
    that counts what it receives and the gaps its bus detects.

    Method: paced trials (publisher sleeps to a target rate; each
    trial is 0.4 s of messages). A trial passes when every message arrived
    (no gap, received == sent) and the subscriber finished within 20 ms of
    the publisher (it kept up rather than eating the high-water-mark
    queues, 200000 messages by default, which would hide an overload).
    The rate doubles from 50 k/s until a trial fails, then 5 bisection
    steps narrow it. Reported: the received msgs/s of the best passing
    trial. Baseline, same run, same method: raw ZeroMQ PUB/SUB of the same
    bytes (the envelopes packed with a full header, same topics, same HWM),
    the subscriber only counting. Over ipc:// (RESULT) and tcp://127.0.0.1.
    The ofts bus is signed and checked as in every installation (the MAC
    is part of what a message costs): the subscriber listens on
    gateway-md's own socket, as services do, and a forged message sent at
    the end must be refused; the raw baseline sends the envelope bytes
    unsigned. */
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include "bench_util.h"
#include "dbn_record.h"
#include "md_normalizer.h"
#include "of_engine.h"
#include "ofts_bus.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "ofts_trust.h"
#include "sim_market.h"

#define SIM_MINUTES 10
#define TRIAL_SEC 0.4
#define START_RATE 50000.0
#define MAX_RATE 6400000.0
#define BISECT 5
#define MAX_LAG_NS (20 * OFTS_NS_PER_MS)
#define HWM 200000

//  --- the stream ----------------------------------------------------------

typedef struct {
    sim_config_t cfg;
    dbn_record_t *recs;
    size_t nrecs, cap;
    int64_t span;                   //  market time covered, for wrapping
    //  packed envelopes for the raw run
    uint8_t *bytes;
    size_t nbytes, capbytes;
    size_t *off;                    //  message i: bytes[off[i] .. off[i+1])
    uint8_t *topic_kind;            //  0 trade, 1 bbo, 2 book
    uint8_t *topic_root;            //  index into cfg.symbols
    size_t nmsgs, capmsgs;
} stream_t;

static void
s_collect(void *arg, const dbn_record_t *rec)
{
    stream_t *s = arg;
    if (s->nrecs == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        s->recs = realloc(s->recs, s->cap * sizeof *s->recs);
    }
    s->recs[s->nrecs++] = *rec;
}

static const char *
s_contract(const sim_config_t *cfg, uint32_t id, int *index)
{
    for (int i = 0; i < cfg->nsymbols; i++)
        if (cfg->symbols[i].instrument_id == id) {
            if (index)
                *index = i;
            return cfg->symbols[i].contract;
        }
    return NULL;
}

typedef struct {
    stream_t *s;
    int root;
    uint64_t seq;
} pack_ctx_t;

static void
s_pack(const char *topic, Ofts__Envelope *env, void *arg)
{
    pack_ctx_t *c = arg;
    stream_t *s = c->s;
    //  The header the bus would stamp, so the bytes are the bus's bytes.
    Ofts__Header h = *env->header, *saved = env->header;
    h.source = "gateway-md";
    h.seq = ++c->seq;
    h.topic_seq = c->seq;
    h.epoch = 1796049000000000000ULL;
    h.ts_publish = 1796049000123456789LL;
    env->header = &h;
    size_t n = ofts__envelope__get_packed_size(env);
    if (s->nbytes + n > s->capbytes) {
        s->capbytes = (s->capbytes + n) * 2;
        s->bytes = realloc(s->bytes, s->capbytes);
    }
    if (s->nmsgs + 1 >= s->capmsgs) {
        s->capmsgs = s->capmsgs ? s->capmsgs * 2 : 65536;
        s->off = realloc(s->off, (s->capmsgs + 1) * sizeof *s->off);
        s->topic_kind = realloc(s->topic_kind, s->capmsgs);
        s->topic_root = realloc(s->topic_root, s->capmsgs);
    }
    s->off[s->nmsgs] = s->nbytes;
    ofts__envelope__pack(env, s->bytes + s->nbytes);
    s->nbytes += n;
    s->topic_kind[s->nmsgs] = strncmp(topic, "md.trade.", 9) == 0 ? 0 : strncmp(topic, "md.bbo.", 7) == 0 ? 1 : 2;
    s->topic_root[s->nmsgs] = (uint8_t) c->root;
    s->nmsgs++;
    s->off[s->nmsgs] = s->nbytes;
    env->header = saved;
}

static void
s_stream_build(stream_t *s)
{
    int64_t start = (ofts_days_from_civil(2026, 11, 30) * 86400 + 14 * 3600 + 30 * 60) * OFTS_NS_PER_SEC;
    s->span = (int64_t) SIM_MINUTES * 60 * OFTS_NS_PER_SEC;
    sim_config_default(&s->cfg, 7, start, s->span);
    sim_market_t *sim = sim_market_new(&s->cfg);
    sim_market_run(sim, s_collect, s);
    sim_market_destroy(&sim);
    md_normalizer_t *norm = md_normalizer_new();
    md_normalizer_set_trade_rtype(norm, DBN_RTYPE_MBP0);
    pack_ctx_t c = { s, 0, 0 };
    for (size_t i = 0; i < s->nrecs; i++) {
        const char *contract = s_contract(&s->cfg, s->recs[i].instrument_id, &c.root);
        md_normalizer_process(norm, &s->recs[i], contract, s_pack, &c);
    }
    md_normalizer_destroy(&norm);
}

static void
s_stream_free(stream_t *s)
{
    free(s->recs);
    free(s->bytes);
    free(s->off);
    free(s->topic_kind);
    free(s->topic_root);
}

//  --- subscribers ---------------------------------------------------------

typedef struct {
    atomic_bool stop;
    atomic_uint_fast64_t received, gaps;
    _Atomic int64_t last_ns;        //  monotonic time of the latest receipt
    ofts_bus_t *bus;                //  ofts run
    void *raw;                      //  raw run
} sub_t;

static void *
s_analyzer(void *arg)
{
    sub_t *sub = arg;
    of_config_t *acfg = of_config_new(NULL);
    of_engine_t *engine = of_engine_new(acfg);
    while (!atomic_load(&sub->stop)) {
        char topic[64];
        //  As ofts_service does: wait for the socket, then drain it without
        //  waiting (a poll per message would be a system call per message),
        //  each envelope unpacked into the bus's arena and released.
        Ofts__Envelope *env = ofts_bus_recv_arena(sub->bus, "gateway-md", topic, sizeof topic, 20);
        for (int i = 0; env; i++) {
            of_engine_envelope(engine, env);
            ofts_bus_release(sub->bus, &env);
            atomic_store(&sub->gaps, ofts_bus_gaps(sub->bus));
            atomic_fetch_add(&sub->received, 1);
            atomic_store(&sub->last_ns, bench_now_ns());
            if (i == 4095)
                break;
            env = ofts_bus_recv_arena(sub->bus, "gateway-md", topic, sizeof topic, 0);
        }
    }
    of_engine_destroy(&engine);
    of_config_destroy(&acfg);
    return NULL;
}

static void *
s_raw_sub(void *arg)
{
    sub_t *sub = arg;
    char t[64];
    uint8_t body[4096];
    while (!atomic_load(&sub->stop)) {
        if (zmq_recv(sub->raw, t, sizeof t, 0) < 0)
            continue;
        if (zmq_recv(sub->raw, body, sizeof body, 0) < 0)
            continue;
        atomic_fetch_add(&sub->received, 1);
        atomic_store(&sub->last_ns, bench_now_ns());
    }
    return NULL;
}

//  --- publishers ----------------------------------------------------------

typedef struct {
    stream_t *s;
    bool raw;
    ofts_bus_t *bus;
    void *pub;
    md_normalizer_t *norm;
    size_t rec_i, msg_i;
    int64_t ts_offset;              //  market time added on each wrap
    uint64_t sent;
    char topics[3][8][32];
} pub_t;

static void
s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    pub_t *p = arg;
    env->header->ts_event += p->ts_offset;
    env->header->ts_recv += p->ts_offset;
    if (ofts_bus_publish(p->bus, topic, env) == 0)
        p->sent++;
}

//  Publish the next record's envelopes (ofts) or next message (raw).
static void
s_publish_next(pub_t *p)
{
    stream_t *s = p->s;
    if (p->raw) {
        size_t i = p->msg_i;
        const char *topic = p->topics[s->topic_kind[i]][s->topic_root[i]];
        zmq_send(p->pub, topic, strlen(topic), ZMQ_SNDMORE);
        if (zmq_send(p->pub, s->bytes + s->off[i], s->off[i + 1] - s->off[i], 0) >= 0)
            p->sent++;
        p->msg_i = (i + 1) % s->nmsgs;
        return;
    }
    const dbn_record_t *rec = &s->recs[p->rec_i];
    md_normalizer_process(p->norm, rec, s_contract(&s->cfg, rec->instrument_id, NULL), s_emit, p);
    if (++p->rec_i == s->nrecs) {
        p->rec_i = 0;
        p->ts_offset += s->span;
    }
}

//  One paced trial of about rate * TRIAL_SEC messages. Returns pass/fail;
//  *recv_rate = messages received per second over the trial.
static bool
s_trial(pub_t *p, sub_t *sub, double rate, double *recv_rate, double *sent_rate, uint64_t *lost, uint64_t *gaps)
{
    uint64_t n = (uint64_t) (rate * TRIAL_SEC);
    if (n < 20000)
        n = 20000;
    uint64_t r0 = atomic_load(&sub->received), g0 = atomic_load(&sub->gaps), s0 = p->sent;
    int64_t t0 = bench_now_ns();
    for (uint64_t iter = 1; p->sent - s0 < n; iter++) {
        s_publish_next(p);
        //  Sleep, never spin: on 2 shared cores a spinning publisher takes
        //  the subscriber's CPU. Bursts of up to a sleep's granularity
        //  (~60 us) are what the queues are for.
        if ((iter & 15) == 0)
            bench_pace(t0, p->sent - s0, rate);
    }
    uint64_t sent = p->sent - s0;
    int64_t t_end = bench_now_ns();
    *sent_rate = (double) sent / ((double) (t_end - t0) / 1e9);
    //  Drain: until everything arrived or nothing moved for 200 ms.
    uint64_t last = atomic_load(&sub->received);
    int64_t moved = bench_now_ns();
    while (atomic_load(&sub->received) - r0 < sent && bench_now_ns() - moved < 200 * OFTS_NS_PER_MS) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
        uint64_t now_recv = atomic_load(&sub->received);
        if (now_recv != last) {
            last = now_recv;
            moved = bench_now_ns();
        }
    }
    uint64_t got = atomic_load(&sub->received) - r0;
    int64_t t_last = atomic_load(&sub->last_ns);
    *gaps = atomic_load(&sub->gaps) - g0;
    *lost = sent > got ? sent - got : 0;
    *recv_rate = (double) got / ((double) (t_last - t0) / 1e9);
    return *lost == 0 && *gaps == 0 && t_last - t_end <= MAX_LAG_NS;
}

//  Ramp + bisect; returns the received msgs/s of the best passing trial.
static double
s_ramp(pub_t *p, sub_t *sub, const char *label)
{
    double ok = 0, best = 0, fail = 0;
    for (double rate = START_RATE; rate <= MAX_RATE; rate *= 2) {
        double rr, sr;
        uint64_t lost, gaps;
        bool pass = s_trial(p, sub, rate, &rr, &sr, &lost, &gaps);
        printf("  %-5s target %8.0f/s  sent %8.0f/s  received %8.0f/s  lost %6llu  gaps %6llu  %s\n", label, rate, sr, rr,
               (unsigned long long) lost, (unsigned long long) gaps, pass ? "ok" : "FAIL");
        if (!pass) {
            fail = rate;
            break;
        }
        ok = rate;
        best = rr > best ? rr : best;
    }
    for (int i = 0; i < BISECT && fail > 0 && ok > 0; i++) {
        double rate = (ok + fail) / 2, rr, sr;
        uint64_t lost, gaps;
        bool pass = s_trial(p, sub, rate, &rr, &sr, &lost, &gaps);
        printf("  %-5s target %8.0f/s  sent %8.0f/s  received %8.0f/s  lost %6llu  gaps %6llu  %s\n", label, rate, sr, rr,
               (unsigned long long) lost, (unsigned long long) gaps, pass ? "ok" : "FAIL");
        if (pass) {
            ok = rate;
            best = rr > best ? rr : best;
        }
        else
            fail = rate;
    }
    return best;
}

//  Publish until the subscriber sees something (slow joiner), then drain.
static bool
s_sync(pub_t *p, sub_t *sub)
{
    for (int i = 0; i < 400; i++) {
        s_publish_next(p);
        struct timespec ts = { 0, 5000000 };
        nanosleep(&ts, NULL);
        if (atomic_load(&sub->received) > 0) {
            nanosleep(&ts, NULL);
            return true;
        }
    }
    return false;
}

//  A message signed with another key, then a real one: once the real one
//  is in, the subscriber has judged the forged one (same socket, in order).
static void
s_forge(pub_t *p, sub_t *sub)
{
    uint8_t mac[32] = { 0 }, body[8] = { 0x0a, 0x00 };
    void *h = zsock_resolve(ofts_bus_pub_sock(p->bus));
    zmq_send(h, "md.trade.GC.", 12, ZMQ_SNDMORE);
    zmq_send(h, body, 2, ZMQ_SNDMORE);
    zmq_send(h, mac, sizeof mac, 0);
    uint64_t r0 = atomic_load(&sub->received);
    for (int i = 0; i < 100 && atomic_load(&sub->received) == r0; i++) {
        s_publish_next(p);
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
}

static void
s_endpoint(char *buf, size_t size, const char *base, const char *name)
{
    if (strncmp(base, "ipc://", 6) == 0)
        snprintf(buf, size, "%s-%s", base, name);
    else
        snprintf(buf, size, "tcp://127.0.0.1:*");
}

static double
s_run(stream_t *s, const char *base, bool raw)
{
    sub_t sub;
    memset(&sub, 0, sizeof sub);
    pub_t p;
    memset(&p, 0, sizeof p);
    p.s = s;
    p.raw = raw;
    char ep[300];
    s_endpoint(ep, sizeof ep, base, raw ? "raw" : "ofts");
    zsock_t *rpub = NULL, *rsub = NULL;
    pthread_t th;
    if (raw) {
        for (int k = 0; k < 3; k++)
            for (int r = 0; r < s->cfg.nsymbols; r++)
                ofts_topic(p.topics[k][r], sizeof p.topics[k][r], k == 0 ? "md.trade" : k == 1 ? "md.bbo" : "md.book",
                           s->cfg.symbols[r].root);
        rpub = zsock_new(ZMQ_PUB);
        zsock_set_sndhwm(rpub, HWM);
        zsock_bind(rpub, "%s", ep);
        rsub = zsock_new(ZMQ_SUB);
        zsock_set_rcvhwm(rsub, HWM);
        zsock_set_rcvtimeo(rsub, 20);
        zsock_set_subscribe(rsub, "md.");
        zsock_connect(rsub, "%s", zsock_endpoint(rpub));
        p.pub = zsock_resolve(rpub);
        sub.raw = zsock_resolve(rsub);
        pthread_create(&th, NULL, s_raw_sub, &sub);
    }
    else {
        p.bus = ofts_bus_new("gateway-md");
        ofts_bus_set_hwm(p.bus, HWM);
        ofts_bus_bind(p.bus, ep);
        ofts_bus_set_secret(p.bus, ofts_trust_process_secret());
        sub.bus = ofts_bus_new("analyzer");
        ofts_bus_set_hwm(sub.bus, HWM);
        ofts_bus_set_secret(sub.bus, ofts_trust_process_secret());
        //  As every service listens: on gateway-md's own socket, where each
        //  message's MAC and topic owner are checked (the anonymous socket
        //  this used until 2026-12-05 checks neither: a signed publisher,
        //  an unchecking subscriber).
        ofts_bus_connect_to(sub.bus, "gateway-md", zsock_endpoint(ofts_bus_pub_sock(p.bus)));
        ofts_bus_subscribe_to(sub.bus, "gateway-md", "md.");
        p.norm = md_normalizer_new();
        md_normalizer_set_trade_rtype(p.norm, DBN_RTYPE_MBP0);
        pthread_create(&th, NULL, s_analyzer, &sub);
    }
    double best = 0;
    if (s_sync(&p, &sub))
        best = s_ramp(&p, &sub, raw ? "raw" : "ofts");
    else
        fprintf(stderr, "bench-throughput: subscriber never received anything\n");
    if (!raw && best > 0)
        s_forge(&p, &sub);
    atomic_store(&sub.stop, true);
    pthread_join(th, NULL);
    if (!raw && ofts_bus_rejected(sub.bus) != 1) {
        printf("ofts: the subscriber did not refuse a forged message (rejected %llu): its rate is not an "
               "installation's\n", (unsigned long long) ofts_bus_rejected(sub.bus));
        best = 0;
    }
    else if (!raw)
        printf("ofts: the subscriber checks every message's MAC like a service (a forged one was refused)\n");
    zsock_destroy(&rsub);
    zsock_destroy(&rpub);
    ofts_bus_destroy(&sub.bus);
    ofts_bus_destroy(&p.bus);
    md_normalizer_destroy(&p.norm);
    return best;
}

int
main(void)
{
    ofts_log_init("bench-throughput", OFTS_LOG_ERROR);
    stream_t s;
    memset(&s, 0, sizeof s);
    s_stream_build(&s);
    printf("stream: %d min simulated, %zu records -> %zu envelopes, %.0f bytes/envelope on average\n", SIM_MINUTES,
           s.nrecs, s.nmsgs, (double) s.nbytes / (double) s.nmsgs);
    char dir[] = "/tmp/ofts-bench-throughput-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char ipc[300];
    snprintf(ipc, sizeof ipc, "ipc://%s/ep", dir);
    const char *bases[2] = { ipc, "tcp" }, *names[2] = { "ipc", "tcp" };
    double result = 0, ratio = 0;
    //  OFTS_BENCH_IPC_ONLY: the ipc run alone (bench-web's rate to keep up with).
    int runs = getenv("OFTS_BENCH_IPC_ONLY") ? 1 : 2;
    for (int t = 0; t < runs; t++) {
        printf("%s: paced trials of %.1f s, pass = no gap, nothing lost, subscriber done within %lld ms\n",
               names[t], TRIAL_SEC, (long long) (MAX_LAG_NS / OFTS_NS_PER_MS));
        double raw = s_run(&s, bases[t], true);
        double ofts = s_run(&s, bases[t], false);
        printf("%s: sustained zero-gap rate: ofts md (signed) -> analyzer %.0f msgs/s, raw zmq %.0f msgs/s, ratio %.2f\n",
               names[t], ofts, raw, raw > 0 ? ofts / raw : 0);
        if (t == 0) {
            result = ofts;
            ratio = raw > 0 ? ofts / raw : 0;
        }
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    int rc = system(cmd) == 0 ? 0 : 1;
    s_stream_free(&s);
    zsys_shutdown();
    printf("RESULT pipeline_md_throughput %.0f msgs/s ratio=%.2f vs raw_zmq_pubsub\n", result, ratio);
    return rc;
}
