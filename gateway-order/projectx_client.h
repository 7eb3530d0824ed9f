/*  projectx_client - synchronous REST client for the ProjectX Gateway API
    (TopstepX), libcurl + jansson. The only code in ofts that talks to the
    broker's REST endpoints. Spec: ../shared/spec/topstepx.md; what we use
    and why: docs/topstepx.md.

    Shape: every call is synchronous and bounded (timeout_ms per HTTP
    request; reads retry at most read_retries times with backoff). One
    projectx_t per account (several accounts of one login: projectx_view, one
    session for all), each shared by at most two threads: the owner (the
    service thread: place, cancel, close, tag lookups) and one background
    thread that marks itself with projectx_set_background_thread() (the
    broker's poller). Each has its own HTTP handle; the token, the login and
    the request budget are shared.

    Request budget: one scheduler for everything this account sends (a
    smooth token bucket, rate_general per rate_general_window_ms; burst
    1/20 of it; projectx_budget.h). Background reads keep a reserve for the
    owner thread's requests and step aside while one waits, and stay off for
    a while after an HTTP 429, so a place never queues behind polling.
    Within a class, waiters get tokens in arrival order (no poller starves).

    Results (projectx_result_t):
      PROJECTX_OK        done; outputs filled.
      PROJECTX_REJECTED  the broker answered with a definitive business
                         error (HTTP 200 success:false, or HTTP 400): nothing
                         was done. error_code/text say why.
      PROJECTX_UNKNOWN   a mutation was (maybe) sent and the outcome is not
                         known: time-out after send, connection dropped,
                         5xx/429/401 after send, unreadable reply, or an
                         "ambiguous" business code (OrderPending /
                         UnknownError). NEVER resend blindly: reconcile
                         (projectx_find_order_by_tag, projectx_search_orders,
                         projectx_open_positions) first.
      PROJECTX_ERROR     failed and nothing reached the broker (connect
                         failure, local rate limit, bad arguments), or a read
                         failed after its retries. Safe to try again later.
      PROJECTX_NOT_FOUND a lookup found nothing.

    Placement idempotency: projectx_place() sends customTag = the caller's
    client order id. ProjectX requires customTag to be unique per account
    (spec §5.8), so the tag is the idempotency key: after an ambiguous reply
    projectx_place() itself queries Order/search for the tag (a safe read)
    and reports OK (result->resolved = true) when the order is there. It
    never sends the place again. Conversely, when a place is refused with
    code 2 and an order with the same tag is already on the books (a resend
    after UNKNOWN), the result is OK with that order's id: a reject must
    never hide a live order.

    Brackets: native ProjectX brackets (stopLossBracket / takeProfitBracket,
    spec §5) with the tick signs applied here from the side: callers pass
    positive distances. They need the account's "Auto OCO Brackets" setting;
    with "Position Brackets" the broker rejects (code 2) and
    result->bracket_mode_error is set: a configuration error for the
    operator, not a trading outcome. See docs/topstepx.md for why we do not
    build client-side OCO.

    Secrets: the API key and tokens are never logged; the log shows paths,
    HTTP status, error codes and texts only.                                 */
#ifndef PROJECTX_CLIENT_H
#define PROJECTX_CLIENT_H
#include "projectx_model.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _ofts_cfgsec_t ofts_cfgsec_t;

typedef enum {
    PROJECTX_OK = 0,
    PROJECTX_REJECTED = 1,
    PROJECTX_UNKNOWN = 2,
    PROJECTX_ERROR = 3,
    PROJECTX_NOT_FOUND = 4
} projectx_result_t;

const char *projectx_result_name(int result);

