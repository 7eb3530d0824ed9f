/*  ofts - the one command a trader types.

      ofts up [--config F] [--replay FILE] [--speed N] [--live] [--only a,b]
              [--log-dir D] [--until-exit SVC] [--grace-ms N] [--quiet]
                                            start and supervise all services
      ofts cmd pause|resume|kill|flatten [SYMBOL] [--config F]
                                            send a command to risk
      ofts keys DIR [NAME ...]              make CURVE certificates (default:
                                            every service, and "ofts" for ofts cmd)
      ofts dbn ... | databento ... | monitor ... | backtest ... | sweep ...
      ofts record ... | replay-bus ... | rerun ... | explain ...
                                            run ofts-<name> with the rest    */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ofts_command.h"
#include "ofts_config.h"
#include "ofts_ctl.h"
#include "ofts_curve.h"
#include "ofts_fs.h"
#include "ofts_log.h"
#include "ofts_trust.h"
#include "instance_lock.h"
#include "supervisor.h"

#define MAX_SERVICES 16

static char s_bin_dir[1024];

static void
s_find_bin_dir(void)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(s_bin_dir, sizeof s_bin_dir, ".");
        return;
    }
    exe[n] = '\0';
    snprintf(s_bin_dir, sizeof s_bin_dir, "%s", dirname(exe));
}

static int
s_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts up [--config F] [--replay FILE] [--speed N] [--live] [--only a,b] [--log-dir D]\n"
            "               [--until-exit SVC] [--grace-ms N] [--quiet]\n"
            "       ofts cmd pause|resume|kill|flatten [SYMBOL] [--config F] [--to risk|gateway-order]\n"
            "       ofts keys [--force] DIR [NAME ...]\n"
            "       ofts dbn|databento|monitor|backtest|sweep|journal|sim ARGS...   (each takes --help)\n"
            "       ofts record info|dump | replay-bus | rerun | explain ARGS...  (docs/recorder.md)\n"
            "       ofts --help\n");
    return code;
}

static bool
s_in_list(const char *list, const char *name)
{
    if (!list)
        return true;
    size_t len = strlen(name);
    for (const char *p = list; p && *p; ) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t) (comma - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

//  Read "up": services, log_dir, restart policy, per-service extra args.
static int
s_read_up(ofts_config_t *cfg, supervisor_config_t *sc, const char **services, int *nservices,
          json_t **args_out, char *err, size_t errlen)
{
    ofts_cfgsec_t *up = ofts_config_section(cfg, "up");
    if (!sc->log_dir)
        sc->log_dir = ofts_cfgsec_string(up, "log_dir", "logs");
    sc->restart_min_ms = (int) ofts_cfgsec_int_range(up, "restart_min_ms", 250, 1, 3600000);
    sc->restart_max_ms = (int) ofts_cfgsec_int_range(up, "restart_max_ms", 10000, 1, 3600000);
    sc->stop_timeout_ms = (int) ofts_cfgsec_int_range(up, "stop_timeout_ms", 5000, 1, 600000);
    if (sc->restart_min_ms <= 0 || sc->restart_max_ms < sc->restart_min_ms)
        ofts_cfgsec_fail(up, "restart_max_ms", "need 0 < restart_min_ms <= restart_max_ms");
    json_t *list = ofts_cfgsec_json(up, "services");
    static const char *defaults[] = { "gateway-order", "risk", "analyzer", "gateway-md", "monitor" };
    *nservices = 0;
    if (!list) {
        for (int i = 0; i < 5; i++)
            services[(*nservices)++] = defaults[i];
    }
    else if (!json_is_array(list))
        ofts_cfgsec_fail(up, "services", "expected an array of service names");
    else {
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v) {
            if (!json_is_string(v) || *nservices == MAX_SERVICES) {
                ofts_cfgsec_fail(up, "services", "expected an array of service names");
                break;
            }
            services[(*nservices)++] = json_string_value(v);
        }
    }
    //  ofts-alerts is off by default: alerts.enabled adds it (docs/alerts.md).
    json_t *alerts = json_object_get(ofts_config_root(cfg), "alerts");
    bool alerts_on = json_is_true(json_object_get(alerts, "enabled"));
    bool listed = false;
    for (int i = 0; i < *nservices; i++)
        listed |= strcmp(services[i], "alerts") == 0;
    if (alerts_on && !listed && *nservices < MAX_SERVICES)
        services[(*nservices)++] = "alerts";
    json_t *args = ofts_cfgsec_json(up, "args");
    if (args && !json_is_object(args))
        ofts_cfgsec_fail(up, "args", "expected an object: service -> [arguments]");
    *args_out = args;
    return ofts_cfgsec_finish(&up, err, errlen);
}

