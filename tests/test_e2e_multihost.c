/*  Two "hosts" on separate loopback addresses (127.0.0.2 and 127.0.0.3),
    every socket under CURVE: host A runs gateway-md, analyzer and the
    forwarder; host B runs risk, gateway-order and the monitor and reaches A
    only through the forwarder. A monitor with a known key sees all five
    services; a peer with an unknown key (or none) receives nothing and
    cannot command risk.                                                   */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e_util.h"

static char *s_dir;

//  An ephemeral port on addr: bind port 0, read it back, release it.
static int
s_free_port(const char *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    inet_pton(AF_INET, addr, &sa.sin_addr);
    bind(fd, (struct sockaddr *) &sa, sizeof sa);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *) &sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

static char *
s_write(const char *name, json_t *root)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    json_dump_file(root, path, JSON_INDENT(2));
    json_decref(root);
    return strdup(path);
}

typedef struct {
    char a_md[64], a_an[64], a_fw[64], b_risk[64], b_risk_ctl[64], b_go[64], b_go_ctl[64], b_mon[64];
} eps_t;

//  view: 'A' real endpoints; 'B' sees A's services through the forwarder.
static char *s_sim;

static json_t *
s_config(const eps_t *e, char view, const char *cert_dir, const char *services, bool curve)
{
    json_t *eps = json_pack("{s:{s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s}}",
                            "gateway-md", "pub", e->a_md, "analyzer", "pub", e->a_an,
                            "risk", "pub", e->b_risk, "ctl", e->b_risk_ctl,
                            "gateway-order", "pub", e->b_go, "ctl", e->b_go_ctl, "monitor", "pub", e->b_mon);
    if (view == 'B') {
        json_object_set_new(json_object_get(eps, "gateway-md"), "pub", json_string(e->a_fw));
        json_object_set_new(json_object_get(eps, "gateway-md"), "server", json_string("forwarder"));
        json_object_set_new(json_object_get(eps, "analyzer"), "pub", json_string(e->a_fw));
        json_object_set_new(json_object_get(eps, "analyzer"), "server", json_string("forwarder"));
    }
    json_t *bus = json_pack("{s:i, s:i, s:o, s:{s:s, s:[s, s]}}", "heartbeat_ms", 200,
                            "heartbeat_timeout_ms", 1500, "endpoints", eps, "forwarder", "bind", e->a_fw,
                            "publishers", "gateway-md", "analyzer");
    if (curve)
        json_object_set_new(bus, "curve", json_pack("{s:b, s:s, s:s}", "enabled", 1, "cert_dir", cert_dir,
                                                     "authorized_dir", "AUTH"));
    char logs[512];
    snprintf(logs, sizeof logs, "%s/logs-%c", s_dir, view);
    json_t *svc = json_array();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", services);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(svc, json_string(t));
    json_t *up = json_pack("{s:s, s:o, s:i, s:{s:[s, s, s, s, s]}}", "log_dir", logs, "services", svc,
                           "restart_min_ms", 100, "args", "gateway-md", "--replay", s_sim, "--speed", "1",
                           "--linger");
    char journal[512], store[512];
    snprintf(journal, sizeof journal, "%s/risk-%c.sqlite", s_dir, view);
    snprintf(store, sizeof store, "%s/orders-%c.db", s_dir, view);
    return json_pack("{s:o, s:o, s:{s:s}, s:{s:s}}", "bus", bus, "up", up, "risk", "journal", journal,
                     "gateway_order", "db_path", store);
}

static void
s_set_auth(json_t *root, const char *auth)
{
    json_t *curve = json_object_get(json_object_get(root, "bus"), "curve");
    if (curve)
        json_object_set_new(curve, "authorized_dir", json_string(auth));
}

static int
s_keys(const char *dir, const char *names)
{
    char ofts[1024], cmd[4096];
    snprintf(cmd, sizeof cmd, "%s keys %s %s >/dev/null", e2e_bin("ofts", ofts, sizeof ofts), dir, names);
    return system(cmd);
}

//  Services whose heartbeat a monitor with this config sees before the deadline.
static int
s_seen_services(const char *config, int ms, char seen[8][32])
{
    char mon[1024];
    char *argv[] = { (char *) e2e_bin("ofts-monitor", mon, sizeof mon), "--config", (char *) config, "--json",
                     "sys.heartbeat.", NULL };
    e2e_proc_t p;
    assert_int_equal(e2e_spawn(&p, argv, true, "/dev/null"), 0);
    int n = 0;
    int64_t deadline = e2e_now_ms() + ms;
    char line[8192];
    while (n < 5 && e2e_read_line(&p, line, sizeof line, deadline)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *svc = json_string_value(json_object_get(json_object_get(j, "heartbeat"), "service"));
        bool known = !svc;
        for (int i = 0; i < n && !known; i++)
            known = strcmp(seen[i], svc) == 0;
        if (!known)
            snprintf(seen[n++], 32, "%s", svc);
        json_decref(j);
    }
    e2e_stop(&p, SIGTERM, 3000);
    return n;
}

