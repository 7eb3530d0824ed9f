/*  alert_sender - see alert_sender.h.                                     */
#include "alert_sender.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SINKS 8

typedef struct {
    alert_t alert;
    int sink;
    int attempts;
    int64_t due_ns;                 //  monotonic
    uint64_t order;                 //  push order: FIFO among jobs due together
    bool used;
} s_job_t;

struct _alert_sender_t {
    alert_sender_config_t cfg;
    alert_sink_t sinks[MAX_SINKS];
    size_t nsinks;
    s_job_t *jobs;                  //  cfg.queue_max slots
    pthread_mutex_t mx;
    pthread_cond_t cv;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    uint64_t pushed;
    alert_sender_stats_t stats;
};

typedef enum { S_OK, S_RETRY, S_GIVE_UP } s_outcome_t;

//  libcurl calls this while a transfer runs: a stop aborts a hung request.
static int
s_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void) a, (void) b, (void) c, (void) d;
    alert_sender_t *self = arg;
    return atomic_load(&self->stop) ? 1 : 0;
}

static size_t
s_discard(char *data, size_t size, size_t n, void *arg)
{
    (void) data, (void) arg;
    return size * n;
}

//  One POST. *retry_after_ms gets the server's Retry-After (0 when none).
static s_outcome_t
s_post(alert_sender_t *self, const s_job_t *job, long *status, int64_t *retry_after_ms)
{
    alert_request_t req;
    *status = 0;
    *retry_after_ms = 0;
    if (alert_request_make(&self->sinks[job->sink], &job->alert, &req) != 0)
        return S_GIVE_UP;
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    for (int i = 0; i < req.nheaders; i++)
        headers = curl_slist_append(headers, req.headers[i]);
    curl_easy_setopt(curl, CURLOPT_URL, req.url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long) self->cfg.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long) self->cfg.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, s_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, self);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ofts-alerts");
    CURLcode rc = curl_easy_perform(curl);
    s_outcome_t out = S_RETRY;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
        curl_off_t after = 0;
        if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
            *retry_after_ms = (int64_t) after * 1000;
        if (*status >= 200 && *status < 300)
            out = S_OK;
        else if (*status >= 400 && *status < 500 && *status != 429 && *status != 408)
            out = S_GIVE_UP;
    }
    else
        //  curl_easy_strerror only: the error buffer can quote the URL.
        log_warn("alert %s to %s: %s", alert_kind_name(job->alert.kind), alert_sink_name(self->sinks[job->sink].type),
                 curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    alert_request_free(&req);
    return out;
}

static int64_t
s_backoff_ms(const alert_sender_config_t *cfg, int attempts)
{
    int64_t ms = cfg->retry_min_ms;
    for (int i = 1; i < attempts && ms < cfg->retry_max_ms; i++)
        ms *= 2;
    return ms < cfg->retry_max_ms ? ms : cfg->retry_max_ms;
}

//  The job due first, or NULL; *wait_ns is how long until it is due.
static s_job_t *
s_next(alert_sender_t *self, int64_t now, int64_t *wait_ns)
{
    s_job_t *best = NULL;
    for (int i = 0; i < self->cfg.queue_max; i++)
        if (self->jobs[i].used && self->jobs[i].attempts >= 0 && (!best || self->jobs[i].due_ns < best->due_ns
                || (self->jobs[i].due_ns == best->due_ns && self->jobs[i].order < best->order)))
            best = &self->jobs[i];
    *wait_ns = best ? best->due_ns - now : 1000000000LL;
    return best;
}

static void
s_wait(alert_sender_t *self, int64_t wait_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (wait_ns > 1000000000LL)
        wait_ns = 1000000000LL;
    int64_t ns = ts.tv_nsec + wait_ns;
    ts.tv_sec += ns / 1000000000LL;
    ts.tv_nsec = ns % 1000000000LL;
    pthread_cond_timedwait(&self->cv, &self->mx, &ts);
}

