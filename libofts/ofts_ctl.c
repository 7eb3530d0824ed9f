/*  ofts_ctl - see ofts_ctl.h. ROUTER on the server so one service answers
    many clients; DEALER on the client so one request can get a stream of
    replies (a snapshot) closed by an end marker.                          */
#include "ofts_ctl.h"
#include "ofts_clock.h"
#include "ofts_curve.h"
#include "ofts_log.h"
#include "ofts_trust.h"

#define END_TOPIC "ctl.end."
#define DENIED_TOPIC "ctl.denied."
#define CMD_DOMAIN "ofts-ctl-command"
#define REPLY_DOMAIN "ofts-ctl-reply"
#define SEEN_MACS 64

struct _ofts_ctl_t {
    zsock_t *router;
    zframe_t *peer;                 //  identity of the request being answered
    bool answered;
    uint64_t epoch;
    uint64_t denied;
    uint8_t seen[SEEN_MACS][16];    //  recent command MACs: a replay is refused
    size_t nseen;
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
        log_error("ctl: cannot bind %s: %s: another process holds this service's control endpoint; "
                  "refusing to run", endpoint, zmq_strerror(zmq_errno()));
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
uint64_t ofts_ctl_denied(ofts_ctl_t *self) { return self->denied; }

//  Signed-command check (no CURVE): auth = 8-byte clock (ns, big-endian)
//  + MAC over (clock, body). Fresh (within the window) and never seen.
static const char *
s_check_signed(ofts_ctl_t *self, const uint8_t *secret, zframe_t *body, zframe_t *auth)
{
    if (!auth || zframe_size(auth) != 8 + OFTS_TRUST_MAC_SIZE)
        return "no operator credential";
    const uint8_t *a = zframe_data(auth);
    if (!ofts_trust_mac_ok(secret, CMD_DOMAIN, a, 8, zframe_data(body), zframe_size(body), a + 8,
                           OFTS_TRUST_MAC_SIZE))
        return "bad operator credential";
    int64_t ts = 0;
    for (int i = 0; i < 8; i++)
        ts = (int64_t) ((uint64_t) ts << 8 | a[i]);
    int64_t skew = ofts_clock_now_ns() - ts;
    if (skew > OFTS_TRUST_CMD_WINDOW_NS || skew < -OFTS_TRUST_CMD_WINDOW_NS)
        return "stale credential (clock off by more than 60 s, or a replay)";
    size_t n = self->nseen < SEEN_MACS ? self->nseen : SEEN_MACS;
    for (size_t i = 0; i < n; i++)
        if (memcmp(self->seen[i], a + 8, 16) == 0)
            return "replayed command";
    memcpy(self->seen[self->nseen++ % SEEN_MACS], a + 8, 16);
    return NULL;
}

//  Who may command: under CURVE the client's key must be an operator key
//  (ZAP put it in the frame's User-Id); otherwise the request must carry
//  the bus secret's signature. Snapshots stay open to any admitted reader.
static const char *
s_authorize(ofts_ctl_t *self, zframe_t *body, zframe_t *auth)
{
    ofts_curve_t *curve = ofts_curve_process();
    if (curve) {
        const char *key = zframe_meta(body, "User-Id");
        return key && ofts_curve_is_operator(curve, key) ? NULL : "client key is not an operator key";
    }
    const uint8_t *secret = ofts_trust_process_secret();
    if (!secret)
        return "no operator credential configured";
    return s_check_signed(self, secret, body, auth);
}

static int s_send(ofts_ctl_t *self, const char *topic, Ofts__Envelope *env);

//  Tell the client no, so it fails at once with a clear line.
static void
s_deny(ofts_ctl_t *self, const char *why)
{
    self->denied++;
    char detail[160];
    snprintf(detail, sizeof detail, "ctl command: %s", why);
    ofts_trust_log_drop("unauthorized command", detail, self->denied);
    Ofts__SnapshotEnd end = OFTS__SNAPSHOT_END__INIT;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_SNAPSHOT_END;
    env.snapshot_end = &end;
    s_send(self, DENIED_TOPIC, &env);
    self->answered = true;
}

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
    zframe_t *auth = zmsg_pop(msg);
    Ofts__Envelope *env = NULL;
    if (body && zmsg_size(msg) == 0)
        env = ofts__envelope__unpack(NULL, zframe_size(body), zframe_data(body));
    if (!env)
        log_warn("ctl: garbage request dropped");
    else if (env->body_case != OFTS__ENVELOPE__BODY_SNAPSHOT_REQUEST) {
        const char *why = s_authorize(self, body, auth);
        if (why) {
            s_deny(self, why);
            ofts__envelope__free_unpacked(env, NULL);
            env = NULL;
        }
    }
    zframe_destroy(&body);
    zframe_destroy(&auth);
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
    //  Signed replies: a process squatting on a ctl endpoint cannot feed a
    //  client (risk's reconcile) a made-up snapshot.
    const uint8_t *secret = ofts_trust_process_secret();
    uint8_t mac[OFTS_TRUST_MAC_SIZE];
    if (secret)
        ofts_trust_mac(secret, REPLY_DOMAIN, topic, strlen(topic), zframe_data(body), zframe_size(body), mac);
    zmsg_append(msg, &body);
    if (secret)
        zmsg_addmem(msg, mac, sizeof mac);
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
    return ofts_ctl_reply_refuse(self, seq, NULL);
}

