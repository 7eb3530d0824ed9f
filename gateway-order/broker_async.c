/*  broker_async - a broker_t whose calls never wait; see the header.

    Two queues under one mutex: jobs (caller -> worker, FIFO) and outputs
    (worker -> caller: the inner broker's events in the order it emitted
    them, each job's outcome right after the events it caused). The caller
    keeps everything it answers from (pending calls, the order and
    position mirrors, find answers) on its own thread: no lock there.    */
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "broker_async.h"
#include "ofts_clock.h"
#include "ofts_log.h"
#include "ofts.pb-c.h"

#define MAX_POSITIONS 32
//  Finished orders the mirror keeps for find_order (like the adapters'
//  own tracking: bounded, the inner broker can always be asked).
#define MIRROR_MAX 2048

typedef enum { JOB_PLACE, JOB_CANCEL, JOB_FLATTEN, JOB_FIND } job_kind_t;

typedef struct _job_t {
    job_kind_t kind;
    broker_order_t order;               //  place: the order; flatten: its stand-in;
                                        //  cancel / find: client_order_id only
    int64_t now_ns;
    struct _job_t *next;
} job_t;

typedef enum { OUT_ORDER, OUT_FILL, OUT_POSITION, OUT_DONE } out_kind_t;

typedef struct _out_t {
    out_kind_t kind;
    job_kind_t job;                     //  OUT_DONE: which call finished ...
    broker_result_t rc;                 //  ... with what (place, cancel, flatten)
    int found;                          //  find: 0 / -1 / -2
    bool emitted;                       //  flatten: the inner reported its order
    union {
        broker_order_t order;
        broker_fill_t fill;
        broker_position_t position;
    } u;
    struct _out_t *next;
} out_t;

struct _broker_async_t {
    broker_t broker;                    //  what the caller holds
    broker_t *inner;
    //  Shared, under mx:
    pthread_mutex_t mx;
    pthread_cond_t wake;
    job_t *jobs, *jobs_tail;
    out_t *outs, *outs_tail;
    bool stop;
    bool polling;                       //  the caller polls: the worker polls the inner
    int64_t now_ns;                     //  the caller's latest clock
    broker_async_stats_t stats;
    //  The worker only:
    pthread_t worker;
    bool started;
    zsock_t *signal_tx;
    bool pushed;                        //  outputs since the last signal
    char flatten_id[BROKER_COID_LEN];   //  the flatten running now
    bool flatten_emitted;
    //  The caller only:
    zsock_t *signal_rx;
    zhashx_t *pending;                  //  id -> broker_order_t: place / flatten queued
    zhashx_t *asking;                   //  id -> 1: a find queued
    zhashx_t *answers;                  //  id -> found + 3: a find's "not there" / "not asked"
    zhashx_t *mirror;                   //  id -> broker_order_t: last state delivered
    broker_position_t positions[MAX_POSITIONS];
    size_t npositions;
};

static void
s_free_item(void **item)
{
    free(*item);
    *item = NULL;
}

static zhashx_t *
s_owning_hash(void)
{
    zhashx_t *hash = zhashx_new();
    zhashx_set_destructor(hash, s_free_item);
    return hash;
}

static void
s_put_order(zhashx_t *hash, const broker_order_t *order)
{
    broker_order_t *copy = malloc(sizeof(*copy));
    *copy = *order;
    zhashx_update(hash, order->client_order_id, copy);
}

//  ---------------------------------------------------------------------------
//  The worker thread

//  Under mx.
static void
s_push(broker_async_t *self, out_t *out)
{
    if (self->outs_tail)
        self->outs_tail->next = out;
    else
        self->outs = out;
    self->outs_tail = out;
    self->pushed = true;
}

static void
s_push_locked(broker_async_t *self, out_t *out)
{
    pthread_mutex_lock(&self->mx);
    s_push(self, out);
    pthread_mutex_unlock(&self->mx);
}

//  Wake the caller's loop. Never blocks: a full pipe already wakes it.
static void
s_signal(broker_async_t *self)
{
    pthread_mutex_lock(&self->mx);
    bool pushed = self->pushed;
    self->pushed = false;
    pthread_mutex_unlock(&self->mx);
    if (pushed)
        zstr_send(self->signal_tx, "");
}

