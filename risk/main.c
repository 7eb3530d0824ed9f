/*  ofts-risk - the only service that turns a signal into an order.

    Thin shell around risk_engine (risk_engine.h): reads config section
    "risk", opens and replays the journal, reconciles positions with
    gateway-order's snapshot (Clone pattern), then feeds the engine from the
    bus and publishes what it decides:
        in:  of.signal.*  md.trade.*  md.bbo.*  sys.heartbeat.gateway-md.  exec.*
        out: risk.order.<SYM>.  risk.reject.<SYM>.  risk.account.  risk.command.
    ctl: snapshot (risk.account., risk.position.*, risk.order.*, risk.working.*)
    and commands (pause, resume, flatten [symbol], kill).

    Exit codes: 0 clean stop, 2 config error, 3 journal unusable.           */
#include "ofts_clock.h"
#include "ofts_fs.h"
#include "ofts_log.h"
#include "ofts_service.h"
#include "ofts_command.h"
#include "risk_accounts.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_JOURNAL 3
#define TICK_MS 100
#define RECONCILE_RETRY_NS (5LL * OFTS_NS_PER_SEC)

typedef struct {
    ofts_service_t *svc;
    risk_engine_t *eng;             //  the first account's (the only one, usually)
    risk_journal_t *journal;        //  ... and its journal (holds the market clock)
    risk_config_t cfg;
    //  Several accounts (risk.accounts, docs/accounts.md): one engine and one
    //  journal each; with none listed, one account from the risk section.
    risk_accounts_t *ra;
    risk_account_config_t accounts[RISK_MAX_ACCOUNTS];
    int naccounts;
    risk_journal_t *journals[RISK_MAX_ACCOUNTS];
    const char *order_ctl;          //  gateway-order's ctl endpoint
    int64_t shift_ns;               //  --time-shift (tests, demos)
    bool market_clock;              //  risk.clock = "market": time = latest md ts_event
    int64_t market_ns;              //  latest md ts_event seen
    uint64_t md_seq;                //  seq of the last gateway-md message applied (Header.md_seq)
    uint64_t exec_seq;              //  and of gateway-order (Header.exec_seq)
    int64_t next_md_alive_ns;       //  market time of the next synthetic heartbeat
    uint64_t rewound;               //  md ignored since the market went back in time
    int64_t market_saved_ns;        //  market clock last written to the journal
    int64_t next_reconcile_ns;      //  monotonic
    bool reconcile_due;             //  a gap in gateway-order's stream, or its restart
    uint64_t order_epoch;           //  gateway-order's publisher epoch last seen
    int64_t floor_clear_ns;         //  monotonic; 0 = no floor set
} app_t;

//  How long the Clone-pattern floor stays: long enough for updates that
//  crossed the snapshot to be dropped, short enough that a gateway-order
//  restart (new epoch, seq from 1 again) is not mistaken for old news.
#define FLOOR_HOLD_NS (1000LL * OFTS_NS_PER_MS)

//  Replays run on market time: the cooldown, the session rules and the
//  stale-data guard then judge the data by its own clock, whatever the
//  wall clock says, exactly as the backtest does.
static int64_t
s_now(app_t *app)
{
    if (app->market_clock)
        return app->market_ns;          //  0 before the first market data: no time yet
    return ofts_clock_now_ns() + app->shift_ns;
}

//  false: market data from the past (a replay that restarted from the top of
//  its file), which must not price positions or trip the loss limits. A
//  second of slack keeps instruments whose event times interleave slightly.
#define REWIND_SLACK_NS OFTS_NS_PER_SEC

