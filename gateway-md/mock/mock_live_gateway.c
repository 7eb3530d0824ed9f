/*  ofts-mock-databento-live - a loopback stand-in for the Databento live
    gateway (spec/databento.md §8, shaped after Databento's own py
    tests/mockliveserver/server.py, §8.10).

    Listens on 127.0.0.1, port 0 by default, and prints the port as the first
    line of stdout. One client at a time (a new connection replaces the old).
    Per connection: lsg_version + 32-letter CRAM challenge; the auth reply is
    VERIFIED against the key (--key or $MOCK_DATABENTO_KEY); unknown datasets
    and bad keys get success=0|error=...; subscriptions are queued; on
    start_session it streams v3 DBN with live metadata (schema none, stype
    none), one SymbolMappingMsg per symbol, a subscription SystemMsg per line,
    then the data records of mock_dbn.h (only for subscribed schemas) and a
    heartbeat SystemMsg after each idle heartbeat interval.

    Options:
      --key K                 accepted API key (repeatable)
      --dataset D             known dataset (repeatable; default GLBX.MDP3)
      --records N             data records to send in the mock's lifetime (100);
                              numbering continues across connections
      --file PATH             stream this DBN file (.dbn or .dbn.zst) instead
      --heartbeat-ms MS       idle heartbeat interval (default: the client's
                              heartbeat_interval_s, else 30 s)
      --disconnect-after N    fault: hang up after N records ...
      --silent-after N        fault: ... or go silent (no heartbeats) after N
      --garbage-after N       fault: ... or send an impossible record after N
      --faults K              ... on the first K streaming connections (1)
      --refuse-auth           answer every auth with success=0
      --interval-ms MS        pace data records one per MS (0 = as fast as possible)
      --max-seconds S         exit after S seconds (120) so no mock outlives a test */
#include "cram.h"
#include "dbn_record.h"
#include "live_proto.h"
#include "mock_dbn.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define MAX_KEYS 8
#define MAX_SUBS 16
#define MAX_SYMS 64

static struct {
    const char *keys[MAX_KEYS];
    int n_keys;
    const char *datasets[MAX_KEYS];
    int n_datasets;
    uint64_t records;
    const char *file;
    int heartbeat_ms;
    long disconnect_after, silent_after, garbage_after;
    int faults;
    bool refuse_auth;
    int max_seconds;
    int interval_ms;
} opt = { .records = 100, .disconnect_after = -1, .silent_after = -1, .garbage_after = -1, .faults = 1,
          .max_seconds = 120 };

typedef struct {
    int fd;
    bool authed, streaming, silent, faulted, ts_out;
    char challenge[33];
    char line[8192];
    size_t line_len;
    char dataset[32];
    char *schemas[MAX_SUBS];
    bool replay[MAX_SUBS];      //  subscribed with start= (intraday replay)
    int n_schemas;
    char *symbols[MAX_SYMS];
    int n_symbols;
    char *unresolved[MAX_SYMS];     //  "BAD..." symbols: ErrorMsg code 4
    int n_unresolved;
    int heartbeat_ms;
    bool zstd;                  //  compression=zstd asked for
    ZSTD_CCtx *zc;              //  ... and started with start_session
    uint64_t sent;              //  records sent on this connection
    int64_t last_tx, next_data_ms;
    size_t file_pos;
} conn_t;

static uint64_t s_next;         //  next generated data record index (whole lifetime)
static int s_sessions, s_faulted;
static uint8_t *s_file;
static size_t s_file_len, s_file_meta;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_close(conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    for (int i = 0; i < c->n_schemas; i++)
        free(c->schemas[i]);
    for (int i = 0; i < c->n_symbols; i++)
        free(c->symbols[i]);
    for (int i = 0; i < c->n_unresolved; i++)
        free(c->unresolved[i]);
    ZSTD_freeCCtx(c->zc);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static int s_send_raw(conn_t *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "mock-live: send failed (%s), closing\n", strerror(errno));
            return -1;
        }
        p += n;
        len -= (size_t) n;
    }
    c->last_tx = s_now_ms();
    return 0;
}

