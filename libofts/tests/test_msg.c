#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_msg.h"

//  Pack an envelope, unpack it, and hand back the copy (caller frees).
static Ofts__Envelope *
s_round_trip(Ofts__Envelope *env)
{
    Ofts__Header hdr = OFTS__HEADER__INIT;
    hdr.source = "test";
    hdr.seq = 7;
    hdr.epoch = 99;
    hdr.ts_event = 1609113600000000000LL;
    hdr.topic_seq = 3;
    env->header = &hdr;
    size_t n = ofts__envelope__get_packed_size(env);
    uint8_t *buf = malloc(n);
    ofts__envelope__pack(env, buf);
    Ofts__Envelope *copy = ofts__envelope__unpack(NULL, n, buf);
    free(buf);
    env->header = NULL;
    assert_non_null(copy);
    assert_int_equal(copy->body_case, env->body_case);
    assert_string_equal(copy->header->source, "test");
    assert_int_equal(copy->header->seq, 7);
    assert_true(copy->header->ts_event == 1609113600000000000LL);
    return copy;
}

#define ENV(var, kind, field, ptr) Ofts__Envelope var = OFTS__ENVELOPE__INIT; \
    var.body_case = OFTS__ENVELOPE__BODY_##kind; var.field = ptr

static void
t_round_trip_every_type(void **state)
{
    (void) state;
    Ofts__Trade tr = OFTS__TRADE__INIT;
    tr.symbol = "GC"; tr.contract = "GCZ6"; tr.price = 2350100000000LL; tr.size = 5;
    tr.aggressor = OFTS__SIDE__SIDE_SELL;
    ENV(e1, TRADE, trade, &tr);
    Ofts__Envelope *c = s_round_trip(&e1);
    assert_true(c->trade->price == 2350100000000LL);
    assert_int_equal(c->trade->aggressor, OFTS__SIDE__SIDE_SELL);
    assert_string_equal(c->trade->contract, "GCZ6");
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__TopOfBook tob = OFTS__TOP_OF_BOOK__INIT;
    tob.bid_px = 100; tob.ask_px = INT64_MAX; tob.bid_sz = 4;
    ENV(e2, BBO, bbo, &tob);
    c = s_round_trip(&e2);
    assert_true(c->bbo->ask_px == INT64_MAX);
    assert_int_equal(c->bbo->bid_sz, 4);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__Level l0 = OFTS__LEVEL__INIT, l1 = OFTS__LEVEL__INIT;
    l0.bid_px = 10; l1.bid_px = 9; l1.ask_sz = 77;
    Ofts__Level *levels[] = { &l0, &l1 };
    Ofts__Depth depth = OFTS__DEPTH__INIT;
    depth.n_levels = 2; depth.levels = levels;
    ENV(e3, DEPTH, depth, &depth);
    c = s_round_trip(&e3);
    assert_int_equal(c->depth->n_levels, 2);
    assert_int_equal(c->depth->levels[1]->ask_sz, 77);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__Metrics m = OFTS__METRICS__INIT;
    m.imbalance_ratio = 0.72; m.cumulative_delta = -1500;
    ENV(e4, METRICS, metrics, &m);
    c = s_round_trip(&e4);
    assert_true(c->metrics->imbalance_ratio == 0.72);
    assert_true(c->metrics->cumulative_delta == -1500);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__Signal sig = OFTS__SIGNAL__INIT;
    sig.id = "GC-1"; sig.direction = OFTS__SIDE__SIDE_BUY; sig.entry = 1; sig.stop = 2;
    sig.take_profit = 3; sig.confidence = 0.8; sig.reasons = "Strong buy imbalance: 0.72";
    sig.metrics = &m;
    ENV(e5, SIGNAL, signal, &sig);
    c = s_round_trip(&e5);
    assert_string_equal(c->signal->reasons, "Strong buy imbalance: 0.72");
    assert_true(c->signal->metrics->cumulative_delta == -1500);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    req.client_order_id = "ofts-abc"; req.quantity = 2; req.stop = 5; req.reduce_only = 1;
    ENV(e6, ORDER_REQUEST, order_request, &req);
    c = s_round_trip(&e6);
    assert_string_equal(c->order_request->client_order_id, "ofts-abc");
    assert_true(c->order_request->reduce_only);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__RiskReject rej = OFTS__RISK_REJECT__INIT;
    rej.code = OFTS__REJECT_CODE__REJECT_COOLDOWN; rej.text = "cooldown 4:59 left";
    ENV(e7, RISK_REJECT, risk_reject, &rej);
    c = s_round_trip(&e7);
    assert_int_equal(c->risk_reject->code, OFTS__REJECT_CODE__REJECT_COOLDOWN);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__OrderUpdate ou = OFTS__ORDER_UPDATE__INIT;
    ou.status = OFTS__ORDER_STATUS__STATUS_FILLED; ou.role = OFTS__ORDER_ROLE__ROLE_STOP;
    ENV(e8, ORDER_UPDATE, order_update, &ou);
    c = s_round_trip(&e8);
    assert_int_equal(c->order_update->status, OFTS__ORDER_STATUS__STATUS_FILLED);
    assert_int_equal(c->order_update->role, OFTS__ORDER_ROLE__ROLE_STOP);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__Fill fill = OFTS__FILL__INIT;
    fill.fill_id = "T1"; fill.quantity = 1; fill.fees_cents = 274;
    ENV(e9, FILL, fill, &fill);
    c = s_round_trip(&e9);
    assert_true(c->fill->fees_cents == 274);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__Position pos = OFTS__POSITION__INIT;
    pos.quantity = -3; pos.realized_pnl_cents = -12345;
    ENV(e10, POSITION, position, &pos);
    c = s_round_trip(&e10);
    assert_int_equal(c->position->quantity, -3);
    assert_true(c->position->realized_pnl_cents == -12345);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__AccountState acct = OFTS__ACCOUNT_STATE__INIT;
    acct.state = OFTS__TRADING_STATE__STATE_HALTED; acct.mll_floor_cents = 4800000;
    ENV(e11, ACCOUNT, account, &acct);
    c = s_round_trip(&e11);
    assert_int_equal(c->account->state, OFTS__TRADING_STATE__STATE_HALTED);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = "risk"; hb.pid = 1234; hb.uptime_ms = 5000;
    ENV(e12, HEARTBEAT, heartbeat, &hb);
    c = s_round_trip(&e12);
    assert_int_equal(c->heartbeat->pid, 1234);
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_FLATTEN; cmd.symbol = "NQ";
    ENV(e13, COMMAND, command, &cmd);
    c = s_round_trip(&e13);
    assert_int_equal(c->command->type, OFTS__COMMAND_TYPE__CMD_FLATTEN);
    assert_string_equal(c->command->symbol, "NQ");
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__SnapshotRequest sr = OFTS__SNAPSHOT_REQUEST__INIT;
    sr.prefix = "exec.position.";
    ENV(e14, SNAPSHOT_REQUEST, snapshot_request, &sr);
    c = s_round_trip(&e14);
    assert_string_equal(c->snapshot_request->prefix, "exec.position.");
    ofts__envelope__free_unpacked(c, NULL);

    Ofts__SnapshotEnd se = OFTS__SNAPSHOT_END__INIT;
    se.seq = 1ULL << 40;
    ENV(e15, SNAPSHOT_END, snapshot_end, &se);
    c = s_round_trip(&e15);
    assert_true(c->snapshot_end->seq == 1ULL << 40);
    ofts__envelope__free_unpacked(c, NULL);
}

