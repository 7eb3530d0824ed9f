/*  broker - the one interface gateway-order places orders through.

    An approved OrderRequest from risk becomes a broker order here. Two
    implementations share this vtable: the paper broker (paper_broker.c,
    simulated fills on market data) and the ProjectX adapter
    (broker_projectx.c, the real TopstepX account). The order manager only
    ever talks to a broker_t, so live, paper and backtest run one code path.

    Shape: calls go in (place an entry with its bracket, cancel, flatten a
    symbol, poll, query positions / open orders / one order by client order
    id); what happens at the broker comes back through three callbacks
    (order state, fill, position). A broker never reads the clock itself:
    the caller passes now_ns.

    Client order ids: the entry carries risk's client_order_id; the bracket
    children are "<id>-SL" (stop, ROLE_STOP) and "<id>-TP" (target,
    ROLE_TARGET) — the same names ProjectX gives them from customTag (spec
    topstepx.md §5.4), so paper and live records look alike.

    Enum fields hold the proto values (Ofts__OrderRole, Ofts__Side,
    Ofts__OrderType, Ofts__OrderStatus) as plain ints.                      */
#ifndef BROKER_H
#define BROKER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BROKER_COID_LEN 64      //  client order id, NUL included
#define BROKER_ID_LEN 32        //  broker order / fill id
#define BROKER_SYM_LEN 16
#define BROKER_CONTRACT_LEN 32
#define BROKER_TEXT_LEN 160

//  One order, as both the broker and the order manager see it.
typedef struct {
    char client_order_id[BROKER_COID_LEN];
    char parent_id[BROKER_COID_LEN];    //  children: the entry's id; else ""
    char broker_order_id[BROKER_ID_LEN];
    char signal_id[BROKER_COID_LEN];
    char symbol[BROKER_SYM_LEN];
    char contract[BROKER_CONTRACT_LEN];
    int role;                           //  Ofts__OrderRole
    int side;                           //  Ofts__Side (BUY / SELL)
    int type;                           //  Ofts__OrderType
    int status;                         //  Ofts__OrderStatus
    uint32_t quantity;
    uint32_t filled_quantity;
    int64_t price;                      //  limit / stop price; market: reference
    int64_t stop;                       //  entry: requested protective stop
    int64_t take_profit;                //  entry: requested target
    int64_t avg_fill_price;
    char text[BROKER_TEXT_LEN];         //  reject reason / note
    int64_t created_ns;
    int64_t updated_ns;
} broker_order_t;

typedef struct {
    char fill_id[BROKER_ID_LEN];        //  unique per broker: the de-dup key
    char client_order_id[BROKER_COID_LEN];
    char broker_order_id[BROKER_ID_LEN];
    char symbol[BROKER_SYM_LEN];
    char contract[BROKER_CONTRACT_LEN];
    int role;
    int side;
    int64_t price;
    uint32_t quantity;
    int64_t fees_cents;
    int64_t ts_ns;
} broker_fill_t;

typedef struct {
    char symbol[BROKER_SYM_LEN];
    char contract[BROKER_CONTRACT_LEN];
    int32_t quantity;                   //  signed: > 0 long, < 0 short
    int64_t avg_price;
    int64_t realized_pnl_cents;         //  net of fees, since the broker started
                                        //  (ProjectX: not known, 0)
} broker_position_t;

//  Outcome of a mutation.
typedef enum {
    BROKER_OK = 0,                      //  accepted
    BROKER_REJECTED = -1,               //  definitive: nothing is working
    BROKER_AMBIGUOUS = 1                //  may or may not be working: reconcile
} broker_result_t;

typedef struct {
    void (*on_order)(void *arg, const broker_order_t *order);
    void (*on_fill)(void *arg, const broker_fill_t *fill);
    void (*on_position)(void *arg, const broker_position_t *position);
    void *arg;
} broker_events_t;

typedef struct {
    const char *name;                   //  "paper", "projectx"
    //  Place an entry (order->role ROLE_ENTRY) with its bracket (order->stop,
    //  order->take_profit, absolute prices; 0 = no bracket leg), or a lone
    //  order. Fills order->broker_order_id / status / text.
    broker_result_t (*place)(void *impl, broker_order_t *order, int64_t now_ns);
    broker_result_t (*cancel)(void *impl, const char *client_order_id, int64_t now_ns);
    //  Cancel every working order of symbol and close its position at market
    //  with an order named flatten_id (ROLE_FLATTEN).
    broker_result_t (*flatten)(void *impl, const char *symbol, const char *flatten_id,
                               int64_t now_ns);
    //  Give the broker a chance to deliver events (network pump, timers).
    void (*poll)(void *impl, int64_t now_ns);
    size_t (*positions)(void *impl, broker_position_t *out, size_t max);
    size_t (*open_orders)(void *impl, broker_order_t *out, size_t max);
    //  0 and the order's current state; -1 when the broker does not know it
    //  (definitive); -2 when it could not be asked (network: try later).
    int (*find_order)(void *impl, const char *client_order_id, broker_order_t *out);
    //  Calls may wait on the network: the manager holds no store
    //  transaction across them.
    bool remote;
} broker_ops_t;

//  Implementations embed this; the order manager holds a pointer to it.
typedef struct {
    const broker_ops_t *ops;
    void *impl;
    broker_events_t events;
} broker_t;

void broker_init(broker_t *self, const broker_ops_t *ops, void *impl);
void broker_set_events(broker_t *self, const broker_events_t *events);
const char *broker_name(broker_t *self);

broker_result_t broker_place(broker_t *self, broker_order_t *order, int64_t now_ns);
broker_result_t broker_cancel(broker_t *self, const char *client_order_id, int64_t now_ns);
broker_result_t broker_flatten(broker_t *self, const char *symbol, const char *flatten_id,
                               int64_t now_ns);
void broker_poll(broker_t *self, int64_t now_ns);
size_t broker_positions(broker_t *self, broker_position_t *out, size_t max);
size_t broker_open_orders(broker_t *self, broker_order_t *out, size_t max);
int broker_find_order(broker_t *self, const char *client_order_id, broker_order_t *out);

//  For implementations: deliver an event to whoever listens.
void broker_emit_order(broker_t *self, const broker_order_t *order);
void broker_emit_fill(broker_t *self, const broker_fill_t *fill);
void broker_emit_position(broker_t *self, const broker_position_t *position);

//  Client order ids ofts makes: risk's "ofts-<hash>" (risk_order.c) and
//  the manager's flattens "FL-<SYM>-<n>"; legs add "-SL" / "-TP". A broker
//  order carrying one belongs to ofts, whoever placed it: it is adopted.
#define BROKER_OFTS_TAG_PREFIX "ofts-"
#define BROKER_FLATTEN_PREFIX "FL-"
bool broker_ofts_tag(const char *client_order_id);

//  Helpers shared by implementations and the manager.
bool broker_status_terminal(int status);        //  filled, cancelled, rejected, expired
const char *broker_status_name(int status);     //  "working", "filled" ...
const char *broker_role_name(int role);         //  "entry", "stop", "target", "flatten"
const char *broker_side_name(int side);         //  "buy", "sell", "none"
//  Copy with truncation, always NUL-terminated.
void broker_strlcpy(char *dst, const char *src, size_t size);

#endif
