#include "ofts_instrument.h"
#include "ofts_clock.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

//  Every row checked against spec/instruments.md §1 (CME contract pages and
//  the ProjectX catalogue); see docs/instruments.md for the citations.
static const ofts_instrument_t s_table[] = {
    { "GC",  "Gold",                 "COMEX", 100000000, 1000, 10000,   1, "F.US.GCE", NULL, 1,  OFTS_SESSION_METALS },
    { "MGC", "Micro Gold",           "COMEX", 100000000, 100,  1000,    1, "F.US.MGC", "GC", 10, OFTS_SESSION_METALS },
    { "SI",  "Silver",               "COMEX", 5000000,   2500, 500000,  3, "F.US.SIE", NULL, 1,  OFTS_SESSION_METALS },
    { "SIL", "Micro Silver",         "COMEX", 5000000,   500,  100000,  3, "F.US.SIL", "SI", 5,  OFTS_SESSION_METALS },
    { "PL",  "Platinum",             "NYMEX", 100000000, 500,  5000,    1, "F.US.PLE", NULL, 1,  OFTS_SESSION_METALS },
    { "HG",  "Copper",               "COMEX", 500000,    1250, 2500000, 4, "F.US.CPE", NULL, 1,  OFTS_SESSION_METALS },
    { "MHG", "Micro Copper",         "COMEX", 500000,    125,  250000,  4, "F.US.MHG", "HG", 10, OFTS_SESSION_METALS },
    { "NQ",  "E-mini Nasdaq-100",    "CME",   250000000, 500,  2000,    2, "F.US.ENQ", NULL, 1,  OFTS_SESSION_EQUITY },
    { "MNQ", "Micro E-mini Nasdaq-100", "CME", 250000000, 50,  200,     2, "F.US.MNQ", "NQ", 10, OFTS_SESSION_EQUITY },
    { "ES",  "E-mini S&P 500",       "CME",   250000000, 1250, 5000,    2, "F.US.EP",  NULL, 1,  OFTS_SESSION_EQUITY },
    { "MES", "Micro E-mini S&P 500", "CME",   250000000, 125,  500,     2, "F.US.MES", "ES", 10, OFTS_SESSION_EQUITY },
};
#define TABLE_SIZE (sizeof s_table / sizeof s_table[0])

size_t ofts_instrument_count(void) { return TABLE_SIZE; }
const ofts_instrument_t *ofts_instrument_at(size_t i) { return i < TABLE_SIZE ? &s_table[i] : NULL; }

const ofts_instrument_t *
ofts_instrument_find(const char *root)
{
    for (size_t i = 0; root && i < TABLE_SIZE; i++)
        if (ofts_same_name(s_table[i].root, root))
            return &s_table[i];
    return NULL;
}

static bool
s_is_month(char c)
{
    return c && strchr("FGHJKMNQUVXZ", c) != NULL;
}

const ofts_instrument_t *
ofts_instrument_for_contract(const char *contract)
{
    if (!contract)
        return NULL;
    //  Longest root first so "MGCZ6" is Micro Gold, never GC.
    const ofts_instrument_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        size_t len = strlen(s_table[i].root);
        if (strncmp(contract, s_table[i].root, len) != 0 || len <= best_len)
            continue;
        const char *rest = contract + len;
        bool ok = *rest == '\0' || *rest == '.'
               || (s_is_month(rest[0]) && isdigit((unsigned char) rest[1])
                   && (rest[2] == '\0' || (isdigit((unsigned char) rest[2]) && rest[3] == '\0')));
        if (ok) {
            best = &s_table[i];
            best_len = len;
        }
    }
    return best;
}

int64_t
ofts_price_round(int64_t price, int64_t tick, ofts_round_t mode)
{
    if (tick <= 0 || price == OFTS_UNDEF_PRICE)
        return price;
    int64_t q = price / tick, r = price % tick;
    if (r == 0)
        return price;
    if (r < 0) {                    //  make floor division
        q -= 1;
        r += tick;
    }
    int64_t down = q * tick, up = down + tick;
    switch (mode) {
    case OFTS_ROUND_DOWN: return down;
    case OFTS_ROUND_UP:   return up;
    default:
        if (r * 2 == tick)
            return price >= 0 ? up : down;
        return r * 2 > tick ? up : down;
    }
}