static int
s_up_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts up [--config F] [--replay FILE] [--speed N] [--live] [--only a,b]\n"
            "               [--log-dir D] [--until-exit SVC] [--grace-ms N] [--quiet] [--check-config]\n"
            "  --config F       your config, layered over config/default.json (default %s)\n"
            "  --replay FILE    gateway-md replays this DBN file (.dbn or .dbn.zst)\n"
            "  --speed N        replay pace: 1 = real time, 20 = 20x, 0 = as fast as possible\n"
            "  --live           real market data and real orders: gateway-md --live and\n"
            "                   gateway-order --live (needs the keys; docs/going-live.md)\n"
            "  --only a,b       start only these services (e.g. gateway-order on the trader's machine)\n"
            "  --log-dir D      logs here instead of up.log_dir\n"
            "  --until-exit SVC stop everything when SVC finishes (a replay that ran out)\n"
            "  --grace-ms N     ... this long after it finished (default 2000)\n"
            "  --quiet          write the logs only, do not echo them here\n"
            "  --check-config   check the whole merged config (every service's own check and the\n"
            "                   rules between keys) with these flags, start nothing, exit 0 or 2\n"
            "exit: 0 stopped, 2 bad config / already running / a service cannot run\n",
            ofts_config_default_path());
    return code;
}

typedef struct {
    const char *config_path;
    const char *only;
    const char *replay;
    const char *speed;
    bool live;
    bool check;
} up_args_t;

static int
s_up_args(int argc, char **argv, up_args_t *a, supervisor_config_t *sc)
{
    for (int i = 0; i < argc; i++) {
        const char *f = argv[i];
        bool valued = strcmp(f, "--config") == 0 || strcmp(f, "--log-dir") == 0 || strcmp(f, "--only") == 0
                   || strcmp(f, "--until-exit") == 0 || strcmp(f, "--grace-ms") == 0
                   || strcmp(f, "--replay") == 0 || strcmp(f, "--speed") == 0;
        if (valued && i + 1 >= argc) {
            fprintf(stderr, "ofts up: %s needs a value\n", f);
            return 2;
        }
        if (strcmp(f, "--help") == 0 || strcmp(f, "-h") == 0)
            return s_up_usage(0) - 1;
        else if (strcmp(f, "--config") == 0)
            a->config_path = argv[++i];
        else if (strcmp(f, "--log-dir") == 0)
            sc->log_dir = argv[++i];
        else if (strcmp(f, "--only") == 0)
            a->only = argv[++i];
        else if (strcmp(f, "--until-exit") == 0)
            sc->until_exit = argv[++i];
        else if (strcmp(f, "--grace-ms") == 0)
            sc->grace_ms = atoi(argv[++i]);
        else if (strcmp(f, "--replay") == 0)
            a->replay = argv[++i];
        else if (strcmp(f, "--speed") == 0)
            a->speed = argv[++i];
        else if (strcmp(f, "--live") == 0)
            a->live = true;
        else if (strcmp(f, "--check-config") == 0)
            a->check = true;
        else if (strcmp(f, "--quiet") == 0)
            sc->quiet = true;
        else {
            fprintf(stderr, "ofts up: unknown flag '%s' (see ofts up --help)\n", f);
            return 2;
        }
    }
    if (a->live && (a->replay || a->speed)) {
        fprintf(stderr, "ofts up: --live cannot go with --replay or --speed\n");
        return 2;
    }
    return 0;
}

