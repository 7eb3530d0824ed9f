/*  test_signalr - SignalR JSON framing and the client session on hand-made
    frames: several messages per frame, records split across frames (down to
    one byte at a time), handshake coalesced with the first event, ping,
    close, garbage, over-long records, keep-alive and server time-out.   */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ofts_log.h"
#include "signalr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RS "\x1e"

static void
test_reader_several_per_frame(void **state)
{
    (void) state;
    signalr_reader_t *r = signalr_reader_new(0);
    const char *frame = "{}" RS "{\"type\":6}" RS
                        "{\"type\":1,\"target\":\"GatewayUserOrder\",\"arguments\":[{\"id\":1}]}" RS;
    signalr_reader_feed(r, frame, strlen(frame));
    json_t *j;
    char err[128];
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), 1);
    assert_int_equal(json_object_size(j), 0);
    json_decref(j);
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "type")), 6);
    json_decref(j);
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), 1);
    assert_string_equal(json_string_value(json_object_get(j, "target")), "GatewayUserOrder");
    json_decref(j);
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), 0);
    assert_null(j);
    assert_int_equal(signalr_reader_pending(r), 0);
    signalr_reader_destroy(&r);
    assert_null(r);
}

static void
test_reader_partial_frames(void **state)
{
    (void) state;
    signalr_reader_t *r = signalr_reader_new(0);
    const char *text = "{\"type\":3,\"invocationId\":\"0\"}" RS "{\"type\":6}" RS "{\"ty";
    json_t *j;
    char err[128];
    int got = 0;
    //  One byte at a time: records appear exactly when their RS arrives.
    for (size_t i = 0; i < strlen(text); i++) {
        signalr_reader_feed(r, text + i, 1);
        int rc;
        while ((rc = signalr_reader_next(r, &j, err, sizeof err)) == 1) {
            got++;
            if (got == 1) {
                assert_int_equal(i, (size_t) (strchr(text, '\x1e') - text));
                assert_string_equal(json_string_value(json_object_get(j, "invocationId")), "0");
            }
            json_decref(j);
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(got, 2);
    assert_int_equal(signalr_reader_pending(r), 4);     //  "{\"ty" waits for more
    signalr_reader_feed(r, "pe\":7}" RS, 7);
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "type")), 7);
    json_decref(j);
    signalr_reader_destroy(&r);
}

static void
test_reader_garbage_and_overlong(void **state)
{
    (void) state;
    signalr_reader_t *r = signalr_reader_new(64);
    json_t *j;
    char err[128];
    const char *bad = "{not json" RS "{\"type\":6}" RS;
    signalr_reader_feed(r, bad, strlen(bad));
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), -1);
    assert_non_null(strstr(err, "not JSON"));
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), 1);     //  stream resyncs
    json_decref(j);
    //  A 200-byte record with a 64-byte limit: dropped, the next one survives.
    char big[256];
    memset(big, 'x', 200);
    big[0] = '"';
    big[199] = '"';
    signalr_reader_feed(r, big, 100);
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), 0);
    assert_true(signalr_reader_pending(r) <= 64);       //  memory stays bounded
    signalr_reader_feed(r, big + 100, 100);
    signalr_reader_feed(r, RS "{\"type\":6}" RS, 12);
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), -1);
    assert_non_null(strstr(err, "dropped"));
    assert_int_equal(signalr_reader_next(r, &j, err, sizeof err), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "type")), 6);
    json_decref(j);
    signalr_reader_destroy(&r);
}

//  Property: any chunking of a stream gives back exactly its records, in
//  order. 300 records of varied size, 50 random chunkings (fixed seed).
static void
test_reader_random_chunking(void **state)
{
    (void) state;
    size_t cap = 300 * 400, len = 0;
    char *stream = malloc(cap);
    for (int i = 0; i < 300; i++) {
        int pad = (i * 37) % 300;
        len += (size_t) snprintf(stream + len, cap - len, "{\"type\":1,\"n\":%d,\"pad\":\"%*s\"}" RS,
                                 i, pad, "");
    }
    unsigned seed = 12345;
    for (int round = 0; round < 50; round++) {
        signalr_reader_t *r = signalr_reader_new(0);
        int expect = 0;
        for (size_t off = 0; off < len;) {
            size_t n = 1 + (size_t) (rand_r(&seed) % 700);
            if (off + n > len)
                n = len - off;
            signalr_reader_feed(r, stream + off, n);
            off += n;
            json_t *j;
            char err[64];
            int rc;
            while ((rc = signalr_reader_next(r, &j, err, sizeof err)) == 1) {
                assert_int_equal(json_integer_value(json_object_get(j, "n")), expect);
                expect++;
                json_decref(j);
            }
            assert_int_equal(rc, 0);
        }
        assert_int_equal(expect, 300);
        assert_int_equal(signalr_reader_pending(r), 0);
        signalr_reader_destroy(&r);
    }
    free(stream);
}

