/*  projectx_client - see projectx_client.h. Layers, bottom up:
      http_exchange   one POST with libcurl; says whether bytes were sent
      call            envelope rules, retries, 401/429 handling, per kind
                      (read / login / validate / mutation)
      projectx_*      the endpoints.                                          */
#include "projectx_client.h"
#include "projectx_budget.h"
#include "ofts_config.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_REPLY (16 * 1024 * 1024)

//  Requests per rolling window, for the "max per 60 s" figure.
#define RING 1024
#define STAT_INC(self, field) __atomic_fetch_add(&(self)->sh->stats.field, 1, __ATOMIC_RELAXED)

//  The login session: one token, one request budget, one set of counters,
//  shared by the login's projectx_t and its account views (projectx_view).
typedef struct {
    pthread_mutex_t lock;   //  token, stats window, last_error
    pthread_mutex_t auth;   //  one login / refresh at a time (recursive)
    uint64_t token_gen;     //  bumped at every new token
    int64_t ring[RING];     //  send times of the last RING requests
    size_t ring_head, ring_len;
    char *token;
    int64_t token_exp_ms;
    projectx_budget_t *general, *bars;  //  the request budget (REST, bars)
    projectx_stats_t stats;
    int refs;               //  projectx_t over it (under lock)
} session_t;

struct _projectx_t {
    projectx_config_t cfg;
    char *base_url, *user_hub_url, *username, *api_key, *account_name;
    CURL *curl;             //  the owner's (service thread) handle
    CURL *curl_io;          //  the background thread's handle
    pthread_t io_thread;
    bool io_set;
    session_t *sh;
    int64_t account_id;
    char last_error[512];
};

typedef enum { CALL_READ, CALL_LOGIN, CALL_VALIDATE, CALL_MUTATION } call_kind_t;

typedef struct {
    json_t *json;           //  the parsed reply (owned) on OK/REJECTED
    int error_code;
    int http_status;
    char text[256];
} outcome_t;

const char *
projectx_result_name(int result)
{
    static const char *names[] = { "OK", "REJECTED", "UNKNOWN", "ERROR", "NOT_FOUND" };
    return result >= 0 && result <= 4 ? names[result] : "?";
}

//  --------------------------------------------------------------------------
//  Config

void
projectx_config_defaults(projectx_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->base_url = "https://api.topstepx.com";
    cfg->user_hub_url = "https://rtc.topstepx.com/hubs/user";
    cfg->timeout_ms = 5000;
    cfg->connect_timeout_ms = 2000;
    cfg->read_retries = 3;
    cfg->backoff_initial_ms = 500;
    cfg->backoff_max_ms = 10000;
    cfg->rate_general = 180;
    cfg->rate_general_window_ms = 60000;
    cfg->rate_bars = 45;
    cfg->rate_bars_window_ms = 30000;
    cfg->token_refresh_margin_s = 1800;
    cfg->lookback_s = 86400;
}

static int
positive(ofts_cfgsec_t *sec, const char *key, int64_t def, int *out)
{
    int64_t v = ofts_cfgsec_int(sec, key, def);
    if (v < 0 || v > 1000000000) {
        ofts_cfgsec_fail(sec, key, "must be between 0 and 1000000000");
        return -1;
    }
    *out = (int) v;
    return 0;
}

int
projectx_config_read(projectx_config_t *cfg, ofts_cfgsec_t *sec)
{
    cfg->base_url = ofts_cfgsec_string(sec, "base_url", cfg->base_url);
    cfg->user_hub_url = ofts_cfgsec_string(sec, "user_hub_url", cfg->user_hub_url);
    cfg->account_name = ofts_cfgsec_string(sec, "account_name", cfg->account_name);
    cfg->account_id = ofts_cfgsec_int(sec, "account_id", cfg->account_id);
    cfg->live = ofts_cfgsec_bool(sec, "live", cfg->live);
    cfg->allow_insecure = ofts_cfgsec_bool(sec, "allow_insecure", cfg->allow_insecure);
    int rc = 0;
    rc |= positive(sec, "timeout_ms", cfg->timeout_ms, &cfg->timeout_ms);
    rc |= positive(sec, "connect_timeout_ms", cfg->connect_timeout_ms, &cfg->connect_timeout_ms);
    rc |= positive(sec, "read_retries", cfg->read_retries, &cfg->read_retries);
    rc |= positive(sec, "backoff_initial_ms", cfg->backoff_initial_ms, &cfg->backoff_initial_ms);
    rc |= positive(sec, "backoff_max_ms", cfg->backoff_max_ms, &cfg->backoff_max_ms);
    rc |= positive(sec, "rate_general", cfg->rate_general, &cfg->rate_general);
    rc |= positive(sec, "rate_general_window_ms", cfg->rate_general_window_ms,
                   &cfg->rate_general_window_ms);
    rc |= positive(sec, "rate_bars", cfg->rate_bars, &cfg->rate_bars);
    rc |= positive(sec, "rate_bars_window_ms", cfg->rate_bars_window_ms,
                   &cfg->rate_bars_window_ms);
    rc |= positive(sec, "token_refresh_margin_s", cfg->token_refresh_margin_s,
                   &cfg->token_refresh_margin_s);
    rc |= positive(sec, "lookback_s", cfg->lookback_s, &cfg->lookback_s);
    return rc ? -1 : 0;
}

//  https:// anywhere; http:// only to loopback unless allow_insecure (the
//  token would travel in clear text).
static bool
url_allowed(const char *url, bool allow_insecure)
{
    if (!url)
        return false;
    if (strncmp(url, "https://", 8) == 0)
        return true;
    if (strncmp(url, "http://", 7) != 0)
        return false;
    if (allow_insecure)
        return true;
    const char *host = url + 7;
    return strncmp(host, "127.0.0.1", 9) == 0 || strncmp(host, "localhost", 9) == 0
        || strncmp(host, "[::1]", 5) == 0;
}

//  --------------------------------------------------------------------------
//  Clocks and the request budget

static int64_t
wall_ms(projectx_t *self)
{
    if (self->cfg.clock_ms)
        return self->cfg.clock_ms(self->cfg.clock_arg);
    return projectx_time_now_ms();
}

//  Timestamps sent to the broker never use the test clock (but do follow
//  the soak's accelerated clock, like the mock's).
static int64_t real_ms(void) { return projectx_time_now_ms(); }
static int64_t mono_ms(void) { return projectx_time_mono_ms(); }
static void sleep_ms(int64_t ms) { projectx_time_sleep_ms(ms); }