//  Does the config itself give gateway-order --live (up.args)? That is a
//  confirmation written by the operator for gateway-order alone: a replay
//  of recorded market data against a ProjectX account (a practice account
//  or the mock) - `ofts up --live` would take gateway-md live as well.
static bool
s_config_confirms_live(json_t *root)
{
    json_t *args = json_object_get(json_object_get(json_object_get(root, "up"), "args"), "gateway-order");
    size_t i;
    json_t *v;
    json_array_foreach(args, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), "--live") == 0)
            return true;
    return false;
}

//  A file that names bus.endpoints replaces the default set: a service ofts
//  up starts but that file forgot (the recorder, say) could never bind.
//  Said here, before anything starts, not by a dying service.
static int
s_missing_endpoint(const char *path, json_t *eps, const up_args_t *a, const char **services, int nservices)
{
    for (int i = 0; i < nservices; i++) {
        if (!s_in_list(a->only, services[i]) || strcmp(services[i], "forwarder") == 0)
            continue;               //  not started here / the forwarder's own config
        bool ctl = strcmp(services[i], "risk") == 0 || strcmp(services[i], "gateway-order") == 0;
        json_t *mine = json_object_get(eps, services[i]);
        const char *kind = !json_is_string(json_object_get(mine, "pub")) ? "pub"
                         : ctl && !json_is_string(json_object_get(mine, "ctl")) ? "ctl" : NULL;
        if (kind) {
            fprintf(stderr, "ofts: config error: %s: bus.endpoints.%s.%s: missing, but ofts up starts %s "
                            "(a file naming bus.endpoints replaces the default set: name %s's too, or leave it "
                            "out of up.services)\n", path, services[i], kind, services[i], services[i]);
            return -1;
        }
    }
    return 0;
}

//  Rules between keys that no single service can see.
static int
s_cross_check(ofts_config_t *cfg, const up_args_t *a, const char **services, int nservices)
{
    static const char *known[] = { "gateway-md", "analyzer", "risk", "gateway-order", "monitor", "forwarder",
                                   "recorder", "alerts", NULL };
    const char *path = ofts_config_path(cfg);
    json_t *root = ofts_config_root(cfg);
    for (int i = 0; i < nservices; i++) {
        bool ok = false;
        for (int k = 0; known[k]; k++)
            ok |= strcmp(services[i], known[k]) == 0;
        if (!ok) {
            fprintf(stderr, "ofts: config error: %s: up.services: unknown service '%s'\n", path, services[i]);
            return OFTS_EXIT_CONFIG;
        }
    }
    //  Two sockets on one endpoint: the second service could never start.
    json_t *eps = json_object_get(json_object_get(root, "bus"), "endpoints");
    const char *seen[64], *owner[64];
    int n = 0;
    const char *svc;
    json_t *ep;
    json_object_foreach(eps, svc, ep) {
        const char *kinds[] = { "pub", "ctl" };
        for (int k = 0; k < 2; k++) {
            const char *e = json_string_value(json_object_get(ep, kinds[k]));
            if (!e || json_object_get(ep, "server"))
                continue;           //  a forwarder's endpoint is shared on purpose
            for (int j = 0; j < n; j++)
                if (strcmp(seen[j], e) == 0) {
                    fprintf(stderr, "ofts: config error: %s: bus.endpoints.%s.%s: %s is also %s's\n", path, svc,
                            kinds[k], e, owner[j]);
                    return OFTS_EXIT_CONFIG;
                }
            if (n < 64) {
                seen[n] = e;
                owner[n++] = svc;
            }
        }
    }
    if (s_missing_endpoint(path, eps, a, services, nservices) != 0)
        return OFTS_EXIT_CONFIG;
    const char *journal = json_string_value(json_object_get(json_object_get(root, "risk"), "journal"));
    json_t *go = json_object_get(root, "gateway_order");
    const char *store = json_string_value(json_object_get(go, "db_path"));
    if (journal && store && strcmp(journal, store) == 0) {
        fprintf(stderr, "ofts: config error: %s: gateway_order.db_path: the same file as risk.journal (%s)\n",
                path, store);
        return OFTS_EXIT_CONFIG;
    }
    const char *broker = json_string_value(json_object_get(go, "broker"));
    if (broker && strcmp(broker, "projectx") == 0 && !a->live && !s_config_confirms_live(root)
        && s_in_list(a->only, "gateway-order")) {
        fprintf(stderr, "ofts: config error: %s: gateway_order.broker is \"projectx\" (a real account): "
                        "start with `ofts up --live` to confirm (or give gateway-order alone --live in "
                        "up.args)\n", path);
        return OFTS_EXIT_CONFIG;
    }
    return 0;
}