static void
t_truncated_and_garbage_do_not_decode(void **state)
{
    (void) state;
    Ofts__Trade tr = OFTS__TRADE__INIT;
    tr.symbol = "GC"; tr.price = 2350100000000LL;
    ENV(env, TRADE, trade, &tr);
    uint8_t buf[128];
    size_t n = ofts__envelope__pack(&env, buf);
    //  Every strict prefix that cuts a field is rejected, never crashes.
    int rejected = 0;
    for (size_t cut = 1; cut < n; cut++) {
        Ofts__Envelope *c = ofts__envelope__unpack(NULL, cut, buf);
        if (!c)
            rejected++;
        else
            ofts__envelope__free_unpacked(c, NULL);
    }
    assert_true(rejected > 0);
    const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    assert_null(ofts__envelope__unpack(NULL, sizeof junk, junk));
}

static void
t_json_and_line(void **state)
{
    (void) state;
    Ofts__Header hdr = OFTS__HEADER__INIT;
    hdr.source = "gateway-md";
    hdr.seq = 12;
    Ofts__Trade tr = OFTS__TRADE__INIT;
    tr.symbol = "GC"; tr.contract = "GCZ6"; tr.price = 2350100000000LL; tr.size = 3;
    tr.aggressor = OFTS__SIDE__SIDE_BUY;
    ENV(env, TRADE, trade, &tr);
    env.header = &hdr;
    json_t *j = ofts_msg_to_json(&env, "md.trade.GC.");
    assert_string_equal(json_string_value(json_object_get(j, "type")), "trade");
    assert_string_equal(json_string_value(json_object_get(j, "topic")), "md.trade.GC.");
    json_t *t = json_object_get(j, "trade");
    assert_string_equal(json_string_value(json_object_get(t, "price")), "2350.1");
    assert_int_equal(json_integer_value(json_object_get(t, "size")), 3);
    assert_string_equal(json_string_value(json_object_get(t, "aggressor")), "SIDE_BUY");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "header"), "seq")), 12);
    json_decref(j);
    char *line = ofts_msg_to_line(&env, "md.trade.GC.");
    assert_non_null(strstr(line, "md.trade.GC. gateway-md#12 trade"));
    assert_non_null(strstr(line, "price=2350.1"));
    assert_non_null(strstr(line, "aggressor=SIDE_BUY"));
    free(line);
    Ofts__Envelope none = OFTS__ENVELOPE__INIT;
    assert_string_equal(ofts_msg_body_name(&none), "none");
}

