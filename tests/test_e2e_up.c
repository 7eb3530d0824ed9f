/*  `ofts up` end to end: five services heartbeat within 5 s; kill -9 of any
    one is followed by its restart; Ctrl-C leaves no process behind.      */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"

static const char *s_services[] = { "gateway-md", "analyzer", "risk", "gateway-order", "monitor" };
#define NSERVICES 5

typedef struct {
    int health_events[NSERVICES];   //  monitor said "lost", "back" or "restarted"
    pid_t pids[NSERVICES];
    pid_t all_pids[64];
    int nall;
} seen_t;

static int
s_index(const char *service)
{
    for (int i = 0; i < NSERVICES; i++)
        if (strcmp(service, s_services[i]) == 0)
            return i;
    return -1;
}

//  Read heartbeats until `done` says so or the deadline passes.
static bool
s_watch(e2e_proc_t *mon, seen_t *seen, int64_t deadline, bool (*done)(seen_t *, void *), void *arg)
{
    char line[8192];
    while (!done(seen, arg)) {
        if (!e2e_read_line(mon, line, sizeof line, deadline))
            return false;
        json_t *j = json_loads(line, 0, NULL);
        json_t *hb = j ? json_object_get(j, "heartbeat") : NULL;
        const char *type = j ? json_string_value(json_object_get(j, "type")) : NULL;
        if (type && strcmp(type, "health") == 0) {
            int i = s_index(json_string_value(json_object_get(j, "service")));
            if (i >= 0)
                seen->health_events[i]++;
        }
        if (hb) {
            int i = s_index(json_string_value(json_object_get(hb, "service")));
            pid_t pid = (pid_t) json_integer_value(json_object_get(hb, "pid"));
            if (i >= 0 && pid > 0) {
                seen->pids[i] = pid;
                bool known = false;
                for (int k = 0; k < seen->nall; k++)
                    known |= seen->all_pids[k] == pid;
                if (!known && seen->nall < 64)
                    seen->all_pids[seen->nall++] = pid;
            }
        }
        json_decref(j);
    }
    return true;
}

static bool
s_all_seen(seen_t *seen, void *arg)
{
    (void) arg;
    for (int i = 0; i < NSERVICES; i++)
        if (!seen->pids[i])
            return false;
    return true;
}

typedef struct {
    int index;
    pid_t old_pid;
    int health_before;
} restart_t;

//  The new process heartbeats, and the monitor reported the change.
static bool
s_restarted(seen_t *seen, void *arg)
{
    restart_t *r = arg;
    return seen->pids[r->index] && seen->pids[r->index] != r->old_pid
        && seen->health_events[r->index] > r->health_before;
}

static void
t_up_heartbeats_restarts_and_clean_stop(void **state)
{
    (void) state;
    //  Become the reaper of orphans: a service `ofts up` failed to stop
    //  would end up our child, alive or zombie, and fail the last check.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    char *dir = e2e_tempdir("up");
    char *sim = e2e_sim_file(dir, "market.dbn.zst", 2, 7);
    assert_non_null(sim);
    char extra[2048];
    snprintf(extra, sizeof extra,
             "{\"up\":{\"args\":{\"gateway-md\":[\"--replay\",\"%s\",\"--speed\",\"1\",\"--linger\"]}}}", sim);
    char *cfg = e2e_write_config(dir, extra);
    free(sim);
    char ofts[1024], monitor[1024], errlog[1024];
    e2e_bin("ofts", ofts, sizeof ofts);
    e2e_bin("ofts-monitor", monitor, sizeof monitor);
    snprintf(errlog, sizeof errlog, "%s/up.stderr", dir);

    int64_t start = e2e_now_ms();
    e2e_proc_t up, mon;
    char *up_argv[] = { ofts, "up", "--config", cfg, "--quiet", NULL };
    assert_int_equal(e2e_spawn(&up, up_argv, false, errlog), 0);
    char *mon_argv[] = { monitor, "--config", cfg, "--json", "sys.heartbeat.", NULL };
    assert_int_equal(e2e_spawn(&mon, mon_argv, true, NULL), 0);

    seen_t seen = { 0 };
    assert_true(s_watch(&mon, &seen, start + 5000, s_all_seen, NULL));
    fprintf(stderr, "all five heartbeats after %lld ms\n", (long long) (e2e_now_ms() - start));

    for (int i = 0; i < NSERVICES; i++) {
        restart_t r = { i, seen.pids[i], seen.health_events[i] };
        assert_int_equal(kill(r.old_pid, SIGKILL), 0);
        assert_true(s_watch(&mon, &seen, e2e_now_ms() + 10000, s_restarted, &r));
        assert_int_not_equal(seen.pids[i], r.old_pid);
        fprintf(stderr, "%s restarted: pid %d -> %d\n", s_services[i], r.old_pid, seen.pids[i]);
    }

    int status = e2e_stop(&up, SIGINT, 15000);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    e2e_stop(&mon, SIGTERM, 5000);
    for (int k = 0; k < seen.nall; k++) {
        if (e2e_pid_alive(seen.all_pids[k]))
            fail_msg("pid %d outlived `ofts up`", seen.all_pids[k]);
    }
    //  Nothing else was handed to us: no orphan, no zombie.
    assert_true(waitpid(-1, NULL, WNOHANG) <= 0);

    //  The one log of all activity has every service's lines.
    char path[1024];
    snprintf(path, sizeof path, "%s/logs/orderflow_trading.log", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int found[NSERVICES] = { 0 };
    bool saw_restart = false;
    while (fgets(line, sizeof line, f)) {
        for (int i = 0; i < NSERVICES; i++) {
            char tag[64];
            snprintf(tag, sizeof tag, " %s: ", s_services[i]);
            if (strstr(line, tag))
                found[i] = 1;
        }
        if (strstr(line, "killed by signal 9"))
            saw_restart = true;
    }
    fclose(f);
    for (int i = 0; i < NSERVICES; i++)
        assert_true(found[i]);
    assert_true(saw_restart);
    e2e_rmtree(dir);
    free(cfg);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_up_heartbeats_restarts_and_clean_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