static bool
is_background(projectx_t *self)
{
    return self->io_set && pthread_equal(pthread_self(), self->io_thread);
}

//  Take one token of the session's budget (projectx_budget.h: the one
//  request scheduler), waiting up to max_wait_ms. False when none came in
//  time: the request is not sent.
static bool
budget_take(projectx_t *self, projectx_budget_t *budget, int64_t max_wait_ms)
{
    bool waited = false;
    bool ok = projectx_budget_take(budget, is_background(self), max_wait_ms, &waited);
    if (waited)
        STAT_INC(self, local_throttle_waits);
    return ok;
}

//  Count one request in the rolling window and keep the worst 60 s.
static void
window_note(projectx_t *self)
{
    pthread_mutex_lock(&self->sh->lock);
    int64_t now = mono_ms();
    self->sh->ring[self->sh->ring_head] = now;
    self->sh->ring_head = (self->sh->ring_head + 1) % RING;
    if (self->sh->ring_len < RING)
        self->sh->ring_len++;
    uint64_t in_window = 0;
    for (size_t i = 0; i < self->sh->ring_len; i++) {
        int64_t t = self->sh->ring[(self->sh->ring_head + RING - 1 - i) % RING];
        if (now - t >= self->cfg.rate_general_window_ms)
            break;
        in_window++;
    }
    if (in_window > self->sh->stats.max_per_window)
        self->sh->stats.max_per_window = in_window;
    self->sh->stats.requests++;
    pthread_mutex_unlock(&self->sh->lock);
}

//  --------------------------------------------------------------------------
//  HTTP

typedef struct {
    char *data;
    size_t len;
    bool overflow;
} buf_t;

typedef struct {
    long status;            //  0: no HTTP response
    bool sent;              //  request bytes went out: the broker may have acted
    bool timed_out;
    int retry_after_s;      //  -1: header absent or not in seconds
    buf_t body;
    char error[CURL_ERROR_SIZE];
} http_reply_t;

static size_t
on_body(char *ptr, size_t size, size_t n, void *arg)
{
    buf_t *buf = arg;
    size_t bytes = size * n;
    if (buf->len + bytes > MAX_REPLY) {
        buf->overflow = true;
        return 0;
    }
    char *grown = realloc(buf->data, buf->len + bytes + 1);
    if (!grown)
        return 0;
    buf->data = grown;
    memcpy(buf->data + buf->len, ptr, bytes);
    buf->len += bytes;
    buf->data[buf->len] = 0;
    return bytes;
}

static size_t
on_header(char *ptr, size_t size, size_t n, void *arg)
{
    http_reply_t *reply = arg;
    size_t bytes = size * n;
    if (bytes > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
        char *end = NULL;
        long secs = strtol(ptr + 12, &end, 10);
        //  An HTTP-date is not parsed: the caller falls back to its backoff.
        reply->retry_after_s = end != ptr + 12 && secs >= 0 && secs < 3600 ? (int) secs : -1;
    }
    return bytes;
}

//  One POST. 0 when an HTTP response came back (any status), -1 otherwise.
static int
http_exchange(projectx_t *self, const char *path, const json_t *request, bool auth,
              bool fresh, http_reply_t *reply)
{
    memset(reply, 0, sizeof *reply);
    reply->retry_after_s = -1;
    char url[1024];
    snprintf(url, sizeof url, "%s/api/%s", self->base_url, path);
    char *body = request ? json_dumps(request, JSON_COMPACT | JSON_REAL_PRECISION(15))
                         : strdup("");
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Accept: application/json");
    pthread_mutex_lock(&self->sh->lock);
    if (auth && self->sh->token) {
        size_t len = strlen(self->sh->token) + 32;
        char *line = malloc(len);
        snprintf(line, len, "Authorization: Bearer %s", self->sh->token);
        headers = curl_slist_append(headers, line);
        memset(line, 0, len);
        free(line);
    }
    pthread_mutex_unlock(&self->sh->lock);
    //  libcurl easy handles are one thread's each.
    CURL *c = is_background(self) ? self->curl_io : self->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) self->cfg.timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) self->cfg.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, reply->error);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    //  libcurl silently re-sends a request once when a REUSED connection dies
    //  before any reply: for a place that is a duplicate order. Mutations
    //  therefore always use a fresh connection (no automatic resend).
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
    int64_t started = mono_ms();
    window_note(self);
    CURLcode cc = curl_easy_perform(c);
    long request_size = 0;
    curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_size);
    reply->sent = request_size > 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
    curl_slist_free_all(headers);
    free(body);
    if (cc != CURLE_OK) {
        reply->timed_out = cc == CURLE_OPERATION_TIMEDOUT;
        if (reply->timed_out)
            STAT_INC(self, timeouts);
        if (!reply->error[0])
            snprintf(reply->error, sizeof reply->error, "%s", curl_easy_strerror(cc));
        log_debug("projectx: POST /api/%s -> %s after %lld ms (sent=%d)", path, reply->error,
                  (long long) (mono_ms() - started), reply->sent);
        reply->status = 0;
        return -1;
    }
    log_debug("projectx: POST /api/%s -> HTTP %ld in %lld ms", path, reply->status,
              (long long) (mono_ms() - started));
    return 0;
}

//  --------------------------------------------------------------------------
//  Calls

