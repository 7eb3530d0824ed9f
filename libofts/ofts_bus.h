/*  ofts_bus - the message bus: ZeroMQ PUB/SUB carrying ofts Envelopes.

    A message is two frames: the topic ("md.trade.GC.") and a packed
    Ofts__Envelope. Publishing stamps the header: source, seq (per publisher),
    topic_seq (per publisher and topic), epoch (publisher start) and
    ts_publish. Receiving unpacks, drops and counts garbage, and checks
    topic_seq per (source, topic): a skipped range is a gap, counted and
    logged with exactly the number of missing messages. A new epoch from a
    source means the publisher restarted: logged, not a gap.

    Every service owns one PUB socket (bound) and one SUB socket per
    publisher it listens to (ofts_bus_connect_to): a message is accepted
    there only if that publisher owns its topic, its header says so and its
    body fits the topic (ofts_trust.h); anything else is counted in
    ofts_bus_rejected(), logged (rate-limited) and dropped. The anonymous
    socket (ofts_bus_connect) is for tools and tests and checks nothing.   */
#ifndef OFTS_BUS_H
#define OFTS_BUS_H
#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>
#include "ofts.pb-c.h"
#include "ofts_trust.h"

typedef struct _ofts_bus_t ofts_bus_t;

//  Called for every detected gap: source and topic, and how many were lost.
typedef void (ofts_bus_gap_fn)(void *arg, const char *source, const char *topic, uint64_t missing);

ofts_bus_t *ofts_bus_new(const char *service);
void ofts_bus_destroy(ofts_bus_t **self_p);

//  PUB side. Returns 0, or -1 with a logged reason.
int ofts_bus_bind(ofts_bus_t *self, const char *endpoint);
//  SUB side: connect to one more publisher; subscribe to a topic prefix.
int ofts_bus_connect(ofts_bus_t *self, const char *endpoint);
void ofts_bus_subscribe(ofts_bus_t *self, const char *prefix);
void ofts_bus_unsubscribe(ofts_bus_t *self, const char *prefix);
zsock_t *ofts_bus_pub_sock(ofts_bus_t *self);
//  High-water marks (messages) for both sockets; call before bind/connect.
void ofts_bus_set_hwm(ofts_bus_t *self, int hwm);
zsock_t *ofts_bus_sub_sock(ofts_bus_t *self);
//  Per-publisher SUB socket: publisher is a service name (bus.endpoints key).
int ofts_bus_connect_to(ofts_bus_t *self, const char *publisher, const char *endpoint);
void ofts_bus_subscribe_to(ofts_bus_t *self, const char *publisher, const char *prefix);
//  NULL for a publisher read directly (ofts_bus_set_direct).
zsock_t *ofts_bus_sub_sock_for(ofts_bus_t *self, const char *publisher);
//  Read each named publisher connected from now on with our own ZMTP
//  reader (ofts_zmtp.h), in the receiving thread, instead of a ZeroMQ SUB
//  socket: no I/O thread, no hand-over between threads, and each read takes
//  up to 256 KB of messages at once - what a watcher of the full md rate
//  (the monitor) costs the box is halved (docs/monitor.md). The same checks as a SUB
//  socket (ownership, MAC, sequence), the prefixes matched here (the
//  publisher sends it everything). Not for CURVE, inproc:// or the
//  anonymous socket: those keep a SUB socket.
void ofts_bus_set_direct(ofts_bus_t *self, bool direct);
//  A direct publisher's socket (-1: not connected now; it changes on every
//  reconnect), or -2 when publisher is not read directly.
int ofts_bus_direct_fd(ofts_bus_t *self, const char *publisher);
//  A direct publisher's reader is past the ZMTP handshake.
bool ofts_bus_direct_connected(ofts_bus_t *self, const char *publisher);
//  A message of publisher's is there to receive without waiting (its SUB
//  socket's queue, or a direct reader's buffer).
bool ofts_bus_pending(ofts_bus_t *self, const char *publisher);
//  Sign every publish with key (a MAC frame after the body) and accept on
//  per-publisher sockets only messages whose MAC checks. NULL: neither.
void ofts_bus_set_secret(ofts_bus_t *self, const uint8_t *key);
//  Whether a message taken off the wire by other means (the recorder's
//  own reader) - topic, body, MAC frame - is signed with key as the bus
//  signs: the check a per-publisher socket makes.
bool ofts_bus_mac_ok(const ofts_trust_mackey_t *key, const void *topic, size_t topic_len, const void *body,
                     size_t size, const void *mac, size_t mac_size);
