/*  alert - one thing worth telling the trader, as the rules made it.

    kind   what happened (the config names kinds in alerts.events)
    key    de-duplication key: the same key inside alerts.dedup_seconds is
           sent once ("halt:risk:topstep-50k", "signal:<signal id>")
    title  short ("HALT topstep-50k"), text the whole line for people      */
#ifndef OFTS_ALERT_H
#define OFTS_ALERT_H
#include <stdint.h>

typedef enum {
    ALERT_SIGNAL_APPROVED = 0,
    ALERT_ENTRY_FILLED,
    ALERT_STOP_HIT,
    ALERT_TARGET_HIT,
    ALERT_DAILY_LOSS_WARN,          //  daily loss at alerts.loss_warn_pct of the limit
    ALERT_HALT,
    ALERT_SERVICE_DOWN,
    ALERT_BUS_GAP,
    ALERT_BROKER_DISCONNECTED,
    ALERT_KINDS
} alert_kind_t;

#define ALERT_KEY_LEN 128
#define ALERT_TITLE_LEN 96
#define ALERT_TEXT_LEN 400

typedef struct {
    alert_kind_t kind;
    char key[ALERT_KEY_LEN];
    char title[ALERT_TITLE_LEN];
    char text[ALERT_TEXT_LEN];
    int64_t ts_ns;                  //  when it happened (event time, else wall)
    uint32_t suppressed;            //  like alerts dropped by the rate limit before this one
} alert_t;

//  "signal_approved", "entry_filled", ... (the names alerts.events takes).
const char *alert_kind_name(alert_kind_t kind);
//  The kind named, or -1.
int alert_kind_parse(const char *name);
//  True for kinds that matter more (HALT, service down, broker): ntfy
//  priority, Telegram/Discord emphasis.
int alert_kind_urgent(alert_kind_t kind);

#endif
