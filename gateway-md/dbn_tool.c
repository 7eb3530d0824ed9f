/*  ofts-dbn - look inside DBN files.

        ofts-dbn info [--fragment V] FILE
        ofts-dbn dump [--json] [--limit N] [--fragment V] FILE

    `ofts dbn ...` forwards here. Exit codes: 0 ok, 1 data error (message
    with the byte offset on stderr), 2 usage.                              */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dbn_encoder.h"
#include "dbn_file.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"

#define EXIT_DATA 1
#define EXIT_USAGE 2

static void
s_usage_to(FILE *out)
{
    fprintf(out,
            "usage: ofts-dbn info [--fragment V] FILE\n"
            "       ofts-dbn dump [--json] [--limit N] [--fragment V] FILE\n"
            "       ofts-dbn sample [--version V] [--zstd] OUT   (write a small DBN file\n"
            "                                             with one record of every type)\n"
            "  FILE is .dbn or .dbn.zst (detected by content); --fragment V reads\n"
            "  records without metadata as DBN version V (1-3).\n"
            "  --help shows this text\n"
            "exit: 0 ok, 1 data error, 2 usage\n");
}

static int
s_usage(void)
{
    s_usage_to(stderr);
    return EXIT_USAGE;
}

static void
s_json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void
s_json_char(FILE *out, int64_t c)
{
    //  A one-letter string when printable, else the byte value (as the
    //  reference decodes in ../shared/data/dbn/EXPECTED do).
    if (c >= 0x20 && c < 0x7f) {
        char s[2] = { (char) c, 0 };
        s_json_str(out, s);
    }
    else
        fprintf(out, "%" PRId64, c);
}

typedef struct {
    FILE *out;
    int level;              //  level being printed, -1 = body
} json_ctx_t;

static void
s_json_value(FILE *out, const dbn_field_value_t *f)
{
    char buf[48];
    switch (f->type) {
    case DBN_FT_STR: s_json_str(out, f->s); break;
    case DBN_FT_CHAR: s_json_char(out, f->i); break;
    case DBN_FT_PRICE:
        //  decimal string; undefined (INT64_MAX) as null
        if (f->i == DBN_UNDEF_PRICE)
            fputs("null", out);
        else
            s_json_str(out, ofts_price_str(f->i, buf, sizeof(buf)));
        break;
    case DBN_FT_TS:
        if (f->u == DBN_UNDEF_TIMESTAMP)
            fputs("null", out);     //  UINT64_MAX does not fit most JSON readers
        else
            fprintf(out, "%" PRIu64, f->u);
        break;
    case DBN_FT_I8: case DBN_FT_I16: case DBN_FT_I32: case DBN_FT_I64:
        fprintf(out, "%" PRId64, f->i);
        break;
    default: fprintf(out, "%" PRIu64, f->u); break;
    }
}

static void
s_json_field(const dbn_field_value_t *f, int level, void *arg)
{
    json_ctx_t *c = arg;
    if (level >= 0 && level != c->level) {
        //  a new level object starts: no comma before its first field
        fputs(level == 0 ? ", \"levels\": [{" : "}, {", c->out);
        c->level = level;
    }
    else
        fputs(", ", c->out);
    fprintf(c->out, "\"%s\": ", f->name);
    s_json_value(c->out, f);
}

static void
s_dump_json(FILE *out, const dbn_record_t *rec, const char *symbol)
{
    const char *name = dbn_rtype_name(rec->rtype);
    fputs("{\"rtype\": ", out);
    s_json_str(out, name ? name : "unknown");
    fprintf(out, ", \"rtype_id\": %u, \"length\": %u, \"publisher_id\": %u, \"instrument_id\": %u",
            rec->rtype, rec->length, rec->publisher_id, rec->instrument_id);
    fputs(", \"symbol\": ", out);
    if (symbol)
        s_json_str(out, symbol);
    else
        fputs("null", out);
    if (rec->ts_event == DBN_UNDEF_TIMESTAMP)
        fputs(", \"ts_event\": null", out);
    else
        fprintf(out, ", \"ts_event\": %" PRIu64, rec->ts_event);
    if (rec->ts_out != DBN_UNDEF_TIMESTAMP)
        fprintf(out, ", \"ts_out\": %" PRIu64, rec->ts_out);
    //  Fields in wire order; levels as a list (MBP-1/BBO: one, MBP-10: ten).
    json_ctx_t c = { out, -1 };
    dbn_record_fields(rec, s_json_field, &c);
    if (c.level >= 0)
        fputs("}]", out);
    fputs("}\n", out);
}

