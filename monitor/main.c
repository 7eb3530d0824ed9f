/*  ofts-monitor - watch any topic prefix on any service.

    ofts-monitor [--config F] [--json] [--endpoint E ...] [--count N]
                 [--duration-ms T] [--service] [--dashboard [--refresh-ms N]]
                 [--web HOST:PORT [--web-commands]] [PREFIX ...]

    Prints every decoded message on the prefixes (all when none): one line
    each, or one JSON object per line with --json (fit for jq). Gaps and
    services whose heartbeat stopped are reported in the same stream.
    --service is how `ofts up` runs it: it heartbeats like any service and
    writes the activity log (signals, orders, fills, positions, health)
    instead of every message. --dashboard shows the live overview instead,
    redrawn in place. --web serves the live web view (docs/monitor.md)
    instead of printing; with --service and monitor.web.enabled, `ofts up`
    runs it beside the activity log.                                       */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "dashboard.h"
#include "health.h"
#include "web.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include "ofts_msg.h"
#include "ofts_service.h"

#define MAX_PREFIXES 32
#define MAX_ENDPOINTS 16

typedef struct {
    ofts_service_t *svc;
    health_t *health;
    bool json;
    bool service_mode;
    dashboard_t *dashboard;
    int refresh_ms;
    int64_t next_render_ns;
    web_config_t web_cfg;
    const char *web_listen;         //  --web HOST:PORT
    bool web_commands;              //  --web-commands
    web_t *web;
    const char *prefixes[MAX_PREFIXES];
    int nprefixes;
    const char *endpoints[MAX_ENDPOINTS];
    int nendpoints;
    long count_limit;
    long printed;
    long duration_ms;
    int64_t started_ns;
    //  Service mode: the session's tally, logged when the monitor stops.
    struct {
        char symbol[16];
        int32_t position;
        int64_t realized_cents, unrealized_cents;   //  net of fees
        int64_t fees_cents;
        uint32_t fills;
    } tally[16];
    int ntally;
    uint64_t signals, orders, rejects;
} monitor_t;

static int
s_tally(monitor_t *self, const char *symbol)
{
    for (int i = 0; i < self->ntally; i++)
        if (strcmp(self->tally[i].symbol, symbol) == 0)
            return i;
    if (self->ntally == 16)
        return -1;
    memset(&self->tally[self->ntally], 0, sizeof self->tally[0]);
    snprintf(self->tally[self->ntally].symbol, sizeof self->tally[0].symbol, "%s", symbol);
    return self->ntally++;
}

static void
s_count(monitor_t *self, const Ofts__Envelope *env)
{
    int i;
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_SIGNAL: self->signals++; break;
    case OFTS__ENVELOPE__BODY_ORDER_REQUEST: self->orders++; break;
    case OFTS__ENVELOPE__BODY_RISK_REJECT: self->rejects++; break;
    case OFTS__ENVELOPE__BODY_FILL:
        if ((i = s_tally(self, env->fill->symbol)) >= 0) {
            self->tally[i].fills++;
            self->tally[i].fees_cents += env->fill->fees_cents;
        }
        break;
    case OFTS__ENVELOPE__BODY_POSITION:
        if ((i = s_tally(self, env->position->symbol)) >= 0) {
            self->tally[i].position = env->position->quantity;
            self->tally[i].realized_cents = env->position->realized_pnl_cents;
            self->tally[i].unrealized_cents = env->position->unrealized_pnl_cents;
        }
        break;
    default:
        break;
    }
}

//  One line per symbol and a total: what the session made, as gateway-order
//  last reported it, with fees, and why a position is still open.
static void
s_log_summary(monitor_t *self)
{
    int64_t realized = 0, unrealized = 0, fees = 0;
    char a[32], b[32], c[32];
    log_info("SUMMARY signals %llu, orders %llu, rejects %llu", (unsigned long long) self->signals,
             (unsigned long long) self->orders, (unsigned long long) self->rejects);
    for (int i = 0; i < self->ntally; i++) {
        log_info("SUMMARY %-3s fills %u, position %+d, realized %s net of %s fees, unrealized %s%s", self->tally[i].symbol,
                 self->tally[i].fills, self->tally[i].position,
                 ofts_money_fmt(self->tally[i].realized_cents, false, a, sizeof a),
                 ofts_money_fmt(self->tally[i].fees_cents, false, c, sizeof c),
                 ofts_money_fmt(self->tally[i].unrealized_cents, false, b, sizeof b),
                 self->tally[i].position ? " - still open: the data ended before its stop or target was hit "
                                           "(on a live account the bracket stays at the broker)" : "");
        realized += self->tally[i].realized_cents;
        unrealized += self->tally[i].unrealized_cents;
        fees += self->tally[i].fees_cents;
    }
    log_info("SUMMARY total realized %s net of %s fees, unrealized %s", ofts_money_fmt(realized, false, a, sizeof a),
             ofts_money_fmt(fees, false, c, sizeof c), ofts_money_fmt(unrealized, false, b, sizeof b));
}

