/*  ofts-gateway-order - the only place that knows the broker.

    Listens to risk (risk.order., risk.command.) and, for the paper broker's
    fills, to gateway-md (md.). Publishes exec.order.<SYM>., exec.fill.<SYM>.,
    exec.position.<SYM>. Answers ctl snapshot requests (positions + working
    orders, Clone pattern) and Command requests (flatten / kill / resume).

    The default config trades on paper. ProjectX (a real TopstepX account)
    needs "broker": "projectx" in the config, TOPSTEPX_USERNAME and
    TOPSTEPX_API_KEY in the environment, AND --live on the command line.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"
#include "ofts_command.h"
#include "ofts_fs.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include "ofts_service.h"
#include "order_accounts.h"
#include "order_store.h"
#include "paper_broker.h"
#ifdef OFTS_WITH_PROJECTX
#include "broker_async.h"
#include "broker_projectx.h"
#endif

#define SERVICE "gateway-order"
#define EXIT_STORE 3                //  the order store is damaged or not ours
//  3 REST reads per poll: every 2 s is 90 of ProjectX's 200 requests a
//  minute (spec §6), leaving room for places and cancels.
#define BROKER_POLL_MS_DEFAULT 2000

//  One account: its store and (paper) its own simulated broker. Without
//  risk.accounts there is one, unnamed, at gateway_order.db_path.
typedef struct {
    const char *name;               //  "" = the only one
    char db_path[1024];             //  db_path, "-<name>" before the extension
    order_store_t *store;
    paper_broker_t *paper;
#ifdef OFTS_WITH_PROJECTX
    broker_projectx_t *projectx;    //  its view of the one ProjectX session
    broker_async_t *async;          //  projectx's calls, on this account's worker
#endif
} app_account_t;

typedef struct {
    ofts_service_t *svc;
    app_account_t acct[ORDER_ACCOUNTS_MAX];
    size_t nacct;
#ifdef OFTS_WITH_PROJECTX
    bool hub_expected;              //  a user hub URL was given: its loss is news
#endif
    broker_t *broker;               //  the first account's (its name for the logs)
    order_accounts_t *oa;
    bool in_tx;                     //  inside a store transaction: hold publications
    int64_t marks_published_ns;
    zlist_t *held;                  //  of zmsg_t (topic, packed envelope)
} app_t;

typedef struct {
    const char *broker;
    const char *db_path;
    paper_config_t paper;
    order_manager_config_t om;
    int tick_ms;
    bool listen_md;
    int poll_ms;                        //  projectx: REST poll interval
#ifdef OFTS_WITH_PROJECTX
    projectx_config_t projectx;         //  gateway_order.projectx (docs/topstepx.md)
#endif
    const char *accounts[ORDER_ACCOUNTS_MAX];   //  risk.accounts ids; none: one unnamed
    size_t naccounts;
} settings_t;

//  The accounts are risk's list (risk.accounts, docs/accounts.md): one list
//  for the whole stack, so gateway-order serves exactly the accounts risk
//  sends orders for. risk checks the list itself (ids, sizes, duplicates).
static void
s_read_accounts(ofts_service_t *svc, ofts_cfgsec_t *sec, settings_t *set)
{
    json_t *risk = json_object_get(ofts_config_root(ofts_service_config(svc)), "risk");
    json_t *list = json_object_get(risk, "accounts");
    size_t i;
    json_t *one;
    json_array_foreach(list, i, one) {
        const char *id = json_string_value(json_object_get(one, "id"));
        if (set->naccounts == ORDER_ACCOUNTS_MAX)
            ofts_cfgsec_fail(sec, "broker", "risk.accounts: at most %d accounts", ORDER_ACCOUNTS_MAX);
        else if (!id || !*id || strlen(id) >= OM_ACCOUNT_LEN || strchr(id, '/'))
            ofts_cfgsec_fail(sec, "broker", "risk.accounts[%zu].id: a name of 1..%d characters without '/'", i,
                             OM_ACCOUNT_LEN - 1);
        else
            set->accounts[set->naccounts++] = id;
    }
}

static int
s_read_config(ofts_service_t *svc, settings_t *set)
{
    ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(svc), "gateway_order");
    static const char *const brokers[] = { "paper", "projectx", NULL };
    set->broker = brokers[ofts_cfgsec_choice(sec, "broker", "paper", brokers)];
    set->db_path = ofts_cfgsec_string(sec, "db_path", "state/gateway-order.db");
    paper_config_defaults(&set->paper);
    //  Every number bounded (issue 11 §5): paper_config_read uses ranges.
    paper_config_read(&set->paper, sec);
    order_manager_config_defaults(&set->om);
    set->om.reconcile_ms = ofts_cfgsec_int_range(sec, "reconcile_ms", OM_DEFAULT_RECONCILE_MS, 0, 86400000);
    set->om.protect_grace_ms = ofts_cfgsec_int_range(sec, "protect_grace_ms", OM_DEFAULT_PROTECT_GRACE_MS, 0, 60000);
    set->om.flatten_retry_ms = ofts_cfgsec_int_range(sec, "flatten_retry_ms", OM_DEFAULT_FLATTEN_RETRY_MS, 1, 3600000);
    set->om.unknown_timeout_ms = ofts_cfgsec_int_range(sec, "unknown_timeout_ms", OM_DEFAULT_UNKNOWN_TIMEOUT_MS, 1,
                                                       3600000);
    set->tick_ms = (int) ofts_cfgsec_int_range(sec, "tick_ms", 250, 1, 60000);
    set->listen_md = ofts_cfgsec_bool(sec, "listen_md", true);
    set->poll_ms = (int) ofts_cfgsec_int_range(sec, "poll_ms", BROKER_POLL_MS_DEFAULT, 100, 60000);
#ifdef OFTS_WITH_PROJECTX
    projectx_config_defaults(&set->projectx);
    if (ofts_cfgsec_has(sec, "projectx"))
        projectx_config_read(&set->projectx, ofts_cfgsec_section(sec, "projectx"));
#else
    ofts_cfgsec_json(sec, "projectx");
#endif
    if (!set->db_path[0])
        ofts_cfgsec_fail(sec, "db_path", "must not be empty");
    s_read_accounts(svc, sec, set);
    return ofts_service_config_done(svc, &sec);
}

//  What the bus hears must never be ahead of what the store kept: inside a
//  transaction, publications wait, and go out only once it has committed.
//  A kill -9 before the commit then loses the change and its news together.
static void
s_publish(void *arg, const char *topic, Ofts__Envelope *env)
{
    app_t *app = arg;
    if (!app->in_tx) {
        ofts_service_publish(app->svc, topic, env);
        return;
    }
    zmsg_t *msg = zmsg_new();
    zmsg_addstr(msg, topic);
    size_t size = ofts__envelope__get_packed_size(env);
    zframe_t *frame = zframe_new(NULL, size);
    ofts__envelope__pack(env, zframe_data(frame));
    zmsg_append(msg, &frame);
    zlist_append(app->held, msg);
}

static void
s_begin(app_t *app)
{
    for (size_t i = 0; i < app->nacct; i++)
        order_store_begin(app->acct[i].store);
    app->in_tx = true;
}

//  What the bus hears must not run ahead of the store - while the store
//  works. Once it has failed for good (disk full, I/O error: REDUCING until
//  a restart) it is no longer the record of what happened; the bus is. Then
//  the news goes out anyway: the REDUCING state, the refusals and the fills
//  of exits, so that risk stops approving entries and counts every fill
//  against its loss limits (issue 11 §3: they were dropped with the
//  failed commits, and risk kept approving entries for 45 s).
static void
s_commit(app_t *app)
{
    bool publish = true;
    for (size_t i = 0; i < app->nacct; i++) {
        int rc = order_store_commit(app->acct[i].store);
        publish = publish && (rc == 0 || order_store_failed(app->acct[i].store));
    }
    app->in_tx = false;
    zmsg_t *msg;
    while ((msg = zlist_pop(app->held))) {
        char *topic = zmsg_popstr(msg);
        zframe_t *frame = zmsg_pop(msg);
        Ofts__Envelope *env = frame ? ofts__envelope__unpack(NULL, zframe_size(frame), zframe_data(frame)) : NULL;
        if (publish && env && topic)
            ofts_service_publish(app->svc, topic, env);
        if (env)
            ofts__envelope__free_unpacked(env, NULL);
        zframe_destroy(&frame);
        zstr_free(&topic);
        zmsg_destroy(&msg);
    }
    if (!publish)
        log_error("store commit failed: the change and its messages are dropped; reconcile will repair");
}

//  " BROKER DISCONNECTED" while the ProjectX user hub is down: the heartbeat
//  carries it to ofts-alerts and the monitor (docs/alerts.md).
static const char *
s_broker_link(app_t *app)
{
#ifdef OFTS_WITH_PROJECTX
    //  One hub for the login: the first account's adapter holds it.
    if (app->acct[0].projectx && app->hub_expected && !broker_projectx_hub_up(app->acct[0].projectx))
        return " BROKER DISCONNECTED";
#else
    (void) app;
#endif
    return "";
}

//  " HALTED", or with several accounts " HALTED (TC-50K,XFA-1)".
static void
s_flag(char *out, size_t size, const char *word, int count, const char *names, bool named)
{
    if (!count)
        out[0] = 0;
    else if (named)
        snprintf(out, size, " %s (%s)", word, names);
    else
        snprintf(out, size, " %s", word);
}

static void
s_state(app_t *app)
{
    char names[256], halted[300], reducing[300];
    bool named = app->acct[0].name[0] != 0;
    s_flag(halted, sizeof(halted), "HALTED", order_accounts_halted(app->oa, names, sizeof(names)), names, named);
    s_flag(reducing, sizeof(reducing), "REDUCING (store failed)",
           order_accounts_reducing(app->oa, names, sizeof(names)), names, named);
    ofts_service_set_state(app->svc, "%s%s%s%s: placed %llu, fills %llu, flattens %llu",
                           broker_name(app->broker), s_broker_link(app), halted, reducing,
                           (unsigned long long) order_accounts_placed(app->oa),
                           (unsigned long long) order_accounts_fills(app->oa),
                           (unsigned long long) order_accounts_flattens(app->oa));
}

static int64_t
s_event_time(const Ofts__Envelope *env, int64_t now)
{
    return env->header && env->header->ts_event ? env->header->ts_event : now;
}

//  Lockstep replays (bus.lockstep, libofts/ofts_lockstep.h), as `ofts
//  backtest` orders them: the approvals risk made on one market time are
//  placed before the market data of the next one is applied (and before we
//  vouch for the next one), so they fill at the price the backtest fills.
static void
s_lockstep_catch_up(ofts_service_t *svc)
{
    ofts_service_lockstep_await(svc, "risk", ofts_service_lockstep_mark(svc));
}

//  gateway-md finished a market time: risk's approvals of the one before
//  (the mark we relayed last) come first. Not this one's: risk waits for
//  our mark before it gives its own.
static void
s_on_sync(ofts_service_t *svc, uint64_t mark, void *arg)
{
    (void) mark;
    (void) arg;
    s_lockstep_catch_up(svc);
}

static int
s_lockstep(ofts_service_t *svc, const settings_t *set)
{
    if (!ofts_service_lockstep_enabled(svc))
        return 0;
    if (!set->listen_md || strcmp(set->broker, "paper") != 0) {
        log_error("bus.lockstep replays need the paper broker reading market data "
                  "(gateway_order.broker paper, listen_md true)");
        return -1;
    }
    static const char *const upstream[] = { "gateway-md" };
    ofts_service_on_sync(svc, s_on_sync, NULL);
    return ofts_service_lockstep(svc, upstream, 1, true) || ofts_service_lockstep_watch(svc, "risk");
}

static void
s_on_message(ofts_service_t *svc, const char *topic, Ofts__Envelope *env, void *arg)
{
    (void) topic;
    app_t *app = arg;
    //  (before our transaction: risk's approvals are handled in their own)
    bool md = env->body_case == OFTS__ENVELOPE__BODY_TRADE || env->body_case == OFTS__ENVELOPE__BODY_BBO;
    if (md && env->header && (uint64_t) env->header->ts_event > ofts_service_lockstep_mark(svc))
        s_lockstep_catch_up(svc);
    int64_t now = ofts_clock_now_ns();
    //  One transaction per message: the paper broker's state and the
    //  manager's records change together or not at all (kill -9 safe).
    s_begin(app);
    if (env->body_case == OFTS__ENVELOPE__BODY_TRADE || env->body_case == OFTS__ENVELOPE__BODY_BBO) {
        //  A price the paper broker refuses as from the past (a restarted
        //  replay) must not mark positions either.
        //  Every account's paper broker sees the same market.
        paper_broker_t *first = app->acct[0].paper;
        uint64_t rewound = first ? paper_broker_rewound(first) : 0;
        for (size_t i = 0; i < app->nacct; i++)
            if (app->acct[i].paper)
                paper_broker_on_md(app->acct[i].paper, env, s_event_time(env, now));
        bool current = !first || paper_broker_rewound(first) == rewound;
        if (current && env->body_case == OFTS__ENVELOPE__BODY_TRADE && env->trade)
            order_accounts_mark(app->oa, env->trade->symbol, env->trade->contract, env->trade->price);
        order_accounts_tick(app->oa, now);
    }
    else
        order_accounts_on_envelope(app->oa, env, now);
    s_commit(app);
    s_state(app);
}

static void
s_ctl_item(void *arg, const char *topic, Ofts__Envelope *env)
{
    ofts_ctl_reply(arg, topic, env);
}

//  Every account's broker read once since the start. Until then what the
//  managers hold is not the broker's (ProjectX: positions come only from
//  its polls): a snapshot would tell risk "flat" while positions are open -
//  risk reconciled to flat after a restart of gateway-order and approved a
//  second entry on top of an open one.
static bool
s_broker_read(app_t *app)
{
#ifdef OFTS_WITH_PROJECTX
    for (size_t i = 0; i < app->nacct; i++)
        if (app->acct[i].projectx && !broker_projectx_synced(app->acct[i].projectx))
            return false;
#else
    (void) app;
#endif
    return true;
}

#ifdef OFTS_WITH_PROJECTX
//  Hand the managers what the brokers' workers have ready (one transaction).
static void
s_tick_accounts(app_t *app, int64_t now)
{
    s_begin(app);
    order_accounts_tick(app->oa, now);
    s_commit(app);
    s_state(app);
}
#endif

//  The local kill switch: on the trader's own machine gateway-order takes
//  kill, flatten [SYM] and resume straight from `ofts cmd --to gateway-order`
//  (risk may run elsewhere). Checked like risk checks them; pause is risk's.
static void
s_on_ctl_command(app_t *app, Ofts__Command *cmd, ofts_ctl_t *ctl, uint64_t seq, int64_t now)
{
    char sym[OFTS_SYM_LEN], why[320];
    const char *verb = ofts_command_verb(cmd->type);
    int rc = ofts_command_check(cmd, sym, why, sizeof why);
    if (rc == 0 && cmd->type == OFTS__COMMAND_TYPE__CMD_PAUSE) {
        snprintf(why, sizeof why, "pause is risk's command (gateway-order takes kill, flatten [SYMBOL], resume)");
        rc = -1;
    }
    if (rc == 0 && cmd->account && cmd->account[0] && !order_accounts_find(app->oa, cmd->account)) {
        snprintf(why, sizeof why, "no account '%s' here (risk.accounts)", cmd->account);
        rc = -1;
    }
    if (rc != 0) {
        log_warn("ctl command %s %s refused: %s", verb ? verb : "?", cmd->symbol ? cmd->symbol : "", why);
        ofts_ctl_reply_refuse(ctl, seq, why);
        return;
    }
    log_warn("ctl command %s %s%s%s from %s", verb, sym, cmd->account && *cmd->account ? " account " : "",
             cmd->account ? cmd->account : "", cmd->issued_by && *cmd->issued_by ? cmd->issued_by : "?");
    Ofts__Command checked = *cmd;
    checked.symbol = sym;
    s_begin(app);
    order_accounts_on_command(app->oa, &checked, now);
    s_commit(app);
    s_state(app);
    ofts_ctl_reply_end(ctl, seq);
}

static void
s_on_ctl(ofts_service_t *svc, Ofts__Envelope *req, ofts_ctl_t *ctl, void *arg)
{
    app_t *app = arg;
    int64_t now = ofts_clock_now_ns();
    if (req->body_case == OFTS__ENVELOPE__BODY_SNAPSHOT_REQUEST && req->snapshot_request) {
        const char *prefix = req->snapshot_request->prefix ? req->snapshot_request->prefix : "";
        if (!s_broker_read(app)) {
            //  The asker (risk) keeps its own view and asks again.
            log_info("snapshot '%s' refused: the broker has not been read since the start", prefix);
            ofts_ctl_reply_refuse(ctl, ofts_bus_seq(ofts_service_bus(svc)),
                                  "the broker has not been read since gateway-order started: ask again");
            return;
        }
#ifdef OFTS_WITH_PROJECTX
        if (app->acct[0].async)
            s_tick_accounts(app, now);  //  with what the workers have ready
#endif
        int n = order_accounts_snapshot(app->oa, prefix, s_ctl_item, ctl);
        log_info("snapshot '%s': %d messages", prefix, n);
    }
    else if (req->body_case == OFTS__ENVELOPE__BODY_COMMAND && req->command) {
        s_on_ctl_command(app, req->command, ctl, ofts_bus_seq(ofts_service_bus(svc)), now);
        return;
    }
    else
        log_warn("ctl: request '%s' not handled here", req->body_case == OFTS__ENVELOPE__BODY__NOT_SET
                 ? "empty" : "other");
    ofts_ctl_reply_end(ctl, ofts_bus_seq(ofts_service_bus(svc)));
}

static void
s_on_tick(ofts_service_t *svc, int64_t now_ns, void *arg)
{
    (void) svc;
    app_t *app = arg;
    s_begin(app);
    order_accounts_tick(app->oa, now_ns);
    //  Live unrealized P&L for monitors, at most once a second.
    if (now_ns - app->marks_published_ns >= OFTS_NS_PER_SEC) {
        order_accounts_publish_marks(app->oa);
        app->marks_published_ns = now_ns;
    }
    s_commit(app);
    s_state(app);
}

#ifdef OFTS_WITH_PROJECTX
//  The broker's worker has news (a place's outcome, fills, positions):
//  hand it to the manager now rather than at the next tick.
static int
s_on_broker_news(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    app_t *app = arg;
    while (zsock_events(sock) & ZMQ_POLLIN) {
        char *news = zstr_recv(sock);
        zstr_free(&news);
    }
    s_tick_accounts(app, ofts_clock_now_ns());
    return 0;
}

//  Several accounts (risk.accounts): each one's ProjectX id under the login,
//  by its exact name (ProjectX accounts are ids under one user, spec §4).
static int
s_projectx_ids(app_t *app, projectx_t *client, int64_t *ids)
{
    projectx_account_t list[32];
    size_t count = 0;
    if (projectx_accounts(client, list, 32, &count) != PROJECTX_OK) {
        log_error("projectx: Account/search failed: %s", projectx_last_error(client));
        return -1;
    }
    for (size_t i = 0; i < app->nacct; i++) {
        for (size_t j = 0; j < count && j < 32 && !ids[i]; j++)
            if (strcmp(list[j].name, app->acct[i].name) == 0)
                ids[i] = list[j].id;
        if (!ids[i]) {
            log_error("projectx: account '%s' (risk.accounts) is not an active account of this login",
                      app->acct[i].name);
            return -1;
        }
    }
    return 0;
}

//  One adapter per account over its view of the one session (client).
//  The first account's holds the login's one user hub and rings the
//  others, which are made first (broker_projectx_new_shared).
static void
s_projectx_brokers(app_t *app, projectx_t *client, const int64_t *ids, const settings_t *set)
{
    broker_projectx_t *peers[ORDER_ACCOUNTS_MAX];
    for (size_t i = 1; i < app->nacct; i++)
        peers[i - 1] = app->acct[i].projectx = broker_projectx_new(projectx_view(client, ids[i]), set->poll_ms, NULL);
    projectx_t *first = client;
    if (app->acct[0].name[0]) {
        first = projectx_view(client, ids[0]);
        projectx_destroy(&client);      //  the session lives on in the views
    }
    app->acct[0].projectx = broker_projectx_new_shared(first, set->poll_ms, set->projectx.user_hub_url, peers,
                                                       app->nacct - 1);
    for (size_t i = 0; i < app->nacct; i++) {
        broker_projectx_set_entry_tif(app->acct[i].projectx, set->paper.entry_tif_ms);
        log_warn("LIVE: trading TopstepX account %s%s%lld through ProjectX", app->acct[i].name,
                 app->acct[i].name[0] ? " " : "", (long long) (app->acct[i].name[0] ? ids[i] : projectx_account_id(first)));
    }
}
#endif

//  The real account: only with everything an operator has to do on purpose.
static int
s_open_projectx(app_t *app, settings_t *set, bool live)
{
    if (!live) {
        log_error("broker \"projectx\" trades a real TopstepX account: start with --live to confirm");
        return -1;
    }
    char *user = ofts_config_secret("TOPSTEPX_USERNAME");
    char *key = ofts_config_secret("TOPSTEPX_API_KEY");
    bool ok = user && key;
    if (!ok)
        log_error("broker \"projectx\" needs TOPSTEPX_USERNAME and TOPSTEPX_API_KEY in the environment");
#ifdef OFTS_WITH_PROJECTX
    if (ok) {
        projectx_config_t cfg = set->projectx;
        cfg.username = user;
        cfg.api_key = key;
        projectx_t *client = projectx_new(&cfg);      //  copies the strings
        bool several = app->acct[0].name[0] != 0;
        int64_t ids[ORDER_ACCOUNTS_MAX] = { 0 };
        //  One login for every account: several accounts take the session
        //  alone (no account picked) and find each name among its accounts.
        if (client && (several ? projectx_login_session(client) : projectx_login(client)) != PROJECTX_OK) {
            log_error("projectx: login failed: %s", projectx_last_error(client));
            projectx_destroy(&client);
        }
        if (client && several && s_projectx_ids(app, client, ids) != 0)
            projectx_destroy(&client);
        ok = client != NULL;
        if (ok && app->nacct > 1) {
            //  Every account polls (3 reads) within the login's one budget
            //  (200 a minute, spec §6): stretch the interval so all of them
            //  together read as often as one did.
            set->poll_ms *= (int) app->nacct;
            log_info("projectx: %zu accounts on one login: each polls every %d ms", app->nacct, set->poll_ms);
        }
        if (ok) {
            //  The legs are only seen by polling: give them a few polls.
            if (set->om.protect_grace_ms < 3 * (int64_t) set->poll_ms) {
                log_info("protect_grace_ms %lld -> %lld (3 x poll_ms)", (long long) set->om.protect_grace_ms,
                         (long long) 3 * set->poll_ms);
                set->om.protect_grace_ms = 3 * (int64_t) set->poll_ms;
            }
            s_projectx_brokers(app, client, ids, set);
            app->hub_expected = set->projectx.user_hub_url && *set->projectx.user_hub_url;
            //  Their REST calls may take seconds: each account's own worker
            //  makes them, the service thread keeps reading the bus, and a
            //  place hanging on one account never holds up another's
            //  (docs/gateway-order.md).
            for (size_t i = 0; i < app->nacct; i++)
                app->acct[i].async = broker_async_new(broker_projectx_broker(app->acct[i].projectx));
            app->broker = broker_async_broker(app->acct[0].async);
        }
    }
#else
    (void) app;
    (void) set;
    if (ok)
        log_error("this build has no ProjectX adapter (broker_projectx.c): use \"paper\"");
    ok = false;
#endif
    free(user);
    free(key);
    return ok ? 0 : -1;
}

static void
s_app_destroy(app_t *app)
{
    zmsg_t *msg;
    while (app->held && (msg = zlist_pop(app->held)))
        zmsg_destroy(&msg);
    zlist_destroy(&app->held);
    order_accounts_destroy(&app->oa);
    for (size_t i = 0; i < app->nacct; i++)
        paper_broker_destroy(&app->acct[i].paper);
#ifdef OFTS_WITH_PROJECTX
    //  The workers first (they call the adapters); the hub's holder (the
    //  first adapter) before the peers it rings.
    for (size_t i = 0; i < app->nacct; i++)
        broker_async_destroy(&app->acct[i].async);
    for (size_t i = 0; i < app->nacct; i++)
        broker_projectx_destroy(&app->acct[i].projectx);
#endif
    for (size_t i = 0; i < app->nacct; i++)
        order_store_destroy(&app->acct[i].store);
}

//  Each account's store: never recreated behind the operator's back (what
//  it held - ids already placed, working brackets - would be forgotten).
static int
s_open_stores(app_t *app, const settings_t *set)
{
    app->nacct = set->naccounts ? set->naccounts : 1;
    for (size_t i = 0; i < app->nacct; i++) {
        app_account_t *a = &app->acct[i];
        a->name = set->naccounts ? set->accounts[i] : "";
        if (a->name[0])
            ofts_path_with_tag(set->db_path, a->name, a->db_path, sizeof(a->db_path));
        else
            snprintf(a->db_path, sizeof(a->db_path), "%s", set->db_path);
        //  The store's folder must exist (a fresh checkout has none).
        if (ofts_mkdir_parent(a->db_path, 0700) != 0)
            log_warn("cannot create the folder of %s: %s", a->db_path, strerror(errno));
        char err[512];
        a->store = order_store_open(a->db_path, err, sizeof(err));
        if (!a->store) {
            log_error("order store unusable: %s", err);
            fprintf(stderr, "ofts-gateway-order: store error: %s (refusing to start: restore a backup, or move "
                    "the file aside to begin a new store once the broker account is flat)\n", err);
            return -1;
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    ofts_service_usage("  --live            trade the real account: needs \"broker\": \"projectx\" (refused on a\n"
                       "                    paper config), TOPSTEPX_USERNAME and TOPSTEPX_API_KEY\n");
    ofts_service_t *svc = ofts_service_new(SERVICE, argc, argv);
    if (!svc)
        return ofts_service_exit_code();
    bool live = false;
    for (int i = 0; i < ofts_service_argc(svc); i++) {
        if (strcmp(ofts_service_argv(svc)[i], "--live") == 0)
            live = true;
        else {
            fprintf(stderr, "ofts-gateway-order: unknown argument '%s' (see --help)\n",
                    ofts_service_argv(svc)[i]);
            ofts_service_destroy(&svc);
            return OFTS_EXIT_CONFIG;
        }
    }
    settings_t set;
    memset(&set, 0, sizeof(set));
    if (s_read_config(svc, &set) != 0) {
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    if (live && strcmp(set.broker, "projectx") != 0) {
        //  A trader who typed --live expects real orders: paper trading
        //  quietly instead would be a costly surprise. Refuse.
        log_error("--live given but gateway_order.broker is \"%s\" in %s: nothing would reach the account; "
                  "set \"broker\": \"projectx\" or drop --live", set.broker,
                  ofts_config_path(ofts_service_config(svc)));
        ofts_service_destroy(&svc);
        return OFTS_EXIT_CONFIG;
    }
    if (ofts_service_check_only(svc)) {
        printf("%s: config OK (broker %s, db %s)\n", ofts_config_path(ofts_service_config(svc)),
               set.broker, set.db_path);
        ofts_service_destroy(&svc);
        return 0;
    }
    app_t app;
    memset(&app, 0, sizeof(app));
    app.svc = svc;
    app.held = zlist_new();
    app.oa = order_accounts_new(s_publish, &app);
    int rc = 1;
    if (s_open_stores(&app, &set) != 0) {
        rc = EXIT_STORE;
        goto done;
    }
    if (strcmp(set.broker, "projectx") == 0) {
        if (s_open_projectx(&app, &set, live) != 0) {
            rc = OFTS_EXIT_CONFIG;
            goto done;
        }
#ifdef OFTS_WITH_PROJECTX
        for (size_t i = 0; i < app.nacct; i++)
            order_accounts_add(app.oa, app.acct[i].name, broker_async_broker(app.acct[i].async),
                               app.acct[i].store, &set.om);
#endif
    }
    else
        for (size_t i = 0; i < app.nacct; i++) {
            app_account_t *a = &app.acct[i];
            a->paper = paper_broker_new(&set.paper, a->store);
            paper_broker_set_account(a->paper, a->name);
            order_accounts_add(app.oa, a->name, paper_broker_broker(a->paper), a->store, &set.om);
            if (a->name[0])
                log_info("account %s: paper broker, store %s", a->name, a->db_path);
        }
    app.broker = app.broker ? app.broker : paper_broker_broker(app.acct[0].paper);
    //  Bind now, so what start() publishes (positions) is not lost.
    const char *pub = ofts_service_endpoint(svc, SERVICE, "pub");
    if (!pub || ofts_bus_bind(ofts_service_bus(svc), pub) != 0) {
        log_error("cannot publish: bus.endpoints.%s.pub missing or not bindable", SERVICE);
        rc = OFTS_EXIT_IN_USE;
        goto done;
    }
    if (ofts_service_listen(svc, "risk", "risk.order.") || ofts_service_listen(svc, "risk", "risk.command.")
        || (set.listen_md && ofts_service_listen(svc, "gateway-md", "md.trade."))
        || (set.listen_md && ofts_service_listen(svc, "gateway-md", "md.bbo."))
        || s_lockstep(svc, &set)
        || ofts_service_on_ctl(svc, s_on_ctl, &app)) {
        rc = OFTS_EXIT_CONFIG;
        goto done;
    }
    ofts_service_on_message(svc, s_on_message, &app);
#ifdef OFTS_WITH_PROJECTX
    for (size_t i = 0; i < app.nacct; i++)
        if (app.acct[i].async)
            zloop_reader(ofts_service_loop(svc), broker_async_signal(app.acct[i].async), s_on_broker_news, &app);
#endif
    ofts_service_on_tick(svc, set.tick_ms, s_on_tick, &app);
    log_info("broker %s, store %s, slippage %d ticks, fees %s (GC $%.2f a side), entry time in force %lld ms, "
             "reconcile every %lld ms", broker_name(app.broker), set.db_path, set.paper.slippage_ticks,
             set.paper.fees_cents >= 0 ? "flat" : "Topstep table", paper_config_fee_cents(&set.paper, "GC") / 100.0,
             (long long) set.paper.entry_tif_ms, (long long) set.om.reconcile_ms);
    s_begin(&app);
    order_accounts_start(app.oa, ofts_clock_now_ns());
    s_commit(&app);
    s_state(&app);
    rc = ofts_service_run(svc);
done:
    s_app_destroy(&app);
    ofts_service_destroy(&svc);
    return rc;
}
