/*  ofts_trust: topic ownership, body types, the signed bus, the secret file
    and signed commands (issue 11 part 1; docs/security.md).             */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "ofts_bus.h"
#include "ofts_clock.h"
#include "ofts_ctl.h"
#include "ofts_log.h"
#include "ofts_trust.h"

static Ofts__Header s_header;

//  An envelope with header source `source` and body kind `body`.
static Ofts__Envelope
s_env(const char *source, Ofts__Envelope__BodyCase body)
{
    static Ofts__Trade trade = OFTS__TRADE__INIT;
    static Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    static Ofts__Command cmd = OFTS__COMMAND__INIT;
    static Ofts__Fill fill = OFTS__FILL__INIT;
    static Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    static Ofts__AccountState account = OFTS__ACCOUNT_STATE__INIT;
    ofts__header__init(&s_header);
    s_header.source = (char *) source;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.header = &s_header;
    env.body_case = body;
    switch (body) {
    case OFTS__ENVELOPE__BODY_TRADE:         env.trade = &trade; break;
    case OFTS__ENVELOPE__BODY_ORDER_REQUEST: env.order_request = &req; break;
    case OFTS__ENVELOPE__BODY_COMMAND:       env.command = &cmd; break;
    case OFTS__ENVELOPE__BODY_FILL:          env.fill = &fill; break;
    case OFTS__ENVELOPE__BODY_ACCOUNT:       env.account = &account; break;
    case OFTS__ENVELOPE__BODY_HEARTBEAT:     hb.service = (char *) source; env.heartbeat = &hb; break;
    default: break;
    }
    return env;
}

static void
t_owner(void **state)
{
    (void) state;
    char buf[64];
    assert_string_equal(ofts_trust_owner("md.trade.GC.", buf, sizeof buf), "gateway-md");
    assert_string_equal(ofts_trust_owner("md.book.NQ.", buf, sizeof buf), "gateway-md");
    assert_string_equal(ofts_trust_owner("of.signal.GC.", buf, sizeof buf), "analyzer");
    assert_string_equal(ofts_trust_owner("risk.order.GC.", buf, sizeof buf), "risk");
    assert_string_equal(ofts_trust_owner("exec.fill.GC.", buf, sizeof buf), "gateway-order");
    assert_string_equal(ofts_trust_owner("sys.heartbeat.risk.", buf, sizeof buf), "risk");
    assert_null(ofts_trust_owner("sys.heartbeat.", buf, sizeof buf));
    assert_null(ofts_trust_owner("sys.heartbeat.risk.extra.", buf, sizeof buf));
    assert_null(ofts_trust_owner("md.", buf, sizeof buf));
    assert_null(ofts_trust_owner("ctl.end.", buf, sizeof buf));
}

static void
t_check(void **state)
{
    (void) state;
    Ofts__Envelope env = s_env("risk", OFTS__ENVELOPE__BODY_ORDER_REQUEST);
    assert_null(ofts_trust_check("risk", "risk.order.GC.", &env));
    //  The attacks of issue 11: an OrderRequest under an md topic, or on
    //  risk's topic but from gateway-md's endpoint, or claiming to be risk.
    env = s_env("gateway-md", OFTS__ENVELOPE__BODY_ORDER_REQUEST);
    assert_non_null(ofts_trust_check("gateway-md", "md.trade.NQ.", &env));
    assert_non_null(ofts_trust_check("gateway-md", "risk.order.GC.", &env));
    env = s_env("risk", OFTS__ENVELOPE__BODY_ORDER_REQUEST);
    assert_non_null(ofts_trust_check("gateway-md", "risk.order.GC.", &env));
    env = s_env("gateway-md", OFTS__ENVELOPE__BODY_ORDER_REQUEST);
    assert_non_null(ofts_trust_check("risk", "risk.order.GC.", &env));
    //  A Command on an md topic; on risk.command. from risk it is risk's own.
    env = s_env("gateway-md", OFTS__ENVELOPE__BODY_COMMAND);
    assert_non_null(ofts_trust_check("gateway-md", "md.trade.GC.", &env));
    env = s_env("risk", OFTS__ENVELOPE__BODY_COMMAND);
    assert_null(ofts_trust_check("risk", "risk.command.", &env));
    //  Fills only from gateway-order.
    env = s_env("gateway-order", OFTS__ENVELOPE__BODY_FILL);
    assert_null(ofts_trust_check("gateway-order", "exec.fill.GC.", &env));
    env = s_env("gateway-order", OFTS__ENVELOPE__BODY_ACCOUNT);
    assert_null(ofts_trust_check("gateway-order", "exec.account.", &env));
    env = s_env("analyzer", OFTS__ENVELOPE__BODY_FILL);
    assert_non_null(ofts_trust_check("analyzer", "exec.fill.GC.", &env));
    //  gateway-order's trading state (fail closed, issue 11 §3): only its own.
    env = s_env("analyzer", OFTS__ENVELOPE__BODY_ACCOUNT);
    assert_non_null(ofts_trust_check("analyzer", "exec.account.", &env));
    //  A trade is fine on md.trade. from gateway-md, not on md.bbo.
    env = s_env("gateway-md", OFTS__ENVELOPE__BODY_TRADE);
    assert_null(ofts_trust_check("gateway-md", "md.trade.GC.", &env));
    assert_non_null(ofts_trust_check("gateway-md", "md.bbo.GC.", &env));
    assert_non_null(ofts_trust_check(NULL, "md.trade.GC.", &env));
    //  Heartbeats: only the named service, naming itself.
    env = s_env("risk", OFTS__ENVELOPE__BODY_HEARTBEAT);
    assert_null(ofts_trust_check("risk", "sys.heartbeat.risk.", &env));
    assert_non_null(ofts_trust_check("risk", "sys.heartbeat.gateway-md.", &env));
    env.heartbeat->service = "gateway-md";
    assert_non_null(ofts_trust_check("risk", "sys.heartbeat.risk.", &env));
}

