/*  ofts-alerts - tells the trader, on the phone, when something happens.

    Listens to risk (approvals, account states), gateway-order (fills, its
    own state) and every service's heartbeat, through the same per-publisher
    trust checks as any service (docs/security.md), and turns chosen events
    into alerts (alert_rules) that pass the de-duplication and rate limit
    (alert_gate) and go to the webhooks named in the environment
    (alert_sink) on a sender thread with its own queue (alert_sender): the
    bus loop never waits on the network. docs/alerts.md.                  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alert_gate.h"
#include "alert_rules.h"
#include "alert_sender.h"
#include "alert_sink.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "ofts_service.h"

#define SERVICE "alerts"
#define MAX_PEERS 16

typedef struct {
    ofts_service_t *svc;
    alert_rules_t *rules;
    alert_gate_t *gate;
    alert_sender_t *sender;
    size_t nsinks;
    uint64_t alerts;
} app_t;

typedef struct {
    alert_rules_config_t rules;
    alert_gate_config_t gate;
    alert_sender_config_t sender;
    const char *telegram_api;
} settings_t;

static void
s_read_events(ofts_cfgsec_t *sec, settings_t *set)
{
    json_t *events = ofts_cfgsec_json(sec, "events");
    if (!events) {
        for (int k = 0; k < ALERT_KINDS; k++)
            set->gate.enabled[k] = true;
        return;
    }
    size_t i;
    json_t *v;
    if (!json_is_array(events))
        ofts_cfgsec_fail(sec, "events", "expected an array of event names");
    json_array_foreach(events, i, v) {
        int k = json_is_string(v) ? alert_kind_parse(json_string_value(v)) : -1;
        if (k < 0) {
            ofts_cfgsec_fail(sec, "events", "unknown event '%s' (signal_approved, entry_filled, stop_hit, "
                             "target_hit, daily_loss_warn, halt, service_down, bus_gap, broker_disconnected)",
                             json_is_string(v) ? json_string_value(v) : "?");
            return;
        }
        set->gate.enabled[k] = true;
    }
}

static void
s_read_settings(ofts_cfgsec_t *sec, settings_t *set, int heartbeat_timeout_ms)
{
    ofts_cfgsec_bool(sec, "enabled", false);            //  the launcher's: start us or not
    s_read_events(sec, set);
    set->gate.dedup_ns = ofts_cfgsec_int_range(sec, "dedup_seconds", 300, 0, 86400) * OFTS_NS_PER_SEC;
    set->gate.per_minute = (int) ofts_cfgsec_int_range(sec, "per_minute", 10, 0, 60);
    set->rules.loss_warn_pct = (int) ofts_cfgsec_int_range(sec, "loss_warn_pct", 80, 0, 100);
    set->rules.broker_grace_ns = ofts_cfgsec_int_range(sec, "broker_grace_ms", 5000, 0, 600000) * 1000000LL;
    set->rules.heartbeat_timeout_ns = (int64_t) heartbeat_timeout_ms * 1000000LL;
    set->sender.timeout_ms = (int) ofts_cfgsec_int_range(sec, "timeout_ms", 5000, 100, 120000);
    set->sender.retry_min_ms = (int) ofts_cfgsec_int_range(sec, "retry_min_ms", 1000, 1, 600000);
    set->sender.retry_max_ms = (int) ofts_cfgsec_int_range(sec, "retry_max_ms", 60000, 1, 3600000);
    set->sender.max_attempts = (int) ofts_cfgsec_int_range(sec, "max_attempts", 8, 1, 1000);
    set->sender.queue_max = (int) ofts_cfgsec_int_range(sec, "queue_max", 1000, 1, 100000);
    set->telegram_api = ofts_cfgsec_string(sec, "telegram_api", "https://api.telegram.org");
    if (set->sender.retry_max_ms < set->sender.retry_min_ms)
        ofts_cfgsec_fail(sec, "retry_max_ms", "must be >= retry_min_ms");
}

static void
s_emit(void *arg, const alert_t *alert)
{
    app_t *app = arg;
    alert_t a = *alert;
    if (!alert_gate_pass(app->gate, &a, ofts_clock_now_ns()))
        return;
    app->alerts++;
    log_info("ALERT %s: %s - %s", alert_kind_name(a.kind), a.title, a.text);
    if (app->sender)
        alert_sender_push(app->sender, &a);
}

static void
s_state(app_t *app)
{
    alert_sender_stats_t st = { 0 };
    if (app->sender)
        alert_sender_stats(app->sender, &st);
    ofts_service_set_state(app->svc, "running: %zu sinks, alerts %llu, delivered %llu, waiting %llu, failed %llu",
                           app->nsinks, (unsigned long long) app->alerts, (unsigned long long) st.delivered,
                           (unsigned long long) st.waiting, (unsigned long long) st.failed);
}

static void
s_on_message(ofts_service_t *svc, const char *topic, Ofts__Envelope *env, void *arg)
{
    (void) svc;
    alert_rules_on_message(((app_t *) arg)->rules, topic, env, ofts_clock_now_ns());
}

static void
s_on_gap(void *arg, const char *source, const char *topic, uint64_t missing)
{
    alert_rules_on_gap(((app_t *) arg)->rules, source, topic, missing, ofts_clock_now_ns());
}

static void
s_on_tick(ofts_service_t *svc, int64_t now_ns, void *arg)
{
    (void) svc;
    app_t *app = arg;
    alert_rules_tick(app->rules, now_ns);
    s_state(app);
}

//  What we listen to: risk's and gateway-order's outcomes, and everyone's
//  heartbeat (on each publisher's own socket, so each is trust-checked).
static int
s_listen(app_t *app)
{
    ofts_service_t *svc = app->svc;
    int rc = 0;
    if (ofts_service_endpoint(svc, "risk", "pub"))
        rc |= ofts_service_listen(svc, "risk", "risk.order.") | ofts_service_listen(svc, "risk", "risk.account.");
    if (ofts_service_endpoint(svc, "gateway-order", "pub"))
        rc |= ofts_service_listen(svc, "gateway-order", "exec.fill.")
            | ofts_service_listen(svc, "gateway-order", "exec.account.");
    const char *peers[MAX_PEERS];
    size_t n = ofts_service_peers(svc, peers, MAX_PEERS);
    for (size_t i = 0; i < n; i++) {
        char prefix[80];
        snprintf(prefix, sizeof prefix, "sys.heartbeat.%s.", peers[i]);
        if (strcmp(peers[i], SERVICE) != 0 && ofts_service_endpoint(svc, peers[i], "pub"))
            rc |= ofts_service_listen(svc, peers[i], prefix);
    }
    return rc ? -1 : 0;
}

int
main(int argc, char **argv)
{
    ofts_service_t *svc = ofts_service_new(SERVICE, argc, argv);
    if (!svc)
        return ofts_service_exit_code();
    if (ofts_service_no_args(svc) != 0) {
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    settings_t set = { 0 };
    ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(svc), SERVICE);
    s_read_settings(sec, &set, ofts_service_heartbeat_timeout_ms(svc));
    alert_sink_t sinks[8];
    char err[200];
    app_t app = { .svc = svc };
    app.nsinks = alert_sinks_from_env(sinks, 8, set.telegram_api, err, sizeof err);
    if (ofts_service_config_done(svc, &sec) != 0) {
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    if (*err)
        log_warn("%s", err);
    if (ofts_service_check_only(svc)) {
        ofts_service_destroy(&svc);
        return 0;
    }
    if (app.nsinks == 0)
        log_warn("no webhook in the environment (OFTS_ALERT_*_URL, docs/alerts.md): alerts go to this log only");
    for (size_t i = 0; i < app.nsinks; i++)
        log_info("sink %s", alert_sink_name(sinks[i].type));      //  the type only: URLs are secrets
    app.gate = alert_gate_new(&set.gate);
    app.rules = alert_rules_new(&set.rules, s_emit, &app);
    if (app.nsinks)
        app.sender = alert_sender_new(&set.sender, sinks, app.nsinks);
    memset(sinks, 0, sizeof sinks);
    int rc = OFTS_EXIT_CONFIG;
    if (s_listen(&app) == 0) {
        ofts_bus_set_gap_handler(ofts_service_bus(svc), s_on_gap, &app);
        ofts_service_on_message(svc, s_on_message, &app);
        ofts_service_on_tick(svc, 250, s_on_tick, &app);
        s_state(&app);
        rc = ofts_service_run(svc);
    }
    alert_sender_destroy(&app.sender);
    alert_rules_destroy(&app.rules);
    alert_gate_destroy(&app.gate);
    ofts_service_destroy(&svc);
    return rc;
}
