/*  ofts-mock-projectx - a local stand-in for the ProjectX Gateway REST API
    (TopstepX), faithful to ../../../shared/spec/topstepx.md §3-§6 and §11, so
    the client can be tested with no internet.

    Usage: ofts-mock-projectx [--port N] [--user U] [--key K]
                              [--token-lifetime SECONDS] [--rate-limit N]
                              [--rate-window-ms MS] [--no-retry-after]
                              [--position-brackets] [--price CONTRACT=PRICE]
                              [--hub-port N] [--hub-ping-ms MS]
                              [--hub-client-timeout-ms MS]
    Prints the chosen REST port as the first stdout line (port 0 =
    ephemeral) and the user-hub port as the second, then serves
    http://127.0.0.1:PORT/api/... and ws://127.0.0.1:HUBPORT/hubs/user
    (SignalR, mock_hub.c) until SIGTERM/SIGINT. Every change to an order,
    position, trade or account balance is pushed to hub subscribers.

    Admin endpoints (no auth; tests drive the mock through these):
      POST /mock/price   {"contractId":"CON.F.US.GCE.Z26","price":2350.1}
                         moves the price; stops/limits that are crossed fill,
                         bracket children activate, OCO cancels the sibling.
      POST /mock/fault   {"mode":"500|503|500_after|401|429|delay|malformed|drop|mismatch",
                          "count":1, "path":"/api/Order/place", "delay_ms":3000,
                          "slot":0}  (4 independent slots)
                         "_after"/delay/malformed/drop/mismatch modes PROCESS the
                         request first (the order exists) and then misbehave:
                         the "crash between place and acknowledgement" case.
      POST /mock/config  {"position_brackets":bool,"market_open":bool,
                          "token_lifetime_s":n,"rate_limit":n,"rate_window_ms":n,
                          "can_trade":bool,"retry_after":bool}
                         ("account_id":n with can_trade: that account only)
      POST /mock/expire_tokens   every token becomes invalid (-> 401)
      POST /mock/hub     {"action":"drop|close7|stall","wrap":bool}  user-hub faults
      GET  /mock/state   {"counters":{...},"orders":[all, incl. Suspended],
                          "positions":[...],"trades":[...],
                          "hub":{"open":n,"accepted":n,"subscribed":n,"refused":n}}
      POST /mock/seed_orders {"count":n,"age_s":s,"prefix":"x-"}  n filled
                         orders of the account's history (window tests)

    Everything is in one state struct behind one mutex; MHD runs a thread per
    connection so a delayed response does not block other requests.          */
#include "mock_hub.h"
#include "projectx_model.h"
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_TOKENS 256
#define MAX_CONTRACTS 96
#define MAX_BODY (1 << 20)

typedef struct {
    const char *id, *name, *description, *symbol_id;
    double tick_size, tick_value;
    bool active;
    double price;
} contract_t;

typedef struct {
    int64_t id;
    int32_t account_id;
    char contract_id[48];
    char symbol_id[24];
    int64_t created_ms, updated_ms;
    int status, type, side, size, fill_volume;
    double limit_price, stop_price, filled_price;   //  NAN = null
    bool has_limit, has_stop, has_fill;
    char custom_tag[96];
    bool has_tag;
    int64_t parent_id, linked_id;
    int sl_ticks, tp_ticks;                          //  on the entry; 0 = none
    bool has_sl, has_tp;
    int sl_type, tp_type;
    int trail_ticks;                                 //  on children: signed distance
    uint64_t pushed;                                 //  hash of the state last pushed to the hub
    bool settled;                                    //  terminal and pushed: skip in emit_changes
} order_t;

typedef struct {
    int64_t id;
    int32_t account_id;
    char contract_id[48];
    int64_t created_ms;
    double price, fees;
    double pnl;
    bool has_pnl;
    int side, size;
    int64_t order_id;
} trade_t;

typedef struct {
    int32_t id;
    int32_t account_id;
    char contract_id[48];
    int64_t created_ms;
    int qty;                //  signed: + long
    double avg;
    uint64_t pushed;
} position_t;

typedef struct {
    int32_t id;
    const char *name;
    double balance;
    bool can_trade;
    uint64_t pushed;
} account_t;

typedef struct {
    char token[320];
    int64_t exp_ms;
    bool valid;
} token_t;

typedef struct {
    pthread_mutex_t lock;
    char user[128], key[256];
    int token_lifetime_s;
    token_t tokens[MAX_TOKENS];
    int token_next;
    account_t accounts[2];
    contract_t contracts[MAX_CONTRACTS];
    int contract_count;
    char rolled_ids[8][48], rolled_names[8][16];  //  contracts /mock/roll added
    int rolled;
    order_t *orders;
    int order_count, order_cap;
    trade_t *trades;
    int trade_count, trade_cap;
    position_t positions[64];
    int position_count;
    int64_t next_order_id, next_trade_id;
    int32_t next_position_id;
    bool position_brackets, market_open, retry_after;
    int rate_limit, rate_window_ms;
    int64_t rate_window_start;
    int rate_count;
    //  fault injection: a few independent slots (e.g. drop the place AND
    //  fail the searches that try to resolve it)
    struct {
        char mode[16], path[96];
        int count, delay_ms;
    } faults[4];
    mock_hub_t *hub;        //  the user hub (SignalR), NULL if it failed to start
    int trades_pushed;
    //  counters
    int64_t n_requests, n_login, n_validate, n_place, n_cancel, n_modify, n_429, n_401, n_faults;
    unsigned rng;
} mock_t;

//  --------------------------------------------------------------------------
//  Small helpers

//  The projectx clock: real, or the soak's accelerated one (projectx_model.h).
static int64_t now_ms(void) { return projectx_time_now_ms(); }

//  ISO-8601 with 7 fractional digits, like the LIVE payloads.
static json_t *
ts_json(int64_t ms)
{
    time_t secs = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%04d+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (ms % 1000), 1234);
    return json_string(buf);
}

//  Parse "2026-08-19T20:49:25.39Z" / "+00:00" -> ms; -1 on junk.
static int64_t
ts_parse(const char *text)
{
    if (!text)
        return -1;
    struct tm tm = { 0 };
    int ms = 0, consumed = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
        return -1;
    const char *p = text + consumed;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        for (; digits < 3; digits++)
            ms *= 10;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t) timegm(&tm) * 1000 + ms;
}

static json_t *
price_json(double price, bool present)
{
    if (!present)
        return json_null();
    return json_real(round(price * 1e9) / 1e9);
}

static bool
tick_aligned(double price, double tick)
{
    double ticks = price / tick;
    return fabs(ticks - round(ticks)) < 1e-6;
}

static char *
base64url(const unsigned char *data, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(len * 4 / 3 + 4);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t) data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t) data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = alphabet[v & 63];
    }
    out[o] = 0;
    return out;
}

//  JWT-shaped token with an exp claim; random signature so each is unique.
static const char *
token_issue(mock_t *self)
{
    token_t *slot = &self->tokens[self->token_next++ % MAX_TOKENS];
    slot->exp_ms = now_ms() + (int64_t) self->token_lifetime_s * 1000;
    slot->valid = true;
    char payload[256];
    snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"exp\":%lld}", self->user,
             (long long) (slot->exp_ms / 1000));
    const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    unsigned char sig[24];
    for (size_t i = 0; i < sizeof sig; i++)
        sig[i] = (unsigned char) rand_r(&self->rng);
    char *h = base64url((const unsigned char *) header, strlen(header));
    char *p = base64url((const unsigned char *) payload, strlen(payload));
    char *s = base64url(sig, sizeof sig);
    snprintf(slot->token, sizeof slot->token, "%s.%s.%s", h, p, s);
    free(h);
    free(p);
    free(s);
    return slot->token;
}

static bool
token_ok(mock_t *self, const char *auth)
{
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *tok = auth + 7;
    int64_t now = now_ms();
    for (int i = 0; i < MAX_TOKENS; i++)
        if (self->tokens[i].valid && strcmp(self->tokens[i].token, tok) == 0)
            return self->tokens[i].exp_ms > now;
    return false;
}

static json_t *
envelope(int code, const char *message)
{
    return json_pack("{s:b,s:i,s:o}", "success", code == 0, "errorCode", code, "errorMessage",
                     message ? json_string(message) : json_null());
}

