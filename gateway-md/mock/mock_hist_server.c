/*  ofts-mock-databento-hist - a loopback stand-in for the Databento
    historical HTTP API (spec/databento.md §9), on libmicrohttpd.

    POST /v0/timeseries.get_range (and metadata.get_record_count /
    metadata.get_cost: a bare number, §9.4) with HTTP Basic auth (key as user, empty
    password) and the form fields of §9.2. Serves a DBN body: --body FILE as
    is, else a generated one (mock_dbn_body: --records N of the requested
    schema, zstd when compression=zstd, in two frames like real downloads).
    Errors in the documented JSON shape {"detail": {"case", "message",
    "docs", "payload"}} (§9.3; the texts are the mock's own).

    Listens on 127.0.0.1, port 0 by default; prints the port as the first
    stdout line.
    Options:
      --key K            accepted API key (or $MOCK_DATABENTO_KEY)
      --body FILE        serve this file as the body
      --records N        generated records (200)
      --mode M           ok | 401 | 422 | 429 | 500 | slow | truncate (ok)
      --fail N           the mode applies to the first N requests only (all)
      --retry-after S    Retry-After for 429 (1)
      --slow-ms MS       stall before the body in slow mode (10000)
      --ranges           honour "Range: bytes=N-" with 206 + Content-Range
      --max-seconds S    exit after S seconds (120)                         */
#include "mock_dbn.h"
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    const char *key;
    const char *body_file;
    size_t records;
    const char *mode;
    long fail;
    int retry_after;
    int slow_ms;
    bool ranges;
    int max_seconds;
} opt = { .records = 200, .mode = "ok", .fail = -1, .retry_after = 1, .slow_ms = 10000, .max_seconds = 120 };

static atomic_long s_requests;
static uint8_t *s_file_body;
static size_t s_file_len;

typedef struct {
    char *data;
    size_t len;
} upload_t;

typedef struct {
    uint8_t *body;
    size_t len, pos;
    bool truncate, slow;
} stream_t;

static void s_urldecode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '+')
            *o++ = ' ';
        else if (*s == '%' && s[1] && s[2]) {
            char hex[3] = { s[1], s[2], 0 };
            *o++ = (char) strtol(hex, NULL, 16);
            s += 2;
        } else
            *o++ = *s;
    }
    *o = '\0';
}

//  Value of a form field (decoded) into out; false when absent.
static bool s_field(const char *form, const char *key, char *out, size_t outlen)
{
    size_t klen = strlen(key);
    for (const char *p = form; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t) (amp - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            snprintf(out, outlen, "%.*s", (int) (len - klen - 1), p + klen + 1);
            s_urldecode(out);
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

static enum MHD_Result s_reply(struct MHD_Connection *c, unsigned code, const char *body, long req_no)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *) body, MHD_RESPMEM_MUST_COPY);
    char rid[32];
    snprintf(rid, sizeof rid, "mock-%ld", req_no);
    MHD_add_response_header(r, "request-id", rid);
    MHD_add_response_header(r, "Content-Type", body[0] == '{' ? "application/json" : "text/plain");
    if (code == 429) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", opt.retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static void s_json_error(char *out, size_t outlen, const char *kase, const char *msg)
{
    snprintf(out, outlen,
             "{\"detail\":{\"case\":\"%s\",\"message\":\"%s\","
             "\"docs\":\"https://databento.com/docs/api-reference-historical/basics/errors\",\"payload\":{}}}",
             kase, msg);
}

static bool s_auth_ok(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp(h, "Basic ", 6) != 0 || !opt.key)
        return false;
    const char *b64 = h + 6;
    size_t n = strlen(b64);
    unsigned char *dec = calloc(1, n + 4);
    int len = EVP_DecodeBlock(dec, (const unsigned char *) b64, (int) n);
    //  EVP_DecodeBlock counts '=' padding as zero bytes: strip them
    while (len > 0 && n > 0 && b64[n - 1] == '=') {
        len--;
        n--;
    }
    size_t klen = strlen(opt.key);
    bool ok = len == (int) klen + 1 && memcmp(dec, opt.key, klen) == 0 && dec[klen] == ':';
    free(dec);
    return ok;
}

