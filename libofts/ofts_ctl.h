/*  ofts_ctl - request/reply beside a service's PUB socket: snapshots (the
    zguide Clone pattern) and commands (pause/resume/flatten/kill).

    Server: a ROUTER bound at bus.endpoints.<service>.ctl. A request is one
    Envelope carrying SnapshotRequest or Command. The reply is zero or more
    (topic, Envelope) messages followed by an Envelope carrying SnapshotEnd
    with the publisher seq the state is consistent with.

    Client: ofts_ctl_snapshot() asks and collects; with ofts_bus_set_floor()
    the caller drops bus updates already contained in the snapshot.         */
#ifndef OFTS_CTL_H
#define OFTS_CTL_H
#include "ofts_bus.h"

typedef struct _ofts_ctl_t ofts_ctl_t;

ofts_ctl_t *ofts_ctl_new(const char *endpoint);          //  server; NULL on bind failure
void ofts_ctl_destroy(ofts_ctl_t **self_p);
zsock_t *ofts_ctl_sock(ofts_ctl_t *self);
//  Read the pending request (after the socket polled readable). NULL on garbage.
Ofts__Envelope *ofts_ctl_recv(ofts_ctl_t *self);
//  Reply to the request just received: any number of messages, then end.
int ofts_ctl_reply(ofts_ctl_t *self, const char *topic, Ofts__Envelope *env);
int ofts_ctl_reply_end(ofts_ctl_t *self, uint64_t seq);
//  End the reply to a command the service refuses; `why` is one line the
//  operator reads ("unknown symbol 'ZZ' (known: GC SI PL HG NQ)").
int ofts_ctl_reply_refuse(ofts_ctl_t *self, uint64_t seq, const char *why);
//  The epoch of the bus whose seq the replies quote (sent in SnapshotEnd).
void ofts_ctl_set_epoch(ofts_ctl_t *self, uint64_t epoch);
//  True once the current request got its end marker.
bool ofts_ctl_answered(ofts_ctl_t *self);
//  Commands refused for want of an operator credential (see s_authorize).
uint64_t ofts_ctl_denied(ofts_ctl_t *self);

//  Client. Called per message in the snapshot; env is freed after the call.
typedef void (ofts_ctl_item_fn)(void *arg, const char *topic, Ofts__Envelope *env);
//  Returns 0 and the snapshot seq, or -1 on time-out / garbage (logged).
int ofts_ctl_snapshot(const char *endpoint, const char *prefix, int timeout_ms,
                      ofts_ctl_item_fn *fn, void *arg, uint64_t *seq_out);
//  Same, also returning the publisher epoch the seq belongs to (0 if the
//  server did not say).
int ofts_ctl_snapshot_ex(const char *endpoint, const char *prefix, int timeout_ms,
                         ofts_ctl_item_fn *fn, void *arg, uint64_t *seq_out, uint64_t *epoch_out);
//  Send a command; 0 when the service acknowledged it within timeout_ms,
//  OFTS_CTL_REFUSED when it refused it (not an operator, or a command it
//  does not take: the reason comes back), -1 on time-out. The operator
//  credential is the process secret (ofts_trust) or, under CURVE, our key.
#define OFTS_CTL_REFUSED (-2)
int ofts_ctl_command(const char *endpoint, const Ofts__Command *cmd, int timeout_ms);
//  Same, with the refusal's reason copied into why (empty otherwise).
int ofts_ctl_command_ex(const char *endpoint, const Ofts__Command *cmd, int timeout_ms,
                        char *why, size_t whylen);

#endif
