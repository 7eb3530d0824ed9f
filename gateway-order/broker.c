/*  broker - dispatch through the vtable, and small shared helpers.         */
#include <string.h>
#include "broker.h"
#include "ofts.pb-c.h"

void
broker_init(broker_t *self, const broker_ops_t *ops, void *impl)
{
    memset(self, 0, sizeof(*self));
    self->ops = ops;
    self->impl = impl;
}

void
broker_set_events(broker_t *self, const broker_events_t *events)
{
    self->events = *events;
}

const char *
broker_name(broker_t *self)
{
    return self->ops->name;
}

broker_result_t
broker_place(broker_t *self, broker_order_t *order, int64_t now_ns)
{
    return self->ops->place(self->impl, order, now_ns);
}

broker_result_t
broker_cancel(broker_t *self, const char *client_order_id, int64_t now_ns)
{
    return self->ops->cancel(self->impl, client_order_id, now_ns);
}

broker_result_t
broker_flatten(broker_t *self, const char *symbol, const char *flatten_id, int64_t now_ns)
{
    return self->ops->flatten(self->impl, symbol, flatten_id, now_ns);
}

void
broker_poll(broker_t *self, int64_t now_ns)
{
    if (self->ops->poll)
        self->ops->poll(self->impl, now_ns);
}

size_t
broker_positions(broker_t *self, broker_position_t *out, size_t max)
{
    return self->ops->positions(self->impl, out, max);
}

size_t
broker_open_orders(broker_t *self, broker_order_t *out, size_t max)
{
    return self->ops->open_orders(self->impl, out, max);
}

int
broker_find_order(broker_t *self, const char *client_order_id, broker_order_t *out)
{
    return self->ops->find_order(self->impl, client_order_id, out);
}

void
broker_emit_order(broker_t *self, const broker_order_t *order)
{
    if (self->events.on_order)
        self->events.on_order(self->events.arg, order);
}

void
broker_emit_fill(broker_t *self, const broker_fill_t *fill)
{
    if (self->events.on_fill)
        self->events.on_fill(self->events.arg, fill);
}

void
broker_emit_position(broker_t *self, const broker_position_t *position)
{
    if (self->events.on_position)
        self->events.on_position(self->events.arg, position);
}

bool
broker_ofts_tag(const char *client_order_id)
{
    return strncmp(client_order_id, BROKER_OFTS_TAG_PREFIX, strlen(BROKER_OFTS_TAG_PREFIX)) == 0
        || strncmp(client_order_id, BROKER_FLATTEN_PREFIX, strlen(BROKER_FLATTEN_PREFIX)) == 0;
}

bool
broker_status_terminal(int status)
{
    return status == OFTS__ORDER_STATUS__STATUS_FILLED
        || status == OFTS__ORDER_STATUS__STATUS_CANCELLED
        || status == OFTS__ORDER_STATUS__STATUS_REJECTED
        || status == OFTS__ORDER_STATUS__STATUS_EXPIRED;
}

const char *
broker_status_name(int status)
{
    static const char *names[] = { "pending", "working", "partial", "filled",
                                   "cancelled", "rejected", "expired", "unknown" };
    return status >= 0 && status < 8 ? names[status] : "unknown";
}

const char *
broker_role_name(int role)
{
    static const char *names[] = { "entry", "stop", "target", "flatten" };
    return role >= 0 && role < 4 ? names[role] : "unknown";
}

const char *
broker_side_name(int side)
{
    return side == OFTS__SIDE__SIDE_BUY ? "buy" : side == OFTS__SIDE__SIDE_SELL ? "sell" : "none";
}

void
broker_strlcpy(char *dst, const char *src, size_t size)
{
    if (size == 0)
        return;
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}