static void
set_error(projectx_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_error(projectx_t *self, const char *fmt, ...)
{
    char text[sizeof self->last_error];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    pthread_mutex_lock(&self->sh->lock);
    memcpy(self->last_error, text, sizeof text);
    pthread_mutex_unlock(&self->sh->lock);
}

static int64_t
backoff_ms(projectx_t *self, int attempt, int retry_after_s)
{
    int64_t wait = self->cfg.backoff_initial_ms;
    for (int i = 0; i < attempt && wait < self->cfg.backoff_max_ms; i++)
        wait *= 2;
    if (retry_after_s >= 0 && (int64_t) retry_after_s * 1000 > wait)
        wait = (int64_t) retry_after_s * 1000;
    return wait > self->cfg.backoff_max_ms ? self->cfg.backoff_max_ms : wait;
}

static bool
code_in(int code, const int *codes)
{
    for (; codes && *codes; codes++)
        if (*codes == code)
            return true;
    return false;
}

static int login_raw(projectx_t *self);
static int relogin(projectx_t *self, uint64_t gen);

//  Interpret an HTTP 200 body: envelope checks. Returns OK / REJECTED /
//  UNKNOWN (ambiguous code or protocol error on a mutation) / ERROR (protocol
//  error on a read); -1 = "malformed, may retry" for reads.
static int
interpret(projectx_t *self, const char *path, call_kind_t kind, http_reply_t *http,
          const int *ambiguous, outcome_t *out)
{
    json_error_t jerr;
    json_t *json = http->body.data ? json_loads(http->body.data, 0, &jerr) : NULL;
    const json_t *success = json_object_get(json, "success");
    const json_t *code = json_object_get(json, "errorCode");
    if (!json_is_object(json) || !json_is_boolean(success) || !json_is_integer(code)) {
        snprintf(out->text, sizeof out->text, "%s: malformed JSON reply (%s)", path,
                 json ? "no success/errorCode envelope" : jerr.text);
        json_decref(json);
        return kind == CALL_MUTATION ? PROJECTX_UNKNOWN : -1;
    }
    out->error_code = (int) json_integer_value(code);
    const char *message = json_string_value(json_object_get(json, "errorMessage"));
    if (json_is_true(success) != (out->error_code == 0)) {
        //  success must equal (errorCode == 0) (spec §3.0): do not guess which.
        snprintf(out->text, sizeof out->text, "%s: protocol error: success=%s with errorCode %d",
                 path, json_is_true(success) ? "true" : "false", out->error_code);
        json_decref(json);
        return kind == CALL_MUTATION ? PROJECTX_UNKNOWN : PROJECTX_ERROR;
    }
    out->json = json;
    if (out->error_code == 0)
        return PROJECTX_OK;
    snprintf(out->text, sizeof out->text, "%s: errorCode %d: %s", path, out->error_code,
             message ? message : "(no message)");
    if (kind == CALL_MUTATION && code_in(out->error_code, ambiguous))
        return PROJECTX_UNKNOWN;
    (void) self;
    return PROJECTX_REJECTED;
}

//  One logical call. Takes ownership of request. Mutations are sent at most
//  once; reads, login and validate are retried on transport errors, 5xx,
//  429 (honouring Retry-After) and malformed replies.
static int
call(projectx_t *self, const char *path, json_t *request, call_kind_t kind,
     const int *ambiguous, outcome_t *out)
{
    memset(out, 0, sizeof *out);
    if (kind == CALL_READ || kind == CALL_MUTATION) {
        int rc = projectx_keepalive(self);
        if (rc != PROJECTX_OK) {
            json_decref(request);
            snprintf(out->text, sizeof out->text, "%s: not logged in: %s", path,
                     self->last_error);
            return PROJECTX_ERROR;
        }
    }
    int attempts = kind == CALL_MUTATION ? 1 : 1 + self->cfg.read_retries;
    bool relogged = false;
    int result = PROJECTX_ERROR;
    projectx_budget_t *budget = strncmp(path, "History/", 8) == 0 ? self->sh->bars
                                                                  : self->sh->general;
    for (int attempt = 0; attempt < attempts; attempt++) {
        if (attempt > 0)
            STAT_INC(self, retries);
        if (kind != CALL_LOGIN && !budget_take(self, budget, self->cfg.timeout_ms)) {
            snprintf(out->text, sizeof out->text, "%s: local rate limit reached: not sent", path);
            result = PROJECTX_ERROR;
            break;
        }
        http_reply_t http;
        pthread_mutex_lock(&self->sh->lock);
        uint64_t gen = self->sh->token_gen;
        pthread_mutex_unlock(&self->sh->lock);
        int rc = http_exchange(self, path, request, kind != CALL_LOGIN, kind == CALL_MUTATION,
                               &http);
        out->http_status = (int) http.status;
        int retry_after = http.retry_after_s;
        int64_t wait = -1;      //  >= 0: retry after this many ms
        if (rc != 0) {
            snprintf(out->text, sizeof out->text, "%s: %s%s", path, http.error,
                     http.sent ? " (after sending)" : " (not sent)");
            if (kind == CALL_MUTATION)
                result = http.sent ? PROJECTX_UNKNOWN : PROJECTX_ERROR;
            else {
                result = PROJECTX_ERROR;
                wait = backoff_ms(self, attempt, -1);
            }
        } else if (http.status == 200) {
            result = interpret(self, path, kind, &http, ambiguous, out);
            if (result == -1) {
                result = PROJECTX_ERROR;
                wait = backoff_ms(self, attempt, -1);
            }
        } else if (http.status == 401) {
            snprintf(out->text, sizeof out->text, "%s: HTTP 401 (token refused)", path);
            result = kind == CALL_MUTATION ? PROJECTX_UNKNOWN : PROJECTX_ERROR;
            if ((kind == CALL_READ || kind == CALL_MUTATION) && !relogged) {
                //  Token dead (expired, revoked, second login): log in again so
                //  the retry (reads) or the reconciliation (mutations) works.
                relogged = true;
                if (relogin(self, gen) == PROJECTX_OK && kind == CALL_READ) {
                    attempt--;      //  the 401 does not use up a retry
                    wait = 0;
                }
            }
        } else if (http.status == 429 || http.status >= 500) {
            if (http.status == 429) {
                STAT_INC(self, http_429);
                projectx_budget_refused(budget, backoff_ms(self, attempt, retry_after));
            } else
                STAT_INC(self, http_5xx);
            snprintf(out->text, sizeof out->text, "%s: HTTP %ld", path, http.status);
            result = kind == CALL_MUTATION ? PROJECTX_UNKNOWN : PROJECTX_ERROR;
            if (kind != CALL_MUTATION)
                wait = backoff_ms(self, attempt, http.status == 429 ? retry_after : -1);
        } else {
            //  400 (model validation) and other 4xx: the request was refused
            //  as a whole; nothing was done.
            json_error_t jerr;
            json_t *problem = http.body.data ? json_loads(http.body.data, 0, &jerr) : NULL;
            const char *title = json_string_value(json_object_get(problem, "title"));
            snprintf(out->text, sizeof out->text, "%s: HTTP %ld%s%s", path, http.status,
                     title ? ": " : "", title ? title : "");
            json_decref(problem);
            result = http.status == 400 ? PROJECTX_REJECTED : PROJECTX_ERROR;
            if (kind == CALL_MUTATION)
                result = PROJECTX_REJECTED;
        }
        free(http.body.data);
        if (wait < 0 || attempt + 1 >= attempts)
            break;
        json_decref(out->json);
        out->json = NULL;
        log_warn("projectx: %s; retrying in %lld ms", out->text, (long long) wait);
        sleep_ms(wait);
    }
    json_decref(request);
    if (result != PROJECTX_OK)
        set_error(self, "%s", out->text);
    if (result == PROJECTX_UNKNOWN)
        STAT_INC(self, ambiguous);
    return result;
}

//  --------------------------------------------------------------------------
//  Lifecycle and auth

static char *
dup_or_null(const char *text)
{
    return text ? strdup(text) : NULL;
}

//  "https://api.topstepx.com/", ".../api" (PXPY's form, spec §1) and
//  "https://api.topstepx.com" all mean the same base.
static char *
trim_slash(char *url)
{
    size_t len = url ? strlen(url) : 0;
    while (len > 0 && url[len - 1] == '/')
        url[--len] = 0;
    if (len >= 4 && strcmp(url + len - 4, "/api") == 0)
        url[len - 4] = 0;
    return url;
}

projectx_t *
projectx_new(const projectx_config_t *cfg)
{
    if (!url_allowed(cfg->base_url, cfg->allow_insecure)) {
        log_error("projectx: base_url must be https:// (http:// only to loopback)");
        return NULL;
    }
    char *username = cfg->username ? strdup(cfg->username) : ofts_config_secret("TOPSTEPX_USERNAME");
    char *api_key = cfg->api_key ? strdup(cfg->api_key) : ofts_config_secret("TOPSTEPX_API_KEY");
    if (!username || !*username || !api_key || !*api_key) {
        log_error("projectx: credentials missing: set TOPSTEPX_USERNAME and TOPSTEPX_API_KEY");
        free(username);
        free(api_key);
        return NULL;
    }
    projectx_t *self = calloc(1, sizeof *self);
    self->cfg = *cfg;
    self->base_url = trim_slash(strdup(cfg->base_url));
    self->user_hub_url = dup_or_null(cfg->user_hub_url);
    //  "" in the config means "not set" (the default file ships it empty).
    self->account_name = cfg->account_name && *cfg->account_name ? strdup(cfg->account_name) : NULL;
    self->username = username;
    self->api_key = api_key;
    self->cfg.base_url = self->base_url;
    self->cfg.user_hub_url = self->user_hub_url;
    self->cfg.account_name = self->account_name;
    self->cfg.username = NULL;      //  only the owned copies below hold secrets
    self->cfg.api_key = NULL;
    self->account_id = cfg->account_id;
    self->curl = curl_easy_init();
    self->curl_io = curl_easy_init();
    self->sh = calloc(1, sizeof *self->sh);
    self->sh->refs = 1;
    pthread_mutex_init(&self->sh->lock, NULL);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&self->sh->auth, &attr);
    pthread_mutexattr_destroy(&attr);
    self->sh->general = projectx_budget_new(cfg->rate_general, cfg->rate_general_window_ms, NULL);
    self->sh->bars = projectx_budget_new(cfg->rate_bars, cfg->rate_bars_window_ms, NULL);
    return self;
}

