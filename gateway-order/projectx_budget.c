/*  projectx_budget - see projectx_budget.h.                                */
#include "projectx_budget.h"
#include "projectx_model.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct _projectx_budget_t {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    projectx_clock_t clock;
    double tokens, capacity, per_ms;
    double reserve;         //  tokens background reads leave for the foreground
    int64_t last_ms;
    int64_t cooldown_until; //  after a 429: background reads wait till then
    int high_waiting;       //  foreground requests waiting: reads step aside
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

bool
projectx_budget_take(projectx_budget_t *self, bool background, int64_t max_wait_ms,
                     bool *waited)
{
    if (waited)
        *waited = false;
    if (self->capacity <= 0)
        return true;
    pthread_mutex_lock(&self->lock);
    int64_t deadline = mono_ms(self) + max_wait_ms;
    bool counted = false, waiting = false;
    bool ok = false;
    for (;;) {
        int64_t now = mono_ms(self);
        refill(self, now);
        double need = background ? 1.0 + self->reserve : 1.0;
        bool yield = background && (self->high_waiting > 0 || now < self->cooldown_until);
        if (!yield && self->tokens >= need) {
            self->tokens -= 1.0;
            ok = true;
            break;
        }
        int64_t wait = yield ? 5 : (int64_t) ((need - self->tokens) / self->per_ms) + 1;
        if (now + wait > deadline)
            break;
        counted = true;
        if (!background && !waiting) {
            self->high_waiting++;
            waiting = true;
        }
        self->clock.wait_ms(self->clock.arg, &self->cond, &self->lock, wait < 50 ? wait : 50);
    }
    if (waiting)
        self->high_waiting--;
    pthread_mutex_unlock(&self->lock);
    if (waited)
        *waited = counted;
    return ok;
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