//  jq reads numbers as doubles: 1796439300046490380 would come back as
//  1796439300046490400. Timestamps become ISO strings with the exact ns as a
//  string beside them; other huge integers become strings.
static void
t_json_survives_jq(void **state)
{
    (void) state;
    json_t *o = json_pack("{s:{s:I, s:I, s:I, s:I}, s:{s:I, s:i}}", "header", "ts_event",
                          (json_int_t) 1796439300046490380LL, "ts_recv", (json_int_t) 0, "epoch",
                          (json_int_t) 1796439296088740963LL, "seq", (json_int_t) 18, "signal", "expires_ns",
                          (json_int_t) 1796439300000000000LL, "size", 3);
    ofts_msg_json_jq_safe(o);
    json_t *h = json_object_get(o, "header");
    assert_string_equal(json_string_value(json_object_get(h, "ts_event")), "2026-12-05T02:55:00.046490380Z");
    assert_string_equal(json_string_value(json_object_get(h, "ts_event_ns")), "1796439300046490380");
    assert_true(json_is_null(json_object_get(h, "ts_recv")));
    assert_string_equal(json_string_value(json_object_get(h, "ts_recv_ns")), "0");
    assert_string_equal(json_string_value(json_object_get(h, "epoch")), "1796439296088740963");
    assert_int_equal(json_integer_value(json_object_get(h, "seq")), 18);
    json_t *sig = json_object_get(o, "signal");
    assert_string_equal(json_string_value(json_object_get(sig, "expires")), "2026-12-05T02:55:00.000000000Z");
    assert_string_equal(json_string_value(json_object_get(sig, "expires_ns")), "1796439300000000000");
    assert_int_equal(json_integer_value(json_object_get(sig, "size")), 3);
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_round_trip_every_type),
        cmocka_unit_test(t_truncated_and_garbage_do_not_decode),
        cmocka_unit_test(t_json_and_line),
        cmocka_unit_test(t_json_survives_jq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
