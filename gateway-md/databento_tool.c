/*  ofts-databento - Databento from the command line (the `ofts databento`
    launcher forwards here).

      ofts-databento download --dataset GLBX.MDP3 --symbols GC.FUT,NQ.FUT
          --stype-in parent --schema mbp-10 --start 2025-12-01 --end 2025-12-02
          -o FILE [--base-url URL] [--compression zstd|none] [--limit N]
          [--max-retries N] [--timeout S] [--no-verify] [--quiet] [--config FILE]
      ofts-databento cost|count --dataset .. --symbols .. --schema .. --start ..
          [--end ..]: what the same download would cost / how many records
      ofts-databento live --live [--config FILE] [--symbols ..] [--schemas ..]
          [--stype-in ..] [--compression none|zstd] [--count N] [--seconds S]
      ofts-databento live --host 127.0.0.1 --port P ...   (a local gateway/mock)

    The key comes from DATABENTO_API_KEY (or DATABENTO_API_KEY_FILE, 0600).
    `live` reaches the real gateway only with --live; with --host it talks to
    the given host. Defaults come from config gateway_md.historical /
    gateway_md.live, flags override. Exit: 0 ok, 1 failed, 2 usage/config.  */
#include "hist_client.h"
#include "live_client.h"
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_log.h"
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t s_stop;
static void s_on_signal(int sig) { (void) sig; s_stop = 1; }

static void s_usage_to(FILE *out)
{
    fprintf(out,
            "usage: ofts-databento download --dataset D --symbols S1,S2 --schema SCHEMA --start T [--end T]\n"
            "                               -o FILE [--stype-in parent] [--base-url URL] [--compression zstd|none]\n"
            "                               [--limit N] [--max-retries N] [--timeout S] [--no-verify] [--quiet]\n"
            "       ofts-databento cost|count  (same request flags, no -o): price / record count first\n"
            "       ofts-databento live (--live | --host H [--port P]) [--dataset D] [--symbols S] [--schemas a,b]\n"
            "                               [--stype-in T] [--compression none|zstd] [--count N] [--seconds S]\n"
            "       common: --config FILE, --log-level LEVEL, --help; key from DATABENTO_API_KEY\n"
            "       (also --stype-out T, --output FILE for -o)\n");
}

static int s_usage(void)
{
    s_usage_to(stderr);
    return 2;
}

//  An argument none of the sub-commands takes: say which.
static int s_unknown(const char *arg)
{
    fprintf(stderr, "ofts-databento: unknown flag '%s'\n", arg);
    return s_usage();
}

//  Read our sections of the config; other gateway_md keys belong to other
//  modules, so only problems inside live/historical are fatal here.
static int s_load_config(const char *path, hist_request_t *hreq, live_client_config_t *lcfg, ofts_config_t **cfg_p)
{
    char err[512];
    ofts_config_t *cfg = ofts_config_load(path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    ofts_cfgsec_t *sec = ofts_config_section(cfg, "gateway_md");
    hist_request_config_read(hreq, sec);
    live_client_config_read(lcfg, sec);
    if (ofts_cfgsec_finish(&sec, err, sizeof err)
        && (strstr(err, "gateway_md.historical") || strstr(err, "gateway_md.live"))) {
        fprintf(stderr, "%s\n", err);
        ofts_config_destroy(&cfg);
        return -1;
    }
    *cfg_p = cfg;
    return 0;
}

//  download, or the metadata questions (cost, count) about the same request
static int s_historical(const char *what, int argc, char **argv, hist_request_t *req)
{
    bool download = strcmp(what, "download") == 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-verify") == 0) { req->verify = false; continue; }
        if (strcmp(a, "--quiet") == 0) { req->progress = false; continue; }
        if (!v) return s_unknown(a);
        i++;
        if (strcmp(a, "--dataset") == 0) req->dataset = v;
        else if (strcmp(a, "--symbols") == 0) req->symbols = v;
        else if (strcmp(a, "--schema") == 0) req->schema = v;
        else if (strcmp(a, "--start") == 0) req->start = v;
        else if (strcmp(a, "--end") == 0) req->end = v;
        else if (strcmp(a, "--stype-in") == 0) req->stype_in = v;
        else if (strcmp(a, "--stype-out") == 0) req->stype_out = v;
        else if (strcmp(a, "--compression") == 0) req->compression = v;
        else if (strcmp(a, "--base-url") == 0) req->base_url = v;
        else if (strcmp(a, "--limit") == 0) req->limit = strtoull(v, NULL, 10);
        else if (strcmp(a, "--max-retries") == 0) req->max_retries = atoi(v);
        else if (strcmp(a, "--timeout") == 0) req->timeout_s = atoi(v);
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) req->output = v;
        else return s_unknown(a);
    }
    if (!req->symbols || !req->schema || !req->start || (download && !req->output)) {
        fprintf(stderr, "ofts-databento %s: --symbols, --schema, --start%s are required\n", what,
                download ? " and -o" : "");
        return 2;
    }
    char *key = ofts_config_secret("DATABENTO_API_KEY");
    if (!key) {
        fprintf(stderr, "ofts-databento: DATABENTO_API_KEY is not set\n");
        return 2;
    }
    req->api_key = key;
    hist_result_t res;
    int rc;
    if (download) {
        rc = hist_download(req, &res);
    } else {
        double v = 0;
        bool cost = strcmp(what, "cost") == 0;
        rc = hist_metadata_number(req, cost ? "metadata.get_cost" : "metadata.get_record_count", &v, &res);
        if (rc == 0 && cost)
            printf("%.2f USD\n", v);
        else if (rc == 0)
            printf("%.0f records\n", v);
    }
    free(key);
    if (rc)
        fprintf(stderr, "ofts-databento: %s\n", res.error);
    return rc ? 1 : 0;
}

