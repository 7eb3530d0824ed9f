/*  dashboard - the live overview behind `ofts-monitor --dashboard`: per
    symbol last price, book, metrics, last signal, position and P&L; the
    account; service health and gaps. Pure: fed messages and the time,
    renders to a FILE (ANSI "clear and home" when asked, so the terminal
    refreshes in place; plain text for tests and logs).                   */
#ifndef OFTS_DASHBOARD_H
#define OFTS_DASHBOARD_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "ofts.pb-c.h"

typedef struct _dashboard_t dashboard_t;

dashboard_t *dashboard_new(int64_t heartbeat_timeout_ns);
void dashboard_destroy(dashboard_t **self_p);
void dashboard_on_message(dashboard_t *self, const char *topic, const Ofts__Envelope *env, int64_t now_ns);
void dashboard_on_gap(dashboard_t *self, const char *source, uint64_t missing);
void dashboard_render(dashboard_t *self, FILE *out, int64_t now_ns, bool ansi);

#endif