static void
s_dump_text(FILE *out, const dbn_record_t *rec, const char *symbol)
{
    char ts[48], px[48], bid[48], ask[48];
    ofts_clock_format((int64_t) rec->ts_event, ts, sizeof(ts));
    if (rec->ts_event == DBN_UNDEF_TIMESTAMP)
        strcpy(ts, "-");
    const char *name = dbn_rtype_name(rec->rtype);
    fprintf(out, "%s %-14s %-8s id=%u", ts, name ? name : "?", symbol ? symbol : "?", rec->instrument_id);
    switch (rec->kind) {
    case DBN_KIND_MBP:
        fprintf(out, " %c %c %u @ %s flags=0x%02x", rec->mbp.action ? rec->mbp.action : '-',
                rec->mbp.side ? rec->mbp.side : '-', rec->mbp.size,
                ofts_price_str(rec->mbp.price, px, sizeof(px)), rec->mbp.flags);
        if (rec->mbp.level_count)
            fprintf(out, " bbo %u x %s / %s x %u", rec->mbp.levels[0].bid_sz,
                    ofts_price_str(rec->mbp.levels[0].bid_px, bid, sizeof(bid)),
                    ofts_price_str(rec->mbp.levels[0].ask_px, ask, sizeof(ask)),
                    rec->mbp.levels[0].ask_sz);
        break;
    case DBN_KIND_MBO:
        fprintf(out, " %c %c %u @ %s order=%" PRIu64, rec->mbo.action, rec->mbo.side, rec->mbo.size,
                ofts_price_str(rec->mbo.price, px, sizeof(px)), rec->mbo.order_id);
        break;
    case DBN_KIND_OHLCV:
        fprintf(out, " o=%s", ofts_price_str(rec->ohlcv.open, px, sizeof(px)));
        fprintf(out, " h=%s", ofts_price_str(rec->ohlcv.high, px, sizeof(px)));
        fprintf(out, " l=%s", ofts_price_str(rec->ohlcv.low, px, sizeof(px)));
        fprintf(out, " c=%s v=%" PRIu64, ofts_price_str(rec->ohlcv.close, px, sizeof(px)), rec->ohlcv.volume);
        break;
    case DBN_KIND_DEF:
        fprintf(out, " %s class=%c tick=%s exp=%" PRIu64, rec->def.raw_symbol,
                rec->def.instrument_class ? rec->def.instrument_class : '-',
                ofts_price_str(rec->def.min_price_increment, px, sizeof(px)), rec->def.expiration);
        break;
    case DBN_KIND_SYMBOL_MAPPING:
        fprintf(out, " %s -> %s", rec->mapping.stype_in_symbol, rec->mapping.stype_out_symbol);
        break;
    case DBN_KIND_ERROR:
        fprintf(out, " code=%u %s", rec->error.code, rec->error.err);
        break;
    case DBN_KIND_SYSTEM:
        fprintf(out, " code=%u %s", rec->system.code, rec->system.msg);
        break;
    case DBN_KIND_STAT:
        fprintf(out, " type=%u price=%s qty=%" PRId64, rec->stat.stat_type,
                ofts_price_str(rec->stat.price, px, sizeof(px)), rec->stat.quantity);
        break;
    case DBN_KIND_STATUS:
        fprintf(out, " action=%u reason=%u trading=%c", rec->status.action, rec->status.reason,
                rec->status.is_trading ? rec->status.is_trading : '-');
        break;
    default:
        break;
    }
    fputc('\n', out);
}

static dbn_file_t *
s_open(const char *path, int fragment)
{
    char err[600];
    dbn_file_t *f = fragment ? dbn_file_new_fragment(path, (uint8_t) fragment, false, err, sizeof(err))
                             : dbn_file_new(path, err, sizeof(err));
    if (!f)
        fprintf(stderr, "ofts-dbn: %s\n", err);
    return f;
}

static void
s_date(uint32_t d, char *buf, size_t size)
{
    snprintf(buf, size, "%04u-%02u-%02u", (d / 10000) % 10000, (d / 100) % 100, d % 100);
}

static void
s_print_list(const char *label, char **list, uint32_t count)
{
    printf("%-16s %u", label, count);
    for (uint32_t i = 0; i < count && i < 20; i++)
        printf("%s%s", i ? ", " : ": ", list[i]);
    printf("%s\n", count > 20 ? ", ..." : "");
}

