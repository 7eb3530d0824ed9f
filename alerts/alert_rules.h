/*  alert_rules - which bus events become alerts. Pure: the caller passes
    each accepted message (and gaps, and the time); the rules keep only the
    state they need to report a change once (an account entering HALTED,
    the daily loss crossing its warning level, a heartbeat going silent,
    the broker staying disconnected) and hand every alert to `emit`.

    Events (docs/alerts.md):
      risk.order.    (not reduce-only)          signal_approved
      exec.fill.     ENTRY / STOP / TARGET      entry_filled / stop_hit / target_hit
      risk.account.  loss >= loss_warn_pct      daily_loss_warn (re-armed below half)
      risk.account., exec.account.  -> HALTED   halt
      sys.heartbeat. silent past the timeout    service_down
      sys.heartbeat.gateway-order. "BROKER DISCONNECTED" for broker_grace
                                                broker_disconnected
      a gap on any subscription                 bus_gap                  */
#ifndef OFTS_ALERT_RULES_H
#define OFTS_ALERT_RULES_H
#include "alert.h"
#include "ofts.pb-c.h"

typedef struct _alert_rules_t alert_rules_t;

typedef struct {
    int loss_warn_pct;              //  80: warn at 80 % of the daily loss limit
    int64_t heartbeat_timeout_ns;   //  a service silent this long is down
    int64_t broker_grace_ns;        //  disconnected this long before we say so
} alert_rules_config_t;

typedef void (alert_emit_fn)(void *arg, const alert_t *alert);

alert_rules_t *alert_rules_new(const alert_rules_config_t *config, alert_emit_fn *emit, void *arg);
void alert_rules_destroy(alert_rules_t **self_p);
void alert_rules_on_message(alert_rules_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns);
void alert_rules_on_gap(alert_rules_t *self, const char *source, const char *topic, uint64_t missing,
                        int64_t now_ns);
//  Time passing: heartbeats that stopped, a disconnection that lasted.
void alert_rules_tick(alert_rules_t *self, int64_t now_ns);

#endif
