/*  ofts_lockstep - see ofts_lockstep.h.                                   */
#include "ofts_lockstep.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _ofts_lockstep_t {
    char names[OFTS_LOCKSTEP_MAX_UP][48];
    uint64_t marks[OFTS_LOCKSTEP_MAX_UP];
    size_t n;
    uint64_t complete;
};

ofts_lockstep_t *
ofts_lockstep_new(const char *const *upstreams, size_t n)
{
    if (n == 0 || n > OFTS_LOCKSTEP_MAX_UP)
        return NULL;
    ofts_lockstep_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    for (size_t i = 0; i < n; i++)
        snprintf(self->names[i], sizeof self->names[i], "%s", upstreams[i]);
    self->n = n;
    return self;
}

void
ofts_lockstep_destroy(ofts_lockstep_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

static int
s_index(ofts_lockstep_t *self, const char *name)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->names[i], name) == 0)
            return (int) i;
    return -1;
}

bool
ofts_lockstep_is_upstream(ofts_lockstep_t *self, const char *name)
{
    return s_index(self, name) >= 0;
}

uint64_t
ofts_lockstep_on_mark(ofts_lockstep_t *self, const char *upstream, uint64_t mark)
{
    int i = s_index(self, upstream);
    if (i < 0 || mark == 0)
        return 0;
    //  A mark at or below what this upstream said before is a repeat (its
    //  retry, or a restart that replays the current mark).
    bool repeat = mark <= self->marks[i];
    if (!repeat)
        self->marks[i] = mark;
    uint64_t low = self->marks[0];
    for (size_t k = 1; k < self->n; k++)
        if (self->marks[k] < low)
            low = self->marks[k];
    if (low > self->complete) {
        self->complete = low;
        return low;
    }
    return repeat ? self->complete : 0;
}

uint64_t
ofts_lockstep_complete(ofts_lockstep_t *self)
{
    return self->complete;
}
