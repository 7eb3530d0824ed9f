/*  bench-pipeline: tick-to-order latency. From gateway-md publishing the md
    message that completes a signal to gateway-order receiving the approved
    OrderRequest, through the real cores, each behind its own ofts bus:

        main (gateway-md) --md.trade--> analyzer (of_engine) --of.signal-->
        risk (risk_engine, also subscribed to md.trade as the service is)
        --risk.order--> receiver (stands in for gateway-order)

    Three bus hops, four threads, over ipc:// and tcp://127.0.0.1. In the
    same run the baseline: three raw ZeroMQ PUB/SUB hops through the same
    four-thread chain (two forwarders and a receiver), each hop carrying a
    message of the same size as its ofts counterpart (trade, signal, order
    envelopes as measured on the wire), the same untriggering messages in
    front.

    Determinism: the analyzer wants 5 trades in a 1 s window with all
    volume on one side, each an order that takes the whole 1-lot level it
    meets (the analyzer thread is given a 1 x 1 book at start): imbalance
    0.4 + aggressive 0.2 = min_confidence 0.6 (the delta rule is switched
    off), so in every sample the 5th trade of a burst is the one that fires. Samples are 2 s of market time apart (the window
    empties) and alternate buy / sell bursts (the opposite burst re-arms
    the side that fired). Risk runs with cooldown 0, fixed sizing 1 lot,
    no reconcile, no md heartbeat, the stale guard on market time (the
    envelope ts_event); after each approval the risk thread reports the
    entry cancelled (as gateway-order would) so the next sample is not
    refused as "position open". Both chains run at once and their samples
    alternate, so both see the same machine load. Each sample: 4 priming trades, a 300 us
    pause so they are digested, then the trigger is stamped with
    CLOCK_MONOTONIC and published; the receiver stamps the order on
    arrival. The order carries the trigger's ts_event, which matches it
    to its sample.                                                          */
#include <czmq.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include "bench_util.h"
#include "of_engine.h"
#include "ofts_bus.h"
#include "ofts_trust.h"
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_log.h"
#include "risk_engine.h"

#define SAMPLES 3000
#define WARMUP 200
#define PRIMING 4
#define SAMPLE_GAP_NS (2 * OFTS_NS_PER_SEC)
#define PRICE 2350000000000LL               //  GC 2350.0
#ifndef MAX_ORDERS                  //  bench-recorder takes more samples
#define MAX_ORDERS (SAMPLES + WARMUP + 1000)
#endif

typedef struct {
    atomic_bool stop;
    sem_t got;
    atomic_int norders;
    int64_t order_ts[MAX_ORDERS];          //  ts_event of each order received
    int64_t order_t1[MAX_ORDERS];          //  monotonic receipt time
    size_t size_trade, size_signal, size_order;     //  envelope bytes on the wire
    //  Where the time goes (ofts chain, latest sample): signal published
    //  by the analyzer, received by risk, order published by risk.
    _Atomic int64_t an_out, rk_in, rk_out;
} shared_t;

static void
s_got_order(shared_t *sh, int64_t ts, int64_t t1)
{
    int i = atomic_load(&sh->norders);
    if (i < MAX_ORDERS) {
        sh->order_ts[i] = ts;
        sh->order_t1[i] = t1;
        atomic_store(&sh->norders, i + 1);
    }
    sem_post(&sh->got);
}

//  --- ofts threads ------------------------------------------------------

typedef struct {
    shared_t *sh;
    ofts_bus_t *bus;
    of_config_t *acfg;
    risk_engine_t *risk;
    int64_t now;
    char coid[64], symbol[16];
} stage_t;

static void
s_analyzer_signal(void *arg, const Ofts__Signal *sig, int64_t ts_event)
{
    stage_t *st = arg;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_SIGNAL;
    env.signal = (Ofts__Signal *) sig;
    char topic[64];
    ofts_topic(topic, sizeof topic, "of.signal", sig->symbol);
    atomic_store(&st->sh->an_out, bench_now_ns());
    ofts_bus_publish_ts(st->bus, topic, &env, ts_event, ts_event);
}