projectx_t *
projectx_view(projectx_t *login, int64_t account_id)
{
    projectx_t *self = calloc(1, sizeof *self);
    self->cfg = login->cfg;
    self->base_url = strdup(login->base_url);
    self->user_hub_url = dup_or_null(login->user_hub_url);
    self->account_name = NULL;
    self->username = strdup(login->username);
    self->api_key = strdup(login->api_key);
    self->cfg.base_url = self->base_url;
    self->cfg.user_hub_url = self->user_hub_url;
    self->cfg.account_name = NULL;
    //  A re-login through this view picks this account again.
    self->cfg.account_id = self->account_id = account_id;
    self->curl = curl_easy_init();
    self->curl_io = curl_easy_init();
    pthread_mutex_lock(&login->sh->lock);
    self->sh = login->sh;
    self->sh->refs++;
    pthread_mutex_unlock(&login->sh->lock);
    return self;
}

static void
free_secret(char **secret)
{
    if (*secret) {
        memset(*secret, 0, strlen(*secret));
        free(*secret);
        *secret = NULL;
    }
}

void
projectx_destroy(projectx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    projectx_t *self = *self_p;
    curl_easy_cleanup(self->curl);
    curl_easy_cleanup(self->curl_io);
    pthread_mutex_lock(&self->sh->lock);
    bool last = --self->sh->refs == 0;
    pthread_mutex_unlock(&self->sh->lock);
    if (last) {
        pthread_mutex_destroy(&self->sh->lock);
        pthread_mutex_destroy(&self->sh->auth);
        projectx_budget_destroy(&self->sh->general);
        projectx_budget_destroy(&self->sh->bars);
        free_secret(&self->sh->token);
        free(self->sh);
    }
    free_secret(&self->api_key);
    free(self->username);
    free(self->base_url);
    free(self->user_hub_url);
    free(self->account_name);
    free(self);
    *self_p = NULL;
}

static void
token_set(projectx_t *self, const char *token)
{
    int64_t exp = projectx_jwt_exp(token);
    int64_t now = wall_ms(self);
    pthread_mutex_lock(&self->sh->lock);
    free_secret(&self->sh->token);
    self->sh->token = strdup(token);
    self->sh->token_gen++;
    //  No exp claim: the documented lifetime is 24 h (spec §2.4).
    self->sh->token_exp_ms = exp > 0 ? exp * 1000 : now + 24LL * 3600 * 1000;
    pthread_mutex_unlock(&self->sh->lock);
}

//  After a 401: log in again, unless another thread already did since the
//  refused request was sent (then its new token is the answer).
static int
relogin(projectx_t *self, uint64_t gen)
{
    pthread_mutex_lock(&self->sh->auth);
    pthread_mutex_lock(&self->sh->lock);
    bool stale = self->sh->token_gen != gen;
    pthread_mutex_unlock(&self->sh->lock);
    int rc = stale ? PROJECTX_OK : login_raw(self);
    pthread_mutex_unlock(&self->sh->auth);
    return rc;
}