static bool
s_market_time(app_t *app, const Ofts__Envelope *env)
{
    if (!app->market_clock || !env->header || (env->body_case != OFTS__ENVELOPE__BODY_TRADE
                                               && env->body_case != OFTS__ENVELOPE__BODY_BBO))
        return true;
    if (app->market_ns && env->header->ts_event < app->market_ns - REWIND_SLACK_NS) {
        if (app->rewound++ == 0)
            log_warn("market data went back in time (replay restarted?): ignoring md older than the "
                     "market clock until it catches up");
        return false;
    }
    if (app->rewound) {
        log_info("market data caught up with the market clock (%llu older messages ignored)",
                 (unsigned long long) app->rewound);
        app->rewound = 0;
    }
    if (env->header->ts_event > app->market_ns)
        app->market_ns = env->header->ts_event;
    //  Market data flowing means gateway-md is alive: on market time its
    //  wall-clock heartbeats say nothing useful at 10x replay speed.
    if (app->market_ns >= app->next_md_alive_ns) {
        Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
        hb.service = "gateway-md";
        for (int i = 0; i < app->naccounts; i++)
            risk_engine_on_heartbeat(risk_accounts_engine(app->ra, i), &hb, app->market_ns);
        app->next_md_alive_ns = app->market_ns + 100 * OFTS_NS_PER_MS;
    }
    return true;
}

static void
s_publish(app_t *app, const char *kind, const char *symbol, Ofts__Envelope *env)
{
    //  What market data this decision saw: `ofts rerun` feeds exactly that.
    Ofts__Header header = OFTS__HEADER__INIT;
    header.md_seq = app->md_seq;
    header.exec_seq = app->exec_seq;
    env->header = &header;
    char topic[96];
    if (symbol)
        ofts_topic(topic, sizeof topic, kind, *symbol ? symbol : "_");
    else
        snprintf(topic, sizeof topic, "%s.", kind);
    ofts_bus_publish_ts(ofts_service_bus(app->svc), topic, env, s_now(app), 0);
    env->header = NULL;
}

//  --- engine callbacks: decisions out to the bus -----------------------------

static void
s_on_order(void *arg, const Ofts__OrderRequest *req)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = (Ofts__OrderRequest *) req;
    s_publish(arg, "risk.order", req->symbol, &env);
}

static void
s_on_reject(void *arg, const Ofts__RiskReject *rej)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_RISK_REJECT;
    env.risk_reject = (Ofts__RiskReject *) rej;
    s_publish(arg, "risk.reject", rej->symbol ? rej->symbol : "", &env);
}

static void
s_on_account(void *arg, const Ofts__AccountState *acct)
{
    app_t *app = arg;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_ACCOUNT;
    env.account = (Ofts__AccountState *) acct;
    s_publish(app, "risk.account", NULL, &env);
    const char *name = acct->state == OFTS__TRADING_STATE__STATE_HALTED ? "HALTED"
                     : acct->state == OFTS__TRADING_STATE__STATE_REDUCING ? "REDUCING" : "ACTIVE";
    bool active = acct->state == OFTS__TRADING_STATE__STATE_ACTIVE;
    ofts_service_set_state(app->svc, "%s%s%s%s", risk_accounts_reconciled(app->ra) ? "" : "unreconciled, ",
                           name, active ? "" : ": ", active ? "" : acct->state_reason);
}

//  Flatten goes to gateway-order as a Command on risk.command.: it knows the
//  broker's real positions and working orders (brackets included), so it
//  cancels and closes; risk's view may be a message behind.
static void
s_on_command(void *arg, const Ofts__Command *cmd)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_COMMAND;
    env.command = (Ofts__Command *) cmd;
    s_publish(arg, "risk.command", NULL, &env);
}

//  One bus message into the engine (md from the past is ignored on market time).
static void
s_apply(app_t *app, const Ofts__Envelope *env)
{
    if (!s_market_time(app, env))
        return;
    risk_accounts_on_envelope(app->ra, env, s_now(app));
    if (env->header && env->header->source && strcmp(env->header->source, "gateway-md") == 0)
        app->md_seq = env->header->seq;
    else if (env->header && env->header->source && strcmp(env->header->source, "gateway-order") == 0)
        app->exec_seq = env->header->seq;
}

//  --- reconcile with gateway-order (Clone pattern) ---------------------------

static void
s_on_order_snapshot(void *arg, const char *topic, Ofts__Envelope *env)
{
    app_t *app = arg;
    (void) topic;
    //  Positions, working orders, missed fills and trading state, each to
    //  the account it names (risk_accounts.h).
    risk_accounts_reconcile_item(app->ra, env, s_now(app));
}

