/*  ofts_zmtp - a subscriber to one ZeroMQ PUB endpoint (ipc:// or tcp://)
    that speaks ZMTP 3.0 (NULL security) itself and reads only when asked.

    Why: a ZeroMQ SUB socket has an I/O thread that the kernel wakes for
    every message reaching the socket; on a small machine those wakeups
    are what the recorder costs the trading services (docs/benchmarks.md,
    bench-recorder: a recorder connected but never woken costs nothing
    measurable). This reader never sleeps on its socket: the recorder's
    clock (drain_ms) calls ofts_zmtp_drain, which reads what is there and
    returns. The publisher's ZeroMQ queues for it meanwhile (its SNDHWM,
    200000 messages on the ofts bus), as it would for a slow subscriber.

    Subscribes to everything. Reconnects by itself (at most every 200 ms)
    when the publisher is not there or goes away. Never blocks: the dial
    and the ZMTP handshake advance one step per drain with what the socket
    allows, so a listener that accepts and never speaks delays nobody (it
    is dropped after 1 s and dialled again). No CURVE: the recorder uses a
    ZeroMQ SUB socket when the bus is encrypted.

    Backlog: a socket holds little (an ipc:// one about 57 KB of messages,
    ~220 bus messages), so a reader read only every few ms is capped at
    what the socket holds per drain (measured: ~44 k msgs/s at 5 ms).
    ofts_zmtp_backlogged says the last drain found the socket (nearly)
    full: the publisher has more queued, read again as soon as it comes
    (the recorder polls ofts_zmtp_fd then).                                 */
#ifndef OFTS_ZMTP_H
#define OFTS_ZMTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _ofts_zmtp_t ofts_zmtp_t;

//  One message: its frames (topic, envelope, and a MAC frame on a signed bus).
typedef void (ofts_zmtp_fn)(void *arg, const uint8_t *const frames[], const size_t sizes[], int nframes);

//  NULL when the endpoint is neither ipc:// nor tcp://host:port.
ofts_zmtp_t *ofts_zmtp_new(const char *endpoint);
void ofts_zmtp_destroy(ofts_zmtp_t **self_p);
//  Connects if needed, then hands every complete message already received
//  to fn, up to max messages. Never waits for data. Returns the count.
int ofts_zmtp_drain(ofts_zmtp_t *self, int max, ofts_zmtp_fn *fn, void *arg);
//  Handshake done, reading messages.
bool ofts_zmtp_connected(ofts_zmtp_t *self);
//  Dialled, ZMTP handshake under way.
bool ofts_zmtp_handshaking(ofts_zmtp_t *self);
//  The last drain read 32 KB or more: the publisher likely has more queued.
bool ofts_zmtp_backlogged(ofts_zmtp_t *self);
//  The socket (to poll for input while backlogged), -1 when not connected.
int ofts_zmtp_fd(ofts_zmtp_t *self);
const char *ofts_zmtp_endpoint(ofts_zmtp_t *self);

#endif
