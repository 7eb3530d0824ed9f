/*  ofts_limit - a failure that repeats, logged when it starts and then at
    most every 10 s, with how many failed since the last line: a listener
    that accepts and never speaks fails its handshake every ~1.2 s, a full
    or failing disk fails every flush and every fdatasync - and the log may
    be on that disk. When it works again the caller says so once
    (ofts_limit_ok: how many failed in all).                              */
#ifndef OFTS_LIMIT_H
#define OFTS_LIMIT_H
#include <stdbool.h>
#include <stdint.h>

#define OFTS_LIMIT_EVERY_NS (10 * 1000000000LL)

typedef struct {
    bool failing;
    int64_t logged_ns;              //  when the last line was logged
    uint64_t failures;              //  since it started failing
    uint64_t logged;                //  failures counted by the last line
} ofts_limit_t;

//  One more failure at now_ns (CLOCK_MONOTONIC). true when a line is due:
//  the first failure, or OFTS_LIMIT_EVERY_NS after the last line. *since:
//  the failures that line reports (this one and those kept quiet before it).
bool ofts_limit_failed(ofts_limit_t *self, int64_t now_ns, uint64_t *since);
//  It works again: the failures since it started failing (0 when it was
//  not failing); the next failure is logged at once.
uint64_t ofts_limit_ok(ofts_limit_t *self);

#endif
