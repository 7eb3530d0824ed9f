/*  order_store: orders upsert / reload, fills counted once by fill_id,
    meta values, paper state, WAL on a real file, bad paths.               */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <cmocka.h>
#include "order_store.h"
#include "ofts.pb-c.h"

static char s_dir[64];
static char s_db[128];

static int
s_setup(void **state)
{
    (void) state;
    strcpy(s_dir, "/tmp/ofts-store-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    snprintf(s_db, sizeof(s_db), "%s/orders.db", s_dir);
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static broker_order_t
s_order(const char *id, int status)
{
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    strcpy(o.client_order_id, id);
    strcpy(o.symbol, "GC");
    strcpy(o.contract, "GCZ6");
    o.role = OFTS__ORDER_ROLE__ROLE_ENTRY;
    o.side = OFTS__SIDE__SIDE_BUY;
    o.status = status;
    o.quantity = 2;
    o.price = 2350100000000LL;
    o.stop = 2349100000000LL;
    o.take_profit = 2352100000000LL;
    o.created_ns = 1000;
    strcpy(o.text, "it's quoted");                  //  quote in text: bound, not spliced
    return o;
}

static void
s_count_order(void *arg, const broker_order_t *o)
{
    (void) o;
    (*(int *) arg)++;
}

static void
t_orders_roundtrip_across_reopen(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(s_db);
    assert_non_null(store);
    broker_order_t a = s_order("sig-1", OFTS__ORDER_STATUS__STATUS_PENDING);
    assert_int_equal(order_store_order_put(store, &a), 0);
    broker_order_t b = s_order("sig-2", OFTS__ORDER_STATUS__STATUS_FILLED);
    assert_int_equal(order_store_order_put(store, &b), 0);
    a.status = OFTS__ORDER_STATUS__STATUS_WORKING;  //  upsert
    strcpy(a.broker_order_id, "9056");
    assert_int_equal(order_store_order_put(store, &a), 0);
    order_store_destroy(&store);
    assert_null(store);

    store = order_store_new(s_db);
    assert_non_null(store);
    broker_order_t got;
    assert_int_equal(order_store_order_get(store, "sig-1", &got), 1);
    assert_string_equal(got.broker_order_id, "9056");
    assert_int_equal(got.status, OFTS__ORDER_STATUS__STATUS_WORKING);
    assert_int_equal(got.price, 2350100000000LL);
    assert_int_equal(got.take_profit, 2352100000000LL);
    assert_int_equal(got.quantity, 2);
    assert_string_equal(got.text, "it's quoted");
    assert_int_equal(order_store_order_get(store, "nope", &got), 0);
    int open = 0, all = 0;
    assert_int_equal(order_store_orders_each(store, true, s_count_order, &open), 1);
    assert_int_equal(order_store_orders_each(store, false, s_count_order, &all), 2);
    assert_int_equal(open, 1);
    assert_int_equal(all, 2);
    order_store_destroy(&store);
}

static void
t_fill_counted_once(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(s_db);
    assert_non_null(store);
    broker_fill_t f;
    memset(&f, 0, sizeof(f));
    strcpy(f.fill_id, "8604");
    strcpy(f.client_order_id, "sig-1");
    strcpy(f.symbol, "GC");
    f.price = 2350200000000LL;
    f.quantity = 2;
    assert_int_equal(order_store_fill_add(store, &f), 1);
    assert_int_equal(order_store_fill_add(store, &f), 0);
    order_store_destroy(&store);
    store = order_store_new(s_db);
    assert_int_equal(order_store_fill_add(store, &f), 0);       //  after a restart too
    strcpy(f.fill_id, "8605");
    assert_int_equal(order_store_fill_add(store, &f), 1);
    assert_int_equal(order_store_fill_count(store), 2);
    order_store_destroy(&store);
}

static void
t_meta_and_paper_state(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(":memory:");
    assert_non_null(store);
    assert_int_equal(order_store_meta_get(store, "x", 42), 42);
    assert_int_equal(order_store_meta_set(store, "x", 7), 0);
    assert_int_equal(order_store_meta_get(store, "x", 42), 7);
    order_store_paper_t row;
    memset(&row, 0, sizeof(row));
    row.order = s_order("p-1", OFTS__ORDER_STATUS__STATUS_PENDING);
    row.suspended = true;
    row.stop_off = -1000000000LL;
    row.target_off = 2000000000LL;
    assert_int_equal(order_store_paper_order_put(store, &row), 0);
    order_store_paper_t got;
    assert_int_equal(order_store_paper_order_get(store, "p-1", &got), 1);
    assert_true(got.suspended);
    assert_int_equal(got.stop_off, -1000000000LL);
    assert_int_equal(got.target_off, 2000000000LL);
    broker_position_t pos;
    memset(&pos, 0, sizeof(pos));
    strcpy(pos.symbol, "GC");
    pos.quantity = -3;
    pos.realized_pnl_cents = -12345;
    assert_int_equal(order_store_paper_position_put(store, &pos), 0);
    order_store_destroy(&store);
}

//  The file really is in WAL mode (readers never block the gateway).
static void
t_wal_mode(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(s_db);
    assert_non_null(store);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode;", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *) sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    //  The human view answers with decimals.
    broker_order_t a = s_order("v-1", OFTS__ORDER_STATUS__STATUS_WORKING);
    assert_int_equal(order_store_order_put(store, &a), 0);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT status, price FROM orders_v WHERE client_order_id='v-1';",
                                        -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *) sqlite3_column_text(st, 0), "working");
    assert_true(sqlite3_column_double(st, 1) > 2350.09 && sqlite3_column_double(st, 1) < 2350.11);
    sqlite3_finalize(st);
    sqlite3_close(db);
    //  Nested transactions: only the outer one commits.
    assert_int_equal(order_store_begin(store), 0);
    assert_int_equal(order_store_begin(store), 0);
    assert_int_equal(order_store_meta_set(store, "n", 1), 0);
    assert_int_equal(order_store_commit(store), 0);
    assert_int_equal(order_store_commit(store), 0);
    assert_int_equal(order_store_meta_get(store, "n", 0), 1);
    //  flush: what was written is visible to another connection (durable)
    //  while the caller's transaction carries on.
    assert_int_equal(order_store_begin(store), 0);
    broker_order_t f1 = s_order("flushed-1", OFTS__ORDER_STATUS__STATUS_PENDING);
    assert_int_equal(order_store_order_put(store, &f1), 0);
    assert_int_equal(order_store_flush(store), 0);
    broker_order_t f2 = s_order("after-flush", OFTS__ORDER_STATUS__STATUS_PENDING);
    assert_int_equal(order_store_order_put(store, &f2), 0);
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM orders WHERE client_order_id IN"
                                        " ('flushed-1', 'after-flush');", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);         //  only the flushed one
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(order_store_commit(store), 0);
    order_store_destroy(&store);
}