static account_t *
account_find(mock_t *self, json_int_t id)
{
    for (int i = 0; i < 2; i++)
        if (self->accounts[i].id == id)
            return &self->accounts[i];
    return NULL;
}

static contract_t *
contract_find(mock_t *self, const char *id)
{
    for (int i = 0; id && i < self->contract_count; i++)
        if (strcmp(self->contracts[i].id, id) == 0)
            return &self->contracts[i];
    return NULL;
}

static order_t *
order_find(mock_t *self, int64_t id)
{
    for (int i = 0; i < self->order_count; i++)
        if (self->orders[i].id == id)
            return &self->orders[i];
    return NULL;
}

static bool
status_working(int status)
{
    return status == 1 || status == 6 || status == 7 || status == 8;
}

//  --------------------------------------------------------------------------
//  Catalogue: LIVE 2026-08 ids and ticks (spec §4), fuzzy-search extras, and
//  the rest of a real catalogue's breadth (about 50 active contracts):
//  energy, FX, rates, grains and livestock with CME Globex's "(Globex)"
//  descriptions, the 2026 name format (NQU6, 6EZ6), ProjectX roots that
//  differ from CME's (CPE, TYA, GLE ...). Ticks and values are CME's.

static void
contracts_init(mock_t *self)
{
    static const contract_t table[] = {
        { "CON.F.US.GCE.Z26", "GCZ6", "Gold: December 2026", "F.US.GCE", 0.1, 10, true, 2350.0 },
        { "CON.F.US.GCE.G27", "GCG7", "Gold: February 2027", "F.US.GCE", 0.1, 10, false, 2360.0 },
        { "CON.F.US.MGC.Z26", "MGCZ6", "Micro Gold: December 2026", "F.US.MGC", 0.1, 1, true, 2350.0 },
        { "CON.F.US.SIE.U26", "SIU6", "Silver: September 2026", "F.US.SIE", 0.005, 25, true, 30.5 },
        { "CON.F.US.SIL.U26", "SILU6", "Micro Silver: September 2026", "F.US.SIL", 0.005, 5, true, 30.5 },
        { "CON.F.US.PLE.V26", "PLV6", "Platinum: October 2026", "F.US.PLE", 0.1, 5, true, 1000.0 },
        { "CON.F.US.CPE.U26", "HGU6", "Copper (Globex): September 2026", "F.US.CPE", 0.0005, 12.5, true, 4.5 },
        { "CON.F.US.MHG.U26", "MHGU6", "Micro Copper: September 2026", "F.US.MHG", 0.0005, 1.25, true, 4.5 },
        { "CON.F.US.ENQ.U26", "NQU6", "E-mini NASDAQ-100: September 2026", "F.US.ENQ", 0.25, 5, true, 20000.0 },
        { "CON.F.US.ENQ.Z26", "NQZ6", "E-mini NASDAQ-100: December 2026", "F.US.ENQ", 0.25, 5, false, 20100.0 },
        { "CON.F.US.MNQ.U26", "MNQU6", "Micro E-mini Nasdaq-100: September 2026", "F.US.MNQ", 0.25, 0.5, true, 20000.0 },
        { "CON.F.US.NQG.U26", "QGU6", "E-Mini Natural Gas: September 2026", "F.US.NQG", 0.005, 12.5, true, 3.0 },
        { "CON.F.US.NQM.U26", "QMU6", "E-Mini Crude Oil: September 2026", "F.US.NQM", 0.025, 12.5, true, 70.0 },
        { "CON.F.US.EP.U26", "ESU6", "E-Mini S&P 500: September 2026", "F.US.EP", 0.25, 12.5, true, 6000.0 },
        { "CON.F.US.MES.U26", "MESU6", "Micro E-mini S&P 500: September 2026", "F.US.MES", 0.25, 1.25, true, 6000.0 },
        { "CON.F.US.MCLE.V26", "MCLV6", "Micro WTI Crude Oil: October 2026", "F.US.MCLE", 0.01, 1, true, 70.0 },
        { "CON.F.US.CLE.V26", "CLV6", "Crude Light (Globex): October 2026", "F.US.CLE", 0.01, 10, true, 70.0 },
        { "CON.F.US.NGE.V26", "NGV6", "Natural Gas (Globex): October 2026", "F.US.NGE", 0.001, 10, true, 3.0 },
        { "CON.F.US.MNG.V26", "MNGV6", "Micro Henry Hub Natural Gas: October 2026", "F.US.MNG", 0.001, 1, true, 3.0 },
        { "CON.F.US.RBE.V26", "RBV6", "RBOB Gasoline (Globex): October 2026", "F.US.RBE", 0.0001, 4.2, true, 2.1 },
        { "CON.F.US.HOE.V26", "HOV6", "NY Harbor ULSD (Globex): October 2026", "F.US.HOE", 0.0001, 4.2, true, 2.4 },
        { "CON.F.US.BP6.Z26", "6BZ6", "British Pound (Globex): December 2026", "F.US.BP6", 0.0001, 6.25, true, 1.27 },
        { "CON.F.US.CA6.Z26", "6CZ6", "Canadian Dollar (Globex): December 2026", "F.US.CA6", 0.00005, 5, true, 0.73 },
        { "CON.F.US.DA6.Z26", "6AZ6", "Australian Dollar (Globex): December 2026", "F.US.DA6", 0.00005, 5, true, 0.66 },
        { "CON.F.US.EU6.Z26", "6EZ6", "Euro FX (Globex): December 2026", "F.US.EU6", 0.00005, 6.25, true, 1.09 },
        { "CON.F.US.JY6.Z26", "6JZ6", "Japanese Yen (Globex): December 2026", "F.US.JY6", 0.0000005, 6.25, true, 0.0068 },
        { "CON.F.US.SF6.Z26", "6SZ6", "Swiss Franc (Globex): December 2026", "F.US.SF6", 0.00005, 6.25, true, 1.13 },
        { "CON.F.US.MX6.Z26", "6MZ6", "Mexican Peso (Globex): December 2026", "F.US.MX6", 0.00001, 5, true, 0.055 },
        { "CON.F.US.NE6.Z26", "6NZ6", "New Zealand Dollar (Globex): December 2026", "F.US.NE6", 0.00005, 5, true, 0.6 },
        { "CON.F.US.M6E.Z26", "M6EZ6", "Micro Euro FX (Globex): December 2026", "F.US.M6E", 0.0001, 1.25, true, 1.09 },
        { "CON.F.US.M6A.Z26", "M6AZ6", "Micro AUD/USD (Globex): December 2026", "F.US.M6A", 0.0001, 1, true, 0.66 },
        { "CON.F.US.M6B.Z26", "M6BZ6", "Micro GBP/USD (Globex): December 2026", "F.US.M6B", 0.0001, 0.625, true, 1.27 },
        { "CON.F.US.TYA.Z26", "ZNZ6", "10-Year U.S. Treasury Note (Globex): December 2026", "F.US.TYA", 0.015625, 15.625, true, 110.0 },
        { "CON.F.US.FVA.Z26", "ZFZ6", "5-Year U.S. Treasury Note (Globex): December 2026", "F.US.FVA", 0.0078125, 7.8125, true, 107.0 },
        { "CON.F.US.TUA.Z26", "ZTZ6", "2-Year U.S. Treasury Note (Globex): December 2026", "F.US.TUA", 0.00390625, 7.8125, true, 103.0 },
        { "CON.F.US.USA.Z26", "ZBZ6", "30-Year U.S. Treasury Bond (Globex): December 2026", "F.US.USA", 0.03125, 31.25, true, 118.0 },
        { "CON.F.US.ULA.Z26", "UBZ6", "Ultra U.S. Treasury Bond (Globex): December 2026", "F.US.ULA", 0.03125, 31.25, true, 125.0 },
        { "CON.F.US.TNA.Z26", "TNZ6", "Ultra 10-Year U.S. Treasury Note (Globex): December 2026", "F.US.TNA", 0.015625, 15.625, true, 113.0 },
        { "CON.F.US.ZCE.Z26", "ZCZ6", "Corn (Globex): December 2026", "F.US.ZCE", 0.25, 12.5, true, 450.0 },
        { "CON.F.US.ZSE.X26", "ZSX6", "Soybeans (Globex): November 2026", "F.US.ZSE", 0.25, 12.5, true, 1050.0 },
        { "CON.F.US.ZME.Z26", "ZMZ6", "Soybean Meal (Globex): December 2026", "F.US.ZME", 0.1, 10, true, 310.0 },
        { "CON.F.US.ZLE.Z26", "ZLZ6", "Soybean Oil (Globex): December 2026", "F.US.ZLE", 0.01, 6, true, 45.0 },
        { "CON.F.US.ZWA.Z26", "ZWZ6", "Chicago SRW Wheat (Globex): December 2026", "F.US.ZWA", 0.25, 12.5, true, 560.0 },
        { "CON.F.US.GLE.Z26", "LEZ6", "Live Cattle (Globex): December 2026", "F.US.GLE", 0.025, 10, true, 185.0 },
        { "CON.F.US.HE.Z26", "HEZ6", "Lean Hogs (Globex): December 2026", "F.US.HE", 0.025, 10, true, 85.0 },
        { "CON.F.US.YM.U26", "YMU6", "E-mini Dow Jones Industrial Average: September 2026", "F.US.YM", 1, 5, true, 42000.0 },
        { "CON.F.US.MYM.U26", "MYMU6", "Micro E-mini Dow Jones Industrial Average: September 2026", "F.US.MYM", 1, 0.5, true, 42000.0 },
        { "CON.F.US.RTY.U26", "RTYU6", "E-mini Russell 2000: September 2026", "F.US.RTY", 0.1, 5, true, 2200.0 },
        { "CON.F.US.M2K.U26", "M2KU6", "Micro E-mini Russell 2000: September 2026", "F.US.M2K", 0.1, 0.5, true, 2200.0 },
        { "CON.F.US.NKD.U26", "NKDU6", "Nikkei 225 (Dollar): September 2026", "F.US.NKD", 5, 25, true, 39000.0 },
        { "CON.F.US.MBT.Z26", "MBTZ6", "Micro Bitcoin: December 2026", "F.US.MBT", 5, 0.5, true, 95000.0 },
        { "CON.F.US.MET.Z26", "METZ6", "Micro Ether: December 2026", "F.US.MET", 0.5, 0.05, true, 3500.0 },
    };
    self->contract_count = (int) (sizeof table / sizeof table[0]);
    memcpy(self->contracts, table, sizeof table);
}

