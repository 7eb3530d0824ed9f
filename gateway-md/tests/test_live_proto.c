/*  live_proto: the text phase of the live gateway, byte by byte.           */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "live_proto.h"

#define KEY "db-AAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
static const char *const SCHEMAS[] = { "trades", "mbp-1", "mbp-10" };

static live_proto_t *s_new(const char *symbols, int hb)
{
    live_proto_params_t p = { .dataset = "GLBX.MDP3", .api_key = KEY, .client = "unittest",
        .stype_in = "parent", .symbols = symbols, .schemas = SCHEMAS, .n_schemas = 3,
        .heartbeat_interval_s = hb };
    return live_proto_new(&p);
}

static char *s_take(live_proto_t *lp)
{
    size_t len;
    const char *out = live_proto_output(lp, &len);
    char *copy = strndup(out, len);
    live_proto_output_done(lp, len);
    return copy;
}

static void test_full_session_split_reads(void **state)
{
    (void) state;
    live_proto_t *lp = s_new("GC.FUT,NQ.FUT", 10);
    assert_non_null(lp);
    //  greeting and challenge in one buffer, then split mid-line, then the
    //  auth response followed by the first DBN bytes in the same read.
    const char *in1 = "lsg_version=0.4.2\ncr";
    assert_int_equal(live_proto_feed(lp, in1, strlen(in1)), (long) strlen(in1));
    char *out = s_take(lp);
    assert_string_equal(out, "");
    free(out);
    const char *in2 = "am=abcdefghijk\n";
    assert_int_equal(live_proto_feed(lp, in2, strlen(in2)), (long) strlen(in2));
    assert_int_equal(live_proto_state(lp), LIVE_PROTO_AUTH_SENT);
    assert_string_equal(live_proto_lsg_version(lp), "0.4.2");
    out = s_take(lp);
    assert_string_equal(out, "auth=dae90589a319a08a136a05748c111326111d894b88a71dd68d1a68c76f37e05e-AAAAA"
                             "|dataset=GLBX.MDP3|encoding=dbn|ts_out=0|compression=none|client=unittest"
                             "|heartbeat_interval_s=10\n");
    assert_null(strstr(out, KEY));
    free(out);
    const char in3[] = "success=1|session_id=1234\nDBN\x03";
    long used = live_proto_feed(lp, in3, sizeof in3 - 1);
    assert_int_equal(used, 26);
    assert_int_equal(live_proto_state(lp), LIVE_PROTO_STREAMING);
    assert_string_equal(live_proto_session_id(lp), "1234");
    out = s_take(lp);
    assert_string_equal(out,
        "schema=trades|stype_in=parent|symbols=GC.FUT,NQ.FUT|snapshot=0|id=0|is_last=1\n"
        "schema=mbp-1|stype_in=parent|symbols=GC.FUT,NQ.FUT|snapshot=0|id=1|is_last=1\n"
        "schema=mbp-10|stype_in=parent|symbols=GC.FUT,NQ.FUT|snapshot=0|id=2|is_last=1\n"
        "start_session\n");
    free(out);
    assert_int_equal(live_proto_subscriptions(lp), 3);
    //  in STREAMING nothing more is consumed
    assert_int_equal(live_proto_feed(lp, "DBN", 3), 0);
    live_proto_destroy(&lp);
    assert_null(lp);
}

