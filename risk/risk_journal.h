/*  risk_journal - risk's memory across restarts: SQLite in WAL mode with
    synchronous=FULL, so a committed approval is on disk (fsync'd WAL) before
    the engine lets the order out. Users can query it with sqlite3; the
    schema and example queries are in docs/risk.md.

    A file that is not a healthy ofts risk journal (zero length, garbage,
    failed PRAGMA integrity_check, another application's database - its
    PRAGMA application_id is not "ofRK" - or another schema version in
    PRAGMA user_version) is refused with a message naming the path: never
    dropped or recreated (libofts/ofts_db.h). Only a missing file starts a
    new journal.                                                           */
#ifndef RISK_JOURNAL_H
#define RISK_JOURNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofts.pb-c.h"

#define RISK_JOURNAL_SCHEMA 1

typedef struct _risk_journal_t risk_journal_t;

//  Open or create. NULL with a one-line message naming path in err.
risk_journal_t *risk_journal_open(const char *path, char *err, size_t errlen);
void risk_journal_destroy(risk_journal_t **self_p);
const char *risk_journal_path(risk_journal_t *self);
//  Last SQLite error text ("" when none).
const char *risk_journal_error(risk_journal_t *self);

//  Group several writes into one durable commit. 0 or -1.
int risk_journal_begin(risk_journal_t *self);
int risk_journal_commit(risk_journal_t *self);
void risk_journal_rollback(risk_journal_t *self);

//  One transaction: the approval, the symbol's cooldown and its working
//  entry. Returns 0 once durable; -1 (nothing written) otherwise. A second
//  approval of the same signal id fails (UNIQUE): the database itself
//  refuses a duplicate.
int risk_journal_approval(risk_journal_t *self, const Ofts__OrderRequest *req, int64_t ts_ns, int day);
//  These join the caller's transaction when one is open.
int risk_journal_reject(risk_journal_t *self, const Ofts__RiskReject *rej, int64_t ts_ns, int day);
int risk_journal_fill(risk_journal_t *self, const Ofts__Fill *fill, int64_t realized_cents,
                      int64_t ts_ns, int day);
int risk_journal_position(risk_journal_t *self, const char *symbol, const char *contract, int32_t qty,
                          int64_t avg_price, const char *client_order_id, int64_t ts_ns);
//  qty 0 removes the symbol's working entry.
int risk_journal_working(risk_journal_t *self, const char *symbol, const char *client_order_id,
                         uint32_t qty, int64_t ts_ns);
int risk_journal_state(risk_journal_t *self, const char *key, int64_t value, const char *text,
                       int64_t ts_ns);
int risk_journal_day(risk_journal_t *self, int day, int64_t realized_cents, int64_t eod_balance_cents);

//  Replay, in this order: state, approvals (oldest first), cooldowns,
//  working entries, positions, fill ids. Any callback may be NULL.
typedef struct {
    void (*state)(void *arg, const char *key, int64_t value, const char *text);
    void (*approval)(void *arg, const Ofts__OrderRequest *req, int64_t ts_ns);
    void (*cooldown)(void *arg, const char *symbol, int64_t last_approval_ns);
    void (*working)(void *arg, const char *symbol, const char *client_order_id, uint32_t qty, int64_t ts_ns);
    void (*position)(void *arg, const char *symbol, const char *contract, int32_t qty, int64_t avg_price,
                     const char *client_order_id);
    void (*fill)(void *arg, const char *fill_id);
} risk_journal_replay_t;
int risk_journal_replay(risk_journal_t *self, const risk_journal_replay_t *fns, void *arg);

#endif