static void *
s_analyzer(void *arg)
{
    stage_t *st = arg;
    of_engine_t *engine = of_engine_new(st->acfg);
    of_engine_set_signal_fn(engine, s_analyzer_signal, st);
    //  The book every 1-lot trade meets: 1 lot each side, so each trade
    //  clears its level (an aggressive order).
    Ofts__TopOfBook top = OFTS__TOP_OF_BOOK__INIT;
    top.symbol = "GC";
    top.contract = "GCZ6";
    top.bid_px = PRICE - 100000000;
    top.ask_px = PRICE;
    top.bid_sz = top.ask_sz = 1;
    of_engine_bbo(engine, &top, 0);
    while (!atomic_load(&st->sh->stop)) {
        char topic[64];
        Ofts__Envelope *env = ofts_bus_recv(st->bus, topic, sizeof topic, 50);
        if (!env)
            continue;
        st->sh->size_trade = ofts__envelope__get_packed_size(env);
        of_engine_envelope(engine, env);
        ofts__envelope__free_unpacked(env, NULL);
    }
    of_engine_destroy(&engine);
    return NULL;
}

static void
s_risk_order(void *arg, const Ofts__OrderRequest *req)
{
    stage_t *st = arg;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = (Ofts__OrderRequest *) req;
    char topic[64];
    ofts_topic(topic, sizeof topic, "risk.order", req->symbol);
    atomic_store(&st->sh->rk_out, bench_now_ns());
    ofts_bus_publish_ts(st->bus, topic, &env, st->now, st->now);
    snprintf(st->coid, sizeof st->coid, "%s", req->client_order_id);
    snprintf(st->symbol, sizeof st->symbol, "%s", req->symbol);
}

static void *
s_risk(void *arg)
{
    stage_t *st = arg;
    while (!atomic_load(&st->sh->stop)) {
        char topic[64];
        Ofts__Envelope *env = ofts_bus_recv(st->bus, topic, sizeof topic, 50);
        if (!env)
            continue;
        st->now = env->header ? env->header->ts_event : 0;
        if (env->body_case == OFTS__ENVELOPE__BODY_TRADE)
            risk_engine_on_trade(st->risk, env->trade, st->now);
        else if (env->body_case == OFTS__ENVELOPE__BODY_SIGNAL) {
            atomic_store(&st->sh->rk_in, bench_now_ns());
            st->sh->size_signal = ofts__envelope__get_packed_size(env);
            risk_engine_on_signal(st->risk, env->signal, st->now);
        }
        ofts__envelope__free_unpacked(env, NULL);
        if (st->coid[0]) {
            //  What gateway-order's exec.order would say later: the entry is
            //  gone, so the next sample's signal is not "position open".
            Ofts__OrderUpdate u = OFTS__ORDER_UPDATE__INIT;
            u.symbol = st->symbol;
            u.client_order_id = st->coid;
            u.status = OFTS__ORDER_STATUS__STATUS_CANCELLED;
            risk_engine_on_order_update(st->risk, &u, st->now);
            st->coid[0] = '\0';
        }
    }
    return NULL;
}

static void *
s_receiver(void *arg)
{
    stage_t *st = arg;
    while (!atomic_load(&st->sh->stop)) {
        char topic[64];
        Ofts__Envelope *env = ofts_bus_recv(st->bus, topic, sizeof topic, 50);
        if (!env)
            continue;
        int64_t t1 = bench_now_ns();
        if (env->body_case == OFTS__ENVELOPE__BODY_ORDER_REQUEST && env->header) {
            st->sh->size_order = ofts__envelope__get_packed_size(env);
            s_got_order(st->sh, env->header->ts_event, t1);
        }
        ofts__envelope__free_unpacked(env, NULL);
    }
    return NULL;
}

//  --- raw threads --------------------------------------------------------

typedef struct {
    shared_t *sh;
    void *sub, *pub;                //  pub NULL: the receiver
    const char *topic;
    size_t out_size;
    bool filter;                    //  forward only triggers
} raw_t;