//  The inner broker's events, on the worker: queued for the caller.
static void
s_sink_order(void *arg, const broker_order_t *order)
{
    broker_async_t *self = arg;
    if (self->flatten_id[0] && strcmp(order->client_order_id, self->flatten_id) == 0)
        self->flatten_emitted = true;
    out_t *out = calloc(1, sizeof(*out));
    out->kind = OUT_ORDER;
    out->u.order = *order;
    s_push_locked(self, out);
}

static void
s_sink_fill(void *arg, const broker_fill_t *fill)
{
    out_t *out = calloc(1, sizeof(*out));
    out->kind = OUT_FILL;
    out->u.fill = *fill;
    s_push_locked(arg, out);
}

static void
s_sink_position(void *arg, const broker_position_t *position)
{
    out_t *out = calloc(1, sizeof(*out));
    out->kind = OUT_POSITION;
    out->u.position = *position;
    s_push_locked(arg, out);
}

static void
s_run(broker_async_t *self, const job_t *job)
{
    out_t *done = calloc(1, sizeof(*done));
    done->kind = OUT_DONE;
    done->job = job->kind;
    done->u.order = job->order;
    int64_t t0 = ofts_clock_mono_ns();
    switch (job->kind) {
    case JOB_PLACE:
        done->rc = broker_place(self->inner, &done->u.order, job->now_ns);
        break;
    case JOB_CANCEL:
        done->rc = broker_cancel(self->inner, job->order.client_order_id, job->now_ns);
        break;
    case JOB_FLATTEN:
        broker_strlcpy(self->flatten_id, job->order.client_order_id, sizeof(self->flatten_id));
        self->flatten_emitted = false;
        done->rc = broker_flatten(self->inner, job->order.symbol, self->flatten_id, job->now_ns);
        done->emitted = self->flatten_emitted;
        self->flatten_id[0] = 0;
        break;
    case JOB_FIND:
        done->found = broker_find_order(self->inner, job->order.client_order_id, &done->u.order);
        if (done->found != 0)
            done->u.order = job->order;
        break;
    }
    int64_t took = ofts_clock_mono_ns() - t0;
    pthread_mutex_lock(&self->mx);
    if (took > self->stats.max_call_ns)
        self->stats.max_call_ns = took;
    s_push(self, done);
    pthread_mutex_unlock(&self->mx);
}

static void
s_wait(broker_async_t *self, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long) ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&self->wake, &self->mx, &until);
}

static void *
s_worker(void *arg)
{
    broker_async_t *self = arg;
    pthread_mutex_lock(&self->mx);
    for (;;) {
        job_t *job = self->jobs;
        if (job) {
            self->jobs = job->next;
            if (!self->jobs)
                self->jobs_tail = NULL;
            bool stopping = self->stop;
            pthread_mutex_unlock(&self->mx);
            //  Shutting down: what reduces risk still goes out, a new entry does not.
            if (stopping && job->kind == JOB_PLACE)
                log_warn("broker: place %s not sent: shutting down (stored as pending: a restart "
                         "declares it never placed)", job->order.client_order_id);
            else
                s_run(self, job);
            free(job);
            s_signal(self);
            pthread_mutex_lock(&self->mx);
            self->stats.queued--;
            continue;
        }
        if (self->stop)
            break;
        if (self->polling) {
            int64_t now = self->now_ns;
            pthread_mutex_unlock(&self->mx);
            broker_poll(self->inner, now);
            s_signal(self);
            pthread_mutex_lock(&self->mx);
            if (self->jobs || self->stop)
                continue;
        }
        s_wait(self, BROKER_ASYNC_POLL_MS);
    }
    pthread_mutex_unlock(&self->mx);
    return NULL;
}

//  ---------------------------------------------------------------------------
//  The caller's thread: the broker_ops

static void
s_enqueue(broker_async_t *self, job_kind_t kind, const broker_order_t *order, int64_t now_ns)
{
    job_t *job = calloc(1, sizeof(*job));
    job->kind = kind;
    job->order = *order;
    job->now_ns = now_ns;
    pthread_mutex_lock(&self->mx);
    if (self->jobs_tail)
        self->jobs_tail->next = job;
    else
        self->jobs = job;
    self->jobs_tail = job;
    self->stats.jobs++;
    self->stats.queued++;
    if (self->stats.queued > self->stats.max_queued)
        self->stats.max_queued = self->stats.queued;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->mx);
}

static broker_position_t *
s_position(broker_async_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->npositions; i++)
        if (strcmp(self->positions[i].symbol, symbol) == 0)
            return &self->positions[i];
    return NULL;
}