static int
s_cmd(const char *config, const char *verb)
{
    char ofts[1024];
    char *argv[] = { (char *) e2e_bin("ofts", ofts, sizeof ofts), "cmd", (char *) verb, "--config", (char *) config, NULL };
    return e2e_run(argv, "/dev/null");
}

static void
t_two_hosts_with_curve(void **state)
{
    (void) state;
    s_dir = e2e_tempdir("hosts");
    s_sim = e2e_sim_file(s_dir, "market.dbn.zst", 2, 11);
    assert_non_null(s_sim);
    char certs[512], rogue[512], auth[512];
    snprintf(certs, sizeof certs, "%s/certs", s_dir);
    snprintf(rogue, sizeof rogue, "%s/rogue", s_dir);
    snprintf(auth, sizeof auth, "%s/authorized", s_dir);
    assert_int_equal(s_keys(certs, "gateway-md analyzer risk gateway-order monitor forwarder ofts"), 0);
    //  The allow-list holds public certificates only.
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/*.cert %s/", auth, certs, auth);
    assert_int_equal(system(cmd), 0);
    //  The rogue knows every server's public key but has its own secret.
    assert_int_equal(s_keys(rogue, "monitor ofts"), 0);
    snprintf(cmd, sizeof cmd, "for f in gateway-md analyzer risk gateway-order forwarder; do cp %s/$f.cert %s/; done",
             certs, rogue);
    assert_int_equal(system(cmd), 0);

    eps_t e;
    snprintf(e.a_md, sizeof e.a_md, "tcp://127.0.0.2:%d", s_free_port("127.0.0.2"));
    snprintf(e.a_an, sizeof e.a_an, "tcp://127.0.0.2:%d", s_free_port("127.0.0.2"));
    snprintf(e.a_fw, sizeof e.a_fw, "tcp://127.0.0.2:%d", s_free_port("127.0.0.2"));
    snprintf(e.b_risk, sizeof e.b_risk, "tcp://127.0.0.3:%d", s_free_port("127.0.0.3"));
    snprintf(e.b_risk_ctl, sizeof e.b_risk_ctl, "tcp://127.0.0.3:%d", s_free_port("127.0.0.3"));
    snprintf(e.b_go, sizeof e.b_go, "tcp://127.0.0.3:%d", s_free_port("127.0.0.3"));
    snprintf(e.b_go_ctl, sizeof e.b_go_ctl, "tcp://127.0.0.3:%d", s_free_port("127.0.0.3"));
    snprintf(e.b_mon, sizeof e.b_mon, "tcp://127.0.0.3:%d", s_free_port("127.0.0.3"));

    json_t *ja = s_config(&e, 'A', certs, "gateway-md,analyzer,forwarder", true);
    json_t *jb = s_config(&e, 'B', certs, "risk,gateway-order,monitor", true);
    json_t *jr = s_config(&e, 'B', rogue, "monitor", true);
    json_t *jp = s_config(&e, 'B', certs, "monitor", false);
    s_set_auth(ja, auth);
    s_set_auth(jb, auth);
    s_set_auth(jr, rogue);
    char *cfg_a = s_write("host-a.json", ja), *cfg_b = s_write("host-b.json", jb);
    char *cfg_rogue = s_write("rogue.json", jr), *cfg_plain = s_write("plain.json", jp);

    char ofts[1024];
    e2e_bin("ofts", ofts, sizeof ofts);
    e2e_proc_t up_a, up_b;
    char log_a[600], log_b[600];
    snprintf(log_a, sizeof log_a, "%s/up-a.stderr", s_dir);
    snprintf(log_b, sizeof log_b, "%s/up-b.stderr", s_dir);
    char *argv_a[] = { ofts, "up", "--config", cfg_a, "--quiet", NULL };
    char *argv_b[] = { ofts, "up", "--config", cfg_b, "--quiet", NULL };
    assert_int_equal(e2e_spawn(&up_a, argv_a, false, log_a), 0);
    assert_int_equal(e2e_spawn(&up_b, argv_b, false, log_b), 0);

    char seen[8][32];
    int n = s_seen_services(cfg_b, 10000, seen);
    assert_int_equal(n, 5);
    assert_int_equal(s_seen_services(cfg_rogue, 3000, seen), 0);
    assert_int_equal(s_seen_services(cfg_plain, 2000, seen), 0);
    assert_int_not_equal(s_cmd(cfg_rogue, "kill"), 0);
    assert_int_equal(s_cmd(cfg_b, "resume"), 0);

    assert_int_equal(WEXITSTATUS(e2e_stop(&up_a, SIGINT, 15000)), 0);
    assert_int_equal(WEXITSTATUS(e2e_stop(&up_b, SIGINT, 15000)), 0);
    free(cfg_a);
    free(cfg_b);
    free(cfg_rogue);
    free(cfg_plain);
    e2e_rmtree(s_dir);
    free(s_dir);
    free(s_sim);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(t_two_hosts_with_curve) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