int
ofts_ctl_reply_refuse(ofts_ctl_t *self, uint64_t seq, const char *why)
{
    Ofts__SnapshotEnd end = OFTS__SNAPSHOT_END__INIT;
    end.seq = seq;
    end.epoch = self->epoch;
    if (why && *why)
        end.refused = (char *) why;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_SNAPSHOT_END;
    env.snapshot_end = &end;
    self->answered = true;
    return s_send(self, END_TOPIC, &env);
}

//  Client: send one request envelope, feed replies to fn until the end marker.
//  Where a request's answer goes besides the items: the end marker's fields.
typedef struct {
    uint64_t seq;
    uint64_t epoch;
    char *why;                      //  the refusal, if any (caller's buffer)
    size_t whylen;
} s_answer_t;

static int
s_request(const char *endpoint, Ofts__Envelope *request, int timeout_ms,
          ofts_ctl_item_fn *fn, void *arg, s_answer_t *answer)
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
    //  A command carries the operator credential (without CURVE): the time
    //  and a MAC over time and request, keyed by the bus secret.
    const uint8_t *secret = ofts_trust_process_secret();
    if (secret && request->body_case == OFTS__ENVELOPE__BODY_COMMAND) {
        uint8_t auth[8 + OFTS_TRUST_MAC_SIZE];
        uint64_t ts = (uint64_t) ofts_clock_now_ns();
        for (int i = 0; i < 8; i++)
            auth[i] = (uint8_t) (ts >> (56 - 8 * i));
        ofts_trust_mac(secret, CMD_DOMAIN, auth, 8, zframe_data(frame), size, auth + 8);
        zframe_send(&frame, dealer, ZFRAME_MORE);
        zsock_send(dealer, "b", auth, sizeof auth);
    }
    else
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
        zframe_t *mac = msg ? zmsg_pop(msg) : NULL;
        //  A refusal needs no signature: believing a forged one only makes
        //  the command fail, and the key holders can then tell it clearly.
        bool genuine = topic && body
            && (!secret || strcmp(topic, DENIED_TOPIC) == 0
                || (mac && ofts_trust_mac_ok(secret, REPLY_DOMAIN, topic, strlen(topic), zframe_data(body),
                                                     zframe_size(body), zframe_data(mac), zframe_size(mac))));
        zframe_destroy(&mac);
        Ofts__Envelope *env = genuine ? ofts__envelope__unpack(NULL, zframe_size(body), zframe_data(body)) : NULL;
        bool denied = env && strcmp(topic, DENIED_TOPIC) == 0;
        bool end = env && (denied || strcmp(topic, END_TOPIC) == 0);
        if (!env)
            log_warn("ctl: %s reply from %s dropped", genuine ? "garbage" : "unsigned or forged", endpoint);
        else if (denied) {
            log_error("ctl: %s refused the command: not authorized (operator credential missing or wrong)",
                      endpoint);
            rc = OFTS_CTL_REFUSED;
            if (answer->why)
                snprintf(answer->why, answer->whylen, "not authorized (operator credential missing or wrong)");
        }
        else if (end) {
            Ofts__SnapshotEnd *se = env->snapshot_end;
            answer->seq = se ? se->seq : 0;
            answer->epoch = se ? se->epoch : 0;
            rc = 0;
            if (se && se->refused && *se->refused) {
                rc = OFTS_CTL_REFUSED;
                if (answer->why)
                    snprintf(answer->why, answer->whylen, "%s", se->refused);
            }
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
    if (rc == -1)
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
    s_answer_t answer = { 0 };
    int rc = s_request(endpoint, &env, timeout_ms, fn, arg, &answer);
    if (seq_out && rc == 0)
        *seq_out = answer.seq;
    if (epoch_out && rc == 0)
        *epoch_out = answer.epoch;
    return rc;
}

int
ofts_ctl_command(const char *endpoint, const Ofts__Command *cmd, int timeout_ms)
{
    return ofts_ctl_command_ex(endpoint, cmd, timeout_ms, NULL, 0);
}

int
ofts_ctl_command_ex(const char *endpoint, const Ofts__Command *cmd, int timeout_ms,
                    char *why, size_t whylen)
{
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_COMMAND;
    env.command = (Ofts__Command *) cmd;
    if (why && whylen)
        *why = '\0';
    s_answer_t answer = { .why = why, .whylen = whylen };
    return s_request(endpoint, &env, timeout_ms, NULL, NULL, &answer);
}