static void
s_print_metadata(const dbn_metadata_t *m)
{
    char ts[48];
    printf("version          %u\n", m->version);
    printf("dataset          %s\n", m->dataset);
    const char *schema = dbn_schema_name(m->schema);
    printf("schema           %s\n", schema ? schema : m->schema == DBN_NULL_SCHEMA ? "(mixed)" : "?");
    ofts_clock_format((int64_t) m->start, ts, sizeof(ts));
    printf("start            %s (%" PRIu64 ")\n", ts, m->start);
    if (m->end == DBN_UNDEF_TIMESTAMP)
        printf("end              (none)\n");
    else {
        ofts_clock_format((int64_t) m->end, ts, sizeof(ts));
        printf("end              %s (%" PRIu64 ")\n", ts, m->end);
    }
    printf("limit            %" PRIu64 "%s\n", m->limit, m->limit ? "" : " (none)");
    const char *si = dbn_stype_name(m->stype_in), *so = dbn_stype_name(m->stype_out);
    printf("stype_in         %s\n", si ? si : "(mixed)");
    printf("stype_out        %s\n", so ? so : "?");
    printf("ts_out           %s\n", m->ts_out ? "yes" : "no");
    printf("symbol_cstr_len  %u\n", m->symbol_cstr_len);
    s_print_list("symbols", m->symbols, m->symbol_count);
    s_print_list("partial", m->partial, m->partial_count);
    s_print_list("not_found", m->not_found, m->not_found_count);
    printf("mappings         %u\n", m->mapping_count);
    for (uint32_t i = 0; i < m->mapping_count && i < 20; i++) {
        const dbn_mapping_t *map = &m->mappings[i];
        for (uint32_t j = 0; j < map->interval_count && j < 5; j++) {
            char d0[16], d1[16];
            s_date(map->intervals[j].start_date, d0, sizeof(d0));
            s_date(map->intervals[j].end_date, d1, sizeof(d1));
            printf("  %s -> %s  [%s, %s)\n", map->raw_symbol, map->intervals[j].symbol, d0, d1);
        }
        if (map->interval_count > 5)
            printf("  %s: %u more intervals\n", map->raw_symbol, map->interval_count - 5);
    }
}

#define MAX_IDS 4096            //  distinct instruments listed (power of two)

typedef struct {
    uint32_t id[MAX_IDS * 2];
    uint64_t count[MAX_IDS * 2];    //  0 = empty slot
    size_t n;
    bool overflow;
} id_table_t;

//  Open addressing: O(1) per record even for files with thousands of ids.
static void
s_count_id(id_table_t *t, uint32_t id)
{
    size_t cap = MAX_IDS * 2, j = (id * 2654435761u) & (cap - 1);
    while (t->count[j] && t->id[j] != id)
        j = (j + 1) & (cap - 1);
    if (!t->count[j]) {
        if (t->n >= MAX_IDS) {
            t->overflow = true;
            return;
        }
        t->id[j] = id;
        t->n++;
    }
    t->count[j]++;
}

