#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <unistd.h>
#include "ofts_bus.h"
#include "ofts_clock.h"
#include "ofts_ctl.h"
#include "ofts_log.h"
#include "ofts_trust.h"

typedef struct {
    uint64_t missing;
    int calls;
    char topic[64];
} gap_seen_t;

static void
s_on_gap(void *arg, const char *source, const char *topic, uint64_t missing)
{
    (void) source;
    gap_seen_t *seen = arg;
    seen->missing += missing;
    seen->calls++;
    snprintf(seen->topic, sizeof seen->topic, "%s", topic);
}

//  Publish a heartbeat until the subscriber sees one: ZeroMQ's slow joiner
//  makes the first messages after connect unreliable, so wait on a condition.
//  On publisher's socket (NULL: the anonymous one).
static void
s_wait_connected_to(ofts_bus_t *pub, ofts_bus_t *sub, const char *publisher)
{
    int64_t deadline = zclock_mono() + 5000;
    while (zclock_mono() < deadline) {
        ofts_bus_heartbeat(pub, "sync");
        char topic[128];
        Ofts__Envelope *env = ofts_bus_recv_from(sub, publisher, topic, sizeof topic, 20);
        if (env) {
            ofts__envelope__free_unpacked(env, NULL);
            //  drain the rest
            while ((env = ofts_bus_recv_from(sub, publisher, topic, sizeof topic, 20)))
                ofts__envelope__free_unpacked(env, NULL);
            return;
        }
    }
    fail_msg("subscriber never connected");
}

static void
s_wait_connected(ofts_bus_t *pub, ofts_bus_t *sub)
{
    s_wait_connected_to(pub, sub, NULL);
}

static void
s_publish_trade(ofts_bus_t *bus, const char *sym, int64_t price)
{
    Ofts__Trade trade = OFTS__TRADE__INIT;
    trade.symbol = (char *) sym;
    trade.price = price;
    trade.size = 3;
    trade.aggressor = OFTS__SIDE__SIDE_BUY;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_TRADE;
    env.trade = &trade;
    char topic[64];
    assert_int_equal(ofts_bus_publish_ts(bus, ofts_topic(topic, sizeof topic, "md.trade", sym), &env, 111, 222), 0);
}

static void
t_publish_and_receive(void **state)
{
    (void) state;
    ofts_bus_t *pub = ofts_bus_new("gateway-md");
    ofts_bus_t *sub = ofts_bus_new("analyzer");
    assert_int_equal(ofts_bus_bind(pub, "inproc://bus-basic"), 0);
    assert_int_equal(ofts_bus_connect(sub, "inproc://bus-basic"), 0);
    ofts_bus_subscribe(sub, "md.trade.");
    ofts_bus_subscribe(sub, "sys.");
    s_wait_connected(pub, sub);
    s_publish_trade(pub, "GC", 2350100000000LL);
    s_publish_trade(pub, "NQ", 20000250000000LL);
    char topic[128];
    Ofts__Envelope *env = ofts_bus_recv(sub, topic, sizeof topic, 2000);
    assert_non_null(env);
    assert_string_equal(topic, "md.trade.GC.");
    assert_int_equal(env->body_case, OFTS__ENVELOPE__BODY_TRADE);
    assert_true(env->trade->price == 2350100000000LL);
    assert_int_equal(env->trade->size, 3);
    assert_string_equal(env->header->source, "gateway-md");
    assert_int_equal(env->header->topic_seq, 1);
    assert_true(env->header->ts_event == 111);
    assert_true(env->header->ts_recv == 222);
    assert_true(env->header->ts_publish > 0);
    uint64_t seq = env->header->seq;
    ofts__envelope__free_unpacked(env, NULL);
    env = ofts_bus_recv(sub, topic, sizeof topic, 2000);
    assert_non_null(env);
    assert_string_equal(topic, "md.trade.NQ.");
    assert_int_equal(env->header->seq, seq + 1);
    assert_int_equal(env->header->topic_seq, 1);
    ofts__envelope__free_unpacked(env, NULL);
    assert_int_equal(ofts_bus_gaps(sub), 0);
    ofts_bus_destroy(&sub);
    ofts_bus_destroy(&pub);
}

