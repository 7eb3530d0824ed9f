/*  ofts-journal - `ofts journal export [--config F] [--db PATH]
    [--risk-journal PATH | --no-risk] [-o OUT]`: one CSV row per round trip
    from gateway-order's store, the columns of `ofts backtest --trades-csv`. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "journal.h"
#include "ofts_config.h"
#include "ofts_log.h"

static int
s_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts journal export [--config F] [--db PATH] [--risk-journal PATH | --no-risk] [-o OUT.csv]\n"
            "  --config F          read gateway_order.db_path and risk.journal from F (default config)\n"
            "  --db PATH           gateway-order's store (live or paper)\n"
            "  --risk-journal PATH risk's journal: the signals' reasons and confidence\n"
            "  --no-risk           leave reasons and confidence empty\n"
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
    const char *config = ofts_config_default_path(), *db = NULL, *risk = NULL, *out = NULL;
    bool no_risk = false;
    for (int i = 2; i < argc; i++) {
        bool valued = strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--db") == 0
                   || strcmp(argv[i], "--risk-journal") == 0 || strcmp(argv[i], "-o") == 0
                   || strcmp(argv[i], "--out") == 0;
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
    if (!db || (!risk && !no_risk)) {
        cfg = ofts_config_load(config, err, sizeof err);
        if (!cfg) {
            fprintf(stderr, "ofts journal: config error: %s\n", err);
            return 2;
        }
    }
    db = db ? db : s_key(cfg, "gateway_order", "db_path");
    risk = no_risk ? NULL : risk ? risk : s_key(cfg, "risk", "journal");
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "ofts journal: %s: %s\n", out, strerror(errno));
        ofts_config_destroy(&cfg);
        return 1;
    }
    size_t rows = 0;
    int rc = db ? journal_export(db, risk && *risk ? risk : NULL, f, &rows, err, sizeof err) : -1;
    if (!db)
        snprintf(err, sizeof err, "no store: give --db or gateway_order.db_path");
    if (rc != 0)
        fprintf(stderr, "ofts journal: %s\n", err);
    if (out && fclose(f) != 0)
        rc = -1;
    ofts_config_destroy(&cfg);
    return rc ? 1 : 0;
}
