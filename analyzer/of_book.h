/*  of_book - one instrument's visible book: the top (MBP-1) and up to ten
    levels of depth (MBP-10), as gateway-md publishes them.

    gateway-md applies Databento's F_LAST grouping before it publishes
    (spec/databento.md §11), so every TopOfBook and Depth message is a complete,
    consistent book: this class replaces its state, it never merges records.
    A side with price INT64_MAX (UNDEF_PRICE) or size 0 is "no level".

    The top follows whichever of TopOfBook / Depth arrived last (both carry
    the best level). Depth imbalance uses the latest Depth; before any Depth
    has arrived it falls back to the top of book.                          */
#ifndef OF_BOOK_H
#define OF_BOOK_H
#include <stdbool.h>
#include <stdint.h>
#include "ofts.pb-c.h"

#define OF_BOOK_LEVELS 10

typedef struct _of_book_t of_book_t;

//  levels: how many depth levels the imbalance sums (1..10).
of_book_t *of_book_new(int levels);
void of_book_destroy(of_book_t **self_p);

void of_book_on_top(of_book_t *self, const Ofts__TopOfBook *top);
void of_book_on_depth(of_book_t *self, const Ofts__Depth *depth);
void of_book_clear(of_book_t *self);

//  Best bid / ask price (INT64_MAX when that side is empty) and size.
int64_t of_book_bid_px(of_book_t *self);
int64_t of_book_ask_px(of_book_t *self);
uint32_t of_book_bid_sz(of_book_t *self);
uint32_t of_book_ask_sz(of_book_t *self);
bool of_book_has_depth(of_book_t *self);

//  (bid depth - ask depth) / (bid depth + ask depth) over the configured
//  levels, in [-1, 1]; 0 when the book is empty.
double of_book_depth_imbalance(of_book_t *self);
//  Size-weighted mid: (bid_px*ask_sz + ask_px*bid_sz) / (bid_sz + ask_sz),
//  exact in __int128, rounded to the nearest 1e-9; INT64_MAX unless both
//  sides have a level.
int64_t of_book_microprice(of_book_t *self);

#endif