static void
t_garbage_is_counted_and_survived(void **state)
{
    (void) state;
    zsock_t *raw = zsock_new_pub("inproc://bus-garbage");
    ofts_bus_t *pub = ofts_bus_new("gateway-md");
    ofts_bus_t *sub = ofts_bus_new("analyzer");
    assert_int_equal(ofts_bus_bind(pub, "inproc://bus-garbage-2"), 0);
    ofts_bus_connect(sub, "inproc://bus-garbage");
    ofts_bus_connect(sub, "inproc://bus-garbage-2");
    ofts_bus_subscribe(sub, "");
    s_wait_connected(pub, sub);
    //  Wait until the raw socket is connected too (its own slow joiner).
    char topic[128];
    int64_t deadline = zclock_mono() + 5000;
    while (ofts_bus_garbage(sub) == 0 && zclock_mono() < deadline) {
        zstr_sendx(raw, "md.trade.GC.", "\xff\xff\xff garbage", NULL);
        Ofts__Envelope *env = ofts_bus_recv(sub, topic, sizeof topic, 20);
        assert_null(env);
    }
    uint64_t before = ofts_bus_garbage(sub);
    assert_true(before >= 1);
    zstr_send(raw, "one-frame-only");           //  a single frame: garbage too
    zstr_sendx(raw, "a", "b", "c", NULL);       //  three frames: garbage
    for (int i = 0; i < 2; i++)
        assert_null(ofts_bus_recv(sub, topic, sizeof topic, 2000));
    assert_int_equal(ofts_bus_garbage(sub), before + 2);
    s_publish_trade(pub, "GC", 1);
    Ofts__Envelope *env = ofts_bus_recv(sub, topic, sizeof topic, 2000);
    assert_non_null(env);
    assert_string_equal(topic, "md.trade.GC.");
    ofts__envelope__free_unpacked(env, NULL);
    ofts_bus_destroy(&sub);
    ofts_bus_destroy(&pub);
    zsock_destroy(&raw);
}

//  Pack a hand-made envelope with a chosen header.
static size_t
s_pack(uint8_t *buf, const char *source, uint64_t epoch, uint64_t seq, uint64_t topic_seq)
{
    Ofts__Header hdr = OFTS__HEADER__INIT;
    hdr.source = (char *) source;
    hdr.epoch = epoch;
    hdr.seq = seq;
    hdr.topic_seq = topic_seq;
    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.header = &hdr;
    env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    return ofts__envelope__pack(&env, buf);
}

static void
s_decode(ofts_bus_t *bus, const char *topic, const char *source, uint64_t epoch, uint64_t seq,
         uint64_t topic_seq, bool expect)
{
    uint8_t buf[256];
    size_t n = s_pack(buf, source, epoch, seq, topic_seq);
    Ofts__Envelope *env = ofts_bus_decode(bus, topic, buf, n);
    if (expect)
        assert_non_null(env);
    else
        assert_null(env);
    if (env)
        ofts__envelope__free_unpacked(env, NULL);
}