static ssize_t s_read_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_t *s = cls;
    if (s->slow) {
        //  stall (the client's read time-out fires first); then end abruptly
        for (int waited = 0; waited < opt.slow_ms; waited += 50)
            usleep(50000);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t at = s->pos + (size_t) pos;
    size_t stop = s->truncate ? s->len / 2 : s->len;
    if (at >= stop)
        return s->truncate ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = stop - at < max ? stop - at : max;
    if (n > 4096)
        n = 4096;
    memcpy(buf, s->body + at, n);
    return (ssize_t) n;
}

static void s_free_stream(void *cls)
{
    stream_t *s = cls;
    if (s->body != s_file_body)
        free(s->body);
    free(s);
}

static enum MHD_Result s_handle(struct MHD_Connection *c, const char *url, const char *method, const char *form)
{
    long req_no = atomic_fetch_add(&s_requests, 1) + 1;
    bool fault = opt.fail < 0 || req_no <= opt.fail;
    const char *mode = fault ? opt.mode : "ok";
    char body[1024];
    char dataset[64] = "", schema[32] = "", symbols[512] = "", start[64] = "", compression[16] = "zstd";
    s_field(form, "dataset", dataset, sizeof dataset);
    s_field(form, "schema", schema, sizeof schema);
    s_field(form, "symbols", symbols, sizeof symbols);
    s_field(form, "start", start, sizeof start);
    s_field(form, "compression", compression, sizeof compression);
    fprintf(stderr, "mock-hist: request %ld %s %s dataset=%s schema=%s symbols=%s start=%s range=%s mode=%s\n",
            req_no, method, url, dataset, schema, symbols, start,
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range") ?: "-", mode);
    bool count = strcmp(url, "/v0/metadata.get_record_count") == 0;
    bool cost = strcmp(url, "/v0/metadata.get_cost") == 0;
    if (strcmp(url, "/v0/timeseries.get_range") != 0 && !count && !cost) {
        s_json_error(body, sizeof body, "not_found", "Not found.");
        return s_reply(c, 404, body, req_no);
    }
    if (strcmp(method, "POST") != 0) {
        s_json_error(body, sizeof body, "method_not_allowed", "Method not allowed.");
        return s_reply(c, 405, body, req_no);
    }
    if (!s_auth_ok(c) || strcmp(mode, "401") == 0) {
        s_json_error(body, sizeof body, "auth_authentication_failed", "Authentication failed.");
        return s_reply(c, 401, body, req_no);
    }
    if (!dataset[0] || !schema[0] || !symbols[0] || !start[0]) {
        snprintf(body, sizeof body, "{\"detail\":\"Missing required parameter(s): dataset, symbols, schema, start.\"}");
        return s_reply(c, 400, body, req_no);
    }
    if (strcmp(dataset, "GLBX.MDP3") != 0 || strcmp(mode, "422") == 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "Invalid dataset '%s'.", dataset);
        s_json_error(body, sizeof body, "dataset_invalid", msg);
        return s_reply(c, 422, body, req_no);
    }
    if (strcmp(mode, "429") == 0) {
        s_json_error(body, sizeof body, "rate_limit_exceeded", "Too many requests. Retry later.");
        return s_reply(c, 429, body, req_no);
    }
    if (strcmp(mode, "500") == 0)
        return s_reply(c, 500, "Internal Server Error", req_no);   //  not JSON: raw text path
    if (count || cost) {
        //  spec §9.4: a bare JSON number; the mock's price is $0.001 a record
        if (count)
            snprintf(body, sizeof body, "%zu", opt.records);
        else
            snprintf(body, sizeof body, "%.3f", (double) opt.records * 0.001);
        return s_reply(c, 200, body, req_no);
    }

