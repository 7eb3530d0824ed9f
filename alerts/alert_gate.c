/*  alert_gate - see alert_gate.h. Keys live in a small ring: the window is
    minutes and alerts are rare, so 512 recent keys are plenty; a key pushed
    out of the ring early is at worst sent twice, never lost.            */
#include "alert_gate.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_RING 512
#define RATE_SLOTS 64               //  sends remembered per kind (>= per_minute)
#define MINUTE_NS (60LL * 1000000000LL)

typedef struct {
    char key[ALERT_KEY_LEN];
    int64_t ts;
} s_seen_t;

struct _alert_gate_t {
    alert_gate_config_t cfg;
    s_seen_t seen[KEY_RING];
    size_t next_seen;
    int64_t sent[ALERT_KINDS][RATE_SLOTS];      //  ring of send times per kind
    size_t next_sent[ALERT_KINDS];
    uint32_t held[ALERT_KINDS];                 //  limited since the last send
    uint64_t duplicates, limited;
};

alert_gate_t *
alert_gate_new(const alert_gate_config_t *config)
{
    alert_gate_t *self = calloc(1, sizeof *self);
    self->cfg = *config;
    if (self->cfg.per_minute > RATE_SLOTS)
        self->cfg.per_minute = RATE_SLOTS;
    return self;
}

void
alert_gate_destroy(alert_gate_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

static bool
s_duplicate(alert_gate_t *self, const char *key, int64_t now)
{
    for (size_t i = 0; i < KEY_RING; i++)
        if (self->seen[i].ts && now - self->seen[i].ts < self->cfg.dedup_ns && strcmp(self->seen[i].key, key) == 0)
            return true;
    return false;
}

//  The oldest of the last per_minute sends of this kind: if it is less than
//  a minute old, one more would exceed the limit.
static bool
s_limited(alert_gate_t *self, alert_kind_t kind, int64_t now)
{
    int n = self->cfg.per_minute;
    if (n <= 0)
        return false;
    size_t oldest = (self->next_sent[kind] + RATE_SLOTS - (size_t) n) % RATE_SLOTS;
    int64_t t = self->sent[kind][oldest];
    return t && now - t < MINUTE_NS;
}

bool
alert_gate_pass(alert_gate_t *self, alert_t *alert, int64_t now_ns)
{
    alert_kind_t kind = alert->kind;
    if (kind >= ALERT_KINDS || !self->cfg.enabled[kind])
        return false;
    if (s_duplicate(self, alert->key, now_ns)) {
        self->duplicates++;
        return false;
    }
    if (s_limited(self, kind, now_ns)) {
        self->limited++;
        self->held[kind]++;
        return false;
    }
    s_seen_t *slot = &self->seen[self->next_seen];
    self->next_seen = (self->next_seen + 1) % KEY_RING;
    snprintf(slot->key, sizeof slot->key, "%s", alert->key);
    slot->ts = now_ns;
    self->sent[kind][self->next_sent[kind]] = now_ns;
    self->next_sent[kind] = (self->next_sent[kind] + 1) % RATE_SLOTS;
    alert->suppressed = self->held[kind];
    self->held[kind] = 0;
    return true;
}

uint64_t alert_gate_duplicates(alert_gate_t *self) { return self->duplicates; }
uint64_t alert_gate_limited(alert_gate_t *self) { return self->limited; }
