/*  projectx_budget - see projectx_budget.h.                                */
#include "projectx_budget.h"
#include "projectx_model.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  One waiting take, on its thread's stack, in its class's queue.
typedef struct _waiter_t {
    struct _waiter_t *next;
} waiter_t;

typedef struct {
    waiter_t *head, *tail;
} queue_t;

enum { FOREGROUND, BACKGROUND };

struct _projectx_budget_t {
    pthread_mutex_t lock;
    pthread_cond_t cond;    //  broadcast when a waiter leaves its queue
    projectx_clock_t clock;
    double tokens, capacity, per_ms;
    double reserve;         //  tokens background reads leave for the foreground
    int64_t last_ms;
    int64_t cooldown_until; //  after a 429: background reads wait till then
    queue_t queue[2];       //  FOREGROUND, BACKGROUND: takes in arrival order
};

static int64_t
real_mono_ms(void *arg)
{
    (void) arg;
    return projectx_time_mono_ms();
}

//  ms of the ProjectX clock: ms / scale real milliseconds.
static void
real_wait_ms(void *arg, pthread_cond_t *cond, pthread_mutex_t *lock, int64_t ms)
{
    (void) arg;
    if (ms <= 0)
        return;
    int64_t ns = (int64_t) ((double) ms * 1e6 / projectx_time_scale());
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ns += ts.tv_nsec;
    ts.tv_sec += (time_t) (ns / 1000000000);
    ts.tv_nsec = (long) (ns % 1000000000);
    pthread_cond_timedwait(cond, lock, &ts);
}

static int64_t mono_ms(projectx_budget_t *self) { return self->clock.mono_ms(self->clock.arg); }

//  A full bucket released its whole budget at once (then 3/s): 337-372
//  requests a minute were measured against 200. Now it holds a small burst
//  only and refills evenly, so no rolling window ever sees more than count:
//  burst + rate x window = count.
projectx_budget_t *
projectx_budget_new(int count, int window_ms, const projectx_clock_t *clock)
{
    projectx_budget_t *self = calloc(1, sizeof *self);
    self->clock = clock ? *clock : (projectx_clock_t) { real_mono_ms, real_wait_ms, NULL };
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (count <= 0 || window_ms <= 0)
        return self;
    double burst = count / 20 > 2 ? count / 20 : 2;
    if (burst >= count)
        burst = count > 1 ? count - 1 : 1;
    self->capacity = burst;
    self->tokens = burst;
    self->per_ms = (count - burst) / (double) window_ms;
    if (self->per_ms <= 0)
        self->per_ms = 1.0 / window_ms;
    self->reserve = burst / 2 >= 1 ? burst / 2 : 1;
    self->last_ms = mono_ms(self);
    return self;
}

void
projectx_budget_destroy(projectx_budget_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    projectx_budget_t *self = *self_p;
    pthread_cond_destroy(&self->cond);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

static void
refill(projectx_budget_t *self, int64_t now)
{
    self->tokens += (double) (now - self->last_ms) * self->per_ms;
    if (self->tokens > self->capacity)
        self->tokens = self->capacity;
    self->last_ms = now;
}

static void
queue_push(queue_t *queue, waiter_t *waiter)
{
    waiter->next = NULL;
    if (queue->tail)
        queue->tail->next = waiter;
    else
        queue->head = waiter;
    queue->tail = waiter;
}

//  Anywhere in the queue: a waiter that gives up at its deadline may be
//  behind others.
static void
queue_remove(queue_t *queue, waiter_t *waiter)
{
    waiter_t *prev = NULL;
    for (waiter_t *w = queue->head; w; prev = w, w = w->next) {
        if (w != waiter)
            continue;
        if (prev)
            prev->next = w->next;
        else
            queue->head = w->next;
        if (queue->tail == w)
            queue->tail = prev;
        return;
    }
}

//  Whether the waiter is next: first of its class, and for a background
//  read no foreground request waiting and no cooldown after a 429.
static bool
my_turn(projectx_budget_t *self, waiter_t *me, int class, int64_t now)
{
    if (self->queue[class].head != me)
        return false;
    return class == FOREGROUND
        || (!self->queue[FOREGROUND].head && now >= self->cooldown_until);
}

//  One look at the budget for waiter me: 0 when it took a token, -1 when
//  it gives up, else how long it waits before it looks again. The first of
//  the queue waits for the moment its token is due (and gives up at once
//  when that is past its deadline); the others wait to be woken when
//  someone leaves a queue, or for their deadline.
static int64_t
look(projectx_budget_t *self, waiter_t *me, int class, int64_t deadline)
{
    int64_t now = mono_ms(self);
    refill(self, now);
    int64_t wait = deadline - now;
    if (my_turn(self, me, class, now)) {
        double need = class == BACKGROUND ? 1.0 + self->reserve : 1.0;
        if (self->tokens >= need) {
            self->tokens -= 1.0;
            return 0;
        }
        wait = (int64_t) ((need - self->tokens) / self->per_ms) + 1;
        if (now + wait > deadline)
            return -1;
    } else if (class == BACKGROUND && now < self->cooldown_until
               && self->cooldown_until - now < wait)
        wait = self->cooldown_until - now;
    return wait > 0 ? wait : -1;
}

//  Fair waiting (the fault: waiters slept and retried in no order, and
//  under load one account's poller got 3 reads while another got 18): each
//  take queues in its class and only the first of the queue takes a token,
//  so tokens go in arrival order and a newcomer never overtakes a waiter.
//  The rate is the bucket's: the order changes, the count does not.
bool
projectx_budget_take(projectx_budget_t *self, bool background, int64_t max_wait_ms,
                     bool *waited)
{
    if (waited)
        *waited = false;
    if (self->capacity <= 0)
        return true;
    int class = background ? BACKGROUND : FOREGROUND;
    waiter_t me;
    pthread_mutex_lock(&self->lock);
    int64_t deadline = mono_ms(self) + max_wait_ms;
    queue_push(&self->queue[class], &me);
    int64_t wait;
    bool counted = false;
    while ((wait = look(self, &me, class, deadline)) > 0) {
        counted = true;
        self->clock.wait_ms(self->clock.arg, &self->cond, &self->lock, wait);
    }
    //  Taken or given up: the next in line (and reads waiting for the
    //  foreground queue to empty) look again.
    queue_remove(&self->queue[class], &me);
    pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->lock);
    if (waited)
        *waited = counted;
    return wait == 0;
}

void
projectx_budget_refused(projectx_budget_t *self, int64_t cooldown_ms)
{
    pthread_mutex_lock(&self->lock);
    if (self->tokens > 0)
        self->tokens = 0;
    self->cooldown_until = mono_ms(self) + cooldown_ms;
    pthread_mutex_unlock(&self->lock);
}