//  A path that cannot be opened: NULL and a logged error, no crash.
static void
t_bad_path(void **state)
{
    (void) state;
    order_store_t *store = order_store_new("/nonexistent-dir/x/orders.db");
    assert_null(store);
    //  Garbage in place of a database.
    char junk[160];
    snprintf(junk, sizeof(junk), "%s/junk.db", s_dir);
    FILE *f = fopen(junk, "w");
    assert_non_null(f);
    fputs("this is not a sqlite database, not even close; padding padding padding padding "
          "padding padding padding padding padding padding padding padding\n", f);
    fclose(f);
    store = order_store_new(junk);
    assert_null(store);
}

//  Write bytes at offset of path (a bit flip, a smashed page).
static void
s_poke(const char *path, long offset, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    assert_int_equal(fwrite(bytes, 1, size, f), size);
    fclose(f);
}

static void
s_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void
s_refused(const char *path, const char *why)
{
    char err[512] = "";
    order_store_t *store = order_store_open(path, err, sizeof(err));
    if (store)
        order_store_destroy(&store);
    assert_null(store);
    printf("refused: %s\n", err);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, why));
    assert_null(strchr(err, '\n'));
}

//  Only a missing file starts a new store: a zero-length one (truncated by
//  a crash or a full disk), a bit-flipped one, another application's or
//  another schema's database are refused with the reason, and left as they
//  were. An unstamped store of an earlier ofts version is stamped.
static void
t_damaged_stores_refused(void **state)
{
    (void) state;
    FILE *f = fopen(s_db, "w");
    fclose(f);
    s_refused(s_db, "zero-length");
    struct stat st;
    assert_int_equal(stat(s_db, &st), 0);
    assert_int_equal(st.st_size, 0);                        //  left alone
    unlink(s_db);

    //  A healthy store with some rows, folded into the main file.
    order_store_t *store = order_store_new(s_db);
    assert_non_null(store);
    for (int i = 0; i < 300; i++) {
        char id[32];
        snprintf(id, sizeof(id), "ofts-%04d", i);
        broker_order_t o = s_order(id, OFTS__ORDER_STATUS__STATUS_FILLED);
        assert_int_equal(order_store_order_put(store, &o), 0);
    }
    order_store_destroy(&store);
    s_sql(s_db, "PRAGMA wal_checkpoint(TRUNCATE);");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage, (SELECT page_size FROM pragma_page_size)"
                                        " FROM sqlite_master WHERE name='orders'", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    long root = sqlite3_column_int(q, 0), page = sqlite3_column_int(q, 1);
    sqlite3_finalize(q);
    sqlite3_close(db);
    char copy[300];
    snprintf(copy, sizeof(copy), "cp %s %s.good", s_db, s_db);
    assert_int_equal(system(copy), 0);
    //  One flipped bit in the b-tree page header of the orders table.
    unsigned char flip = 0x0d ^ 0x20;                       //  leaf table page type 13, bit 5 flipped
    s_poke(s_db, (root - 1) * page, &flip, 1);
    s_refused(s_db, "integrity_check failed");

    //  Another ofts store (risk's journal id), a stranger, a newer schema.
    snprintf(copy, sizeof(copy), "cp %s.good %s", s_db, s_db);
    assert_int_equal(system(copy), 0);
    s_sql(s_db, "PRAGMA application_id = 1868976715;");    //  0x6f66524b "ofRK"
    s_refused(s_db, "not an ofts gateway-order store");
    unlink(s_db);
    s_sql(s_db, "CREATE TABLE photos(id INTEGER);");
    s_refused(s_db, "not an ofts gateway-order store");
    unlink(s_db);
    assert_int_equal(system(copy), 0);
    s_sql(s_db, "PRAGMA user_version = 2;");
    s_refused(s_db, "schema 2");

    //  Written before the stamp existed: accepted, stamped, rows kept.
    assert_int_equal(system(copy), 0);
    s_sql(s_db, "PRAGMA application_id = 0; PRAGMA user_version = 0;");
    store = order_store_new(s_db);
    assert_non_null(store);
    assert_int_equal(order_store_order_get(store, "ofts-0299", NULL), 1);
    order_store_destroy(&store);
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 0x6f66474f);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