//  After start_session with compression=zstd everything, metadata included,
//  is one zstd stream (spec §8.7); each send is flushed so the client can
//  decode it at once.
static int s_send(conn_t *c, const void *data, size_t len)
{
    if (!c->zc)
        return s_send_raw(c, data, len);
    static uint8_t zout[1 << 17];
    ZSTD_inBuffer in = { data, len, 0 };
    for (;;) {
        ZSTD_outBuffer out = { zout, sizeof zout, 0 };
        size_t left = ZSTD_compressStream2(c->zc, &out, &in, ZSTD_e_flush);
        if (ZSTD_isError(left))
            return -1;
        if (out.pos && s_send_raw(c, zout, out.pos))
            return -1;
        if (left == 0 && in.pos == in.size)
            return 0;
    }
}

static int s_send_record(conn_t *c, const dbn_record_t *rec)
{
    uint8_t buf[DBN_MAX_RECORD_LEN];
    size_t n = dbn_record_encode(rec, 3, c->ts_out, buf, sizeof buf);
    return n ? s_send(c, buf, n) : -1;
}

static bool s_known(const char *const *list, int n, const char *v)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], v) == 0)
            return true;
    return false;
}

//  The py mock: split the reply at '-', try every key with that bucket id.
static bool s_auth_ok(conn_t *c, const char *reply)
{
    const char *dash = strrchr(reply, '-');
    if (!dash)
        return false;
    for (int i = 0; i < opt.n_keys; i++) {
        char bucket[CRAM_BUCKET_LEN + 1];
        if (cram_bucket_id(opt.keys[i], bucket, sizeof bucket) == 0 && strcmp(bucket, dash + 1) == 0
            && cram_verify(c->challenge, opt.keys[i], reply))
            return true;
    }
    return false;
}

static int s_on_auth(conn_t *c, live_kv_t *kv, int n)
{
    const char *auth = live_kv_get(kv, n, "auth");
    const char *dataset = live_kv_get(kv, n, "dataset");
    const char *encoding = live_kv_get(kv, n, "encoding");
    const char *compression = live_kv_get(kv, n, "compression");
    const char *ts_out = live_kv_get(kv, n, "ts_out");
    const char *hb = live_kv_get(kv, n, "heartbeat_interval_s");
    char reply[512];
    if (opt.refuse_auth || !auth || !s_auth_ok(c, auth))
        snprintf(reply, sizeof reply, "success=0|error=Authentication failed.\n");
    else if (!dataset || !s_known(opt.datasets, opt.n_datasets, dataset))
        snprintf(reply, sizeof reply, "success=0|error=Unknown dataset '%s'.\n", dataset ? dataset : "");
    else if (!encoding || strcmp(encoding, "dbn") != 0
             || (compression && strcmp(compression, "none") != 0 && strcmp(compression, "zstd") != 0))
        snprintf(reply, sizeof reply, "success=0|error=Mock supports only encoding=dbn, compression=none|zstd.\n");
    else {
        c->authed = true;
        snprintf(c->dataset, sizeof c->dataset, "%s", dataset);
        c->ts_out = ts_out && strcmp(ts_out, "1") == 0;
        c->zstd = compression && strcmp(compression, "zstd") == 0;
        c->heartbeat_ms = opt.heartbeat_ms ? opt.heartbeat_ms : hb ? atoi(hb) * 1000 : 30000;
        snprintf(reply, sizeof reply, "success=1|session_id=mock-%d\n", ++s_sessions);
    }
    fprintf(stderr, "mock-live: auth for %s: %.*s", dataset ? dataset : "?", (int) strlen(reply), reply);
    if (s_send(c, reply, strlen(reply)))
        return -1;
    return c->authed ? 0 : -1;      //  the gateway closes after a failure
}