//  databento-cpp's own test gateway (tests/src/mock_lsg_server.cpp): greeting
//  "lsg-test", the challenge in a separate read, and a trailing '|' after
//  the session id. The vendor client ignores the greeting text; so do we.
static void test_any_greeting(void **state)
{
    (void) state;
    live_proto_t *lp = s_new("GC.FUT", 0);
    assert_int_equal(live_proto_feed(lp, "lsg-test\n", 9), 9);
    assert_int_equal(live_proto_state(lp), LIVE_PROTO_GREETING);
    assert_string_equal(live_proto_greeting(lp), "lsg-test");
    assert_string_equal(live_proto_lsg_version(lp), "");
    const char *cram = "cram=t7kNhwj4xqR0QYjzFKtBEG2ec2pXJ4FK\n";
    assert_int_equal(live_proto_feed(lp, cram, strlen(cram)), (long) strlen(cram));
    assert_int_equal(live_proto_state(lp), LIVE_PROTO_AUTH_SENT);
    char *out = s_take(lp);
    assert_int_equal(strncmp(out, "auth=", 5), 0);
    free(out);
    const char *ok = "success=1|session_id=5|\n";
    assert_int_equal(live_proto_feed(lp, ok, strlen(ok)), (long) strlen(ok));
    assert_int_equal(live_proto_state(lp), LIVE_PROTO_STREAMING);
    assert_string_equal(live_proto_session_id(lp), "5");
    live_proto_destroy(&lp);
    //  the usual greeting is still parsed
    lp = s_new("GC.FUT", 0);
    const char *in = "lsg_version=0.7.1\ncram=abc\n";
    assert_int_equal(live_proto_feed(lp, in, strlen(in)), (long) strlen(in));
    assert_string_equal(live_proto_greeting(lp), "lsg_version=0.7.1");
    assert_string_equal(live_proto_lsg_version(lp), "0.7.1");
    live_proto_destroy(&lp);
}

static void test_auth_rejected(void **state)
{
    (void) state;
    live_proto_t *lp = s_new("GC.FUT", 0);
    const char *in = "lsg_version=0.4.2\ncram=xyz\nsuccess=0|error=Authentication failed.\n";
    assert_int_equal(live_proto_feed(lp, in, strlen(in)), -1);
    assert_int_equal(live_proto_state(lp), LIVE_PROTO_FAILED);
    assert_true(live_proto_rejected(lp));
    assert_string_equal(live_proto_error(lp),
                        "gateway rejected authentication for dataset GLBX.MDP3: Authentication failed.");
    char *out = s_take(lp);
    assert_non_null(strstr(out, "auth="));
    assert_null(strstr(out, "heartbeat_interval_s"));
    assert_null(strstr(out, "schema="));
    free(out);
    live_proto_destroy(&lp);
}

static void test_bad_lines(void **state)
{
    (void) state;
    //  no success key
    live_proto_t *lp = s_new("GC.FUT", 0);
    const char *in = "cram=xyz\nsession_id=5\n";
    assert_int_equal(live_proto_feed(lp, in, strlen(in)), -1);
    assert_false(live_proto_rejected(lp));
    assert_string_equal(live_proto_error(lp), "gateway did not send a success indicator");
    live_proto_destroy(&lp);
    //  garbage before the challenge: the first line passes as a greeting,
    //  the second must be the challenge (cpp DecodeChallenge)
    lp = s_new("GC.FUT", 0);
    in = "HTTP/1.1 400 Bad Request\nContent-Type: text/html\n";
    assert_int_equal(live_proto_feed(lp, in, strlen(in)), -1);
    assert_string_equal(live_proto_error(lp), "did not receive the CRAM challenge after the greeting: "
                                              "unexpected line 'Content-Type: text/html'");
    live_proto_destroy(&lp);
    //  binary garbage / over-long line
    lp = s_new("GC.FUT", 0);
    assert_int_equal(live_proto_feed(lp, "ab\0c", 4), -1);
    live_proto_destroy(&lp);
    lp = s_new("GC.FUT", 0);
    char *big = malloc(LIVE_PROTO_MAX_LINE + 10);
    memset(big, 'x', LIVE_PROTO_MAX_LINE + 10);
    assert_int_equal(live_proto_feed(lp, big, LIVE_PROTO_MAX_LINE + 10), -1);
    free(big);
    live_proto_destroy(&lp);
    //  malformed auth response
    lp = s_new("GC.FUT", 0);
    in = "cram=abc\nsuccess1\n";
    assert_int_equal(live_proto_feed(lp, in, strlen(in)), -1);
    assert_string_equal(live_proto_error(lp), "malformed authentication response from the gateway");
    live_proto_destroy(&lp);
    //  missing parameters
    live_proto_params_t p = { .dataset = "GLBX.MDP3" };
    assert_null(live_proto_new(&p));
}

