#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "health.h"

#define MS 1000000LL

typedef struct {
    health_event_t events[16];
    char services[16][48];
    int n;
} seen_t;

static void
s_record(void *arg, health_event_t event, const health_entry_t *e)
{
    seen_t *seen = arg;
    seen->events[seen->n] = event;
    strcpy(seen->services[seen->n], e->service);
    seen->n++;
}

static void
s_beat(health_t *h, const char *service, uint32_t pid, int64_t now)
{
    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = (char *) service;
    hb.pid = pid;
    hb.state = "running";
    health_on_heartbeat(h, &hb, now);
}

static void
t_lost_back_and_restart(void **state)
{
    (void) state;
    seen_t seen = { 0 };
    health_t *h = health_new(3500 * MS, s_record, &seen);
    s_beat(h, "risk", 100, 0);
    s_beat(h, "analyzer", 200, 10 * MS);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.events[0], HEALTH_SEEN);
    s_beat(h, "risk", 100, 1000 * MS);              //  steady: no event
    assert_int_equal(seen.n, 2);
    health_check(h, 4500 * MS);                     //  risk silent exactly 3.5 s: still alive;
    assert_int_equal(seen.n, 3);                    //  analyzer silent 4.49 s: lost
    assert_int_equal(seen.events[2], HEALTH_LOST);
    assert_string_equal(seen.services[2], "analyzer");
    health_check(h, 4501 * MS);                     //  risk one ms over: lost
    assert_int_equal(seen.n, 4);
    assert_int_equal(seen.events[3], HEALTH_LOST);
    assert_string_equal(seen.services[3], "risk");
    health_check(h, 9000 * MS);                     //  reported once only
    assert_int_equal(seen.n, 4);
    s_beat(h, "risk", 101, 9500 * MS);              //  back, as a new process
    assert_int_equal(seen.events[4], HEALTH_BACK);
    assert_int_equal(health_find(h, "risk")->restarts, 1);
    assert_true(health_find(h, "risk")->alive);
    assert_false(health_find(h, "analyzer")->alive);
    s_beat(h, "risk", 102, 9600 * MS);              //  restarted within the timeout
    assert_int_equal(seen.events[5], HEALTH_RESTARTED);
    assert_int_equal(health_find(h, "risk")->restarts, 2);
    assert_int_equal(health_count(h), 2);
    health_destroy(&h);
    assert_null(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(t_lost_back_and_restart) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
