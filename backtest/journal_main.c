/*  ofts-journal - `ofts journal export [--config F] [--db PATH]
    [--risk-journal PATH | --no-risk] [--account ID] [-o OUT]`: one CSV row
    per round trip from gateway-order's store, the columns of `ofts backtest
    --trades-csv`. With risk.accounts (docs/accounts.md): one CSV per
    account (OUT-<id>.csv) from that account's store and journal, and a line
    per account and the total.                                             */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "journal.h"
#include "ofts_config.h"
#include "ofts_fs.h"
#include "ofts_log.h"

static int
s_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts journal export [--config F] [--db PATH] [--risk-journal PATH | --no-risk] [--account ID]\n"
            "                           [-o OUT.csv]\n"
            "  --config F          read gateway_order.db_path and risk.journal from F (default config)\n"
            "  --db PATH           gateway-order's store (live or paper)\n"
            "  --risk-journal PATH risk's journal: the signals' reasons and confidence\n"
            "  --no-risk           leave reasons and confidence empty\n"
            "  --account ID        with risk.accounts: that account only (default: each, to OUT-<id>.csv)\n"
            "  -o, --out OUT.csv   output (default stdout)\n"
            "  --help              this text\n"
            "exit: 0 ok, 1 a store cannot be read, 2 bad arguments\n");
    return code;
}

//  A string key of a section of the config, or NULL.
static const char *
s_key(ofts_config_t *cfg, const char *section, const char *key)
{
    return cfg ? json_string_value(json_object_get(json_object_get(ofts_config_root(cfg), section), key)) : NULL;
}

//  Several accounts (risk.accounts): each account's store and risk journal
//  (the names risk and gateway-order give them: "-<id>" before the
//  extension, or the account's own "journal"), each to its own CSV, then
//  one line per account and the total. only: one account (NULL: all).
static int
s_export_accounts(ofts_config_t *cfg, json_t *list, const char *only, bool no_risk, const char *out)
{
    const char *db = s_key(cfg, "gateway_order", "db_path"), *rj = s_key(cfg, "risk", "journal");
    size_t n = json_array_size(list), done = 0;
    if (!only && n > 1 && !out) {
        fprintf(stderr, "ofts journal: %zu accounts (risk.accounts): give -o OUT.csv (one file per account, "
                "OUT-<id>.csv) or --account ID\n", n);
        return 2;
    }
    journal_totals_t sum = { 0, 0, 0 };
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *acc = json_array_get(list, i);
        const char *id = json_string_value(json_object_get(acc, "id"));
        if (!id || (only && strcmp(only, id) != 0))
            continue;
        char db_i[1024], rj_i[1024], out_i[1024], err[512];
        ofts_path_with_tag(db ? db : "var/gateway-order.db", id, db_i, sizeof db_i);
        const char *own = json_string_value(json_object_get(acc, "journal"));
        if (own)
            snprintf(rj_i, sizeof rj_i, "%s", own);
        else
            ofts_path_with_tag(rj ? rj : "var/risk.sqlite", id, rj_i, sizeof rj_i);
        if (out && !only)
            ofts_path_with_tag(out, id, out_i, sizeof out_i);
        else if (out)
            snprintf(out_i, sizeof out_i, "%s", out);
        FILE *f = out ? fopen(out_i, "w") : stdout;
        if (!f) {
            fprintf(stderr, "ofts journal: %s: %s\n", out_i, strerror(errno));
            return 1;
        }
        journal_totals_t t = { 0, 0, 0 };
        rc = journal_export(db_i, no_risk ? NULL : rj_i, f, &t, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "ofts journal: account %s: %s\n", id, err);
        if (out && fclose(f) != 0)
            rc = -1;
        if (rc == 0 && out)
            printf("%-24s %4zu round trips (%zu open), net %+11.2f  %s\n", id, t.rows, t.open,
                   (double) t.net_cents / 100.0, out_i);
        sum.rows += t.rows;
        sum.open += t.open;
        sum.net_cents += t.net_cents;
        done++;
    }
    if (only && !done) {
        fprintf(stderr, "ofts journal: no account '%s' in risk.accounts\n", only);
        return 2;
    }
    if (rc == 0 && out && done > 1)
        printf("%-24s %4zu round trips (%zu open), net %+11.2f\n", "total", sum.rows, sum.open,
               (double) sum.net_cents / 100.0);
    return rc ? 1 : 0;
}

int
main(int argc, char **argv)
{
    ofts_log_init("journal", OFTS_LOG_WARN);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return s_usage(argc < 2 ? 2 : 0);
    if (strcmp(argv[1], "export") != 0) {
        fprintf(stderr, "ofts journal: unknown command '%s'\n", argv[1]);
        return s_usage(2);
    }
    const char *config = ofts_config_default_path(), *db = NULL, *risk = NULL, *out = NULL, *account = NULL;
    bool no_risk = false;
    for (int i = 2; i < argc; i++) {
        bool valued = strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--db") == 0
                   || strcmp(argv[i], "--risk-journal") == 0 || strcmp(argv[i], "-o") == 0
                   || strcmp(argv[i], "--out") == 0 || strcmp(argv[i], "--account") == 0;
        if (valued && i + 1 >= argc) {
            fprintf(stderr, "ofts journal: %s needs a value\n", argv[i]);
            return s_usage(2);
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return s_usage(0);
        else if (strcmp(argv[i], "--config") == 0)
            config = argv[++i];
        else if (strcmp(argv[i], "--db") == 0)
            db = argv[++i];
        else if (strcmp(argv[i], "--risk-journal") == 0)
            risk = argv[++i];
        else if (strcmp(argv[i], "--account") == 0)
            account = argv[++i];
        else if (strcmp(argv[i], "--no-risk") == 0)
            no_risk = true;
        else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0)
            out = argv[++i];
        else {
            fprintf(stderr, "ofts journal: unknown flag '%s'\n", argv[i]);
            return s_usage(2);
        }
    }
    char err[512];
    ofts_config_t *cfg = NULL;
    if (!db || (!risk && !no_risk) || account) {
        cfg = ofts_config_load(config, err, sizeof err);
        if (!cfg) {
            fprintf(stderr, "ofts journal: config error: %s\n", err);
            return 2;
        }
    }
    json_t *accounts = cfg && !db ? json_object_get(json_object_get(ofts_config_root(cfg), "risk"), "accounts") : NULL;
    if (json_array_size(accounts) > 0) {
        int code = s_export_accounts(cfg, accounts, account, no_risk, out);
        ofts_config_destroy(&cfg);
        return code;
    }
    if (account) {
        fprintf(stderr, "ofts journal: --account needs risk.accounts in %s (and no --db)\n", config);
        ofts_config_destroy(&cfg);
        return 2;
    }
    db = db ? db : s_key(cfg, "gateway_order", "db_path");
    risk = no_risk ? NULL : risk ? risk : s_key(cfg, "risk", "journal");
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "ofts journal: %s: %s\n", out, strerror(errno));
        ofts_config_destroy(&cfg);
        return 1;
    }
    int rc = db ? journal_export(db, risk && *risk ? risk : NULL, f, NULL, err, sizeof err) : -1;
    if (!db)
        snprintf(err, sizeof err, "no store: give --db or gateway_order.db_path");
    if (rc != 0)
        fprintf(stderr, "ofts journal: %s\n", err);
    if (out && fclose(f) != 0)
        rc = -1;
    ofts_config_destroy(&cfg);
    return rc ? 1 : 0;
}