//  Auth/loginKey only.
static int
login_raw(projectx_t *self)
{
    json_t *req = json_pack("{s:s,s:s}", "userName", self->username, "apiKey", self->api_key);
    outcome_t out;
    int rc = call(self, "Auth/loginKey", req, CALL_LOGIN, NULL, &out);
    if (rc == PROJECTX_OK) {
        const char *token = json_string_value(json_object_get(out.json, "token"));
        if (!token || !*token) {
            set_error(self, "Auth/loginKey: success without a token");
            rc = PROJECTX_ERROR;
        } else {
            token_set(self, token);
            STAT_INC(self, logins);
            log_info("projectx: logged in; token valid for %lld s",
                     (long long) ((self->sh->token_exp_ms - wall_ms(self)) / 1000));
        }
    } else if (rc == PROJECTX_REJECTED)
        log_error("projectx: login refused: %s", out.text);
    json_decref(out.json);
    return rc;
}

static int
choose_account(projectx_t *self)
{
    projectx_account_t accounts[32];
    size_t count = 0;
    int rc = projectx_accounts(self, accounts, 32, &count);
    if (rc != PROJECTX_OK)
        return rc;
    if (count > 32)
        count = 32;
    const projectx_account_t *pick = NULL;
    int tradable = 0;
    for (size_t i = 0; i < count; i++) {
        const projectx_account_t *a = &accounts[i];
        if (self->cfg.account_id && a->id == self->cfg.account_id)
            pick = a;
        else if (!self->cfg.account_id && self->account_name
                 && strcmp(a->name, self->account_name) == 0)
            pick = a;
        if (a->can_trade)
            tradable++;
    }
    if (!pick && !self->cfg.account_id && !self->account_name && tradable == 1)
        for (size_t i = 0; i < count; i++)
            if (accounts[i].can_trade)
                pick = &accounts[i];
    if (!pick) {
        set_error(self, "account not found (%s): %zu active account(s); set "
                        "gateway_order.projectx.account_name or account_id",
                  self->cfg.account_id || self->account_name ? "configured one absent"
                                                             : "ambiguous",
                  count);
        log_error("projectx: %s", self->last_error);
        return PROJECTX_NOT_FOUND;
    }
    if (!pick->can_trade)
        log_warn("projectx: account %s (%lld) reports canTrade=false", pick->name,
                 (long long) pick->id);
    self->account_id = pick->id;
    log_info("projectx: using account %s (%lld), balance %lld.%02lld", pick->name,
             (long long) pick->id, (long long) (pick->balance_cents / 100),
             (long long) llabs(pick->balance_cents % 100));
    return PROJECTX_OK;
}

int
projectx_login(projectx_t *self)
{
    int rc = projectx_login_session(self);
    if (rc != PROJECTX_OK)
        return rc;
    return choose_account(self);
}

int
projectx_login_session(projectx_t *self)
{
    pthread_mutex_lock(&self->sh->auth);
    int rc = login_raw(self);
    pthread_mutex_unlock(&self->sh->auth);
    return rc;
}

static int keepalive_locked(projectx_t *self);

int
projectx_keepalive(projectx_t *self)
{
    pthread_mutex_lock(&self->sh->auth);
    int rc = keepalive_locked(self);
    pthread_mutex_unlock(&self->sh->auth);
    return rc;
}

static int
keepalive_locked(projectx_t *self)
{
    int64_t now = wall_ms(self);
    pthread_mutex_lock(&self->sh->lock);
    bool none = !self->sh->token;
    int64_t exp = self->sh->token_exp_ms;
    pthread_mutex_unlock(&self->sh->lock);
    if (none || now >= exp)
        return login_raw(self);
    if (now < exp - (int64_t) self->cfg.token_refresh_margin_s * 1000)
        return PROJECTX_OK;
    outcome_t out;
    int rc = call(self, "Auth/validate", NULL, CALL_VALIDATE, NULL, &out);
    if (rc == PROJECTX_OK) {
        const char *token = json_string_value(json_object_get(out.json, "newToken"));
        if (!token)
            token = json_string_value(json_object_get(out.json, "token"));
        if (token && *token) {
            token_set(self, token);
            STAT_INC(self, refreshes);
            log_info("projectx: session refreshed");
        } else
            rc = PROJECTX_ERROR;
    }
    json_decref(out.json);
    if (rc != PROJECTX_OK) {
        log_warn("projectx: validate failed (%s); logging in again", out.text);
        rc = login_raw(self);
    }
    return rc;
}

const char *projectx_token(projectx_t *self) { return self->sh->token; }

bool
projectx_token_copy(projectx_t *self, char *buf, size_t size)
{
    pthread_mutex_lock(&self->sh->lock);
    bool ok = self->sh->token && strlen(self->sh->token) < size;
    snprintf(buf, size, "%s", ok ? self->sh->token : "");
    pthread_mutex_unlock(&self->sh->lock);
    return ok;
}

void
projectx_set_background_thread(projectx_t *self)
{
    pthread_mutex_lock(&self->sh->lock);
    self->io_thread = pthread_self();
    self->io_set = true;
    pthread_mutex_unlock(&self->sh->lock);
}
int64_t projectx_account_id(projectx_t *self) { return self->account_id; }
const char *projectx_last_error(projectx_t *self) { return self->last_error; }
void
projectx_stats(projectx_t *self, projectx_stats_t *out)
{
    pthread_mutex_lock(&self->sh->lock);
    *out = self->sh->stats;
    pthread_mutex_unlock(&self->sh->lock);
}

//  --------------------------------------------------------------------------
//  Reads

static json_t *
account_request(projectx_t *self)
{
    return json_pack("{s:I}", "accountId", (json_int_t) self->account_id);
}

//  Read a list field; a missing or null list on success is "absent" and
//  reported as zero rows (spec §3.0), with a debug line.
static const json_t *
list_field(const json_t *reply, const char *key)
{
    const json_t *list = json_object_get(reply, key);
    if (!json_is_array(list))
        log_debug("projectx: reply has no '%s' list; treating as empty", key);
    return json_is_array(list) ? list : NULL;
}

int
projectx_accounts(projectx_t *self, projectx_account_t *out, size_t max, size_t *count)
{
    outcome_t res;
    int rc = call(self, "Account/search", json_pack("{s:b}", "onlyActiveAccounts", 1), CALL_READ,
                  NULL, &res);
    *count = 0;
    if (rc == PROJECTX_OK) {
        const json_t *list = list_field(res.json, "accounts");
        for (size_t i = 0; i < json_array_size(list); i++) {
            projectx_account_t row;
            if (!projectx_account_parse(json_array_get(list, i), &row))
                continue;
            if (*count < max)
                out[*count] = row;
            (*count)++;
        }
    }
    json_decref(res.json);
    return rc;
}

