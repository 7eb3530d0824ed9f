/*  hist_client - see hist_client.h. libcurl does HTTP; this file decides
    what a response means and where its bytes go.                           */
#include "hist_client.h"
#include "dbn_file.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define ERRBODY_MAX 65536

void hist_request_defaults(hist_request_t *req)
{
    memset(req, 0, sizeof *req);
    req->base_url = "https://hist.databento.com";
    req->dataset = "GLBX.MDP3";
    req->stype_in = "raw_symbol";
    req->stype_out = "instrument_id";
    req->compression = "zstd";
    req->timeout_s = 100;
    req->connect_timeout_s = 10;
    req->max_retries = 5;
    req->retry_min_ms = 1000;
    req->retry_max_s = 60;
    req->progress = true;
    req->verify = true;
    req->user_agent = "ofts/0.1";
}

static int s_int(ofts_cfgsec_t *sec, const char *key, int def, int lo, int hi, int *out)
{
    int64_t v = ofts_cfgsec_int(sec, key, def);
    if (v < lo || v > hi) {
        ofts_cfgsec_fail(sec, key, "must be between %d and %d", lo, hi);
        return -1;
    }
    *out = (int) v;
    return 0;
}

int hist_request_config_read(hist_request_t *req, ofts_cfgsec_t *gateway_md)
{
    hist_request_defaults(req);
    ofts_cfgsec_t *sec = ofts_cfgsec_section(gateway_md, "historical");
    if (!sec)
        return -1;
    int rc = 0;
    req->base_url = ofts_cfgsec_string(sec, "base_url", req->base_url);
    if (!req->base_url || (strncmp(req->base_url, "http://", 7) && strncmp(req->base_url, "https://", 8))) {
        ofts_cfgsec_fail(sec, "base_url", "expected an http:// or https:// URL");
        rc = -1;
    }
    rc |= s_int(sec, "timeout_s", req->timeout_s, 1, 3600, &req->timeout_s);
    rc |= s_int(sec, "connect_timeout_s", req->connect_timeout_s, 1, 600, &req->connect_timeout_s);
    rc |= s_int(sec, "max_retries", req->max_retries, 0, 100, &req->max_retries);
    rc |= s_int(sec, "retry_min_ms", req->retry_min_ms, 1, 600000, &req->retry_min_ms);
    rc |= s_int(sec, "retry_max_s", req->retry_max_s, 1, 3600, &req->retry_max_s);
    return rc ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  Error bodies

//  Replace every occurrence of the key with *** (servers should never echo
//  it, but a log line must never carry it even if one does).
static void s_mask(char *text, const char *key)
{
    size_t klen = key ? strlen(key) : 0;
    if (klen < 4)
        return;
    char *p;
    while ((p = strstr(text, key)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + klen, strlen(p + klen) + 1);
    }
}

void hist_error_message(const char *body, size_t len, char *out, size_t outlen)
{
    json_error_t jerr;
    json_t *root = len ? json_loadb(body, len, 0, &jerr) : NULL;
    json_t *detail = root ? json_object_get(root, "detail") : NULL;
    if (json_is_string(detail)) {
        snprintf(out, outlen, "%s", json_string_value(detail));
    } else if (json_is_object(detail) && json_is_string(json_object_get(detail, "message"))) {
        const char *msg = json_string_value(json_object_get(detail, "message"));
        json_t *c = json_object_get(detail, "case"), *docs = json_object_get(detail, "docs");
        snprintf(out, outlen, "%s%s%s%s%s%s", msg, json_is_string(c) ? " [" : "",
                 json_is_string(c) ? json_string_value(c) : "", json_is_string(c) ? "]" : "",
                 json_is_string(docs) ? " see " : "", json_is_string(docs) ? json_string_value(docs) : "");
    } else {
        //  not the documented JSON: keep the raw text, one line, printable
        size_t n = 0;
        for (size_t i = 0; i < len && n + 1 < outlen && n < 300; i++) {
            char ch = body[i];
            out[n++] = ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : (ch >= 32 && ch < 127 ? ch : '?');
        }
        out[n] = '\0';
        if (!n)
            snprintf(out, outlen, "(empty body)");
    }
    json_decref(root);
}

//  --------------------------------------------------------------------------
//  One transfer

typedef struct {
    const hist_request_t *req;
    FILE *f;
    uint64_t offset;            //  bytes in .part when the attempt started
    uint64_t written;           //  body bytes written by this attempt
    bool sent_range, decided, to_file, resumed, bad_range;
    char *errbody;
    size_t errlen;
    char content_range[128], retry_after[32], request_id[128], warning[512];
    int64_t last_progress, last_activity;
    curl_off_t last_bytes;
    bool timed_out;
    CURL *curl;
} xfer_t;

static void s_trim_copy(char *dst, size_t dstlen, const char *src, size_t len)
{
    while (len && (src[len - 1] == '\r' || src[len - 1] == '\n' || src[len - 1] == ' '))
        len--;
    while (len && *src == ' ') {
        src++;
        len--;
    }
    snprintf(dst, dstlen, "%.*s", (int) len, src);
}

static size_t s_on_header(char *data, size_t size, size_t nitems, void *arg)
{
    xfer_t *x = arg;
    size_t len = size * nitems;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        //  a new response (e.g. after 100-continue): forget earlier headers
        x->content_range[0] = x->retry_after[0] = x->request_id[0] = x->warning[0] = '\0';
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return len;
    size_t nlen = (size_t) (colon - data);
    const char *val = colon + 1;
    size_t vlen = len - nlen - 1;
    if (nlen == 13 && strncasecmp(data, "content-range", 13) == 0)
        s_trim_copy(x->content_range, sizeof x->content_range, val, vlen);
    else if (nlen == 11 && strncasecmp(data, "retry-after", 11) == 0)
        s_trim_copy(x->retry_after, sizeof x->retry_after, val, vlen);
    else if (nlen == 10 && strncasecmp(data, "request-id", 10) == 0)
        s_trim_copy(x->request_id, sizeof x->request_id, val, vlen);
    else if (nlen == 9 && strncasecmp(data, "x-warning", 9) == 0)
        s_trim_copy(x->warning, sizeof x->warning, val, vlen);
    return len;
}

//  Where the body goes is decided on its first bytes, once the status is known.
static int s_decide(xfer_t *x)
{
    long status = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
    x->decided = true;
    if (!x->f || (status != 200 && status != 206)) {
        //  metadata answers (no file) and error bodies go to memory
        x->to_file = false;
        return 0;
    }
    x->to_file = true;
    unsigned long long start = 0;
    if (status == 206 && x->content_range[0]) {
        //  a Range answer: must continue exactly where the file ends
        if (sscanf(x->content_range, "bytes %llu-", &start) != 1 || start != x->offset || !x->sent_range) {
            x->bad_range = true;
            return -1;
        }
        x->resumed = true;
        return 0;
    }
    //  200, or Databento's 206 "partially resolved symbols" with a full body:
    //  start the file again from zero.
    if (x->offset) {
        if (fflush(x->f) || ftruncate(fileno(x->f), 0) || fseek(x->f, 0, SEEK_SET))
            return -1;
        x->offset = 0;
    }
    return 0;
}

static size_t s_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    xfer_t *x = arg;
    size_t len = size * nmemb;
    if (!x->decided && s_decide(x) < 0)
        return 0;               //  aborts the transfer (CURLE_WRITE_ERROR)
    if (x->to_file) {
        if (fwrite(data, 1, len, x->f) != len)
            return 0;
        x->written += len;
        return len;
    }
    size_t room = ERRBODY_MAX - x->errlen;
    size_t take = len < room ? len : room;
    if (take) {
        char *grown = realloc(x->errbody, x->errlen + take + 1);
        if (!grown)
            return 0;
        x->errbody = grown;
        memcpy(x->errbody + x->errlen, data, take);
        x->errlen += take;
        x->errbody[x->errlen] = '\0';
    }
    return len;
}