typedef struct {
    const char *base_url;           //  "https://api.topstepx.com" (no /api)
    const char *user_hub_url;       //  "https://rtc.topstepx.com/hubs/user" (for projectx_userhub)
    const char *username;           //  NULL: $TOPSTEPX_USERNAME
    const char *api_key;            //  NULL: $TOPSTEPX_API_KEY (never in config files)
    const char *account_name;       //  pick the account by exact name, or
    int64_t account_id;             //  by id (0 = unset); neither: the only tradable one
    bool live;                      //  Contract/search "live" flag: false for Combine/practice
    int timeout_ms;                 //  per HTTP request, whole exchange (default 5000)
    int connect_timeout_ms;         //  default 2000
    int read_retries;               //  extra attempts for reads and login (default 3)
    int backoff_initial_ms;         //  first retry wait, doubles (default 500)
    int backoff_max_ms;             //  cap for waits incl. Retry-After (default 10000)
    int rate_general;               //  local budget: at most this many in any window (default 180)
    int rate_general_window_ms;     //  (default 60000; ProjectX: 200 / 60 s)
    int rate_bars;                  //  History/retrieveBars budget (default 45)
    int rate_bars_window_ms;        //  (default 30000; ProjectX: 50 / 30 s)
    int token_refresh_margin_s;     //  validate this long before exp (default 1800)
    int lookback_s;                 //  how far back a tag search looks (default 86400)
    bool allow_insecure;            //  allow http:// to a non-loopback host (default false)
    //  Wall clock in ms, for token expiry only (tests inject one); NULL = real.
    int64_t (*clock_ms)(void *arg);
    void *clock_arg;
} projectx_config_t;

//  Fill every field with its documented default (strings NULL).
void projectx_config_defaults(projectx_config_t *cfg);
//  Read the `gateway_order.projectx` section's keys (see docs/topstepx.md)
//  over the defaults. Strings live as long as the config. 0, or -1 after
//  ofts_cfgsec_fail() on a bad value.
int projectx_config_read(projectx_config_t *cfg, ofts_cfgsec_t *section);

typedef struct _projectx_t projectx_t;

//  Copies the config (strings too) and reads the secrets from the
//  environment when not given. Never contacts the network. NULL when the
//  base URL is missing or not allowed, or credentials are absent (the log
//  says which, without the secret).
projectx_t *projectx_new(const projectx_config_t *cfg);
void projectx_destroy(projectx_t **self_p);

//  Auth/loginKey, then Account/search to pick the account. Retried like a
//  read. REJECTED with the LoginErrorCode on bad credentials.
int projectx_login(projectx_t *self);
//  Auth/loginKey only: a session for several accounts (no account picked;
//  projectx_accounts lists them, projectx_view serves each).
int projectx_login_session(projectx_t *self);
//  Several accounts under one login (ProjectX accounts are ids under the
//  user: spec §4): a projectx_t for account_id that shares login's session -
//  its token (one login, refreshed once for all), its request budget (the
//  200 a minute are the user's) and its counters - with its own HTTP
//  handles, so each view may have its own background thread. Every call
//  through the view names account_id. Destroy views and login in any
//  order: the session goes with the last one.
projectx_t *projectx_view(projectx_t *login, int64_t account_id);
//  Refresh the token if it is within token_refresh_margin_s of its JWT exp
//  (Auth/validate; on failure a fresh login). Every call does this itself;
//  exposed for the service's timer.
int projectx_keepalive(projectx_t *self);
//  Current token, for the user hub URL. NULL before login. Never log it.
//  Owner thread only; other threads use projectx_token_copy.
const char *projectx_token(projectx_t *self);
//  Copy the current token into buf; false (buf "") when none or too long.
bool projectx_token_copy(projectx_t *self, char *buf, size_t size);
//  The calling thread is the background poller: its requests come second.
void projectx_set_background_thread(projectx_t *self);
int64_t projectx_account_id(projectx_t *self);
//  Text of the last failure ("Order/place: HTTP 500", "errorCode 2: ...").
const char *projectx_last_error(projectx_t *self);

//  Account/search {onlyActiveAccounts:true}. Fills up to max, *count = how
//  many the broker returned (may exceed max).
int projectx_accounts(projectx_t *self, projectx_account_t *out, size_t max, size_t *count);

//  The active contract for an ofts root ("GC") or a ProjectX symbolId
//  ("F.US.GCE"): Contract/search (fuzzy) filtered to symbolId == wanted and
//  activeContract, else Contract/available filtered the same way.
//  NOT_FOUND when none matches.
int projectx_resolve_contract(projectx_t *self, const char *root, projectx_contract_t *out);

