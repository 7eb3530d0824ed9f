/*  dashboard - the live overview behind `ofts-monitor --dashboard`: per
    symbol last price, book, metrics, last signal, position and P&L; the
    account and its distance to the loss limits; working orders; service
    health and gaps. Pure: fed messages and the time,
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
//  At most `lines` lines of at most `cols` characters (default 80x24): long
//  lines are cut, never wrapped. Shows market time in CT, the account with
//  its distance to the daily loss limit and to the trailing floor, a row per
//  symbol, working orders (stops, targets), services, and a hint when
//  nothing is running.
void dashboard_render(dashboard_t *self, FILE *out, int64_t now_ns, bool ansi);
void dashboard_set_size(dashboard_t *self, int cols, int lines);
//  What to say when no service heartbeats (default: how to start one).
void dashboard_set_hint(dashboard_t *self, const char *hint);

#endif