//  The MAC frame the bus sends after body (for messages signed ahead of
//  sending: the benches' pre-signed publisher, bench/bench_presigned.h).
void ofts_bus_mac(const ofts_trust_mackey_t *key, const void *topic, size_t topic_len, const void *body, size_t size,
                  uint8_t mac[OFTS_TRUST_MAC_SIZE]);

//  The header as a publish stamps it (also for messages packed ahead):
//  source, seq, epoch, topic_seq, ts_event/ts_recv when not 0, ts_publish now.
void ofts_bus_stamp(Ofts__Header *hdr, const char *source, uint64_t seq, uint64_t epoch, uint64_t topic_seq,
                    int64_t ts_event, int64_t ts_recv);

//  Publish env under topic. If env->header is set, its ts_event/ts_recv are
//  kept and the rest is stamped; otherwise an internal header is used.
//  Returns 0 or -1 (not sent: logged, counted).
int ofts_bus_publish(ofts_bus_t *self, const char *topic, Ofts__Envelope *env);
//  Same, with the origin times given.
int ofts_bus_publish_ts(ofts_bus_t *self, const char *topic, Ofts__Envelope *env,
                        int64_t ts_event, int64_t ts_recv);

//  Send a message packed elsewhere (a recording's bytes, its header as it
//  was) exactly as publish sends one: topic, body, and the MAC on a signed
//  bus (ofts_bus_set_secret). 0 or -1 (no PUB socket, or the send failed).
int ofts_bus_send_packed(ofts_bus_t *self, const char *topic, size_t topic_len, const void *body, size_t size);

//  Receive one message. Blocks up to timeout_ms (-1 forever, 0 not at all).
//  Returns an Envelope the caller frees with ofts__envelope__free_unpacked(e, NULL),
//  and the topic copied into topic (NUL-terminated). NULL when nothing valid
//  arrived: timeout, interrupt, or a garbage frame (counted and logged).
Ofts__Envelope *ofts_bus_recv(ofts_bus_t *self, char *topic, size_t topic_size, int timeout_ms);
//  Same, on publisher's socket, with the ownership check.
Ofts__Envelope *ofts_bus_recv_from(ofts_bus_t *self, const char *publisher, char *topic, size_t topic_size,
                                   int timeout_ms);

//  Same as ofts_bus_recv_from, for a caller that uses the envelope and
//  forgets it (ofts_service's handlers): it is unpacked into the bus's arena
//  (no malloc per message part) and stays valid until ofts_bus_release(self,
//  &env) - the only way to free it. Receives may nest (a handler that
//  drains), released last-in first-out.
Ofts__Envelope *ofts_bus_recv_arena(ofts_bus_t *self, const char *publisher, char *topic, size_t topic_size,
                                    int timeout_ms);
void ofts_bus_release(ofts_bus_t *self, Ofts__Envelope **env_p);

//  Decode a raw (topic, payload) pair the same way recv does: used for frames
//  that did not come from the SUB socket (ctl replies, tests, fuzzing).
Ofts__Envelope *ofts_bus_decode(ofts_bus_t *self, const char *topic, const void *data, size_t size);

void ofts_bus_set_gap_handler(ofts_bus_t *self, ofts_bus_gap_fn *fn, void *arg);
//  Clone pattern: drop messages from `source` with seq <= floor (they are
//  already in a snapshot the caller applied). Fills are never dropped:
//  they carry their own de-duplication key (fill_id).
void ofts_bus_set_floor(ofts_bus_t *self, const char *source, uint64_t floor);
//  Same, for one life of the publisher only: messages of another epoch (the
//  publisher restarted, its seq began again at 1) pass. epoch 0 = any.
void ofts_bus_set_floor_epoch(ofts_bus_t *self, const char *source, uint64_t floor, uint64_t epoch);

//  Publish sys.heartbeat.<service>. now, with a free-text state.
int ofts_bus_heartbeat(ofts_bus_t *self, const char *state);

const char *ofts_bus_service(ofts_bus_t *self);
uint64_t ofts_bus_seq(ofts_bus_t *self);          //  last seq published
uint64_t ofts_bus_epoch(ofts_bus_t *self);
uint64_t ofts_bus_published(ofts_bus_t *self);
uint64_t ofts_bus_received(ofts_bus_t *self);
uint64_t ofts_bus_gaps(ofts_bus_t *self);         //  messages missing, in total
uint64_t ofts_bus_garbage(ofts_bus_t *self);      //  undecodable messages
uint64_t ofts_bus_dropped(ofts_bus_t *self);      //  below a snapshot floor
uint64_t ofts_bus_rejected(ofts_bus_t *self);     //  failed the ownership/MAC check

//  "md.trade" + "GC" -> "md.trade.GC."; returns buf.
const char *ofts_topic(char *buf, size_t size, const char *kind, const char *symbol);

#endif
