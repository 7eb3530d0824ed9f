/*  test_projectx_budget - the ProjectX request budget's waiting rules, with
    a fake clock the test drives: virtual time moves only when the test
    advances it, and a waiter re-checks only when the test ticks (or the
    budget wakes it). So who gets a token does not depend on machine load.

    Every budget here: 12 per 1000 ms = a burst of 2 and one token per
    100 virtual ms; background reads keep a reserve of 1, so a background
    take needs 2 tokens and a foreground take 1.                           */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "projectx_budget.h"
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 4
#define MAX_GRANTS 64
#define NO_DEADLINE 1000000

//  The fake clock. A waiter remembers the tick it last read the time at,
//  and waits until the test ticks again (or the budget signals it): a tick
//  between its reading and its wait is never lost. After a failed
//  assertion the teardown aborts: time then jumps at every reading, so
//  every take ends (at its deadline) and the threads can be joined.
static atomic_llong s_now;
static atomic_uint s_tick;
static atomic_bool s_abort;
static atomic_int s_in_wait;                    //  threads inside wait_ms
static atomic_int s_waits[MAX_THREADS];         //  wait_ms calls per thread
static _Thread_local int t_me = -1;
static _Thread_local unsigned t_tick;

static int64_t
fake_mono_ms(void *arg)
{
    (void) arg;
    t_tick = atomic_load(&s_tick);
    if (atomic_load(&s_abort))
        return atomic_fetch_add(&s_now, 10 * NO_DEADLINE);
    return atomic_load(&s_now);
}

static void
fake_wait_ms(void *arg, pthread_cond_t *cond, pthread_mutex_t *lock, int64_t ms)
{
    (void) arg;
    (void) ms;                                  //  time moves when the test says
    if (t_me >= 0)
        atomic_fetch_add(&s_waits[t_me], 1);
    atomic_fetch_add(&s_in_wait, 1);
    while (!atomic_load(&s_abort)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        if (pthread_cond_timedwait(cond, lock, &ts) == 0 || atomic_load(&s_tick) != t_tick)
            break;
    }
    atomic_fetch_sub(&s_in_wait, 1);
}

static const projectx_clock_t s_clock = { fake_mono_ms, fake_wait_ms, NULL };

//  Set the virtual time and let every waiter re-check.
static void
advance_to(int64_t ms)
{
    atomic_store(&s_now, ms);
    atomic_fetch_add(&s_tick, 1);
}

//  Grants in the order they came.
static int s_order[MAX_GRANTS];
static atomic_int s_granted;

typedef struct {
    int id;
    bool background;
    int64_t max_wait_ms;
    int takes;                  //  how many tokens to take, one after the other
    atomic_int ok, failed;
    atomic_bool done;
    pthread_t thread;
} taker_t;

static projectx_budget_t *s_budget;
static taker_t s_taker[MAX_THREADS];
static int s_started;

static int granted(void) { return atomic_load(&s_granted); }
static int in_wait(void) { return atomic_load(&s_in_wait); }
static int waits(int id) { return atomic_load(&s_waits[id]); }
static bool done(int id) { return atomic_load(&s_taker[id].done); }

static int
finished(void)
{
    int n = 0;
    for (int i = 0; i < s_started; i++)
        n += done(i);
    return n;
}
static int ok(int id) { return atomic_load(&s_taker[id].ok); }
static int failed(int id) { return atomic_load(&s_taker[id].failed); }

static void *
taker_main(void *arg)
{
    taker_t *t = arg;
    t_me = t->id;
    for (int i = 0; i < t->takes && !atomic_load(&s_abort); i++) {
        if (projectx_budget_take(s_budget, t->background, t->max_wait_ms, NULL)) {
            s_order[atomic_fetch_add(&s_granted, 1)] = t->id;
            atomic_fetch_add(&t->ok, 1);
        } else
            atomic_fetch_add(&t->failed, 1);
    }
    atomic_store(&t->done, true);
    return NULL;
}

//  Start taker `id` (ids 0, 1, ... in the order started).
static void
start(bool background, int64_t max_wait_ms, int takes)
{
    taker_t *t = &s_taker[s_started];
    *t = (taker_t) { .id = s_started, .background = background, .max_wait_ms = max_wait_ms,
                     .takes = takes };
    assert_int_equal(pthread_create(&t->thread, NULL, taker_main, t), 0);
    s_started++;
}

static long
real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

//  Wait (real time, generous) for a condition the threads make true.
#define WAIT_FOR(cond)                                                      \
    do {                                                                    \
        long until_ = real_ms() + 10000;                                    \
        while (!(cond) && real_ms() < until_)                               \
            usleep(1000);                                                   \
        assert_true(cond);                                                  \
    } while (0)

