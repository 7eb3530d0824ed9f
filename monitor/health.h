/*  health - which services are alive, from their heartbeats. Pure: the
    caller passes heartbeats and the time; health reports transitions
    (first seen, lost, back) so each is logged exactly once.               */
#ifndef OFTS_HEALTH_H
#define OFTS_HEALTH_H
#include <stdbool.h>
#include <stdint.h>
#include "ofts.pb-c.h"

typedef enum { HEALTH_SEEN = 0, HEALTH_LOST, HEALTH_BACK, HEALTH_RESTARTED } health_event_t;

typedef struct {
    char service[48];
    char state[128];
    uint32_t pid;
    uint64_t uptime_ms;
    int64_t last_seen_ns;
    bool alive;
    uint32_t restarts;              //  pid changes observed
} health_entry_t;

typedef void (health_fn)(void *arg, health_event_t event, const health_entry_t *entry);

typedef struct _health_t health_t;

health_t *health_new(int64_t timeout_ns, health_fn *fn, void *arg);
void health_destroy(health_t **self_p);
void health_on_heartbeat(health_t *self, const Ofts__Heartbeat *hb, int64_t now_ns);
//  Declare lost every service silent for longer than the timeout.
void health_check(health_t *self, int64_t now_ns);
size_t health_count(health_t *self);
const health_entry_t *health_at(health_t *self, size_t index);
const health_entry_t *health_find(health_t *self, const char *service);
const char *health_event_name(health_event_t event);

#endif
