/*  ofts-projectx - operator's tool for the TopstepX account: check the
    credentials and the account, resolve contracts, look at orders,
    positions and trades, watch the user hub, and (explicitly) cancel an
    order or flatten a contract. Uses the same client and config section as
    gateway-order (gateway_order.projectx); secrets from TOPSTEPX_USERNAME /
    TOPSTEPX_API_KEY. Read-only unless the command says otherwise.

    ofts-projectx [--config FILE] [--base-url URL] [--hub-url URL]
                  [--account NAME] COMMAND [ARGS]
      accounts                 active accounts (* = the one ofts would use)
      contracts [ROOT...]      active contract per root (default: all ofts roots)
      open                     working orders (Order/searchOpen)
      orders [HOURS]           every order of the last HOURS (default 24)
      positions                open positions
      trades [HOURS]           executions of the last HOURS (default 24)
      watch [SECONDS]          print user-hub events for SECONDS (default 30)
      cancel ORDER_ID          cancel one order              (mutation)
      flatten CONTRACT_ID      close a position at market    (mutation)
    Exit: 0 ok, 1 broker/network failure, 2 usage or config error.        */
#include "ofts_config.h"
#include "ofts_instrument.h"
#include "ofts_log.h"
#include "projectx_client.h"
#include "projectx_hubws.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 512

static int64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *
px(int64_t price, char *buf)
{
    return ofts_price_str(price, buf, 32);
}

static void
print_order(const projectx_order_info_t *o)
{
    char a[32], b[32], c[32], t[40], parent[40] = "";
    projectx_time_format(o->created_ns, t, sizeof t);
    if (o->parent_id)       //  bracket legs only: no parent prints nothing
        snprintf(parent, sizeof parent, " parent=%lld", (long long) o->parent_id);
    printf("%lld %s %-9s type=%d %s %d/%d %s limit=%s stop=%s filled=%s tag=%s%s\n",
           (long long) o->id, t, projectx_status_name(o->status), o->type,
           o->side == PROJECTX_SIDE_BUY ? "BUY " : "SELL", o->fill_volume, o->size,
           o->contract_id, px(o->limit_price, a), px(o->stop_price, b), px(o->filled_price, c),
           o->custom_tag[0] ? o->custom_tag : "-", parent);
}

static int
cmd_accounts(projectx_t *client)
{
    projectx_account_t rows[64];
    size_t count = 0;
    if (projectx_accounts(client, rows, 64, &count) != PROJECTX_OK)
        return 1;
    for (size_t i = 0; i < count && i < 64; i++)
        printf("%c %lld %s balance=%lld.%02lld canTrade=%s simulated=%s\n",
               rows[i].id == projectx_account_id(client) ? '*' : ' ', (long long) rows[i].id,
               rows[i].name, (long long) (rows[i].balance_cents / 100),
               (long long) llabs(rows[i].balance_cents % 100), rows[i].can_trade ? "yes" : "no",
               rows[i].simulated ? "yes" : "no");
    return 0;
}

static int
cmd_contracts(projectx_t *client, int argc, char **argv)
{
    int rc = 0;
    size_t n = argc > 0 ? (size_t) argc : ofts_instrument_count();
    for (size_t i = 0; i < n; i++) {
        const char *root = argc > 0 ? argv[i] : ofts_instrument_at(i)->root;
        projectx_contract_t c;
        char tick[32];
        int r = projectx_resolve_contract(client, root, &c);
        if (r == PROJECTX_OK)
            printf("%-4s %s %s tick=%s tickValue=%lld.%02lld (%s)\n", root, c.id, c.symbol_id,
                   px(c.tick_size, tick), (long long) (c.tick_value_cents / 100),
                   (long long) (c.tick_value_cents % 100), c.description);
        else {
            printf("%-4s %s: %s\n", root, projectx_result_name(r), projectx_last_error(client));
            rc = 1;
        }
    }
    return rc;
}

static int
cmd_orders(projectx_t *client, bool open_only, double hours)
{
    static projectx_order_info_t rows[MAX_ROWS];
    size_t count = 0;
    int r = open_only ? projectx_open_orders(client, rows, MAX_ROWS, &count)
                      : projectx_search_orders(client, now_ns() - (int64_t) (hours * 3600e9), 0,
                                               rows, MAX_ROWS, &count);
    if (r != PROJECTX_OK)
        return 1;
    for (size_t i = 0; i < count && i < MAX_ROWS; i++)
        print_order(&rows[i]);
    printf("%zu order(s)%s\n", count, count > MAX_ROWS ? " (list truncated)" : "");
    return 0;
}

static int
cmd_positions(projectx_t *client)
{
    projectx_position_t rows[64];
    size_t count = 0;
    if (projectx_open_positions(client, rows, 64, &count) != PROJECTX_OK)
        return 1;
    char avg[32];
    for (size_t i = 0; i < count && i < 64; i++)
        printf("%s %s %d @ %s\n", rows[i].contract_id,
               rows[i].type == PROJECTX_POSITION_LONG ? "LONG " : "SHORT", rows[i].size,
               px(rows[i].avg_price, avg));
    printf("%zu position(s)\n", count);
    return 0;
}