//  Start a taker and see it wait in the budget (or finish).
static void
start_waiting(bool background, int64_t max_wait_ms, int takes)
{
    int id = s_started;
    start(background, max_wait_ms, takes);
    WAIT_FOR(waits(id) >= 1 || done(id));
}

//  A budget at virtual time 0 holding 1 token (one background take spent
//  the other): a background take must wait for the next one.
static int
setup(void **state)
{
    (void) state;
    atomic_store(&s_now, 0);
    atomic_store(&s_granted, 0);
    atomic_store(&s_in_wait, 0);
    for (int i = 0; i < MAX_THREADS; i++)
        atomic_store(&s_waits[i], 0);
    s_started = 0;
    s_budget = projectx_budget_new(12, 1000, &s_clock);
    bool waited = true;
    if (!projectx_budget_take(s_budget, true, 0, &waited) || waited)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    atomic_store(&s_abort, true);
    for (int i = 0; i < s_started; i++)
        pthread_join(s_taker[i].thread, NULL);
    atomic_store(&s_abort, false);
    projectx_budget_destroy(&s_budget);
    return 0;
}

//  The fault: a waiter slept and retried with no order, so a read that
//  came later (or the other account's poller, looping) took the token the
//  first waiter had waited for; under load one poller got 3 reads to the
//  other's 18. Now a waiter queues: read 0 waits first, read 1 comes when
//  the token is there but 0 has not woken yet - 0 still gets it, 1 the
//  next one.
static void
test_waiters_served_in_arrival_order(void **state)
{
    (void) state;
    start_waiting(true, NO_DEADLINE, 1);
    atomic_store(&s_now, 100);                  //  the 2nd token is there, no one re-checked
    start(true, NO_DEADLINE, 1);
    WAIT_FOR(granted() == 1 || waits(1) >= 1);
    advance_to(100);
    WAIT_FOR(granted() == 1 && in_wait() == 1);
    advance_to(200);
    WAIT_FOR(granted() == 2);
    printf("grants: %d then %d (0 came first)\n", s_order[0], s_order[1]);
    assert_int_equal(s_order[0], 0);
    assert_int_equal(s_order[1], 1);
}

//  Three pollers reading flat out through one budget: 30 tokens, one per
//  100 virtual ms, go round in arrival order, 10 each. (Before, the poller
//  that had just read won again and again: one finished its 10 by the
//  20th token.)
static void
test_pollers_take_turns(void **state)
{
    (void) state;
    for (int i = 0; i < 3; i++)
        start_waiting(true, NO_DEADLINE, 10);
    for (int k = 1; k <= 30; k++) {
        advance_to(100 * k);
        WAIT_FOR(granted() == k && in_wait() + finished() == 3);
    }
    printf("reads per poller: %d %d %d; order:", ok(0), ok(1), ok(2));
    for (int k = 0; k < 30; k++)
        printf(" %d", s_order[k]);
    printf("\n");
    for (int k = 0; k < 30; k++)
        assert_int_equal(s_order[k], k % 3);
}

//  A waiter that gives up at its deadline leaves the queue: the one behind
//  it is not held up.
static void
test_deadline_leaves_queue(void **state)
{
    (void) state;
    start_waiting(true, NO_DEADLINE, 1);
    start_waiting(true, 50, 1);                 //  gives up at 50
    start_waiting(true, NO_DEADLINE, 1);
    advance_to(60);                             //  1.6 tokens: none for a read
    WAIT_FOR(done(1) && in_wait() == 2);
    assert_int_equal(failed(1), 1);
    advance_to(100);
    WAIT_FOR(granted() == 1 && in_wait() == 1);
    advance_to(200);
    WAIT_FOR(granted() == 2);
    assert_int_equal(s_order[0], 0);
    assert_int_equal(s_order[1], 2);
}

//  Foreground first: a place that comes after a waiting read still goes
//  first, and the read steps aside while it waits (at 200 there are 2
//  tokens: enough for the read, but the place takes one first).
static void
test_foreground_before_background(void **state)
{
    (void) state;
    bool waited = true;
    assert_true(projectx_budget_take(s_budget, false, 0, &waited));    //  the last token
    assert_false(waited);
    start_waiting(true, NO_DEADLINE, 1);        //  0: a read
    start_waiting(false, NO_DEADLINE, 1);       //  1: a place
    advance_to(200);
    WAIT_FOR(granted() == 1 && in_wait() == 1);
    advance_to(300);
    WAIT_FOR(granted() == 2);
    assert_int_equal(s_order[0], 1);
    assert_int_equal(s_order[1], 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_waiters_served_in_arrival_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pollers_take_turns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_leaves_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreground_before_background, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
