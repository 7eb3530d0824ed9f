#include "health.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERVICES 32

struct _health_t {
    int64_t timeout_ns;
    health_fn *fn;
    void *arg;
    health_entry_t entries[MAX_SERVICES];
    size_t count;
};

health_t *
health_new(int64_t timeout_ns, health_fn *fn, void *arg)
{
    health_t *self = calloc(1, sizeof *self);
    self->timeout_ns = timeout_ns;
    self->fn = fn;
    self->arg = arg;
    return self;
}

void
health_destroy(health_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

const char *
health_event_name(health_event_t event)
{
    static const char *names[] = { "seen", "lost", "back", "restarted" };
    return names[event];
}

static void
s_emit(health_t *self, health_event_t event, const health_entry_t *entry)
{
    if (self->fn)
        self->fn(self->arg, event, entry);
}

const health_entry_t *
health_find(health_t *self, const char *service)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp(self->entries[i].service, service) == 0)
            return &self->entries[i];
    return NULL;
}

void
health_on_heartbeat(health_t *self, const Ofts__Heartbeat *hb, int64_t now_ns)
{
    health_entry_t *e = (health_entry_t *) health_find(self, hb->service);
    health_event_t event = HEALTH_SEEN;
    if (!e) {
        if (self->count == MAX_SERVICES)
            return;
        e = &self->entries[self->count++];
        snprintf(e->service, sizeof e->service, "%s", hb->service);
    }
    else if (!e->alive)
        event = HEALTH_BACK;
    else if (e->pid != hb->pid) {
        e->restarts++;
        event = HEALTH_RESTARTED;
    }
    else
        event = (health_event_t) -1;
    bool pid_changed = e->pid && e->pid != hb->pid;
    if (event == HEALTH_BACK && pid_changed)
        e->restarts++;
    e->pid = hb->pid;
    e->uptime_ms = hb->uptime_ms;
    snprintf(e->state, sizeof e->state, "%s", hb->state ? hb->state : "");
    e->last_seen_ns = now_ns;
    e->alive = true;
    if ((int) event >= 0)
        s_emit(self, event, e);
}

void
health_check(health_t *self, int64_t now_ns)
{
    for (size_t i = 0; i < self->count; i++) {
        health_entry_t *e = &self->entries[i];
        if (e->alive && now_ns - e->last_seen_ns > self->timeout_ns) {
            e->alive = false;
            s_emit(self, HEALTH_LOST, e);
        }
    }
}

size_t health_count(health_t *self) { return self->count; }
const health_entry_t *health_at(health_t *self, size_t i) { return i < self->count ? &self->entries[i] : NULL; }