static int
cmd_trades(projectx_t *client, double hours)
{
    static projectx_trade_t rows[MAX_ROWS];
    size_t count = 0;
    if (projectx_trades(client, now_ns() - (int64_t) (hours * 3600e9), 0, rows, MAX_ROWS, &count)
        != PROJECTX_OK)
        return 1;
    char price[32], t[40], pnl[40];
    for (size_t i = 0; i < count && i < MAX_ROWS; i++) {
        projectx_time_format(rows[i].created_ns, t, sizeof t);
        //  A null profitAndLoss is an opening (half-turn) execution: no P&L,
        //  which is not the same as a P&L of 0.00.
        if (rows[i].has_pnl)
            snprintf(pnl, sizeof pnl, "%s%lld.%02lld", rows[i].pnl_cents < 0 ? "-" : "",
                     (long long) llabs(rows[i].pnl_cents / 100),
                     (long long) llabs(rows[i].pnl_cents % 100));
        else
            snprintf(pnl, sizeof pnl, "-");
        printf("%lld %s order=%lld %s %s %d @ %s pnl=%s fees=%lld.%02lld%s\n",
               (long long) rows[i].id, t, (long long) rows[i].order_id, rows[i].contract_id,
               rows[i].side == PROJECTX_SIDE_BUY ? "BUY " : "SELL", rows[i].size,
               px(rows[i].price, price), pnl,
               (long long) (rows[i].fees_cents / 100), (long long) (rows[i].fees_cents % 100),
               rows[i].voided ? " VOIDED" : "");
    }
    printf("%zu trade(s)\n", count);
    return 0;
}

static void
watch_event(void *arg, const projectx_event_t *ev)
{
    (void) arg;
    char a[32];
    switch (ev->kind) {
    case PROJECTX_EVENT_ORDER:
        printf("order    action=%d ", ev->action);
        print_order(&ev->u.order);
        break;
    case PROJECTX_EVENT_POSITION:
        printf("position action=%d %s type=%d size=%d avg=%s\n", ev->action,
               ev->u.position.contract_id, ev->u.position.type, ev->u.position.size,
               px(ev->u.position.avg_price, a));
        break;
    case PROJECTX_EVENT_TRADE:
        printf("trade    action=%d %lld order=%lld %d @ %s\n", ev->action,
               (long long) ev->u.trade.id, (long long) ev->u.trade.order_id, ev->u.trade.size,
               px(ev->u.trade.price, a));
        break;
    case PROJECTX_EVENT_ACCOUNT:
        printf("account  action=%d %lld balance=%lld.%02lld\n", ev->action,
               (long long) ev->u.account.id, (long long) (ev->u.account.balance_cents / 100),
               (long long) llabs(ev->u.account.balance_cents % 100));
        break;
    default:
        printf("logout\n");
    }
    fflush(stdout);
}

static void
watch_state(void *arg, bool up, const char *reason)
{
    (void) arg;
    printf("hub %s (%s)\n", up ? "UP" : "DOWN", reason);
    fflush(stdout);
}

static const char *
watch_token(void *arg)
{
    return projectx_token(arg);
}

static int
cmd_watch(projectx_t *client, const char *hub_url, double seconds)
{
    projectx_hubws_t *ws = projectx_hubws_new();
    if (!ws)
        return 1;
    projectx_hub_transport_t t;
    projectx_hubws_transport(ws, &t);
    projectx_hub_handler_t h = { watch_event, watch_state, watch_token, client };
    projectx_userhub_t *hub =
        projectx_userhub_new(hub_url, projectx_account_id(client), NULL, &t, &h);
    projectx_hubws_attach(ws, hub);
    int64_t end = now_ns() + (int64_t) (seconds * 1e9);
    while (now_ns() < end) {
        projectx_hubws_service(ws, 100);
        projectx_keepalive(client);     //  rotates the token the next connect uses
    }
    uint64_t connects, events, bad;
    projectx_userhub_counters(hub, &connects, &events, &bad);
    printf("%llu event(s), %llu connect(s), %llu unreadable\n", (unsigned long long) events,
           (unsigned long long) connects, (unsigned long long) bad);
    projectx_userhub_destroy(&hub);         //  sends the SignalR Close
    projectx_hubws_attach(ws, NULL);
    for (int i = 0; i < 3; i++)
        projectx_hubws_service(ws, 5);      //  ... and lets it leave
    projectx_hubws_destroy(&ws);
    return 0;
}

static int
cmd_mutation(projectx_t *client, const char *cmd, const char *arg)
{
    projectx_status_t st;
    int r = strcmp(cmd, "cancel") == 0 ? projectx_cancel(client, strtoll(arg, NULL, 10), &st)
                                       : projectx_close_contract(client, arg, &st);
    printf("%s %s: %s%s%s\n", cmd, arg, projectx_result_name(r), r ? " " : "", r ? st.text : "");
    return r == PROJECTX_OK ? 0 : 1;
}