static void *
s_raw(void *arg)
{
    raw_t *r = arg;
    char t[64];
    uint8_t in[4096], out[4096];
    memset(out, 0x5a, sizeof out);
    while (!atomic_load(&r->sh->stop)) {
        int tn = zmq_recv(r->sub, t, sizeof t, 0);
        if (tn < 0)
            continue;
        int bn = zmq_recv(r->sub, in, sizeof in, 0);
        if (bn < 9)
            continue;
        if (!r->pub) {
            int64_t ts;
            memcpy(&ts, in, 8);
            s_got_order(r->sh, ts, bench_now_ns());
            continue;
        }
        if (r->filter && in[8] != 't')
            continue;
        memcpy(out, in, 9);
        zmq_send(r->pub, r->topic, strlen(r->topic), ZMQ_SNDMORE);
        zmq_send(r->pub, out, r->out_size, 0);
    }
    return NULL;
}

//  --- the driver -----------------------------------------------------------

typedef void (publish_fn)(void *ctx, int64_t ts, bool buy, bool trigger);

typedef struct {
    ofts_bus_t *bus;
    Ofts__Envelope env;
    Ofts__Trade trade;
} ofts_pub_t;

static void
s_ofts_publish(void *ctx, int64_t ts, bool buy, bool trigger)
{
    (void) trigger;
    ofts_pub_t *p = ctx;
    p->trade.aggressor = buy ? OFTS__SIDE__SIDE_BUY : OFTS__SIDE__SIDE_SELL;
    ofts_bus_publish_ts(p->bus, "md.trade.GC.", &p->env, ts, ts);
}

typedef struct {
    void *pub;
    size_t size;
    uint8_t buf[4096];
} raw_pub_t;

static void
s_raw_publish(void *ctx, int64_t ts, bool buy, bool trigger)
{
    raw_pub_t *p = ctx;
    memcpy(p->buf, &ts, 8);
    p->buf[8] = trigger ? 't' : 'p';
    p->buf[9] = buy ? 'B' : 'A';
    zmq_send(p->pub, "md.trade.GC.", 12, ZMQ_SNDMORE);
    zmq_send(p->pub, p->buf, p->size, 0);
}

static void
s_pause_us(int us)
{
    struct timespec ts = { 0, us * 1000L };
    nanosleep(&ts, NULL);
}

//  Wait for the order of the trigger stamped ts; its receipt time or -1.
static int64_t
s_wait_order(shared_t *sh, int *cursor, int64_t ts, int timeout_ms)
{
    int64_t deadline = bench_now_ns() + (int64_t) timeout_ms * OFTS_NS_PER_MS;
    while (true) {
        while (*cursor < atomic_load(&sh->norders)) {
            int i = (*cursor)++;
            if (sh->order_ts[i] == ts)
                return sh->order_t1[i];
        }
        int64_t left = deadline - bench_now_ns();
        if (left <= 0)
            return -1;
        struct timespec abs;
        clock_gettime(CLOCK_REALTIME, &abs);
        int64_t ns = abs.tv_nsec + (left < 50 * OFTS_NS_PER_MS ? left : 50 * OFTS_NS_PER_MS);
        abs.tv_sec += ns / OFTS_NS_PER_SEC;
        abs.tv_nsec = ns % OFTS_NS_PER_SEC;
        sem_timedwait(&sh->got, &abs);
    }
}

//  Runs sync + warm-up + SAMPLES; fills samples (ns). 0 or -1.
static void
s_endpoint(char *buf, size_t size, const char *base, const char *name)
{
    if (strncmp(base, "ipc://", 6) == 0)
        snprintf(buf, size, "%s-%s", base, name);
    else
        snprintf(buf, size, "tcp://127.0.0.1:*");
}

static void
s_percentiles(int64_t *samples, int64_t out[3])
{
    out[0] = bench_percentile(samples, SAMPLES, 0.50);
    out[1] = bench_percentile(samples, SAMPLES, 0.99);
    out[2] = bench_percentile(samples, SAMPLES, 0.999);
}

static of_config_t *
s_analyzer_config(void)
{
    const char *json = "{\"analyzer\": {\"window_seconds\": 1, \"min_trades\": 5,"
                       " \"cumulative_delta_threshold\": 10000000, \"opposite_subtracts\": false}}";
    char err[256];
    ofts_config_t *cfg = ofts_config_parse(json, "bench-pipeline", err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "bench-pipeline: %s\n", err);
        exit(1);
    }
    ofts_cfgsec_t *sec = ofts_config_section(cfg, "analyzer");
    of_config_t *acfg = of_config_new(sec);
    if (ofts_cfgsec_finish(&sec, err, sizeof err) != 0) {
        fprintf(stderr, "bench-pipeline: %s\n", err);
        exit(1);
    }
    ofts_config_destroy(&cfg);
    return acfg;
}