static broker_result_t
s_place(void *impl, broker_order_t *order, int64_t now_ns)
{
    broker_async_t *self = impl;
    order->status = OFTS__ORDER_STATUS__STATUS_PENDING;
    s_put_order(self->pending, order);
    s_enqueue(self, JOB_PLACE, order, now_ns);
    return BROKER_OK;
}

static broker_result_t
s_cancel(void *impl, const char *client_order_id, int64_t now_ns)
{
    broker_async_t *self = impl;
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    broker_strlcpy(o.client_order_id, client_order_id, sizeof(o.client_order_id));
    s_enqueue(self, JOB_CANCEL, &o, now_ns);
    return BROKER_OK;
}

//  The flatten's order as the manager announced it (what it closes is the
//  position delivered so far), so that an outcome made here does not blank
//  its side and size.
static broker_result_t
s_flatten(void *impl, const char *symbol, const char *flatten_id, int64_t now_ns)
{
    broker_async_t *self = impl;
    broker_order_t o;
    memset(&o, 0, sizeof(o));
    broker_strlcpy(o.client_order_id, flatten_id, sizeof(o.client_order_id));
    broker_strlcpy(o.symbol, symbol, sizeof(o.symbol));
    const broker_position_t *p = s_position(self, symbol);
    if (p) {
        broker_strlcpy(o.contract, p->contract, sizeof(o.contract));
        o.quantity = (uint32_t) (p->quantity < 0 ? -p->quantity : p->quantity);
        o.side = p->quantity > 0 ? OFTS__SIDE__SIDE_SELL : OFTS__SIDE__SIDE_BUY;
    }
    o.role = OFTS__ORDER_ROLE__ROLE_FLATTEN;
    o.type = OFTS__ORDER_TYPE__ORDER_TYPE_MARKET;
    o.status = OFTS__ORDER_STATUS__STATUS_PENDING;
    o.created_ns = o.updated_ns = now_ns;
    s_put_order(self->pending, &o);
    s_enqueue(self, JOB_FLATTEN, &o, now_ns);
    return BROKER_OK;
}

//  Finished orders beyond MIRROR_MAX are forgotten (working ones never).
static void
s_mirror_trim(broker_async_t *self)
{
    if (zhashx_size(self->mirror) <= MIRROR_MAX)
        return;
    zlistx_t *keys = zhashx_keys(self->mirror);
    for (const char *key = zlistx_first(keys); key; key = zlistx_next(keys)) {
        const broker_order_t *o = zhashx_lookup(self->mirror, key);
        if (o && broker_status_terminal(o->status))
            zhashx_delete(self->mirror, key);
    }
    zlistx_destroy(&keys);
}

static void
s_emit_order(broker_async_t *self, const broker_order_t *order)
{
    s_put_order(self->mirror, order);
    broker_emit_order(&self->broker, order);
}

static void
s_emit_position(broker_async_t *self, const broker_position_t *position)
{
    broker_position_t *p = s_position(self, position->symbol);
    if (position->quantity == 0 && p)
        *p = self->positions[--self->npositions];
    else if (position->quantity != 0 && p)
        *p = *position;
    else if (position->quantity != 0 && self->npositions < MAX_POSITIONS)
        self->positions[self->npositions++] = *position;
    broker_emit_position(&self->broker, position);
}

//  A place the inner broker refused, or whose outcome is not known: the
//  order event the manager used to make itself from the return code.
static void
s_place_done(broker_async_t *self, out_t *out)
{
    broker_order_t *o = &out->u.order;
    zhashx_delete(self->pending, o->client_order_id);
    if (out->rc == BROKER_OK)
        return;                         //  the inner reported it working
    if (out->rc == BROKER_REJECTED)
        log_warn("place %s: rejected by %s: %s", o->client_order_id, broker_name(self->inner), o->text);
    else
        log_warn("place %s: ambiguous outcome at %s: reconciling", o->client_order_id,
                 broker_name(self->inner));
    o->status = out->rc == BROKER_REJECTED ? OFTS__ORDER_STATUS__STATUS_REJECTED
                                           : OFTS__ORDER_STATUS__STATUS_UNKNOWN;
    if (!o->text[0])
        broker_strlcpy(o->text, out->rc == BROKER_REJECTED ? "rejected by the broker"
                       : "outcome unknown: reconciling", sizeof(o->text));
    s_emit_order(self, o);
}

