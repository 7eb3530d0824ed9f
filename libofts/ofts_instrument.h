/*  ofts_instrument - the one table of contract facts (tick size, tick value,
    point value, exchange, session group), and exact integer price helpers.
    Sources for every value: docs/instruments.md (from spec/instruments.md).

    Prices are int64 in 1e-9 units; money is int64 cents. Nothing here uses
    floating point, so "round to the tick" and P&L are exact.               */
#ifndef OFTS_INSTRUMENT_H
#define OFTS_INSTRUMENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFTS_PRICE_SCALE 1000000000LL
#define OFTS_UNDEF_PRICE INT64_MAX

typedef enum { OFTS_SESSION_METALS = 0, OFTS_SESSION_EQUITY = 1 } ofts_session_group_t;

typedef struct {
    const char *root;               //  CME root: "GC"
    const char *name;               //  "Gold"
    const char *exchange;           //  "COMEX"
    int64_t tick;                   //  tick size, 1e-9 units
    int64_t tick_value_cents;       //  USD cents per tick per contract
    int64_t point_value_cents;      //  USD cents per 1.00 of price
    int decimals;                   //  digits needed to print a tick price
    const char *projectx_symbol;    //  ProjectX symbolId, e.g. "F.US.GCE"
    const char *full_size;          //  for a micro, its full-size root; else NULL
    int micro_ratio;                //  micros per full-size contract (10), else 1
    ofts_session_group_t session;
} ofts_instrument_t;

const ofts_instrument_t *ofts_instrument_find(const char *root);
//  Two short names (roots, contract months) equal? In line: the cores
//  compare these on every market event, where a call to strcmp cost more
//  than the compare itself.
static inline bool
ofts_same_name(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}
//  Root of a CME contract symbol: "GCZ6", "GCZ26", "MNQH7" -> that root's row.
//  Also accepts a bare root and parent/continuous forms ("GC.FUT", "GC.c.0").
const ofts_instrument_t *ofts_instrument_for_contract(const char *contract);
size_t ofts_instrument_count(void);
const ofts_instrument_t *ofts_instrument_at(size_t index);

typedef enum { OFTS_ROUND_NEAREST = 0, OFTS_ROUND_DOWN, OFTS_ROUND_UP } ofts_round_t;

//  Round a price to a multiple of tick (ties to nearest round away from zero).
int64_t ofts_price_round(int64_t price, int64_t tick, ofts_round_t mode);
//  Exact P&L in cents of qty contracts (signed: + long, - short) from entry
//  to exit; truncated toward zero only if the move is not whole ticks.
int64_t ofts_instrument_pnl_cents(const ofts_instrument_t *self, int64_t entry, int64_t exit,
                                  int32_t qty);
//  Points as a decimal (a config value like 5.0 or 0.10) to 1e-9 units,
//  rounded to the nearest 1e-9.
int64_t ofts_price_from_double(double value);
double ofts_price_to_double(int64_t price);
//  Parse a decimal string exactly ("2350.10", "-0.0005"); false on junk.
bool ofts_price_parse(const char *text, int64_t *price);
//  Decimal string with trailing zeros trimmed ("2350.1"), or "UNDEF".
//  buf should have room for 32 bytes.
const char *ofts_price_str(int64_t price, char *buf, int size);
//  Fixed number of decimals ("2350.10").
const char *ofts_price_fmt(int64_t price, int decimals, char *buf, int size);

//  Globex open for this instrument at ts? (Sunday 17:00 to Friday 16:00 CT,
//  daily break 16:00-17:00, equity halt 15:15-15:30 Mon-Fri.)
bool ofts_instrument_session_open(const ofts_instrument_t *self, int64_t ts_ns);

#endif