//  One chain (ofts or raw): its threads, its publisher, its sample clock.
typedef struct {
    shared_t *sh;
    publish_fn *pub;
    void *ctx;
    int cursor;
    int k;                          //  sample number: market time and side
    int64_t t0;                     //  latest trigger's publish time
    pthread_t th[3];
    //  ofts
    ofts_bus_t *bus[4];
    stage_t stage[3];
    of_config_t *acfg;
    ofts_pub_t opub;
    //  raw
    zsock_t *rpubs[3], *rsubs[3];
    raw_t raw[3];
    raw_pub_t rpub;
} chain_t;

static int64_t
s_market_start(void)
{
    return (ofts_days_from_civil(2026, 11, 30) * 86400 + 14 * 3600 + 30 * 60) * OFTS_NS_PER_SEC;
}

//  One burst: PRIMING trades, a pause, the stamped trigger, the wait.
//  Returns the trigger-to-order ns, or -1 on time-out.
static int64_t
s_sample(chain_t *c, int timeout_ms, bool pause)
{
    int64_t ts = s_market_start() + (int64_t) c->k * SAMPLE_GAP_NS;
    bool buy = c->k % 2 == 0;
    c->k++;
    for (int i = 0; i < PRIMING; i++)
        c->pub(c->ctx, ts - (PRIMING - i) * 1000, buy, false);
    if (pause)
        s_pause_us(300);
    int64_t t0 = c->t0 = bench_now_ns();
    c->pub(c->ctx, ts, buy, true);
    int64_t t1 = s_wait_order(c->sh, &c->cursor, ts, timeout_ms);
    return t1 < 0 ? -1 : t1 - t0;
}

//  Slow joiners: bursts until one order makes it all the way through.
static int
s_sync(chain_t *c)
{
    for (int tries = 0; tries < 50; tries++)
        if (s_sample(c, 200, false) >= 0)
            return 0;
    fprintf(stderr, "bench-pipeline: no order after 50 sync bursts\n");
    return -1;
}

static shared_t *
s_shared_new(void)
{
    shared_t *sh = calloc(1, sizeof *sh);
    sem_init(&sh->got, 0, 0);
    return sh;
}

static int
s_ofts_start(chain_t *c, const char *base)
{
    c->sh = s_shared_new();
    char ep[3][300];
    const char *names[4] = { "gateway-md", "analyzer", "risk", "gateway-order" };
    for (int i = 0; i < 4; i++) {
        c->bus[i] = ofts_bus_new(names[i]);
        ofts_bus_set_secret(c->bus[i], ofts_trust_process_secret());   //  bench-recorder's; NULL: unsigned
    }
    for (int i = 0; i < 3; i++) {
        s_endpoint(ep[i], sizeof ep[i], base, names[i]);
        if (ofts_bus_bind(c->bus[i], ep[i]) != 0)
            return -1;
        snprintf(ep[i], sizeof ep[i], "%s", zsock_endpoint(ofts_bus_pub_sock(c->bus[i])));
    }
    ofts_bus_connect(c->bus[1], ep[0]);
    ofts_bus_subscribe(c->bus[1], "md.");
    ofts_bus_connect(c->bus[2], ep[0]);
    ofts_bus_connect(c->bus[2], ep[1]);
    ofts_bus_subscribe(c->bus[2], "md.trade.");
    ofts_bus_subscribe(c->bus[2], "of.signal.");
    ofts_bus_connect(c->bus[3], ep[2]);
    ofts_bus_subscribe(c->bus[3], "risk.order.");

    c->acfg = s_analyzer_config();
    risk_config_t rc;
    risk_config_defaults(&rc);
    rc.cooldown_ns = 0;
    rc.min_confidence = 0;
    rc.require_md_heartbeat = false;
    rc.require_reconcile = false;
    rc.max_orders_per_minute = 60;     //  bursts are 2 s apart: 30 a minute
    rc.journal[0] = '\0';
    for (int i = 0; i < 3; i++) {
        c->stage[i].sh = c->sh;
        c->stage[i].bus = c->bus[i + 1];
    }
    c->stage[0].acfg = c->acfg;
    risk_engine_callbacks_t cb = { .order = s_risk_order };
    c->stage[1].risk = risk_engine_new(&rc, &cb, &c->stage[1]);
    pthread_create(&c->th[0], NULL, s_analyzer, &c->stage[0]);
    pthread_create(&c->th[1], NULL, s_risk, &c->stage[1]);
    pthread_create(&c->th[2], NULL, s_receiver, &c->stage[2]);

    ofts_pub_t *p = &c->opub;
    p->bus = c->bus[0];
    ofts__envelope__init(&p->env);
    ofts__trade__init(&p->trade);
    p->trade.symbol = "GC";
    p->trade.contract = "GCZ6";
    p->trade.instrument_id = 42140878;
    p->trade.price = PRICE;
    p->trade.size = 1;
    p->env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    p->env.trade = &p->trade;
    c->pub = s_ofts_publish;
    c->ctx = p;
    return 0;
}

