/*  ofts_zmtp - a subscriber to one ZeroMQ PUB endpoint (ipc:// or tcp://)
    that speaks ZMTP 3.0 (NULL security) itself and reads only when asked.

    Why: a ZeroMQ SUB socket has an I/O thread that the kernel wakes for
    every message reaching the socket, and that hands each message to the
    reading thread through a queue; on a small machine those wakeups and
    hand-overs are what a watcher costs the trading services
    (docs/benchmarks.md: bench-recorder, bench-web). This reader never
    sleeps on its socket: its owner reads when it wants - the recorder on
    its clock (drain_ms, ofts_zmtp_drain), the monitor when the socket is
    readable (ofts_bus_set_direct, one message at a time, ofts_zmtp_next) -
    and each read takes what the socket holds, up to 256 KB (hundreds of
    messages) in one system call. The publisher's ZeroMQ queues for it
    meanwhile (its SNDHWM, 200000 messages on the ofts bus), as it would
    for a slow subscriber.

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

//  A bus message has 2 frames (topic, envelope), 3 on a signed bus (MAC).
#define OFTS_ZMTP_MAX_FRAMES 4

//  One message: its frames (topic, envelope, and a MAC frame on a signed bus).
typedef void (ofts_zmtp_fn)(void *arg, const uint8_t *const frames[], const size_t sizes[], int nframes);

//  NULL when the endpoint is neither ipc:// nor tcp://host:port.
ofts_zmtp_t *ofts_zmtp_new(const char *endpoint);
void ofts_zmtp_destroy(ofts_zmtp_t **self_p);
//  Connects if needed, then hands every complete message already received
//  to fn, up to max messages. Never waits for data. Returns the count.
int ofts_zmtp_drain(ofts_zmtp_t *self, int max, ofts_zmtp_fn *fn, void *arg);
//  Connects if needed, then the next complete message: 1 with its frames
//  (valid until the next call on self), 0 when none is there (the socket
//  was read once, without waiting). A peer that breaks ZMTP or goes away
//  is closed (and dialled again later) after its last whole message.
int ofts_zmtp_next(ofts_zmtp_t *self, const uint8_t *frames[], size_t sizes[], int *nframes);
//  A complete message is already buffered (ofts_zmtp_next returns it
//  without reading): a reader woken by its socket must not wait for the
//  socket again while this is true.
bool ofts_zmtp_pending(ofts_zmtp_t *self);
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