static bool
contract_pick(const json_t *list, const char *symbol_id, projectx_contract_t *out)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        projectx_contract_t c;
        if (projectx_contract_parse(json_array_get(list, i), &c) && c.active
            && strcmp(c.symbol_id, symbol_id) == 0) {
            *out = c;
            return true;
        }
    }
    return false;
}

int
projectx_resolve_contract(projectx_t *self, const char *root, projectx_contract_t *out)
{
    const ofts_instrument_t *inst = NULL;
    char symbol_id[PROJECTX_SYMBOL_LEN];
    if (strncmp(root, "F.US.", 5) == 0) {
        snprintf(symbol_id, sizeof symbol_id, "%s", root);
        for (size_t i = 0; i < ofts_instrument_count(); i++)
            if (strcmp(ofts_instrument_at(i)->projectx_symbol, root) == 0)
                inst = ofts_instrument_at(i);
    } else {
        inst = ofts_instrument_find(root);
        if (!inst) {
            set_error(self, "unknown instrument root '%s'", root);
            return PROJECTX_ERROR;
        }
        snprintf(symbol_id, sizeof symbol_id, "%s", inst->projectx_symbol);
    }
    //  Search text: the CME root, as in the docs' own example ("NQ"); the
    //  search is fuzzy, so only an exact symbolId match counts (§10.7).
    const char *text = inst ? inst->root : symbol_id + 5;
    bool found = false;
    outcome_t res;
    int rc = call(self, "Contract/search",
                  json_pack("{s:s,s:b}", "searchText", text, "live", self->cfg.live), CALL_READ,
                  NULL, &res);
    if (rc == PROJECTX_OK)
        found = contract_pick(list_field(res.json, "contracts"), symbol_id, out);
    json_decref(res.json);
    if (!found) {
        rc = call(self, "Contract/available", json_pack("{s:b}", "live", self->cfg.live),
                  CALL_READ, NULL, &res);
        if (rc == PROJECTX_OK)
            found = contract_pick(list_field(res.json, "contracts"), symbol_id, out);
        json_decref(res.json);
    }
    if (rc != PROJECTX_OK)
        return rc;
    if (!found) {
        set_error(self, "no active contract with symbolId %s", symbol_id);
        return PROJECTX_NOT_FOUND;
    }
    if (inst && out->tick_size != inst->tick) {
        //  Our prices are rounded to the instrument table's tick; a different
        //  broker tick would make every bracket distance wrong.
        set_error(self, "%s: broker tickSize differs from the instrument table", out->id);
        log_error("projectx: %s", self->last_error);
        return PROJECTX_ERROR;
    }
    log_info("projectx: %s -> %s (%s)", root, out->id, out->description);
    return PROJECTX_OK;
}

//  A read whose answer is a list: each element that parses goes into the
//  caller's array (up to max); count says how many parsed, even past max.
//  parse() stores the row at index, or only validates when index >= max.
typedef bool (row_parse_fn)(const json_t *json, void *out, size_t index, size_t max);

static int
read_list(projectx_t *self, const char *path, json_t *req, const char *field, row_parse_fn *parse,
          void *out, size_t max, size_t *count)
{
    outcome_t res;
    int rc = call(self, path, req, CALL_READ, NULL, &res);
    *count = 0;
    if (rc == PROJECTX_OK) {
        const json_t *list = list_field(res.json, field);
        for (size_t i = 0; i < json_array_size(list); i++)
            if (parse(json_array_get(list, i), out, *count, max))
                (*count)++;
    }
    json_decref(res.json);
    return rc;
}

#define ROW_PARSER(name, type, parse_fn)                                        \
    static bool name(const json_t *json, void *out, size_t index, size_t max)  \
    {                                                                           \
        type row;                                                               \
        if (!parse_fn(json, &row))                                              \
            return false;                                                       \
        if (index < max)                                                        \
            ((type *) out)[index] = row;                                        \
        return true;                                                            \
    }
ROW_PARSER(order_row, projectx_order_info_t, projectx_order_parse)
ROW_PARSER(position_row, projectx_position_t, projectx_position_parse)
ROW_PARSER(trade_row, projectx_trade_t, projectx_trade_parse)

static int
order_list(projectx_t *self, const char *path, json_t *req, projectx_order_info_t *out,
           size_t max, size_t *count)
{
    return read_list(self, path, req, "orders", order_row, out, max, count);
}

int
projectx_open_orders(projectx_t *self, projectx_order_info_t *out, size_t max, size_t *count)
{
    return order_list(self, "Order/searchOpen", account_request(self), out, max, count);
}

static json_t *
window_request(projectx_t *self, int64_t start_ns, int64_t end_ns)
{
    char start[40], end[40];
    projectx_time_format(start_ns, start, sizeof start);
    json_t *req = json_pack("{s:I,s:s}", "accountId", (json_int_t) self->account_id,
                            "startTimestamp", start);
    if (end_ns > 0) {
        projectx_time_format(end_ns, end, sizeof end);
        json_object_set_new(req, "endTimestamp", json_string(end));
    }
    return req;
}

int
projectx_search_orders(projectx_t *self, int64_t start_ns, int64_t end_ns,
                       projectx_order_info_t *out, size_t max, size_t *count)
{
    return order_list(self, "Order/search", window_request(self, start_ns, end_ns), out, max,
                      count);
}

int
projectx_find_order_by_tag(projectx_t *self, const char *tag, int64_t since_ns,
                           projectx_order_info_t *out)
{
    int64_t floor_ns = (real_ms() - (int64_t) self->cfg.lookback_s * 1000) * 1000000LL;
    if (since_ns < floor_ns)
        since_ns = floor_ns;
    outcome_t res;
    int rc = call(self, "Order/search", window_request(self, since_ns, 0), CALL_READ, NULL, &res);
    if (rc != PROJECTX_OK) {
        json_decref(res.json);
        return rc;
    }
    //  Several rows can carry one tag if the broker keeps rejected records of
    //  a refused duplicate: the live (not Rejected) one wins.
    int matches = 0;
    bool live = false;
    const json_t *list = list_field(res.json, "orders");
    for (size_t i = 0; i < json_array_size(list); i++) {
        projectx_order_info_t row;
        if (!projectx_order_parse(json_array_get(list, i), &row) || strcmp(row.custom_tag, tag) != 0)
            continue;
        bool row_live = row.status != PROJECTX_STATUS_REJECTED;
        if (matches++ == 0 || (row_live && !live)) {
            *out = row;
            live = row_live;
        }
    }
    json_decref(res.json);
    if (matches > 1)
        log_warn("projectx: %d orders carry tag %s (tags should be unique)", matches, tag);
    return matches ? PROJECTX_OK : PROJECTX_NOT_FOUND;
}