static int
s_raw_start(chain_t *c, const char *base, const size_t sizes[3])
{
    c->sh = s_shared_new();
    char ep[3][300];
    const char *names[3] = { "rmd", "ran", "rrisk" };
    for (int i = 0; i < 3; i++) {
        s_endpoint(ep[i], sizeof ep[i], base, names[i]);
        c->rpubs[i] = zsock_new(ZMQ_PUB);
        zsock_set_sndhwm(c->rpubs[i], 200000);
        if (zsock_bind(c->rpubs[i], "%s", ep[i]) < 0)
            return -1;
        snprintf(ep[i], sizeof ep[i], "%s", zsock_endpoint(c->rpubs[i]));
        c->rsubs[i] = zsock_new(ZMQ_SUB);
        zsock_set_rcvhwm(c->rsubs[i], 200000);
        zsock_set_rcvtimeo(c->rsubs[i], 50);
        zsock_set_subscribe(c->rsubs[i], "");
        zsock_connect(c->rsubs[i], "%s", ep[i]);
    }
    c->raw[0] = (raw_t) { c->sh, zsock_resolve(c->rsubs[0]), zsock_resolve(c->rpubs[1]), "of.signal.GC.", sizes[1], true };
    c->raw[1] = (raw_t) { c->sh, zsock_resolve(c->rsubs[1]), zsock_resolve(c->rpubs[2]), "risk.order.GC.", sizes[2], false };
    c->raw[2] = (raw_t) { c->sh, zsock_resolve(c->rsubs[2]), NULL, NULL, 0, false };
    for (int i = 0; i < 3; i++)
        pthread_create(&c->th[i], NULL, s_raw, &c->raw[i]);
    c->rpub.pub = zsock_resolve(c->rpubs[0]);
    c->rpub.size = sizes[0];
    memset(c->rpub.buf, 0x5a, sizeof c->rpub.buf);
    c->pub = s_raw_publish;
    c->ctx = &c->rpub;
    return 0;
}

static void
s_chain_stop(chain_t *c)
{
    if (!c->sh)
        return;
    atomic_store(&c->sh->stop, true);
    for (int i = 0; i < 3; i++)
        if (c->th[i])
            pthread_join(c->th[i], NULL);
    if (c->stage[1].risk)
        risk_engine_destroy(&c->stage[1].risk);
    of_config_destroy(&c->acfg);
    for (int i = 3; i >= 0; i--)
        ofts_bus_destroy(&c->bus[i]);
    for (int i = 0; i < 3; i++) {
        zsock_destroy(&c->rsubs[i]);
        zsock_destroy(&c->rpubs[i]);
    }
    sem_destroy(&c->sh->got);
    free(c->sh);
    c->sh = NULL;
}