typedef struct {
    long count, limit;
} live_sink_t;

static void s_print_field(const dbn_field_value_t *f, int level, void *arg)
{
    (void) arg;
    if (level > 0)
        return;                 //  top of book only on the line
    if (f->type == DBN_FT_STR)
        printf(" %s%s=%s", level == 0 ? "l0." : "", f->name, f->s);
    else if (f->type == DBN_FT_CHAR)
        printf(" %s%s=%c", level == 0 ? "l0." : "", f->name, f->i ? (char) f->i : '-');
    else if (f->type == DBN_FT_I8 || f->type == DBN_FT_I16 || f->type == DBN_FT_I32 || f->type == DBN_FT_I64
             || f->type == DBN_FT_PRICE)
        printf(" %s%s=%lld", level == 0 ? "l0." : "", f->name, (long long) f->i);
    else
        printf(" %s%s=%llu", level == 0 ? "l0." : "", f->name, (unsigned long long) f->u);
}

static void s_on_live_record(const dbn_record_t *rec, dbn_decoder_t *dec, void *arg)
{
    live_sink_t *sink = arg;
    if (sink->limit > 0 && sink->count >= sink->limit)
        return;                 //  rest of the read batch after --count
    const char *sym = dbn_decoder_symbol(dec, rec->instrument_id);
    const char *name = dbn_rtype_name(rec->rtype);
    printf("%s instrument_id=%u symbol=%s ts_event=%llu", name ? name : "?", rec->instrument_id,
           sym ? sym : "?", (unsigned long long) rec->ts_event);
    dbn_record_fields(rec, s_print_field, NULL);
    printf("\n");
    fflush(stdout);
    sink->count++;
    if (sink->limit > 0 && sink->count >= sink->limit)
        s_stop = 1;
}