static void
t_gap_reports_exact_missing_count(void **state)
{
    (void) state;
    ofts_bus_t *bus = ofts_bus_new("monitor");
    gap_seen_t seen = { 0 };
    ofts_bus_set_gap_handler(bus, s_on_gap, &seen);
    s_decode(bus, "md.trade.GC.", "gateway-md", 7, 1, 1, true);
    s_decode(bus, "md.trade.GC.", "gateway-md", 7, 2, 2, true);
    s_decode(bus, "md.trade.GC.", "gateway-md", 7, 9, 6, true);   //  3, 4, 5 lost
    assert_int_equal(seen.missing, 3);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.topic, "md.trade.GC.");
    assert_int_equal(ofts_bus_gaps(bus), 3);
    //  Another topic of the same publisher has its own sequence: seq jumps
    //  (other topics) are not gaps, topic_seq continuity is what counts.
    s_decode(bus, "md.trade.NQ.", "gateway-md", 7, 20, 1, true);
    s_decode(bus, "md.trade.NQ.", "gateway-md", 7, 31, 2, true);
    assert_int_equal(ofts_bus_gaps(bus), 3);
    //  A restart (new epoch) starts over at 1: not a gap.
    s_decode(bus, "md.trade.GC.", "gateway-md", 8, 1, 1, true);
    assert_int_equal(ofts_bus_gaps(bus), 3);
    s_decode(bus, "md.trade.GC.", "gateway-md", 8, 3, 3, true);
    assert_int_equal(ofts_bus_gaps(bus), 4);
    assert_int_equal(seen.calls, 2);
    ofts_bus_destroy(&bus);
}

//  Reconcile crossing an update: the update is in the snapshot, dropped
//  under the floor, and the next one on its topic is no gap (it was one,
//  and risk re-reconciled every time: seen in a lockstep replay).
static void
t_floor_drop_is_not_a_gap(void **state)
{
    (void) state;
    ofts_bus_t *bus = ofts_bus_new("risk");
    gap_seen_t seen = { 0 };
    ofts_bus_set_gap_handler(bus, s_on_gap, &seen);
    s_decode(bus, "exec.position.PL.", "gateway-order", 1, 5, 21, true);
    ofts_bus_set_floor_epoch(bus, "gateway-order", 10, 1);
    s_decode(bus, "exec.position.PL.", "gateway-order", 1, 8, 22, false);
    s_decode(bus, "exec.position.PL.", "gateway-order", 1, 11, 23, true);
    assert_int_equal(ofts_bus_dropped(bus), 1);
    assert_int_equal(ofts_bus_gaps(bus), 0);
    assert_int_equal(seen.calls, 0);
    ofts_bus_destroy(&bus);
}

//  A lockstep mark under the floor is not snapshot state: it comes
//  through (a dropped mark stalled the replay).
static void
t_floor_keeps_marks(void **state)
{
    (void) state;
    ofts_bus_t *bus = ofts_bus_new("risk");
    ofts_bus_set_floor_epoch(bus, "gateway-order", 10, 1);
    uint8_t buf[256];
    Ofts__Header hdr = OFTS__HEADER__INIT;
    hdr.source = "gateway-order";
    hdr.epoch = 1;
    hdr.seq = 9;
    hdr.topic_seq = 1;
    Ofts__SyncMark mark = OFTS__SYNC_MARK__INIT;
    mark.mark = 1796049193712934380ULL;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.header = &hdr;
    env.body_case = OFTS__ENVELOPE__BODY_SYNC;
    env.sync = &mark;
    Ofts__Envelope *got = ofts_bus_decode(bus, "sys.sync.gateway-order.", buf, ofts__envelope__pack(&env, buf));
    assert_non_null(got);
    assert_int_equal(got->sync->mark, 1796049193712934380ULL);
    ofts__envelope__free_unpacked(got, NULL);
    assert_int_equal(ofts_bus_dropped(bus), 0);
    ofts_bus_destroy(&bus);
}