//  After a try: done, again later, or given up. Called with the lock held.
static void
s_settle(alert_sender_t *self, s_job_t *job, s_outcome_t out, long status, int64_t retry_after_ms)
{
    const char *sink = alert_sink_name(self->sinks[job->sink].type);
    const char *kind = alert_kind_name(job->alert.kind);
    if (out == S_OK) {
        self->stats.delivered++;
        log_info("alert %s sent to %s (%s)%s", kind, sink, job->alert.title, job->attempts > 1 ? " after retries" : "");
    }
    else if (out == S_RETRY && job->attempts < self->cfg.max_attempts && !atomic_load(&self->stop)) {
        int64_t ms = s_backoff_ms(&self->cfg, job->attempts);
        if (retry_after_ms > ms)
            ms = retry_after_ms < self->cfg.retry_max_ms ? retry_after_ms : self->cfg.retry_max_ms;
        job->due_ns = ofts_clock_mono_ns() + ms * 1000000LL;
        self->stats.retries++;
        log_warn("alert %s to %s: attempt %d failed (HTTP %ld); again in %lld ms", kind, sink, job->attempts,
                 status, (long long) ms);
        return;
    }
    else {
        self->stats.failed++;
        log_error("alert %s to %s NOT SENT after %d attempts (HTTP %ld): %s", kind, sink, job->attempts, status,
                  job->alert.title);
    }
    job->used = false;
    self->stats.waiting--;
}

static void *
s_run(void *arg)
{
    alert_sender_t *self = arg;
    pthread_mutex_lock(&self->mx);
    while (!atomic_load(&self->stop)) {
        int64_t wait_ns;
        s_job_t *job = s_next(self, ofts_clock_mono_ns(), &wait_ns);
        if (!job || wait_ns > 0) {
            s_wait(self, wait_ns);
            continue;
        }
        s_job_t copy = *job;
        job->attempts = -1;         //  in flight: s_next skips it
        self->stats.attempts++;
        pthread_mutex_unlock(&self->mx);
        long status;
        int64_t retry_after_ms;
        s_outcome_t out = s_post(self, &copy, &status, &retry_after_ms);
        pthread_mutex_lock(&self->mx);
        job->attempts = copy.attempts + 1;
        s_settle(self, job, out, status, retry_after_ms);
    }
    pthread_mutex_unlock(&self->mx);
    return NULL;
}

alert_sender_t *
alert_sender_new(const alert_sender_config_t *config, const alert_sink_t *sinks, size_t nsinks)
{
    alert_sender_t *self = calloc(1, sizeof *self);
    self->cfg = *config;
    if (self->cfg.queue_max < 1)
        self->cfg.queue_max = 1;
    if (self->cfg.max_attempts < 1)
        self->cfg.max_attempts = 1;
    self->nsinks = nsinks < MAX_SINKS ? nsinks : MAX_SINKS;
    memcpy(self->sinks, sinks, self->nsinks * sizeof *sinks);
    self->jobs = calloc((size_t) self->cfg.queue_max, sizeof *self->jobs);
    pthread_mutex_init(&self->mx, NULL);
    pthread_cond_init(&self->cv, NULL);
    atomic_init(&self->stop, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    self->started = pthread_create(&self->thread, NULL, s_run, self) == 0;
    if (!self->started)
        log_error("alerts: cannot start the sender thread: nothing will be sent");
    return self;
}

void
alert_sender_destroy(alert_sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    alert_sender_t *self = *self_p;
    pthread_mutex_lock(&self->mx);
    atomic_store(&self->stop, true);
    pthread_cond_broadcast(&self->cv);
    pthread_mutex_unlock(&self->mx);
    if (self->started)
        pthread_join(self->thread, NULL);
    if (self->stats.waiting)
        log_warn("alerts: %llu alert deliveries not sent at stop", (unsigned long long) self->stats.waiting);
    pthread_cond_destroy(&self->cv);
    pthread_mutex_destroy(&self->mx);
    free(self->jobs);
    curl_global_cleanup();
    free(self);
    *self_p = NULL;
}

int
alert_sender_push(alert_sender_t *self, const alert_t *alert)
{
    int rc = 0;
    int64_t now = ofts_clock_mono_ns();
    pthread_mutex_lock(&self->mx);
    for (size_t s = 0; s < self->nsinks; s++) {
        s_job_t *slot = NULL;
        for (int i = 0; i < self->cfg.queue_max && !slot; i++)
            if (!self->jobs[i].used)
                slot = &self->jobs[i];
        if (!slot) {
            self->stats.dropped_full++;
            rc = -1;
            continue;
        }
        *slot = (s_job_t) { .alert = *alert, .sink = (int) s, .attempts = 0, .due_ns = now,
                             .order = ++self->pushed, .used = true };
        self->stats.queued++;
        self->stats.waiting++;
    }
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mx);
    if (rc != 0)
        log_error("alerts: queue full (%d): %s dropped", self->cfg.queue_max, alert->title);
    return rc;
}

void
alert_sender_stats(alert_sender_t *self, alert_sender_stats_t *out)
{
    pthread_mutex_lock(&self->mx);
    *out = self->stats;
    pthread_mutex_unlock(&self->mx);
}