//  A flatten the inner broker did not report as an order (nothing to
//  close, refused, or not known): its end, as the manager used to decide it.
static void
s_flatten_done(broker_async_t *self, out_t *out)
{
    const char *id = out->u.order.client_order_id;
    broker_order_t *stub = zhashx_lookup(self->pending, id);
    broker_order_t o = stub ? *stub : out->u.order;
    zhashx_delete(self->pending, id);
    if (out->emitted)
        return;
    o.status = out->rc == BROKER_REJECTED ? OFTS__ORDER_STATUS__STATUS_REJECTED
             : out->rc == BROKER_AMBIGUOUS ? OFTS__ORDER_STATUS__STATUS_UNKNOWN
             : OFTS__ORDER_STATUS__STATUS_CANCELLED;
    o.text[0] = 0;                      //  the manager keeps its reason ...
    if (out->rc == BROKER_OK)
        broker_strlcpy(o.text, "flat: nothing to close", sizeof(o.text));
    if (out->rc == BROKER_REJECTED)
        log_error("flatten %s %s: refused by the broker", o.symbol, id);
    s_emit_order(self, &o);
}

static void
s_find_done(broker_async_t *self, out_t *out)
{
    const char *id = out->u.order.client_order_id;
    zhashx_delete(self->asking, id);
    if (out->found == 0)
        s_emit_order(self, &out->u.order);
    else
        zhashx_update(self->answers, id, (void *) (intptr_t) (out->found + 3));
}

static void
s_deliver(broker_async_t *self, out_t *out)
{
    switch (out->kind) {
    case OUT_ORDER:
        s_emit_order(self, &out->u.order);
        break;
    case OUT_FILL:
        broker_emit_fill(&self->broker, &out->u.fill);
        break;
    case OUT_POSITION:
        s_emit_position(self, &out->u.position);
        break;
    case OUT_DONE:
        if (out->job == JOB_PLACE)
            s_place_done(self, out);
        else if (out->job == JOB_FLATTEN)
            s_flatten_done(self, out);
        else if (out->job == JOB_FIND)
            s_find_done(self, out);
        break;
    }
}

static void
s_poll(void *impl, int64_t now_ns)
{
    broker_async_t *self = impl;
    pthread_mutex_lock(&self->mx);
    self->now_ns = now_ns;
    self->polling = true;
    out_t *outs = self->outs;
    self->outs = self->outs_tail = NULL;
    pthread_mutex_unlock(&self->mx);
    uint64_t n = 0;
    while (outs) {
        out_t *next = outs->next;
        s_deliver(self, outs);
        free(outs);
        outs = next;
        n++;
    }
    if (n) {
        s_mirror_trim(self);
        pthread_mutex_lock(&self->mx);
        self->stats.events += n;
        pthread_mutex_unlock(&self->mx);
    }
}

static size_t
s_positions(void *impl, broker_position_t *out, size_t max)
{
    broker_async_t *self = impl;
    size_t n = self->npositions < max ? self->npositions : max;
    memcpy(out, self->positions, n * sizeof(*out));
    return n;
}

//  Working as delivered (not UNKNOWN: nobody knows whether it is open), and
//  the calls still queued.
static size_t
s_open_orders(void *impl, broker_order_t *out, size_t max)
{
    broker_async_t *self = impl;
    size_t n = 0;
    for (broker_order_t *o = zhashx_first(self->pending); o && n < max; o = zhashx_next(self->pending))
        out[n++] = *o;
    for (broker_order_t *o = zhashx_first(self->mirror); o && n < max; o = zhashx_next(self->mirror))
        if (!broker_status_terminal(o->status) && o->status != OFTS__ORDER_STATUS__STATUS_UNKNOWN
            && !zhashx_lookup(self->pending, o->client_order_id))
            out[n++] = *o;
    return n;
}

