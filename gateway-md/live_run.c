/*  live_run - see live_run.h. The zloop knows the client's socket through a
    poller that is moved whenever the client reconnects (new fd).            */
#include "live_run.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    ofts_service_t *svc;
    live_client_t *client;
    md_normalizer_t *norm;
    zmq_pollitem_t item;
    bool polling;
    bool failed;
    live_state_t last_state;
    uint64_t published, publish_errors;
    int64_t last_report;
} live_app_t;

static void s_emit(const char *topic, Ofts__Envelope *env, void *arg)
{
    live_app_t *app = arg;
    if (ofts_service_publish(app->svc, topic, env) == 0)
        app->published++;
    else
        app->publish_errors++;
}

static void s_on_record(const dbn_record_t *rec, dbn_decoder_t *dec, void *arg)
{
    live_app_t *app = arg;
    md_normalizer_process(app->norm, rec, dbn_decoder_symbol(dec, rec->instrument_id), s_emit, app);
}

static int s_on_readable(zloop_t *loop, zmq_pollitem_t *item, void *arg);

//  Keep the zloop poller on the client's current socket.
static void s_sync(live_app_t *app)
{
    zloop_t *loop = ofts_service_loop(app->svc);
    int fd = live_client_fd(app->client);
    if (app->polling && app->item.fd != fd) {
        zloop_poller_end(loop, &app->item);
        app->polling = false;
    }
    if (!app->polling && fd >= 0) {
        app->item = (zmq_pollitem_t) { .socket = NULL, .fd = fd, .events = ZMQ_POLLIN };
        if (zloop_poller(loop, &app->item, s_on_readable, app) == 0) {
            //  errors (RST, refused) must reach the client, not silently
            //  remove the poller (zloop's default for POLLERR)
            zloop_poller_set_tolerant(loop, &app->item);
            app->polling = true;
        }
    }
    live_state_t st = live_client_state(app->client);
    if (st != app->last_state) {
        app->last_state = st;
        ofts_service_set_state(app->svc, "live %s", live_client_state_name(st));
    }
    if (st == LIVE_FAILED && !app->failed) {
        app->failed = true;
        ofts_service_stop(app->svc);
    }
}

static int s_on_readable(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    live_app_t *app = arg;
    live_client_on_readable(app->client);
    s_sync(app);
    return 0;
}

static void s_on_tick(ofts_service_t *svc, int64_t now_ns, void *arg)
{
    (void) svc;
    (void) now_ns;
    live_app_t *app = arg;
    int64_t now = ofts_clock_mono_ns();
    live_client_tick(app->client, now);
    s_sync(app);
    if (now - app->last_report >= 60 * OFTS_NS_PER_SEC) {
        app->last_report = now;
        live_client_stats_t st;
        live_client_stats(app->client, &st);
        log_info("live: %llu records, %llu published, %llu heartbeats, %llu reconnects, %llu gateway errors",
                 (unsigned long long) st.records, (unsigned long long) app->published,
                 (unsigned long long) st.heartbeats, (unsigned long long) st.reconnects,
                 (unsigned long long) st.gateway_errors);
    }
}

int live_run(ofts_service_t *svc, const live_client_config_t *cfg, md_normalizer_t *norm)
{
    live_client_config_t c = *cfg;
    char *key = NULL;
    if (!c.api_key) {
        key = ofts_config_secret("DATABENTO_API_KEY");
        if (!key) {
            log_error("live: DATABENTO_API_KEY is not set");
            return OFTS_EXIT_CONFIG;
        }
        c.api_key = key;
    }
    live_app_t app = { .svc = svc, .norm = norm, .last_state = LIVE_IDLE };
    md_normalizer_t *own = NULL;
    if (!app.norm)
        app.norm = own = md_normalizer_new();
    app.client = live_client_new(&c, s_on_record, &app);
    if (key) {
        memset(key, 0, strlen(key));
        free(key);
    }
    if (!app.client) {
        md_normalizer_destroy(&own);
        return OFTS_EXIT_CONFIG;
    }
    app.last_report = ofts_clock_mono_ns();
    live_client_connect(app.client);
    s_sync(&app);
    ofts_service_on_tick(svc, 100, s_on_tick, &app);
    int rc = app.failed ? 1 : ofts_service_run(svc);
    if (app.failed) {
        //  The gateway rejected the key, dataset or licence: restarting
        //  would only hammer it. Tell the supervisor not to.
        log_error("live: %s; not retrying (exit %d: fix the key or subscription, then start again)",
                  live_client_error(app.client), OFTS_EXIT_FATAL);
        rc = OFTS_EXIT_FATAL;
    }
    if (app.polling)
        zloop_poller_end(ofts_service_loop(svc), &app.item);
    md_normalizer_stats_t ns = md_normalizer_stats(app.norm);
    live_client_stats_t st;
    live_client_stats(app.client, &st);
    log_info("live: stopped; %llu records, published %llu (trades %llu, bbo %llu, book %llu), "
             "unknown contracts %llu, publish errors %llu, reconnects %llu",
             (unsigned long long) st.records, (unsigned long long) app.published,
             (unsigned long long) ns.trades, (unsigned long long) ns.bbos, (unsigned long long) ns.books,
             (unsigned long long) ns.unknown, (unsigned long long) app.publish_errors,
             (unsigned long long) st.reconnects);
    live_client_destroy(&app.client);
    md_normalizer_destroy(&own);
    return rc;
}