//  Apply what already waits in the SUB queue first: those fills then meet
//  the position they belong to, before the snapshot replaces positions.
static void
s_drain(app_t *app)
{
    //  Through the service's per-publisher sockets, so the ownership checks
    //  hold here too (fills only from gateway-order).
    ofts_service_drain(app->svc);
}

static void
s_reconcile(app_t *app)
{
    uint64_t seq = 0, epoch = 0;
    s_drain(app);
    risk_accounts_reconcile_begin(app->ra);
    if (ofts_ctl_snapshot_ex(app->order_ctl, "exec.", app->cfg.reconcile_timeout_ms, s_on_order_snapshot, app,
                             &seq, &epoch) == 0) {
        //  The floor holds for this life of gateway-order only: after its
        //  restart (new epoch, seq from 1) nothing new is mistaken for old.
        ofts_bus_set_floor_epoch(ofts_service_bus(app->svc), "gateway-order", seq, epoch);
        app->floor_clear_ns = ofts_clock_mono_ns() + FLOOR_HOLD_NS;
        risk_accounts_reconcile_end(app->ra, s_now(app));
        log_info("reconciled with gateway-order at %s (seq %llu)", app->order_ctl, (unsigned long long) seq);
        app->reconcile_due = false;
        app->next_reconcile_ns = app->cfg.reconcile_interval_ms > 0
            ? ofts_clock_mono_ns() + app->cfg.reconcile_interval_ms * OFTS_NS_PER_MS : INT64_MAX;
    }
    else {
        risk_accounts_reconcile_abort(app->ra);
        log_warn("gateway-order snapshot from %s failed: %s (retry in 5 s)", app->order_ctl,
                 risk_accounts_reconciled(app->ra) ? "keeping the last reconciled view"
                                                  : "no new entries until it answers");
        app->next_reconcile_ns = ofts_clock_mono_ns() + RECONCILE_RETRY_NS;
    }
}

//  Lost exec.* messages: re-sync from gateway-order's snapshot.
static void
s_on_gap(void *arg, const char *source, const char *topic, uint64_t missing)
{
    app_t *app = arg;
    if (strcmp(source, "gateway-order") == 0) {
        log_warn("%llu messages lost on %s: re-reconciling with gateway-order", (unsigned long long) missing, topic);
        app->reconcile_due = true;
    }
}

//  --- service hooks ------------------------------------------------------------

//  Lockstep replays (bus.lockstep, libofts/ofts_lockstep.h): before the
//  first message of a newer market time, take in what gateway-order did on
//  it (fills on that market data, orders placed for our last approvals),
//  and before a signal the market data it was computed from - the order
//  `ofts backtest` applies them in, whichever socket is read first.
static void
s_lockstep_catch_up(ofts_service_t *svc, const Ofts__Envelope *env)
{
    bool md = env->body_case == OFTS__ENVELOPE__BODY_TRADE || env->body_case == OFTS__ENVELOPE__BODY_BBO;
    bool signal = env->body_case == OFTS__ENVELOPE__BODY_SIGNAL;
    if (!ofts_service_lockstep_enabled(svc) || !env->header || !(md || signal))
        return;
    uint64_t t = (uint64_t) env->header->ts_event;
    if (t <= ofts_service_lockstep_mark(svc))
        return;                     //  a late record of a market time already done
    if (signal)
        ofts_service_lockstep_await(svc, "gateway-md", t);
    ofts_service_lockstep_await(svc, "gateway-order", t);
}

static void
s_on_message(ofts_service_t *svc, const char *topic, Ofts__Envelope *env, void *arg)
{
    (void) topic;
    app_t *app = arg;
    s_lockstep_catch_up(svc, env);
    const Ofts__Header *h = env->header;
    if (h && h->source && strcmp(h->source, "gateway-order") == 0) {
        if (app->order_epoch && h->epoch != app->order_epoch) {
            log_warn("gateway-order restarted (new epoch): re-reconciling");
            app->reconcile_due = true;
        }
        app->order_epoch = h->epoch;
    }
    s_apply(app, env);
}

typedef struct {
    ofts_ctl_t *ctl;
    const char *prefix;
    uint32_t count;
} s_reply_t;

