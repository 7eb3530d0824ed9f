/*  of_book - top of book and depth for one instrument. See of_book.h. */
#include "of_book.h"
#include <stdlib.h>

#define UNDEF INT64_MAX

struct _of_book_t {
    int levels;
    int64_t bid_px, ask_px;
    uint32_t bid_sz, ask_sz;
    bool has_depth;
    uint64_t bid_depth, ask_depth;  //  sums over `levels`, from the latest source
    //  derived on first read after an update (a quote burst costs no divides)
    bool dirty;
    double depth_imbalance;
    int64_t microprice;
};

static int64_t s_microprice(of_book_t *self);

static void
s_derive(of_book_t *self)
{
    uint64_t total = self->bid_depth + self->ask_depth;
    self->depth_imbalance = total == 0 ? 0.0
        : ((double) self->bid_depth - (double) self->ask_depth) / (double) total;
    self->microprice = s_microprice(self);
    self->dirty = false;
}

of_book_t *
of_book_new(int levels)
{
    of_book_t *self = calloc(1, sizeof *self);
    self->levels = levels < 1 ? 1 : levels > OF_BOOK_LEVELS ? OF_BOOK_LEVELS : levels;
    of_book_clear(self);
    return self;
}

void
of_book_destroy(of_book_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void
of_book_clear(of_book_t *self)
{
    self->bid_px = self->ask_px = UNDEF;
    self->bid_sz = self->ask_sz = 0;
    self->has_depth = false;
    self->bid_depth = self->ask_depth = 0;
    self->dirty = true;
}

//  One side of a level counts only with a real price and a size.
static uint32_t
s_size(int64_t px, uint32_t sz)
{
    return px == UNDEF ? 0 : sz;
}

static void
s_set_top(of_book_t *self, int64_t bid_px, uint32_t bid_sz, int64_t ask_px, uint32_t ask_sz)
{
    self->bid_sz = s_size(bid_px, bid_sz);
    self->ask_sz = s_size(ask_px, ask_sz);
    self->bid_px = self->bid_sz ? bid_px : UNDEF;
    self->ask_px = self->ask_sz ? ask_px : UNDEF;
}

void
of_book_on_top(of_book_t *self, const Ofts__TopOfBook *top)
{
    s_set_top(self, top->bid_px, top->bid_sz, top->ask_px, top->ask_sz);
    if (!self->has_depth) {
        self->bid_depth = self->bid_sz;
        self->ask_depth = self->ask_sz;
    }
    self->dirty = true;
}

void
of_book_on_depth(of_book_t *self, const Ofts__Depth *depth)
{
    uint64_t bid = 0, ask = 0;
    size_t n = depth->n_levels < (size_t) self->levels ? depth->n_levels : (size_t) self->levels;
    for (size_t i = 0; i < n; i++) {
        const Ofts__Level *l = depth->levels[i];
        bid += s_size(l->bid_px, l->bid_sz);
        ask += s_size(l->ask_px, l->ask_sz);
    }
    self->bid_depth = bid;
    self->ask_depth = ask;
    self->has_depth = true;
    if (depth->n_levels > 0) {
        const Ofts__Level *l = depth->levels[0];
        s_set_top(self, l->bid_px, l->bid_sz, l->ask_px, l->ask_sz);
    }
    else
        s_set_top(self, UNDEF, 0, UNDEF, 0);
    self->dirty = true;
}

int64_t of_book_bid_px(of_book_t *self) { return self->bid_px; }
int64_t of_book_ask_px(of_book_t *self) { return self->ask_px; }
uint32_t of_book_bid_sz(of_book_t *self) { return self->bid_sz; }
uint32_t of_book_ask_sz(of_book_t *self) { return self->ask_sz; }
bool of_book_has_depth(of_book_t *self) { return self->has_depth; }

double
of_book_depth_imbalance(of_book_t *self)
{
    if (self->dirty)
        s_derive(self);
    return self->depth_imbalance;
}

int64_t
of_book_microprice(of_book_t *self)
{
    if (self->dirty)
        s_derive(self);
    return self->microprice;
}

static int64_t
s_microprice(of_book_t *self)
{
    if (!self->bid_sz || !self->ask_sz)
        return UNDEF;
    //  64-bit when nothing overflows (the usual case), else exact in 128 bits.
    int64_t a, b, n;
    int64_t d = (int64_t) self->bid_sz + self->ask_sz;
    if (!__builtin_mul_overflow(self->bid_px, (int64_t) self->ask_sz, &a)
        && !__builtin_mul_overflow(self->ask_px, (int64_t) self->bid_sz, &b)
        && !__builtin_add_overflow(a, b, &n) && n > INT64_MIN / 2 && n < INT64_MAX / 2) {
        int64_t q = n / d, r = n % d;
        if (r < 0)
            r = -r;
        if (2 * r >= d)
            q += n < 0 ? -1 : 1;
        return q;
    }
    __int128 den = d;
    __int128 num = (__int128) self->bid_px * self->ask_sz + (__int128) self->ask_px * self->bid_sz;
    __int128 q = num / den, r = num % den;
    if (r < 0)
        r = -r;
    if (2 * r >= den)
        q += num < 0 ? -1 : 1;
    return (int64_t) q;
}
