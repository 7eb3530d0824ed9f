/*  order_accounts: several accounts behind one gateway-order (issue 19).
    Each account is its own paper broker and manager; an order lands on the
    book of the account it names, every message says which account, a
    refusal is never moved to another account, a kill of one leaves the
    other trading, a snapshot is per account.                               */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "pub_record.h"
#include "order_accounts.h"
#include "paper_broker.h"

#define PX(whole, tenths) ((int64_t) (whole) * 1000000000LL + (int64_t) (tenths) * 100000000LL)

//  How many messages of body (and account, NULL = any) were published.
static int
s_count(int body, const char *account)
{
    int n = 0;
    for (int i = 0; i < pub_n; i++)
        if (pub_log[i].body == body && (!account || strcmp(pub_log[i].account, account) == 0))
            n++;
    return n;
}

static const pub_t *
s_last(int body, const char *account)
{
    for (int i = pub_n - 1; i >= 0; i--)
        if (pub_log[i].body == body && strcmp(pub_log[i].account, account) == 0)
            return &pub_log[i];
    return NULL;
}

//  Two accounts, each its own paper broker (no slippage, flat fees).
typedef struct {
    paper_broker_t *pb[2];
    order_accounts_t *oa;
} two_t;

static const char *s_names[2] = { "TC-50K", "XFA-150K" };

static void
s_two(two_t *t)
{
    pub_n = 0;
    paper_config_t pcfg = { .slippage_ticks = 0, .fees_cents = 0 };
    order_manager_config_t cfg;
    order_manager_config_defaults(&cfg);
    cfg.reconcile_ms = 0;
    t->oa = order_accounts_new(pub_record, NULL);
    for (int i = 0; i < 2; i++) {
        t->pb[i] = paper_broker_new(&pcfg, NULL);
        paper_broker_set_account(t->pb[i], s_names[i]);
        assert_non_null(order_accounts_add(t->oa, s_names[i], paper_broker_broker(t->pb[i]), NULL, &cfg));
    }
    assert_null(order_accounts_add(t->oa, s_names[1], paper_broker_broker(t->pb[1]), NULL, &cfg));
    order_accounts_start(t->oa, 1);
    for (int i = 0; i < 2; i++)
        paper_broker_on_bbo(t->pb[i], "GC", NULL, PX(2350, 0), PX(2350, 1), 1);
}

static void
s_two_destroy(two_t *t)
{
    order_accounts_destroy(&t->oa);
    for (int i = 0; i < 2; i++)
        paper_broker_destroy(&t->pb[i]);
}

static Ofts__OrderRequest
s_request(const char *coid, const char *account, uint32_t quantity)
{
    Ofts__OrderRequest req = OFTS__ORDER_REQUEST__INIT;
    req.client_order_id = (char *) coid;
    req.signal_id = (char *) "sig-1";
    req.symbol = (char *) "GC";
    req.side = OFTS__SIDE__SIDE_BUY;
    req.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    req.quantity = quantity;
    req.entry = PX(2350, 1);
    req.stop = PX(2340, 0);
    req.take_profit = PX(2370, 0);
    req.account = (char *) account;
    return req;
}

//  One signal approved for both: TC-50K buys 1, XFA-150K 3 (at 2350.1).
static void
s_both_buy(two_t *t)
{
    Ofts__OrderRequest a = s_request("ofts-a1", "TC-50K", 1);
    Ofts__OrderRequest b = s_request("ofts-b1", "XFA-150K", 3);
    order_accounts_on_request(t->oa, &a, 2);
    order_accounts_on_request(t->oa, &b, 2);
}

//  An account-named request is placed on that account's book only (before
//  issue 19's routing, gateway-order refused it), and what comes back
//  names the account.
static void
t_request_on_its_account(void **state)
{
    (void) state;
    two_t t;
    s_two(&t);
    Ofts__OrderRequest req = s_request("ofts-b1", "XFA-150K", 3);
    order_accounts_on_request(t.oa, &req, 2);
    assert_int_equal(paper_broker_position(t.pb[1], "GC"), 3);
    assert_int_equal(paper_broker_position(t.pb[0], "GC"), 0);
    assert_int_equal(order_manager_position(order_accounts_find(t.oa, "XFA-150K"), "GC"), 3);
    assert_int_equal(order_manager_position(order_accounts_find(t.oa, "TC-50K"), "GC"), 0);
    //  Entry + its two legs, the fill, the position: all XFA-150K's.
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_FILL, "XFA-150K"), 1);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_FILL, NULL), 1);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_POSITION, "XFA-150K")->quantity, 3);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_POSITION, "TC-50K"), 0);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "TC-50K"), 0);
    assert_true(s_count(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "XFA-150K") >= 3);
    //  Start said each account's trading state under its own name.
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ACCOUNT, "TC-50K"), 1);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ACCOUNT, "XFA-150K"), 1);
    assert_int_equal(order_accounts_placed(t.oa), 1);
    s_two_destroy(&t);
}