static void test_symbol_chunks(void **state)
{
    (void) state;
    //  1001 symbols -> chunks of 500, 500, 1 per schema with is_last on the last
    size_t cap = 1001 * 8;
    char *syms = calloc(1, cap);
    for (int i = 0; i < 1001; i++)
        snprintf(syms + strlen(syms), cap - strlen(syms), "%sS%d", i ? "," : "", i);
    live_proto_params_t p = { .dataset = "GLBX.MDP3", .api_key = KEY, .stype_in = "raw_symbol",
        .symbols = syms, .schemas = SCHEMAS, .n_schemas = 1 };
    live_proto_t *lp = live_proto_new(&p);
    const char *in = "cram=a\nsuccess=1|session_id=x\n";
    assert_int_equal(live_proto_feed(lp, in, strlen(in)), (long) strlen(in));
    char *out = s_take(lp);
    assert_int_equal(live_proto_subscriptions(lp), 3);
    char *l1 = strstr(out, "schema=");
    char *l2 = strstr(l1 + 1, "schema=");
    char *l3 = strstr(l2 + 1, "schema=");
    assert_non_null(l3);
    assert_int_equal(strncmp(l1, "schema=trades|stype_in=raw_symbol|symbols=S0,S1,", 48), 0);
    assert_non_null(strstr(l1, ",S499|snapshot=0|id=0|is_last=0\nschema=trades|stype_in=raw_symbol|symbols=S500,"));
    assert_non_null(strstr(l2, ",S999|snapshot=0|id=0|is_last=0\n"));
    assert_non_null(strstr(l3, "symbols=S1000|snapshot=0|id=0|is_last=1\nstart_session\n"));
    free(out);
    free(syms);
    live_proto_destroy(&lp);
}

static void test_zstd_flag(void **state)
{
    (void) state;
    live_proto_params_t p = { .dataset = "GLBX.MDP3", .api_key = KEY, .client = "c", .stype_in = "parent",
        .symbols = "GC.FUT", .schemas = SCHEMAS, .n_schemas = 1, .zstd = true, .ts_out = true };
    live_proto_t *lp = live_proto_new(&p);
    assert_int_equal(live_proto_feed(lp, "cram=abcdefghijk\n", 17), 17);
    char *out = s_take(lp);
    assert_string_equal(out, "auth=dae90589a319a08a136a05748c111326111d894b88a71dd68d1a68c76f37e05e-AAAAA"
                             "|dataset=GLBX.MDP3|encoding=dbn|ts_out=1|compression=zstd|client=c\n");
    free(out);
    live_proto_destroy(&lp);
}

static void test_replay_start(void **state)
{
    (void) state;
    //  start only on the schemas in the mask (trades), as UNIX ns
    live_proto_params_t p = { .dataset = "GLBX.MDP3", .api_key = KEY, .stype_in = "parent",
        .symbols = "GC.FUT", .schemas = SCHEMAS, .n_schemas = 3, .start_ns = 1764540000000000000ULL,
        .replay_mask = 1 };
    live_proto_t *lp = live_proto_new(&p);
    const char *in = "cram=a\nsuccess=1|session_id=x\n";
    assert_int_equal(live_proto_feed(lp, in, strlen(in)), (long) strlen(in));
    char *out = s_take(lp);
    assert_non_null(strstr(out, "schema=trades|stype_in=parent|symbols=GC.FUT|start=1764540000000000000"
                                "|snapshot=0|id=0|is_last=1\n"));
    assert_non_null(strstr(out, "schema=mbp-1|stype_in=parent|symbols=GC.FUT|snapshot=0|id=1|is_last=1\n"));
    int starts = 0;
    for (const char *q = out; (q = strstr(q, "start=")) != NULL; q++)
        starts++;
    assert_int_equal(starts, 1);            //  mbp-1 and mbp-10 lines have none
    free(out);
    live_proto_destroy(&lp);
}

static void test_parse_line(void **state)
{
    (void) state;
    char line[] = "success=0|error=Bad = thing";
    live_kv_t kv[4];
    int n = live_proto_parse_line(line, kv, 4);
    assert_int_equal(n, 2);
    assert_string_equal(live_kv_get(kv, n, "error"), "Bad = thing");
    assert_null(live_kv_get(kv, n, "nope"));
    char bad[] = "a=1|=2";
    assert_int_equal(live_proto_parse_line(bad, kv, 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_session_split_reads),
        cmocka_unit_test(test_any_greeting),
        cmocka_unit_test(test_auth_rejected),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_symbol_chunks),
        cmocka_unit_test(test_parse_line),
        cmocka_unit_test(test_zstd_flag),
        cmocka_unit_test(test_replay_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