static void
s_publish_order(ofts_bus_t *bus, const char *topic)
{
    Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    req.client_order_id = "rogue-1";
    req.symbol = "NQ";
    req.quantity = 1;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_ORDER_REQUEST;
    env.order_request = &req;
    assert_int_equal(ofts_bus_publish(bus, topic, &env), 0);
}

//  Publish heartbeats on pub until sub (on publisher's socket) accepts one.
static void
s_sync(ofts_bus_t *pub, ofts_bus_t *sub, const char *publisher)
{
    int64_t deadline = zclock_mono() + 5000;
    char topic[128];
    while (zclock_mono() < deadline) {
        ofts_bus_heartbeat(pub, "sync");
        Ofts__Envelope *env = ofts_bus_recv_from(sub, publisher, topic, sizeof topic, 20);
        if (env) {
            ofts__envelope__free_unpacked(env, NULL);
            while ((env = ofts_bus_recv_from(sub, publisher, topic, sizeof topic, 50)))
                ofts__envelope__free_unpacked(env, NULL);
            return;
        }
    }
    fail_msg("never connected");
}

//  The bus end to end: a subscriber connected for gateway-md gets trades
//  but never an OrderRequest, whatever the topic.
static void
t_bus_drops_foreign_bodies(void **state)
{
    (void) state;
    ofts_bus_t *md = ofts_bus_new("gateway-md");
    ofts_bus_t *order = ofts_bus_new("gateway-order");
    assert_int_equal(ofts_bus_bind(md, "inproc://trust-md"), 0);
    assert_int_equal(ofts_bus_connect_to(order, "gateway-md", "inproc://trust-md"), 0);
    ofts_bus_subscribe_to(order, "gateway-md", "");
    s_sync(md, order, "gateway-md");
    s_publish_order(md, "md.trade.NQ.");
    s_publish_order(md, "risk.order.NQ.");
    Ofts__Trade trade = OFTS__TRADE__INIT;
    trade.symbol = "NQ";
    trade.price = 1;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &trade;
    assert_int_equal(ofts_bus_publish(md, "md.trade.NQ.", &env), 0);
    char topic[128];
    Ofts__Envelope *got = NULL;
    int64_t deadline = zclock_mono() + 3000;
    while (!got && zclock_mono() < deadline)
        got = ofts_bus_recv_from(order, "gateway-md", topic, sizeof topic, 100);
    assert_non_null(got);
    assert_int_equal(got->body_case, OFTS__ENVELOPE__BODY_TRADE);
    ofts__envelope__free_unpacked(got, NULL);
    assert_int_equal(ofts_bus_rejected(order), 2);
    ofts_bus_destroy(&order);
    ofts_bus_destroy(&md);
}