//  The same, with a result array sized to the reply (no cap).
static int
read_list_all(projectx_t *self, const char *path, json_t *req, const char *field,
              row_parse_fn *parse, size_t elem, void **out, size_t *count)
{
    outcome_t res;
    int rc = call(self, path, req, CALL_READ, NULL, &res);
    *count = 0;
    *out = NULL;
    if (rc == PROJECTX_OK) {
        const json_t *list = list_field(res.json, field);
        size_t n = json_array_size(list);
        *out = calloc(n ? n : 1, elem);
        for (size_t i = 0; i < n; i++)
            if (parse(json_array_get(list, i), *out, *count, n))
                (*count)++;
    }
    json_decref(res.json);
    return rc;
}

int
projectx_search_orders_all(projectx_t *self, int64_t start_ns, int64_t end_ns,
                           projectx_order_info_t **out, size_t *count)
{
    return read_list_all(self, "Order/search", window_request(self, start_ns, end_ns), "orders",
                         order_row, sizeof **out, (void **) out, count);
}

int
projectx_trades_all(projectx_t *self, int64_t start_ns, int64_t end_ns, projectx_trade_t **out,
                    size_t *count)
{
    return read_list_all(self, "Trade/search", window_request(self, start_ns, end_ns), "trades",
                         trade_row, sizeof **out, (void **) out, count);
}

int
projectx_open_positions(projectx_t *self, projectx_position_t *out, size_t max, size_t *count)
{
    return read_list(self, "Position/searchOpen", account_request(self), "positions", position_row, out, max,
                     count);
}

int
projectx_trades(projectx_t *self, int64_t start_ns, int64_t end_ns, projectx_trade_t *out,
                size_t max, size_t *count)
{
    return read_list(self, "Trade/search", window_request(self, start_ns, end_ns), "trades", trade_row, out, max,
                     count);
}

//  --------------------------------------------------------------------------
//  Mutations

//  PlaceOrderErrorCode 6 OrderPending, 7 UnknownError are ambiguous (§3.6).
static const int PLACE_AMBIGUOUS[] = { 6, 7, 0 };
//  Cancel/Modify: 4 Pending, 5 UnknownError (§3.7, §3.8).
static const int CANCEL_AMBIGUOUS[] = { 4, 5, 0 };
//  ClosePosition: 6 OrderPending, 7 UnknownError (§3.9).
static const int CLOSE_AMBIGUOUS[] = { 6, 7, 0 };
//  PartialClosePosition: 7 OrderPending, 8 UnknownError (§3.9).
static const int PARTIAL_AMBIGUOUS[] = { 7, 8, 0 };

static const char *
place_check(const projectx_order_t *o)
{
    if (!o->custom_tag[0])
        return "customTag (client order id) is required";
    if (!o->contract_id[0])
        return "contract_id is required";
    if (o->size <= 0)
        return "size must be > 0";
    if (o->side != PROJECTX_SIDE_BUY && o->side != PROJECTX_SIDE_SELL)
        return "side must be 0 (buy) or 1 (sell)";
    if (o->sl_ticks < 0 || o->tp_ticks < 0)
        return "bracket distances are positive tick counts";
    switch (o->type) {
    case PROJECTX_TYPE_MARKET:
    case PROJECTX_TYPE_JOIN_BID:
    case PROJECTX_TYPE_JOIN_ASK:
        return NULL;
    case PROJECTX_TYPE_LIMIT:
        return o->limit_price == OFTS_UNDEF_PRICE ? "limit order needs limit_price" : NULL;
    case PROJECTX_TYPE_STOP:
        return o->stop_price == OFTS_UNDEF_PRICE ? "stop order needs stop_price" : NULL;
    default:
        return "order type not supported (use market, limit, stop, join bid/ask)";
    }
}

static json_t *
place_request(projectx_t *self, const projectx_order_t *o)
{
    json_t *req = json_pack("{s:I,s:s,s:i,s:i,s:i,s:s}", "accountId",
                            (json_int_t) self->account_id, "contractId", o->contract_id, "type",
                            o->type, "side", o->side, "size", o->size, "customTag",
                            o->custom_tag);
    if (o->type == PROJECTX_TYPE_LIMIT)
        json_object_set_new(req, "limitPrice", projectx_price_to_json(o->limit_price));
    if (o->type == PROJECTX_TYPE_STOP)
        json_object_set_new(req, "stopPrice", projectx_price_to_json(o->stop_price));
    if (o->sl_ticks > 0)
        json_object_set_new(req, "stopLossBracket",
                            json_pack("{s:i,s:i}", "ticks",
                                      projectx_bracket_sl_ticks(o->side, o->sl_ticks), "type",
                                      PROJECTX_TYPE_STOP));
    if (o->tp_ticks > 0)
        json_object_set_new(req, "takeProfitBracket",
                            json_pack("{s:i,s:i}", "ticks",
                                      projectx_bracket_tp_ticks(o->side, o->tp_ticks), "type",
                                      PROJECTX_TYPE_LIMIT));
    return req;
}

//  After an ambiguous place: is the tag on the books? Never resends.
static int
place_resolve(projectx_t *self, const projectx_order_t *o, int64_t sent_ns,
              projectx_place_result_t *result)
{
    projectx_order_info_t found;
    int rc = projectx_find_order_by_tag(self, o->custom_tag, sent_ns - 60LL * 1000000000LL,
                                        &found);
    if (rc == PROJECTX_OK) {
        STAT_INC(self, resolved);
        result->order_id = found.id;
        result->resolved = true;
        if (found.status == PROJECTX_STATUS_REJECTED) {
            snprintf(result->text, sizeof result->text,
                     "rejected (found by tag after an ambiguous reply)");
            return PROJECTX_REJECTED;
        }
        log_info("projectx: place %s resolved by tag: order %lld %s", o->custom_tag,
                 (long long) found.id, projectx_status_name(found.status));
        return PROJECTX_OK;
    }
    char was[200];
    snprintf(was, sizeof was, "%s", result->text);
    snprintf(result->text, sizeof result->text, "%s; tag %s %s: reconcile before resending", was,
             o->custom_tag, rc == PROJECTX_NOT_FOUND ? "not found yet" : "lookup failed");
    log_warn("projectx: place outcome UNKNOWN: %s", result->text);
    return PROJECTX_UNKNOWN;
}

