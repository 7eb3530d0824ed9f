/*  projectx_model - the ProjectX Gateway (TopstepX) data shapes, and pure
    JSON <-> struct conversion for them. No I/O: the REST client
    (projectx_client) and the user-hub client (projectx_userhub) both use it,
    and tests feed it hand-written and LIVE-shaped payloads.

    Source for every field and enum: ../shared/spec/topstepx.md (§3, §4), as
    summarised in docs/topstepx.md. Rules that keep us safe against what the
    spec marks UNCONFIRMED or inconsistent:
      - every id is int64 (order and trade ids exceed 2^31, §3.0);
      - prices are parsed from JSON numbers (integral or not) to 1e-9 fixed
        point; a null or missing price is OFTS_UNDEF_PRICE;
      - timestamps accept any number of fractional digits and any offset;
      - unknown keys are ignored, missing optional keys take a default;
      - unknown enum codes are kept as numbers (callers treat them as
        "unknown: reconcile").                                               */
#ifndef PROJECTX_MODEL_H
#define PROJECTX_MODEL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  OrderSide (§4)
#define PROJECTX_SIDE_BUY 0
#define PROJECTX_SIDE_SELL 1
//  OrderType (§4)
#define PROJECTX_TYPE_LIMIT 1
#define PROJECTX_TYPE_MARKET 2
#define PROJECTX_TYPE_STOP_LIMIT 3
#define PROJECTX_TYPE_STOP 4
#define PROJECTX_TYPE_TRAILING_STOP 5
#define PROJECTX_TYPE_JOIN_BID 6
#define PROJECTX_TYPE_JOIN_ASK 7
//  OrderStatus (§4)
#define PROJECTX_STATUS_NONE 0
#define PROJECTX_STATUS_OPEN 1
#define PROJECTX_STATUS_FILLED 2
#define PROJECTX_STATUS_CANCELLED 3
#define PROJECTX_STATUS_EXPIRED 4
#define PROJECTX_STATUS_REJECTED 5
#define PROJECTX_STATUS_PENDING 6
#define PROJECTX_STATUS_PENDING_CANCEL 7
#define PROJECTX_STATUS_SUSPENDED 8
//  PositionType (§4)
#define PROJECTX_POSITION_LONG 1
#define PROJECTX_POSITION_SHORT 2

#define PROJECTX_CONTRACT_LEN 48
#define PROJECTX_SYMBOL_LEN 24
#define PROJECTX_TAG_LEN 96

typedef struct {
    int64_t id;
    char name[96];
    int64_t balance_cents;
    bool can_trade, is_visible, simulated;
} projectx_account_t;

typedef struct {
    char id[PROJECTX_CONTRACT_LEN];         //  "CON.F.US.GCE.Z26"
    char name[32];                          //  display only: never parse (§10.9)
    char description[96];
    char symbol_id[PROJECTX_SYMBOL_LEN];    //  "F.US.GCE"
    int64_t tick_size;                      //  1e-9 units
    int64_t tick_value_cents;
    bool active;
} projectx_contract_t;

typedef struct {
    int64_t id;
    int64_t account_id;
    char contract_id[PROJECTX_CONTRACT_LEN];
    char symbol_id[PROJECTX_SYMBOL_LEN];
    int64_t created_ns, updated_ns;         //  0 when null
    int status, type, side;
    int32_t size, fill_volume;
    int64_t limit_price, stop_price, filled_price;  //  OFTS_UNDEF_PRICE when null
    char custom_tag[PROJECTX_TAG_LEN];      //  "" when null
    int64_t parent_id, linked_id;           //  LIVE-only fields; 0 when absent
} projectx_order_info_t;

typedef struct {
    int64_t id;
    int64_t account_id;
    char contract_id[PROJECTX_CONTRACT_LEN];
    int64_t created_ns;
    int type;                               //  1 long, 2 short, 0 = closed (hub)
    int32_t size;                           //  always >= 0; direction is type
    int64_t avg_price;
} projectx_position_t;

typedef struct {
    int64_t id;
    int64_t order_id;
    int64_t account_id;
    char contract_id[PROJECTX_CONTRACT_LEN];
    int64_t created_ns;
    int64_t price;
    bool has_pnl;                           //  false: half-turn (opening) execution
    int64_t pnl_cents, fees_cents;
    int side;
    int32_t size;
    bool voided;
} projectx_trade_t;

//  ISO-8601 ("2026-08-19T20:51:31.4173693+00:00", "...Z", any fraction
//  length) -> ns since epoch; false on junk.
bool projectx_time_parse(const char *text, int64_t *ns);
//  ns -> "2026-08-19T20:51:31.417Z" (what requests send, §3.0).
void projectx_time_format(int64_t ns, char *buf, size_t size);
//  A JSON number (or numeric string) -> 1e-9 price; null/absent -> UNDEF.
int64_t projectx_price_from_json(const json_t *value);
//  1e-9 price -> JSON number with no binary noise (2350.1 not 2350.0999..).
json_t *projectx_price_to_json(int64_t price);
//  Money (decimal dollars) -> cents, rounded.
int64_t projectx_cents_from_json(const json_t *value);

//  Parse one entity; false when a required key (id) is missing.
bool projectx_account_parse(const json_t *json, projectx_account_t *out);
bool projectx_contract_parse(const json_t *json, projectx_contract_t *out);
bool projectx_order_parse(const json_t *json, projectx_order_info_t *out);
bool projectx_position_parse(const json_t *json, projectx_position_t *out);
bool projectx_trade_parse(const json_t *json, projectx_trade_t *out);

//  Terminal statuses 2,3,4,5; working 1,6,7,8 (§4).
bool projectx_status_terminal(int status);
bool projectx_status_working(int status);
const char *projectx_status_name(int status);

//  Bracket tick signs (§5.3): long SL < 0, TP > 0; short SL > 0, TP < 0.
//  distance is a positive number of ticks; returns the signed value.
int projectx_bracket_sl_ticks(int side, int distance);
int projectx_bracket_tp_ticks(int side, int distance);

//  Seconds-since-epoch `exp` claim of a JWT, or -1 when it has none.
//  Decodes only the payload segment; the token is never logged.
int64_t projectx_jwt_exp(const char *token);

//  The ProjectX pieces' clock (client limiter and token expiry, broker poll
//  timers, user-hub timers, the mock). Real time, unless the soak runs at
//  accelerated time: OFTS_PROJECTX_TIME_SCALE=K and
//  OFTS_PROJECTX_TIME_EPOCH_MS=T0 in every process make each one read
//  T0 + (real - T0) x K, so client and mock agree on "60 s" and on
//  timestamps. Sleeps last sim_ms / K real milliseconds.
int64_t projectx_time_now_ms(void);         //  wall clock (ms since epoch)
int64_t projectx_time_mono_ms(void);        //  monotonic
void projectx_time_sleep_ms(int64_t sim_ms);
double projectx_time_scale(void);           //  1 unless accelerated

#endif
