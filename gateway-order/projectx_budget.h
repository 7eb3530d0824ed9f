/*  projectx_budget - the request budget of one ProjectX login: a smooth
    token bucket shared by every thread and every account view of the
    login (projectx_client). Rules (docs/topstepx.md, "One request
    scheduler"; spec §6):
      - no rolling window of window_ms sees more than count requests:
        a burst of count / 20 (at least 2), refilled evenly;
      - foreground requests (place, cancel, close, the tag lookup after an
        UNKNOWN) go first: background reads (the pollers) leave a reserve
        of half the burst, step aside while a foreground request waits, and
        stay off for a while after an HTTP 429 (projectx_budget_refused);
      - within a class (foreground, background) tokens go in arrival
        order: a take queues, only the first of its queue may take a token,
        a newcomer never overtakes a waiter, and a waiter that gives up at
        its deadline leaves the queue (the others are woken);
      - a take waits at most max_wait_ms, else it fails (not sent).
    Thread-safe; the budget has its own lock.                              */
#ifndef PROJECTX_BUDGET_H
#define PROJECTX_BUDGET_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _projectx_budget_t projectx_budget_t;

//  The budget's clock. wait_ms is called with lock held: it releases lock,
//  returns when cond is signalled or ms have passed (or earlier: the
//  budget re-checks), and holds lock again (cond runs on CLOCK_MONOTONIC
//  for a timed wait). NULL in projectx_budget_new:
//  projectx_time_mono_ms and a timed wait on cond (real time, or the soak's
//  accelerated time). Tests drive a fake clock.
typedef struct {
    int64_t (*mono_ms)(void *arg);
    void (*wait_ms)(void *arg, pthread_cond_t *cond, pthread_mutex_t *lock, int64_t ms);
    void *arg;
} projectx_clock_t;

//  count requests per window_ms; count 0 (or window_ms 0): no limit.
projectx_budget_t *projectx_budget_new(int count, int window_ms, const projectx_clock_t *clock);
void projectx_budget_destroy(projectx_budget_t **self_p);

//  Take one token for a background (poller) or a foreground request,
//  waiting at most max_wait_ms. False when none came in time. *waited (may
//  be NULL) tells whether the take had to wait.
bool projectx_budget_take(projectx_budget_t *self, bool background, int64_t max_wait_ms,
                          bool *waited);

//  The broker said 429: our count and its count disagree. Empties the
//  bucket and keeps background reads off for cooldown_ms.
void projectx_budget_refused(projectx_budget_t *self, int64_t cooldown_ms);

#endif
