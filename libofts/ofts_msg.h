/*  ofts_msg - generic views of an Envelope: its body's name, a JSON object
    (for ofts-monitor --json, logs and tests) and a one-line human form.
    Walks protobuf-c descriptors, so a field added to ofts.proto shows up
    without code here. Price fields (int64 named *px*, price, entry, stop,
    take_profit, vwap, microprice, avg_*) are rendered as decimal strings.   */
#ifndef OFTS_MSG_H
#define OFTS_MSG_H
#include <jansson.h>
#include "ofts.pb-c.h"

//  "trade", "bbo", "signal" ... or "none".
const char *ofts_msg_body_name(const Ofts__Envelope *env);
//  {"topic":..., "type":"trade", "header":{...}, "trade":{...}}; caller decrefs.
json_t *ofts_msg_to_json(const Ofts__Envelope *env, const char *topic);
//  One line, no newline: "md.trade.GC. gateway-md#12 trade price=2350.1 size=3 ..."
char *ofts_msg_to_line(const Ofts__Envelope *env, const char *topic);   //  caller frees

#endif