//  /mock/roll: contract id (named name when new) becomes the active month of
//  its root; the month active before stays listed, inactive. A test whose
//  market data trades another month than the catalogue's (the simulator's
//  Z6 months) rolls the mock to it.
static json_t *
mock_roll(mock_t *self, const char *id, const char *name)
{
    const char *dot = id ? strrchr(id, '.') : NULL;
    if (!dot || strncmp(id, "CON.", 4) != 0)
        return envelope(1, "need contractId (CON.F.US.<root>.<month>)");
    size_t root_len = (size_t) (dot - id) - 4;          //  "F.US.SIE"
    contract_t *c = contract_find(self, id), *sibling = NULL;
    for (int i = 0; i < self->contract_count; i++) {
        contract_t *o = &self->contracts[i];
        if (o->active && strlen(o->symbol_id) == root_len && strncmp(o->symbol_id, id + 4, root_len) == 0)
            sibling = o;
    }
    if (!c) {
        if (!sibling || !name || self->rolled == 8 || self->contract_count == MAX_CONTRACTS)
            return envelope(1, "a new month needs a name and an active month of its root");
        char *new_id = self->rolled_ids[self->rolled], *new_name = self->rolled_names[self->rolled++];
        snprintf(new_id, sizeof self->rolled_ids[0], "%s", id);
        snprintf(new_name, sizeof self->rolled_names[0], "%s", name);
        c = &self->contracts[self->contract_count++];
        *c = *sibling;
        c->id = new_id;
        c->name = new_name;
    }
    for (int i = 0; i < self->contract_count; i++)
        if (strcmp(self->contracts[i].symbol_id, c->symbol_id) == 0)
            self->contracts[i].active = false;
    c->active = true;
    return envelope(0, NULL);
}

static json_t *
contract_json(const contract_t *c)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:b,s:s}", "id", c->id, "name", c->name, "description",
                     c->description, "tickSize", json_real(c->tick_size), "tickValue",
                     json_real(c->tick_value), "activeContract", c->active, "symbolId",
                     c->symbol_id);
}

//  --------------------------------------------------------------------------
//  Orders, fills, positions

static order_t *
order_new(mock_t *self)
{
    if (self->order_count == self->order_cap) {
        self->order_cap = self->order_cap ? self->order_cap * 2 : 64;
        self->orders = realloc(self->orders, sizeof(order_t) * (size_t) self->order_cap);
    }
    order_t *o = &self->orders[self->order_count++];
    memset(o, 0, sizeof *o);
    o->id = self->next_order_id++;
    o->created_ms = o->updated_ms = now_ms();
    return o;
}

static json_t *
order_json(const order_t *o)
{
    json_t *j = json_pack("{s:I,s:i,s:s,s:s,s:o,s:o,s:i,s:i,s:i,s:i,s:i,s:o,s:o,s:o,s:o}", "id",
                          (json_int_t) o->id, "accountId", o->account_id, "contractId",
                          o->contract_id, "symbolId", o->symbol_id, "creationTimestamp",
                          ts_json(o->created_ms), "updateTimestamp", ts_json(o->updated_ms),
                          "status", o->status, "type", o->type, "side", o->side, "size", o->size,
                          "fillVolume", o->fill_volume, "limitPrice",
                          price_json(o->limit_price, o->has_limit), "stopPrice",
                          price_json(o->stop_price, o->has_stop), "filledPrice",
                          price_json(o->filled_price, o->has_fill), "customTag",
                          o->has_tag ? json_string(o->custom_tag) : json_null());
    if (o->parent_id) {
        json_object_set_new(j, "parentOrderId", json_integer(o->parent_id));
        json_object_set_new(j, "trailDistance", json_integer(o->trail_ticks));
    }
    if (o->linked_id)
        json_object_set_new(j, "linkedOrderId", json_integer(o->linked_id));
    return j;
}

//  An order as the hub pushes it: like LIVE, keys whose value is null are
//  absent (no limitPrice on a market order, no filledPrice before a fill).
static json_t *
order_push_json(const order_t *o)
{
    json_t *j = order_json(o);
    const char *key;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(j, tmp, key, value)
        if (json_is_null(value))
            json_object_del(j, key);
    return j;
}

static position_t *
position_find(mock_t *self, int32_t account, const char *contract)
{
    for (int i = 0; i < self->position_count; i++)
        if (self->positions[i].account_id == account
            && strcmp(self->positions[i].contract_id, contract) == 0)
            return &self->positions[i];
    return NULL;
}

//  Apply a fill of signed qty at price to the position; returns realized P&L
//  in dollars (NAN when this fill only opened/added).
static json_t *position_json(const position_t *p, const contract_t *c);

static double
position_apply(mock_t *self, int32_t account, const contract_t *c, int qty, double price)
{
    position_t *p = position_find(self, account, c->id);
    if (!p) {
        if (self->position_count == 64)
            return NAN;
        p = &self->positions[self->position_count++];
        memset(p, 0, sizeof *p);
        p->id = self->next_position_id++;
        p->account_id = account;
        snprintf(p->contract_id, sizeof p->contract_id, "%s", c->id);
        p->created_ms = now_ms();
    }
    double pnl = NAN;
    double point_value = c->tick_value / c->tick_size;
    if (p->qty == 0 || (p->qty > 0) == (qty > 0)) {
        p->avg = (p->avg * abs(p->qty) + price * abs(qty)) / (abs(p->qty) + abs(qty));
        p->qty += qty;
    } else {
        int closing = abs(qty) < abs(p->qty) ? abs(qty) : abs(p->qty);
        pnl = (price - p->avg) * closing * (p->qty > 0 ? 1 : -1) * point_value;
        int rest = p->qty + qty;
        if (rest != 0 && (rest > 0) != (p->qty > 0))
            p->avg = price;
        p->qty = rest;
    }
    if (p->qty == 0) {
        //  The hub announces a close as type 0, size 0 (spec §7.1).
        //  Every PositionModel field is there, with type 0 and size 0.
        if (self->hub) {
            position_t closed = *p;
            json_t *j = position_json(&closed, c);
            json_object_set_new(j, "type", json_integer(0));
            json_object_set_new(j, "size", json_integer(0));
            mock_hub_publish(self->hub, p->account_id, "GatewayUserPosition", 2, j);
        }
        *p = self->positions[--self->position_count];
    }
    return pnl;
}