int64_t
ofts_instrument_pnl_cents(const ofts_instrument_t *self, int64_t entry, int64_t exit, int32_t qty)
{
    //  Whole ticks first, so the multiplication cannot overflow on real prices.
    int64_t move = exit - entry;
    int64_t ticks = move / self->tick;
    int64_t rem = move % self->tick;
    int64_t cents = ticks * self->tick_value_cents + rem * self->tick_value_cents / self->tick;
    return cents * qty;
}

int64_t
ofts_price_from_double(double value)
{
    return (int64_t) llround(value * (double) OFTS_PRICE_SCALE);
}

double
ofts_price_to_double(int64_t price)
{
    return (double) price / (double) OFTS_PRICE_SCALE;
}

bool
ofts_price_parse(const char *text, int64_t *price)
{
    if (!text || !*text)
        return false;
    const char *p = text;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    int64_t whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    for (; isdigit((unsigned char) *p); p++, digits++) {
        if (whole > (INT64_MAX / OFTS_PRICE_SCALE) / 10)
            return false;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        for (p++; isdigit((unsigned char) *p); p++) {
            if (fdigits < 9) {
                frac = frac * 10 + (*p - '0');
                fdigits++;
            }
            else if (*p != '0')
                return false;       //  finer than 1e-9 cannot be exact
            digits++;
        }
    }
    if (*p != '\0' || digits == 0)
        return false;
    for (int i = fdigits; i < 9; i++)
        frac *= 10;
    int64_t v = whole * OFTS_PRICE_SCALE + frac;
    *price = neg ? -v : v;
    return true;
}

const char *
ofts_price_fmt(int64_t price, int decimals, char *buf, int size)
{
    if (price == OFTS_UNDEF_PRICE) {
        snprintf(buf, (size_t) size, "UNDEF");
        return buf;
    }
    bool neg = price < 0;
    uint64_t v = neg ? (uint64_t) 0 - (uint64_t) price : (uint64_t) price;
    uint64_t whole = v / OFTS_PRICE_SCALE, frac = v % OFTS_PRICE_SCALE;
    if (decimals <= 0) {
        snprintf(buf, (size_t) size, "%s%llu", neg ? "-" : "", (unsigned long long) whole);
        return buf;
    }
    char f[16];
    snprintf(f, sizeof f, "%09llu", (unsigned long long) frac);
    if (decimals > 9)
        decimals = 9;
    f[decimals] = '\0';
    snprintf(buf, (size_t) size, "%s%llu.%s", neg ? "-" : "", (unsigned long long) whole, f);
    return buf;
}

const char *
ofts_price_str(int64_t price, char *buf, int size)
{
    ofts_price_fmt(price, 9, buf, size);
    if (price == OFTS_UNDEF_PRICE)
        return buf;
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot + 1 && *end == '0')
            *end-- = '\0';
    }
    return buf;
}

bool
ofts_instrument_session_open(const ofts_instrument_t *self, int64_t ts_ns)
{
    ofts_ct_t ct;
    ofts_ct_from_utc(ts_ns, &ct);
    int mod = ct.hour * 60 + ct.minute;
    if (ct.wday == 6)
        return false;                           //  Saturday
    if (ct.wday == 0 && mod < 17 * 60)
        return false;                           //  Sunday before the open
    if (ct.wday == 5 && mod >= 16 * 60)
        return false;                           //  Friday after the close
    if (mod >= 16 * 60 && mod < 17 * 60)
        return false;                           //  daily break / maintenance
    if (self->session == OFTS_SESSION_EQUITY && ct.wday >= 1 && ct.wday <= 5
        && mod >= 15 * 60 + 15 && mod < 15 * 60 + 30)
        return false;                           //  equity index 15:15-15:30 halt
    return true;
}