static bool
s_wanted(monitor_t *self, const char *topic)
{
    if (self->nprefixes == 0)
        return true;
    for (int i = 0; i < self->nprefixes; i++)
        if (strncmp(topic, self->prefixes[i], strlen(self->prefixes[i])) == 0)
            return true;
    return false;
}

static void
s_print_json(json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (text) {
        fputs(text, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        free(text);
    }
    json_decref(obj);
}

static void
s_count_printed(monitor_t *self)
{
    self->printed++;
    if (self->count_limit > 0 && self->printed >= self->count_limit)
        ofts_service_stop(self->svc);
}

static void
s_on_health(void *arg, health_event_t event, const health_entry_t *e)
{
    monitor_t *self = arg;
    if (event == HEALTH_LOST)
        log_warn("service %s heartbeat stopped (pid %u, state '%s')", e->service, e->pid, e->state);
    else if (event == HEALTH_RESTARTED)
        log_warn("service %s restarted (pid now %u)", e->service, e->pid);
    else
        log_info("service %s %s (pid %u, state '%s')", e->service,
                 event == HEALTH_BACK ? "heartbeat back" : "up", e->pid, e->state);
    if (self->service_mode || self->dashboard || self->web || event == HEALTH_SEEN)
        return;
    if (self->json) {
        json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "type", "health", "event", health_event_name(event),
                              "pid", (json_int_t) e->pid, "service", e->service);
        s_print_json(o);
    }
    else {
        printf("! health %s %s pid=%u\n", e->service, health_event_name(event), e->pid);
        fflush(stdout);
    }
}

static void
s_on_gap(void *arg, const char *source, const char *topic, uint64_t missing)
{
    monitor_t *self = arg;
    if (self->dashboard)
        dashboard_on_gap(self->dashboard, source, missing);
    if (self->web)
        web_on_gap(self->web, source, missing);
    if (self->service_mode || self->dashboard || self->web)
        return;                     //  the bus already logged it
    if (self->json)
        s_print_json(json_pack("{s:s, s:s, s:s, s:I}", "type", "gap", "source", source, "topic", topic,
                               "missing", (json_int_t) missing));
    else {
        printf("! gap %s %s missing=%llu\n", source, topic, (unsigned long long) missing);
        fflush(stdout);
    }
}

//  A change of trading state (risk's, or gateway-order's own: its store
//  failed, a kill holds it) is news for the operator: one line when it
//  changes, not one per message.
//  Per publisher and account (risk.accounts: each account's state is its
//  own; one slot for both alternated, a line per message).
static int *
s_last_state(bool gateway, const char *account)
{
    static struct { bool gateway; char account[48]; int state; } s_last[16];
    static int s_n;
    for (int i = 0; i < s_n; i++)
        if (s_last[i].gateway == gateway && strcmp(s_last[i].account, account) == 0)
            return &s_last[i].state;
    int i = s_n < 16 ? s_n++ : 15;
    s_last[i].gateway = gateway;
    snprintf(s_last[i].account, sizeof s_last[i].account, "%s", account);
    s_last[i].state = -1;
    return &s_last[i].state;
}

static void
s_log_account(const char *topic, const Ofts__AccountState *a)
{
    bool gateway = strncmp(topic, "exec.", 5) == 0;
    int *last = s_last_state(gateway, a->account_id ? a->account_id : "");
    if ((int) a->state == *last)
        return;
    bool first = *last == -1;
    *last = (int) a->state;
    const char *who = gateway ? "gateway-order" : "risk";
    const char *name = a->state == OFTS__TRADING_STATE__STATE_ACTIVE ? "ACTIVE"
                     : a->state == OFTS__TRADING_STATE__STATE_REDUCING ? "REDUCING (exits only)" : "HALTED";
    const char *why = a->state_reason && *a->state_reason ? a->state_reason : "";
    if (a->state == OFTS__TRADING_STATE__STATE_ACTIVE) {
        if (!first)
            log_info("ACCOUNT %s ACTIVE again: entries allowed", who);
    }
    else
        log_warn("ACCOUNT %s %s%s%s", who, name, *why ? ": " : "", why);
}

