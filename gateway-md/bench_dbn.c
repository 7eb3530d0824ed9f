/*  bench-dbn: DBN decode throughput against the raw cost of getting the
    bytes, measured in the same run on the same file.

    Generates ~200 MB of mixed trades / MBP-1 / MBP-10 (v3) with our encoder,
    plain and zstd, in a temp dir; then (alternating, best of 5, warm page cache):
      plain: raw fread of the file         vs  dbn_file decoding it
      zstd:  raw ZSTD_decompressStream      vs  dbn_file decoding the .zst
    Last line: RESULT dbn_decode_zstd <MB/s> MB/s ratio=<decode/raw> vs zstd_raw_decompress
    (MB = decompressed DBN bytes, 1e6; times are process CPU time). Environment BENCH_DBN_MB overrides the size. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>
#include "dbn_encoder.h"
#include "dbn_file.h"

//  CPU time of this process (user + system): the bench is single-threaded,
//  and on the shared build box wall time mostly measures the neighbours.
static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static uint64_t s_sink;     //  keeps the work from being optimised away

static uint64_t
s_generate(const char *plain, const char *zst, size_t target_bytes)
{
    dbn_metadata_t meta = { .version = 3, .dataset = "GLBX.MDP3", .schema = DBN_NULL_SCHEMA,
                            .end = DBN_UNDEF_TIMESTAMP, .stype_in = 1 };
    dbn_encoder_t *a = dbn_encoder_new(plain, &meta, false);
    dbn_encoder_t *b = dbn_encoder_new(zst, &meta, true);
    if (!a || !b) {
        fprintf(stderr, "bench-dbn: cannot create files in the temp dir\n");
        exit(1);
    }
    dbn_record_t trade, mbp1, mbp10;
    dbn_record_init(&trade, DBN_RTYPE_MBP0);
    dbn_record_init(&mbp1, DBN_RTYPE_MBP1);
    dbn_record_init(&mbp10, DBN_RTYPE_MBP10);
    uint64_t bytes = 0, n = 0, ts = 1764460800000000000ull;
    uint32_t x = 12345;
    while (bytes < target_bytes) {
        x = x * 1103515245u + 12345u;
        int kind = (x >> 16) % 20;      //  50% trades, 35% mbp-1, 15% mbp-10
        dbn_record_t *r = kind < 10 ? &trade : kind < 17 ? &mbp1 : &mbp10;
        ts += 1000 + (x & 0xfff);
        r->instrument_id = 42 + (x >> 28);
        r->ts_event = ts;
        r->mbp.ts_recv = ts + 5000;
        r->mbp.price = 2350000000000 + (int64_t) ((x >> 8) % 200) * 100000000LL;
        r->mbp.size = 1 + (x >> 20) % 9;
        r->mbp.side = x & 1 ? 'B' : 'A';
        r->mbp.action = r == &trade ? 'T' : "ACMT"[(x >> 4) & 3];
        r->mbp.flags = DBN_F_LAST;
        r->mbp.sequence = (uint32_t) n;
        for (int l = 0; l < r->mbp.level_count; l++) {
            r->mbp.levels[l].bid_px = r->mbp.price - (l + 1) * 100000000LL;
            r->mbp.levels[l].ask_px = r->mbp.price + l * 100000000LL;
            r->mbp.levels[l].bid_sz = 1 + ((x >> l) & 31);
            r->mbp.levels[l].ask_sz = 1 + ((x >> (l + 3)) & 31);
            r->mbp.levels[l].bid_ct = r->mbp.levels[l].ask_ct = 1 + (l & 3);
        }
        dbn_encoder_write(a, r);
        dbn_encoder_write(b, r);
        bytes += dbn_rtype_size(r->rtype, 3);
        n++;
    }
    if (dbn_encoder_close(a) != 0 || dbn_encoder_close(b) != 0) {
        fprintf(stderr, "bench-dbn: write failed (disk full?)\n");
        exit(1);
    }
    dbn_encoder_destroy(&a);
    dbn_encoder_destroy(&b);
    return n;
}

static double
s_raw_read(const char *path, uint64_t *bytes)
{
    static uint8_t buf[1 << 20];
    double t0 = s_now();
    FILE *fp = fopen(path, "rb");
    size_t n;
    *bytes = 0;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        *bytes += n;
        s_sink += buf[n - 1];
    }
    fclose(fp);
    return s_now() - t0;
}

static double
s_raw_zstd(const char *path, uint64_t *bytes)
{
    size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
    uint8_t *in = malloc(in_cap), *out = malloc(out_cap);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    double t0 = s_now();
    FILE *fp = fopen(path, "rb");
    size_t n;
    *bytes = 0;
    while ((n = fread(in, 1, in_cap, fp)) > 0) {
        ZSTD_inBuffer zin = { in, n, 0 };
        while (zin.pos < zin.size) {
            ZSTD_outBuffer zout = { out, out_cap, 0 };
            size_t rc = ZSTD_decompressStream(dctx, &zout, &zin);
            if (ZSTD_isError(rc)) {
                fprintf(stderr, "bench-dbn: zstd: %s\n", ZSTD_getErrorName(rc));
                exit(1);
            }
            *bytes += zout.pos;
            if (zout.pos)
                s_sink += out[zout.pos - 1];
        }
    }
    fclose(fp);
    double t = s_now() - t0;
    ZSTD_freeDCtx(dctx);
    free(in);
    free(out);
    return t;
}

static double
s_decode(const char *path, uint64_t *records)
{
    char err[512];
    double t0 = s_now();
    dbn_file_t *f = dbn_file_new(path, err, sizeof(err));
    if (!f) {
        fprintf(stderr, "bench-dbn: %s\n", err);
        exit(1);
    }
    const dbn_record_t *rec;
    uint64_t n = 0;
    int64_t sum = 0;
    while (dbn_file_next(f, &rec) == 1) {
        sum += rec->mbp.price + rec->mbp.levels[0].bid_sz;
        n++;
    }
    if (dbn_file_error(f)) {
        fprintf(stderr, "bench-dbn: %s\n", dbn_file_error(f));
        exit(1);
    }
    dbn_file_destroy(&f);
    double t = s_now() - t0;
    s_sink += (uint64_t) sum;
    *records = n;
    return t;
}

//  Baseline and candidate alternate, best of five each: both see the same
//  machine load (the build box is shared) and a warm page cache.
static void
s_pair(double (*base)(const char *, uint64_t *), double (*cand)(const char *, uint64_t *),
       const char *path, uint64_t *base_out, uint64_t *cand_out, double *tb, double *tc)
{
    *tb = *tc = 1e9;
    for (int i = 0; i < 5; i++) {
        double t = base(path, base_out);
        *tb = t < *tb ? t : *tb;
        t = cand(path, cand_out);
        *tc = t < *tc ? t : *tc;
    }
}

int
main(void)
{
    const char *mb_env = getenv("BENCH_DBN_MB");
    size_t mb = mb_env ? (size_t) atol(mb_env) : 200;
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[512], plain[600], zst[600];
    snprintf(dir, sizeof(dir), "%s/bench-dbn-XXXXXX", tmpdir);
    if (!mkdtemp(dir)) {
        perror("bench-dbn: mkdtemp");
        return 1;
    }
    snprintf(plain, sizeof(plain), "%s/mixed.dbn", dir);
    snprintf(zst, sizeof(zst), "%s/mixed.dbn.zst", dir);
    double t0 = s_now();
    uint64_t generated = s_generate(plain, zst, mb * 1000000);
    printf("generated %" PRIu64 " records (50%% trades, 35%% mbp-1, 15%% mbp-10) in %.1f s\n",
           generated, s_now() - t0);

    uint64_t bytes = 0, zbytes = 0, recs = 0, zrecs = 0;
    double raw, dec, zraw, zdec;
    s_pair(s_raw_read, s_decode, plain, &bytes, &recs, &raw, &dec);
    s_pair(s_raw_zstd, s_decode, zst, &zbytes, &zrecs, &zraw, &zdec);
    if (recs != generated || zrecs != generated || zbytes != bytes) {
        fprintf(stderr, "bench-dbn: mismatch: %" PRIu64 "/%" PRIu64 " records, %" PRIu64 "/%" PRIu64 " bytes\n",
                recs, zrecs, bytes, zbytes);
        return 1;
    }
    double mbytes = (double) bytes / 1e6;
    printf("plain  %.1f MB  raw read %.3f s (%.0f MB/s)   decode %.3f s (%.0f MB/s, %.1f M rec/s)  ratio %.2f\n",
           mbytes, raw, mbytes / raw, dec, mbytes / dec, (double) recs / dec / 1e6, dec / raw);
    printf("zstd   %.1f MB  raw decompress %.3f s (%.0f MB/s)   decode %.3f s (%.0f MB/s, %.1f M rec/s)  ratio %.2f\n",
           mbytes, zraw, mbytes / zraw, zdec, mbytes / zdec, (double) zrecs / zdec / 1e6, zdec / zraw);
    printf("(sink %" PRIu64 ")\n", s_sink & 1);
    unlink(plain);
    unlink(zst);
    rmdir(dir);
    printf("RESULT dbn_decode_plain %.0f MB/s ratio=%.2f vs raw_read\n", mbytes / dec, dec / raw);
    printf("RESULT dbn_decode_zstd %.0f MB/s ratio=%.2f vs zstd_raw_decompress\n", mbytes / zdec, zdec / zraw);
    return 0;
}