//  Every resource the started services will own, locked before anything is
//  touched: a second `ofts up` on them says who holds them and exits 2.
static int
s_up_lock(instance_lock_t *lock, ofts_config_t *cfg, const char **services, int nservices, const char *only)
{
    json_t *root = ofts_config_root(cfg);
    json_t *eps = json_object_get(json_object_get(root, "bus"), "endpoints");
    char held[1200] = "";
    int rc = 0;
    for (int i = 0; i < nservices && rc == 0; i++) {
        if (!s_in_list(only, services[i]))
            continue;
        json_t *ep = json_object_get(eps, services[i]);
        const char *kinds[] = { "pub", "ctl" };
        for (int k = 0; k < 2 && rc == 0; k++) {
            const char *e = json_string_value(json_object_get(ep, kinds[k]));
            if (e)
                rc = instance_lock_endpoint(lock, e, held, sizeof held);
        }
        const char *state = NULL;
        if (strcmp(services[i], "risk") == 0)
            state = json_string_value(json_object_get(json_object_get(root, "risk"), "journal"));
        else if (strcmp(services[i], "gateway-order") == 0)
            state = json_string_value(json_object_get(json_object_get(root, "gateway_order"), "db_path"));
        if (state && rc == 0)
            rc = instance_lock_state_dir(lock, state, held, sizeof held);
    }
    if (rc != 0)
        fprintf(stderr, "ofts: %s\n", held);
    return rc == 0 ? 0 : OFTS_EXIT_CONFIG;
}

//  The flags a user gives `ofts up` become the services' own flags, after
//  the config's up.args (so they win).
static void
s_up_flags(const up_args_t *a, const char *service, const char **extra, int *n)
{
    if (strcmp(service, "gateway-md") == 0) {
        if (a->replay) {
            extra[(*n)++] = "--replay";
            extra[(*n)++] = a->replay;
        }
        if (a->speed) {
            extra[(*n)++] = "--speed";
            extra[(*n)++] = a->speed;
        }
    }
    if (a->live && (strcmp(service, "gateway-md") == 0 || strcmp(service, "gateway-order") == 0))
        extra[(*n)++] = "--live";
}