//  The activity log: one line per thing a trader cares about.
static void
s_log_activity(const char *topic, Ofts__Envelope *env)
{
    char a[32], b[32], c[32], t[24];
    //  Every event at its market time (CT), not the wall clock of a replay;
    //  a fill or position carries none of its own: the market's latest.
    //  Only market messages carry market time: heartbeats, states and
    //  other service news are stamped with the wall clock, which is far
    //  ahead of a replay's data and would freeze the clock shown.
    static int64_t s_market_ns = 0;
    bool market = env->body_case == OFTS__ENVELOPE__BODY_SIGNAL || env->body_case == OFTS__ENVELOPE__BODY_METRICS
               || env->body_case == OFTS__ENVELOPE__BODY_TRADE || env->body_case == OFTS__ENVELOPE__BODY_BBO;
    if (market && env->header && env->header->ts_event > s_market_ns)
        s_market_ns = env->header->ts_event;
    //  Market data, metrics and heartbeats - nearly every message - log
    //  nothing: the time is formatted (CT) only in the lines that show it.
    switch (env->body_case) {
    case OFTS__ENVELOPE__BODY_SIGNAL: {
        Ofts__Signal *s = env->signal;
        log_info("%s SIGNAL %s %s entry %s stop %s target %s confidence %.2f: %s",
                 ofts_ct_time_fmt(s_market_ns, t, sizeof t), s->symbol,
                 s->direction == OFTS__SIDE__SIDE_BUY ? "BUY" : "SELL", ofts_price_str(s->entry, a, sizeof a),
                 ofts_price_str(s->stop, b, sizeof b), ofts_price_str(s->take_profit, c, sizeof c),
                 s->confidence, s->reasons);
        break;
    }
    case OFTS__ENVELOPE__BODY_ORDER_REQUEST: {
        Ofts__OrderRequest *o = env->order_request;
        log_info("%s ORDER %s %s %u %s entry %s stop %s target %s%s",
                 ofts_ct_time_fmt(s_market_ns, t, sizeof t), o->client_order_id,
                 o->side == OFTS__SIDE__SIDE_BUY ? "BUY" : "SELL", o->quantity, o->symbol,
                 ofts_price_str(o->entry, a, sizeof a), ofts_price_str(o->stop, b, sizeof b),
                 ofts_price_str(o->take_profit, c, sizeof c), o->reduce_only ? " reduce-only" : "");
        break;
    }
    case OFTS__ENVELOPE__BODY_RISK_REJECT:
        log_info("%s REJECT %s signal %s: %s",
                 ofts_ct_time_fmt(s_market_ns, t, sizeof t), env->risk_reject->symbol, env->risk_reject->signal_id,
                 env->risk_reject->text);
        break;
    case OFTS__ENVELOPE__BODY_FILL: {
        Ofts__Fill *f = env->fill;
        static const char *roles[] = { "entry", "stop", "target", "flatten" };
        log_info("%s FILL %s %s %u %s @ %s (%s) fees %s",
                 ofts_ct_time_fmt(s_market_ns, t, sizeof t), f->client_order_id,
                 f->side == OFTS__SIDE__SIDE_BUY ? "BUY" : "SELL", f->quantity, f->symbol,
                 ofts_price_str(f->price, a, sizeof a),
                 (unsigned) f->role < 4 ? roles[f->role] : "?",
                 ofts_money_fmt(f->fees_cents, false, b, sizeof b));
        break;
    }
    case OFTS__ENVELOPE__BODY_POSITION: {
        Ofts__Position *p = env->position;
        log_info("%s POSITION %s %+d @ %s realized %s unrealized %s%s",
                 ofts_ct_time_fmt(s_market_ns, t, sizeof t), p->symbol, p->quantity,
                 ofts_price_str(p->avg_price, a, sizeof a), ofts_money_fmt(p->realized_pnl_cents, false, b, sizeof b),
                 ofts_money_fmt(p->unrealized_pnl_cents, false, c, sizeof c),
                 p->quantity && !p->protected_ ? " UNPROTECTED" : "");
        break;
    }
    case OFTS__ENVELOPE__BODY_ORDER_UPDATE: {
        Ofts__OrderUpdate *u = env->order_update;
        if (u->status == OFTS__ORDER_STATUS__STATUS_REJECTED || u->status == OFTS__ORDER_STATUS__STATUS_UNKNOWN)
            log_warn("ORDER %s %s: %s", u->client_order_id,
                     protobuf_c_enum_descriptor_get_value(&ofts__order_status__descriptor, u->status)->name,
                     u->text);
        break;
    }
    case OFTS__ENVELOPE__BODY_ACCOUNT:
        s_log_account(topic, env->account);
        break;
    default:
        break;
    }
}