//  A signed bus: a publisher without the secret (a rogue on a free port)
//  or with another one gets nothing through; the right secret does.
static void
t_bus_mac(void **state)
{
    (void) state;
    uint8_t key[OFTS_TRUST_KEY_SIZE] = { 1, 2, 3 }, other[OFTS_TRUST_KEY_SIZE] = { 9 };
    ofts_bus_t *sub = ofts_bus_new("gateway-order");
    ofts_bus_set_secret(sub, key);
    ofts_bus_t *rogue = ofts_bus_new("risk");
    assert_int_equal(ofts_bus_bind(rogue, "inproc://trust-risk"), 0);
    assert_int_equal(ofts_bus_connect_to(sub, "risk", "inproc://trust-risk"), 0);
    ofts_bus_subscribe_to(sub, "risk", "");
    char topic[128];
    //  Unsigned, then signed with the wrong key: all rejected.
    int64_t deadline = zclock_mono() + 5000;
    while (ofts_bus_rejected(sub) == 0 && zclock_mono() < deadline) {
        s_publish_order(rogue, "risk.order.NQ.");
        assert_null(ofts_bus_recv_from(sub, "risk", topic, sizeof topic, 20));
    }
    assert_true(ofts_bus_rejected(sub) >= 1);
    ofts_bus_set_secret(rogue, other);
    uint64_t before = ofts_bus_rejected(sub);
    s_publish_order(rogue, "risk.order.NQ.");
    assert_null(ofts_bus_recv_from(sub, "risk", topic, sizeof topic, 2000));
    assert_int_equal(ofts_bus_rejected(sub), before + 1);
    //  The real secret: accepted.
    ofts_bus_set_secret(rogue, key);
    s_publish_order(rogue, "risk.order.NQ.");
    Ofts__Envelope *env = ofts_bus_recv_from(sub, "risk", topic, sizeof topic, 2000);
    assert_non_null(env);
    assert_string_equal(env->order_request->client_order_id, "rogue-1");
    ofts__envelope__free_unpacked(env, NULL);
    ofts_bus_destroy(&sub);
    ofts_bus_destroy(&rogue);
}

static void
t_secret_file(void **state)
{
    (void) state;
    char dir[] = "/tmp/ofts-trust-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/bus.secret", dir);
    uint8_t a[OFTS_TRUST_KEY_SIZE], b[OFTS_TRUST_KEY_SIZE];
    char err[256];
    assert_int_equal(ofts_trust_secret_load(path, a, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, OFTS_TRUST_KEY_SIZE);
    assert_int_equal(ofts_trust_secret_load(path, b, err, sizeof err), 0);
    assert_memory_equal(a, b, sizeof a);
    chmod(path, 0644);
    assert_int_equal(ofts_trust_secret_load(path, b, err, sizeof err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    unlink(path);
    rmdir(dir);
}

//  Replaying a captured signed command is refused: send the same frames
//  twice on a raw DEALER.
static void
t_ctl_replay_refused(void **state)
{
    (void) state;
    uint8_t key[OFTS_TRUST_KEY_SIZE] = { 5 };
    ofts_trust_set_process_secret(key);
    ofts_ctl_t *ctl = ofts_ctl_new("inproc://trust-ctl");
    zsock_t *dealer = zsock_new_dealer("inproc://trust-ctl");
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_RESUME;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_COMMAND;
    env.command = &cmd;
    uint8_t body[64];
    size_t size = ofts__envelope__pack(&env, body);
    uint8_t auth[8 + OFTS_TRUST_MAC_SIZE];
    uint64_t ts = (uint64_t) ofts_clock_now_ns();
    for (int i = 0; i < 8; i++)
        auth[i] = (uint8_t) (ts >> (56 - 8 * i));
    ofts_trust_mac(key, "ofts-ctl-command", auth, 8, body, size, auth + 8);
    for (int round = 0; round < 2; round++) {
        zsock_send(dealer, "bb", body, size, auth, sizeof auth);
        zpoller_t *poller = zpoller_new(ofts_ctl_sock(ctl), NULL);
        assert_non_null(zpoller_wait(poller, 3000));
        zpoller_destroy(&poller);
        Ofts__Envelope *req = ofts_ctl_recv(ctl);
        if (round == 0) {
            assert_non_null(req);
            assert_int_equal(req->command->type, OFTS__COMMAND_TYPE__CMD_RESUME);
            ofts_ctl_reply_end(ctl, 1);
            ofts__envelope__free_unpacked(req, NULL);
        }
        else
            assert_null(req);
        zmsg_t *reply = zmsg_recv(dealer);
        char *topic = zmsg_popstr(reply);
        assert_string_equal(topic, round == 0 ? "ctl.end." : "ctl.denied.");
        zstr_free(&topic);
        zmsg_destroy(&reply);
    }
    assert_int_equal(ofts_ctl_denied(ctl), 1);
    zsock_destroy(&dealer);
    ofts_ctl_destroy(&ctl);
    ofts_trust_set_process_secret(NULL);
}

//  The MAC as it was computed before the prepared key (libsodium's keyed
//  crypto_generichash, host-order sizes): what every signed message on a
//  running installation carries, so the new code must give the same bytes.
static void
s_old_mac(const uint8_t key[OFTS_TRUST_KEY_SIZE], const char *domain, const void *part1, size_t size1,
          const void *part2, size_t size2, uint8_t mac[OFTS_TRUST_MAC_SIZE])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, OFTS_TRUST_KEY_SIZE, OFTS_TRUST_MAC_SIZE);
    uint64_t sizes[2] = { size1, size2 };
    crypto_generichash_update(&st, (const unsigned char *) domain, strlen(domain) + 1);
    crypto_generichash_update(&st, (const unsigned char *) sizes, sizeof sizes);
    if (size1)
        crypto_generichash_update(&st, part1, size1);
    if (size2)
        crypto_generichash_update(&st, part2, size2);
    crypto_generichash_final(&st, mac, OFTS_TRUST_MAC_SIZE);
}

