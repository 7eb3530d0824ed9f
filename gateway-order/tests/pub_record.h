/*  pub_record: what a gateway-order core published, kept for assertions.
    The order manager and order accounts tests hand pub_record to the core
    as its publish callback and read pub_log back.                         */
#ifndef PUB_RECORD_H
#define PUB_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "broker.h"
#include "ofts.pb-c.h"

#define PUB_MAX 256

typedef struct {
    char topic[64];
    int body;                           //  Envelope body case
    char account[64];
    char id[BROKER_COID_LEN];           //  order/position: client order id; fill: fill id
    int status, role;                   //  order: status, role; account: state
    int32_t quantity;
    bool protected_;
    int64_t upnl;
    char text[BROKER_TEXT_LEN];         //  order text or account state reason
} pub_t;

extern pub_t pub_log[PUB_MAX];
extern int pub_n;

//  The publish callback: records one message (asserts on overflow).
void pub_record(void *arg, const char *topic, Ofts__Envelope *env);

#endif