static void
trade_add(mock_t *self, const order_t *o, double price, double pnl)
{
    if (self->trade_count == self->trade_cap) {
        self->trade_cap = self->trade_cap ? self->trade_cap * 2 : 64;
        self->trades = realloc(self->trades, sizeof(trade_t) * (size_t) self->trade_cap);
    }
    trade_t *t = &self->trades[self->trade_count++];
    memset(t, 0, sizeof *t);
    t->id = self->next_trade_id++;
    t->account_id = o->account_id;
    snprintf(t->contract_id, sizeof t->contract_id, "%s", o->contract_id);
    t->created_ms = now_ms();
    t->price = price;
    t->fees = 1.4 * o->size;
    t->has_pnl = !isnan(pnl);
    t->pnl = t->has_pnl ? pnl : 0;
    t->side = o->side;
    t->size = o->size;
    t->order_id = o->id;
}

static void order_fill(mock_t *self, int64_t order_id, double price);

//  Entry filled: its Suspended children get absolute prices and go Open.
static void
children_activate(mock_t *self, const order_t *entry, const contract_t *c)
{
    for (int i = 0; i < self->order_count; i++) {
        order_t *child = &self->orders[i];
        if (child->parent_id != entry->id || child->status != 8)
            continue;
        double level = entry->filled_price + child->trail_ticks * c->tick_size;
        level = round(level / c->tick_size) * c->tick_size;
        if (child->type == 1) {
            child->limit_price = level;
            child->has_limit = true;
        } else {
            child->stop_price = level;
            child->has_stop = true;
        }
        child->status = 1;
        child->updated_ms = now_ms();
    }
}

//  A child filled: the server cancels the other one (OCO, spec §5.5).
static void
sibling_cancel(mock_t *self, const order_t *child)
{
    for (int i = 0; i < self->order_count; i++) {
        order_t *other = &self->orders[i];
        if (other->parent_id == child->parent_id && other->id != child->id
            && status_working(other->status)) {
            other->status = 3;
            other->updated_ms = now_ms();
        }
    }
}

static void
order_fill(mock_t *self, int64_t order_id, double price)
{
    order_t *o = order_find(self, order_id);
    contract_t *c = o ? contract_find(self, o->contract_id) : NULL;
    if (!o || !c)
        return;
    o->status = 2;
    o->fill_volume = o->size;
    o->filled_price = price;
    o->has_fill = true;
    o->updated_ms = now_ms();
    double pnl = position_apply(self, o->account_id, c, o->side == 0 ? o->size : -o->size, price);
    account_t *a = account_find(self, o->account_id);
    if (a && !isnan(pnl))
        a->balance += pnl;
    if (a)
        a->balance -= 1.4 * o->size;
    trade_add(self, o, price, pnl);
    int64_t id = o->id, parent = o->parent_id;
    if (parent) {
        sibling_cancel(self, o);
    } else {
        children_activate(self, o, c);
        (void) id;
    }
}

//  Would a working order fill at the contract's current price? Returns the
//  fill price or NAN.
static double
order_cross(const order_t *o, const contract_t *c)
{
    if (o->status != 1)
        return NAN;
    double px = c->price;
    switch (o->type) {
    case 2:
        return px;
    case 1:
        //  A resting limit fills at its own price (no price improvement).
        if (o->side == 0 && px <= o->limit_price + 1e-9)
            return o->limit_price;
        if (o->side == 1 && px >= o->limit_price - 1e-9)
            return o->limit_price;
        return NAN;
    case 4:
    case 5:
        if (o->side == 0 && px >= o->stop_price - 1e-9)
            return px;
        if (o->side == 1 && px <= o->stop_price + 1e-9)
            return px;
        return NAN;
    default:
        return NAN;
    }
}

//  Fill everything on this contract that the current price crosses, until
//  nothing changes (a fill may activate children that are already crossed).
static void
contract_match(mock_t *self, const contract_t *c)
{
    bool changed = true;
    while (changed) {
        changed = false;
        for (int i = 0; i < self->order_count; i++) {
            order_t *o = &self->orders[i];
            if (strcmp(o->contract_id, c->id) != 0)
                continue;
            double px = order_cross(o, c);
            if (!isnan(px)) {
                order_fill(self, o->id, px);
                changed = true;
                break;      //  orders may have been reallocated/changed: rescan
            }
        }
    }
}

//  --------------------------------------------------------------------------
//  Endpoints. Each takes the parsed body and returns the response JSON.

static json_t *
ep_login(mock_t *self, json_t *body)
{
    self->n_login++;
    const char *user = json_string_value(json_object_get(body, "userName"));
    const char *key = json_string_value(json_object_get(body, "apiKey"));
    if (!user || strcmp(user, self->user) != 0)
        return envelope(1, "User not found");
    if (!key || strcmp(key, self->key) != 0)
        return envelope(3, "Invalid credentials");
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "token", json_string(token_issue(self)));
    return reply;
}

static json_t *
ep_validate(mock_t *self)
{
    self->n_validate++;
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "newToken", json_string(token_issue(self)));
    return reply;
}

static json_t *
ep_account_search(mock_t *self, json_t *body)
{
    (void) body;
    json_t *list = json_array();
    for (int i = 0; i < 2; i++) {
        account_t *a = &self->accounts[i];
        json_array_append_new(list, json_pack("{s:i,s:s,s:o,s:b,s:b,s:b}", "id", a->id, "name",
                                              a->name, "balance",
                                              json_real(round(a->balance * 100) / 100),
                                              "canTrade", a->can_trade, "isVisible", 1,
                                              "simulated", 1));
    }
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "accounts", list);
    return reply;
}

static bool
contains_ci(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

static json_t *
ep_contract_search(mock_t *self, json_t *body, bool available)
{
    const char *text = json_string_value(json_object_get(body, "searchText"));
    json_t *list = json_array();
    for (int i = 0; i < self->contract_count; i++) {
        const contract_t *c = &self->contracts[i];
        if (!available && text && *text
            && !(contains_ci(c->symbol_id, text) || contains_ci(c->name, text)
                 || contains_ci(c->description, text)))
            continue;
        json_array_append_new(list, contract_json(c));
    }
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "contracts", list);
    return reply;
}

static json_t *
ep_contract_by_id(mock_t *self, json_t *body)
{
    const contract_t *c =
        contract_find(self, json_string_value(json_object_get(body, "contractId")));
    if (!c)
        return envelope(1, "Contract not found");
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "contract", contract_json(c));
    return reply;
}

static bool
tag_used(mock_t *self, int32_t account, const char *tag)
{
    for (int i = 0; i < self->order_count; i++)
        if (self->orders[i].account_id == account && self->orders[i].has_tag
            && strcmp(self->orders[i].custom_tag, tag) == 0)
            return true;
    return false;
}

static json_t *
place_reject(int code, const char *text, int64_t order_id)
{
    json_t *reply = envelope(code, text);
    if (order_id)
        json_object_set_new(reply, "orderId", json_integer(order_id));
    return reply;
}

//  Bracket sign rule (spec §5.3): long SL < 0, TP > 0; short SL > 0, TP < 0.
static const char *
bracket_sign_error(int side, json_t *sl, json_t *tp)
{
    if (sl) {
        json_int_t t = json_integer_value(json_object_get(sl, "ticks"));
        if (side == 0 && t >= 0)
            return "Ticks should be less than zero when longing";
        if (side == 1 && t <= 0)
            return "Ticks should be greater than zero when shorting";
    }
    if (tp) {
        json_int_t t = json_integer_value(json_object_get(tp, "ticks"));
        if (side == 0 && t <= 0)
            return "Ticks should be greater than zero when longing";
        if (side == 1 && t >= 0)
            return "Ticks should be less than zero when shorting";
    }
    return NULL;
}