static void
t_floor_drops_snapshotted_updates(void **state)
{
    (void) state;
    ofts_bus_t *bus = ofts_bus_new("risk");
    ofts_bus_set_floor(bus, "gateway-order", 10);
    s_decode(bus, "exec.position.GC.", "gateway-order", 1, 9, 1, false);
    s_decode(bus, "exec.position.GC.", "gateway-order", 1, 10, 2, false);
    s_decode(bus, "exec.position.GC.", "gateway-order", 1, 11, 3, true);
    s_decode(bus, "exec.position.GC.", "other", 1, 1, 1, true);
    assert_int_equal(ofts_bus_dropped(bus), 2);
    //  Tied to an epoch: the same publisher restarted (epoch 2, seq from 1)
    //  is new news, not part of the snapshot.
    ofts_bus_set_floor_epoch(bus, "gateway-order", 10, 1);
    s_decode(bus, "exec.position.GC.", "gateway-order", 1, 10, 4, false);
    s_decode(bus, "exec.position.GC.", "gateway-order", 2, 1, 1, true);
    s_decode(bus, "exec.position.GC.", "gateway-order", 2, 2, 2, true);
    assert_int_equal(ofts_bus_dropped(bus), 3);
    //  A fill under the floor still comes through: risk de-duplicates fills
    //  by id, and the snapshot may not have held this one.
    uint8_t buf[256];
    Ofts__Header hdr = OFTS__HEADER__INIT;
    hdr.source = "gateway-order";
    hdr.epoch = 2;
    hdr.seq = 1;
    hdr.topic_seq = 1;
    ofts_bus_set_floor_epoch(bus, "gateway-order", 10, 2);
    Ofts__Fill fill = OFTS__FILL__INIT;
    fill.fill_id = "PF7";
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.header = &hdr;
    env.body_case = OFTS__ENVELOPE__BODY_FILL;
    env.fill = &fill;
    Ofts__Envelope *got = ofts_bus_decode(bus, "exec.fill.GC.", buf, ofts__envelope__pack(&env, buf));
    assert_non_null(got);
    assert_string_equal(got->fill->fill_id, "PF7");
    ofts__envelope__free_unpacked(got, NULL);
    assert_int_equal(ofts_bus_dropped(bus), 3);
    ofts_bus_destroy(&bus);
}

static void *
s_ctl_server(void *arg)
{
    ofts_ctl_t *ctl = arg;
    zpoller_t *poller = zpoller_new(ofts_ctl_sock(ctl), NULL);
    for (int served = 0; served < 2; ) {
        if (!zpoller_wait(poller, 5000))
            break;
        Ofts__Envelope *req = ofts_ctl_recv(ctl);
        if (!req)
            continue;
        if (req->body_case == OFTS__ENVELOPE__BODY_SNAPSHOT_REQUEST) {
            Ofts__Position pos = OFTS__POSITION__INIT;
            pos.symbol = "GC";
            pos.quantity = 2;
            Ofts__Envelope env = OFTS__ENVELOPE__INIT;
            env.body_case = OFTS__ENVELOPE__BODY_POSITION;
            env.position = &pos;
            ofts_ctl_reply(ctl, "exec.position.GC.", &env);
            pos.symbol = "NQ";
            pos.quantity = -1;
            ofts_ctl_reply(ctl, "exec.position.NQ.", &env);
            ofts_ctl_set_epoch(ctl, 777);
            ofts_ctl_reply_end(ctl, 42);
        }
        else if (req->body_case == OFTS__ENVELOPE__BODY_COMMAND) {
            assert_int_equal(req->command->type, OFTS__COMMAND_TYPE__CMD_KILL);
            ofts_ctl_reply_end(ctl, 43);
        }
        ofts__envelope__free_unpacked(req, NULL);
        served++;
    }
    zpoller_destroy(&poller);
    return NULL;
}

typedef struct {
    int count;
    int32_t qty_sum;
} snap_t;

static void
s_on_item(void *arg, const char *topic, Ofts__Envelope *env)
{
    snap_t *snap = arg;
    assert_non_null(strstr(topic, "exec.position."));
    snap->count++;
    snap->qty_sum += env->position->quantity;
}

