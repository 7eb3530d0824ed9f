/*  risk_journal: durable writes, replay, and refusing bad files loudly.    */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "risk_journal.h"

typedef struct {
    char dir[64];
    char path[128];
} fx_t;

static int
s_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/risk-journal-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/risk.sqlite", f->dir);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *f = *state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static Ofts__OrderRequest
s_req(const char *coid, const char *signal, const char *symbol)
{
    Ofts__OrderRequest r;
    ofts__order_request__init(&r);
    r.client_order_id = (char *) coid;
    r.signal_id = (char *) signal;
    r.symbol = (char *) symbol;
    r.contract = (char *) "GCJ6";
    r.side = OFTS__SIDE__SIDE_SELL;
    r.quantity = 2;
    r.entry = 2350100000000LL;
    r.stop = 2355000000000LL;
    r.take_profit = 2340000000000LL;
    r.confidence = 0.75;
    r.reasons = (char *) "test";
    return r;
}

//  What a replay saw, in order.
typedef struct {
    char log[2048];
} seen_t;

static void s_add(seen_t *s, const char *line) { strncat(s->log, line, sizeof s->log - strlen(s->log) - 1); }

static void
r_state(void *arg, const char *key, int64_t v, const char *text)
{
    char b[128];
    snprintf(b, sizeof b, "state %s=%lld%s%s;", key, (long long) v, *text ? " " : "", text);
    s_add(arg, b);
}

static void
r_approval(void *arg, const Ofts__OrderRequest *r, int64_t ts)
{
    char b[192];
    snprintf(b, sizeof b, "approval %s %s %s %s %u %lld %lld %lld @%lld;", r->client_order_id, r->signal_id,
             r->symbol, r->side == OFTS__SIDE__SIDE_SELL ? "sell" : "buy", r->quantity, (long long) r->entry,
             (long long) r->stop, (long long) r->take_profit, (long long) ts);
    s_add(arg, b);
}

static void
r_cooldown(void *arg, const char *symbol, int64_t last)
{
    char b[96];
    snprintf(b, sizeof b, "cooldown %s @%lld;", symbol, (long long) last);
    s_add(arg, b);
}

static void
r_working(void *arg, const char *symbol, const char *coid, uint32_t qty, int64_t ts)
{
    char b[96];
    snprintf(b, sizeof b, "working %s %s %u @%lld;", symbol, coid, qty, (long long) ts);
    s_add(arg, b);
}

static void
r_position(void *arg, const char *symbol, const char *contract, int32_t qty, int64_t avg, const char *coid)
{
    char b[128];
    snprintf(b, sizeof b, "position %s %s %d %lld %s;", symbol, contract, qty, (long long) avg, coid);
    s_add(arg, b);
}

static void
r_fill(void *arg, const char *id)
{
    char b[64];
    snprintf(b, sizeof b, "fill %s;", id);
    s_add(arg, b);
}

static const risk_journal_replay_t s_fns = { r_state, r_approval, r_cooldown, r_working, r_position, r_fill };

