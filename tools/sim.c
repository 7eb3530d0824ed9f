/*  ofts-sim - write a simulated market as a real DBN file.

    ofts-sim [--seed N] [--minutes M] [--start ISO-UTC] [--months] [--plain] [--v2] -o FILE

    Defaults: seed 42, 30 minutes from 2026-11-30T14:30:00Z (08:30 CT, a
    Monday morning inside every session), DBN v3 with zstd. The file looks
    like a merged historical download: metadata with the five contracts
    mapped to their instrument ids, SymbolMapping records first (as a live
    session sends them), then trades and MBP-10 records in ts_recv order.
    --months adds GC's next month (GCG7, $20 higher, thin) and the calendar
    spread GCZ6-GCG7, and rolls GC's volume from GCZ6 to GCG7 half way.   */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dbn_encoder.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "sim_market.h"

typedef struct {
    dbn_encoder_t *enc;
    uint64_t written;
    int64_t start, duration, next_progress;
    int failed;
} writer_t;

static void
s_write(void *arg, const dbn_record_t *rec)
{
    writer_t *w = arg;
    if (dbn_encoder_write(w->enc, rec) != 0)
        w->failed = 1;
    w->written++;
    int64_t now = ofts_clock_mono_ns();
    if (now >= w->next_progress) {
        double pct = 100.0 * (double) ((int64_t) rec->ts_event - w->start) / (double) w->duration;
        log_info("simulating: %llu records, %.0f%%", (unsigned long long) w->written, pct);
        w->next_progress = now + OFTS_NS_PER_SEC;
    }
}