static void
test_encode_decode(void **state)
{
    (void) state;
    char *hs = signalr_encode_handshake();
    assert_string_equal(hs, "{\"protocol\":\"json\",\"version\":1}" RS);
    free(hs);
    char *inv = signalr_encode_invocation("3", "SubscribeOrders", json_pack("[I]", (json_int_t) 26282486));
    assert_string_equal(inv, "{\"type\":1,\"target\":\"SubscribeOrders\",\"arguments\":[26282486],"
                             "\"invocationId\":\"3\"}" RS);
    free(inv);
    char *ff = signalr_encode_invocation(NULL, "SubscribeAccounts", NULL);
    assert_null(strstr(ff, "invocationId"));
    assert_non_null(strstr(ff, "\"arguments\":[]"));
    free(ff);
    char *ping = signalr_encode_ping();
    assert_string_equal(ping, "{\"type\":6}" RS);
    free(ping);

    json_error_t jerr;
    json_t *j = json_loads("{\"type\":7,\"error\":\"Connection closed with an error.\","
                           "\"allowReconnect\":true}", 0, &jerr);
    signalr_msg_t m;
    assert_true(signalr_msg_decode(j, &m));
    assert_int_equal(m.type, SIGNALR_CLOSE);
    assert_string_equal(m.error, "Connection closed with an error.");
    assert_true(m.allow_reconnect);
    json_decref(j);
    j = json_loads("{\"type\":1,\"target\":\"X\"}", 0, &jerr);     //  no arguments
    assert_false(signalr_msg_decode(j, &m));
    json_decref(j);
    j = json_loads("{\"target\":\"X\",\"arguments\":[]}", 0, &jerr);   //  no type
    assert_false(signalr_msg_decode(j, &m));
    json_decref(j);
}

//  --------------------------------------------------------------------------
//  Session with a recording fake transport

typedef struct {
    char sent[16][256];
    int nsent;
    int opens;
    char targets[16][64];
    int ninv;
    char completions[8][64];
    int ncomp;
    char closed[256];
    int nclosed;
    bool allow_reconnect;
} rec_t;

static void
rec_send(void *arg, const char *text, size_t len)
{
    rec_t *r = arg;
    if (r->nsent < 16)
        snprintf(r->sent[r->nsent++], 256, "%.*s", (int) len, text);
}
static void rec_open(void *arg) { ((rec_t *) arg)->opens++; }
static void
rec_inv(void *arg, const char *target, const json_t *args)
{
    rec_t *r = arg;
    (void) args;
    snprintf(r->targets[r->ninv++], 64, "%s", target);
}
static void
rec_comp(void *arg, const char *id, const char *error)
{
    rec_t *r = arg;
    snprintf(r->completions[r->ncomp++], 64, "%s:%s", id, error ? error : "ok");
}
static void
rec_closed(void *arg, const char *reason, bool allow)
{
    rec_t *r = arg;
    snprintf(r->closed, sizeof r->closed, "%s", reason);
    r->nclosed++;
    r->allow_reconnect = allow;
}

static signalr_session_t *
session(rec_t *r)
{
    memset(r, 0, sizeof *r);
    signalr_handler_t h = { rec_send, rec_open, rec_inv, rec_comp, rec_closed, r };
    signalr_options_t o;
    signalr_options_defaults(&o);
    return signalr_session_new(&o, &h);
}

static void
feed(signalr_session_t *s, const char *text, int64_t now)
{
    signalr_session_receive(s, text, strlen(text), now);
}

