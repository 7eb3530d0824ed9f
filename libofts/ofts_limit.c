/*  ofts_limit - see ofts_limit.h.                                          */
#include "ofts_limit.h"

bool
ofts_limit_failed(ofts_limit_t *self, int64_t now_ns, uint64_t *since)
{
    self->failures++;
    if (self->failing && now_ns - self->logged_ns < OFTS_LIMIT_EVERY_NS)
        return false;
    if (since)
        *since = self->failures - self->logged;
    self->failing = true;
    self->logged_ns = now_ns;
    self->logged = self->failures;
    return true;
}

uint64_t
ofts_limit_ok(ofts_limit_t *self)
{
    uint64_t n = self->failing ? self->failures : 0;
    *self = (ofts_limit_t) { 0 };
    return n;
}
