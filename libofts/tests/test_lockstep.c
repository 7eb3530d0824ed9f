/*  ofts_lockstep: a relay vouches for a market time only when every
    upstream has, and answers a repeated mark (a retry, a restart) with its
    own again.                                                             */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "ofts_lockstep.h"

static const char *const risk_up[] = { "gateway-md", "analyzer" };

static void
t_waits_for_every_upstream(void **state)
{
    (void) state;
    ofts_lockstep_t *ls = ofts_lockstep_new(risk_up, 2);
    assert_non_null(ls);
    //  gateway-md's mark arrives first (it is one hop closer): not yet.
    assert_int_equal(ofts_lockstep_on_mark(ls, "gateway-md", 100), 0);
    assert_int_equal(ofts_lockstep_complete(ls), 0);
    //  The analyzer's mark for the same market time: relay it.
    assert_int_equal(ofts_lockstep_on_mark(ls, "analyzer", 100), 100);
    //  The next market time, in either order.
    assert_int_equal(ofts_lockstep_on_mark(ls, "analyzer", 250), 0);
    assert_int_equal(ofts_lockstep_on_mark(ls, "gateway-md", 250), 250);
    assert_int_equal(ofts_lockstep_complete(ls), 250);
    //  Not an upstream (a rogue, or a service we do not wait for): ignored.
    assert_int_equal(ofts_lockstep_on_mark(ls, "gateway-order", 999), 0);
    assert_false(ofts_lockstep_is_upstream(ls, "gateway-order"));
    assert_true(ofts_lockstep_is_upstream(ls, "analyzer"));
    ofts_lockstep_destroy(&ls);
    assert_null(ls);
}

static void
t_repeat_is_answered(void **state)
{
    (void) state;
    ofts_lockstep_t *ls = ofts_lockstep_new(risk_up, 2);
    assert_int_equal(ofts_lockstep_on_mark(ls, "gateway-md", 100), 0);
    assert_int_equal(ofts_lockstep_on_mark(ls, "analyzer", 100), 100);
    //  gateway-md repeats 100 (our relay was lost downstream): send 100 again.
    assert_int_equal(ofts_lockstep_on_mark(ls, "gateway-md", 100), 100);
    //  A new mark from one upstream only is not a repeat: nothing to send.
    assert_int_equal(ofts_lockstep_on_mark(ls, "gateway-md", 300), 0);
    //  ... and its retry is answered with what is complete (100), which
    //  the origin ignores as older than what it waits for.
    assert_int_equal(ofts_lockstep_on_mark(ls, "gateway-md", 300), 100);
    //  Mark 0 means nothing.
    assert_int_equal(ofts_lockstep_on_mark(ls, "analyzer", 0), 0);
    ofts_lockstep_destroy(&ls);
}

static void
t_restarted_relay_catches_up(void **state)
{
    (void) state;
    //  A relay that restarted knows nothing; the first repeat it sees from
    //  each upstream is new to it, so the chain moves again.
    ofts_lockstep_t *ls = ofts_lockstep_new(risk_up, 2);
    assert_int_equal(ofts_lockstep_on_mark(ls, "analyzer", 5000), 0);
    assert_int_equal(ofts_lockstep_on_mark(ls, "gateway-md", 5000), 5000);
    ofts_lockstep_destroy(&ls);
}

static void
t_bad_sizes(void **state)
{
    (void) state;
    static const char *const five[] = { "a", "b", "c", "d", "e" };
    assert_null(ofts_lockstep_new(five, 0));
    assert_null(ofts_lockstep_new(five, 5));
    ofts_lockstep_t *ls = ofts_lockstep_new(five, 4);
    assert_non_null(ls);
    ofts_lockstep_destroy(&ls);
    ofts_lockstep_destroy(&ls);     //  twice is harmless
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_waits_for_every_upstream),
        cmocka_unit_test(t_repeat_is_answered),
        cmocka_unit_test(t_restarted_relay_catches_up),
        cmocka_unit_test(t_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