static void
t_ctl_snapshot_and_command(void **state)
{
    (void) state;
    //  Server and client share this process, so the operator credential
    //  (the bus secret) is on both sides.
    uint8_t key[OFTS_TRUST_KEY_SIZE] = { 7, 7, 7 };
    ofts_trust_set_process_secret(key);
    ofts_ctl_t *ctl = ofts_ctl_new("inproc://ctl-test");
    assert_non_null(ctl);
    pthread_t thread;
    pthread_create(&thread, NULL, s_ctl_server, ctl);
    snap_t snap = { 0 };
    uint64_t seq = 0;
    uint64_t epoch = 0;
    assert_int_equal(ofts_ctl_snapshot_ex("inproc://ctl-test", "exec.position.", 3000, s_on_item, &snap, &seq,
                                          &epoch), 0);
    assert_int_equal(snap.count, 2);
    assert_int_equal(snap.qty_sum, 1);
    assert_int_equal(seq, 42);
    assert_int_equal(epoch, 777);
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_KILL;
    assert_int_equal(ofts_ctl_command("inproc://ctl-test", &cmd, 3000), 0);
    pthread_join(thread, NULL);
    ofts_ctl_destroy(&ctl);
    ofts_trust_set_process_secret(NULL);
}

//  Serve requests until one is refused (a command without credential).
static void *
s_ctl_refuser(void *arg)
{
    ofts_ctl_t *ctl = arg;
    zpoller_t *poller = zpoller_new(ofts_ctl_sock(ctl), NULL);
    while (ofts_ctl_denied(ctl) == 0 && zpoller_wait(poller, 5000)) {
        Ofts__Envelope *req = ofts_ctl_recv(ctl);
        if (req) {
            ofts_ctl_reply_end(ctl, 1);
            ofts__envelope__free_unpacked(req, NULL);
        }
    }
    zpoller_destroy(&poller);
    return NULL;
}

//  No operator credential: the service says no at once (-2), and counts it.
static void
t_ctl_command_needs_credential(void **state)
{
    (void) state;
    ofts_trust_set_process_secret(NULL);
    ofts_ctl_t *ctl = ofts_ctl_new("inproc://ctl-refuse");
    assert_non_null(ctl);
    pthread_t thread;
    pthread_create(&thread, NULL, s_ctl_refuser, ctl);
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_RESUME;
    assert_int_equal(ofts_ctl_command("inproc://ctl-refuse", &cmd, 3000), -2);
    pthread_join(thread, NULL);
    assert_int_equal(ofts_ctl_denied(ctl), 1);
    ofts_ctl_destroy(&ctl);
}

static void
t_ctl_times_out_without_server(void **state)
{
    (void) state;
    int64_t start = zclock_mono();
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    assert_int_equal(ofts_ctl_command("inproc://nobody-here", &cmd, 200), -1);
    int64_t took = zclock_mono() - start;
    assert_true(took >= 190 && took < 3000);
}

//  A book of n levels (prices from base) on md.book.<sym>.
static void
s_publish_book(ofts_bus_t *bus, const char *sym, size_t n, int64_t base)
{
    Ofts__Level *lv = calloc(n, sizeof *lv), **lp = calloc(n, sizeof *lp);
    for (size_t k = 0; k < n; k++) {
        ofts__level__init(&lv[k]);
        lv[k].bid_px = base - (int64_t) k;
        lv[k].ask_px = base + 1 + (int64_t) k;
        lv[k].bid_sz = (uint32_t) k + 1;
        lp[k] = &lv[k];
    }
    Ofts__Depth depth = OFTS__DEPTH__INIT;
    depth.symbol = (char *) sym;
    depth.n_levels = n;
    depth.levels = lp;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_DEPTH;
    env.depth = &depth;
    char topic[64];
    assert_int_equal(ofts_bus_publish(bus, ofts_topic(topic, sizeof topic, "md.book", sym), &env), 0);
    free(lp);
    free(lv);
}

static void
s_assert_book(const Ofts__Envelope *env, size_t n, int64_t base)
{
    assert_int_equal(env->body_case, OFTS__ENVELOPE__BODY_DEPTH);
    assert_int_equal(env->depth->n_levels, n);
    for (size_t k = 0; k < n; k++) {
        assert_true(env->depth->levels[k]->bid_px == base - (int64_t) k);
        assert_true(env->depth->levels[k]->ask_px == base + 1 + (int64_t) k);
        assert_int_equal(env->depth->levels[k]->bid_sz, k + 1);
    }
}

