/*  ofts_msg - generic views of an Envelope: its body's name, a JSON object
    (for ofts-monitor --json, logs and tests) and a one-line human form.
    Walks protobuf-c descriptors, so a field added to ofts.proto shows up
    without code here. Price fields (int64 named *px*, price, entry, stop,
    take_profit, vwap, microprice, avg_*) are rendered as decimal strings.   */
#ifndef OFTS_MSG_H
#define OFTS_MSG_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofts.pb-c.h"

//  "trade", "bbo", "signal" ... or "none".
const char *ofts_msg_body_name(const Ofts__Envelope *env);
//  {"topic":..., "type":"trade", "header":{...}, "trade":{...}}; caller decrefs.
json_t *ofts_msg_to_json(const Ofts__Envelope *env, const char *topic);
//  One line, no newline: "md.trade.GC. gateway-md#12 trade price=2350.1 size=3 ..."
char *ofts_msg_to_line(const Ofts__Envelope *env, const char *topic);   //  caller frees

//  Money for people: -$510.00, $1,234.50 (with plus: +$12.50). buf >= 32.
const char *ofts_money_fmt(int64_t cents, bool plus, char *buf, size_t size);
//  Market time for people: "13:30:05 CT" from ns since epoch ("--:--:-- CT"
//  for 0). buf >= 16.
const char *ofts_ct_time_fmt(int64_t ts_ns, char *buf, size_t size);
//  "ENTRY", "STOP", "TARGET", "FLATTEN".
const char *ofts_msg_role_name(Ofts__OrderRole role);
//  Make obj survive jq (which reads numbers as doubles, exact only to 2^53):
//  every ns timestamp field (ts_*, *_ns) becomes an ISO-8601 UTC string (null
//  when 0) with the exact ns as a string beside it under <name>_ns ("ts_event"
//  -> "ts_event": "2026-11-30T03:26:14.123456789Z", "ts_event_ns":
//  "1796..."); any other integer beyond 2^53 becomes a decimal string.
void ofts_msg_json_jq_safe(json_t *obj);

#endif
