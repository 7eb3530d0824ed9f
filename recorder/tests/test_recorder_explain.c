/*  `ofts explain` finds the md that completed a signal by the signal's
    Header.md_seq, not by where it lies in the recording.

    The recorder reads every publisher on one socket, so a signal can be
    recorded before the md it was computed from (the md pipe is backlogged,
    the analyzer's is not): seen in real sessions, and the cause of
    recorder_session's explain case failing 1 run in 2. Here a recording is
    written by hand in that order: an md.book with the same ts_event and
    ts_recv as the signal (one Databento record gives a book and a trade)
    before the signal, the md.trade that completed it (seq = md_seq) 1 ms
    after. The explanation must name the trade, gateway-md#11.          */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "e2e_util.h"
#include "ofts.pb-c.h"
#include "rec_writer.h"

#define T0 1796447390000000000LL            //  recorder receive times
#define EV 1796049000003780253LL            //  exchange event of the trade
#define RV (EV + 40000)                     //  Databento's receive

//  One envelope, as a publisher would have packed it.
static void
s_append(rec_writer_t *w, int64_t recv_ns, const char *topic, Ofts__Envelope *env, const char *source,
         uint64_t seq, uint64_t md_seq)
{
    Ofts__Header hdr = OFTS__HEADER__INIT;
    hdr.source = (char *) source;
    hdr.seq = seq;
    hdr.epoch = 77;
    hdr.topic_seq = seq;
    hdr.ts_event = EV;
    hdr.ts_recv = RV;
    hdr.ts_publish = recv_ns - 1000;
    hdr.md_seq = md_seq;
    env->header = &hdr;
    uint8_t buf[4096];
    size_t len = ofts__envelope__pack(env, buf);
    assert_int_equal(rec_writer_append(w, REC_MESSAGE, recv_ns, topic, strlen(topic), buf, len), 0);
}

static void
t_md_recorded_after_its_signal(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("rec-explain");
    rec_writer_config_t cfg = { .dir = dir, .fsync = REC_FSYNC_NONE };
    char err[512];
    rec_writer_t *w = rec_writer_new(&cfg, err, sizeof err);
    assert_non_null(w);

    Ofts__Depth depth = OFTS__DEPTH__INIT;
    depth.symbol = "GC";
    depth.contract = "GCZ6";
    Ofts__Envelope book = OFTS__ENVELOPE__INIT;
    book.body_case = OFTS__ENVELOPE__BODY_DEPTH;
    book.depth = &depth;
    s_append(w, T0, "md.book.GC.", &book, "gateway-md", 10, 0);

    Ofts__Signal signal = OFTS__SIGNAL__INIT;
    signal.id = "GC-1796049000003780253-1";
    signal.symbol = "GC";
    signal.contract = "GCZ6";
    signal.direction = OFTS__SIDE__SIDE_SELL;
    signal.confidence = 0.9;
    signal.reasons = "Strong sell imbalance: -0.60";
    Ofts__Envelope sig = OFTS__ENVELOPE__INIT;
    sig.body_case = OFTS__ENVELOPE__BODY_SIGNAL;
    sig.signal = &signal;
    s_append(w, T0 + 2000000, "of.signal.GC.", &sig, "analyzer", 1, 11);

    Ofts__Trade trade = OFTS__TRADE__INIT;
    trade.symbol = "GC";
    trade.contract = "GCZ6";
    trade.price = 2318700000000LL;
    trade.size = 3;
    trade.aggressor = OFTS__SIDE__SIDE_SELL;
    Ofts__Envelope tr = OFTS__ENVELOPE__INIT;
    tr.body_case = OFTS__ENVELOPE__BODY_TRADE;
    tr.trade = &trade;
    s_append(w, T0 + 3000000, "md.trade.GC.", &tr, "gateway-md", 11, 0);
    rec_writer_destroy(&w);

    char bin[512], cmd[2048], out[16384];
    e2e_bin("ofts-explain", bin, sizeof bin);
    snprintf(cmd, sizeof cmd, "%s %s %s 2>/dev/null", bin, signal.id, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    fprintf(stderr, "%s", out);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "market data that completed the signal: md.trade.GC. gateway-md#11 "));
    assert_non_null(strstr(out, "\nsignal: of.signal.GC. analyzer#1 "));
    e2e_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_md_recorded_after_its_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
