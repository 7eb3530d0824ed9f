/*  ofts_ctl - see ofts_ctl.h. ROUTER on the server so one service answers
    many clients; DEALER on the client so one request can get a stream of
    replies (a snapshot) closed by an end marker.                          */
#include "ofts_ctl.h"
#include "ofts_curve.h"
#include "ofts_log.h"

#define END_TOPIC "ctl.end."

struct _ofts_ctl_t {
    zsock_t *router;
    zframe_t *peer;                 //  identity of the request being answered
    bool answered;
    uint64_t epoch;
};

ofts_ctl_t *
ofts_ctl_new(const char *endpoint)
{
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_set_linger(router, 200);
    if (ofts_curve_process())
        ofts_curve_apply_server(ofts_curve_process(), router);
    int rc = -1;
    for (int attempt = 0; attempt < 50 && rc < 0 && !zsys_interrupted; attempt++) {
        rc = zsock_bind(router, "%s", endpoint);
        if (rc < 0)
            zclock_sleep(100);
    }
    if (rc < 0) {
        log_error("ctl: cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        zsock_destroy(&router);
        return NULL;
    }
    ofts_ctl_t *self = calloc(1, sizeof *self);
    self->router = router;
    return self;
}

void
ofts_ctl_destroy(ofts_ctl_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ofts_ctl_t *self = *self_p;
    zframe_destroy(&self->peer);
    zsock_destroy(&self->router);
    free(self);
    *self_p = NULL;
}

zsock_t *ofts_ctl_sock(ofts_ctl_t *self) { return self->router; }
void ofts_ctl_set_epoch(ofts_ctl_t *self, uint64_t epoch) { self->epoch = epoch; }
bool ofts_ctl_answered(ofts_ctl_t *self) { return self->answered; }

Ofts__Envelope *
ofts_ctl_recv(ofts_ctl_t *self)
{
    zmsg_t *msg = zmsg_recv(self->router);
    if (!msg)
        return NULL;
    zframe_destroy(&self->peer);
    self->peer = zmsg_pop(msg);
    self->answered = false;
    zframe_t *body = zmsg_pop(msg);
    Ofts__Envelope *env = NULL;
    if (body && zmsg_size(msg) == 0)
        env = ofts__envelope__unpack(NULL, zframe_size(body), zframe_data(body));
    if (!env)
        log_warn("ctl: garbage request dropped");
    zframe_destroy(&body);
    zmsg_destroy(&msg);
    return env;
}

static int
s_send(ofts_ctl_t *self, const char *topic, Ofts__Envelope *env)
{
    if (!self->peer)
        return -1;
    size_t size = ofts__envelope__get_packed_size(env);
    zframe_t *body = zframe_new(NULL, size);
    ofts__envelope__pack(env, zframe_data(body));
    zmsg_t *msg = zmsg_new();
    zmsg_append(msg, &(zframe_t *) { zframe_dup(self->peer) });
    zmsg_addstr(msg, topic);
    zmsg_append(msg, &body);
    return zmsg_send(&msg, self->router);
}

int
ofts_ctl_reply(ofts_ctl_t *self, const char *topic, Ofts__Envelope *env)
{
    return s_send(self, topic, env);
}

int
ofts_ctl_reply_end(ofts_ctl_t *self, uint64_t seq)
{
    Ofts__SnapshotEnd end = OFTS__SNAPSHOT_END__INIT;
    end.seq = seq;
    end.epoch = self->epoch;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_SNAPSHOT_END;
    env.snapshot_end = &end;
    self->answered = true;
    return s_send(self, END_TOPIC, &env);
}

//  Client: send one request envelope, feed replies to fn until the end marker.
static int
s_request(const char *endpoint, Ofts__Envelope *request, int timeout_ms,
          ofts_ctl_item_fn *fn, void *arg, uint64_t *seq_out, uint64_t *epoch_out)
{
    zsock_t *dealer = zsock_new(ZMQ_DEALER);
    zsock_set_linger(dealer, 0);
    if (ofts_curve_process() && ofts_curve_apply_client(ofts_curve_process(), dealer, endpoint) != 0) {
        zsock_destroy(&dealer);
        return -1;
    }
    if (zsock_connect(dealer, "%s", endpoint) < 0) {
        log_error("ctl: cannot connect %s", endpoint);
        zsock_destroy(&dealer);
        return -1;
    }
    size_t size = ofts__envelope__get_packed_size(request);
    zframe_t *frame = zframe_new(NULL, size);
    ofts__envelope__pack(request, zframe_data(frame));
    zframe_send(&frame, dealer, 0);

    int rc = -1;
    int64_t deadline = zclock_mono() + timeout_ms;
    zpoller_t *poller = zpoller_new(dealer, NULL);
    while (!zsys_interrupted) {
        int64_t left = deadline - zclock_mono();
        if (left <= 0 || !zpoller_wait(poller, (int) left))
            break;
        zmsg_t *msg = zmsg_recv(dealer);
        char *topic = msg ? zmsg_popstr(msg) : NULL;
        zframe_t *body = msg ? zmsg_pop(msg) : NULL;
        Ofts__Envelope *env = body ? ofts__envelope__unpack(NULL, zframe_size(body), zframe_data(body)) : NULL;
        bool end = env && topic && strcmp(topic, END_TOPIC) == 0;
        if (!env)
            log_warn("ctl: garbage reply from %s dropped", endpoint);
        else if (end) {
            if (seq_out)
                *seq_out = env->snapshot_end ? env->snapshot_end->seq : 0;
            if (epoch_out)
                *epoch_out = env->snapshot_end ? env->snapshot_end->epoch : 0;
            rc = 0;
        }
        else if (fn)
            fn(arg, topic, env);
        if (env)
            ofts__envelope__free_unpacked(env, NULL);
        zstr_free(&topic);
        zframe_destroy(&body);
        zmsg_destroy(&msg);
        if (end)
            break;
    }
    if (rc != 0)
        log_warn("ctl: no complete answer from %s within %d ms", endpoint, timeout_ms);
    zpoller_destroy(&poller);
    zsock_destroy(&dealer);
    return rc;
}

int
ofts_ctl_snapshot(const char *endpoint, const char *prefix, int timeout_ms,
                  ofts_ctl_item_fn *fn, void *arg, uint64_t *seq_out)
{
    return ofts_ctl_snapshot_ex(endpoint, prefix, timeout_ms, fn, arg, seq_out, NULL);
}

int
ofts_ctl_snapshot_ex(const char *endpoint, const char *prefix, int timeout_ms,
                     ofts_ctl_item_fn *fn, void *arg, uint64_t *seq_out, uint64_t *epoch_out)
{
    Ofts__SnapshotRequest req = OFTS__SNAPSHOT_REQUEST__INIT;
    req.prefix = (char *) (prefix ? prefix : "");
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_SNAPSHOT_REQUEST;
    env.snapshot_request = &req;
    return s_request(endpoint, &env, timeout_ms, fn, arg, seq_out, epoch_out);
}

int
ofts_ctl_command(const char *endpoint, const Ofts__Command *cmd, int timeout_ms)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_COMMAND;
    env.command = (Ofts__Command *) cmd;
    return s_request(endpoint, &env, timeout_ms, NULL, NULL, NULL, NULL);
}
