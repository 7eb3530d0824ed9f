/*  ofts-mock-databento-live byte for byte, as Databento's own C++ client
    (databento-cpp 0.65 LiveBlocking) reads it: a raw TCP client here speaks
    exactly the lines cpp writes and checks the bytes cpp parses - a decimal
    session id (stoull), the client's subscription id echoed in the
    acknowledgement, ts_out filled with the send time, and the metadata of a
    subscription served from a DBN file (dataset, schema, stype_in, start,
    no mappings) with SymbolMappingMsg records for a parent symbol.

    The file: v3, schema mixed, stype_in raw_symbol. Instruments:
      11 GCZ6, 12 GCG7, 13 GCZ6-GCG7 (spread)  named by definitions (asset GC)
      14 MGCZ6, 15 NQZ6                         named by metadata mappings
    then for each id k in 11..15: a trade (price k * 1.0, size k, sequence
    k) and an mbp-10 record; one mbo record for 11.
    GC.FUT (parent) must select 11, 12, 13 - not MGC (another root), not NQ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "cram.h"
#include "dbn_decoder.h"
#include "dbn_encoder.h"
#include "net_mockproc.h"

#define KEY "db-MockBytesMockBytesMockBytes7Q"
#define CPP_CLIENT "Databento/0.65.0 C++/GNU/13.2.0 Linux/6.8.0"

static char s_file[256];

static uint64_t s_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

//  --------------------------------------------------------------------------
//  The DBN file the mock serves

static void s_def(dbn_encoder_t *enc, uint32_t iid, const char *raw, char klass)
{
    dbn_record_t r;
    dbn_record_init(&r, DBN_RTYPE_INSTRUMENT_DEF);
    r.publisher_id = 1;
    r.instrument_id = iid;
    r.ts_event = 1764547200000000000ULL;
    snprintf(r.def.raw_symbol, sizeof r.def.raw_symbol, "%s", raw);
    snprintf(r.def.asset, sizeof r.def.asset, "GC");
    r.def.instrument_class = klass;
    assert_int_equal(dbn_encoder_write(enc, &r), 0);
}

static void s_data(dbn_encoder_t *enc, uint8_t rtype, uint32_t iid)
{
    dbn_record_t r;
    dbn_record_init(&r, rtype);
    r.publisher_id = 1;
    r.instrument_id = iid;
    r.ts_event = 1764547201000000000ULL + iid;
    if (rtype == DBN_RTYPE_MBO) {
        r.mbo.order_id = 99;
        r.mbo.price = (int64_t) iid * 1000000000LL;
        r.mbo.size = 1;
        r.mbo.action = 'A';
        r.mbo.side = 'B';
    } else {
        r.mbp.price = (int64_t) iid * 1000000000LL;
        r.mbp.size = iid;
        r.mbp.sequence = iid;
        r.mbp.action = rtype == DBN_RTYPE_MBP0 ? 'T' : 'A';
        r.mbp.side = 'B';
    }
    assert_int_equal(dbn_encoder_write(enc, &r), 0);
}

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_file, sizeof s_file, "/tmp/ofts-mock-live-XXXXXX");
    int fd = mkstemp(s_file);
    if (fd < 0)
        return -1;
    close(fd);
    dbn_interval_t nq = { 20251201, 20251202, "15" }, mgc = { 20251201, 20251202, "14" };
    dbn_mapping_t maps[2] = { { "NQZ6", 1, &nq }, { "MGCZ6", 1, &mgc } };
    dbn_metadata_t meta = { .version = 3, .dataset = "GLBX.MDP3", .schema = 0xFFFF,
        .start = 1764547200000000000ULL, .end = 1764633600000000000ULL, .stype_in = 1, .stype_out = 0,
        .mapping_count = 2, .mappings = maps };
    dbn_encoder_t *enc = dbn_encoder_new(s_file, &meta, true);
    if (!enc)
        return -1;
    s_def(enc, 11, "GCZ6", 'F');
    s_def(enc, 12, "GCG7", 'F');
    s_def(enc, 13, "GCZ6-GCG7", 'S');
    for (uint32_t k = 11; k <= 15; k++) {
        s_data(enc, DBN_RTYPE_MBP0, k);
        s_data(enc, DBN_RTYPE_MBP10, k);
    }
    s_data(enc, DBN_RTYPE_MBO, 11);
    dbn_encoder_destroy(&enc);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    unlink(s_file);
    return 0;
}

//  --------------------------------------------------------------------------
//  A client that writes what databento-cpp writes

typedef struct {
    int fd;
    uint8_t *buf;               //  bytes after start_session
    size_t len;
} raw_t;

static int s_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(connect(fd, (struct sockaddr *) &a, sizeof a), 0);
    return fd;
}

//  One text line (without '\n'), read a byte at a time so nothing after it
//  is consumed.
static void s_line(int fd, char *out, size_t cap)
{
    size_t n = 0;
    int64_t deadline = mockproc_now_ms() + 5000;
    while (n + 1 < cap && mockproc_now_ms() < deadline) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0)
            continue;
        char ch;
        if (recv(fd, &ch, 1, 0) != 1)
            break;
        if (ch == '\n')
            break;
        out[n++] = ch;
    }
    out[n] = '\0';
}

static void s_send_line(int fd, const char *line)
{
    assert_int_equal(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t) strlen(line));
}

//  cpp Authenticate: greeting, challenge, auth line, success line. Returns
//  the session id as cpp parses it (std::stoull) and checks it is all digits.
static unsigned long long s_login(int fd, bool ts_out)
{
    char line[512], reply[CRAM_REPLY_LEN + 1];
    s_line(fd, line, sizeof line);
    assert_string_equal(line, "lsg_version=0.4.2");
    s_line(fd, line, sizeof line);
    assert_int_equal(strncmp(line, "cram=", 5), 0);
    assert_int_equal(cram_reply(line + 5, KEY, reply, sizeof reply), 0);
    snprintf(line, sizeof line, "auth=%s|dataset=GLBX.MDP3|encoding=dbn|ts_out=%d|compression=none|client="
             CPP_CLIENT "|heartbeat_interval_s=5\n", reply, ts_out ? 1 : 0);
    s_send_line(fd, line);
    s_line(fd, line, sizeof line);
    const char *prefix = "success=1|session_id=";
    assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
    const char *id = line + strlen(prefix);
    assert_true(*id >= '0' && *id <= '9');
    char *end;
    errno = 0;
    unsigned long long sid = strtoull(id, &end, 10);
    assert_int_equal(errno, 0);
    assert_int_equal(*end, '\0');
    return sid;
}

//  Read the DBN stream until a heartbeat arrives (the mock is then idle).
static void s_read_stream(raw_t *r)
{
    size_t cap = 1 << 20;
    r->buf = malloc(cap);
    r->len = 0;
    int64_t deadline = mockproc_now_ms() + 8000;
    while (mockproc_now_ms() < deadline) {
        struct pollfd p = { .fd = r->fd, .events = POLLIN };
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = recv(r->fd, r->buf + r->len, cap - r->len, 0);
            if (n <= 0)
                break;
            r->len += (size_t) n;
        }
        if (r->len < 8)
            continue;
        uint32_t mlen;
        memcpy(&mlen, r->buf + 4, 4);
        size_t pos = 8 + mlen;
        bool heartbeat = false;
        while (pos + 16 <= r->len && pos + r->buf[pos] * 4u <= r->len) {
            heartbeat |= r->buf[pos + 1] == DBN_RTYPE_SYSTEM
                         && memcmp(r->buf + pos + 16, "Heartbeat", 10) == 0;
            pos += r->buf[pos] * 4u;
        }
        if (heartbeat)
            return;
    }
    fail_msg("no heartbeat within 8 s (%zu bytes read)", r->len);
}

static uint64_t s_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t s_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

typedef struct {
    int mappings, acks, errors, trades, other;
    uint32_t mapped[8], traded[8];
    char mapped_raw[8][72], ack[4][128], error[4][128];
    uint8_t error_code[4];
} seen_t;

static void s_decode(const raw_t *r, bool ts_out, seen_t *s)
{
    memset(s, 0, sizeof *s);
    dbn_decoder_t *dec = dbn_decoder_new();
    assert_int_equal(dbn_decoder_feed(dec, r->buf, r->len), 0);
    const dbn_record_t *rec;
    while (dbn_decoder_next(dec, &rec) == 1) {
        if (ts_out)
            assert_int_not_equal(rec->ts_out, UINT64_MAX);
        if (rec->rtype == DBN_RTYPE_SYMBOL_MAPPING && s->mappings < 8) {
            s->mapped[s->mappings] = rec->instrument_id;
            assert_string_equal(rec->mapping.stype_in_symbol, "GC.FUT");
            assert_int_equal(rec->mapping.stype_in, 4);             //  parent
            assert_int_equal(rec->mapping.stype_out, 1);            //  raw_symbol
            snprintf(s->mapped_raw[s->mappings++], 72, "%s", rec->mapping.stype_out_symbol);
        } else if (rec->rtype == DBN_RTYPE_SYSTEM && rec->system.code == 1 && s->acks < 4) {
            snprintf(s->ack[s->acks++], 128, "%s", rec->system.msg);
        } else if (rec->rtype == DBN_RTYPE_ERROR && s->errors < 4) {
            s->error_code[s->errors] = rec->error.code;
            snprintf(s->error[s->errors++], 128, "%s", rec->error.err);
        } else if (rec->rtype == DBN_RTYPE_MBP0 && s->trades < 8) {
            s->traded[s->trades++] = rec->instrument_id;
        } else if (rec->rtype != DBN_RTYPE_SYSTEM) {
            s->other++;
        }
    }
    assert_null(dbn_decoder_error(dec));
    dbn_decoder_destroy(&dec);
}

//  --------------------------------------------------------------------------
//  Tests

//  Subscribed to trades on GC.FUT (parent) with ts_out=1, from a file.
static void test_cpp_session_from_file(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--file", s_file, "--heartbeat-ms", "300", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    raw_t r = { .fd = s_connect(m.port) };
    unsigned long long sid = s_login(r.fd, true);
    assert_true(sid >= 1);
    //  cpp LiveBlocking::Subscribe writes exactly this (id counts from 1)
    s_send_line(r.fd, "schema=trades|stype_in=parent|id=1|symbols=GC.FUT|snapshot=0|is_last=1\n");
    uint64_t t0 = s_wall_ns();
    s_send_line(r.fd, "start_session\n");
    s_read_stream(&r);
    uint64_t t1 = s_wall_ns();

    //  metadata (spec §2.1, v3 offsets), as cpp DecodeMetadataFields reads it
    const uint8_t *b = r.buf;
    assert_memory_equal(b, "DBN\x03", 4);
    assert_string_equal((const char *) b + 8, "GLBX.MDP3");
    assert_int_equal(b[24] | b[25] << 8, 4);                    //  schema trades (§5.4)
    uint64_t start = s_u64(b + 26);
    assert_true(start >= t0 - 1000000000ULL && start <= t1);    //  session start, now
    assert_int_equal(s_u64(b + 34), UINT64_MAX);                //  no end
    assert_int_equal(s_u64(b + 42), 0);                         //  no limit
    assert_int_equal(b[50], 4);                                 //  stype_in parent
    assert_int_equal(b[51], 0);                                 //  stype_out instrument_id
    assert_int_equal(b[52], 1);                                 //  ts_out
    assert_int_equal(b[53] | b[54] << 8, 71);
    for (int k = 0; k < 4; k++)                                 //  symbols, partial, not_found, mappings
        assert_int_equal(s_u32(b + 112 + 4 * k), 0);
    //  ts_out of every record: the last 8 bytes, the send time
    uint32_t mlen = s_u32(b + 4);
    int records = 0;
    for (size_t pos = 8 + mlen; pos < r.len; pos += b[pos] * 4u, records++) {
        uint64_t ts_out = s_u64(b + pos + b[pos] * 4u - 8);
        assert_true(ts_out >= t0 && ts_out <= t1);
    }
    seen_t s;
    s_decode(&r, true, &s);
    //  GC.FUT: the two outrights and the spread, never MGC or NQ
    assert_int_equal(s.mappings, 3);
    assert_int_equal(s.mapped[0], 11);
    assert_string_equal(s.mapped_raw[0], "GCZ6");
    assert_int_equal(s.mapped[1], 12);
    assert_string_equal(s.mapped_raw[1], "GCG7");
    assert_int_equal(s.mapped[2], 13);
    assert_string_equal(s.mapped_raw[2], "GCZ6-GCG7");
    assert_int_equal(s.acks, 1);
    assert_string_equal(s.ack[0], "Subscription request 1 for trades data succeeded");
    assert_int_equal(s.errors, 0);
    //  trades only (no mbp-10, no definitions, no mbo), of 11..13 only
    assert_int_equal(s.trades, 3);
    assert_int_equal(s.traded[0], 11);
    assert_int_equal(s.traded[2], 13);
    assert_int_equal(s.other, 0);
    assert_int_equal(records, 3 + 1 + 3 + 1);                   //  + heartbeat
    free(r.buf);
    close(r.fd);
    mockproc_stop(&m);
}

//  mbo is served from a file that has it; a schema the file lacks is refused
//  with an ErrorMsg (code 5), never with silence; two schemas = mixed.
static void test_file_mbo_and_refusal(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--file", s_file, "--heartbeat-ms", "300", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    raw_t r = { .fd = s_connect(m.port) };
    s_login(r.fd, false);
    s_send_line(r.fd, "schema=mbo|stype_in=parent|id=7|symbols=GC.FUT|snapshot=0|is_last=1\n");
    s_send_line(r.fd, "schema=mbp-1|stype_in=parent|id=8|symbols=GC.FUT|snapshot=0|is_last=1\n");
    s_send_line(r.fd, "start_session\n");
    s_read_stream(&r);
    assert_int_equal(r.buf[24] | r.buf[25] << 8, 0xFFFF);      //  two schemas: mixed
    assert_int_equal(r.buf[50], 4);                             //  one stype: parent
    assert_int_equal(r.buf[52], 0);
    seen_t s;
    s_decode(&r, false, &s);
    assert_int_equal(s.acks, 1);
    assert_string_equal(s.ack[0], "Subscription request 7 for mbo data succeeded");
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.error_code[0], 5);
    assert_non_null(strstr(s.error[0], "mbp-1"));
    assert_int_equal(s.other, 1);                               //  the one mbo record
    assert_int_equal(s.trades, 0);
    free(r.buf);
    close(r.fd);
    mockproc_stop(&m);
}

//  Generated mode has no mbo: refused with code 5 while trades still flow;
//  a line without id= is numbered by the gateway.
static void test_generated_mbo_refused(void **state)
{
    (void) state;
    mockproc_t m;
    const char *argv[] = { "ofts-mock-databento-live", "--key", KEY, "--records", "4", "--heartbeat-ms", "300", NULL };
    assert_int_equal(mockproc_start(&m, argv, 5000), 0);
    raw_t r = { .fd = s_connect(m.port) };
    unsigned long long sid1 = s_login(r.fd, false);
    s_send_line(r.fd, "schema=mbo|stype_in=parent|id=3|symbols=GC.FUT|snapshot=0|is_last=1\n");
    s_send_line(r.fd, "schema=trades|stype_in=parent|symbols=GC.FUT|snapshot=0\n");
    s_send_line(r.fd, "start_session\n");
    s_read_stream(&r);
    seen_t s;
    s_decode(&r, false, &s);
    assert_int_equal(s.errors, 1);
    assert_int_equal(s.error_code[0], 5);
    assert_string_equal(s.error[0], "Invalid subscription: no mbo data for the generated feed");
    assert_int_equal(s.acks, 1);
    assert_string_equal(s.ack[0], "Subscription request 0 for trades data succeeded");
    assert_int_equal(s.trades, 4);
    free(r.buf);
    close(r.fd);
    //  session ids are decimal and count up
    r.fd = s_connect(m.port);
    assert_int_equal(s_login(r.fd, false), sid1 + 1);
    close(r.fd);
    mockproc_stop(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpp_session_from_file),
        cmocka_unit_test(test_file_mbo_and_refusal),
        cmocka_unit_test(test_generated_mbo_refused),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