static void
test_session_handshake_coalesced(void **state)
{
    (void) state;
    rec_t r;
    signalr_session_t *s = session(&r);
    assert_int_equal(signalr_session_state(s), SIGNALR_CLOSED);
    assert_null(signalr_session_invoke(s, "SubscribeOrders", json_array(), 0));
    signalr_session_connected(s, 1000);
    assert_int_equal(r.nsent, 1);
    assert_string_equal(r.sent[0], "{\"protocol\":\"json\",\"version\":1}" RS);
    assert_int_equal(signalr_session_state(s), SIGNALR_HANDSHAKING);
    //  Handshake reply, an event and a ping in one frame (RS README).
    feed(s, "{}" RS "{\"type\":1,\"target\":\"GatewayUserTrade\",\"arguments\":[{}]}" RS
            "{\"type\":6}" RS, 1100);
    assert_int_equal(r.opens, 1);
    assert_int_equal(signalr_session_state(s), SIGNALR_OPEN);
    assert_int_equal(r.ninv, 1);
    assert_string_equal(r.targets[0], "GatewayUserTrade");
    const char *id = signalr_session_invoke(s, "SubscribeOrders", json_pack("[i]", 7), 1200);
    assert_string_equal(id, "0");
    id = signalr_session_invoke(s, "SubscribeTrades", json_pack("[i]", 7), 1200);
    assert_string_equal(id, "1");
    feed(s, "{\"type\":3,\"invocationId\":\"0\",\"result\":null}" RS
            "{\"type\":3,\"invocationId\":\"1\",\"error\":\"Unauthorized\"}" RS, 1300);
    assert_int_equal(r.ncomp, 2);
    assert_string_equal(r.completions[0], "0:ok");
    assert_string_equal(r.completions[1], "1:Unauthorized");
    //  Ignored types and junk do not close the session.
    feed(s, "{\"type\":2,\"invocationId\":\"9\",\"item\":1}" RS "{\"foo\":1}" RS "[1,2" RS, 1400);
    assert_int_equal(signalr_session_state(s), SIGNALR_OPEN);
    assert_int_equal(signalr_session_bad_records(s), 2);
    //  Server Close with allowReconnect.
    feed(s, "{\"type\":7,\"error\":\"Server is restarting\",\"allowReconnect\":true}" RS, 1500);
    assert_int_equal(r.nclosed, 1);
    assert_string_equal(r.closed, "server closed: Server is restarting");
    assert_true(r.allow_reconnect);
    assert_int_equal(signalr_session_state(s), SIGNALR_CLOSED);
    feed(s, "{\"type\":6}" RS, 1600);        //  after close: ignored
    signalr_session_disconnected(s, "late");
    assert_int_equal(r.nclosed, 1);          //  reported once
    //  A new connection restarts invocation ids.
    signalr_session_connected(s, 2000);
    feed(s, "{}" RS, 2001);
    assert_string_equal(signalr_session_invoke(s, "SubscribeAccounts", NULL, 2002), "0");
    signalr_session_destroy(&s);
    assert_null(s);
}

static void
test_session_handshake_refused(void **state)
{
    (void) state;
    rec_t r;
    signalr_session_t *s = session(&r);
    signalr_session_connected(s, 0);
    feed(s, "{\"error\":\"Requested protocol 'json' is not available.\"}" RS, 10);
    assert_int_equal(r.nclosed, 1);
    assert_non_null(strstr(r.closed, "handshake refused: Requested protocol"));
    assert_false(r.allow_reconnect);
    assert_int_equal(r.opens, 0);
    signalr_session_destroy(&s);
}

static void
test_session_keepalive_and_timeout(void **state)
{
    (void) state;
    rec_t r;
    signalr_session_t *s = session(&r);
    signalr_session_connected(s, 0);
    signalr_session_tick(s, 14999);
    assert_int_equal(r.nclosed, 0);
    signalr_session_tick(s, 15000);          //  no handshake reply in 15 s
    assert_int_equal(r.nclosed, 1);
    assert_string_equal(r.closed, "handshake timed out");
    signalr_session_destroy(&s);

    s = session(&r);
    signalr_session_connected(s, 0);
    feed(s, "{}" RS, 100);
    assert_int_equal(r.nsent, 1);
    signalr_session_tick(s, 14000);          //  sent at 0: ping due at 15000
    assert_int_equal(r.nsent, 1);
    signalr_session_tick(s, 15000);
    assert_int_equal(r.nsent, 2);
    assert_string_equal(r.sent[1], "{\"type\":6}" RS);
    signalr_session_tick(s, 20000);
    assert_int_equal(r.nsent, 2);            //  next one 15 s after the last send
    feed(s, "{\"type\":6}" RS, 25000);         //  server ping keeps us alive
    signalr_session_tick(s, 30000);
    assert_int_equal(r.nsent, 3);
    signalr_session_tick(s, 54999);
    assert_int_equal(r.nclosed, 0);
    signalr_session_tick(s, 55000);          //  30 s of server silence
    assert_int_equal(r.nclosed, 1);
    assert_non_null(strstr(r.closed, "server timeout"));
    assert_true(r.allow_reconnect);
    signalr_session_destroy(&s);
}

int
main(void)
{
    ofts_log_init("test-signalr", OFTS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_several_per_frame),
        cmocka_unit_test(test_reader_partial_frames),
        cmocka_unit_test(test_reader_garbage_and_overlong),
        cmocka_unit_test(test_reader_random_chunking),
        cmocka_unit_test(test_encode_decode),
        cmocka_unit_test(test_session_handshake_coalesced),
        cmocka_unit_test(test_session_handshake_refused),
        cmocka_unit_test(test_session_keepalive_and_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