static bool
price_field(json_t *body, const char *key, double *out)
{
    json_t *v = json_object_get(body, key);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

static order_t *
child_new(mock_t *self, const order_t *entry, json_t *bracket, const char *suffix)
{
    order_t *child = order_new(self);
    child->account_id = entry->account_id;
    snprintf(child->contract_id, sizeof child->contract_id, "%s", entry->contract_id);
    snprintf(child->symbol_id, sizeof child->symbol_id, "%s", entry->symbol_id);
    child->status = 8;
    child->type = (int) json_integer_value(json_object_get(bracket, "type"));
    child->side = entry->side == 0 ? 1 : 0;
    child->size = entry->size;
    child->parent_id = entry->id;
    child->trail_ticks = (int) json_integer_value(json_object_get(bracket, "ticks"));
    if (entry->has_tag) {
        snprintf(child->custom_tag, sizeof child->custom_tag, "%s%s", entry->custom_tag, suffix);
        child->has_tag = true;
    }
    return child;
}

static json_t *
ep_place(mock_t *self, json_t *body)
{
    self->n_place++;
    account_t *a = account_find(self, json_integer_value(json_object_get(body, "accountId")));
    if (!a)
        return place_reject(1, "Account not found", 0);
    if (!a->can_trade)
        return place_reject(4, "Account is not allowed to trade", 0);
    const contract_t *c =
        contract_find(self, json_string_value(json_object_get(body, "contractId")));
    if (!c)
        return place_reject(8, "Contract not found", 0);
    if (!c->active)
        return place_reject(9, "Contract is not active", 0);
    if (!self->market_open)
        return place_reject(5, "instrument is not in an active trading status", 0);
    int type = (int) json_integer_value(json_object_get(body, "type"));
    int side = (int) json_integer_value(json_object_get(body, "side"));
    int size = (int) json_integer_value(json_object_get(body, "size"));
    if (type < 1 || type > 7 || type == 3)
        return place_reject(2, "Invalid order type", 0);
    if (side != 0 && side != 1)
        return place_reject(2, "Invalid side", 0);
    if (size <= 0)
        return place_reject(2, "Invalid order size", 0);
    double limit = 0, stop = 0;
    bool has_limit = price_field(body, "limitPrice", &limit);
    bool has_stop = price_field(body, "stopPrice", &stop);
    if (type == 5)
        has_stop = price_field(body, "trailPrice", &stop);
    if ((type == 1 && !has_limit) || ((type == 4 || type == 5) && !has_stop))
        return place_reject(2, "Missing price", 0);
    if ((has_limit && !tick_aligned(limit, c->tick_size))
        || (has_stop && !tick_aligned(stop, c->tick_size)))
        return place_reject(2, "Price is not a multiple of the tick size", 0);
    const char *tag = json_string_value(json_object_get(body, "customTag"));
    if (tag && tag_used(self, a->id, tag))
        return place_reject(2, "Custom tag must be unique across the account", 0);
    json_t *sl = json_object_get(body, "stopLossBracket");
    json_t *tp = json_object_get(body, "takeProfitBracket");
    sl = json_is_object(sl) ? sl : NULL;
    tp = json_is_object(tp) ? tp : NULL;

    order_t *o = order_new(self);
    o->account_id = a->id;
    snprintf(o->contract_id, sizeof o->contract_id, "%s", c->id);
    snprintf(o->symbol_id, sizeof o->symbol_id, "%s", c->symbol_id);
    o->type = type;
    o->side = side;
    o->size = size;
    o->limit_price = limit;
    o->has_limit = has_limit && type != 2;
    o->stop_price = stop;
    o->has_stop = has_stop && type != 2;
    if (tag) {
        snprintf(o->custom_tag, sizeof o->custom_tag, "%s", tag);
        o->has_tag = true;
    }
    int64_t id = o->id;
    const char *bad = NULL;
    if ((sl || tp) && self->position_brackets)
        bad = "Brackets cannot be used with Position Brackets";
    else
        bad = bracket_sign_error(side, sl, tp);
    if (bad) {
        o->status = 5;      //  the rejected record exists and has an id (spec §5.1)
        return place_reject(2, bad, id);
    }
    o->status = 1;
    if (type == 6 || type == 7) {       //  join the best bid/ask: a resting limit
        o->type = 1;
        o->limit_price = c->price;
        o->has_limit = true;
    }
    order_t entry = *o;
    if (sl) {
        order_t *child = child_new(self, &entry, sl, "-SL");
        entry.linked_id = child->id;
    }
    if (tp) {
        order_t *child = child_new(self, &entry, tp, "-TP");
        if (sl)
            child->linked_id = entry.linked_id;
    }
    contract_match(self, c);
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "orderId", json_integer(id));
    return reply;
}

static order_t *
order_for(mock_t *self, json_t *body, int *code)
{
    if (!account_find(self, json_integer_value(json_object_get(body, "accountId")))) {
        *code = 1;
        return NULL;
    }
    order_t *o = order_find(self, json_integer_value(json_object_get(body, "orderId")));
    if (!o || o->account_id != json_integer_value(json_object_get(body, "accountId"))) {
        *code = 2;
        return NULL;
    }
    return o;
}

static json_t *
ep_cancel(mock_t *self, json_t *body)
{
    self->n_cancel++;
    int code = 0;
    order_t *o = order_for(self, body, &code);
    if (!o)
        return envelope(code, code == 1 ? "Account not found" : "Order not found");
    if (!status_working(o->status))
        return envelope(3, o->status == 2 ? "Cannot cancel order: already filled"
                                          : "Cannot cancel order: not working");
    o->status = 3;
    o->updated_ms = now_ms();
    int64_t id = o->id;
    for (int i = 0; i < self->order_count; i++)     //  an entry takes its waiting children
        if (self->orders[i].parent_id == id && self->orders[i].status == 8)
            self->orders[i].status = 3;
    return envelope(0, NULL);
}

static json_t *
ep_modify(mock_t *self, json_t *body)
{
    self->n_modify++;
    int code = 0;
    order_t *o = order_for(self, body, &code);
    if (!o)
        return envelope(code, code == 1 ? "Account not found" : "Order not found");
    if (o->status != 1)
        return envelope(3, "Order is not working");
    contract_t *c = contract_find(self, o->contract_id);
    double limit = 0, stop = 0;
    bool has_limit = price_field(body, "limitPrice", &limit);
    bool has_stop = price_field(body, "stopPrice", &stop);
    json_t *size = json_object_get(body, "size");
    if ((has_limit && !tick_aligned(limit, c->tick_size))
        || (has_stop && !tick_aligned(stop, c->tick_size)))
        return envelope(3, "Price is not a multiple of the tick size");
    if (json_is_integer(size) && json_integer_value(size) <= 0)
        return envelope(3, "Invalid order size");
    if (has_limit && o->type == 1)
        o->limit_price = limit;
    if (has_stop && (o->type == 4 || o->type == 5))
        o->stop_price = stop;
    if (json_is_integer(size))
        o->size = (int) json_integer_value(size);
    o->updated_ms = now_ms();
    contract_match(self, c);
    return envelope(0, NULL);
}

static json_t *
ep_order_search(mock_t *self, json_t *body, bool open_only)
{
    json_int_t account = json_integer_value(json_object_get(body, "accountId"));
    if (!account_find(self, account))
        return envelope(1, "Account not found");
    int64_t start = 0, end = INT64_MAX;
    if (!open_only) {
        start = ts_parse(json_string_value(json_object_get(body, "startTimestamp")));
        if (start < 0)
            return NULL;    //  400: required field
        const char *e = json_string_value(json_object_get(body, "endTimestamp"));
        if (e)
            end = ts_parse(e);
    }
    json_t *list = json_array();
    for (int i = 0; i < self->order_count; i++) {
        const order_t *o = &self->orders[i];
        if (o->account_id != account || o->status == 8)     //  Suspended is invisible (§3.5)
            continue;
        if (open_only && !(o->status == 1 || o->status == 6))
            continue;
        if (o->created_ms < start || o->created_ms > end)
            continue;
        json_array_append_new(list, order_json(o));
    }
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "orders", list);
    return reply;
}

static json_t *
position_json(const position_t *p, const contract_t *c)
{
    return json_pack("{s:i,s:i,s:s,s:s,s:o,s:i,s:i,s:o}", "id", p->id, "accountId",
                     p->account_id, "contractId", p->contract_id, "contractDisplayName",
                     c ? c->name : "", "creationTimestamp", ts_json(p->created_ms), "type",
                     p->qty > 0 ? 1 : 2, "size", abs(p->qty), "averagePrice",
                     json_real(round(p->avg * 1e9) / 1e9));
}