//  The receive arena (ofts_bus_recv_arena): envelopes are right, nested
//  receives keep the outer one intact, a release makes the memory reusable
//  (the next envelope lands where the last one was), a book too big for the
//  arena block still arrives whole, rejected messages leave nothing behind
//  and LeakSanitizer sees nothing left at the end (issue 18).
//  Run on a SUB socket, and on a direct reader (ofts_bus_set_direct: our
//  own ZMTP reader, same checks) - where the big book also makes the
//  reader's buffer grow past its first size.
static void
s_arena_receive(const char *endpoint, bool direct)
{
    uint8_t key[OFTS_TRUST_KEY_SIZE] = { 7, 7, 7 };
    ofts_bus_t *pub = ofts_bus_new("gateway-md");
    ofts_bus_t *sub = ofts_bus_new("analyzer");
    ofts_bus_set_secret(pub, key);
    ofts_bus_set_secret(sub, key);
    ofts_bus_set_direct(sub, direct);
    assert_int_equal(ofts_bus_bind(pub, endpoint), 0);
    assert_int_equal(ofts_bus_connect_to(sub, "gateway-md", endpoint), 0);
    ofts_bus_subscribe_to(sub, "gateway-md", "");
    assert_int_equal(ofts_bus_direct_fd(sub, "gateway-md") != -2, direct);
    char topic[128];
    Ofts__Envelope *env = NULL;
    int64_t deadline = zclock_mono() + 5000;
    while (!env && zclock_mono() < deadline) {
        ofts_bus_heartbeat(pub, "sync");
        env = ofts_bus_recv_arena(sub, "gateway-md", topic, sizeof topic, 20);
    }
    assert_non_null(env);
    ofts_bus_release(sub, &env);
    assert_null(env);
    while ((env = ofts_bus_recv_arena(sub, "gateway-md", topic, sizeof topic, 50)))
        ofts_bus_release(sub, &env);

    s_publish_trade(pub, "GC", 2350100000000LL);
    s_publish_book(pub, "GC", 10, 1000);
    s_publish_book(pub, "GC", 30000, 5000000);      //  ~1 MB unpacked: beyond the block
    s_publish_trade(pub, "NQ", 20000250000000LL);
    Ofts__Envelope *trade = ofts_bus_recv_arena(sub, "gateway-md", topic, sizeof topic, 2000);
    assert_non_null(trade);
    assert_string_equal(topic, "md.trade.GC.");
    Ofts__Envelope *book = ofts_bus_recv_arena(sub, "gateway-md", topic, sizeof topic, 2000);
    assert_non_null(book);
    s_assert_book(book, 10, 1000);
    Ofts__Envelope *big = ofts_bus_recv_arena(sub, "gateway-md", topic, sizeof topic, 2000);
    assert_non_null(big);
    s_assert_book(big, 30000, 5000000);
    //  The outer ones untouched by what came after them.
    assert_true(trade->trade->price == 2350100000000LL);
    assert_string_equal(trade->header->source, "gateway-md");
    s_assert_book(book, 10, 1000);
    ofts_bus_release(sub, &big);
    ofts_bus_release(sub, &book);
    void *where = trade;
    ofts_bus_release(sub, &trade);
    env = ofts_bus_recv_arena(sub, "gateway-md", topic, sizeof topic, 2000);
    assert_non_null(env);
    assert_string_equal(topic, "md.trade.NQ.");
    assert_true(env->trade->price == 20000250000000LL);
    assert_ptr_equal(env, where);
    ofts_bus_release(sub, &env);

    //  Forged: rejected, nothing to release, the arena still usable.
    uint8_t other[OFTS_TRUST_KEY_SIZE] = { 1 };
    ofts_bus_set_secret(pub, other);
    s_publish_trade(pub, "GC", 1);
    assert_null(ofts_bus_recv_arena(sub, "gateway-md", topic, sizeof topic, 2000));
    assert_int_equal(ofts_bus_rejected(sub), 1);
    ofts_bus_set_secret(pub, key);
    s_publish_trade(pub, "GC", 2);
    env = ofts_bus_recv_arena(sub, "gateway-md", topic, sizeof topic, 2000);
    assert_non_null(env);
    assert_ptr_equal(env, where);
    assert_true(env->trade->price == 2);
    ofts_bus_release(sub, &env);
    //  The forged one took a topic_seq the subscriber never accepted.
    assert_int_equal(ofts_bus_gaps(sub), 1);
    if (direct)
        assert_true(ofts_bus_direct_fd(sub, "gateway-md") >= 0);
    ofts_bus_destroy(&sub);
    ofts_bus_destroy(&pub);
}

