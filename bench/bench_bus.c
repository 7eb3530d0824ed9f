/*  bench-bus: one ofts bus hop (pack, stamp, send, receive, unpack, sequence
    check) against a raw ZeroMQ PUB/SUB hop of the same bytes, measured in
    the same run over ipc:// and tcp://. Latency is a ping-pong: the echo
    side answers every message on a second PUB/SUB pair, so each sample is
    one round trip of two hops, halved.                                    */
#include <czmq.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include "bench_util.h"
#include "ofts_bus.h"
#include "ofts_log.h"

#define ROUNDS 20000
#define WARMUP 2000
#define THROUGHPUT_MSGS 500000

//  The echo binds `out` (tcp: an ephemeral port), writes the endpoint it
//  got into bound and posts ready: fixed ports collide with a bench that
//  another user of the machine runs at the same time.
typedef struct {
    const char *in, *out;
    bool ofts;
    char bound[256];
    sem_t ready;
} echo_args_t;

static void *
s_echo(void *arg)
{
    echo_args_t *a = arg;
    if (a->ofts) {
        ofts_bus_t *bus = ofts_bus_new("echo");
        ofts_bus_bind(bus, a->out);
        snprintf(a->bound, sizeof a->bound, "%s", zsock_endpoint(ofts_bus_pub_sock(bus)));
        sem_post(&a->ready);
        ofts_bus_connect(bus, a->in);
        ofts_bus_subscribe(bus, "");
        while (true) {
            char topic[64];
            Ofts__Envelope *env = ofts_bus_recv(bus, topic, sizeof topic, 5000);
            if (!env)
                break;
            if (strcmp(topic, "stop.") == 0) {
                ofts__envelope__free_unpacked(env, NULL);
                break;
            }
            Ofts__Header *saved = env->header;
            env->header = NULL;
            ofts_bus_publish(bus, topic, env);
            env->header = saved;
            ofts__envelope__free_unpacked(env, NULL);
        }
        ofts_bus_destroy(&bus);
    }
    else {
        zsock_t *pub = zsock_new(ZMQ_PUB);
        zsock_bind(pub, "%s", a->out);
        snprintf(a->bound, sizeof a->bound, "%s", zsock_endpoint(pub));
        sem_post(&a->ready);
        zsock_t *sub = zsock_new_sub(a->in, "");
        zsock_set_rcvtimeo(sub, 5000);
        void *s = zsock_resolve(sub), *p = zsock_resolve(pub);
        char t[64], body[512];
        while (true) {
            int tn = zmq_recv(s, t, sizeof t, 0);
            int bn = zmq_recv(s, body, sizeof body, 0);
            if (tn < 0 || bn < 0 || (tn == 5 && memcmp(t, "stop.", 5) == 0))
                break;
            zmq_send(p, t, (size_t) tn, ZMQ_SNDMORE);
            zmq_send(p, body, (size_t) bn, 0);
        }
        zsock_destroy(&sub);
        zsock_destroy(&pub);
    }
    return NULL;
}

static void
s_trade(Ofts__Envelope *env, Ofts__Trade *tr)
{
    ofts__envelope__init(env);
    ofts__trade__init(tr);
    tr->symbol = "GC";
    tr->contract = "GCZ6";
    tr->price = 2350100000000LL;
    tr->size = 3;
    tr->aggressor = OFTS__SIDE__SIDE_BUY;
    env->body_case = OFTS__ENVELOPE__BODY_TRADE;
    env->trade = tr;
}