static int
s_info(const char *path, int fragment)
{
    dbn_file_t *f = s_open(path, fragment);
    if (!f)
        return EXIT_DATA;
    printf("file             %s\n", path);
    printf("compression      %s\n", dbn_file_compressed(f) ? "zstd" : "none");
    const dbn_metadata_t *m = dbn_file_metadata(f);
    if (m)
        s_print_metadata(m);
    else
        printf("fragment         DBN v%d records, no metadata\n", fragment);
    static id_table_t ids;
    memset(&ids, 0, sizeof(ids));
    uint64_t first = DBN_UNDEF_TIMESTAMP, last = 0;
    const dbn_record_t *rec;
    int rc;
    while ((rc = dbn_file_next(f, &rec)) == 1) {
        if (rec->ts_event != DBN_UNDEF_TIMESTAMP) {
            first = rec->ts_event < first ? rec->ts_event : first;
            last = rec->ts_event > last ? rec->ts_event : last;
        }
        s_count_id(&ids, rec->instrument_id);
    }
    dbn_decoder_t *d = dbn_file_decoder(f);
    printf("records          %" PRIu64 "\n", dbn_decoder_records(d));
    for (int r = 0; r < 256; r++) {
        uint64_t n = dbn_decoder_rtype_count(d, (uint8_t) r);
        if (n) {
            const char *name = dbn_rtype_name((uint8_t) r);
            printf("  %-16s %" PRIu64 "%s\n", name ? name : "unknown", n, name ? "" : " (skipped)");
        }
    }
    if (dbn_decoder_skipped(d))
        printf("skipped          %" PRIu64 " records of unknown rtypes\n", dbn_decoder_skipped(d));
    if (first != DBN_UNDEF_TIMESTAMP) {
        char a[48], b[48];
        ofts_clock_format((int64_t) first, a, sizeof(a));
        ofts_clock_format((int64_t) last, b, sizeof(b));
        printf("ts_event         %s .. %s\n", a, b);
    }
    printf("instruments      %zu%s\n", ids.n, ids.overflow ? " (or more)" : "");
    size_t shown = 0;
    for (size_t j = 0; j < MAX_IDS * 2 && shown < 50; j++) {
        if (!ids.count[j])
            continue;
        const char *sym = dbn_decoder_symbol(d, ids.id[j]);
        printf("  %-10u %-22s %" PRIu64 " records\n", ids.id[j], sym ? sym : "(unmapped)", ids.count[j]);
        shown++;
    }
    if (ids.n > shown)
        printf("  ... %zu more\n", ids.n - shown);
    if (dbn_file_compressed(f))
        printf("zstd frames      %" PRIu64 "\n", dbn_file_frames(f));
    int code = 0;
    if (rc < 0) {
        fprintf(stderr, "ofts-dbn: %s\n", dbn_file_error(f));
        code = EXIT_DATA;
    }
    dbn_file_destroy(&f);
    return code;
}

static int
s_dump(const char *path, int fragment, bool json, long long limit)
{
    dbn_file_t *f = s_open(path, fragment);
    if (!f)
        return EXIT_DATA;
    const dbn_record_t *rec;
    int rc = 0;
    long long n = 0;
    while ((limit < 0 || n < limit) && (rc = dbn_file_next(f, &rec)) == 1) {
        const char *symbol = dbn_decoder_symbol(dbn_file_decoder(f), rec->instrument_id);
        if (json)
            s_dump_json(stdout, rec, symbol);
        else
            s_dump_text(stdout, rec, symbol);
        n++;
    }
    fflush(stdout);
    int code = 0;
    if (rc < 0) {
        fprintf(stderr, "ofts-dbn: %s\n", dbn_file_error(f));
        code = EXIT_DATA;
    }
    dbn_file_destroy(&f);
    return code;
}