//  One signal, two accounts: two orders with their own ids and sizes, two
//  fills with distinct ids (the de-dup key), each on its own account.
static void
t_one_signal_two_orders(void **state)
{
    (void) state;
    two_t t;
    s_two(&t);
    s_both_buy(&t);
    assert_int_equal(paper_broker_position(t.pb[0], "GC"), 1);
    assert_int_equal(paper_broker_position(t.pb[1], "GC"), 3);
    const pub_t *fa = s_last(OFTS__ENVELOPE__BODY_FILL, "TC-50K");
    const pub_t *fb = s_last(OFTS__ENVELOPE__BODY_FILL, "XFA-150K");
    assert_non_null(fa);
    assert_non_null(fb);
    assert_int_equal(fa->quantity, 1);
    assert_int_equal(fb->quantity, 3);
    //  Both brokers count from 1: without the account's tag both would be "PF2".
    assert_string_not_equal(fa->id, fb->id);
    assert_int_equal(order_accounts_placed(t.oa), 2);
    assert_int_equal(order_accounts_fills(t.oa), 2);
    //  A resend to one account is that account's duplicate, not a new order.
    Ofts__OrderRequest again = s_request("ofts-b1", "XFA-150K", 3);
    order_accounts_on_request(t.oa, &again, 3);
    assert_int_equal(order_accounts_placed(t.oa), 2);
    assert_int_equal(order_manager_duplicates(order_accounts_find(t.oa, "XFA-150K")), 1);
    assert_int_equal(order_manager_duplicates(order_accounts_find(t.oa, "TC-50K")), 0);
    s_two_destroy(&t);
}

//  An account not served here, or no account while there are several:
//  refused, said with the account it named, placed nowhere.
static void
t_unknown_account_refused(void **state)
{
    (void) state;
    two_t t;
    s_two(&t);
    Ofts__OrderRequest req = s_request("ofts-c1", "XFA-50K-9", 2);
    order_accounts_on_request(t.oa, &req, 2);
    const pub_t *up = s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "XFA-50K-9");
    assert_non_null(up);
    assert_int_equal(up->status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    assert_string_equal(up->id, "ofts-c1");
    assert_string_equal(up->topic, "exec.order.GC.");
    req = s_request("ofts-n1", "", 2);
    order_accounts_on_request(t.oa, &req, 2);
    up = s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "");
    assert_non_null(up);
    assert_int_equal(up->status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    assert_int_equal(order_accounts_placed(t.oa), 0);
    assert_int_equal(paper_broker_position(t.pb[0], "GC") + paper_broker_position(t.pb[1], "GC"), 0);
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_KILL;
    cmd.account = (char *) "XFA-50K-9";
    assert_int_equal(order_accounts_on_command(t.oa, &cmd, 3), -1);
    assert_false(order_manager_halted(order_accounts_at(t.oa, 0)));
    assert_false(order_manager_halted(order_accounts_at(t.oa, 1)));
    s_two_destroy(&t);
}

//  A kill of one account flattens and halts it; the other keeps its
//  position and trades on. An order the killed account refuses is reported
//  on it and never placed on the other. "" kills every account.
static void
t_kill_one_account(void **state)
{
    (void) state;
    two_t t;
    s_two(&t);
    s_both_buy(&t);
    Ofts__Command cmd = OFTS__COMMAND__INIT;
    cmd.type = OFTS__COMMAND_TYPE__CMD_KILL;
    cmd.account = (char *) "TC-50K";
    assert_int_equal(order_accounts_on_command(t.oa, &cmd, 3), 0);
    assert_int_equal(paper_broker_position(t.pb[0], "GC"), 0);
    assert_int_equal(paper_broker_position(t.pb[1], "GC"), 3);
    char names[128];
    assert_int_equal(order_accounts_halted(t.oa, names, sizeof(names)), 1);
    assert_string_equal(names, "TC-50K");
    Ofts__OrderRequest a = s_request("ofts-a2", "TC-50K", 1);
    order_accounts_on_request(t.oa, &a, 4);
    const pub_t *up = s_last(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "TC-50K");
    assert_string_equal(up->id, "ofts-a2");
    assert_int_equal(up->status, OFTS__ORDER_STATUS__STATUS_REJECTED);
    assert_int_equal(paper_broker_position(t.pb[1], "GC"), 3);
    //  XFA-150K trades on: its stop fills, a new entry goes in.
    paper_broker_on_trade(t.pb[1], "GC", NULL, PX(2339, 0), 5);
    assert_int_equal(paper_broker_position(t.pb[1], "GC"), 0);
    Ofts__OrderRequest b = s_request("ofts-b2", "XFA-150K", 2);
    order_accounts_on_request(t.oa, &b, 6);
    assert_int_equal(paper_broker_position(t.pb[1], "GC"), 2);
    cmd.account = (char *) "";
    assert_int_equal(order_accounts_on_command(t.oa, &cmd, 7), 0);
    assert_int_equal(order_accounts_halted(t.oa, names, sizeof(names)), 2);
    assert_string_equal(names, "TC-50K,XFA-150K");
    assert_int_equal(paper_broker_position(t.pb[1], "GC"), 0);
    s_two_destroy(&t);
}

//  The snapshot risk reconciles from: each account's state, fills, working
//  legs and position, each under its account.
static void
t_snapshot_per_account(void **state)
{
    (void) state;
    two_t t;
    s_two(&t);
    Ofts__OrderRequest b = s_request("ofts-b1", "XFA-150K", 3);
    order_accounts_on_request(t.oa, &b, 2);
    pub_n = 0;
    //  TC-50K: its state only. XFA-150K: state, (no store: no fills), two
    //  legs, the position.
    assert_int_equal(order_accounts_snapshot(t.oa, "exec.", pub_record, NULL), 1 + 4);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ACCOUNT, "TC-50K"), 1);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ACCOUNT, "XFA-150K"), 1);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_ORDER_UPDATE, "XFA-150K"), 2);
    assert_int_equal(s_last(OFTS__ENVELOPE__BODY_POSITION, "XFA-150K")->quantity, 3);
    assert_int_equal(s_count(OFTS__ENVELOPE__BODY_POSITION, NULL), 1);
    s_two_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_request_on_its_account),
        cmocka_unit_test(t_one_signal_two_orders),
        cmocka_unit_test(t_unknown_account_refused),
        cmocka_unit_test(t_kill_one_account),
        cmocka_unit_test(t_snapshot_per_account),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
