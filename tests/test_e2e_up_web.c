/*  `ofts up` starts the web view: with monitor.web.enabled the monitor it
    supervises (--service) serves the page on monitor.web.listen (here
    127.0.0.1:0, an ephemeral port read from its log): the page, its script
    and the WebSocket feed (a snapshot first) answer; Ctrl-C on `ofts up`
    takes the monitor and the server down with it.                       */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "e2e_util.h"
#include "ws_client.h"

static void
t_up_serves_the_web_view(void **state)
{
    (void) state;
    char *dir = e2e_tempdir("up-web");
    char *config = e2e_write_config(dir, "{\"up\":{\"services\":[\"monitor\"]},"
                                         " \"monitor\":{\"web\":{\"enabled\":true,\"listen\":\"127.0.0.1:0\"}}}");
    char ofts[512], errlog[600], monlog[600];
    e2e_bin("ofts", ofts, sizeof ofts);
    snprintf(errlog, sizeof errlog, "%s/up.stderr", dir);
    snprintf(monlog, sizeof monlog, "%s/logs/monitor.log", dir);
    e2e_proc_t up;
    char *argv[] = { ofts, "up", "--config", config, "--quiet", NULL };
    assert_int_equal(e2e_spawn(&up, argv, false, errlog), 0);

    int port = ws_wait_logged_port(monlog, 60000);
    assert_true(port > 0);
    char *body = NULL;
    assert_int_equal(http_get(port, "/", &body), 200);
    assert_non_null(strstr(body, "<title>ofts live</title>"));
    free(body);
    assert_int_equal(http_get(port, "/app.js", &body), 200);
    assert_true(strlen(body) > 1000);
    free(body);
    ws_client_t *ws = ws_client_connect(port, "/", 10000, NULL);
    assert_non_null(ws);
    char *first = ws_client_recv(ws, 10000);
    assert_non_null(first);
    json_t *msg = json_loads(first, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(msg, "type")), "snapshot");
    json_decref(msg);
    free(first);
    ws_client_destroy(&ws);

    pid_t monitor = e2e_child_pid(up.pid, "ofts-monitor");
    assert_true(monitor > 0);
    int status = e2e_stop(&up, SIGINT, 20000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_false(e2e_pid_alive(monitor));
    assert_int_equal(http_get(port, "/", &body), -1);
    free(body);
    if (!getenv("OFTS_KEEP"))
        e2e_rmtree(dir);
    free(dir);
    free(config);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_up_serves_the_web_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