static json_t *
ep_position_search(mock_t *self, json_t *body)
{
    json_int_t account = json_integer_value(json_object_get(body, "accountId"));
    if (!account_find(self, account))
        return envelope(1, "Account not found");
    json_t *list = json_array();
    for (int i = 0; i < self->position_count; i++)
        if (self->positions[i].account_id == account)
            json_array_append_new(list, position_json(&self->positions[i],
                                                      contract_find(self,
                                                                    self->positions[i].contract_id)));
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "positions", list);
    return reply;
}

//  size 0 = close all (closeContract); else partialCloseContract, whose
//  codes are shifted by one (InvalidCloseSize = 5, spec §3.9).
static json_t *
close_position(mock_t *self, json_t *body, bool partial)
{
    account_t *a = account_find(self, json_integer_value(json_object_get(body, "accountId")));
    if (!a)
        return envelope(1, "Account not found");
    contract_t *c = contract_find(self, json_string_value(json_object_get(body, "contractId")));
    if (!c)
        return envelope(3, "Contract not found");
    position_t *p = position_find(self, a->id, c->id);
    if (!p)
        return envelope(2, "Position not found");
    int size = abs(p->qty);
    if (partial) {
        json_t *v = json_object_get(body, "size");
        size = json_is_integer(v) ? (int) json_integer_value(v) : 0;
        if (size <= 0 || size > abs(p->qty))
            return envelope(5, "Invalid close size");
    }
    if (!self->market_open)
        return envelope(partial ? 6 : 5, "instrument is not in an active trading status");
    int side = p->qty > 0 ? 1 : 0;
    order_t *o = order_new(self);
    o->account_id = a->id;
    snprintf(o->contract_id, sizeof o->contract_id, "%s", c->id);
    snprintf(o->symbol_id, sizeof o->symbol_id, "%s", c->symbol_id);
    o->type = 2;
    o->side = side;
    o->size = size;
    o->status = 1;
    contract_match(self, c);
    return envelope(0, NULL);
}

static json_t *
trade_json(const trade_t *t)
{
    return json_pack("{s:I,s:i,s:s,s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:b,s:I}", "id",
                     (json_int_t) t->id, "accountId", t->account_id, "contractId", t->contract_id,
                     "creationTimestamp", ts_json(t->created_ms), "price", price_json(t->price, 1),
                     "profitAndLoss", t->has_pnl ? json_real(round(t->pnl * 100) / 100) : json_null(),
                     "fees", json_real(t->fees), "commissions", json_real(0), "side", t->side,
                     "size", t->size, "voided", 0, "orderId", (json_int_t) t->order_id);
}

static json_t *
ep_trade_search(mock_t *self, json_t *body)
{
    json_int_t account = json_integer_value(json_object_get(body, "accountId"));
    if (!account_find(self, account))
        return envelope(1, "Account not found");
    int64_t start = ts_parse(json_string_value(json_object_get(body, "startTimestamp")));
    const char *e = json_string_value(json_object_get(body, "endTimestamp"));
    int64_t end = e ? ts_parse(e) : INT64_MAX;
    json_t *list = json_array();
    for (int i = 0; i < self->trade_count; i++) {
        const trade_t *t = &self->trades[i];
        if (t->account_id == account && t->created_ms >= start && t->created_ms <= end)
            json_array_append_new(list, trade_json(t));
    }
    json_t *reply = envelope(0, NULL);
    json_object_set_new(reply, "trades", list);
    return reply;
}

//  --------------------------------------------------------------------------
//  User-hub pushes: after every request, whatever changed is published.

static uint64_t
json_hash(json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = text; p && *p; p++)
        h = (h ^ (unsigned char) *p) * 1099511628211ULL;
    free(text);
    return h | 1;       //  never 0: 0 means "never pushed"
}

static void
push_if_changed(mock_t *self, uint64_t *pushed, int64_t account, const char *target, json_t *json)
{
    uint64_t h = json_hash(json);
    if (h == *pushed) {
        json_decref(json);
        return;
    }
    //  LIVE: 1 for every order/position/account push, the first one of an
    //  order included (0 is a new trade, 2 a position closed).
    int action = 1;
    *pushed = h;
    mock_hub_publish(self->hub, account, target, action, json);
}

static void
emit_changes(mock_t *self)
{
    if (!self->hub)
        return;
    for (int i = 0; i < self->order_count; i++) {
        order_t *o = &self->orders[i];
        if (o->settled)
            continue;       //  final and pushed: it never changes again
        push_if_changed(self, &o->pushed, o->account_id, "GatewayUserOrder", order_push_json(o));
        o->settled = o->status >= 2 && o->status <= 5;
    }
    for (int i = 0; i < self->position_count; i++)
        push_if_changed(self, &self->positions[i].pushed, self->positions[i].account_id,
                        "GatewayUserPosition",
                        position_json(&self->positions[i],
                                      contract_find(self, self->positions[i].contract_id)));
    for (; self->trades_pushed < self->trade_count; self->trades_pushed++) {
        const trade_t *t = &self->trades[self->trades_pushed];
        mock_hub_publish(self->hub, t->account_id, "GatewayUserTrade", 0, trade_json(t));
    }
    for (int i = 0; i < 2; i++) {
        account_t *a = &self->accounts[i];
        push_if_changed(self, &a->pushed, a->id, "GatewayUserAccount",
                        json_pack("{s:i,s:s,s:f,s:b,s:b,s:b}", "id", a->id, "name", a->name,
                                  "balance", round(a->balance * 100) / 100, "canTrade",
                                  a->can_trade, "isVisible", 1, "simulated", 1));
    }
}

//  --------------------------------------------------------------------------
//  Admin

static json_t *
admin_state(mock_t *self)
{
    json_t *orders = json_array(), *trades = json_array(), *positions = json_array();
    for (int i = 0; i < self->order_count; i++)
        json_array_append_new(orders, order_json(&self->orders[i]));
    for (int i = 0; i < self->trade_count; i++)
        json_array_append_new(trades, trade_json(&self->trades[i]));
    for (int i = 0; i < self->position_count; i++)
        json_array_append_new(positions, position_json(&self->positions[i], NULL));
    json_t *counters = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "requests", (json_int_t) self->n_requests,
        "login", (json_int_t) self->n_login, "validate", (json_int_t) self->n_validate, "place",
        (json_int_t) self->n_place, "cancel", (json_int_t) self->n_cancel, "modify",
        (json_int_t) self->n_modify, "rate_limited", (json_int_t) self->n_429, "unauthorized",
        (json_int_t) self->n_401, "faults", (json_int_t) self->n_faults);
    int open = 0, accepted = 0, subscribed = 0;
    if (self->hub)
        mock_hub_counts(self->hub, &open, &accepted, &subscribed);
    json_t *hub = json_pack("{s:i,s:i,s:i,s:i}", "open", open, "accepted", accepted,
                            "subscribed", subscribed, "refused",
                            self->hub ? mock_hub_refused(self->hub) : 0);
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "counters", counters, "orders", orders, "trades",
                     trades, "positions", positions, "hub", hub);
}