//  A small file with every record type we support (fuzz seeds, demos).
static int
s_sample(const char *path, int version, bool zstd)
{
    static dbn_interval_t iv[2] = { { 20261130, 20261201, "42" }, { 20261130, 20261201, "43" } };
    static dbn_mapping_t maps[2] = { { "GCZ6", 1, &iv[0] }, { "SIH7", 1, &iv[1] } };
    static char *symbols[] = { "GCZ6", "SIH7" };
    dbn_metadata_t meta = { .version = (uint8_t) version, .dataset = "GLBX.MDP3",
                            .schema = DBN_NULL_SCHEMA, .start = 1764460800000000000ull,
                            .end = DBN_UNDEF_TIMESTAMP, .stype_in = 1, .stype_out = 0,
                            .symbol_count = 2, .symbols = symbols, .mapping_count = 2,
                            .mappings = maps };
    dbn_encoder_t *enc = dbn_encoder_new(path, &meta, zstd);
    if (!enc) {
        fprintf(stderr, "ofts-dbn: cannot write %s\n", path);
        return EXIT_DATA;
    }
    const uint8_t rtypes[] = {
        DBN_RTYPE_SYMBOL_MAPPING, DBN_RTYPE_INSTRUMENT_DEF, DBN_RTYPE_SYSTEM, DBN_RTYPE_STATUS,
        DBN_RTYPE_MBP0, DBN_RTYPE_MBP1, DBN_RTYPE_MBP10, DBN_RTYPE_BBO_1S, DBN_RTYPE_CMBP1,
        DBN_RTYPE_CBBO_1S, DBN_RTYPE_MBO, DBN_RTYPE_OHLCV_1M, DBN_RTYPE_STATISTICS,
        DBN_RTYPE_IMBALANCE, DBN_RTYPE_ERROR, DBN_RTYPE_MBP0
    };
    uint64_t ts = 1764460800000000000ull;
    for (size_t i = 0; i < sizeof(rtypes); i++) {
        dbn_record_t r;
        dbn_record_init(&r, rtypes[i]);
        r.publisher_id = 1;
        r.instrument_id = i % 2 ? 42 : 43;
        r.ts_event = ts + i * 1000;
        switch (r.kind) {
        case DBN_KIND_MBP:
            r.mbp.price = 2350100000000;
            r.mbp.size = 2;
            r.mbp.action = rtypes[i] == DBN_RTYPE_MBP0 ? 'T' : 'A';
            r.mbp.side = 'B';
            r.mbp.flags = DBN_F_LAST;
            r.mbp.ts_recv = r.ts_event + 500;
            for (int l = 0; l < r.mbp.level_count; l++) {
                r.mbp.levels[l].bid_px = 2350000000000 - l * 100000000LL;
                r.mbp.levels[l].ask_px = 2350100000000 + l * 100000000LL;
                r.mbp.levels[l].bid_sz = r.mbp.levels[l].ask_sz = 5u + (uint32_t) l;
            }
            break;
        case DBN_KIND_MBO:
            r.mbo.order_id = 1234; r.mbo.price = 2350100000000; r.mbo.size = 1;
            r.mbo.action = 'A'; r.mbo.side = 'A'; r.mbo.ts_recv = r.ts_event + 500;
            break;
        case DBN_KIND_SYMBOL_MAPPING:
            strcpy(r.mapping.stype_in_symbol, "SI.FUT");
            strcpy(r.mapping.stype_out_symbol, "SIH7");
            r.mapping.stype_in = 4; r.mapping.stype_out = 1;
            break;
        case DBN_KIND_DEF:
            strcpy(r.def.raw_symbol, "GCZ6"); strcpy(r.def.asset, "GC");
            r.def.min_price_increment = 100000000; r.def.instrument_class = 'F';
            break;
        case DBN_KIND_SYSTEM: strcpy(r.system.msg, "Heartbeat"); r.system.code = 0; break;
        case DBN_KIND_ERROR: strcpy(r.error.err, "Internal error"); r.error.code = 6; break;
        case DBN_KIND_STATUS: r.status.action = 7; r.status.is_trading = 'Y'; break;
        case DBN_KIND_STAT: r.stat.price = 2349000000000; r.stat.stat_type = 3; break;
        case DBN_KIND_OHLCV: r.ohlcv.open = r.ohlcv.close = 2350000000000; r.ohlcv.volume = 9; break;
        default: break;
        }
        if (dbn_encoder_write(enc, &r) != 0) {
            fprintf(stderr, "ofts-dbn: cannot encode rtype 0x%02x\n", rtypes[i]);
            dbn_encoder_destroy(&enc);
            return EXIT_DATA;
        }
    }
    int rc = dbn_encoder_close(enc);
    dbn_encoder_destroy(&enc);
    if (rc != 0) {
        fprintf(stderr, "ofts-dbn: write error on %s\n", path);
        return EXIT_DATA;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return s_usage();
    const char *cmd = argv[1];
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 || strcmp(cmd, "help") == 0) {
            s_usage_to(stdout);
            return 0;
        }
    if (cmd[0] == '-') {
        fprintf(stderr, "ofts-dbn: unknown flag '%s' (want info, dump or sample first)\n", cmd);
        return s_usage();
    }
    bool json = false, zstd = false;
    int version = DBN_VERSION_MAX;
    long long limit = -1;
    int fragment = 0;
    const char *path = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            char *end;
            limit = strtoll(argv[++i], &end, 10);
            if (*end || limit < 0)
                return s_usage();
        }
        else if (strcmp(argv[i], "--fragment") == 0 && i + 1 < argc) {
            fragment = atoi(argv[++i]);
            if (fragment < 1 || fragment > DBN_VERSION_MAX)
                return s_usage();
        }
        else if (strcmp(argv[i], "--zstd") == 0)
            zstd = true;
        else if (strcmp(argv[i], "--version") == 0 && i + 1 < argc) {
            version = atoi(argv[++i]);
            if (version < 1 || version > DBN_VERSION_MAX)
                return s_usage();
        }
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ofts-dbn: unknown flag '%s'\n", argv[i]);
            return s_usage();
        }
        else if (!path)
            path = argv[i];
        else
            return s_usage();
    }
    if (!path)
        return s_usage();
    if (strcmp(cmd, "info") == 0 && !json && limit < 0)
        return s_info(path, fragment);
    if (strcmp(cmd, "dump") == 0)
        return s_dump(path, fragment, json, limit);
    if (strcmp(cmd, "sample") == 0)
        return s_sample(path, version, zstd);
    return s_usage();
}