static int
s_up(int argc, char **argv)
{
    supervisor_config_t sc = { .bin_dir = s_bin_dir, .grace_ms = 2000 };
    up_args_t a = { .config_path = ofts_config_default_path() };
    int rc = s_up_args(argc, argv, &a, &sc);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    char real[4096];
    sc.config_path = realpath(a.config_path, real) ? real : a.config_path;
    char err[512];
    ofts_config_t *cfg = ofts_config_load(sc.config_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "ofts: config error: %s\n", err);
        return OFTS_EXIT_CONFIG;
    }
    const char *services[MAX_SERVICES];
    int nservices = 0;
    json_t *args = NULL;
    if (s_read_up(cfg, &sc, services, &nservices, &args, err, sizeof err) != 0) {
        fprintf(stderr, "ofts: config error: %s\n", err);
        ofts_config_destroy(&cfg);
        return OFTS_EXIT_CONFIG;
    }
    rc = s_cross_check(cfg, &a, services, nservices);
    instance_lock_t *lock = instance_lock_new(sc.config_path);
    supervisor_t *sup = NULL;
    //  A check takes no lock: checking next to a running stack is fine.
    if (rc == 0 && !a.check)
        rc = s_up_lock(lock, cfg, services, nservices, a.only);
    if (rc == 0 && !(sup = supervisor_new(&sc)))
        rc = 1;
    for (int i = 0; i < nservices && rc == 0; i++) {
        if (!s_in_list(a.only, services[i]))
            continue;
        const char *extra[40] = { NULL };
        int n = 0;
        json_t *list = args ? json_object_get(args, services[i]) : NULL;
        size_t k;
        json_t *v;
        json_array_foreach(list, k, v) {
            if (n < 32 && json_is_string(v))
                extra[n++] = json_string_value(v);
        }
        //  Under `ofts up` the monitor is a service: it heartbeats and
        //  writes the activity log rather than printing every message.
        if (!list && strcmp(services[i], "monitor") == 0)
            extra[n++] = "--service";
        s_up_flags(&a, services[i], extra, &n);
        supervisor_add(sup, services[i], extra);
    }
    if (rc == 0)
        rc = supervisor_check(sup);
    if (rc == 0 && a.check)
        printf("%s: config OK for ofts up (every service checked it, with these flags)\n", sc.config_path);
    else if (rc == 0)
        rc = supervisor_run(sup);
    supervisor_destroy(&sup);
    instance_lock_destroy(&lock);
    ofts_config_destroy(&cfg);
    return rc;
}

static int
s_cmd_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts cmd pause|resume|kill|flatten [SYMBOL] [--account ID | --all] [--config F]\n"
            "                [--to risk|gateway-order]\n"
            "  pause            risk stops opening positions (REDUCING)\n"
            "  resume           back to ACTIVE (also lifts gateway-order's halt after a kill)\n"
            "  flatten [SYMBOL] close every position, or one root (GC, gc, NQ ...)\n"
            "  kill             HALT and flatten everything\n"
            "  --account ID     only this account of risk.accounts (docs/accounts.md)\n"
            "  --all            every account (the default)\n"
            "  --config F       the config naming the ctl endpoints (default %s)\n"
            "  --to SERVICE     risk (default) or gateway-order: the local kill switch on the\n"
            "                   trader's machine (kill, flatten, resume). When risk does not\n"
            "                   answer a kill or flatten, ofts cmd sends it to gateway-order itself.\n"
            "exit: 0 acknowledged, 1 nobody answered, 2 refused or bad arguments\n",
            ofts_config_default_path());
    return code;
}

//  The ctl endpoint of `service` from the config, or NULL (err says why).
static const char *
s_ctl_endpoint(ofts_config_t *cfg, const char *service, char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof path, "bus.endpoints.%s", service);
    ofts_cfgsec_t *sec = ofts_config_section(cfg, path);
    const char *ctl = ofts_cfgsec_endpoint(sec, "ctl", NULL);
    ofts_cfgsec_json(sec, "pub");
    ofts_cfgsec_json(sec, "server");
    if (ofts_cfgsec_finish(&sec, err, errlen) != 0)
        return NULL;
    if (!ctl)
        snprintf(err, errlen, "%s: no bus.endpoints.%s.ctl", ofts_config_path(cfg), service);
    return ctl;
}

//  Send and say what happened; 0 acknowledged, 1 no answer, 2 refused.
static int
s_cmd_send(const char *service, const char *ctl, Ofts__Command *cmd, bool quiet_timeout)
{
    char why[512];
    //  Generous: a gateway-order busy with the broker (REST) answers late.
    int rc = ofts_ctl_command_ex(ctl, cmd, 8000, why, sizeof why);
    const char *verb = ofts_command_verb(cmd->type);
    if (rc == 0) {
        printf("%s acknowledged %s%s%s\n", service, verb, *cmd->symbol ? " " : "", cmd->symbol);
        return 0;
    }
    if (rc == OFTS_CTL_REFUSED) {
        fprintf(stderr, "ofts: %s refused %s: %s\n", service, verb, why);
        return 2;
    }
    if (!quiet_timeout)
        fprintf(stderr, "ofts: %s did not acknowledge %s (is it running? ctl %s)\n", service, verb, ctl);
    return 1;
}