static json_t *
admin(mock_t *self, const char *url, json_t *body)
{
    if (strcmp(url, "/mock/state") == 0)
        return admin_state(self);
    if (strcmp(url, "/mock/expire_tokens") == 0) {
        for (int i = 0; i < MAX_TOKENS; i++)
            self->tokens[i].valid = false;
        return envelope(0, NULL);
    }
    if (strcmp(url, "/mock/hub") == 0) {
        if (!self->hub)
            return envelope(1, "no hub");
        json_t *wrap = json_object_get(body, "wrap");
        if (json_is_boolean(wrap))
            mock_hub_set_wrap(self->hub, json_is_true(wrap));
        const char *action = json_string_value(json_object_get(body, "action"));
        json_t *reply = envelope(0, NULL);
        if (action)
            json_object_set_new(reply, "applied",
                                json_integer(mock_hub_admin(self->hub, action)));
        return reply;
    }
    if (strcmp(url, "/mock/seed_orders") == 0) {
        //  History for window tests: count filled market orders of someone
        //  else (tags prefix0, prefix1 ...), created age_s seconds ago.
        json_int_t count = json_integer_value(json_object_get(body, "count"));
        json_int_t age = json_integer_value(json_object_get(body, "age_s"));
        const char *prefix = json_string_value(json_object_get(body, "prefix"));
        if (count <= 0 || count > 100000 || !prefix)
            return envelope(1, "need count (1..100000), age_s, prefix");
        for (json_int_t i = 0; i < count; i++) {
            order_t *o = order_new(self);
            o->account_id = self->accounts[0].id;
            snprintf(o->contract_id, sizeof o->contract_id, "%s", self->contracts[0].id);
            snprintf(o->symbol_id, sizeof o->symbol_id, "%s", self->contracts[0].symbol_id);
            o->created_ms = o->updated_ms = now_ms() - age * 1000;
            o->status = 2;
            o->type = 2;
            o->size = o->fill_volume = 1;
            o->filled_price = self->contracts[0].price;
            o->has_fill = true;
            snprintf(o->custom_tag, sizeof o->custom_tag, "%s%lld", prefix, (long long) i);
            o->has_tag = true;
            o->settled = true;  //  history: never pushed to the hub
        }
        return envelope(0, NULL);
    }
    if (strcmp(url, "/mock/roll") == 0)
        return mock_roll(self, json_string_value(json_object_get(body, "contractId")),
                         json_string_value(json_object_get(body, "name")));
    if (strcmp(url, "/mock/price") == 0) {
        contract_t *c = contract_find(self, json_string_value(json_object_get(body, "contractId")));
        if (!c || !json_is_number(json_object_get(body, "price")))
            return envelope(1, "need contractId and price");
        c->price = json_number_value(json_object_get(body, "price"));
        contract_match(self, c);
        return envelope(0, NULL);
    }
    if (strcmp(url, "/mock/fault") == 0) {
        const char *mode = json_string_value(json_object_get(body, "mode"));
        const char *path = json_string_value(json_object_get(body, "path"));
        json_int_t slot = json_integer_value(json_object_get(body, "slot"));
        if (slot < 0 || slot > 3)
            return envelope(1, "slot 0..3");
        snprintf(self->faults[slot].mode, sizeof self->faults[slot].mode, "%s", mode ? mode : "");
        snprintf(self->faults[slot].path, sizeof self->faults[slot].path, "%s", path ? path : "");
        json_t *count = json_object_get(body, "count");
        self->faults[slot].count = json_is_integer(count) ? (int) json_integer_value(count) : 1;
        json_t *delay = json_object_get(body, "delay_ms");
        self->faults[slot].delay_ms = json_is_integer(delay) ? (int) json_integer_value(delay) : 3000;
        return envelope(0, NULL);
    }
    if (strcmp(url, "/mock/config") == 0) {
        json_t *v;
        if ((v = json_object_get(body, "position_brackets")))
            self->position_brackets = json_is_true(v);
        if ((v = json_object_get(body, "market_open")))
            self->market_open = json_is_true(v);
        if ((v = json_object_get(body, "retry_after")))
            self->retry_after = json_is_true(v);
        //  With "account_id": that account only (several accounts of one login).
        json_int_t only = json_integer_value(json_object_get(body, "account_id"));
        if ((v = json_object_get(body, "can_trade")))
            for (int i = 0; i < 2; i++)
                if (!only || self->accounts[i].id == only)
                    self->accounts[i].can_trade = json_is_true(v);
        if ((v = json_object_get(body, "token_lifetime_s")))
            self->token_lifetime_s = (int) json_integer_value(v);
        if ((v = json_object_get(body, "rate_limit")))
            self->rate_limit = (int) json_integer_value(v);
        if ((v = json_object_get(body, "rate_window_ms")))
            self->rate_window_ms = (int) json_integer_value(v);
        return envelope(0, NULL);
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  HTTP plumbing

typedef struct {
    char *data;
    size_t len;
    bool too_big;
} body_t;

static enum MHD_Result
send_text(struct MHD_Connection *conn, unsigned status, const char *text, const char *type,
          int retry_after)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *) text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", type);
    if (retry_after > 0) {
        char buf[16];
        snprintf(buf, sizeof buf, "%d", retry_after);
        MHD_add_response_header(resp, "Retry-After", buf);
    }
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result
send_json(struct MHD_Connection *conn, unsigned status, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(json);
    enum MHD_Result ret = send_text(conn, status, text ? text : "{}", "application/json", 0);
    free(text);
    return ret;
}

//  Route an /api/ request (lock held). Returns NULL for "400 bad request".
static json_t *
route(mock_t *self, const char *url, json_t *body)
{
    if (strcmp(url, "/api/Auth/validate") == 0)
        return ep_validate(self);
    if (strcmp(url, "/api/Account/search") == 0)
        return ep_account_search(self, body);
    if (strcmp(url, "/api/Contract/search") == 0)
        return ep_contract_search(self, body, false);
    if (strcmp(url, "/api/Contract/available") == 0)
        return ep_contract_search(self, body, true);
    if (strcmp(url, "/api/Contract/searchById") == 0)
        return ep_contract_by_id(self, body);
    if (strcmp(url, "/api/Order/place") == 0)
        return ep_place(self, body);
    if (strcmp(url, "/api/Order/cancel") == 0)
        return ep_cancel(self, body);
    if (strcmp(url, "/api/Order/modify") == 0)
        return ep_modify(self, body);
    if (strcmp(url, "/api/Order/search") == 0)
        return ep_order_search(self, body, false);
    if (strcmp(url, "/api/Order/searchOpen") == 0)
        return ep_order_search(self, body, true);
    if (strcmp(url, "/api/Position/searchOpen") == 0)
        return ep_position_search(self, body);
    if (strcmp(url, "/api/Position/closeContract") == 0)
        return close_position(self, body, false);
    if (strcmp(url, "/api/Position/partialCloseContract") == 0)
        return close_position(self, body, true);
    if (strcmp(url, "/api/Trade/search") == 0)
        return ep_trade_search(self, body);
    if (strcmp(url, "/api/Auth/logout") == 0)
        return envelope(0, NULL);
    return NULL;
}

//  Rate limiter over authenticated requests: fixed window (spec §6: window
//  type UNCONFIRMED; a fixed window is the harsher case for a client).
static bool
rate_exceeded(mock_t *self)
{
    if (self->rate_limit <= 0)
        return false;
    int64_t now = now_ms();
    if (now - self->rate_window_start >= self->rate_window_ms) {
        self->rate_window_start = now;
        self->rate_count = 0;
    }
    return ++self->rate_count > self->rate_limit;
}

//  Take the pending fault if it applies to this path; copies the mode.
static bool
fault_take(mock_t *self, const char *url, char *mode, size_t size, int *delay_ms)
{
    for (int i = 0; i < 4; i++) {
        if (self->faults[i].count <= 0 || !self->faults[i].mode[0])
            continue;
        if (self->faults[i].path[0] && strcmp(self->faults[i].path, url) != 0)
            continue;
        self->faults[i].count--;
        self->n_faults++;
        snprintf(mode, size, "%s", self->faults[i].mode);
        *delay_ms = self->faults[i].delay_ms;
        return true;
    }
    return false;
}

static enum MHD_Result
handle_api(mock_t *self, struct MHD_Connection *conn, const char *url, body_t *raw)
{
    if (strcmp(url, "/api/Status/ping") == 0)
        return send_text(conn, 200, "pong", "text/plain", 0);
    json_error_t jerr;
    json_t *body = raw->len ? json_loadb(raw->data, raw->len, 0, &jerr) : json_object();
    if (!body || raw->too_big) {
        json_decref(body);
        return send_json(conn, 400,
                         json_pack("{s:s,s:i}", "title",
                                   "One or more validation errors occurred.", "status", 400));
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    char mode[16] = "";
    int delay_ms = 0;
    pthread_mutex_lock(&self->lock);
    self->n_requests++;
    bool faulty = fault_take(self, url, mode, sizeof mode, &delay_ms);
    json_t *reply = NULL;
    unsigned status = 200;
    int retry_after = 0;
    if (faulty && (!strcmp(mode, "500") || !strcmp(mode, "503") || !strcmp(mode, "401")
                   || !strcmp(mode, "429"))) {
        status = (unsigned) atoi(mode);
        retry_after = status == 429 && self->retry_after ? 1 : 0;
    } else if (strcmp(url, "/api/Auth/loginKey") == 0) {
        reply = ep_login(self, body);
    } else if (!token_ok(self, auth)) {
        status = 401;
        self->n_401++;
    } else if (rate_exceeded(self)) {
        status = 429;
        self->n_429++;
        retry_after = self->retry_after ? 1 : 0;
    } else {
        reply = route(self, url, body);
        emit_changes(self);
        if (!reply)
            status = strncmp(url, "/api/", 5) == 0 && strstr(url, "Order/search") ? 400 : 404;
    }
    pthread_mutex_unlock(&self->lock);
    json_decref(body);

    if (faulty && !strcmp(mode, "drop")) {
        json_decref(reply);
        return MHD_NO;      //  processed, then the connection dies: no response at all
    }
    if (faulty && !strcmp(mode, "delay"))
        usleep((useconds_t) delay_ms * 1000);
    if (faulty && !strcmp(mode, "malformed")) {
        json_decref(reply);
        return send_text(conn, 200, "{\"orderId\": 12, \"succ", "application/json", 0);
    }
    if (faulty && !strcmp(mode, "500_after")) {
        json_decref(reply);
        return send_text(conn, 500, "{\"title\":\"Internal Server Error\"}", "application/json", 0);
    }
    if (faulty && !strcmp(mode, "mismatch") && reply)
        json_object_set_new(reply, "errorCode", json_integer(7));
    if (reply)
        return send_json(conn, status, reply);
    if (status == 401)
        return send_text(conn, 401, "", "text/plain", 0);
    if (status == 429)
        return send_text(conn, 429, "{\"title\":\"Too Many Requests\"}", "application/json",
                         retry_after);
    if (status == 400)
        return send_json(conn, 400, json_pack("{s:s,s:i}", "title",
                                               "One or more validation errors occurred.",
                                               "status", 400));
    if (status >= 500)
        return send_text(conn, status, "{\"title\":\"Server Error\"}", "application/json", 0);
    return send_text(conn, 404, "", "text/plain", 0);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void) version;
    mock_t *self = cls;
    body_t *raw = *con_cls;
    if (!raw) {
        *con_cls = raw = calloc(1, sizeof *raw);
        return MHD_YES;
    }
    if (*upload_size) {
        if (raw->len + *upload_size > MAX_BODY)
            raw->too_big = true;
        else {
            raw->data = realloc(raw->data, raw->len + *upload_size + 1);
            memcpy(raw->data + raw->len, upload, *upload_size);
            raw->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strncmp(url, "/mock/", 6) == 0) {
        json_error_t jerr;
        json_t *body = raw->len ? json_loadb(raw->data, raw->len, 0, &jerr) : json_object();
        if (!body)
            return send_text(conn, 400, "bad json", "text/plain", 0);
        pthread_mutex_lock(&self->lock);
        json_t *reply = admin(self, url, body);
        emit_changes(self);
        pthread_mutex_unlock(&self->lock);
        json_decref(body);
        if (!reply)
            return send_text(conn, 404, "", "text/plain", 0);
        return send_json(conn, 200, reply);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        return send_text(conn, 405, "", "text/plain", 0);
    return handle_api(self, conn, url, raw);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode code)
{
    (void) cls;
    (void) conn;
    (void) code;
    body_t *raw = *con_cls;
    if (raw) {
        free(raw->data);
        free(raw);
        *con_cls = NULL;
    }
}

static bool
hub_token_ok(void *arg, const char *token)
{
    mock_t *self = arg;
    char auth[400];
    snprintf(auth, sizeof auth, "Bearer %s", token);
    pthread_mutex_lock(&self->lock);
    bool ok = token_ok(self, auth);
    pthread_mutex_unlock(&self->lock);
    return ok;
}

static void
usage_to(FILE *out)
{
    fprintf(out,
            "usage: ofts-mock-projectx [--port N] [--user U] [--key K] [--token-lifetime S]\n"
            "       [--rate-limit N] [--rate-window-ms MS] [--no-retry-after]\n"
            "       [--position-brackets] [--price CONTRACT=PRICE]\n"
            "       [--hub-port N] [--hub-ping-ms MS] [--hub-client-timeout-ms MS] [--help]\n");
}

static void
usage(void)
{
    usage_to(stderr);
}

int
main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage_to(stdout);
            return 0;
        }
    mock_t *self = calloc(1, sizeof *self);
    pthread_mutex_init(&self->lock, NULL);
    snprintf(self->user, sizeof self->user, "ofts-user");
    snprintf(self->key, sizeof self->key, "ofts-test-key");
    self->token_lifetime_s = 24 * 3600;
    self->rate_limit = 200;
    self->rate_window_ms = 60000;
    self->retry_after = true;
    self->market_open = true;
    self->next_order_id = 3408995735LL;     //  above 2^31 like LIVE ids
    self->next_trade_id = 3005729833LL;
    self->next_position_id = 825245547;
    self->rng = (unsigned) getpid() ^ (unsigned) now_ms();
    self->accounts[0] = (account_t) { 26282486, "PRAC-V2-645601-47191819", 150000.0, true, 0 };
    self->accounts[1] = (account_t) { 25775680, "50KTC-V2-DLL-645601-97590973", 50000.0, true, 0 };
    contracts_init(self);
    int port = 0, hub_port = 0, hub_ping_ms = 15000, hub_client_timeout_ms = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--port") && val)
            port = atoi(argv[++i]);
        else if (!strcmp(arg, "--user") && val)
            snprintf(self->user, sizeof self->user, "%s", argv[++i]);
        else if (!strcmp(arg, "--key") && val)
            snprintf(self->key, sizeof self->key, "%s", argv[++i]);
        else if (!strcmp(arg, "--token-lifetime") && val)
            self->token_lifetime_s = atoi(argv[++i]);
        else if (!strcmp(arg, "--rate-limit") && val)
            self->rate_limit = atoi(argv[++i]);
        else if (!strcmp(arg, "--rate-window-ms") && val)
            self->rate_window_ms = atoi(argv[++i]);
        else if (!strcmp(arg, "--hub-port") && val)
            hub_port = atoi(argv[++i]);
        else if (!strcmp(arg, "--hub-ping-ms") && val)
            hub_ping_ms = atoi(argv[++i]);
        else if (!strcmp(arg, "--hub-client-timeout-ms") && val)
            hub_client_timeout_ms = atoi(argv[++i]);
        else if (!strcmp(arg, "--no-retry-after"))
            self->retry_after = false;
        else if (!strcmp(arg, "--position-brackets"))
            self->position_brackets = true;
        else if (!strcmp(arg, "--price") && val) {
            char id[64];
            double px;
            if (sscanf(argv[++i], "%63[^=]=%lf", id, &px) == 2 && contract_find(self, id))
                contract_find(self, id)->price = px;
            else {
                usage();
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);     //  MHD's threads inherit the mask

    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t) port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
        (uint16_t) port, NULL, NULL, on_request, self, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned) 30, MHD_OPTION_END);
    if (!daemon) {
        fprintf(stderr, "ofts-mock-projectx: cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    mock_hub_t *hub = mock_hub_start(hub_port, hub_token_ok, self, hub_ping_ms);
    if (hub && hub_client_timeout_ms > 0)
        mock_hub_set_client_timeout(hub, hub_client_timeout_ms);
    pthread_mutex_lock(&self->lock);
    self->hub = hub;
    pthread_mutex_unlock(&self->lock);
    //  Line 1: REST port. Line 2: user-hub port (0 if the hub failed).
    printf("%u\n%d\n", info ? info->port : 0, hub ? mock_hub_port(hub) : 0);
    fflush(stdout);
    fprintf(stderr, "ofts-mock-projectx: REST http://127.0.0.1:%u, user hub ws://127.0.0.1:%d/hubs/user\n",
            info ? info->port : 0, hub ? mock_hub_port(hub) : 0);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(daemon);
    pthread_mutex_lock(&self->lock);
    self->hub = NULL;
    pthread_mutex_unlock(&self->lock);
    mock_hub_stop(&hub);
    free(self->orders);
    free(self->trades);
    pthread_mutex_destroy(&self->lock);
    free(self);
    return 0;
}