static void
t_write_and_replay(void **state)
{
    fx_t *f = *state;
    char err[256];
    risk_journal_t *j = risk_journal_open(f->path, err, sizeof err);
    assert_non_null(j);
    Ofts__OrderRequest r = s_req("ofts-a", "sig-a", "GC");
    assert_int_equal(risk_journal_approval(j, &r, 1000, 20260310), 0);
    //  The same signal id twice: the database refuses, nothing half-written.
    Ofts__OrderRequest dup = s_req("ofts-b", "sig-a", "GC");
    assert_int_equal(risk_journal_approval(j, &dup, 2000, 20260310), -1);
    assert_non_null(strstr(risk_journal_error(j), "UNIQUE"));
    Ofts__Fill fill;
    ofts__fill__init(&fill);
    fill.fill_id = (char *) "T1";
    fill.client_order_id = (char *) "ofts-a";
    fill.symbol = (char *) "GC";
    fill.side = OFTS__SIDE__SIDE_SELL;
    fill.price = 2350100000000LL;
    fill.quantity = 2;
    assert_int_equal(risk_journal_begin(j), 0);
    assert_int_equal(risk_journal_fill(j, &fill, -250, 3000, 20260310), 0);
    assert_int_equal(risk_journal_position(j, "GC", "GCJ6", -2, 2350100000000LL, "ofts-a", 3000), 0);
    assert_int_equal(risk_journal_working(j, "GC", "", 0, 3000), 0);
    assert_int_equal(risk_journal_state(j, "realized_total_cents", -250, NULL, 3000), 0);
    assert_int_equal(risk_journal_commit(j), 0);
    assert_int_equal(risk_journal_state(j, "cmd_state", 2, "killed by test", 4000), 0);
    Ofts__RiskReject rej;
    ofts__risk_reject__init(&rej);
    rej.signal_id = (char *) "sig-z";
    rej.symbol = (char *) "GC";
    rej.code = OFTS__REJECT_CODE__REJECT_COOLDOWN;
    rej.text = (char *) "too soon";
    assert_int_equal(risk_journal_reject(j, &rej, 5000, 20260310), 0);
    risk_journal_destroy(&j);
    assert_null(j);

    j = risk_journal_open(f->path, err, sizeof err);
    assert_non_null(j);
    seen_t seen = { "" };
    assert_int_equal(risk_journal_replay(j, &s_fns, &seen), 0);
    assert_string_equal(seen.log,
        "state realized_total_cents=-250;state cmd_state=2 killed by test;"
        "approval ofts-a sig-a GC sell 2 2350100000000 2355000000000 2340000000000 @1000;"
        "cooldown GC @1000;"
        "position GC GCJ6 -2 2350100000000 ofts-a;"
        "fill T1;");
    risk_journal_destroy(&j);

    //  Users can read it with plain SQL; the file is in WAL mode.
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT reason_code, text FROM rejects", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *) sqlite3_column_text(st, 0), "REJECT_COOLDOWN");
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT entry, side FROM approvals_v", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_double(st, 0) == 2350.1);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *) sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void
t_working_entry_replayed(void **state)
{
    fx_t *f = *state;
    char err[256];
    risk_journal_t *j = risk_journal_open(f->path, err, sizeof err);
    Ofts__OrderRequest r = s_req("ofts-w", "sig-w", "SI");
    assert_int_equal(risk_journal_approval(j, &r, 77, 20260310), 0);
    seen_t seen = { "" };
    risk_journal_replay_t only = { 0 };
    only.working = r_working;
    assert_int_equal(risk_journal_replay(j, &only, &seen), 0);
    assert_string_equal(seen.log, "working SI ofts-w 2 @77;");
    risk_journal_destroy(&j);
}

static void
s_write_file(const char *path, const void *data, size_t n, long offset)
{
    FILE *fp = fopen(path, offset < 0 ? "wb" : "r+b");
    assert_non_null(fp);
    if (offset >= 0)
        fseek(fp, offset, SEEK_SET);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

static void
t_garbage_file_refused(void **state)
{
    fx_t *f = *state;
    char garbage[8192];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (char) (i * 7 + 3);
    s_write_file(f->path, garbage, sizeof garbage, -1);
    char err[256] = "";
    assert_null(risk_journal_open(f->path, err, sizeof err));
    assert_non_null(strstr(err, f->path));
    assert_non_null(strstr(err, "not a database"));
    //  The file is left exactly as it was: never recreated behind our back.
    FILE *fp = fopen(f->path, "rb");
    char back[8192];
    assert_int_equal(fread(back, 1, sizeof back, fp), sizeof back);
    fclose(fp);
    assert_memory_equal(back, garbage, sizeof garbage);
}

static void
t_damaged_pages_refused(void **state)
{
    fx_t *f = *state;
    char err[256] = "";
    risk_journal_t *j = risk_journal_open(f->path, err, sizeof err);
    for (int i = 0; i < 200; i++) {
        char coid[32], sig[32];
        snprintf(coid, sizeof coid, "ofts-%d", i);
        snprintf(sig, sizeof sig, "sig-%d", i);
        Ofts__OrderRequest r = s_req(coid, sig, "GC");
        assert_int_equal(risk_journal_approval(j, &r, i, 20260310), 0);
    }
    risk_journal_destroy(&j);
    //  Fold the WAL into the main file so the damage below hits real pages.
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT rootpage, (SELECT page_size FROM pragma_page_size)"
                                        " FROM sqlite_master WHERE name='approvals'", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long root = sqlite3_column_int(st, 0), page = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    //  Smash the b-tree header of the approvals table's root page.
    char junk[64];
    memset(junk, 0x5A, sizeof junk);
    s_write_file(f->path, junk, sizeof junk, (root - 1) * page);
    assert_null(risk_journal_open(f->path, err, sizeof err));
    assert_non_null(strstr(err, f->path));
    assert_non_null(strstr(err, "integrity_check failed"));
    assert_null(strchr(err, '\n'));
    printf("damaged journal reported as: %s\n", err);
}

static void
t_foreign_and_newer_refused(void **state)
{
    fx_t *f = *state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE photos(id INTEGER)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256] = "";
    assert_null(risk_journal_open(f->path, err, sizeof err));
    assert_non_null(strstr(err, "not an ofts risk journal"));
    unlink(f->path);

    risk_journal_t *j = risk_journal_open(f->path, err, sizeof err);
    assert_non_null(j);
    risk_journal_destroy(&j);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value='99' WHERE key='schema'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(risk_journal_open(f->path, err, sizeof err));
    assert_non_null(strstr(err, "schema 99"));
    //  The header stamp: another ofts store, another schema version.
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE meta SET value='1' WHERE key='schema'; PRAGMA user_version=7",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(risk_journal_open(f->path, err, sizeof err));
    assert_non_null(strstr(err, "schema 7"));
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=1; PRAGMA application_id=1868973903", NULL, NULL, NULL),
                     SQLITE_OK);                        //  0x6f66474f: gateway-order's store
    sqlite3_close(db);
    assert_null(risk_journal_open(f->path, err, sizeof err));
    assert_non_null(strstr(err, "not an ofts risk journal"));
    //  A journal from before the stamp (application_id 0, meta says ours):
    //  accepted and stamped.
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=0; PRAGMA application_id=0", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    risk_journal_t *old = risk_journal_open(f->path, err, sizeof err);
    assert_non_null(old);
    risk_journal_destroy(&old);
    //  Zero length: damage, not a new journal.
    FILE *fp = fopen(f->path, "w");
    fclose(fp);
    assert_null(risk_journal_open(f->path, err, sizeof err));
    assert_non_null(strstr(err, "zero-length"));
}

static void
t_in_memory(void **state)
{
    (void) state;
    char err[256] = "";
    risk_journal_t *j = risk_journal_open(":memory:", err, sizeof err);
    assert_non_null(j);
    Ofts__OrderRequest r = s_req("ofts-m", "sig-m", "GC");
    assert_int_equal(risk_journal_approval(j, &r, 5, 20260310), 0);
    seen_t seen = { "" };
    risk_journal_replay_t only = { 0 };
    only.cooldown = r_cooldown;
    assert_int_equal(risk_journal_replay(j, &only, &seen), 0);
    assert_string_equal(seen.log, "cooldown GC @5;");
    risk_journal_destroy(&j);
}

static void
t_unwritable_path(void **state)
{
    (void) state;
    char err[256] = "";
    assert_null(risk_journal_open("/nonexistent-dir/risk.sqlite", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-dir/risk.sqlite"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, s_setup, s_teardown)
int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(t_write_and_replay), T(t_working_entry_replayed), T(t_garbage_file_refused),
        T(t_damaged_pages_refused), T(t_foreign_and_newer_refused), T(t_in_memory), T(t_unwritable_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
