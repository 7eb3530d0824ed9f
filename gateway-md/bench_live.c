/*  bench-live: records per second through the live client (TCP loopback
    from ofts-mock-databento-live, text phase, DBN decode, callback) against
    the baseline of decoding the same kind of records from memory with
    dbn_decoder alone. The ratio says what the network path costs.
    Median of 5 sessions of 1 M records (trades and MBP-1, 64 MB).
    Last line: RESULT live_client_rate <rec/s> rec/s ratio=<live/mem> vs dbn_decode_mem */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "dbn_decoder.h"
#include "dbn_encoder.h"
#include "live_client.h"
#include "mock_dbn.h"
#include "ofts_clock.h"
#include "ofts_log.h"

#define N_RECORDS 1000000
#define ROUNDS 5
#define KEY "db-BenchBenchBenchBenchBenchBen01"

static uint64_t s_data;

static void s_on_record(const dbn_record_t *rec, dbn_decoder_t *dec, void *arg)
{
    (void) dec;
    (void) arg;
    if (rec->rtype == DBN_RTYPE_MBP0 || rec->rtype == DBN_RTYPE_MBP1)
        s_data++;
}

//  The stream both sides use: live metadata, a mapping, trades and mbp-1
//  alternating. Written to `path` for the mock (--file, so it only copies
//  bytes) and returned in memory for the baseline.
static uint8_t *s_make_stream(const char *path, size_t *lenp)
{
    size_t cap = 512 + (size_t) N_RECORDS * 80;     //  mbp-1 is the larger (80 bytes)
    uint8_t *buf = malloc(cap);
    size_t len = mock_dbn_metadata(buf, cap, 3, "GLBX.MDP3", 0xFFFF, 0xFF, MOCK_DBN_T0, false);
    dbn_record_t rec;
    mock_dbn_mapping(&rec, 1001, "GC.FUT", MOCK_DBN_T0);
    len += dbn_record_encode(&rec, 3, false, buf + len, cap - len);
    for (uint64_t i = 0; i < N_RECORDS; i++) {
        mock_dbn_record(&rec, i % 2 ? DBN_RTYPE_MBP1 : DBN_RTYPE_MBP0, i, 1001);
        len += dbn_record_encode(&rec, 3, false, buf + len, cap - len);
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len) {
        free(buf);
        if (f)
            fclose(f);
        return NULL;
    }
    fclose(f);
    *lenp = len;
    return buf;
}

//  Baseline: the same bytes decoded from memory, fed 64 KiB at a time.
static double s_decode_mem(const uint8_t *buf, size_t len)
{
    int64_t t0 = ofts_clock_mono_ns();
    dbn_decoder_t *dec = dbn_decoder_new();
    uint64_t n = 0;
    //  64 KiB at a time, like socket reads
    for (size_t off = 0; off < len; off += 65536) {
        dbn_decoder_feed(dec, buf + off, len - off < 65536 ? len - off : 65536);
        const dbn_record_t *rec;
        while (dbn_decoder_next(dec, &rec) == 1)
            n++;
    }
    double secs = (double) (ofts_clock_mono_ns() - t0) / 1e9;
    dbn_decoder_destroy(&dec);
    return (double) (n - 1) / secs;     //  data records (minus the mapping)
}

static pid_t s_start_mock(const char *file, int *port)
{
    char self[512], bin[600];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(bin, sizeof bin, "%s/ofts-mock-databento-live", self);
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        execl(bin, bin, "--key", KEY, "--file", file, "--heartbeat-ms", "1000", (char *) NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[32] = "";
    FILE *f = fdopen(fds[0], "r");
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    *port = atoi(line);
    return pid;
}

//  One session: connect, authenticate, subscribe, receive every record.
//  Records/s from the first record to the last; 0 when they did not arrive.
static double s_round(int port, double *first_ms)
{
    s_data = 0;
    live_client_config_t cfg;
    live_client_config_defaults(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = port;
    cfg.api_key = KEY;
    cfg.symbols = "GC.FUT";
    cfg.schemas[0] = "trades";
    cfg.schemas[1] = "mbp-1";
    cfg.n_schemas = 2;
    live_client_t *lc = live_client_new(&cfg, s_on_record, NULL);
    int64_t t0 = ofts_clock_mono_ns(), first = 0;
    live_client_connect(lc);
    int64_t deadline = t0 + 60 * OFTS_NS_PER_SEC;
    while (s_data < N_RECORDS && ofts_clock_mono_ns() < deadline) {
        struct pollfd p = { .fd = live_client_fd(lc), .events = POLLIN };
        if (poll(&p, p.fd >= 0 ? 1 : 0, 10) > 0)
            live_client_on_readable(lc);
        live_client_tick(lc, ofts_clock_mono_ns());
        if (!first && s_data)
            first = ofts_clock_mono_ns();
    }
    int64_t t1 = ofts_clock_mono_ns();
    live_client_destroy(&lc);
    if (s_data < N_RECORDS) {
        fprintf(stderr, "bench-live: only %llu of %d records arrived\n", (unsigned long long) s_data, N_RECORDS);
        return 0;
    }
    *first_ms = (double) (first - t0) / 1e6;
    return (double) s_data / ((double) (t1 - first) / 1e9);
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    ofts_log_init("bench-live", OFTS_LOG_WARN);
    char path[] = "/tmp/ofts-bench-live-XXXXXX";
    int tfd = mkstemp(path);
    if (tfd < 0)
        return 1;
    close(tfd);
    size_t len = 0;
    uint8_t *stream = s_make_stream(path, &len);
    if (!stream)
        return 1;
    double mem = s_decode_mem(stream, len);
    free(stream);
    int port = 0;
    pid_t mock = s_start_mock(path, &port);
    if (mock < 0 || port <= 0) {
        fprintf(stderr, "bench-live: cannot start ofts-mock-databento-live\n");
        unlink(path);
        return 1;
    }
    //  ROUNDS sessions against the same mock (it streams the file from the
    //  start for every connection); the median is reported because the two
    //  processes share the CPUs with whatever else runs.
    double rates[ROUNDS];
    int ok = 1;
    for (int round = 0; round < ROUNDS && ok; round++) {
        double first_ms = 0;
        rates[round] = s_round(port, &first_ms);
        ok = rates[round] > 0;
        if (ok)
            printf("live round %d: first record after %.2f ms; %d records (%zu bytes) at %.0f rec/s\n",
                   round + 1, first_ms, N_RECORDS, len, rates[round]);
    }
    kill(mock, SIGTERM);
    waitpid(mock, NULL, 0);
    unlink(path);
    if (!ok)
        return 1;
    qsort(rates, ROUNDS, sizeof rates[0], s_cmp);
    double rate = rates[ROUNDS / 2];
    printf("live: median %.0f rec/s over loopback (min %.0f, max %.0f)\n", rate, rates[0], rates[ROUNDS - 1]);
    printf("memory decode baseline: %.0f rec/s\n", mem);
    printf("RESULT live_client_rate %.0f rec/s ratio=%.3f vs dbn_decode_mem\n", rate, rate / mem);
    return 0;
}
