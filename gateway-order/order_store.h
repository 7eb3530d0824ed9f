/*  order_store - durable order and fill history (SQLite, WAL mode).

    What makes a restarted gateway-order safe:
    - every client order id is written here BEFORE the order is placed, so
      an id seen once is never placed again, even after kill -9;
    - fills are keyed by the broker's fill id (PRIMARY KEY), so a fill that
      is reported twice (stream + reconcile, or after a restart) counts once;
    - the paper broker keeps its own state (working orders, positions, id
      counters) in the same file, so a paper run survives kill -9 too.

    Tables (see docs/gateway-order.md for example queries):
      orders(client_order_id PK, parent_id, broker_order_id, signal_id,
             symbol, contract, role, side, type, status, quantity,
             filled_quantity, price, stop, take_profit, avg_fill_price,
             text, created_ns, updated_ns)
      fills(fill_id PK, client_order_id, broker_order_id, symbol, contract,
            role, side, price, quantity, fees_cents, ts_ns)
      meta(key PK, value)
      paper_orders(orders' columns + suspended, stop_off, target_off)
      paper_positions(symbol PK, contract, quantity, avg_price, realized_pnl_cents)
    Prices are int64 1e-9 units; the views orders_v / fills_v show decimals.

    The file carries application_id "ofGO" and a schema version and must
    pass integrity_check at open (libofts/ofts_db.h): a zero-length,
    bit-flipped, foreign or wrong-schema file is refused, never recreated.

    Errors are logged with the SQLite message and returned as -1. Any
    failed write (or read) marks the store failed for good
    (order_store_failed): the order manager then opens no new position.   */
#ifndef ORDER_STORE_H
#define ORDER_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "broker.h"

typedef struct _order_store_t order_store_t;

//  Open or create. path ":memory:" gives a private in-memory store (tests,
//  backtests). NULL on failure, the reason (one line naming path) in err.
order_store_t *order_store_open(const char *path, char *err, size_t errlen);
//  The same, the reason logged.
order_store_t *order_store_new(const char *path);
//  A write (or read) failed since open: what is stored may not be what
//  happened. Sticky; the first failure's message.
bool order_store_failed(order_store_t *self);
const char *order_store_failure(order_store_t *self);
void order_store_destroy(order_store_t **self_p);
const char *order_store_path(order_store_t *self);

//  Group writes into one transaction (nests: only the outermost commits).
int order_store_begin(order_store_t *self);
int order_store_commit(order_store_t *self);
//  Inside a transaction: commit what is written so far and carry on in a
//  new one. Used before a call to an external broker, so the client order
//  id is durable before the order can exist.
int order_store_flush(order_store_t *self);
//  Inside a transaction: commit, and write in autocommit until resume
//  (which opens a new transaction). Around calls to a remote broker: no
//  transaction is ever held across a network call.
int order_store_pause(order_store_t *self);
int order_store_resume(order_store_t *self);

//  Orders as the manager tracks them. put is an upsert by client_order_id.
int order_store_order_put(order_store_t *self, const broker_order_t *order);
//  1 found (copied to out), 0 not found, -1 error.
int order_store_order_get(order_store_t *self, const char *client_order_id, broker_order_t *out);
typedef void (order_store_order_fn)(void *arg, const broker_order_t *order);
//  Calls fn for each order (open_only: not filled/cancelled/rejected/expired),
//  oldest first. Returns how many, or -1.
int order_store_orders_each(order_store_t *self, bool open_only, order_store_order_fn *fn, void *arg);

//  1 when the fill is new, 0 when fill_id was already recorded, -1 on error.
int order_store_fill_add(order_store_t *self, const broker_fill_t *fill);
typedef void (order_store_fill_fn)(void *arg, const broker_fill_t *fill);
//  Fills of one order (or all when client_order_id is NULL), oldest first.
int order_store_fills_each(order_store_t *self, const char *client_order_id,
                           order_store_fill_fn *fn, void *arg);
int64_t order_store_fill_count(order_store_t *self);
//  Fills with ts_ns >= since_ns, oldest first. Returns how many, or -1.
int order_store_fills_since(order_store_t *self, int64_t since_ns, order_store_fill_fn *fn, void *arg);
//  ts_ns of the newest fill, 0 when there is none.
int64_t order_store_fill_latest_ns(order_store_t *self);

int order_store_meta_set(order_store_t *self, const char *key, int64_t value);
int64_t order_store_meta_get(order_store_t *self, const char *key, int64_t def);

//  Paper broker state.
typedef struct {
    broker_order_t order;
    bool suspended;                     //  bracket child waiting for its entry
    int64_t stop_off;                   //  entry: stop distance from fill (signed, 1e-9)
    int64_t target_off;                 //  entry: target distance from fill
} order_store_paper_t;

int order_store_paper_order_put(order_store_t *self, const order_store_paper_t *row);
//  1 found, 0 not, -1 error.
int order_store_paper_order_get(order_store_t *self, const char *client_order_id,
                                order_store_paper_t *out);
typedef void (order_store_paper_fn)(void *arg, const order_store_paper_t *row);
int order_store_paper_orders_each(order_store_t *self, bool open_only,
                                  order_store_paper_fn *fn, void *arg);
int order_store_paper_position_put(order_store_t *self, const broker_position_t *pos);
typedef void (order_store_position_fn)(void *arg, const broker_position_t *pos);
int order_store_paper_positions_each(order_store_t *self, order_store_position_fn *fn, void *arg);

#endif