//  Round trips through an echo thread; returns p50/p99/p999 one-way (RTT/2).
static void
s_pingpong(bool ofts, const char *base, int64_t out[3], size_t *msg_size)
{
    char a_ep[256], b_ep[256];
    snprintf(a_ep, sizeof a_ep, "%s-a%s", base, ofts ? "o" : "r");
    snprintf(b_ep, sizeof b_ep, "%s-b%s", base, ofts ? "o" : "r");
    if (strncmp(base, "tcp", 3) == 0) {
        snprintf(a_ep, sizeof a_ep, "tcp://127.0.0.1:*");
        snprintf(b_ep, sizeof b_ep, "tcp://127.0.0.1:*");
    }
    echo_args_t args = { a_ep, b_ep, ofts, "", { { 0 } } };
    sem_init(&args.ready, 0, 0);
    int64_t *samples = calloc(ROUNDS, sizeof *samples);
    Ofts__Envelope env;
    Ofts__Trade tr;
    s_trade(&env, &tr);
    uint8_t buf[512];
    size_t n = ofts__envelope__pack(&env, buf) + 40;     //  + header the bus adds
    *msg_size = n;
    pthread_t thread;
    if (ofts) {
        ofts_bus_t *bus = ofts_bus_new("bench");
        ofts_bus_bind(bus, a_ep);
        snprintf(a_ep, sizeof a_ep, "%s", zsock_endpoint(ofts_bus_pub_sock(bus)));
        pthread_create(&thread, NULL, s_echo, &args);
        sem_wait(&args.ready);
        ofts_bus_connect(bus, args.bound);
        ofts_bus_subscribe(bus, "");
        char topic[64];
        //  Slow joiner: ping until the echo answers.
        Ofts__Envelope *back = NULL;
        while (!back) {
            ofts_bus_publish(bus, "md.trade.GC.", &env);
            back = ofts_bus_recv(bus, topic, sizeof topic, 100);
        }
        ofts__envelope__free_unpacked(back, NULL);
        //  Late answers to the sync pings: drain them.
        while ((back = ofts_bus_recv(bus, topic, sizeof topic, 200)))
            ofts__envelope__free_unpacked(back, NULL);
        for (int i = 0; i < ROUNDS + WARMUP; i++) {
            int64_t t0 = bench_now_ns();
            ofts_bus_publish(bus, "md.trade.GC.", &env);
            back = ofts_bus_recv(bus, topic, sizeof topic, 5000);
            int64_t t1 = bench_now_ns();
            if (!back)
                break;
            ofts__envelope__free_unpacked(back, NULL);
            if (i >= WARMUP)
                samples[i - WARMUP] = (t1 - t0) / 2;
        }
        ofts_bus_publish(bus, "stop.", &env);
        pthread_join(thread, NULL);
        ofts_bus_destroy(&bus);
    }
    else {
        zsock_t *pub = zsock_new(ZMQ_PUB);
        zsock_bind(pub, "%s", a_ep);
        snprintf(a_ep, sizeof a_ep, "%s", zsock_endpoint(pub));
        pthread_create(&thread, NULL, s_echo, &args);
        sem_wait(&args.ready);
        zsock_t *sub = zsock_new_sub(args.bound, "");
        void *p = zsock_resolve(pub), *s = zsock_resolve(sub);
        char t[64], body[512];
        zmq_pollitem_t item = { s, 0, ZMQ_POLLIN, 0 };
        zsock_set_rcvtimeo(sub, 5000);
        while (true) {
            zmq_send(p, "md.trade.GC.", 12, ZMQ_SNDMORE);
            zmq_send(p, buf, n, 0);
            if (zmq_poll(&item, 1, 100) > 0)
                break;
        }
        while (zmq_poll(&item, 1, 200) > 0) {
            zmq_recv(s, t, sizeof t, 0);
            zmq_recv(s, body, sizeof body, 0);
        }
        for (int i = 0; i < ROUNDS + WARMUP; i++) {
            int64_t t0 = bench_now_ns();
            zmq_send(p, "md.trade.GC.", 12, ZMQ_SNDMORE);
            zmq_send(p, buf, n, 0);
            if (zmq_recv(s, t, sizeof t, 0) < 0 || zmq_recv(s, body, sizeof body, 0) < 0)
                break;
            int64_t t1 = bench_now_ns();
            if (i >= WARMUP)
                samples[i - WARMUP] = (t1 - t0) / 2;
        }
        zmq_send(p, "stop.", 5, ZMQ_SNDMORE);
        zmq_send(p, buf, n, 0);
        pthread_join(thread, NULL);
        zsock_destroy(&pub);
        zsock_destroy(&sub);
    }
    sem_destroy(&args.ready);
    out[0] = bench_percentile(samples, ROUNDS, 0.50);
    out[1] = bench_percentile(samples, ROUNDS, 0.99);
    out[2] = bench_percentile(samples, ROUNDS, 0.999);
    free(samples);
}

int
main(void)
{
    ofts_log_init("bench-bus", OFTS_LOG_ERROR);
    char dir[] = "/tmp/ofts-bench-bus-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char ipc[300];
    snprintf(ipc, sizeof ipc, "ipc://%s/ep", dir);
    const char *transports[] = { ipc, "tcp" };
    const char *names[] = { "ipc", "tcp" };
    double ratio_ipc = 0;
    int64_t ofts_p99_ipc = 0;
    for (int t = 0; t < 2; t++) {
        int64_t raw[3], bus[3];
        size_t size;
        s_pingpong(false, transports[t], raw, &size);
        s_pingpong(true, transports[t], bus, &size);
        printf("%s one hop, %zu-byte message, %d samples (ns):\n", names[t], size, ROUNDS);
        printf("  raw zmq   p50 %7lld  p99 %7lld  p99.9 %7lld\n", (long long) raw[0], (long long) raw[1], (long long) raw[2]);
        printf("  ofts bus  p50 %7lld  p99 %7lld  p99.9 %7lld\n", (long long) bus[0], (long long) bus[1], (long long) bus[2]);
        printf("  ratio     p50 %7.2f  p99 %7.2f  p99.9 %7.2f\n", (double) bus[0] / (double) raw[0],
               (double) bus[1] / (double) raw[1], (double) bus[2] / (double) raw[2]);
        if (t == 0) {
            ratio_ipc = (double) bus[1] / (double) raw[1];
            ofts_p99_ipc = bus[1];
        }
    }
    char rm[400];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0)
        return 1;
    zsys_shutdown();
    printf("RESULT bus_hop_p99_ipc %lld ns ratio=%.2f vs raw_zmq_hop\n", (long long) ofts_p99_ipc, ratio_ipc);
    return 0;
}