static void
s_hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

//  Fixed inputs with the MACs the old code gave (computed with libsodium
//  1.0.18's crypto_generichash), then every length around the block
//  boundaries against the old function itself, with the prepared key, the
//  one-shot function and both checks.
static void
t_mac_same_bytes(void **state)
{
    (void) state;
    uint8_t key[OFTS_TRUST_KEY_SIZE], body[700], mac[OFTS_TRUST_MAC_SIZE], old[OFTS_TRUST_MAC_SIZE];
    for (int i = 0; i < OFTS_TRUST_KEY_SIZE; i++)
        key[i] = (uint8_t) i;
    for (int i = 0; i < (int) sizeof body; i++)
        body[i] = (uint8_t) (i * 7 + 1);
    static const struct {
        size_t size;
        const char *hex;
    } fixed[] = {
        { 0, "164d6772914b45c909fa14dfd11350ad4ce698ea6e03732802f8d1313574eb13" },
        { 1, "cdbb09271b2a31a1768a18b516b974545e3660c4d629348f0c3a43fe34550760" },
        { 100, "173649c6a80dfd06bb0a0f1dda65c2c6ad8799427a8202f12278796b7dac1c47" },
        { 231, "18b8bab6c994edef27f71ecf44a998acf0ded24c42986e7486c7151ae500029c" },
        { 300, "9198935cbcab82120450c40912e716baf2a49d6aecfc36e5a9856814dbe58e73" },
    };
    ofts_trust_mackey_t prepared;
    ofts_trust_mackey_init(&prepared, key);
    char hex[2 * OFTS_TRUST_MAC_SIZE + 1];
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        ofts_trust_mac_with(&prepared, "ofts-bus", "md.trade.GC.", 12, body, fixed[i].size, mac);
        s_hex(mac, sizeof mac, hex);
        assert_string_equal(hex, fixed[i].hex);
    }
    ofts_trust_mac(key, "ofts-ctl-command", "", 0, "", 0, mac);
    s_hex(mac, sizeof mac, hex);
    assert_string_equal(hex, "876efaf47bdbaa15686cdfc0643db2e368c64b525c96bdc76920afcc827ef83b");
    //  Every length of the second part up to 660 bytes, with first parts of
    //  0..39 (block edges at 103, 231, 359 ... bytes of parts after the
    //  9-byte domain and 16 of sizes).
    randombytes_buf(key, sizeof key);
    ofts_trust_mackey_init(&prepared, key);
    for (size_t size1 = 0; size1 < 40; size1 += 3)
        for (size_t size2 = 0; size2 + 40 <= sizeof body; size2++) {
            s_old_mac(key, "ofts-bus", body, size1, body + 40, size2, old);
            ofts_trust_mac_with(&prepared, "ofts-bus", body, size1, body + 40, size2, mac);
            assert_memory_equal(mac, old, sizeof mac);
            ofts_trust_mac(key, "ofts-bus", body, size1, body + 40, size2, mac);
            assert_memory_equal(mac, old, sizeof mac);
            assert_true(ofts_trust_mac_with_ok(&prepared, "ofts-bus", body, size1, body + 40, size2, old, sizeof old));
            assert_true(ofts_trust_mac_ok(key, "ofts-bus", body, size1, body + 40, size2, old, sizeof old));
            old[size2 % sizeof old] ^= 1;
            assert_false(ofts_trust_mac_with_ok(&prepared, "ofts-bus", body, size1, body + 40, size2, old,
                                                sizeof old));
        }
}

int
main(void)
{
    ofts_log_init("test-trust", OFTS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_owner),
        cmocka_unit_test(t_check),
        cmocka_unit_test(t_bus_drops_foreign_bodies),
        cmocka_unit_test(t_bus_mac),
        cmocka_unit_test(t_mac_same_bytes),
        cmocka_unit_test(t_secret_file),
        cmocka_unit_test(t_ctl_replay_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