typedef struct {
    char contract_id[PROJECTX_CONTRACT_LEN];
    int side;                       //  PROJECTX_SIDE_BUY / _SELL
    int type;                       //  PROJECTX_TYPE_MARKET / LIMIT / STOP / JOIN_*
    int32_t size;
    int64_t limit_price;            //  1e-9, tick-aligned; LIMIT only (else UNDEF)
    int64_t stop_price;             //  1e-9; STOP only (else UNDEF)
    int32_t sl_ticks;               //  stop-loss distance in ticks (> 0), 0 = none
    int32_t tp_ticks;               //  take-profit distance in ticks (> 0), 0 = none
    char custom_tag[64];            //  the client order id; required, unique per account
} projectx_order_t;

typedef struct {
    int64_t order_id;               //  0 when unknown
    int error_code;                 //  PlaceOrderErrorCode when REJECTED/UNKNOWN by code
    int http_status;                //  last HTTP status seen (0: none)
    bool resolved;                  //  ambiguous reply resolved by Order/search on the tag
    bool bracket_mode_error;        //  "Brackets cannot be used with Position Brackets"
    char text[256];
} projectx_place_result_t;

//  Order/place. OK / REJECTED / UNKNOWN / ERROR (see top).
int projectx_place(projectx_t *self, const projectx_order_t *order,
                   projectx_place_result_t *result);

typedef struct {
    int error_code;
    int http_status;
    char text[256];
} projectx_status_t;

//  Order/cancel. REJECTED e.g. code 2 OrderNotFound, 3 (already filled).
int projectx_cancel(projectx_t *self, int64_t order_id, projectx_status_t *status);
//  Order/modify: size (0 = unchanged), absolute prices (UNDEF = unchanged).
int projectx_modify(projectx_t *self, int64_t order_id, int32_t size, int64_t limit_price,
                    int64_t stop_price, projectx_status_t *status);
//  Position/closeContract: close at market.
int projectx_close_contract(projectx_t *self, const char *contract_id, projectx_status_t *status);
//  Position/partialCloseContract: close size contracts at market. Note
//  (spec §3.9): bracket children are NOT rescaled; re-protect the rest.
int projectx_partial_close(projectx_t *self, const char *contract_id, int32_t size,
                           projectx_status_t *status);

//  Order/searchOpen (working orders; NOT Suspended bracket children, §3.5).
int projectx_open_orders(projectx_t *self, projectx_order_info_t *out, size_t max,
                         size_t *count);
//  Order/search over [start_ns, end_ns] (end 0 = now): every status.
int projectx_search_orders(projectx_t *self, int64_t start_ns, int64_t end_ns,
                           projectx_order_info_t *out, size_t max, size_t *count);
//  The same without a cap: *out is malloc'd to fit the reply (caller frees).
int projectx_search_orders_all(projectx_t *self, int64_t start_ns, int64_t end_ns,
                               projectx_order_info_t **out, size_t *count);
int projectx_trades_all(projectx_t *self, int64_t start_ns, int64_t end_ns, projectx_trade_t **out,
                        size_t *count);
//  The order whose customTag == tag, searched over the last lookback_s
//  (since_ns > 0 narrows it). OK / NOT_FOUND / ERROR.
int projectx_find_order_by_tag(projectx_t *self, const char *tag, int64_t since_ns,
                               projectx_order_info_t *out);
//  Position/searchOpen.
int projectx_open_positions(projectx_t *self, projectx_position_t *out, size_t max,
                            size_t *count);
//  Trade/search over [start_ns, end_ns] (end 0 = none).
int projectx_trades(projectx_t *self, int64_t start_ns, int64_t end_ns, projectx_trade_t *out,
                    size_t max, size_t *count);

//  Counters for the service's status line and tests.
typedef struct {
    uint64_t requests, retries, http_429, http_5xx, timeouts, ambiguous, resolved, logins,
        refreshes, local_throttle_waits,
        max_per_window;             //  most requests sent in any rate_general_window_ms
                                    //  (default 60 s; projectx clock)
} projectx_stats_t;
void projectx_stats(projectx_t *self, projectx_stats_t *out);

#endif