    stream_t *s = calloc(1, sizeof *s);
    if (s_file_body) {
        s->body = s_file_body;
        s->len = s_file_len;
    } else {
        uint8_t rtype = strcmp(schema, "mbp-1") == 0 ? DBN_RTYPE_MBP1
                      : strcmp(schema, "mbp-10") == 0 ? DBN_RTYPE_MBP10 : DBN_RTYPE_MBP0;
        s->body = mock_dbn_body(rtype, opt.records, strcmp(compression, "zstd") == 0, &s->len);
    }
    s->truncate = strcmp(mode, "truncate") == 0;
    s->slow = strcmp(mode, "slow") == 0;
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    unsigned long long from = 0;
    unsigned code = MHD_HTTP_OK;
    struct MHD_Response *r;
    if (opt.ranges && range && sscanf(range, "bytes=%llu-", &from) == 1 && from < s->len) {
        s->pos = (size_t) from;
        code = MHD_HTTP_PARTIAL_CONTENT;
        r = MHD_create_response_from_callback(s->len - s->pos, 4096, s_read_body, s, s_free_stream);
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%zu/%zu", from, s->len - 1, s->len);
        MHD_add_response_header(r, "Content-Range", cr);
    } else {
        //  chunked, as a streaming server would
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, s_read_body, s, s_free_stream);
    }
    char rid[32];
    snprintf(rid, sizeof rid, "mock-%ld", req_no);
    MHD_add_response_header(r, "request-id", rid);
    MHD_add_response_header(r, "Content-Type", "application/octet-stream");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result s_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void) cls;
    (void) version;
    upload_t *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload_t));
        return MHD_YES;
    }
    if (*upload_size) {
        char *grown = realloc(u->data, u->len + *upload_size + 1);
        if (!grown)
            return MHD_NO;
        u->data = grown;
        memcpy(u->data + u->len, upload, *upload_size);
        u->len += *upload_size;
        u->data[u->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    return s_handle(c, url, method, u->data ? u->data : "");
}

static void s_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void) cls;
    (void) c;
    (void) toe;
    upload_t *u = *con_cls;
    if (u) {
        free(u->data);
        free(u);
    }
    *con_cls = NULL;
}

static int s_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s_file_body = malloc(n > 0 ? (size_t) n : 1);
    s_file_len = fread(s_file_body, 1, n > 0 ? (size_t) n : 0, f);
    fclose(f);
    return 0;
}

#define HIST_USAGE "usage: ofts-mock-databento-hist --key KEY [--body FILE | --records N]\n" \
                   "  [--mode ok|401|422|429|500|slow|truncate] [--fail N] [--retry-after S]\n" \
                   "  [--slow-ms MS] [--ranges] [--max-seconds S] [--help]\n"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(HIST_USAGE, stdout);
            return 0;
        }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--ranges") == 0) { opt.ranges = true; continue; }
        if (!v) goto usage;
        i++;
        if (strcmp(a, "--key") == 0) opt.key = v;
        else if (strcmp(a, "--body") == 0) opt.body_file = v;
        else if (strcmp(a, "--records") == 0) opt.records = strtoul(v, NULL, 10);
        else if (strcmp(a, "--mode") == 0) opt.mode = v;
        else if (strcmp(a, "--fail") == 0) opt.fail = atol(v);
        else if (strcmp(a, "--retry-after") == 0) opt.retry_after = atoi(v);
        else if (strcmp(a, "--slow-ms") == 0) opt.slow_ms = atoi(v);
        else if (strcmp(a, "--max-seconds") == 0) opt.max_seconds = atoi(v);
        else goto usage;
    }
    if (!opt.key)
        opt.key = getenv("MOCK_DATABENTO_KEY");
    if (!opt.key)
        goto usage;
    if (opt.body_file && s_load(opt.body_file)) {
        fprintf(stderr, "mock-hist: cannot read %s\n", opt.body_file);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned) opt.max_seconds);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                                            0, NULL, NULL, s_access, NULL,
                                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL,
                                            MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mock-hist: cannot start the HTTP server\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("%u\n", (unsigned) info->port);
    fflush(stdout);
    for (;;)
        pause();
usage:
    fputs(HIST_USAGE, stderr);
    return 2;
}