static void
s_snapshot_item(void *arg, const char *topic, Ofts__Envelope *env)
{
    s_reply_t *r = arg;
    if (strncmp(topic, r->prefix, strlen(r->prefix)) == 0) {
        ofts_ctl_reply(r->ctl, topic, env);
        r->count++;
    }
}

//  An operator command: checked here, by risk itself, so that every sender
//  (ofts cmd, a script, another tool) gets the same refusal for a symbol
//  risk does not know or an argument the command does not take.
static void
s_on_ctl_command(app_t *app, Ofts__Command *cmd, ofts_ctl_t *ctl, uint64_t seq)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(&ofts__command_type__descriptor,
                                                                        (int) cmd->type);
    const char *from = cmd->issued_by && *cmd->issued_by ? cmd->issued_by : "?";
    char sym[OFTS_SYM_LEN], why[320];
    if (ofts_command_check(cmd, sym, why, sizeof why) != 0) {
        log_warn("ctl command %s %s from %s refused: %s", ev ? ev->name : "?",
                 cmd->symbol ? cmd->symbol : "", from, why);
        ofts_ctl_reply_refuse(ctl, seq, why);
        return;
    }
    Ofts__Command checked = *cmd;
    checked.symbol = sym;
    if (risk_accounts_on_command(app->ra, &checked, s_now(app)) != 0) {
        snprintf(why, sizeof why, "no account '%s' here (risk.accounts)", cmd->account);
        log_warn("ctl command %s from %s refused: %s", ev ? ev->name : "?", from, why);
        ofts_ctl_reply_refuse(ctl, seq, why);
        return;
    }
    log_info("ctl command %s %s%s%s from %s", ev ? ev->name : "?", sym, cmd->account && *cmd->account ? " account " : "",
             cmd->account ? cmd->account : "", from);
    ofts_ctl_reply_end(ctl, seq);
}

static void
s_on_ctl(ofts_service_t *svc, Ofts__Envelope *req, ofts_ctl_t *ctl, void *arg)
{
    app_t *app = arg;
    if (req->body_case == OFTS__ENVELOPE__BODY_SNAPSHOT_REQUEST) {
        s_reply_t r = { ctl, req->snapshot_request->prefix ? req->snapshot_request->prefix : "", 0 };
        for (int i = 0; i < app->naccounts; i++)
            risk_engine_snapshot(risk_accounts_engine(app->ra, i), s_snapshot_item, &r);
        log_debug("ctl snapshot '%s': %u messages", r.prefix, r.count);
    }
    else if (req->body_case == OFTS__ENVELOPE__BODY_COMMAND) {
        s_on_ctl_command(app, req->command, ctl, ofts_bus_seq(ofts_service_bus(svc)));
        return;
    }
    ofts_ctl_reply_end(ctl, ofts_bus_seq(ofts_service_bus(svc)));
}

static void
s_on_tick(ofts_service_t *svc, int64_t now_ns, void *arg)
{
    (void) svc;
    app_t *app = arg;
    if (app->floor_clear_ns && ofts_clock_mono_ns() >= app->floor_clear_ns) {
        ofts_bus_set_floor(ofts_service_bus(app->svc), "gateway-order", 0);
        app->floor_clear_ns = 0;
    }
    if (app->order_ctl && (app->reconcile_due || ofts_clock_mono_ns() >= app->next_reconcile_ns))
        s_reconcile(app);
    //  On market time, 0 before the first market data: the engine waits
    //  for a time (risk_engine.h) rather than take the wall clock's.
    risk_accounts_tick(app->ra, app->market_clock ? app->market_ns : now_ns + app->shift_ns);
    //  The market clock survives a restart of risk: a restarted risk that
    //  met rewound replay data first would otherwise take it for "now".
    if (app->market_clock && app->market_ns > app->market_saved_ns + 250 * OFTS_NS_PER_MS
        && risk_journal_state(app->journal, "market_clock_ns", app->market_ns, "", app->market_ns) == 0)
        app->market_saved_ns = app->market_ns;
}

//  --- start-up -------------------------------------------------------------------

static void
s_replay_market_clock(void *arg, const char *key, int64_t value, const char *text)
{
    (void) text;
    app_t *app = arg;
    if (strcmp(key, "market_clock_ns") == 0 && value > app->market_ns)
        app->market_ns = app->market_saved_ns = value;
}

