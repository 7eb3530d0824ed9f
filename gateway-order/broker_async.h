/*  broker_async - a broker_t that never waits on its broker: every call of
    an inner broker (place, cancel, flatten, find by tag, its poll) runs on
    one worker thread; what it says comes back to the caller's thread as the
    usual broker events, delivered from broker_poll() (which the order
    manager calls on every tick).

    Why (issue 13): ProjectX's place / cancel / flatten are REST calls that
    can take seconds (time-out 5 s, a tag lookup after an ambiguous reply).
    Made on the service thread they stopped everything else: market data,
    a kill or flatten command, the other symbols' orders all waited.

    What the caller sees:
    - place / cancel / flatten return BROKER_OK at once ("queued"). What the
      broker then said arrives as order events: the inner broker's own, and
      for an outcome it only returned (rejected, ambiguous, a flatten with
      nothing to close) one made here with the status the manager used to
      derive itself: REJECTED, UNKNOWN, or CANCELLED "flat: nothing to close".
    - one FIFO worker: calls reach the broker in the order they were made,
      so a cancel or flatten never overtakes an earlier place, and the
      events of one order keep their order. (One at a time also because the
      ProjectX client has one handle for the foreground thread; its request
      scheduler still puts these calls ahead of the I/O thread's polls.)
    - positions / open_orders / find_order answer from a mirror kept from
      the events already delivered (consistent with what the manager saw),
      plus the calls still queued (status PENDING). An order the mirror does
      not know (or knows only as UNKNOWN) is looked up by the worker; the
      call answers -2 ("ask again later") and the answer comes as an order
      event, or as the answer of the next find_order when it is "not there".
    - poll(now) hands the worker the caller's clock and delivers what is
      ready; the worker polls the inner broker itself every
      BROKER_ASYNC_POLL_MS (its poll applies the I/O thread's REST answers).
    - broker_async_signal(): a socket that gets a message when events are
      ready, for the service's zloop: news is delivered at once, not at the
      next timer tick.
    - at destroy, queued cancels and flattens are still sent; queued places
      are dropped (logged): their ids are in the store as PENDING, and a
      restarted manager declares them never placed.

    The inner broker must not be called by anyone else while wrapped.      */
#ifndef BROKER_ASYNC_H
#define BROKER_ASYNC_H
#include <czmq.h>
#include "broker.h"

typedef struct _broker_async_t broker_async_t;

#define BROKER_ASYNC_POLL_MS 5

//  inner is borrowed (destroy this first); its events are taken over.
broker_async_t *broker_async_new(broker_t *inner);
void broker_async_destroy(broker_async_t **self_p);
broker_t *broker_async_broker(broker_async_t *self);
//  Readable when events are waiting: read its messages, then tick.
zsock_t *broker_async_signal(broker_async_t *self);

typedef struct {
    uint64_t jobs;                  //  calls handed to the worker
    size_t queued;                  //  not yet finished
    size_t max_queued;              //  most ever waiting at once
    uint64_t events;                //  events delivered to the caller
    int64_t max_call_ns;            //  the slowest inner call (the worker waited)
} broker_async_stats_t;
void broker_async_stats(broker_async_t *self, broker_async_stats_t *out);

#endif