static int
s_find_order(void *impl, const char *client_order_id, broker_order_t *out)
{
    broker_async_t *self = impl;
    const broker_order_t *o = zhashx_lookup(self->pending, client_order_id);
    if (!o) {
        o = zhashx_lookup(self->mirror, client_order_id);
        if (o && o->status == OFTS__ORDER_STATUS__STATUS_UNKNOWN)
            o = NULL;                   //  ask the broker again
    }
    if (o) {
        *out = *o;
        return 0;
    }
    intptr_t answer = (intptr_t) zhashx_lookup(self->answers, client_order_id);
    if (answer) {
        zhashx_delete(self->answers, client_order_id);
        return (int) answer - 3;
    }
    if (!zhashx_lookup(self->asking, client_order_id)) {
        zhashx_insert(self->asking, client_order_id, (void *) 1);
        broker_order_t q;
        memset(&q, 0, sizeof(q));
        broker_strlcpy(q.client_order_id, client_order_id, sizeof(q.client_order_id));
        s_enqueue(self, JOB_FIND, &q, self->now_ns);
    }
    return -2;                          //  asked: the answer comes later
}

static const broker_ops_t s_ops = {
    .name = NULL,                       //  set from the inner broker's
    .place = s_place,
    .cancel = s_cancel,
    .flatten = s_flatten,
    .poll = s_poll,
    .positions = s_positions,
    .open_orders = s_open_orders,
    .find_order = s_find_order,
    .remote = false,                    //  nothing here waits on the network
};

//  ---------------------------------------------------------------------------
//  Life cycle

typedef struct {
    broker_ops_t ops;
    broker_async_t self;
} async_block_t;

broker_async_t *
broker_async_new(broker_t *inner)
{
    //  The ops carry the inner broker's name ("projectx"): one block, so
    //  the vtable lives exactly as long as the wrapper.
    async_block_t *block = calloc(1, sizeof(*block));
    block->ops = s_ops;
    block->ops.name = broker_name(inner);
    broker_async_t *self = &block->self;
    self->inner = inner;
    broker_init(&self->broker, &block->ops, self);
    pthread_mutex_init(&self->mx, NULL);
    pthread_cond_init(&self->wake, NULL);
    self->pending = s_owning_hash();
    self->mirror = s_owning_hash();
    self->asking = zhashx_new();
    self->answers = zhashx_new();
    char endpoint[64];
    snprintf(endpoint, sizeof(endpoint), "inproc://broker-async-%p", (void *) self);
    self->signal_rx = zsock_new(ZMQ_PAIR);
    zsock_set_rcvhwm(self->signal_rx, 16);
    zsock_bind(self->signal_rx, "%s", endpoint);
    self->signal_tx = zsock_new(ZMQ_PAIR);
    zsock_set_sndhwm(self->signal_tx, 16);
    zsock_set_sndtimeo(self->signal_tx, 0);     //  full: the reader is awake anyway
    zsock_connect(self->signal_tx, "%s", endpoint);
    broker_events_t sink = { s_sink_order, s_sink_fill, s_sink_position, self };
    broker_set_events(inner, &sink);
    self->started = pthread_create(&self->worker, NULL, s_worker, self) == 0;
    if (!self->started)
        log_error("broker: cannot start the worker thread: nothing will reach the broker");
    return self;
}

void
broker_async_destroy(broker_async_t **self_p)
{
    broker_async_t *self = *self_p;
    if (!self)
        return;
    if (self->started) {
        pthread_mutex_lock(&self->mx);
        self->stop = true;
        pthread_cond_signal(&self->wake);
        pthread_mutex_unlock(&self->mx);
        pthread_join(self->worker, NULL);
    }
    broker_events_t none = { NULL, NULL, NULL, NULL };
    broker_set_events(self->inner, &none);
    while (self->jobs) {                //  only when the worker never started
        job_t *next = self->jobs->next;
        free(self->jobs);
        self->jobs = next;
    }
    while (self->outs) {
        out_t *next = self->outs->next;
        free(self->outs);
        self->outs = next;
    }
    zhashx_destroy(&self->pending);
    zhashx_destroy(&self->mirror);
    zhashx_destroy(&self->asking);
    zhashx_destroy(&self->answers);
    zsock_destroy(&self->signal_tx);
    zsock_destroy(&self->signal_rx);
    pthread_cond_destroy(&self->wake);
    pthread_mutex_destroy(&self->mx);
    free((char *) self - offsetof(async_block_t, self));
    *self_p = NULL;
}

broker_t *
broker_async_broker(broker_async_t *self)
{
    return &self->broker;
}

zsock_t *
broker_async_signal(broker_async_t *self)
{
    return self->signal_rx;
}

void
broker_async_stats(broker_async_t *self, broker_async_stats_t *out)
{
    pthread_mutex_lock(&self->mx);
    *out = self->stats;
    pthread_mutex_unlock(&self->mx);
}