static int s_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void) ultotal;
    xfer_t *x = arg;
    int64_t now = ofts_clock_mono_ns();
    //  Read time-out: curl's low-speed check averages over several seconds
    //  (and counts the upload), so watch for "no new byte" here as well.
    if (!x->last_activity || dlnow + ulnow != x->last_bytes) {
        x->last_activity = now;
        x->last_bytes = dlnow + ulnow;
    } else if (now - x->last_activity >= (int64_t) x->req->timeout_s * OFTS_NS_PER_SEC) {
        x->timed_out = true;
        return 1;               //  CURLE_ABORTED_BY_CALLBACK
    }
    if (!x->req->progress || !x->to_file || now - x->last_progress < OFTS_NS_PER_SEC)
        return 0;
    x->last_progress = now;
    double mb = (double) (x->offset + (uint64_t) dlnow) / 1e6;
    if (dltotal > 0)
        log_info("download: %.1f MB of %.1f MB (%d%%)", mb, (double) (x->offset + (uint64_t) dltotal) / 1e6,
                 (int) (100 * (x->offset + (uint64_t) dlnow) / (x->offset + (uint64_t) dltotal)));
    else
        log_info("download: %.1f MB", mb);
    return 0;
}

//  timeseries.get_range takes the output fields too; metadata.* does not
//  (spec §9.2, §9.4).
static char *s_form(CURL *curl, const hist_request_t *req, bool timeseries)
{
    const char *keys[] = { "dataset", "symbols", "schema", "start", "end", "stype_in", "stype_out",
                           "encoding", "compression" };
    const char *vals[] = { req->dataset, req->symbols, req->schema, req->start, req->end, req->stype_in,
                           req->stype_out, "dbn", req->compression };
    size_t cap = 256, len = 0;
    char *form = calloc(1, cap);
    size_t nfields = timeseries ? sizeof keys / sizeof keys[0] : 6;
    for (size_t i = 0; i < nfields; i++) {
        if (!vals[i] || !*vals[i])
            continue;
        char *esc = curl_easy_escape(curl, vals[i], 0);
        size_t need = len + strlen(keys[i]) + strlen(esc) + 3;
        if (need > cap) {
            cap = need * 2;
            form = realloc(form, cap);
        }
        len += (size_t) sprintf(form + len, "%s%s=%s", len ? "&" : "", keys[i], esc);
        curl_free(esc);
    }
    if (req->limit) {
        form = realloc(form, len + 48);
        sprintf(form + len, "&limit=%llu", (unsigned long long) req->limit);
    }
    return form;
}

