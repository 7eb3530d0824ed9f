/*  rec_check - the bus MAC check of a batch of received messages, on two
    threads when the batch is large.

    Why: the MAC (keyed BLAKE2b, ofts_bus_mac_ok) is the largest single
    cost of recording a message - ~40 % of the recorder's CPU when it
    drains a backlog (perf, docs/benchmarks.md) - and the checks of a
    batch are independent. The recorder copies each drained message into
    the batch, rec_check_run checks them (half on a helper thread when
    there are at least REC_CHECK_PARALLEL of them, so a quiet bus never
    wakes the helper) and hands them back in the order they were added,
    each with its verdict: recording order is unchanged.                */
#ifndef REC_CHECK_H
#define REC_CHECK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofts_trust.h"

#define REC_CHECK_PARALLEL 256

typedef struct _rec_check_t rec_check_t;

//  One message back: mac NULL when it had no MAC frame; ok = its MAC checks.
typedef void (rec_check_fn)(void *arg, const uint8_t *topic, size_t tlen, const uint8_t *body, size_t blen,
                            bool has_mac, bool ok);

//  key is copied (and wiped on destroy).
rec_check_t *rec_check_new(const ofts_trust_mackey_t *key);
void rec_check_destroy(rec_check_t **self_p);
//  A copy of one message (body, mac may be NULL).
void rec_check_add(rec_check_t *self, const uint8_t *topic, size_t tlen, const uint8_t *body, size_t blen,
                   const uint8_t *mac, size_t mlen);
size_t rec_check_count(rec_check_t *self);
size_t rec_check_bytes(rec_check_t *self);
//  Checks every message added and hands each to fn in order; empties the batch.
void rec_check_run(rec_check_t *self, rec_check_fn *fn, void *arg);
//  Batches checked on two threads so far.
uint64_t rec_check_parallel_runs(rec_check_t *self);

#endif
