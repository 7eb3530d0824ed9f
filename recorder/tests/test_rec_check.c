/*  rec_check: a batch's MACs checked on one thread (small batch) or two
    (REC_CHECK_PARALLEL or more) - every verdict right, every message
    handed back in the order it was added, bytes intact.                 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "ofts_log.h"
#include "ofts_trust.h"
#include "rec_check.h"

typedef struct {
    int n;
    int bad_order, bad_verdict, bad_bytes;
} seen_t;

//  Message i: topic "t.<i>", body "body-<i>"; every 7th (i % 7 == 3)
//  unsigned, every 11th (i % 11 == 5) with a wrong MAC, the rest signed.
static bool
s_expect_ok(int i)
{
    return i % 7 != 3 && i % 11 != 5;
}

static void
s_on(void *arg, const uint8_t *topic, size_t tlen, const uint8_t *body, size_t blen, bool has_mac, bool ok)
{
    seen_t *s = arg;
    char want[32], want_body[32];
    snprintf(want, sizeof want, "t.%d", s->n);
    snprintf(want_body, sizeof want_body, "body-%d", s->n);
    if (tlen != strlen(want) || memcmp(topic, want, tlen) != 0)
        s->bad_order++;
    if (!body || blen != strlen(want_body) || memcmp(body, want_body, blen) != 0)
        s->bad_bytes++;
    if (ok != s_expect_ok(s->n) || has_mac != (s->n % 7 != 3))
        s->bad_verdict++;
    s->n++;
}

static void
s_batch(rec_check_t *check, const ofts_trust_mackey_t *key, int count, seen_t *seen)
{
    for (int i = 0; i < count; i++) {
        char topic[32], body[32];
        uint8_t mac[OFTS_TRUST_MAC_SIZE];
        snprintf(topic, sizeof topic, "t.%d", i);
        snprintf(body, sizeof body, "body-%d", i);
        //  The bus's MAC: keyed BLAKE2b over topic and body in the bus domain.
        ofts_trust_mac_with(key, "ofts-bus", topic, strlen(topic), body, strlen(body), mac);
        if (i % 11 == 5)
            mac[3] ^= 1;
        rec_check_add(check, (const uint8_t *) topic, strlen(topic), (const uint8_t *) body, strlen(body),
                      i % 7 == 3 ? NULL : mac, sizeof mac);
    }
    assert_int_equal(rec_check_count(check), count);
    rec_check_run(check, s_on, seen);
    assert_int_equal(rec_check_count(check), 0);
}

static void
t_verdicts_in_order(void **state)
{
    (void) state;
    uint8_t secret[OFTS_TRUST_KEY_SIZE];
    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (uint8_t) (i * 7 + 1);
    ofts_trust_mackey_t key;
    ofts_trust_mackey_init(&key, secret);
    rec_check_t *check = rec_check_new(&key);
    seen_t small = { 0 }, large = { 0 };
    s_batch(check, &key, 40, &small);           //  one thread
    assert_int_equal(rec_check_parallel_runs(check), 0);
    s_batch(check, &key, 5000, &large);         //  two
    assert_int_equal(rec_check_parallel_runs(check), 1);
    rec_check_destroy(&check);
    assert_null(check);
    assert_int_equal(small.n, 40);
    assert_int_equal(large.n, 5000);
    assert_int_equal(small.bad_order + small.bad_bytes + small.bad_verdict, 0);
    assert_int_equal(large.bad_order, 0);
    assert_int_equal(large.bad_bytes, 0);
    assert_int_equal(large.bad_verdict, 0);
}

int
main(void)
{
    ofts_log_init("test-rec_check", OFTS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_verdicts_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