static void
s_on_message(ofts_service_t *svc, const char *topic, Ofts__Envelope *env, void *arg)
{
    (void) svc;
    monitor_t *self = arg;
    if (env->body_case == OFTS__ENVELOPE__BODY_HEARTBEAT && env->heartbeat->service)
        health_on_heartbeat(self->health, env->heartbeat, ofts_clock_now_ns());
    if (self->web)
        web_on_message(self->web, topic, env, ofts_clock_now_ns());
    if (self->service_mode) {
        s_count(self, env);
        s_log_activity(topic, env);
        return;
    }
    if (self->dashboard) {
        dashboard_on_message(self->dashboard, topic, env, ofts_clock_now_ns());
        return;
    }
    if (self->web)
        return;
    if (!s_wanted(self, topic))
        return;
    if (self->json) {
        json_t *o = ofts_msg_to_json(env, topic);
        ofts_msg_json_jq_safe(o);       //  ns timestamps survive jq: ISO + exact string
        s_print_json(o);
    }
    else {
        char *line = ofts_msg_to_line(env, topic);
        puts(line);
        fflush(stdout);
        free(line);
    }
    s_count_printed(self);
}

static void
s_on_tick(ofts_service_t *svc, int64_t now_ns, void *arg)
{
    monitor_t *self = arg;
    health_check(self->health, now_ns);
    if (self->web)
        web_tick(self->web, now_ns);
    if (self->dashboard && now_ns >= self->next_render_ns) {
        dashboard_render(self->dashboard, stdout, now_ns, isatty(STDOUT_FILENO));
        self->next_render_ns = now_ns + (int64_t) self->refresh_ms * OFTS_NS_PER_MS;
    }
    if (self->duration_ms > 0 && now_ns - self->started_ns > self->duration_ms * OFTS_NS_PER_MS)
        ofts_service_stop(svc);
}

static int
s_parse_args(monitor_t *self, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            self->json = true;
        else if (strcmp(a, "--service") == 0)
            self->service_mode = true;
        else if (strcmp(a, "--dashboard") == 0)
            self->refresh_ms = self->refresh_ms ? self->refresh_ms : 500;
        else if (strcmp(a, "--web") == 0 && i + 1 < argc)
            self->web_listen = argv[++i];
        else if (strcmp(a, "--web-commands") == 0)
            self->web_commands = true;
        else if (strcmp(a, "--refresh-ms") == 0 && i + 1 < argc)
            self->refresh_ms = atoi(argv[++i]);
        else if (strcmp(a, "--endpoint") == 0 && i + 1 < argc && self->nendpoints < MAX_ENDPOINTS)
            self->endpoints[self->nendpoints++] = argv[++i];
        else if (strcmp(a, "--count") == 0 && i + 1 < argc)
            self->count_limit = atol(argv[++i]);
        else if (strcmp(a, "--duration-ms") == 0 && i + 1 < argc)
            self->duration_ms = atol(argv[++i]);
        else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "ofts-monitor: unknown flag '%s' (see --help)\n", a);
            return -1;
        }
        else if (self->nprefixes < MAX_PREFIXES)
            self->prefixes[self->nprefixes++] = a;
    }
    return 0;
}