static CURLcode s_attempt(xfer_t *x, const char *url, const char *form, long *status)
{
    const hist_request_t *req = x->req;
    CURL *curl = x->curl;
    curl_easy_reset(curl);
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    char range[64];
    if (x->offset) {
        snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long) x->offset);
        hdrs = curl_slist_append(hdrs, range);
        x->sent_range = true;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, req->user_agent ? req->user_agent : "ofts/0.1");
    //  spec §9.1: Basic auth, key as user name, empty password
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, req->api_key);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, "");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long) req->connect_timeout_s);
    //  A read time-out, not a total one: multi-GB downloads take long.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, (long) req->timeout_s);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, s_on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    CURLcode rc = curl_easy_perform(curl);
    *status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdrs);
    return rc;
}

static void s_sleep_ms(int64_t ms)
{
    struct timespec ts = { (time_t) (ms / 1000), (long) (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static int s_result_fail(hist_result_t *res, const hist_request_t *req, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_result_fail(hist_result_t *res, const hist_request_t *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
    s_mask(res->error, req->api_key);
    log_error("download: %s", res->error);
    return -1;
}

//  Check the finished file decodes to the end; counts records.
static int s_verify(const char *path, uint64_t *records, char *err, size_t errlen)
{
    dbn_file_t *f = dbn_file_new(path, err, errlen);
    if (!f)
        return -1;
    const dbn_record_t *rec;
    int rc;
    *records = 0;
    while ((rc = dbn_file_next(f, &rec)) == 1)
        (*records)++;
    if (rc < 0)
        snprintf(err, errlen, "%s", dbn_file_error(f));
    dbn_file_destroy(&f);
    return rc < 0 ? -1 : 0;
}

static bool s_retryable_curl(CURLcode rc)
{
    return rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR
        || rc == CURLE_GOT_NOTHING || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT
        || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_HTTP2_STREAM;
}

static int s_transfer(xfer_t *x, hist_result_t *res, const char *url, const char *form, const char *part)
{
    const char *method = strrchr(url, '/') + 1;
    const hist_request_t *req = x->req;
    int64_t backoff = req->retry_min_ms > 0 ? req->retry_min_ms : 1000;
    int64_t cap_ms = (int64_t) (req->retry_max_s > 0 ? req->retry_max_s : 60) * 1000;
    for (int attempt = 0;; attempt++) {
        res->attempts = attempt + 1;
        x->offset = 0;
        if (x->f) {
            fflush(x->f);
            x->offset = (uint64_t) ftell(x->f);
        }
        x->written = 0;
        x->decided = x->to_file = x->sent_range = x->resumed = x->bad_range = x->timed_out = false;
        x->last_activity = 0;
        x->last_progress = ofts_clock_mono_ns();      //  first line after a second
        x->errlen = 0;
        long status = 0;
        CURLcode rc = s_attempt(x, url, form, &status);
        res->http_status = status;
        snprintf(res->request_id, sizeof res->request_id, "%s", x->request_id);
        if (x->resumed)
            res->resumed++;
        if (x->warning[0])
            log_warn("download: server warning: %s", x->warning);
        char why[768] = "";
        int64_t wait = backoff;
        if (rc == CURLE_OK && (status == 200 || status == 206)) {
            if (status == 206 && !x->resumed)
                log_warn("download: HTTP 206: some symbols were only partially resolved");
            return 0;
        }
        if (x->bad_range) {
            //  the server's range does not continue our file: start over
            snprintf(why, sizeof why, "server answered with an unexpected Content-Range '%s'", x->content_range);
            if (ftruncate(fileno(x->f), 0) || fseek(x->f, 0, SEEK_SET))
                return s_result_fail(res, req, "cannot truncate %s: %s", part, strerror(errno));
        } else if (rc != CURLE_OK) {
            if (x->timed_out)
                rc = CURLE_OPERATION_TIMEDOUT;
            if (!s_retryable_curl(rc))
                return s_result_fail(res, req, "%s: %s", method, curl_easy_strerror(rc));
            if (rc == CURLE_OPERATION_TIMEDOUT)
                snprintf(why, sizeof why, "timed out (no data for %d s)", req->timeout_s);
            else
                snprintf(why, sizeof why, "%s after %llu bytes", curl_easy_strerror(rc),
                         (unsigned long long) (x->offset + x->written));
        } else {
            char msg[600];
            hist_error_message(x->errbody ? x->errbody : "", x->errlen, msg, sizeof msg);
            s_mask(msg, req->api_key);
            snprintf(why, sizeof why, "HTTP %ld: %s%s%s%s", status, msg, x->request_id[0] ? " (request-id " : "",
                     x->request_id, x->request_id[0] ? ")" : "");
            if (status == 429) {
                long ra = x->retry_after[0] ? strtol(x->retry_after, NULL, 10) : 0;
                if (ra > 0)
                    wait = ra * 1000;
            } else if (status < 500) {
                return s_result_fail(res, req, "%s failed: %s", method, why);
            }
        }
        if (attempt >= req->max_retries)
            return s_result_fail(res, req, "%s failed after %d attempt(s): %s", method, attempt + 1, why);
        if (wait > cap_ms)
            wait = cap_ms;
        s_mask(why, req->api_key);
        log_warn("download: %s; retry %d of %d in %lld ms", why, attempt + 1, req->max_retries,
                 (long long) wait);
        s_sleep_ms(wait);
        if (status != 429)
            backoff = backoff * 2 < cap_ms ? backoff * 2 : cap_ms;
    }
}

int hist_download(const hist_request_t *req, hist_result_t *res)
{
    memset(res, 0, sizeof *res);
    if (!req->api_key || !*req->api_key)
        return s_result_fail(res, req, "no API key (set DATABENTO_API_KEY)");
    if (!req->base_url || !req->dataset || !req->symbols || !req->schema || !req->start || !req->output)
        return s_result_fail(res, req, "dataset, symbols, schema, start and output are required");
    char url[1024];
    snprintf(url, sizeof url, "%s/v0/timeseries.get_range", req->base_url);
    size_t plen = strlen(req->output) + 6;
    char *part = malloc(plen);
    snprintf(part, plen, "%s.part", req->output);
    //  A .part left by another run may belong to other parameters: never
    //  splice into it. Resuming happens within this run.
    if (access(part, F_OK) == 0)
        log_warn("download: discarding stale %s", part);
    xfer_t x = { .req = req };
    x.f = fopen(part, "w+b");
    if (!x.f) {
        int rc = s_result_fail(res, req, "cannot write %s: %s", part, strerror(errno));
        free(part);
        return rc;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    x.curl = curl_easy_init();
    char *form = s_form(x.curl, req, true);
    log_info("download: %s %s %s %s..%s -> %s", req->dataset, req->schema, req->symbols, req->start,
             req->end ? req->end : "", req->output);
    int rc = s_transfer(&x, res, url, form, part);
    free(form);
    free(x.errbody);
    curl_easy_cleanup(x.curl);
    curl_global_cleanup();
    if (fflush(x.f) != 0 && rc == 0)
        rc = s_result_fail(res, req, "cannot write %s: %s", part, strerror(errno));
    res->bytes = (uint64_t) ftell(x.f);
    fclose(x.f);
    bool keep_part = false;
    if (rc == 0 && req->verify) {
        char err[512];
        if (s_verify(part, &res->records, err, sizeof err)) {
            rc = s_result_fail(res, req, "downloaded data does not decode (kept %s): %s", part, err);
            keep_part = true;       //  for inspection
        }
    }
    if (rc == 0 && rename(part, req->output))
        rc = s_result_fail(res, req, "cannot rename %s to %s: %s", part, req->output, strerror(errno));
    if (rc == 0)
        log_info("download: done, %llu bytes, %llu records%s, %d attempt(s) -> %s",
                 (unsigned long long) res->bytes, (unsigned long long) res->records,
                 req->verify ? "" : " (not verified)", res->attempts, req->output);
    else if (!keep_part)
        unlink(part);               //  a later run would discard it anyway
    free(part);
    return rc;
}

int hist_metadata_number(const hist_request_t *req, const char *method, double *out, hist_result_t *res)
{
    memset(res, 0, sizeof *res);
    *out = 0;
    if (!req->api_key || !*req->api_key)
        return s_result_fail(res, req, "no API key (set DATABENTO_API_KEY)");
    if (!req->base_url || !req->dataset || !req->symbols || !req->schema || !req->start || !method)
        return s_result_fail(res, req, "dataset, symbols, schema and start are required");
    char url[1024];
    snprintf(url, sizeof url, "%s/v0/%s", req->base_url, method);
    xfer_t x = { .req = req };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    x.curl = curl_easy_init();
    char *form = s_form(x.curl, req, false);
    int rc = s_transfer(&x, res, url, form, NULL);
    if (rc == 0) {
        //  spec §9.4: the answer is a bare JSON number
        json_error_t jerr;
        json_t *v = json_loadb(x.errbody ? x.errbody : "", x.errlen, JSON_DECODE_ANY, &jerr);
        if (json_is_number(v))
            *out = json_number_value(v);
        else {
            char msg[400];
            hist_error_message(x.errbody ? x.errbody : "", x.errlen, msg, sizeof msg);
            rc = s_result_fail(res, req, "%s: expected a number, got: %s", method, msg);
        }
        json_decref(v);
    }
    free(form);
    free(x.errbody);
    curl_easy_cleanup(x.curl);
    curl_global_cleanup();
    return rc;
}