static void
t_arena_receive(void **state)
{
    (void) state;
    s_arena_receive("inproc://bus-arena", false);
}

//  An ipc:// endpoint in a fresh temp dir (removed by s_tmp_done).
static void
s_tmp_endpoint(char dir[32], char *ep, size_t size)
{
    snprintf(dir, 32, "/tmp/ofts-bus-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(ep, size, "ipc://%s/pub", dir);
}

static void
s_tmp_done(const char *dir)
{
    char path[64];
    snprintf(path, sizeof path, "%s/pub", dir);
    unlink(path);
    rmdir(dir);
}

static void
t_arena_receive_direct(void **state)
{
    (void) state;
    char dir[32], ep[64];
    s_tmp_endpoint(dir, ep, sizeof ep);
    s_arena_receive(ep, true);
    s_tmp_done(dir);
}

//  The next message of publisher's that passes the checks, within 3 s.
static Ofts__Envelope *
s_recv_within(ofts_bus_t *sub, const char *publisher, char *topic, size_t size)
{
    Ofts__Envelope *env = NULL;
    int64_t deadline = zclock_mono() + 3000;
    while (!env && zclock_mono() < deadline)
        env = ofts_bus_recv_from(sub, publisher, topic, size, 100);
    return env;
}

//  A direct reader gets everything the publisher sends: only the prefixes
//  asked for come out, as from a SUB socket. A publisher that restarts
//  (same endpoint, new epoch) is dialled again and read on, no gap.
static void
t_direct_prefixes_and_restart(void **state)
{
    (void) state;
    char dir[32], ep[64], topic[128];
    s_tmp_endpoint(dir, ep, sizeof ep);
    ofts_bus_t *pub = ofts_bus_new("gateway-md");
    ofts_bus_t *sub = ofts_bus_new("monitor");
    ofts_bus_set_direct(sub, true);
    assert_int_equal(ofts_bus_bind(pub, ep), 0);
    assert_int_equal(ofts_bus_connect_to(sub, "gateway-md", ep), 0);
    ofts_bus_subscribe_to(sub, "gateway-md", "md.trade.");
    ofts_bus_subscribe_to(sub, "gateway-md", "sys.heartbeat.");
    ofts_bus_subscribe_to(sub, "gateway-md", "md.bbo.");
    ofts_bus_unsubscribe(sub, "md.bbo.");
    s_wait_connected_to(pub, sub, "gateway-md");
    s_publish_book(pub, "GC", 10, 1000);            //  md.book.: not asked for
    Ofts__TopOfBook bbo = OFTS__TOP_OF_BOOK__INIT;
    bbo.symbol = "GC";
    Ofts__Envelope benv = OFTS__ENVELOPE__INIT;
    benv.body_case = OFTS__ENVELOPE__BODY_BBO;
    benv.bbo = &bbo;
    assert_int_equal(ofts_bus_publish(pub, "md.bbo.GC.", &benv), 0);      //  unsubscribed
    s_publish_trade(pub, "GC", 42);
    Ofts__Envelope *env = s_recv_within(sub, "gateway-md", topic, sizeof topic);
    assert_non_null(env);
    assert_string_equal(topic, "md.trade.GC.");
    assert_true(env->trade->price == 42);
    ofts__envelope__free_unpacked(env, NULL);
    assert_false(ofts_bus_pending(sub, "gateway-md"));
    //  The publisher restarts on the same endpoint.
    uint64_t received = ofts_bus_received(sub);
    ofts_bus_destroy(&pub);
    pub = ofts_bus_new("gateway-md");
    assert_int_equal(ofts_bus_bind(pub, ep), 0);
    env = NULL;
    int64_t deadline = zclock_mono() + 5000;
    while (!env && zclock_mono() < deadline) {
        s_publish_trade(pub, "NQ", 7);
        env = ofts_bus_recv_from(sub, "gateway-md", topic, sizeof topic, 50);
    }
    assert_non_null(env);
    assert_string_equal(topic, "md.trade.NQ.");
    assert_int_equal(env->header->epoch, ofts_bus_epoch(pub));
    ofts__envelope__free_unpacked(env, NULL);
    assert_true(ofts_bus_received(sub) > received);
    assert_true(ofts_bus_direct_connected(sub, "gateway-md"));
    assert_int_equal(ofts_bus_gaps(sub), 0);
    assert_int_equal(ofts_bus_garbage(sub), 0);
    ofts_bus_destroy(&sub);
    ofts_bus_destroy(&pub);
    s_tmp_done(dir);
}

//  Garbage on a direct reader - a frame alone, four frames, a body that is
//  no envelope - is counted and dropped as on a SUB socket; the reader
//  reads on. The peer is a plain ZeroMQ PUB socket posing as gateway-md.
static void
t_direct_garbage_counted(void **state)
{
    (void) state;
    char dir[32], ep[64], topic[128];
    s_tmp_endpoint(dir, ep, sizeof ep);
    zsock_t *raw = zsock_new_pub(ep);
    assert_non_null(raw);
    ofts_bus_t *sub = ofts_bus_new("monitor");
    ofts_bus_set_direct(sub, true);
    assert_int_equal(ofts_bus_connect_to(sub, "gateway-md", ep), 0);
    ofts_bus_subscribe_to(sub, "gateway-md", "");
    int64_t deadline = zclock_mono() + 5000;
    while (ofts_bus_garbage(sub) == 0 && zclock_mono() < deadline) {
        zstr_sendx(raw, "md.trade.GC.", "\xff\xff\xff garbage", NULL);
        assert_null(ofts_bus_recv_from(sub, "gateway-md", topic, sizeof topic, 20));
    }
    while (ofts_bus_recv_from(sub, "gateway-md", topic, sizeof topic, 50))
        fail_msg("garbage came through");
    uint64_t before = ofts_bus_garbage(sub);
    assert_true(before >= 1);
    zstr_send(raw, "one-frame-only");
    zstr_sendx(raw, "a", "b", "c", "d", NULL);
    for (int i = 0; i < 2; i++)
        assert_null(ofts_bus_recv_from(sub, "gateway-md", topic, sizeof topic, 2000));
    assert_int_equal(ofts_bus_garbage(sub), before + 2);
    assert_true(ofts_bus_direct_connected(sub, "gateway-md"));
    ofts_bus_destroy(&sub);
    zsock_destroy(&raw);
    s_tmp_done(dir);
}

int
main(void)
{
    ofts_log_init("test-bus", OFTS_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_publish_and_receive),
        cmocka_unit_test(t_arena_receive),
        cmocka_unit_test(t_arena_receive_direct),
        cmocka_unit_test(t_direct_prefixes_and_restart),
        cmocka_unit_test(t_direct_garbage_counted),
        cmocka_unit_test(t_garbage_is_counted_and_survived),
        cmocka_unit_test(t_gap_reports_exact_missing_count),
        cmocka_unit_test(t_floor_drops_snapshotted_updates),
        cmocka_unit_test(t_floor_drop_is_not_a_gap),
        cmocka_unit_test(t_floor_keeps_marks),
        cmocka_unit_test(t_ctl_snapshot_and_command),
        cmocka_unit_test(t_ctl_times_out_without_server),
        cmocka_unit_test(t_ctl_command_needs_credential),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
