/*  bench_presigned - a publisher whose messages are packed and signed
    before the clock starts, exactly as the ofts bus would publish them
    (same source, epoch, seq and per-topic seq in the header, topic frame,
    envelope frame, MAC frame), and only sent while it runs
    (zmq_send_const on the bus's own PUB socket).

    Why: the bus publisher's protobuf packing and MAC are about half of its
    CPU per message; on a 2-core machine, beside the service being measured
    and the publisher's own ZeroMQ I/O thread, a live-encoding publisher
    cannot offer bench-throughput's rate, so a keep-up run would not test
    the service at that rate. With the work done ahead, the run offers the
    rate and the service checks every MAC as usual.

    Used by bench-web (the monitor's keep-up) and bench-recorder (the
    recorder's keep-up).                                                  */
#ifndef OFTS_BENCH_PRESIGNED_H
#define OFTS_BENCH_PRESIGNED_H
#include <stddef.h>
#include <stdint.h>
#include "ofts.pb-c.h"

typedef struct _bench_presigned_t bench_presigned_t;

//  Messages as publisher `source` (life `epoch`) sends them, signed with the
//  bus secret (NULL: an unsigned bus, no MAC frame).
bench_presigned_t *bench_presigned_new(const char *source, uint64_t epoch, const uint8_t *secret);
//  Frees the messages: only once the socket that sent them is closed or its
//  queue is empty (zmq_send_const sends from these buffers).
void bench_presigned_destroy(bench_presigned_t **self_p);
//  Appends env as ofts_bus_publish_ts(bus, topic, env, ts_event, ts_recv)
//  would send it as the bus's seq-th message and topic's topic_seq-th.
void bench_presigned_add(bench_presigned_t *self, const char *topic, Ofts__Envelope *env, uint64_t seq,
                         uint64_t topic_seq, int64_t ts_event, int64_t ts_recv);
size_t bench_presigned_count(const bench_presigned_t *self);
//  Sends message k on pub (a ZeroMQ PUB socket handle). 0 or -1.
int bench_presigned_send(const bench_presigned_t *self, void *pub, size_t k);
//  Sends every message, paced to rate msgs/s (sleeping to the schedule
//  every 128 messages, never spinning; 0: as fast as it goes). The rate
//  actually offered: messages / time from the first send to the last.
double bench_presigned_send_all(const bench_presigned_t *self, void *pub, double rate);

#endif