int
projectx_place(projectx_t *self, const projectx_order_t *o, projectx_place_result_t *result)
{
    memset(result, 0, sizeof *result);
    const char *bad = place_check(o);
    if (bad) {
        snprintf(result->text, sizeof result->text, "Order/place: %s", bad);
        set_error(self, "%s", result->text);
        return PROJECTX_ERROR;
    }
    int64_t sent_ns = real_ms() * 1000000LL;
    outcome_t res;
    int rc = call(self, "Order/place", place_request(self, o), CALL_MUTATION, PLACE_AMBIGUOUS,
                  &res);
    result->error_code = res.error_code;
    result->http_status = res.http_status;
    snprintf(result->text, sizeof result->text, "%s", res.text);
    const json_t *id = json_object_get(res.json, "orderId");
    if (json_is_integer(id))
        result->order_id = json_integer_value(id);
    json_decref(res.json);
    if (rc == PROJECTX_OK && !result->order_id) {
        snprintf(result->text, sizeof result->text, "Order/place: success without an orderId");
        rc = PROJECTX_UNKNOWN;
    }
    if (rc == PROJECTX_REJECTED && result->error_code == 2 && !strstr(result->text, "Position Brackets")) {
        //  OrderRejected may mean "customTag already used" (text UNCONFIRMED,
        //  spec §5.8): if an order with this tag is on the books, the caller's
        //  order exists - reporting a reject would hide a live order.
        projectx_order_info_t found;
        if (projectx_find_order_by_tag(self, o->custom_tag, 0, &found) == PROJECTX_OK
            && found.status != PROJECTX_STATUS_REJECTED && found.id != result->order_id) {
            log_warn("projectx: place %s refused (%s) but the tag is on order %lld: already placed",
                     o->custom_tag, result->text, (long long) found.id);
            result->order_id = found.id;
            result->resolved = true;
            snprintf(result->text, sizeof result->text, "already placed: order %lld carries the tag",
                     (long long) found.id);
            return PROJECTX_OK;
        }
    }
    if (rc == PROJECTX_REJECTED) {
        result->bracket_mode_error = strstr(result->text, "Position Brackets") != NULL;
        if (result->bracket_mode_error)
            log_error("projectx: the account is in 'Position Brackets' mode: switch it to "
                      "'Auto OCO Brackets' in TopstepX risk settings (docs/topstepx.md)");
        log_warn("projectx: place %s rejected: %s", o->custom_tag, result->text);
    }
    if (rc == PROJECTX_UNKNOWN)
        rc = place_resolve(self, o, sent_ns, result);
    if (rc == PROJECTX_OK)
        log_info("projectx: placed %s -> order %lld", o->custom_tag,
                 (long long) result->order_id);
    return rc;
}

static int
simple_mutation(projectx_t *self, const char *path, json_t *req, const int *ambiguous,
                projectx_status_t *status)
{
    outcome_t res;
    int rc = call(self, path, req, CALL_MUTATION, ambiguous, &res);
    json_decref(res.json);
    if (status) {
        status->error_code = res.error_code;
        status->http_status = res.http_status;
        snprintf(status->text, sizeof status->text, "%s", res.text);
    }
    if (rc != PROJECTX_OK)
        log_warn("projectx: %s %s", projectx_result_name(rc), res.text);
    return rc;
}

int
projectx_cancel(projectx_t *self, int64_t order_id, projectx_status_t *status)
{
    json_t *req = json_pack("{s:I,s:I}", "accountId", (json_int_t) self->account_id, "orderId",
                            (json_int_t) order_id);
    return simple_mutation(self, "Order/cancel", req, CANCEL_AMBIGUOUS, status);
}

int
projectx_modify(projectx_t *self, int64_t order_id, int32_t size, int64_t limit_price,
                int64_t stop_price, projectx_status_t *status)
{
    if (size <= 0 && limit_price == OFTS_UNDEF_PRICE && stop_price == OFTS_UNDEF_PRICE) {
        if (status) {
            memset(status, 0, sizeof *status);
            snprintf(status->text, sizeof status->text, "Order/modify: nothing to change");
        }
        return PROJECTX_ERROR;
    }
    json_t *req = json_pack("{s:I,s:I}", "accountId", (json_int_t) self->account_id, "orderId",
                            (json_int_t) order_id);
    if (size > 0)
        json_object_set_new(req, "size", json_integer(size));
    if (limit_price != OFTS_UNDEF_PRICE)
        json_object_set_new(req, "limitPrice", projectx_price_to_json(limit_price));
    if (stop_price != OFTS_UNDEF_PRICE)
        json_object_set_new(req, "stopPrice", projectx_price_to_json(stop_price));
    return simple_mutation(self, "Order/modify", req, CANCEL_AMBIGUOUS, status);
}

int
projectx_close_contract(projectx_t *self, const char *contract_id, projectx_status_t *status)
{
    json_t *req = json_pack("{s:I,s:s}", "accountId", (json_int_t) self->account_id,
                            "contractId", contract_id);
    return simple_mutation(self, "Position/closeContract", req, CLOSE_AMBIGUOUS, status);
}

int
projectx_partial_close(projectx_t *self, const char *contract_id, int32_t size,
                       projectx_status_t *status)
{
    if (size <= 0) {
        if (status) {
            memset(status, 0, sizeof *status);
            snprintf(status->text, sizeof status->text, "Position/partialCloseContract: size > 0");
        }
        return PROJECTX_ERROR;
    }
    json_t *req = json_pack("{s:I,s:s,s:i}", "accountId", (json_int_t) self->account_id,
                            "contractId", contract_id, "size", size);
    return simple_mutation(self, "Position/partialCloseContract", req, PARTIAL_AMBIGUOUS, status);
}