static int s_live(int argc, char **argv, live_client_config_t *cfg)
{
    bool live_flag = false;
    long seconds = 0;
    live_sink_t sink = { 0, 0 };
    char schemas[256] = "";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--live") == 0) { live_flag = true; continue; }
        if (!v) return s_unknown(a);
        i++;
        if (strcmp(a, "--host") == 0) cfg->host = v;
        else if (strcmp(a, "--port") == 0) cfg->port = atoi(v);
        else if (strcmp(a, "--dataset") == 0) cfg->dataset = v;
        else if (strcmp(a, "--symbols") == 0) cfg->symbols = v;
        else if (strcmp(a, "--stype-in") == 0) cfg->stype_in = v;
        else if (strcmp(a, "--schemas") == 0) snprintf(schemas, sizeof schemas, "%s", v);
        else if (strcmp(a, "--count") == 0) sink.limit = atol(v);
        else if (strcmp(a, "--compression") == 0) cfg->zstd = strcmp(v, "zstd") == 0;
        else if (strcmp(a, "--seconds") == 0) seconds = atol(v);
        else return s_unknown(a);
    }
    if (schemas[0]) {
        cfg->n_schemas = 0;
        char *save = NULL;
        for (char *t = strtok_r(schemas, ",", &save); t && cfg->n_schemas < LIVE_MAX_SCHEMAS;
             t = strtok_r(NULL, ",", &save))
            cfg->schemas[cfg->n_schemas++] = t;
    }
    //  The real gateway only on purpose: --live, or an explicit host.
    if (!live_flag && (!cfg->host || !*cfg->host)) {
        fprintf(stderr, "ofts-databento live: refusing to contact Databento without --live "
                        "(or give --host for a local gateway)\n");
        return 2;
    }
    char *key = ofts_config_secret("DATABENTO_API_KEY");
    if (!key) {
        fprintf(stderr, "ofts-databento: DATABENTO_API_KEY is not set\n");
        return 2;
    }
    cfg->api_key = key;
    live_client_t *lc = live_client_new(cfg, s_on_live_record, &sink);
    free(key);                  //  the client keeps its own copy
    if (!lc)
        return 2;
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    int64_t end = seconds > 0 ? ofts_clock_mono_ns() + seconds * OFTS_NS_PER_SEC : 0;
    live_client_connect(lc);
    while (!s_stop && live_client_state(lc) != LIVE_FAILED && (!end || ofts_clock_mono_ns() < end)) {
        int fd = live_client_fd(lc);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, fd >= 0 ? 1 : 0, 100) > 0)
            live_client_on_readable(lc);
        live_client_tick(lc, ofts_clock_mono_ns());
    }
    live_client_stats_t st;
    live_client_stats(lc, &st);
    //  A run that never got a session failed, however it ended (time limit,
    //  signal): the caller must not mistake it for a quiet market.
    int rc = live_client_state(lc) == LIVE_FAILED || st.sessions == 0 ? 1 : 0;
    if (st.sessions == 0 && live_client_state(lc) != LIVE_FAILED)
        log_error("live: no session was established in %llu connection attempt(s); last error: %s",
                  (unsigned long long) st.connects, *live_client_error(lc) ? live_client_error(lc) : "none");
    log_info("live: %llu records, %llu heartbeats, %llu sessions, %llu connection attempts, %llu reconnects",
             (unsigned long long) st.records, (unsigned long long) st.heartbeats, (unsigned long long) st.sessions,
             (unsigned long long) st.connects, (unsigned long long) st.reconnects);
    live_client_destroy(&lc);
    return rc;
}

int main(int argc, char **argv)
{
    ofts_log_init("databento", OFTS_LOG_INFO);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_usage_to(stdout);
            return 0;
        }
    if (argc < 2)
        return s_usage();
    if (argv[1][0] == '-')
        return s_unknown(argv[1]);
    const char *config = NULL;
    //  pull out the common flags, keep the rest in order
    char **rest = calloc((size_t) argc, sizeof *rest);
    int n = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            int level = ofts_log_level_parse(argv[++i]);
            if (level < 0) {
                free(rest);
                return s_usage();
            }
            ofts_log_set_level((ofts_log_level_t) level);
        } else
            rest[n++] = argv[i];
    }
    hist_request_t hreq;
    live_client_config_t lcfg;
    hist_request_defaults(&hreq);
    live_client_config_defaults(&lcfg);
    ofts_config_t *cfg = NULL;
    int rc;
    //  No config file at all is fine (built-in defaults); a broken one is not.
    const char *path = config ? config : ofts_config_default_path();
    if ((config || access(path, R_OK) == 0) && s_load_config(path, &hreq, &lcfg, &cfg))
        rc = 2;
    else if (strcmp(argv[1], "download") == 0 || strcmp(argv[1], "cost") == 0 || strcmp(argv[1], "count") == 0)
        rc = s_historical(argv[1], n, rest, &hreq);
    else if (strcmp(argv[1], "live") == 0)
        rc = s_live(n, rest, &lcfg);
    else
        rc = s_usage();
    ofts_config_destroy(&cfg);
    free(rest);
    return rc;
}