static int
s_cmd(int argc, char **argv)
{
    const char *config_path = ofts_config_default_path();
    const char *verb = NULL, *symbol = "", *to = "risk", *account = "";
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return s_cmd_usage(0);
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--to") == 0
             || strcmp(argv[i], "--account") == 0) && i + 1 >= argc) {
            fprintf(stderr, "ofts cmd: %s needs a value\n", argv[i]);
            return s_cmd_usage(2);
        }
        if (strcmp(argv[i], "--config") == 0)
            config_path = argv[++i];
        else if (strcmp(argv[i], "--to") == 0)
            to = argv[++i];
        else if (strcmp(argv[i], "--account") == 0)
            account = argv[++i];
        else if (strcmp(argv[i], "--all") == 0)
            account = "";
        else if (argv[i][0] == '-') {
            fprintf(stderr, "ofts cmd: unknown flag '%s'\n", argv[i]);
            return s_cmd_usage(2);
        }
        else if (!verb)
            verb = argv[i];
        else if (!*symbol)
            symbol = argv[i];
        else {
            fprintf(stderr, "ofts cmd: unexpected argument '%s' (one SYMBOL at most)\n", argv[i]);
            return 2;
        }
    }
    if (!verb)
        return s_cmd_usage(2);
    int type = ofts_command_type(verb);
    if (type < 0) {
        fprintf(stderr, "ofts cmd: unknown command '%s' (pause, resume, kill, flatten [SYMBOL])\n", verb);
        return 2;
    }
    if (strcmp(to, "risk") != 0 && strcmp(to, "gateway-order") != 0) {
        fprintf(stderr, "ofts cmd: --to '%s': want risk or gateway-order\n", to);
        return 2;
    }
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = (Ofts__CommandType) type;
    cmd.symbol = (char *) symbol;
    cmd.issued_by = "ofts cmd";
    cmd.account = (char *) account;
    cmd.reason = "operator";
    //  Same check the services make: refuse here too, before any network.
    char sym[OFTS_SYM_LEN], err[512];
    if (ofts_command_check(&cmd, sym, err, sizeof err) != 0) {
        fprintf(stderr, "ofts cmd: %s refused: %s\n", verb, err);
        return 2;
    }
    cmd.symbol = sym;
    ofts_config_t *cfg = ofts_config_load(config_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "ofts: config error: %s\n", err);
        return OFTS_EXIT_CONFIG;
    }
    int rc = OFTS_EXIT_CONFIG;
    const char *ctl = s_ctl_endpoint(cfg, to, err, sizeof err);
    ofts_curve_t *curve = NULL;
    if (!ctl || ofts_curve_from_config(cfg, "ofts", &curve, err, sizeof err) != 0)
        fprintf(stderr, "ofts: config error: %s\n", err);
    //  The operator credential: our CURVE key, or else the bus secret.
    else if (!curve && ofts_trust_operator_from_config(cfg, err, sizeof err) != 0)
        fprintf(stderr, "ofts: %s\n", err);
    else {
        ofts_curve_set_process(curve);
        bool may_fall_back = strcmp(to, "risk") == 0 && (cmd.type == OFTS__COMMAND_TYPE__CMD_KILL
                                                          || cmd.type == OFTS__COMMAND_TYPE__CMD_FLATTEN);
        rc = s_cmd_send(to, ctl, &cmd, false);
        const char *go_ctl = may_fall_back && rc == 1 ? s_ctl_endpoint(cfg, "gateway-order", err, sizeof err) : NULL;
        if (go_ctl) {
            //  The kill switch must not depend on risk being reachable.
            fprintf(stderr, "ofts: sending %s straight to gateway-order (ctl %s)\n", verb, go_ctl);
            rc = s_cmd_send("gateway-order", go_ctl, &cmd, false);
        }
    }
    ofts_curve_destroy(&curve);
    ofts_config_destroy(&cfg);
    zsys_shutdown();
    return rc;
}

