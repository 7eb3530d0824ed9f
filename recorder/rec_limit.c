/*  rec_limit - see rec_limit.h.                                          */
#include "rec_limit.h"

bool
rec_limit_failed(rec_limit_t *self, int64_t now_ns, uint64_t *since)
{
    self->failures++;
    if (self->failing && now_ns - self->logged_ns < REC_LIMIT_EVERY_NS)
        return false;
    if (since)
        *since = self->failures - self->logged;
    self->failing = true;
    self->logged_ns = now_ns;
    self->logged = self->failures;
    return true;
}

uint64_t
rec_limit_ok(rec_limit_t *self)
{
    uint64_t n = self->failing ? self->failures : 0;
    *self = (rec_limit_t) { 0 };
    return n;
}