//  pause: committed (another connection sees it), writes go on durable in
//  autocommit, resume opens a new transaction, commit ends it.
static void
t_pause_holds_no_transaction(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(s_db);
    assert_int_equal(order_store_begin(store), 0);
    assert_int_equal(order_store_meta_set(store, "a", 1), 0);
    assert_int_equal(order_store_pause(store), 0);
    //  No write lock held: another writer gets in at once.
    sqlite3 *db;
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO meta VALUES ('other', 5);", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(order_store_meta_set(store, "b", 2), 0);
    assert_int_equal(order_store_flush(store), 0);          //  nothing to flush while paused
    assert_int_equal(order_store_resume(store), 0);
    assert_int_equal(order_store_meta_set(store, "c", 3), 0);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM meta WHERE key IN ('a','b','c')", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 2);          //  a and b, not yet c
    sqlite3_finalize(q);
    assert_int_equal(order_store_commit(store), 0);
    assert_int_equal(order_store_meta_get(store, "c", 0), 3);
    assert_false(order_store_failed(store));
    sqlite3_close(db);
    order_store_destroy(&store);
}

//  A transaction that writes nothing (a market-data message that filled
//  nothing: most of them) takes no lock and touches no file - it used to
//  cost a BEGIN IMMEDIATE + COMMIT each, 40 % of gateway-order's CPU under
//  a fast replay. The first write takes the write lock, as before.
static void
t_empty_transaction_costs_nothing(void **state)
{
    (void) state;
    order_store_t *store = order_store_new(s_db);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(s_db, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 0);
    assert_int_equal(order_store_begin(store), 0);
    assert_int_equal(order_store_meta_get(store, "x", 7), 7);   //  reads only
    //  No write lock held: another writer gets in at once.
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE; COMMIT;", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(order_store_meta_set(store, "x", 1), 0);
    //  Now the transaction is open and holds the lock until commit.
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE;", NULL, NULL, NULL), SQLITE_BUSY);
    assert_int_equal(order_store_commit(store), 0);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE; COMMIT;", NULL, NULL, NULL), SQLITE_OK);
    //  A flush ends the open transaction; the next write opens another.
    assert_int_equal(order_store_begin(store), 0);
    assert_int_equal(order_store_meta_set(store, "x", 2), 0);
    assert_int_equal(order_store_flush(store), 0);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE; COMMIT;", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(order_store_meta_set(store, "x", 3), 0);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE;", NULL, NULL, NULL), SQLITE_BUSY);
    assert_int_equal(order_store_commit(store), 0);
    assert_int_equal(order_store_meta_get(store, "x", 0), 3);
    assert_false(order_store_failed(store));
    sqlite3_close(db);
    order_store_destroy(&store);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_damaged_stores_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_pause_holds_no_transaction, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_empty_transaction_costs_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_orders_roundtrip_across_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_fill_counted_once, s_setup, s_teardown),
        cmocka_unit_test(t_meta_and_paper_state),
        cmocka_unit_test_setup_teardown(t_wal_mode, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(t_bad_path, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