static int
s_keys_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts keys [--force] DIR [NAME ...]\n"
            "  make a CURVE certificate per NAME in DIR (created 0700): NAME.cert (public)\n"
            "  and NAME.cert_secret (secret); both written 0600. Default NAMEs: every\n"
            "  service and \"ofts\" (the operator's, for ofts cmd).\n"
            "  --force   replace certificates that already exist (peers holding the old\n"
            "            public keys will be refused until you copy the new ones)\n");
    return code;
}

static int
s_keys(int argc, char **argv)
{
    static const char *defaults[] = { "gateway-md", "analyzer", "risk", "gateway-order", "monitor", "recorder",
                                      "alerts", "ofts", NULL };
    bool force = false;
    const char *dir = NULL;
    const char *names[32];
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return s_keys_usage(0);
        else if (strcmp(argv[i], "--force") == 0)
            force = true;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "ofts keys: unknown flag '%s'\n", argv[i]);
            return s_keys_usage(2);
        }
        else if (!dir)
            dir = argv[i];
        else if (n < 32)
            names[n++] = argv[i];
    }
    if (!dir)
        return s_keys_usage(2);
    if (n == 0)
        while (defaults[n]) {
            names[n] = defaults[n];
            n++;
        }
    //  Check everything before writing anything: a half-replaced key set
    //  locks services out of each other.
    for (int i = 0; i < n && !force; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s.cert_secret", dir, names[i]);
        if (access(path, F_OK) == 0) {
            fprintf(stderr, "ofts keys: %s exists; not overwriting secret keys (use --force to replace them)\n",
                    path);
            return 2;
        }
    }
    if (ofts_mkdir_p(dir, 0700) != 0) {
        fprintf(stderr, "ofts keys: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (int i = 0; i < n; i++) {
        if (ofts_curve_generate(dir, names[i]) != 0) {
            fprintf(stderr, "ofts keys: cannot write certificate %s/%s.cert\n", dir, names[i]);
            return 1;
        }
        printf("%s/%s.cert (public), %s/%s.cert_secret (secret), both 0600\n", dir, names[i], dir, names[i]);
    }
    return 0;
}

static int
s_forward(const char *tool, int argc, char **argv)
{
    char bin[1200];
    snprintf(bin, sizeof bin, "%s/ofts-%s", s_bin_dir, tool);
    char **args = calloc((size_t) argc + 2, sizeof *args);
    args[0] = bin;
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];
    execv(bin, args);
    fprintf(stderr, "ofts: cannot run %s: %s\n", bin, strerror(errno));
    free(args);
    return 127;
}

int
main(int argc, char **argv)
{
    ofts_log_init("ofts", OFTS_LOG_INFO);
    //  Logs, journals, stores and keys we (and our children) make are private.
    umask(077);
    s_find_bin_dir();
    if (argc < 2)
        return s_usage(2);
    const char *sub = argv[1];
    if (strcmp(sub, "up") == 0)
        return s_up(argc - 2, argv + 2);
    if (strcmp(sub, "cmd") == 0)
        return s_cmd(argc - 2, argv + 2);
    if (strcmp(sub, "keys") == 0)
        return s_keys(argc - 2, argv + 2);
    if (strcmp(sub, "help") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
        return s_usage(0);
    static const char *tools[] = { "dbn", "databento", "monitor", "backtest", "sweep", "journal", "sim",
                                   "record", "replay-bus", "rerun", "explain", NULL };
    for (int i = 0; tools[i]; i++)
        if (strcmp(sub, tools[i]) == 0)
            return s_forward(sub, argc - 2, argv + 2);
    fprintf(stderr, "ofts: unknown command '%s'\n", sub);
    return s_usage(2);
}