//  One journal per account, each its own file: a halt, a loss, a cooldown
//  of one account is remembered apart from the others'.
static int
s_open_journals(app_t *app)
{
    char err[512];
    for (int i = 0; i < app->naccounts; i++) {
        const char *path = app->accounts[i].cfg.journal;
        if (ofts_mkdir_parent(path, 0700) != 0)
            log_warn("cannot create the folder of %s: %s", path, strerror(errno));
        app->journals[i] = risk_journal_open(path, err, sizeof err);
        if (!app->journals[i]) {
            log_error("journal unusable: %s", err);
            fprintf(stderr, "ofts-risk: journal error: %s (refusing to start: move the file aside to begin a "
                    "new journal, or restore a backup)\n", err);
            return -1;
        }
    }
    app->journal = app->journals[0];
    return 0;
}

static void
s_close_journals(app_t *app)
{
    for (int i = 0; i < app->naccounts; i++)
        risk_journal_destroy(&app->journals[i]);
    app->journal = NULL;
}

static int
s_attach_journals(app_t *app)
{
    for (int i = 0; i < app->naccounts; i++) {
        if (risk_engine_attach_journal(risk_accounts_engine(app->ra, i), app->journals[i], s_now(app)) != 0)
            return -1;
        if (app->naccounts > 1)
            log_info("account %s (%s $%lld%s): journal %s, max %d contracts, sizing %s", app->accounts[i].cfg.account_id,
                     app->accounts[i].type, (long long) app->accounts[i].cfg.account_size,
                     app->accounts[i].enabled ? "" : ", DISABLED", app->accounts[i].cfg.journal,
                     app->accounts[i].cfg.max_contracts,
                     app->accounts[i].cfg.sizing == RISK_SIZING_RISK ? "risk" : "fixed");
    }
    return 0;
}