static void s_add_symbol(conn_t *c, const char *sym)
{
    if (strncmp(sym, "BAD", 3) == 0) {
        for (int i = 0; i < c->n_unresolved; i++)
            if (strcmp(c->unresolved[i], sym) == 0)
                return;
        if (c->n_unresolved < MAX_SYMS)
            c->unresolved[c->n_unresolved++] = strdup(sym);
        return;
    }
    for (int i = 0; i < c->n_symbols; i++)
        if (strcmp(c->symbols[i], sym) == 0)
            return;
    if (c->n_symbols < MAX_SYMS)
        c->symbols[c->n_symbols++] = strdup(sym);
}

static int s_on_subscribe(conn_t *c, live_kv_t *kv, int n)
{
    const char *schema = live_kv_get(kv, n, "schema");
    const char *symbols = live_kv_get(kv, n, "symbols");
    const char *start = live_kv_get(kv, n, "start");
    if (!schema || !symbols || c->n_schemas == MAX_SUBS)
        return -1;
    if (start && strtoull(start, NULL, 10) == 0)
        return -1;              //  the mock wants UNIX ns, as py/rs send
    bool dup = false;
    for (int i = 0; i < c->n_schemas; i++)
        dup |= strcmp(c->schemas[i], schema) == 0;
    if (!dup) {
        c->replay[c->n_schemas] = start != NULL;
        c->schemas[c->n_schemas++] = strdup(schema);
    }
    char *copy = strdup(symbols), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        s_add_symbol(c, tok);
    free(copy);
    fprintf(stderr, "mock-live: subscribed schema=%s symbols=%s%s%s\n", schema, symbols,
            start ? " start=" : "", start ? start : "");
    return 0;
}

static int s_start(conn_t *c)
{
    c->streaming = true;
    if (c->zstd && !(c->zc = ZSTD_createCCtx()))
        return -1;
    c->faulted = s_faulted < opt.faults
              && (opt.disconnect_after >= 0 || opt.silent_after >= 0 || opt.garbage_after >= 0);
    if (c->faulted)
        s_faulted++;
    if (s_file) {
        c->file_pos = s_file_meta;
        return s_send(c, s_file, s_file_meta);
    }
    uint8_t meta[256];
    size_t mlen = mock_dbn_metadata(meta, sizeof meta, 3, c->dataset, 0xFFFF, 0xFF,
                                    MOCK_DBN_T0 + s_next * 1000000ULL, c->ts_out);
    if (s_send(c, meta, mlen))
        return -1;
    dbn_record_t rec;
    for (int i = 0; i < c->n_symbols; i++) {
        mock_dbn_mapping(&rec, 1001 + (uint32_t) i, c->symbols[i], MOCK_DBN_T0);
        if (s_send_record(c, &rec))
            return -1;
    }
    for (int i = 0; i < c->n_unresolved; i++) {
        //  docs (spec §8.7): an unresolvable symbol gives ErrorMsg code 4,
        //  streaming continues for the others
        char msg[160];
        snprintf(msg, sizeof msg, "Failed to resolve symbol: %s", c->unresolved[i]);
        mock_dbn_error(&rec, 4, msg, MOCK_DBN_T0);
        if (s_send_record(c, &rec))
            return -1;
    }
    for (int i = 0; i < c->n_schemas; i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "Subscription request %d for %s data succeeded", i, c->schemas[i]);
        mock_dbn_system(&rec, 1, msg, MOCK_DBN_T0);
        if (s_send_record(c, &rec))
            return -1;
    }
    for (int i = 0; i < c->n_schemas; i++) {
        //  the mock has no history: the replay is done at once (code 3)
        char msg[128];
        snprintf(msg, sizeof msg, "Finished %s replay", c->schemas[i]);
        mock_dbn_system(&rec, 3, msg, MOCK_DBN_T0);
        if (c->replay[i] && s_send_record(c, &rec))
            return -1;
    }
    fprintf(stderr, "mock-live: session started, %d schema(s), %d symbol(s)\n", c->n_schemas, c->n_symbols);
    return 0;
}

