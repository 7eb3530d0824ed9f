/*  Helpers shared by the analyzer tests: message builders and units.
    Prices in tests are written as P(2350.1) = 2350.1 points in 1e-9 units,
    built from text so they are exact.                                     */
#ifndef OF_TEST_H
#define OF_TEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ofts.pb-c.h"
#include "ofts_clock.h"
#include "ofts_instrument.h"

#define SEC(x) ((int64_t) (x) * OFTS_NS_PER_SEC)
#define UNDEF_PX INT64_MAX

static inline int64_t
P(const char *text)
{
    int64_t px = 0;
    assert_true(ofts_price_parse(text, &px));
    return px;
}

static inline Ofts__Trade
t_trade(const char *symbol, const char *contract, int64_t price, uint32_t size, Ofts__Side side)
{
    Ofts__Trade t;
    ofts__trade__init(&t);
    t.symbol = (char *) symbol;
    t.contract = (char *) contract;
    t.price = price;
    t.size = size;
    t.aggressor = side;
    return t;
}

static inline Ofts__TopOfBook
t_bbo(const char *symbol, const char *contract, int64_t bid, uint32_t bid_sz, int64_t ask, uint32_t ask_sz)
{
    Ofts__TopOfBook b;
    ofts__top_of_book__init(&b);
    b.symbol = (char *) symbol;
    b.contract = (char *) contract;
    b.bid_px = bid;
    b.bid_sz = bid_sz;
    b.ask_px = ask;
    b.ask_sz = ask_sz;
    return b;
}

//  A depth message with n levels held in caller storage.
typedef struct {
    Ofts__Depth depth;
    Ofts__Level levels[10];
    Ofts__Level *ptrs[10];
} t_depth_t;

static inline void
t_depth_init(t_depth_t *d, const char *symbol, const char *contract, size_t n)
{
    ofts__depth__init(&d->depth);
    d->depth.symbol = (char *) symbol;
    d->depth.contract = (char *) contract;
    d->depth.n_levels = n;
    d->depth.levels = d->ptrs;
    for (size_t i = 0; i < 10; i++) {
        ofts__level__init(&d->levels[i]);
        d->levels[i].bid_px = d->levels[i].ask_px = UNDEF_PX;
        d->ptrs[i] = &d->levels[i];
    }
}

static inline void
t_level(t_depth_t *d, size_t i, int64_t bid, uint32_t bid_sz, int64_t ask, uint32_t ask_sz)
{
    d->levels[i].bid_px = bid;
    d->levels[i].bid_sz = bid_sz;
    d->levels[i].ask_px = ask;
    d->levels[i].ask_sz = ask_sz;
}

#endif