static int
s_args(app_t *app)
{
    int argc = ofts_service_argc(app->svc);
    char **argv = ofts_service_argv(app->svc);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--time-shift") == 0 && i + 1 < argc) {
            char *end;
            long long secs = strtoll(argv[++i], &end, 10);
            if (*end) {
                fprintf(stderr, "ofts-risk: --time-shift: expected whole seconds\n");
                return -1;
            }
            app->shift_ns = secs * OFTS_NS_PER_SEC;
        }
        else {
            fprintf(stderr, "ofts-risk: unknown argument '%s' (see --help)\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

static int
s_listen(app_t *app)
{
    ofts_service_t *svc = app->svc;
    if (ofts_service_listen(svc, "analyzer", "of.signal.") || ofts_service_listen(svc, "gateway-md", "md.trade.")
        || ofts_service_listen(svc, "gateway-md", "md.bbo.")
        || ofts_service_listen(svc, "gateway-md", "sys.heartbeat.gateway-md.")
        || ofts_service_listen(svc, "gateway-order", "exec."))
        return -1;
    //  Lockstep replays: our mark follows the analyzer's and gateway-order's,
    //  so it vouches for every approval of the signals of that market time,
    //  made knowing the fills of it. gateway-md waits for it.
    static const char *const upstream[] = { "gateway-md", "analyzer", "gateway-order" };
    if (ofts_service_lockstep(svc, upstream, 3, true))
        return -1;
    ofts_service_on_message(svc, s_on_message, app);
    ofts_bus_set_gap_handler(ofts_service_bus(svc), s_on_gap, app);
    if (ofts_service_on_ctl(svc, s_on_ctl, app))
        return -1;
    ofts_service_on_tick(svc, TICK_MS, s_on_tick, app);
    const char *pub = ofts_service_endpoint(svc, "risk", "pub");
    //  Bind now, not in run(): replay and reconcile already publish.
    return pub ? ofts_bus_bind(ofts_service_bus(svc), pub) : -1;
}

//  CME's holiday early closes come from the config (risk.early_closes): a
//  calendar without this year's dates would let a position meet an early
//  close unflattened, so say so at every start (the market clock of a
//  replay is not known yet: the wall clock's year is the one that matters).
static void
s_warn_calendar(const risk_config_t *cfg, int64_t now)
{
    ofts_ct_t ct;
    ofts_ct_from_utc(now, &ct);
    if (!risk_config_calendar_covers(cfg, ct.year))
        log_warn("risk.early_closes names no date in %d: CME holiday early closes of %d are not known, "
                 "positions are flattened only at %02d:%02d CT on those days - add them (docs/risk.md)",
                 ct.year, ct.year, cfg->flatten_at_min / 60, cfg->flatten_at_min % 60);
}

int
main(int argc, char **argv)
{
    ofts_service_usage("  --time-shift S    run the clock S seconds ahead (tests of the 15:05 CT flatten)\n");
    app_t app = { 0 };
    app.svc = ofts_service_new("risk", argc, argv);
    if (!app.svc)
        return ofts_service_exit_code();
    risk_config_defaults(&app.cfg);
    app.cfg.heartbeat_timeout_ns = ofts_service_heartbeat_timeout_ms(app.svc) * OFTS_NS_PER_MS;
    ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(app.svc), "risk");
    risk_config_read(&app.cfg, sec);
    json_t *accounts = ofts_cfgsec_json(sec, "accounts");
    char err[512];
    app.naccounts = risk_accounts_read(&app.cfg, accounts, app.accounts, RISK_MAX_ACCOUNTS, err, sizeof err);
    if (app.naccounts < 0)
        ofts_cfgsec_fail(sec, "accounts", "%s", err);
    static const char *const clocks[] = { "wall", "market", NULL };
    app.market_clock = ofts_cfgsec_choice(sec, "clock", "wall", clocks) == 1;
    app.order_ctl = ofts_service_endpoint(app.svc, "gateway-order", "ctl");
    if (ofts_service_config_done(app.svc, &sec) || s_args(&app)) {
        ofts_service_destroy(&app.svc);
        return OFTS_EXIT_CONFIG;
    }
    if (app.cfg.require_reconcile && !app.order_ctl) {
        fprintf(stderr, "ofts-risk: config error: risk.require_reconcile needs bus.endpoints.gateway-order.ctl\n");
        ofts_service_destroy(&app.svc);
        return OFTS_EXIT_CONFIG;
    }
    if (ofts_service_check_only(app.svc)) {
        ofts_service_destroy(&app.svc);
        return 0;
    }
    if (app.market_clock)
        log_warn("risk.clock = market: the risk clock follows the market data (replays and demos only; "
                 "the clock rules wait for the first of it)");
    if (app.shift_ns)
        log_warn("--time-shift %lld s: the risk clock is NOT the wall clock (tests and demos only)",
                 (long long) (app.shift_ns / OFTS_NS_PER_SEC));
    s_warn_calendar(&app.cfg, ofts_clock_now_ns() + app.shift_ns);
    if (s_open_journals(&app) != 0) {
        s_close_journals(&app);
        ofts_service_destroy(&app.svc);
        return EXIT_JOURNAL;
    }
    if (app.market_clock) {
        risk_journal_replay_t fns = { .state = s_replay_market_clock };
        risk_journal_replay(app.journal, &fns, &app);
    }
    risk_engine_callbacks_t cb = { s_on_order, s_on_reject, s_on_account, s_on_command };
    app.ra = risk_accounts_new(app.accounts, app.naccounts, &cb, &app);
    app.eng = risk_accounts_engine(app.ra, 0);
    int rc = OFTS_EXIT_IN_USE;          //  endpoint taken (or missing): do not restart-loop
    if (s_listen(&app) == 0) {
        rc = 1;
        if (s_attach_journals(&app) == 0) {
            log_info("journal %s, account %s ($%lld), sizing %s, cooldown %lld min, gateway-order ctl %s",
                     app.cfg.journal, app.cfg.account_id, (long long) app.cfg.account_size,
                     app.cfg.sizing == RISK_SIZING_RISK ? "risk" : "fixed",
                     (long long) (app.cfg.cooldown_ns / OFTS_NS_PER_MIN), app.order_ctl ? app.order_ctl : "(none)");
            if (app.order_ctl)
                s_reconcile(&app);
            rc = ofts_service_run(app.svc);
        }
    }
    risk_accounts_destroy(&app.ra);
    s_close_journals(&app);
    ofts_service_destroy(&app.svc);
    return rc;
}