static int s_on_line(conn_t *c, char *line)
{
    if (strncmp(line, "start_session", 13) == 0)
        return c->authed && !c->streaming ? s_start(c) : -1;
    live_kv_t kv[32];
    int n = live_proto_parse_line(line, kv, 32);
    if (n <= 0)
        return -1;
    if (live_kv_get(kv, n, "auth"))
        return c->authed ? -1 : s_on_auth(c, kv, n);
    if (live_kv_get(kv, n, "schema"))
        return c->authed && !c->streaming ? s_on_subscribe(c, kv, n) : -1;
    return -1;
}

static int s_on_input(conn_t *c)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n <= 0)
        return -1;
    for (ssize_t i = 0; i < n; i++) {
        if (c->streaming)
            continue;               //  nothing is expected after start_session
        if (buf[i] == '\n') {
            c->line[c->line_len] = '\0';
            c->line_len = 0;
            if (s_on_line(c, c->line)) {
                fprintf(stderr, "mock-live: closing connection after line '%.60s'\n", c->line);
                return -1;
            }
        } else if (c->line_len + 1 < sizeof c->line) {
            c->line[c->line_len++] = buf[i];
        } else {
            return -1;
        }
    }
    return 0;
}

static int s_schema_rtype(const char *schema)
{
    if (strcmp(schema, "trades") == 0) return DBN_RTYPE_MBP0;
    if (strcmp(schema, "mbp-1") == 0) return DBN_RTYPE_MBP1;
    if (strcmp(schema, "mbp-10") == 0) return DBN_RTYPE_MBP10;
    return -1;
}

//  Next record to stream, or 0 when there is nothing (left) to send.
static size_t s_next_record(conn_t *c, uint8_t *buf, size_t cap)
{
    if (s_file) {
        if (c->file_pos >= s_file_len)
            return 0;
        size_t len = (size_t) s_file[c->file_pos] * 4;
        if (len < 16 || c->file_pos + len > s_file_len || len > cap)
            return 0;
        memcpy(buf, s_file + c->file_pos, len);
        c->file_pos += len;
        return len;
    }
    int rtypes[MAX_SUBS], nr = 0;
    for (int i = 0; i < c->n_schemas; i++)
        if (s_schema_rtype(c->schemas[i]) >= 0)
            rtypes[nr++] = s_schema_rtype(c->schemas[i]);
    if (!nr || !c->n_symbols || s_next >= opt.records)
        return 0;
    dbn_record_t rec;
    uint64_t i = s_next++;
    mock_dbn_record(&rec, (uint8_t) rtypes[i % (uint64_t) nr], i,
                    1001 + (uint32_t) ((i / (uint64_t) nr) % (uint64_t) c->n_symbols));
    return dbn_record_encode(&rec, 3, c->ts_out, buf, cap);
}

//  More records waiting to go out right now (then the loop must not sleep).
static bool s_has_more(const conn_t *c)
{
    if (c->fd < 0 || !c->streaming || c->silent || opt.interval_ms > 0)
        return false;
    return s_file ? c->file_pos < s_file_len : s_next < opt.records && c->n_symbols > 0;
}

