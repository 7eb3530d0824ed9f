/*  ofts_lockstep - replay in lockstep: the bus gives the backtest's trades
    on any machine, at any load.

    A paced replay races the trading path: gateway-md publishes the next
    record after N x the market gap, whatever the analyzer, risk and
    gateway-order are doing. On a loaded machine an approval then reaches
    the paper broker after market data it should not have seen yet, and the
    bus trades differently from `ofts backtest` (which places an approval
    before the broker sees a newer market time). With bus.lockstep on,
    gateway-md publishes one market time (every record with the same
    ts_event), then a mark on sys.sync.gateway-md. , and waits. The mark is
    that market time (ns), so it only grows, also across a restart of
    gateway-md that resumes from its checkpoint:

        gateway-md --mark--> analyzer --mark--> risk --mark--> gateway-order
             ^                                                      |
             +------------------------ mark ------------------------+

    Each service relays a mark once it has the mark from every service it
    waits for (its upstreams). A mark travels on the same socket as the data
    its sender published before it, so holding it means every earlier
    message, and everything it caused upstream (a signal, an approval, an
    order placed), has been handled. gateway-md goes on when gateway-order's
    mark comes back.

    Lost marks heal: gateway-md repeats a mark it waits for, and a relay
    that sees an upstream repeat a mark re-sends its own (a restarted
    service starts from nothing and relays the repeat as new).

    This class is the bookkeeping only (no sockets): ofts_service wires it
    to the bus.                                                           */
#ifndef OFTS_LOCKSTEP_H
#define OFTS_LOCKSTEP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFTS_LOCKSTEP_MAX_UP 4

typedef struct _ofts_lockstep_t ofts_lockstep_t;

//  NULL when n is 0 or above OFTS_LOCKSTEP_MAX_UP.
ofts_lockstep_t *ofts_lockstep_new(const char *const *upstreams, size_t n);
void ofts_lockstep_destroy(ofts_lockstep_t **self_p);

bool ofts_lockstep_is_upstream(ofts_lockstep_t *self, const char *name);
//  An upstream's mark arrived. Returns the mark to publish now, or 0: the
//  new lowest mark across all upstreams when it moved on, or the last one
//  again when this upstream repeated itself (someone downstream may have
//  missed ours).
uint64_t ofts_lockstep_on_mark(ofts_lockstep_t *self, const char *upstream, uint64_t mark);
//  The highest mark every upstream has reached (0: none yet).
uint64_t ofts_lockstep_complete(ofts_lockstep_t *self);

#endif
