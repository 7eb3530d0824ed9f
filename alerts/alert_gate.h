/*  alert_gate - what reaches the sender: the kinds chosen in alerts.events,
    each key once per dedup window (a HALT reported by every account update
    is sent once), and at most `per_minute` alerts of one kind in any 60 s
    (a storm of gaps is a few messages, not hundreds). An alert held back by
    the rate limit is counted and the count rides on the next one of its
    kind that passes ("+12 more"). Pure: the caller passes the time.      */
#ifndef OFTS_ALERT_GATE_H
#define OFTS_ALERT_GATE_H
#include <stdbool.h>
#include "alert.h"

typedef struct _alert_gate_t alert_gate_t;

typedef struct {
    bool enabled[ALERT_KINDS];
    int64_t dedup_ns;               //  same key within this: dropped
    int per_minute;                 //  per kind; 0 = no limit
} alert_gate_config_t;

alert_gate_t *alert_gate_new(const alert_gate_config_t *config);
void alert_gate_destroy(alert_gate_t **self_p);
//  True when alert should be sent now (alert->suppressed is then set).
bool alert_gate_pass(alert_gate_t *self, alert_t *alert, int64_t now_ns);
uint64_t alert_gate_duplicates(alert_gate_t *self);
uint64_t alert_gate_limited(alert_gate_t *self);

#endif