//  Stream a batch, apply the fault, or send a heartbeat when idle.
static int s_pump(conn_t *c)
{
    if (!c->streaming || c->silent)
        return 0;
    //  Records are gathered and written 64 KiB at a time: one send() per
    //  record would make the mock, not the client, the bottleneck.
    static uint8_t out[65536];
    size_t olen = 0;
    //  big batches when unpaced (throughput benches), small ones otherwise
    int batch = opt.interval_ms > 0 ? 1 : 4096;
    for (int k = 0; k < batch; k++) {
        if (c->faulted && opt.disconnect_after >= 0 && c->sent >= (uint64_t) opt.disconnect_after) {
            fprintf(stderr, "mock-live: fault: disconnecting after %llu records\n", (unsigned long long) c->sent);
            if (olen)
                s_send(c, out, olen);
            return -1;
        }
        if (c->faulted && opt.garbage_after >= 0 && c->sent >= (uint64_t) opt.garbage_after) {
            //  a record header claiming 4 bytes: impossible (spec §3.1)
            uint8_t junk[16] = { 1, 0x00 };
            fprintf(stderr, "mock-live: fault: garbage after %llu records\n", (unsigned long long) c->sent);
            c->silent = true;
            if (olen && s_send(c, out, olen))
                return -1;
            return s_send(c, junk, sizeof junk);
        }
        if (c->faulted && opt.silent_after >= 0 && c->sent >= (uint64_t) opt.silent_after) {
            fprintf(stderr, "mock-live: fault: going silent after %llu records\n", (unsigned long long) c->sent);
            c->silent = true;
            return olen ? s_send(c, out, olen) : 0;
        }
        if (opt.interval_ms > 0 && s_now_ms() < c->next_data_ms)
            break;
        if (olen + DBN_MAX_RECORD_LEN > sizeof out) {
            if (s_send(c, out, olen))
                return -1;
            olen = 0;
        }
        size_t n = s_next_record(c, out + olen, sizeof out - olen);
        if (!n)
            break;
        olen += n;
        if (opt.interval_ms > 0)
            c->next_data_ms = s_now_ms() + opt.interval_ms;
        c->sent++;
    }
    if (olen && s_send(c, out, olen))
        return -1;
    if (s_now_ms() - c->last_tx >= c->heartbeat_ms) {
        dbn_record_t rec;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        mock_dbn_system(&rec, 0, "Heartbeat", (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec);
        if (s_file && s_file[3] == 1) {
            //  v1 streams have no code; the text marks a heartbeat (spec §4.16)
            uint8_t v1[80] = { 20, DBN_RTYPE_SYSTEM };
            memcpy(v1 + 16, "Heartbeat", 9);
            return s_send(c, v1, sizeof v1);
        }
        uint8_t hb[DBN_MAX_RECORD_LEN];
        size_t n = dbn_record_encode(&rec, s_file ? s_file[3] : 3, c->ts_out, hb, sizeof hb);
        return s_send(c, hb, n);
    }
    return 0;
}

static int s_load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 20, len = 0;
    uint8_t *raw = malloc(cap);
    size_t n;
    while ((n = fread(raw + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap)
            raw = realloc(raw, cap *= 2);
    }
    fclose(f);
    if (len >= 4 && raw[0] == 0x28 && raw[1] == 0xB5 && raw[2] == 0x2F && raw[3] == 0xFD) {
        //  all frames (spec §7: downloads have several)
        ZSTD_DStream *ds = ZSTD_createDStream();
        size_t ocap = 1 << 20, olen = 0;
        uint8_t *out = malloc(ocap);
        ZSTD_inBuffer in = { raw, len, 0 };
        while (in.pos < in.size) {
            if (ocap - olen < (1 << 16))
                out = realloc(out, ocap *= 2);
            ZSTD_outBuffer ob = { out + olen, ocap - olen, 0 };
            size_t rc = ZSTD_decompressStream(ds, &ob, &in);
            if (ZSTD_isError(rc)) {
                ZSTD_freeDStream(ds);
                free(out);
                free(raw);
                return -1;
            }
            olen += ob.pos;
        }
        ZSTD_freeDStream(ds);
        free(raw);
        raw = out;
        len = olen;
    }
    if (len < 8 || memcmp(raw, "DBN", 3) != 0) {
        free(raw);
        return -1;
    }
    uint32_t mlen;
    memcpy(&mlen, raw + 4, 4);
    s_file = raw;
    s_file_len = len;
    s_file_meta = 8 + (size_t) le32toh(mlen);
    return s_file_meta <= len ? 0 : -1;
}

static int s_listen(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *) &addr, sizeof addr) || listen(fd, 8)
        || getsockname(fd, (struct sockaddr *) &addr, &len))
        return -1;
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    return fd;
}