static int
s_connect(monitor_t *self)
{
    //  Heartbeats are always wanted: they drive the health report.
    if (self->nendpoints > 0) {
        for (int i = 0; i < self->nendpoints; i++) {
            if (ofts_service_listen_endpoint(self->svc, self->endpoints[i], "") != 0)
                return -1;
        }
        return 0;
    }
    const char *peers[32];
    size_t n = ofts_service_peers(self->svc, peers, 32);
    for (size_t i = 0; i < n; i++) {
        if (!ofts_service_endpoint(self->svc, peers[i], "pub"))
            continue;
        if (self->service_mode && strcmp(peers[i], "monitor") == 0)
            continue;
        if (ofts_service_listen(self->svc, peers[i], "") != 0)
            return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    ofts_service_usage("  [PREFIX...]       topic prefixes to show (default: everything)\n"
                       "  --json            one JSON object per line (jq-friendly timestamps)\n"
                       "  --dashboard       live overview in the terminal (80x24 and up)\n"
                       "  --refresh-ms N    dashboard refresh (default 500)\n"
                       "  --web HOST:PORT   live web view on this address (docs/monitor.md)\n"
                       "  --web-commands    let the web view send pause/resume/flatten/kill\n"
                       "  --endpoint EP     listen to this publisher instead of the config's\n"
                       "  --count N         stop after N messages\n"
                       "  --duration-ms N   stop after N ms\n"
                       "  --service         run as ofts up's monitor: heartbeat, activity log\n");
    ofts_service_t *svc = ofts_service_new("monitor", argc, argv);
    if (!svc)
        return ofts_service_exit_code();
    monitor_t self = { .svc = svc, .started_ns = ofts_clock_now_ns() };
    ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(svc), "monitor");
    int tick_ms = (int) ofts_cfgsec_int_range(sec, "check_ms", 250, 1, 60000);
    //  "own": each publisher's socket read here (ofts_bus_set_direct) - a
    //  watcher of the full md rate then costs half the CPU it did through a
    //  ZeroMQ SUB socket (docs/monitor.md); "zmq": the SUB socket.
    static const char *const readers[] = { "own", "zmq", NULL };
    ofts_bus_set_direct(ofts_service_bus(svc), ofts_cfgsec_choice(sec, "reader", "own", readers) == 0);
    ofts_cfgsec_t *web_sec = ofts_cfgsec_section(sec, "web");
    web_config_read(&self.web_cfg, web_sec);
    bool web_enabled = ofts_cfgsec_bool(web_sec, "enabled", false);
    if (ofts_service_config_done(svc, &sec) != 0) {
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    if (s_parse_args(&self, ofts_service_argc(svc), ofts_service_argv(svc)) != 0) {
        ofts_service_destroy(&svc);
        return 2;
    }
    if (ofts_service_check_only(svc)) {
        ofts_service_destroy(&svc);
        return 0;
    }
    if (!self.service_mode)
        ofts_service_no_pub(svc);
    if (self.web_listen || (web_enabled && self.service_mode)) {
        if (self.web_listen)
            snprintf(self.web_cfg.listen, sizeof self.web_cfg.listen, "%s", self.web_listen);
        self.web_cfg.commands = self.web_cfg.commands || self.web_commands;
        snprintf(self.web_cfg.config_path, sizeof self.web_cfg.config_path, "%s",
                 ofts_config_path(ofts_service_config(svc)));
    }
    if (self.refresh_ms > 0 && !self.service_mode) {
        self.dashboard = dashboard_new((int64_t) ofts_service_heartbeat_timeout_ms(svc) * OFTS_NS_PER_MS);
        struct winsize ws;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
            dashboard_set_size(self.dashboard, ws.ws_col, ws.ws_row);
        char hint[160];
        snprintf(hint, sizeof hint, "nothing is running on %s: start `ofts up --replay FILE` (or `make demo`)",
                 ofts_config_path(ofts_service_config(svc)));
        dashboard_set_hint(self.dashboard, hint);
        if (tick_ms > self.refresh_ms)
            tick_ms = self.refresh_ms;
    }
    self.health = health_new((int64_t) ofts_service_heartbeat_timeout_ms(svc) * OFTS_NS_PER_MS, s_on_health, &self);
    ofts_bus_set_gap_handler(ofts_service_bus(svc), s_on_gap, &self);
    if (*self.web_cfg.config_path) {
        self.web = web_new(&self.web_cfg, self.health, ofts_service_config(svc));
        if (!self.web) {
            health_destroy(&self.health);
            ofts_service_destroy(&svc);
            return 2;
        }
        //  The update rate bound needs a timer at least as fast.
        int period_ms = (int) (1000 / self.web_cfg.max_hz);
        if (tick_ms > period_ms / 2)
            tick_ms = period_ms / 2 > 10 ? period_ms / 2 : 10;
    }
    int rc = s_connect(&self);
    if (rc == 0) {
        ofts_service_on_message(svc, s_on_message, &self);
        ofts_service_on_tick(svc, tick_ms, s_on_tick, &self);
        rc = ofts_service_run(svc);
    }
    else
        rc = 2;
    if (self.dashboard)
        dashboard_render(self.dashboard, stdout, ofts_clock_now_ns(), false);
    if (self.service_mode)
        s_log_summary(&self);
    dashboard_destroy(&self.dashboard);
    web_destroy(&self.web);
    health_destroy(&self.health);
    ofts_service_destroy(&svc);
    return rc;
}