static bool
s_parse_iso(const char *text, int64_t *ns)
{
    int y, mo, d, h, mi, s;
    if (sscanf(text, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) != 6)
        return false;
    *ns = (ofts_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * OFTS_NS_PER_SEC;
    return true;
}

int
main(int argc, char **argv)
{
    ofts_log_init("sim", OFTS_LOG_INFO);
    uint64_t seed = 42;
    double minutes = 30;
    int64_t start = 0;
    s_parse_iso("2026-11-30T14:30:00Z", &start);
    bool zstd = true, months = false;
    int version = 3;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--minutes") == 0 && i + 1 < argc)
            minutes = atof(argv[++i]);
        else if (strcmp(argv[i], "--start") == 0 && i + 1 < argc) {
            if (!s_parse_iso(argv[++i], &start)) {
                fprintf(stderr, "ofts-sim: --start wants YYYY-MM-DDTHH:MM:SSZ\n");
                return 2;
            }
        }
        else if (strcmp(argv[i], "--plain") == 0)
            zstd = false;
        else if (strcmp(argv[i], "--months") == 0)
            months = true;
        else if (strcmp(argv[i], "--v2") == 0)
            version = 2;
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: ofts-sim [--seed N] [--minutes M] [--start ISO] [--months] [--plain] [--v2] -o FILE\n"
                   "  a simulated CME market (GC SI PL HG NQ) written as real DBN\n"
                   "  --seed N      random seed (same seed, same market)\n"
                   "  --minutes M   minutes of market\n"
                   "  --start ISO   first event, YYYY-MM-DDTHH:MM:SSZ\n"
                   "  --months      several contract months per root (docs/simulator.md)\n"
                   "  --plain       .dbn instead of zstd\n"
                   "  --v2          DBN version 2 instead of 3\n"
                   "  -o FILE       output\n"
                   "  --help        this text\n");
            return 0;
        }
        else {
            fprintf(stderr, "ofts-sim: unknown or incomplete flag '%s'\n"
                            "usage: ofts-sim [--seed N] [--minutes M] [--start ISO] [--months] [--plain] [--v2] -o FILE\n", argv[i]);
            return 2;
        }
    }
    if (!out || minutes <= 0) {
        fprintf(stderr, "usage: ofts-sim [--seed N] [--minutes M] [--start ISO] [--months] [--plain] [--v2] -o FILE\n");
        return 2;
    }
    sim_config_t cfg;
    sim_config_default(&cfg, seed, start, (int64_t) (minutes * 60.0 * 1e9));
    if (months)
        sim_config_months(&cfg);

    //  Metadata: raw symbols in, instrument ids out, one interval per contract.
    dbn_metadata_t meta;
    memset(&meta, 0, sizeof meta);
    meta.version = (uint8_t) version;
    snprintf(meta.dataset, sizeof meta.dataset, "GLBX.MDP3");
    meta.schema = DBN_NULL_SCHEMA;
    meta.start = (uint64_t) start;
    meta.end = (uint64_t) (start + cfg.duration_ns);
    meta.stype_in = 1;
    meta.stype_out = 0;
    char *symbols[SIM_MAX_SYMBOLS];
    dbn_mapping_t mappings[SIM_MAX_SYMBOLS];
    dbn_interval_t intervals[SIM_MAX_SYMBOLS];
    char ids[SIM_MAX_SYMBOLS][16];
    ofts_ct_t ct;
    ofts_ct_from_utc(start, &ct);
    int y, m, d;
    ofts_civil_from_days(start / OFTS_NS_PER_SEC / 86400, &y, &m, &d);
    int64_t next_days = start / OFTS_NS_PER_SEC / 86400 + 1 + (int64_t) (minutes / 1440.0);
    int y2, m2, d2;
    ofts_civil_from_days(next_days, &y2, &m2, &d2);
    for (int i = 0; i < cfg.nsymbols; i++) {
        symbols[i] = (char *) cfg.symbols[i].contract;
        snprintf(ids[i], sizeof ids[i], "%u", cfg.symbols[i].instrument_id);
        intervals[i] = (dbn_interval_t) { (uint32_t) (y * 10000 + m * 100 + d),
                                          (uint32_t) (y2 * 10000 + m2 * 100 + d2), ids[i] };
        mappings[i] = (dbn_mapping_t) { (char *) cfg.symbols[i].contract, 1, &intervals[i] };
    }
    meta.symbols = symbols;
    meta.symbol_count = (uint32_t) cfg.nsymbols;
    meta.mappings = mappings;
    meta.mapping_count = (uint32_t) cfg.nsymbols;

    writer_t w = { .start = start, .duration = cfg.duration_ns };
    w.enc = dbn_encoder_new(out, &meta, zstd);
    if (!w.enc) {
        fprintf(stderr, "ofts-sim: cannot write %s\n", out);
        return 1;
    }
    for (int i = 0; i < cfg.nsymbols; i++) {
        dbn_record_t rec;
        memset(&rec, 0, sizeof rec);
        rec.rtype = DBN_RTYPE_SYMBOL_MAPPING;
        rec.kind = DBN_KIND_SYMBOL_MAPPING;
        rec.publisher_id = 1;
        rec.instrument_id = cfg.symbols[i].instrument_id;
        rec.ts_event = (uint64_t) start;
        rec.ts_out = DBN_UNDEF_TIMESTAMP;
        rec.mapping.stype_in = 1;
        rec.mapping.stype_out = 1;
        snprintf(rec.mapping.stype_in_symbol, sizeof rec.mapping.stype_in_symbol, "%s", cfg.symbols[i].contract);
        snprintf(rec.mapping.stype_out_symbol, sizeof rec.mapping.stype_out_symbol, "%s", cfg.symbols[i].contract);
        rec.mapping.start_ts = (uint64_t) start;
        rec.mapping.end_ts = (uint64_t) (start + cfg.duration_ns);
        s_write(&w, &rec);
    }
    sim_market_t *sim = sim_market_new(&cfg);
    w.next_progress = ofts_clock_mono_ns() + OFTS_NS_PER_SEC;
    sim_market_run(sim, s_write, &w);
    sim_market_destroy(&sim);
    int rc = dbn_encoder_close(w.enc) == 0 && !w.failed ? 0 : 1;
    dbn_encoder_destroy(&w.enc);
    if (rc == 0)
        log_info("wrote %s: %llu records, %.1f minutes, seed %llu", out, (unsigned long long) w.written, minutes,
                 (unsigned long long) seed);
    else
        log_error("writing %s failed", out);
    return rc;
}