static void s_accept(int lfd, conn_t *c)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (c->fd >= 0) {
        fprintf(stderr, "mock-live: new connection replaces the old one\n");
        s_close(c);
    }
    c->fd = fd;
    c->last_tx = s_now_ms();
    for (int i = 0; i < 32; i++)
        c->challenge[i] = (char) ('A' + rand() % 26 + (rand() % 2 ? 32 : 0));
    c->challenge[32] = '\0';
    char hello[128];
    snprintf(hello, sizeof hello, "lsg_version=0.4.2\ncram=%s\n", c->challenge);
    fprintf(stderr, "mock-live: client connected\n");
    if (s_send(c, hello, strlen(hello)))
        s_close(c);
}

static int s_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--refuse-auth") == 0) { opt.refuse_auth = true; continue; }
        if (!v) return -1;
        i++;
        if (strcmp(a, "--key") == 0 && opt.n_keys < MAX_KEYS) opt.keys[opt.n_keys++] = v;
        else if (strcmp(a, "--dataset") == 0 && opt.n_datasets < MAX_KEYS) opt.datasets[opt.n_datasets++] = v;
        else if (strcmp(a, "--records") == 0) opt.records = strtoull(v, NULL, 10);
        else if (strcmp(a, "--file") == 0) opt.file = v;
        else if (strcmp(a, "--heartbeat-ms") == 0) opt.heartbeat_ms = atoi(v);
        else if (strcmp(a, "--disconnect-after") == 0) opt.disconnect_after = atol(v);
        else if (strcmp(a, "--silent-after") == 0) opt.silent_after = atol(v);
        else if (strcmp(a, "--garbage-after") == 0) opt.garbage_after = atol(v);
        else if (strcmp(a, "--faults") == 0) opt.faults = atoi(v);
        else if (strcmp(a, "--max-seconds") == 0) opt.max_seconds = atoi(v);
        else if (strcmp(a, "--interval-ms") == 0) opt.interval_ms = atoi(v);
        else return -1;
    }
    const char *env = getenv("MOCK_DATABENTO_KEY");
    if (env && *env && opt.n_keys < MAX_KEYS)
        opt.keys[opt.n_keys++] = env;
    if (!opt.n_datasets)
        opt.datasets[opt.n_datasets++] = "GLBX.MDP3";
    return opt.n_keys ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (s_args(argc, argv)) {
        fprintf(stderr, "usage: ofts-mock-databento-live --key KEY [--dataset D] [--records N] [--file PATH]\n"
                        "  [--heartbeat-ms MS] [--disconnect-after N | --silent-after N | --garbage-after N] [--faults K]\n"
                        "  [--refuse-auth] [--interval-ms MS] [--max-seconds S]   (key also from $MOCK_DATABENTO_KEY)\n");
        return 2;
    }
    if (opt.file && s_load_file(opt.file)) {
        fprintf(stderr, "mock-live: cannot read DBN file %s\n", opt.file);
        return 2;
    }
    srand((unsigned) (time(NULL) ^ getpid()));
    alarm((unsigned) opt.max_seconds);
    int lfd = s_listen();
    if (lfd < 0) {
        perror("mock-live: listen");
        return 1;
    }
    conn_t c;
    memset(&c, 0, sizeof c);
    c.fd = -1;
    for (;;) {
        struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = c.fd, .events = POLLIN } };
        poll(p, c.fd >= 0 ? 2 : 1, s_has_more(&c) ? 0 : c.streaming && !c.silent ? 5 : 50);
        if (p[0].revents & POLLIN)
            s_accept(lfd, &c);
        else if (c.fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && s_on_input(&c)) {
            fprintf(stderr, "mock-live: connection closed\n");
            s_close(&c);
        }
        if (c.fd >= 0 && s_pump(&c)) {
            fprintf(stderr, "mock-live: connection closed\n");
            s_close(&c);
        }
    }
}
