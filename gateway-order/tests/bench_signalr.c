/*  bench_signalr - user-hub decoding speed: LIVE-shaped GatewayUserOrder
    pushes, 8 per WebSocket frame, fed in 512-byte chunks through the
    SignalR session (framing + decode) and projectx_userhub_parse (unwrap +
    OrderModel). Baseline, same run: json_loads of the same records alone,
    i.e. the cost no JSON client can avoid.                               */
#include "ofts_log.h"
#include "projectx_userhub.h"
#include "signalr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECORDS 200000
#define PER_FRAME 8

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t s_events;

static void
on_invocation(void *arg, const char *target, const json_t *arguments)
{
    (void) arg;
    projectx_event_t ev[4];
    int n = projectx_userhub_parse(target, arguments, ev, 4, NULL);
    if (n > 0)
        s_events += (uint64_t) n;
}

int
main(void)
{
    ofts_log_init("bench-signalr", OFTS_LOG_ERROR);
    const char *record =
        "{\"type\":1,\"target\":\"GatewayUserOrder\",\"arguments\":[{\"action\":1,\"data\":"
        "{\"id\":3425270858,\"accountId\":26282486,\"contractId\":\"CON.F.US.MNQ.U26\","
        "\"symbolId\":\"F.US.MNQ\",\"creationTimestamp\":\"2026-08-19T20:49:25.3938333+00:00\","
        "\"updateTimestamp\":\"2026-08-19T20:49:25.3962105+00:00\",\"status\":2,\"type\":2,"
        "\"side\":1,\"size\":1,\"fillVolume\":1,\"filledPrice\":30199.25,\"limitPrice\":null,"
        "\"stopPrice\":null,\"customTag\":\"ofts-20260816-000123\"}}]}\x1e";
    size_t rlen = strlen(record);
    size_t total = rlen * RECORDS;
    char *stream = malloc(total);
    for (size_t i = 0; i < RECORDS; i++)
        memcpy(stream + i * rlen, record, rlen);

    //  Baseline: parse each record's JSON, nothing else.
    double t0 = now_s();
    size_t parsed = 0;
    for (size_t i = 0; i < RECORDS; i++) {
        json_error_t err;
        json_t *j = json_loadb(stream + i * rlen, rlen - 1, 0, &err);
        parsed += j != NULL;
        json_decref(j);
    }
    double base = now_s() - t0;

    signalr_handler_t h = { NULL, NULL, on_invocation, NULL, NULL, NULL };
    signalr_session_t *s = signalr_session_new(NULL, &h);
    signalr_session_connected(s, 0);
    signalr_session_receive(s, "{}\x1e", 3, 0);
    t0 = now_s();
    size_t frame = rlen * PER_FRAME;
    for (size_t off = 0; off < total; off += frame) {
        size_t end = off + frame < total ? off + frame : total;
        for (size_t c = off; c < end; c += 512)         //  lws hands fragments
            signalr_session_receive(s, stream + c, (end - c) < 512 ? end - c : 512, 1);
    }
    double full = now_s() - t0;
    signalr_session_destroy(&s);
    free(stream);

    double base_rate = parsed / base, rate = s_events / full;
    printf("records %d, %zu bytes each, %d per frame, 512-byte fragments\n", RECORDS, rlen,
           PER_FRAME);
    printf("json_loads only:          %.0f records/s (%.1f MB/s)\n", base_rate,
           total / base / 1e6);
    printf("signalr + userhub decode: %.0f events/s (%.1f MB/s), %llu events\n", rate,
           total / full / 1e6, (unsigned long long) s_events);
    printf("RESULT signalr_userhub_decode %.0f events/s ratio=%.2f vs json_loads\n", rate,
           rate / base_rate);
    return s_events == RECORDS ? 0 : 1;
}
