/*  ofts-mock-databento-live - a loopback stand-in for the Databento live
    gateway (spec/databento.md §8, shaped after Databento's own py
    tests/mockliveserver/server.py, §8.10, and checked against what
    databento-cpp's LiveBlocking parses).

    Listens on 127.0.0.1, port 0 by default, and prints the port as the first
    line of stdout. One client at a time (a new connection replaces the old).
    Per connection: greeting (lsg_version=0.4.2, or --greeting) + 32-letter
    CRAM challenge; the auth reply is VERIFIED against the key (--key or
    $MOCK_DATABENTO_KEY); unknown datasets and bad keys get
    success=0|error=...; success=1|session_id=<decimal> (cpp parses it with
    stoull); subscriptions are queued; on start_session it streams DBN:
      * live-style metadata: the session's dataset, the subscriptions' schema
        and stype_in when they all agree (else "mixed"), start = replay start
        or now, no symbols and no mappings (live symbology comes as records);
      * per subscription: one SymbolMappingMsg per resolved instrument, an
        ErrorMsg code 4 per unresolved symbol, and the acknowledgement
        "Subscription request <client id> for <schema> data succeeded" - or,
        for a schema it cannot serve, an ErrorMsg code 5 instead;
      * then the data records of the subscribed schemas and instruments only,
        with ts_out = send time when the client asked for ts_out=1, and a
        heartbeat SystemMsg (ts_event = now) after each idle interval.
    Generated mode: trades/mbp-1/mbp-10 records of mock_dbn.h. File mode
    (--file): the file's records, in the file's DBN version; instruments are
    named by the file's metadata mappings, InstrumentDef and SymbolMapping
    records, and parent symbols (GC.FUT) select every outright and spread of
    that root.

    Options:
      --key K                 accepted API key (repeatable)
      --dataset D             known dataset (repeatable; default GLBX.MDP3)
      --records N             data records to send in the mock's lifetime (100);
                              numbering continues across connections
      --file PATH             serve this DBN file (.dbn or .dbn.zst) instead
      --greeting LINE         first line sent (default lsg_version=0.4.2)
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
#include "dbn_decoder.h"
#include "dbn_record.h"
#include "live_proto.h"
#include "mock_dbn.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define MAX_KEYS 8
#define MAX_SUBS 16             //  subscription lines per connection (bit masks below)
#define MAX_SYMS 64             //  unresolved symbols reported per connection
#define MAX_PAIRS 1024          //  (symbol, instrument) mappings per connection

static struct {
    const char *keys[MAX_KEYS];
    int n_keys;
    const char *datasets[MAX_KEYS];
    int n_datasets;
    uint64_t records;
    const char *file;
    const char *greeting;
    int heartbeat_ms;
    long disconnect_after, silent_after, garbage_after;
    int faults;
    bool refuse_auth;
    int max_seconds;
    int interval_ms;
} opt = { .records = 100, .disconnect_after = -1, .silent_after = -1, .garbage_after = -1, .faults = 1,
          .max_seconds = 120, .greeting = "lsg_version=0.4.2" };

//  One subscription line as the client sent it.
typedef struct {
    char *schema;
    uint8_t stype;              //  stype_in (raw_symbol when absent)
    char *symbuf;               //  the symbols= value, split in place
    char **symbols;
    int n_symbols;
    long id;                    //  the client's id=, -1 when it sent none
    bool last;                  //  is_last (1 when absent)
    bool replay;                //  start= given (intraday replay)
    uint64_t start;
    int rtype;                  //  record type it selects, -1 = cannot serve
} sub_t;

//  A resolved (subscribed symbol -> instrument) pair, sent as SymbolMappingMsg.
typedef struct {
    int sub;
    const char *symbol;         //  as subscribed (points into the sub)
    uint32_t iid;
    char raw[72];
} pair_t;

typedef struct {
    int fd;
    bool authed, streaming, silent, faulted, ts_out;
    char challenge[33];
    char line[8192];
    size_t line_len;
    char dataset[32];
    sub_t subs[MAX_SUBS];
    int n_subs;
    long acks;                  //  subscription requests without an id= numbered by the gateway
    pair_t pairs[MAX_PAIRS];
    int n_pairs;
    uint32_t rtype_subs[256];   //  rtype -> subscriptions (bits) that serve it
    //  generated mode: the served schemas' rtypes and the symbols
    int gen_rtypes[MAX_SUBS], n_gen_rtypes, n_gen_syms;
    int heartbeat_ms;
    bool zstd;                  //  compression=zstd asked for
    ZSTD_CCtx *zc;              //  ... and started with start_session
    uint64_t sent;              //  records sent on this connection
    int64_t last_tx, next_data_ms;
    size_t file_pos;
} conn_t;

//  An instrument of the --file, and the subscriptions (bits) selecting it.
typedef struct {
    uint32_t iid;
    char raw[72];               //  raw symbol ("" until known)
    char asset[12];             //  from its definition ("" if none)
    char klass;                 //  instrument_class from its definition (0 if none)
    char alias[4][72];          //  input symbols of the file's own request (GC.FUT, GC.c.0)
    int n_alias;
    uint32_t subs;
} inst_t;

static uint64_t s_next;         //  next generated data record index (whole lifetime)
static int s_sessions, s_faulted;
static struct {
    uint8_t *bytes;
    size_t len, meta;           //  whole decompressed file, metadata length
    uint8_t version;
    bool ts_out;
    uint16_t schema;
    uint64_t rtype_count[256];
    inst_t *insts;              //  sorted by iid
    size_t n_insts;
} s_file;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Wall clock in ns: ts_out (the gateway's send time) and heartbeat ts_event.
static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static uint8_t s_version(void) { return s_file.bytes ? s_file.version : 3; }

static void s_close(conn_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    for (int i = 0; i < c->n_subs; i++) {
        free(c->subs[i].schema);
        free(c->subs[i].symbuf);
        free(c->subs[i].symbols);
    }
    for (size_t i = 0; i < s_file.n_insts; i++)
        s_file.insts[i].subs = 0;
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

//  Encode in the stream's version; with ts_out=1 the send time is appended
//  (spec §3.3: every record, system and mapping records included).
static size_t s_encode(conn_t *c, dbn_record_t *rec, uint8_t *out, size_t cap)
{
    rec->ts_out = s_now_ns();
    return dbn_record_encode(rec, s_version(), c->ts_out, out, cap);
}

static int s_send_record(conn_t *c, dbn_record_t *rec)
{
    uint8_t buf[DBN_MAX_RECORD_LEN];
    size_t n = s_encode(c, rec, buf, sizeof buf);
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
        //  a decimal id: cpp DecodeAuthResp parses it with std::stoull
        snprintf(reply, sizeof reply, "success=1|session_id=%d\n", ++s_sessions);
    }
    fprintf(stderr, "mock-live: auth for %s: %.*s", dataset ? dataset : "?", (int) strlen(reply), reply);
    if (s_send(c, reply, strlen(reply)))
        return -1;
    return c->authed ? 0 : -1;      //  the gateway closes after a failure
}

static int s_stype_parse(const char *name)
{
    for (int i = 0; i < 16; i++)
        if (dbn_stype_name((uint8_t) i) && strcmp(dbn_stype_name((uint8_t) i), name) == 0)
            return i;
    return -1;
}

//  The record type a schema's records carry (index = dbn_schema_parse).
static int s_schema_rtype(const char *schema)
{
    static const uint8_t rtypes[] = { 0xA0, 0x01, 0x0A, 0x01, 0x00, 0x20, 0x21, 0x22, 0x23, 0x13,
        0x18, 0x12, 0x14, 0x24, 0xB1, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4 };
    int s = dbn_schema_parse(schema);
    return s >= 0 && (size_t) s < sizeof rtypes ? rtypes[s] : -1;
}

//  Can this mock serve the schema? Generated mode: trades, mbp-1, mbp-10.
//  File mode: when the file holds records of it (tbbo and mbp-1 share an
//  rtype, so a file's own schema decides between them).
static int s_servable_rtype(const char *schema)
{
    int rtype = s_schema_rtype(schema);
    if (rtype < 0)
        return -1;
    if (!s_file.bytes)
        return rtype == DBN_RTYPE_MBP0 || rtype == DBN_RTYPE_MBP1 || rtype == DBN_RTYPE_MBP10
               ? (strcmp(schema, "tbbo") == 0 ? -1 : rtype) : -1;
    if (!s_file.rtype_count[rtype])
        return -1;
    if (s_file.schema != 0xFFFF && s_file.schema != (uint16_t) dbn_schema_parse(schema))
        return -1;
    return rtype;
}

static int s_on_subscribe(conn_t *c, live_kv_t *kv, int n)
{
    const char *schema = live_kv_get(kv, n, "schema");
    const char *symbols = live_kv_get(kv, n, "symbols");
    const char *start = live_kv_get(kv, n, "start");
    const char *stype = live_kv_get(kv, n, "stype_in");
    const char *id = live_kv_get(kv, n, "id");
    const char *is_last = live_kv_get(kv, n, "is_last");
    if (!schema || !symbols || c->n_subs == MAX_SUBS || dbn_schema_parse(schema) < 0)
        return -1;
    if (start && strtoull(start, NULL, 10) == 0)
        return -1;              //  the mock wants UNIX ns, as py/rs send
    int st = stype ? s_stype_parse(stype) : 1;
    if (st < 0)
        return -1;
    sub_t *s = &c->subs[c->n_subs++];
    s->schema = strdup(schema);
    s->stype = (uint8_t) st;
    s->id = id ? strtol(id, NULL, 10) : -1;
    s->last = !is_last || strcmp(is_last, "0") != 0;
    s->replay = start != NULL;
    s->start = start ? strtoull(start, NULL, 10) : 0;
    s->rtype = s_servable_rtype(schema);
    s->symbuf = strdup(symbols);
    s->symbols = calloc(strlen(symbols) / 2 + 1, sizeof *s->symbols);
    if (!s->symbuf || !s->symbols)
        return -1;
    char *save = NULL;
    for (char *tok = strtok_r(s->symbuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        s->symbols[s->n_symbols++] = tok;
    fprintf(stderr, "mock-live: subscribed schema=%s stype_in=%s symbols=%s id=%s%s%s\n", schema,
            dbn_stype_name(s->stype), symbols, id ? id : "-", start ? " start=" : "", start ? start : "");
    return 0;
}

//  --------------------------------------------------------------------------
//  Symbology: which instruments a subscription selects

static inst_t *s_inst(uint32_t iid)
{
    size_t lo = 0, hi = s_file.n_insts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s_file.insts[mid].iid == iid)
            return &s_file.insts[mid];
        if (s_file.insts[mid].iid < iid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

//  Product root and kind of an instrument: from its definition (asset,
//  instrument_class) when the file has one, else from the raw symbol:
//  "GCZ6" -> GC, "GCZ6-GCG7" (a calendar spread) -> GC from the first leg,
//  "OGZ6 C2000" (a space) -> an option. Month codes per CME: FGHJKMNQUVXZ.
static void s_root(const inst_t *in, char *root, size_t cap, bool *option)
{
    if (in->klass) {
        *option = in->klass == 'C' || in->klass == 'P';
        if (in->asset[0]) {
            snprintf(root, cap, "%s", in->asset);
            return;
        }
    } else {
        *option = strchr(in->raw, ' ') != NULL;
    }
    size_t n = strcspn(in->raw, "- ");
    while (n > 0 && isdigit((unsigned char) in->raw[n - 1]))
        n--;
    if (n > 1 && strchr("FGHJKMNQUVXZ", in->raw[n - 1]))
        n--;
    snprintf(root, cap, "%.*s", (int) n, in->raw);
}

static bool s_selects(const inst_t *in, uint8_t stype, const char *sym)
{
    if (strcmp(sym, "ALL_SYMBOLS") == 0)
        return true;
    for (int a = 0; a < in->n_alias; a++)
        if (strcmp(in->alias[a], sym) == 0)
            return true;
    if (stype == 0)                             //  instrument_id
        return strtoul(sym, NULL, 10) == in->iid;
    if (stype == 1)                             //  raw_symbol
        return strcmp(in->raw, sym) == 0;
    if (stype == 4) {                           //  parent: ROOT.FUT / ROOT.OPT
        const char *dot = strrchr(sym, '.');
        char root[72];
        bool option;
        if (!dot || !in->raw[0])
            return false;
        s_root(in, root, sizeof root, &option);
        return strlen(root) == (size_t) (dot - sym) && strncmp(root, sym, (size_t) (dot - sym)) == 0
               && (strcmp(dot, ".FUT") == 0 ? !option : strcmp(dot, ".OPT") == 0 && option);
    }
    return false;                               //  continuous: only the file's own aliases
}

static void s_add_pair(conn_t *c, int sub, const char *sym, uint32_t iid, const char *raw)
{
    for (int i = 0; i < c->n_pairs; i++)
        if (c->pairs[i].iid == iid && strcmp(c->pairs[i].symbol, sym) == 0)
            return;
    if (c->n_pairs == MAX_PAIRS)
        return;
    pair_t *p = &c->pairs[c->n_pairs++];
    p->sub = sub;
    p->symbol = sym;
    p->iid = iid;
    snprintf(p->raw, sizeof p->raw, "%s", raw);
}

//  Resolve one subscribed symbol; false when nothing matches.
static bool s_resolve(conn_t *c, int sub, const char *sym)
{
    if (!s_file.bytes) {
        //  generated: "BAD..." never resolves; others get 1001, 1002 ... in
        //  order of first subscription, named root + "Z6" (mock_dbn.h)
        if (strncmp(sym, "BAD", 3) == 0)
            return false;
        int k = 0;
        while (k < c->n_gen_syms && strcmp(c->pairs[k].symbol, sym) != 0)
            k++;
        if (k == c->n_gen_syms) {
            char raw[72];
            mock_dbn_raw_symbol(sym, raw, sizeof raw);
            s_add_pair(c, sub, sym, 1001 + (uint32_t) k, raw);
            c->n_gen_syms = c->n_pairs;
        }
        return true;
    }
    bool found = false;
    for (size_t i = 0; i < s_file.n_insts; i++) {
        inst_t *in = &s_file.insts[i];
        if (!s_selects(in, c->subs[sub].stype, sym))
            continue;
        found = true;
        in->subs |= 1u << sub;
        char iid[16];
        snprintf(iid, sizeof iid, "%u", in->iid);
        s_add_pair(c, sub, sym, in->iid, in->raw[0] ? in->raw : iid);
    }
    return found;
}

//  --------------------------------------------------------------------------
//  Session start: metadata, mappings, acknowledgements

//  Live-style metadata (spec §8.7): the session's dataset; schema and
//  stype_in of the subscriptions when they all agree, else "mixed"
//  (0xFFFF / 0xFF); start = the earliest replay start, else now (generated
//  mode: the generated clock); no end, no symbols, no mappings.
static size_t s_metadata(conn_t *c, uint8_t *out, size_t cap)
{
    uint16_t schema = 0xFFFF;
    uint8_t stype = 0xFF;
    uint64_t start = 0;
    for (int i = 0; i < c->n_subs; i++) {
        const sub_t *s = &c->subs[i];
        uint16_t sc = (uint16_t) dbn_schema_parse(s->schema);
        schema = i == 0 || schema == sc ? sc : 0xFFFF;
        stype = i == 0 || stype == s->stype ? s->stype : 0xFF;
        if (s->replay && (!start || s->start < start))
            start = s->start;
    }
    if (!start)
        start = s_file.bytes ? s_now_ns() : MOCK_DBN_T0 + s_next * 1000000ULL;
    return mock_dbn_metadata(out, cap, s_version(), c->dataset, schema, stype, start, c->ts_out);
}

static int s_send_text(conn_t *c, uint8_t rtype, uint8_t code, uint64_t ts, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int s_send_text(conn_t *c, uint8_t rtype, uint8_t code, uint64_t ts, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dbn_record_t rec;
    if (rtype == DBN_RTYPE_ERROR)
        mock_dbn_error(&rec, code, msg, ts);
    else
        mock_dbn_system(&rec, code, msg, ts);
    return s_send_record(c, &rec);
}

//  One subscription line's answer: mappings, unresolved symbols (ErrorMsg
//  code 4, once per symbol), then the acknowledgement with the client's id
//  - or ErrorMsg code 5 for a schema the mock cannot serve (never silence).
static int s_answer(conn_t *c, int i, uint64_t ts, char reported[][72], int *n_reported)
{
    sub_t *s = &c->subs[i];
    if (s->rtype < 0)
        return s_send_text(c, DBN_RTYPE_ERROR, 5, ts, "Invalid subscription: no %s data for %s", s->schema,
                           s_file.bytes ? "this file" : "the generated feed");
    c->rtype_subs[s->rtype] |= 1u << i;
    for (int k = 0; k < s->n_symbols; k++) {
        int before = c->n_pairs;
        if (!s_resolve(c, i, s->symbols[k])) {
            int r = 0;
            while (r < *n_reported && strcmp(reported[r], s->symbols[k]) != 0)
                r++;
            if (r < *n_reported || *n_reported == MAX_SYMS)
                continue;
            snprintf(reported[(*n_reported)++], 72, "%s", s->symbols[k]);
            //  docs (spec §8.7): code 4, streaming continues for the others
            if (s_send_text(c, DBN_RTYPE_ERROR, 4, ts, "Failed to resolve symbol: %s", s->symbols[k]))
                return -1;
            continue;
        }
        for (int p = before; p < c->n_pairs; p++) {
            dbn_record_t rec;
            mock_dbn_mapping(&rec, c->pairs[p].iid, c->pairs[p].symbol, ts);
            rec.mapping.stype_in = s->stype;
            snprintf(rec.mapping.stype_out_symbol, sizeof rec.mapping.stype_out_symbol, "%s", c->pairs[p].raw);
            if (s_send_record(c, &rec))
                return -1;
        }
    }
    if (!s->last)
        return 0;               //  acknowledged with its last chunk
    long id = s->id >= 0 ? s->id : c->acks;
    c->acks++;
    return s_send_text(c, DBN_RTYPE_SYSTEM, 1, ts, "Subscription request %ld for %s data succeeded", id, s->schema);
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
    c->file_pos = s_file.meta;
    uint8_t meta[256];
    size_t mlen = s_metadata(c, meta, sizeof meta);
    if (!mlen || s_send(c, meta, mlen))
        return -1;
    uint64_t ts = s_file.bytes ? s_now_ns() : MOCK_DBN_T0;
    char reported[MAX_SYMS][72];
    int n_reported = 0;
    for (int i = 0; i < c->n_subs; i++)
        if (s_answer(c, i, ts, reported, &n_reported))
            return -1;
    for (int i = 0; i < c->n_subs; i++) {
        const sub_t *s = &c->subs[i];
        bool seen = false;
        for (int k = 0; k < c->n_gen_rtypes; k++)
            seen |= c->gen_rtypes[k] == s->rtype;
        if (s->rtype >= 0 && !seen)
            c->gen_rtypes[c->n_gen_rtypes++] = s->rtype;
        //  the mock has no history: the replay is done at once (code 3)
        if (s->replay && s->rtype >= 0 && s->last
            && s_send_text(c, DBN_RTYPE_SYSTEM, 3, ts, "Finished %s replay", s->schema))
            return -1;
    }
    fprintf(stderr, "mock-live: session started, %d subscription(s), %d instrument mapping(s)\n", c->n_subs,
            c->n_pairs);
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

//  --------------------------------------------------------------------------
//  Data records

//  The next subscribed record of the file, re-framed for this session:
//  ts_out appended (and the length grown) when the client asked for it.
static size_t s_next_file_record(conn_t *c, uint8_t *buf, size_t cap)
{
    while (c->file_pos + 16 <= s_file.len) {
        const uint8_t *p = s_file.bytes + c->file_pos;
        size_t len = (size_t) p[0] * 4;
        if (len < 16 || c->file_pos + len > s_file.len)
            return 0;
        c->file_pos += len;
        uint32_t iid;
        memcpy(&iid, p + 4, 4);
        const inst_t *in = s_inst(le32toh(iid));
        if (!in || !(in->subs & c->rtype_subs[p[1]]))
            continue;
        size_t body = len - (s_file.ts_out ? 8 : 0);
        if (body + 8 > cap)
            return 0;
        memcpy(buf, p, body);
        if (c->ts_out) {
            uint64_t now = htole64(s_now_ns());
            memcpy(buf + body, &now, 8);
            body += 8;
        }
        buf[0] = (uint8_t) (body / 4);
        return body;
    }
    return 0;
}

//  Next record to stream, or 0 when there is nothing (left) to send.
static size_t s_next_record(conn_t *c, uint8_t *buf, size_t cap)
{
    if (s_file.bytes)
        return s_next_file_record(c, buf, cap);
    int nr = c->n_gen_rtypes;
    if (!nr || !c->n_gen_syms || s_next >= opt.records)
        return 0;
    dbn_record_t rec;
    uint64_t i = s_next++;
    mock_dbn_record(&rec, (uint8_t) c->gen_rtypes[i % (uint64_t) nr], i,
                    1001 + (uint32_t) ((i / (uint64_t) nr) % (uint64_t) c->n_gen_syms));
    return s_encode(c, &rec, buf, cap);
}

//  More records waiting to go out right now (then the loop must not sleep).
static bool s_has_more(const conn_t *c)
{
    if (c->fd < 0 || !c->streaming || c->silent || opt.interval_ms > 0)
        return false;
    return s_file.bytes ? c->file_pos < s_file.len : s_next < opt.records && c->n_gen_syms > 0;
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
        //  in the stream's version: a v1 heartbeat has no code, its text
        //  marks it (spec §4.16); ts_event is the send time either way
        dbn_record_t rec;
        mock_dbn_system(&rec, 0, "Heartbeat", s_now_ns());
        return s_send_record(c, &rec);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  --file: load, decompress, index the instruments

static uint8_t *s_read_all(const char *path, size_t *lenp)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, len = 0;
    uint8_t *raw = malloc(cap);
    size_t n;
    while (raw && (n = fread(raw + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap)
            raw = realloc(raw, cap *= 2);
    }
    fclose(f);
    if (!raw || len < 4 || !(raw[0] == 0x28 && raw[1] == 0xB5 && raw[2] == 0x2F && raw[3] == 0xFD)) {
        *lenp = len;
        return raw;
    }
    //  all frames (spec §7: downloads have several)
    ZSTD_DStream *ds = ZSTD_createDStream();
    size_t ocap = 1 << 20, olen = 0;
    uint8_t *out = malloc(ocap);
    ZSTD_inBuffer in = { raw, len, 0 };
    while (out && in.pos < in.size) {
        if (ocap - olen < (1 << 16))
            out = realloc(out, ocap *= 2);
        ZSTD_outBuffer ob = { out + olen, ocap - olen, 0 };
        size_t rc = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(rc)) {
            free(out);
            out = NULL;
            break;
        }
        olen += ob.pos;
    }
    ZSTD_freeDStream(ds);
    free(raw);
    *lenp = olen;
    return out;
}

static int s_cmp_iid(const void *a, const void *b)
{
    uint32_t x = ((const inst_t *) a)->iid, y = ((const inst_t *) b)->iid;
    return x < y ? -1 : x > y;
}

static void s_alias(inst_t *in, const char *sym)
{
    for (int a = 0; a < in->n_alias; a++)
        if (strcmp(in->alias[a], sym) == 0)
            return;
    if (in->n_alias < 4)
        snprintf(in->alias[in->n_alias++], sizeof in->alias[0], "%s", sym);
}

//  Names from the file's metadata mappings: raw_symbol -> instrument_id
//  (historical default) names it; parent/continuous -> instrument_id makes
//  the input symbol an alias (the file's own request resolves again).
static void s_index_metadata(const dbn_metadata_t *m, bool add)
{
    for (uint32_t i = 0; i < m->mapping_count; i++)
        for (uint32_t k = 0; k < m->mappings[i].interval_count; k++) {
            const dbn_interval_t *iv = &m->mappings[i].intervals[k];
            bool to_id = m->stype_out == 0;
            uint32_t iid = (uint32_t) strtoul(to_id ? iv->symbol : m->mappings[i].raw_symbol, NULL, 10);
            if (add) {
                s_file.insts[s_file.n_insts++].iid = iid;
                continue;
            }
            inst_t *in = s_inst(iid);
            if (!in)
                continue;
            if (!to_id)
                snprintf(in->raw, sizeof in->raw, "%s", iv->symbol);
            else if (m->stype_in == 1)
                snprintf(in->raw, sizeof in->raw, "%s", m->mappings[i].raw_symbol);
            else
                s_alias(in, m->mappings[i].raw_symbol);
        }
}

//  Names from InstrumentDef (raw_symbol, asset, class) and SymbolMapping
//  records (a recorded live session) inside the file.
static void s_index_record(const uint8_t *p, size_t len)
{
    if (p[1] != DBN_RTYPE_INSTRUMENT_DEF && p[1] != DBN_RTYPE_SYMBOL_MAPPING)
        return;
    static dbn_record_t rec;
    if (dbn_record_decode(&rec, p, len - (s_file.ts_out ? 8 : 0), s_file.version))
        return;
    inst_t *in = s_inst(rec.instrument_id);
    if (!in)
        return;
    if (rec.rtype == DBN_RTYPE_INSTRUMENT_DEF) {
        snprintf(in->raw, sizeof in->raw, "%s", rec.def.raw_symbol);
        snprintf(in->asset, sizeof in->asset, "%s", rec.def.asset);
        in->klass = rec.def.instrument_class;
    } else {
        if (!in->raw[0])
            snprintf(in->raw, sizeof in->raw, "%s", rec.mapping.stype_out_symbol);
        if (strcmp(rec.mapping.stype_in_symbol, rec.mapping.stype_out_symbol) != 0)
            s_alias(in, rec.mapping.stype_in_symbol);
    }
}

//  Two passes over the records: every instrument id, then their names.
static int s_index_file(const dbn_metadata_t *m)
{
    size_t n = 0;
    for (uint32_t i = 0; i < m->mapping_count; i++)
        n += m->mappings[i].interval_count;
    for (size_t pos = s_file.meta; pos + 16 <= s_file.len && s_file.bytes[pos] >= 4; pos += s_file.bytes[pos] * 4u)
        n++;
    s_file.insts = calloc(n + 1, sizeof *s_file.insts);
    if (!s_file.insts)
        return -1;
    size_t pos = s_file.meta;
    for (; pos + 16 <= s_file.len && s_file.bytes[pos] >= 4; pos += s_file.bytes[pos] * 4u) {
        uint32_t iid;
        memcpy(&iid, s_file.bytes + pos + 4, 4);
        s_file.rtype_count[s_file.bytes[pos + 1]]++;
        s_file.insts[s_file.n_insts++].iid = le32toh(iid);
    }
    s_index_metadata(m, true);
    qsort(s_file.insts, s_file.n_insts, sizeof *s_file.insts, s_cmp_iid);
    size_t u = 0;
    for (size_t i = 0; i < s_file.n_insts; i++)
        if (!u || s_file.insts[u - 1].iid != s_file.insts[i].iid)
            s_file.insts[u++] = s_file.insts[i];
    s_file.n_insts = u;
    s_index_metadata(m, false);
    for (pos = s_file.meta; pos + 16 <= s_file.len && s_file.bytes[pos] >= 4; pos += s_file.bytes[pos] * 4u)
        if (pos + s_file.bytes[pos] * 4u <= s_file.len)
            s_index_record(s_file.bytes + pos, s_file.bytes[pos] * 4u);
    return 0;
}

static int s_load_file(const char *path)
{
    size_t len = 0;
    uint8_t *raw = s_read_all(path, &len);
    if (!raw || len < 8 || memcmp(raw, "DBN", 3) != 0) {
        free(raw);
        return -1;
    }
    uint32_t mlen;
    memcpy(&mlen, raw + 4, 4);
    s_file.bytes = raw;
    s_file.len = len;
    s_file.meta = 8 + (size_t) le32toh(mlen);
    dbn_decoder_t *dec = dbn_decoder_new();
    int rc = s_file.meta <= len && dec && dbn_decoder_feed(dec, raw, s_file.meta) == 0
             && dbn_decoder_read_metadata(dec) == 1 ? 0 : -1;
    const dbn_metadata_t *m = rc ? NULL : dbn_decoder_metadata(dec);
    if (m) {
        s_file.version = m->version;
        s_file.ts_out = m->ts_out;
        s_file.schema = m->schema;
        rc = s_index_file(m);
    }
    dbn_decoder_destroy(&dec);
    fprintf(stderr, "mock-live: %s: DBN v%u, %zu instruments\n", path, s_file.version, s_file.n_insts);
    return m ? rc : -1;
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
    //  cpp DecodeChallenge takes any first line as the greeting
    snprintf(hello, sizeof hello, "%.60s\ncram=%s\n", opt.greeting, c->challenge);
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
        else if (strcmp(a, "--greeting") == 0) opt.greeting = v;
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

#define LIVE_USAGE "usage: ofts-mock-databento-live --key KEY [--dataset D] [--records N] [--file PATH]\n" \
    "  [--greeting LINE]\n" \
    "  [--heartbeat-ms MS] [--disconnect-after N | --silent-after N | --garbage-after N] [--faults K]\n" \
    "  [--refuse-auth] [--interval-ms MS] [--max-seconds S] [--help]   (key also from $MOCK_DATABENTO_KEY)\n"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(LIVE_USAGE, stdout);
            return 0;
        }
    if (s_args(argc, argv)) {
        fputs(LIVE_USAGE, stderr);
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