//  Both chains up at once; their samples alternate, so both see the same
//  machine (the other helpers' load on these 2 cores comes and goes).
static int
s_measure(const char *base, int64_t bus[3], int64_t raw[3], size_t sizes[3], int64_t legs[4])
{
    chain_t *o = calloc(1, sizeof *o), *r = calloc(1, sizeof *r);
    int rc = s_ofts_start(o, base);
    if (rc == 0)
        rc = s_sync(o);
    //  A few bursts first, so the sizes are those of steady state (signal
    //  ids and metrics grow a little after the first ones).
    for (int i = 0; rc == 0 && i < 50; i++)
        rc = s_sample(o, 2000, true) < 0 ? -1 : 0;
    if (rc == 0) {
        sizes[0] = o->sh->size_trade;
        sizes[1] = o->sh->size_signal;
        sizes[2] = o->sh->size_order;
        rc = s_raw_start(r, base, sizes);
    }
    if (rc == 0)
        rc = s_sync(r);
    int64_t *so = calloc(SAMPLES, sizeof *so), *sr = calloc(SAMPLES, sizeof *sr);
    int64_t *part[4];
    for (int i = 0; i < 4; i++)
        part[i] = calloc(SAMPLES, sizeof *part[i]);
    for (int s = 0; rc == 0 && s < WARMUP + SAMPLES; s++) {
        int64_t a = s_sample(o, 2000, true), b = s_sample(r, 2000, true);
        if (a < 0 || b < 0) {
            fprintf(stderr, "bench-pipeline: sample %d: no %s order within 2 s\n", s, a < 0 ? "ofts" : "raw");
            rc = -1;
        }
        else if (s >= WARMUP) {
            int64_t an_out = atomic_load(&o->sh->an_out), rk_in = atomic_load(&o->sh->rk_in),
                    rk_out = atomic_load(&o->sh->rk_out);
            part[0][s - WARMUP] = an_out - o->t0;
            part[1][s - WARMUP] = rk_in - an_out;
            part[2][s - WARMUP] = rk_out - rk_in;
            part[3][s - WARMUP] = o->t0 + a - rk_out;
            so[s - WARMUP] = a;
            sr[s - WARMUP] = b;
        }
    }
    if (rc == 0) {
        s_percentiles(so, bus);
        s_percentiles(sr, raw);
        for (int i = 0; i < 4; i++)
            legs[i] = bench_percentile(part[i], SAMPLES, 0.5);
    }
    for (int i = 0; i < 4; i++)
        free(part[i]);
    free(so);
    free(sr);
    s_chain_stop(o);
    s_chain_stop(r);
    free(o);
    free(r);
    return rc;
}

int
main(void)
{
    ofts_log_init("bench-pipeline", OFTS_LOG_ERROR);
    char dir[] = "/tmp/ofts-bench-pipeline-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char ipc[300];
    snprintf(ipc, sizeof ipc, "ipc://%s/ep", dir);
    const char *bases[2] = { ipc, "tcp" }, *names[2] = { "ipc", "tcp" };
    int64_t p99_ipc = 0;
    double ratio_ipc = 0;
    int rc = 0;
    for (int t = 0; t < 2 && rc == 0; t++) {
        int64_t bus[3] = { 0 }, raw[3] = { 0 };
        size_t sizes[3] = { 0 };
        int64_t legs[4] = { 0 };
        rc = s_measure(bases[t], bus, raw, sizes, legs);
        if (rc != 0)
            break;
        printf("%s: md publish -> order received, 3 hops (%zu / %zu / %zu bytes), %d samples each,"
               " interleaved (ns):\n", names[t], sizes[0], sizes[1], sizes[2], SAMPLES);
        printf("  raw zmq 3 hops      p50 %7lld  p99 %7lld  p99.9 %7lld\n", (long long) raw[0],
               (long long) raw[1], (long long) raw[2]);
        printf("  ofts tick-to-order  p50 %7lld  p99 %7lld  p99.9 %7lld\n", (long long) bus[0],
               (long long) bus[1], (long long) bus[2]);
        printf("  ratio               p50 %7.2f  p99 %7.2f  p99.9 %7.2f\n", (double) bus[0] / (double) raw[0],
               (double) bus[1] / (double) raw[1], (double) bus[2] / (double) raw[2]);
        printf("  ofts p50 by leg     md hop + analyzer %lld | signal hop %lld | risk rules %lld | order hop %lld\n",
               (long long) legs[0], (long long) legs[1], (long long) legs[2], (long long) legs[3]);
        if (t == 0) {
            p99_ipc = bus[1];
            ratio_ipc = (double) bus[1] / (double) raw[1];
        }
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = 1;
    zsys_shutdown();
    if (rc != 0)
        return 1;
    printf("RESULT tick_to_order_p99_ipc %lld ns ratio=%.2f vs raw_zmq_3hops\n", (long long) p99_ipc, ratio_ipc);
    return 0;
}
