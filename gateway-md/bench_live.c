/*  bench-live: records per second through the live client (TCP loopback
    from ofts-mock-databento-live, text phase, DBN decode, callback) against
    the baseline of decoding the same kind of records from memory with
    dbn_decoder alone. The ratio says what the network path costs.
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

#define N_RECORDS 300000
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
    size_t cap = 512 + (size_t) N_RECORDS * 80;
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
        return 1;
    }
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
    kill(mock, SIGTERM);
    waitpid(mock, NULL, 0);
    unlink(path);
    if (s_data < N_RECORDS) {
        fprintf(stderr, "bench-live: only %llu of %d records arrived\n", (unsigned long long) s_data, N_RECORDS);
        return 1;
    }
    double secs = (double) (t1 - first) / 1e9;
    double rate = (double) s_data / secs;
    printf("live: connect+auth+subscribe to first record %.2f ms\n", (double) (first - t0) / 1e6);
    printf("live: %d records (trades + mbp-1, %zu bytes) in %.3f s = %.0f rec/s over loopback\n",
           N_RECORDS, len, secs, rate);
    printf("memory decode baseline: %.0f rec/s\n", mem);
    printf("RESULT live_client_rate %.0f rec/s ratio=%.3f vs dbn_decode_mem\n", rate, rate / mem);
    return 0;
}
