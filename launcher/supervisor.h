/*  supervisor - `ofts up`: start every service as its own process, collect
    their log lines, restart the ones that die, stop them all on Ctrl-C.

    Each child's stdout and stderr go into one pipe; every line is written
    to <log_dir>/<service>.log and to <log_dir>/orderflow_trading.log (the
    one log of all activity), and echoed on our stderr unless quiet.
    Restart policy: a child that dies is restarted after a backoff that
    doubles from restart_min_ms up to restart_max_ms, and resets once the
    child has stayed up 10 s. Exit code 0 means "finished" (a replay that
    ran out of data) and is not restarted; exit codes 2 (bad config,
    endpoint taken) and 3 (fatal: missing replay file, key rejected, missing
    secret) - see ofts_config.h - stop everything with one line, since
    restarting cannot fix them.                                            */
#ifndef OFTS_SUPERVISOR_H
#define OFTS_SUPERVISOR_H
#include <stdbool.h>

typedef struct _supervisor_t supervisor_t;

typedef struct {
    const char *config_path;        //  passed to every child as --config
    const char *log_dir;
    const char *bin_dir;            //  where ofts-<service> binaries live
    int restart_min_ms;
    int restart_max_ms;
    int stop_timeout_ms;
    bool quiet;
    const char *until_exit;         //  stop all when this service exits 0
    int grace_ms;                   //  ... after this long
} supervisor_config_t;

supervisor_t *supervisor_new(const supervisor_config_t *config);
void supervisor_destroy(supervisor_t **self_p);
//  Add a service; extra arguments (NULL-terminated array, copied) follow --config.
int supervisor_add(supervisor_t *self, const char *service, const char *const *extra_args);
//  Run `ofts-<svc> --check-config` for each; 0 if all pass, else 2 (output shown).
int supervisor_check(supervisor_t *self);
//  Start everything and supervise until SIGINT/SIGTERM (or until_exit).
//  Returns the exit code for `ofts up`.
int supervisor_run(supervisor_t *self);

#endif