static void
usage_to(FILE *out)
{
    fprintf(out,
            "usage: ofts-projectx [--config FILE] [--base-url URL] [--hub-url URL] [--account NAME]\n"
            "                     accounts | contracts [ROOT...] | open | orders [HOURS] |\n"
            "                     positions | trades [HOURS] | watch [SECONDS] |\n"
            "                     cancel ORDER_ID | flatten CONTRACT_ID\n"
            "  talks to the account directly (TOPSTEPX_USERNAME, TOPSTEPX_API_KEY); works with\n"
            "  nothing else running. `flatten CONTRACT_ID` closes that position at market\n"
            "  (contract ids from `positions`); --help shows this text.\n");
}

static void
usage(void)
{
    usage_to(stderr);
}

int
main(int argc, char **argv)
{
    ofts_log_init("ofts-projectx", OFTS_LOG_WARN);
    const char *config_path = NULL, *base_url = NULL, *hub_url = NULL, *account = NULL;
    int i = 1;
    for (int k = 1; k < argc; k++)
        if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
            usage_to(stdout);
            return 0;
        }
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        bool known_flag = !strcmp(argv[i], "--config") || !strcmp(argv[i], "--base-url")
                       || !strcmp(argv[i], "--hub-url") || !strcmp(argv[i], "--account");
        if (!known_flag || i + 1 >= argc) {
            fprintf(stderr, "ofts-projectx: %s '%s'\n", known_flag ? "missing value for" : "unknown flag", argv[i]);
            usage();
            return OFTS_EXIT_CONFIG;
        }
        if (!strcmp(argv[i], "--config"))
            config_path = argv[i + 1];
        else if (!strcmp(argv[i], "--base-url"))
            base_url = argv[i + 1];
        else if (!strcmp(argv[i], "--hub-url"))
            hub_url = argv[i + 1];
        else if (!strcmp(argv[i], "--account"))
            account = argv[i + 1];
        else {
            usage();
            return OFTS_EXIT_CONFIG;
        }
    }
    if (i >= argc) {
        usage();
        return OFTS_EXIT_CONFIG;
    }
    const char *cmd = argv[i++];
    static const char *known[] = { "accounts", "contracts", "open",  "orders", "positions",
                                   "trades",   "watch",     "cancel", "flatten" };
    bool ok = false;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        ok |= strcmp(cmd, known[k]) == 0;
    if (!ok || ((!strcmp(cmd, "cancel") || !strcmp(cmd, "flatten")) && i >= argc)) {
        usage();
        return OFTS_EXIT_CONFIG;
    }

    projectx_config_t cfg;
    projectx_config_defaults(&cfg);
    char err[512];
    ofts_config_t *config = NULL;
    if (config_path || !base_url) {
        const char *path = config_path ? config_path : ofts_config_default_path();
        config = ofts_config_load(path, err, sizeof err);
        if (!config && config_path) {
            fprintf(stderr, "%s\n", err);
            return OFTS_EXIT_CONFIG;
        }
    }
    if (config) {
        ofts_cfgsec_t *sec = ofts_config_section(config, "gateway_order.projectx");
        projectx_config_read(&cfg, sec);
        if (ofts_cfgsec_finish(&sec, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            ofts_config_destroy(&config);
            return OFTS_EXIT_CONFIG;
        }
    }
    if (base_url)
        cfg.base_url = base_url;
    if (hub_url)
        cfg.user_hub_url = hub_url;
    if (account) {
        cfg.account_name = account;
        cfg.account_id = 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = OFTS_EXIT_CONFIG;
    projectx_t *client = projectx_new(&cfg);
    if (client) {
        int login = projectx_login(client);
        if (login != PROJECTX_OK)
            fprintf(stderr, "login: %s: %s\n", projectx_result_name(login),
                    projectx_last_error(client));
        double arg = i < argc ? atof(argv[i]) : 0;
        if (login == PROJECTX_NOT_FOUND && !strcmp(cmd, "accounts"))
            rc = cmd_accounts(client);      //  show them, so the operator can pick
        else if (login != PROJECTX_OK)
            rc = 1;
        else if (!strcmp(cmd, "accounts"))
            rc = cmd_accounts(client);
        else if (!strcmp(cmd, "contracts"))
            rc = cmd_contracts(client, argc - i, argv + i);
        else if (!strcmp(cmd, "open"))
            rc = cmd_orders(client, true, 0);
        else if (!strcmp(cmd, "orders"))
            rc = cmd_orders(client, false, arg > 0 ? arg : 24);
        else if (!strcmp(cmd, "positions"))
            rc = cmd_positions(client);
        else if (!strcmp(cmd, "trades"))
            rc = cmd_trades(client, arg > 0 ? arg : 24);
        else if (!strcmp(cmd, "watch"))
            rc = cmd_watch(client, cfg.user_hub_url, arg > 0 ? arg : 30);
        else
            rc = cmd_mutation(client, cmd, argv[i]);
        if (rc == 1 && login == PROJECTX_OK)
            fprintf(stderr, "%s\n", projectx_last_error(client));
        projectx_destroy(&client);
    }
    ofts_config_destroy(&config);
    curl_global_cleanup();
    return rc;
}
