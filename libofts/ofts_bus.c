/*  ofts_bus - see ofts_bus.h. The hot path is publish/recv: one packed buffer
    reused across publishes, raw zmq_send/zmq_msg_recv (no zmsg allocation),
    and one hash lookup per message for the per-topic sequence.            */
#include "ofts_bus.h"
#include "ofts_fastpb.h"
#include "ofts_clock.h"
#include "ofts_curve.h"
#include "ofts_log.h"
#include "ofts_trust.h"
#include "ofts_zmtp.h"
#include <assert.h>
#include <poll.h>
#include <stddef.h>
#include <unistd.h>

//  Under AddressSanitizer released arena memory is poisoned, so a handler
//  that keeps a pointer into a borrowed envelope is caught as it was when
//  every envelope was malloc'd.
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_POISON(p, n) ((void) (p), (void) (n))
#define ARENA_UNPOISON(p, n) ((void) (p), (void) (n))
#endif

#define TOPIC_MAX 256
#define MAX_SUBS 16
#define MAX_PREFIXES 16
#define BUS_MAC_DOMAIN "ofts-bus"

//  One SUB socket per publisher: which socket a message arrived on is the
//  only thing a publisher cannot forge, so ownership is checked against it.
//  publisher "" is the anonymous socket tools use (no ownership check).
//  A direct one (ofts_bus_set_direct) has no SUB socket: its own ZMTP
//  reader gets everything the publisher sends, and the prefixes asked for
//  are matched here.
typedef struct {
    char publisher[48];
    zsock_t *sock;                  //  made on first use (never for a direct one)
    int rcvtimeo;                   //  ZMQ_RCVTIMEO currently set (-2: unset)
    ofts_zmtp_t *zmtp;              //  direct: the publisher's socket, read here
    char *prefixes[MAX_PREFIXES];
    size_t nprefixes;
} s_sub_t;

typedef struct {
    uint64_t epoch;
    uint64_t last;                  //  last topic_seq seen
} s_stream_t;

typedef struct {
    uint64_t seq;
    uint64_t epoch;                 //  0: any life of the publisher
} s_floor_t;

//  Where ofts_bus_recv_arena unpacks: a bump allocator (protobuf-c makes one
//  allocation per message part - a 10-level book is 14), handed back all at
//  once. Nested receives (a handler that drains, a lockstep await) stack on
//  top: each release returns to its own mark.
#define ARENA_SIZE (256 * 1024)
#define ARENA_DEPTH 16

typedef struct s_big {              //  what did not fit in the block
    struct s_big *next;
    max_align_t data[];
} s_big_t;

typedef struct {
    size_t used;
    s_big_t *big;
} s_mark_t;

typedef struct {
    uint8_t *block;
    size_t used;
    s_big_t *big;
    s_mark_t marks[ARENA_DEPTH];
    size_t depth;                   //  receives not yet released (may exceed ARENA_DEPTH)
    ProtobufCAllocator allocator;
} s_arena_t;

struct _ofts_bus_t {
    char service[64];
    zsock_t *pub;
    s_sub_t subs[MAX_SUBS];
    size_t nsubs;
    int hwm;
    bool direct;                    //  ofts_bus_set_direct
    ofts_trust_mackey_t mackey;     //  the bus secret, ready to MAC (ofts_trust.h)
    bool signed_bus;                //  sign what we publish, demand MACs from owners
    uint64_t seq;
    uint64_t epoch;
    zhashx_t *topic_seqs;           //  topic -> uint64_t* (publisher side)
    zhashx_t *streams;              //  "source\x1ftopic" -> s_stream_t* (subscriber side)
    zhashx_t *floors;               //  source -> s_floor_t*
    uint8_t *buf;
    size_t buf_size;
    ofts_bus_gap_fn *gap_fn;
    void *gap_arg;
    uint64_t published, received, gaps, garbage, dropped, send_failures, rejected;
    int64_t started_mono;
    s_arena_t arena;
};

static void
s_free(void **item)
{
    free(*item);
    *item = NULL;
}

ofts_bus_t *
ofts_bus_new(const char *service)
{
    ofts_bus_t *self = calloc(1, sizeof *self);
    snprintf(self->service, sizeof self->service, "%s", service);
    self->hwm = 200000;
    //  The epoch tells subscribers "this is a new life of the publisher":
    //  seq restarts at 1 and must not be mistaken for a gap.
    self->epoch = (uint64_t) ofts_clock_now_ns();
    self->topic_seqs = zhashx_new();
    zhashx_set_destructor(self->topic_seqs, s_free);
    self->streams = zhashx_new();
    zhashx_set_destructor(self->streams, s_free);
    self->floors = zhashx_new();
    zhashx_set_destructor(self->floors, s_free);
    self->started_mono = ofts_clock_mono_ns();
    return self;
}

void
ofts_bus_destroy(ofts_bus_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ofts_bus_t *self = *self_p;
    zsock_destroy(&self->pub);
    for (size_t i = 0; i < self->nsubs; i++) {
        zsock_destroy(&self->subs[i].sock);
        ofts_zmtp_destroy(&self->subs[i].zmtp);
        for (size_t j = 0; j < self->subs[i].nprefixes; j++)
            free(self->subs[i].prefixes[j]);
    }
    zhashx_destroy(&self->topic_seqs);
    zhashx_destroy(&self->streams);
    zhashx_destroy(&self->floors);
    free(self->buf);
    while (self->arena.big) {
        s_big_t *next = self->arena.big->next;
        free(self->arena.big);
        self->arena.big = next;
    }
    if (self->arena.block)
        ARENA_UNPOISON(self->arena.block, ARENA_SIZE);
    free(self->arena.block);
    free(self);
    *self_p = NULL;
}

void ofts_bus_set_hwm(ofts_bus_t *self, int hwm) { self->hwm = hwm; }

int
ofts_bus_bind(ofts_bus_t *self, const char *endpoint)
{
    if (!self->pub) {
        self->pub = zsock_new(ZMQ_PUB);
        zsock_set_sndhwm(self->pub, self->hwm);
        //  Let a final burst (end of replay, last fills) leave before exit.
        zsock_set_linger(self->pub, 500);
        if (ofts_curve_process())
            ofts_curve_apply_server(ofts_curve_process(), self->pub);
    }
    //  A restarted service may find its old port still held for a moment.
    for (int attempt = 0; attempt < 50; attempt++) {
        if (zsock_bind(self->pub, "%s", endpoint) >= 0) {
            log_debug("bus: publishing on %s", endpoint);
            return 0;
        }
        if (zsys_interrupted)
            break;
        zclock_sleep(100);
    }
    log_error("bus: cannot bind %s: %s: another process holds %s's endpoint; refusing to run", endpoint,
              zmq_strerror(zmq_errno()), self->service);
    return -1;
}

//  The SUB socket for publisher (NULL or "": the anonymous one), made on
//  first use. NULL only when more publishers than MAX_SUBS are named.
static s_sub_t *
s_sub(ofts_bus_t *self, const char *publisher)
{
    if (!publisher)
        publisher = "";
    for (size_t i = 0; i < self->nsubs; i++)
        if (strcmp(self->subs[i].publisher, publisher) == 0)
            return &self->subs[i];
    if (self->nsubs == MAX_SUBS) {
        log_error("bus: more than %d publishers", MAX_SUBS);
        return NULL;
    }
    s_sub_t *sub = &self->subs[self->nsubs++];
    snprintf(sub->publisher, sizeof sub->publisher, "%s", publisher);
    sub->rcvtimeo = -2;
    return sub;
}

//  Its SUB socket, made now if it has none yet; NULL for a direct one.
static zsock_t *
s_sock(ofts_bus_t *self, s_sub_t *sub)
{
    if (!sub->sock && !sub->zmtp) {
        sub->sock = zsock_new(ZMQ_SUB);
        zsock_set_rcvhwm(sub->sock, self->hwm);
    }
    return sub->sock;
}

void ofts_bus_set_direct(ofts_bus_t *self, bool direct) { self->direct = direct; }

//  A named publisher's first endpoint, read by our own ZMTP reader when
//  the bus is set direct and not encrypted (the reader has no CURVE).
static bool
s_connect_direct(ofts_bus_t *self, s_sub_t *sub, const char *endpoint)
{
    if (!self->direct || !*sub->publisher || sub->sock || sub->zmtp || ofts_curve_process())
        return false;
    if (!(sub->zmtp = ofts_zmtp_new(endpoint)))
        return false;               //  inproc:// and the like: a SUB socket
    log_info("bus: reading publisher %s at %s directly (own ZMTP reader)", sub->publisher, endpoint);
    return true;
}

int
ofts_bus_connect_to(ofts_bus_t *self, const char *publisher, const char *endpoint)
{
    s_sub_t *sub = s_sub(self, publisher);
    if (!sub)
        return -1;
    if (s_connect_direct(self, sub, endpoint))
        return 0;
    if (sub->zmtp) {
        log_error("bus: publisher %s is read directly at %s: cannot add %s", sub->publisher,
                  ofts_zmtp_endpoint(sub->zmtp), endpoint);
        return -1;
    }
    s_sock(self, sub);
    //  The server key is a per-connect option: set it just before connecting.
    if (ofts_curve_process() && ofts_curve_apply_client(ofts_curve_process(), sub->sock, endpoint) != 0)
        return -1;
    if (zsock_connect(sub->sock, "%s", endpoint) < 0) {
        log_error("bus: cannot connect %s: %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    log_debug("bus: subscribed to publisher %s at %s", *sub->publisher ? sub->publisher : "(any)", endpoint);
    return 0;
}

int
ofts_bus_connect(ofts_bus_t *self, const char *endpoint)
{
    return ofts_bus_connect_to(self, NULL, endpoint);
}

void
ofts_bus_subscribe_to(ofts_bus_t *self, const char *publisher, const char *prefix)
{
    s_sub_t *sub = s_sub(self, publisher);
    if (!sub)
        return;
    if (!sub->zmtp)
        zsock_set_subscribe(s_sock(self, sub), prefix);
    else if (sub->nprefixes < MAX_PREFIXES)
        sub->prefixes[sub->nprefixes++] = strdup(prefix);
    else
        log_error("bus: more than %d prefixes on publisher %s: '%s' not taken", MAX_PREFIXES, sub->publisher, prefix);
}

void
ofts_bus_subscribe(ofts_bus_t *self, const char *prefix)
{
    ofts_bus_subscribe_to(self, NULL, prefix);
}

void
ofts_bus_unsubscribe(ofts_bus_t *self, const char *prefix)
{
    for (size_t i = 0; i < self->nsubs; i++) {
        s_sub_t *sub = &self->subs[i];
        if (sub->sock)
            zsock_set_unsubscribe(sub->sock, prefix);
        for (size_t j = 0; j < sub->nprefixes; j++)
            if (strcmp(sub->prefixes[j], prefix) == 0) {
                free(sub->prefixes[j]);
                sub->prefixes[j--] = sub->prefixes[--sub->nprefixes];
            }
    }
}

zsock_t *ofts_bus_pub_sock(ofts_bus_t *self) { return self->pub; }

zsock_t *
ofts_bus_sub_sock_for(ofts_bus_t *self, const char *publisher)
{
    s_sub_t *sub = s_sub(self, publisher);
    return sub ? s_sock(self, sub) : NULL;
}

int
ofts_bus_direct_fd(ofts_bus_t *self, const char *publisher)
{
    s_sub_t *sub = s_sub(self, publisher);
    return sub && sub->zmtp ? ofts_zmtp_fd(sub->zmtp) : -2;
}

bool
ofts_bus_direct_connected(ofts_bus_t *self, const char *publisher)
{
    s_sub_t *sub = s_sub(self, publisher);
    return sub && sub->zmtp && ofts_zmtp_connected(sub->zmtp);
}

bool
ofts_bus_pending(ofts_bus_t *self, const char *publisher)
{
    s_sub_t *sub = s_sub(self, publisher);
    if (!sub)
        return false;
    if (sub->zmtp)
        return ofts_zmtp_pending(sub->zmtp);
    return zsock_events(s_sock(self, sub)) & ZMQ_POLLIN;
}

zsock_t *ofts_bus_sub_sock(ofts_bus_t *self) { return ofts_bus_sub_sock_for(self, NULL); }

void
ofts_bus_set_secret(ofts_bus_t *self, const uint8_t *key)
{
    self->signed_bus = key != NULL;
    if (key)
        ofts_trust_mackey_init(&self->mackey, key);
}

static uint64_t
s_next_topic_seq(ofts_bus_t *self, const char *topic)
{
    uint64_t *seq = zhashx_lookup(self->topic_seqs, topic);
    if (!seq) {
        seq = calloc(1, sizeof *seq);
        zhashx_insert(self->topic_seqs, topic, seq);
    }
    return ++*seq;
}

void
ofts_bus_stamp(Ofts__Header *hdr, const char *source, uint64_t seq, uint64_t epoch, uint64_t topic_seq,
               int64_t ts_event, int64_t ts_recv)
{
    hdr->source = (char *) source;
    hdr->seq = seq;
    hdr->epoch = epoch;
    hdr->topic_seq = topic_seq;
    if (ts_event)
        hdr->ts_event = ts_event;
    if (ts_recv)
        hdr->ts_recv = ts_recv;
    hdr->ts_publish = ofts_clock_now_ns();
}

int
ofts_bus_publish_ts(ofts_bus_t *self, const char *topic, Ofts__Envelope *env,
                    int64_t ts_event, int64_t ts_recv)
{
    if (!self->pub) {
        log_error("bus: publish on %s without a bound PUB socket", topic);
        return -1;
    }
    Ofts__Header local = OFTS__HEADER__INIT;
    Ofts__Header *saved = env->header;
    Ofts__Header *hdr = saved ? saved : &local;
    ofts_bus_stamp(hdr, self->service, ++self->seq, self->epoch, s_next_topic_seq(self, topic), ts_event, ts_recv);
    env->header = hdr;

    size_t size = ofts__envelope__get_packed_size(env);
    if (size > self->buf_size) {
        self->buf_size = size * 2 + 64;
        self->buf = realloc(self->buf, self->buf_size);
    }
    ofts__envelope__pack(env, self->buf);
    //  Do not leave a pointer to our stack frame in the caller's envelope.
    env->header = saved;
    if (saved)
        saved->source = NULL;

    return ofts_bus_send_packed(self, topic, strlen(topic), self->buf, size);
}

//  The one place a message leaves a PUB socket, signed on a signed bus.
int
ofts_bus_send_packed(ofts_bus_t *self, const char *topic, size_t topic_len, const void *body, size_t size)
{
    if (!self->pub)
        return -1;
    void *handle = zsock_resolve(self->pub);
    uint8_t mac[OFTS_TRUST_MAC_SIZE];
    if (self->signed_bus)
        ofts_trust_mac_with(&self->mackey, BUS_MAC_DOMAIN, topic, topic_len, body, size, mac);
    if (zmq_send(handle, topic, topic_len, ZMQ_SNDMORE) < 0
        || zmq_send(handle, body, size, self->signed_bus ? ZMQ_SNDMORE : 0) < 0
        || (self->signed_bus && zmq_send(handle, mac, sizeof mac, 0) < 0)) {
        self->send_failures++;
        log_warn("bus: send on %.*s failed: %s", (int) topic_len, topic, zmq_strerror(zmq_errno()));
        return -1;
    }
    self->published++;
    return 0;
}

int
ofts_bus_publish(ofts_bus_t *self, const char *topic, Ofts__Envelope *env)
{
    return ofts_bus_publish_ts(self, topic, env, 0, 0);
}

static void
s_check_sequence(ofts_bus_t *self, const char *topic, const Ofts__Header *hdr)
{
    //  "source\x1ftopic", built by hand: snprintf was a tenth of the
    //  receive path's own time.
    char key[TOPIC_MAX + 80];
    size_t ns = strnlen(hdr->source, 79), nt = strnlen(topic, TOPIC_MAX - 1);
    memcpy(key, hdr->source, ns);
    key[ns] = '\x1f';
    memcpy(key + ns + 1, topic, nt);
    key[ns + 1 + nt] = '\0';
    s_stream_t *stream = zhashx_lookup(self->streams, key);
    if (!stream) {
        //  First message of this stream: nothing to compare with (a late
        //  joiner re-syncs by snapshot, not by counting what it never saw).
        stream = calloc(1, sizeof *stream);
        stream->epoch = hdr->epoch;
        stream->last = hdr->topic_seq;
        zhashx_insert(self->streams, key, stream);
        return;
    }
    if (stream->epoch != hdr->epoch) {
        log_info("bus: %s restarted (new epoch) on %s, seq %llu", hdr->source, topic,
                 (unsigned long long) hdr->topic_seq);
        stream->epoch = hdr->epoch;
        stream->last = hdr->topic_seq;
        return;
    }
    if (hdr->topic_seq > stream->last + 1) {
        uint64_t missing = hdr->topic_seq - stream->last - 1;
        self->gaps += missing;
        log_warn("bus: gap from %s on %s: %llu missing (seq %llu..%llu)", hdr->source, topic,
                 (unsigned long long) missing, (unsigned long long) stream->last + 1,
                 (unsigned long long) hdr->topic_seq - 1);
        if (self->gap_fn)
            self->gap_fn(self->gap_arg, hdr->source, topic, missing);
    }
    if (hdr->topic_seq > stream->last)
        stream->last = hdr->topic_seq;
}

//  --- the receive arena ---------------------------------------------------


static void *
s_arena_alloc(void *data, size_t size)
{
    s_arena_t *a = data;
    size = (size + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
    if (a->used + size <= ARENA_SIZE) {
        void *p = a->block + a->used;
        a->used += size;
        ARENA_UNPOISON(p, size);
        return p;
    }
    s_big_t *big = malloc(sizeof *big + size);
    if (!big)
        return NULL;
    big->next = a->big;
    a->big = big;
    return big->data;
}

static void
s_arena_free(void *data, void *p)
{
    (void) data;                    //  all at once, in s_arena_pop
    (void) p;
}

//  The allocator for the next unpack: the arena's while marks are left,
//  else plain malloc (NULL), which ofts_bus_release then frees as such.
static ProtobufCAllocator *
s_arena_push(ofts_bus_t *self)
{
    s_arena_t *a = &self->arena;
    if (!a->block) {
        a->block = malloc(ARENA_SIZE);
        ARENA_POISON(a->block, ARENA_SIZE);
        a->allocator = (ProtobufCAllocator) { .alloc = s_arena_alloc, .free = s_arena_free, .allocator_data = a };
    }
    size_t depth = a->depth++;
    if (depth >= ARENA_DEPTH)
        return NULL;
    a->marks[depth] = (s_mark_t) { .used = a->used, .big = a->big };
    return &a->allocator;
}

static void
s_arena_pop(ofts_bus_t *self, Ofts__Envelope *env)
{
    s_arena_t *a = &self->arena;
    assert(a->depth > 0);
    size_t depth = --a->depth;
    if (depth >= ARENA_DEPTH) {
        if (env)
            ofts__envelope__free_unpacked(env, NULL);
        return;
    }
    while (a->big != a->marks[depth].big) {
        s_big_t *next = a->big->next;
        free(a->big);
        a->big = next;
    }
    ARENA_POISON(a->block + a->marks[depth].used, a->used - a->marks[depth].used);
    a->used = a->marks[depth].used;
}

static Ofts__Envelope *
s_unpack(ofts_bus_t *self, const char *topic, const void *data, size_t size, ProtobufCAllocator *alloc)
{
    //  md bodies by our own decoder (ofts_fastpb.h); the rest, and anything
    //  it gives up on, by protobuf-c.
    Ofts__Envelope *env = ofts_fastpb_envelope(alloc, size, data);
    if (!env)
        env = ofts__envelope__unpack(alloc, size, data);
    if (!env || !env->header || !env->header->source) {
        self->garbage++;
        log_warn("bus: garbage message on '%.64s' (%zu bytes) dropped; %llu so far", topic, size,
                 (unsigned long long) self->garbage);
        if (env)
            ofts__envelope__free_unpacked(env, alloc);
        return NULL;
    }
    return env;
}

//  Snapshot floor and sequence accounting, for a message we accept.
static Ofts__Envelope *
s_admit(ofts_bus_t *self, const char *topic, Ofts__Envelope *env, ProtobufCAllocator *alloc)
{
    s_floor_t *floor = zhashx_lookup(self->floors, env->header->source);
    //  A fill is an event with its own key (fill_id) that subscribers
    //  de-duplicate: a floor never drops one, even if the snapshot it
    //  crossed may have held it (issue 11: a snapshot that did not lost it).
    //  A lockstep mark is no part of any snapshot either: dropping one
    //  stalled a lockstep replay for 10 s after a reconcile.
    bool kept = env->body_case == OFTS__ENVELOPE__BODY_FILL || env->body_case == OFTS__ENVELOPE__BODY_SYNC;
    if (floor && !kept && env->header->seq <= floor->seq
        && (!floor->epoch || floor->epoch == env->header->epoch)) {
        self->dropped++;
        //  Held by the snapshot, so not missing: count it as seen, or the
        //  next message on its topic reports a gap (and risk reconciles
        //  again, and drops again).
        s_check_sequence(self, topic, env->header);
        ofts__envelope__free_unpacked(env, alloc);
        return NULL;
    }
    self->received++;
    s_check_sequence(self, topic, env->header);
    return env;
}

Ofts__Envelope *
ofts_bus_decode(ofts_bus_t *self, const char *topic, const void *data, size_t size)
{
    Ofts__Envelope *env = s_unpack(self, topic, data, size, NULL);
    return env ? s_admit(self, topic, env, NULL) : NULL;
}

static void
s_reject(ofts_bus_t *self, const s_sub_t *sub, const char *topic, const char *source, const char *why)
{
    self->rejected++;
    char detail[400];
    snprintf(detail, sizeof detail, "'%.64s' on %s's socket, header source '%.48s': %s", topic, sub->publisher,
             source ? source : "?", why);
    ofts_trust_log_drop(why, detail, self->rejected);
}

bool
ofts_bus_mac_ok(const ofts_trust_mackey_t *key, const void *topic, size_t topic_len, const void *body, size_t size,
                const void *mac, size_t mac_size)
{
    return ofts_trust_mac_with_ok(key, BUS_MAC_DOMAIN, topic, topic_len, body, size, mac, mac_size);
}

//  The trust check of an owned socket (see ofts_trust.h): the MAC first
//  (a forged message is not even parsed), then owner, source and body.
//  mac NULL: the message had no MAC frame.
static Ofts__Envelope *
s_accept(ofts_bus_t *self, const s_sub_t *sub, const char *topic, const void *body, size_t size, const void *mac,
         size_t mac_size, ProtobufCAllocator *alloc)
{
    Ofts__Envelope *env;
    if (!*sub->publisher) {
        env = s_unpack(self, topic, body, size, alloc);
        return env ? s_admit(self, topic, env, alloc) : NULL;
    }
    if (self->signed_bus
        && (!mac || !ofts_bus_mac_ok(&self->mackey, topic, strlen(topic), body, size, mac, mac_size))) {
        s_reject(self, sub, topic, NULL, mac ? "bad MAC (not signed with the bus secret)" : "unsigned message");
        return NULL;
    }
    env = s_unpack(self, topic, body, size, alloc);
    if (!env)
        return NULL;
    const char *why = ofts_trust_check(sub->publisher, topic, env);
    if (why) {
        s_reject(self, sub, topic, env->header->source, why);
        ofts__envelope__free_unpacked(env, alloc);
        return NULL;
    }
    return s_admit(self, topic, env, alloc);
}

//  Read and discard the rest of a multipart message.
static void
s_drain(void *handle)
{
    int more = 1;
    size_t len = sizeof more;
    while (zmq_getsockopt(handle, ZMQ_RCVMORE, &more, &len) == 0 && more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        zmq_msg_recv(&part, handle, 0);
        zmq_msg_close(&part);
    }
}

static bool
s_prefix_wanted(const s_sub_t *sub, const uint8_t *topic, size_t len)
{
    for (size_t i = 0; i < sub->nprefixes; i++) {
        size_t n = strlen(sub->prefixes[i]);
        if (n <= len && memcmp(topic, sub->prefixes[i], n) == 0)
            return true;
    }
    return false;
}

//  One message the direct reader has whole: garbage (counted) and topics
//  nobody asked for (a SUB socket would not have had them) give NULL.
static Ofts__Envelope *
s_take_direct(ofts_bus_t *self, s_sub_t *sub, const uint8_t *const frames[], const size_t sizes[], int n,
              char *topic, size_t topic_size, ProtobufCAllocator *alloc)
{
    if (!s_prefix_wanted(sub, frames[0], sizes[0]))
        return NULL;
    size_t tlen = sizes[0] < topic_size ? sizes[0] : topic_size - 1;
    memcpy(topic, frames[0], tlen);
    topic[tlen] = '\0';
    if (n < 2 || n > 3) {
        self->garbage++;
        log_warn("bus: message of %d frames on '%.64s' dropped; %llu garbage so far", n, topic,
                 (unsigned long long) self->garbage);
        return NULL;
    }
    return s_accept(self, sub, topic, frames[1], sizes[1], n == 3 ? frames[2] : NULL, n == 3 ? sizes[2] : 0, alloc);
}

//  s_recv on a direct publisher: the same checks on what our own reader
//  took off the socket; waits (up to timeout_ms) only when nothing is
//  there, polling the socket - or, while it is not connected, retrying the
//  dial now and then.
static Ofts__Envelope *
s_recv_direct(ofts_bus_t *self, s_sub_t *sub, char *topic, size_t topic_size, int timeout_ms,
              ProtobufCAllocator *alloc)
{
    int64_t deadline = ofts_clock_mono_ns() + (int64_t) timeout_ms * OFTS_NS_PER_MS;
    for (;;) {
        const uint8_t *frames[OFTS_ZMTP_MAX_FRAMES];
        size_t sizes[OFTS_ZMTP_MAX_FRAMES];
        int n;
        if (ofts_zmtp_next(sub->zmtp, frames, sizes, &n))
            return s_take_direct(self, sub, frames, sizes, n, topic, topic_size, alloc);
        int64_t left = timeout_ms < 0 ? 200 : (deadline - ofts_clock_mono_ns()) / OFTS_NS_PER_MS;
        if (left <= 0 || zsys_interrupted)
            return NULL;
        int fd = ofts_zmtp_fd(sub->zmtp);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (fd >= 0 && ofts_zmtp_connected(sub->zmtp))
            poll(&p, 1, (int) left);
        else
            zclock_sleep(left < 20 ? (int) left : 20);
    }
}

static Ofts__Envelope *
s_recv(ofts_bus_t *self, const char *publisher, char *topic, size_t topic_size, int timeout_ms,
       ProtobufCAllocator *alloc)
{
    s_sub_t *sub = s_sub(self, publisher);
    if (!sub)
        return NULL;
    if (sub->zmtp)
        return s_recv_direct(self, sub, topic, topic_size, timeout_ms, alloc);
    void *handle = zsock_resolve(s_sock(self, sub));
    //  A blocking receive with a receive time-out, not poll-then-receive:
    //  one system call less on the latency path.
    if (timeout_ms != 0 && timeout_ms != sub->rcvtimeo) {
        zmq_setsockopt(handle, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
        sub->rcvtimeo = timeout_ms;
    }
    zmq_msg_t t, p;
    zmq_msg_init(&t);
    if (zmq_msg_recv(&t, handle, timeout_ms == 0 ? ZMQ_DONTWAIT : 0) < 0) {
        zmq_msg_close(&t);
        return NULL;
    }
    size_t tlen = zmq_msg_size(&t);
    if (tlen >= topic_size)
        tlen = topic_size - 1;
    memcpy(topic, zmq_msg_data(&t), tlen);
    topic[tlen] = '\0';
    bool more = zmq_msg_more(&t);
    zmq_msg_close(&t);
    if (!more) {
        self->garbage++;
        log_warn("bus: one-frame message on '%.64s' dropped; %llu garbage so far", topic,
                 (unsigned long long) self->garbage);
        return NULL;
    }
    zmq_msg_init(&p);
    zmq_msg_recv(&p, handle, 0);
    //  A third frame is the publisher's MAC (signed bus).
    zmq_msg_t mac;
    zmq_msg_init(&mac);
    bool has_mac = zmq_msg_more(&p) && zmq_msg_recv(&mac, handle, 0) >= 0;
    Ofts__Envelope *env = NULL;
    if (has_mac && zmq_msg_more(&mac)) {
        s_drain(handle);
        self->garbage++;
        log_warn("bus: message with extra frames on '%.64s' dropped", topic);
    }
    else
        env = s_accept(self, sub, topic, zmq_msg_data(&p), zmq_msg_size(&p), has_mac ? zmq_msg_data(&mac) : NULL,
                       has_mac ? zmq_msg_size(&mac) : 0, alloc);
    zmq_msg_close(&mac);
    zmq_msg_close(&p);
    return env;
}

Ofts__Envelope *
ofts_bus_recv_from(ofts_bus_t *self, const char *publisher, char *topic, size_t topic_size, int timeout_ms)
{
    return s_recv(self, publisher, topic, topic_size, timeout_ms, NULL);
}

Ofts__Envelope *
ofts_bus_recv_arena(ofts_bus_t *self, const char *publisher, char *topic, size_t topic_size, int timeout_ms)
{
    ProtobufCAllocator *alloc = s_arena_push(self);
    Ofts__Envelope *env = s_recv(self, publisher, topic, topic_size, timeout_ms, alloc);
    if (!env)
        s_arena_pop(self, NULL);
    return env;
}

void
ofts_bus_release(ofts_bus_t *self, Ofts__Envelope **env_p)
{
    if (env_p && *env_p) {
        s_arena_pop(self, *env_p);
        *env_p = NULL;
    }
}

Ofts__Envelope *
ofts_bus_recv(ofts_bus_t *self, char *topic, size_t topic_size, int timeout_ms)
{
    return ofts_bus_recv_from(self, NULL, topic, topic_size, timeout_ms);
}

void
ofts_bus_set_gap_handler(ofts_bus_t *self, ofts_bus_gap_fn *fn, void *arg)
{
    self->gap_fn = fn;
    self->gap_arg = arg;
}

void
ofts_bus_set_floor_epoch(ofts_bus_t *self, const char *source, uint64_t floor, uint64_t epoch)
{
    s_floor_t *value = malloc(sizeof *value);
    value->seq = floor;
    value->epoch = epoch;
    zhashx_update(self->floors, source, value);
}

void
ofts_bus_set_floor(ofts_bus_t *self, const char *source, uint64_t floor)
{
    ofts_bus_set_floor_epoch(self, source, floor, 0);
}

int
ofts_bus_heartbeat(ofts_bus_t *self, const char *state)
{
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    Ofts__Heartbeat hb = OFTS__HEARTBEAT__INIT;
    hb.service = self->service;
    hb.state = (char *) (state ? state : "running");
    hb.pid = (uint32_t) getpid();
    hb.uptime_ms = (uint64_t) (ofts_clock_mono_ns() - self->started_mono) / OFTS_NS_PER_MS;
    hb.last_seq = self->seq;
    hb.host = host;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_HEARTBEAT;
    env.heartbeat = &hb;
    char topic[128];
    return ofts_bus_publish(self, ofts_topic(topic, sizeof topic, "sys.heartbeat", self->service), &env);
}

const char *ofts_bus_service(ofts_bus_t *self) { return self->service; }
uint64_t ofts_bus_seq(ofts_bus_t *self) { return self->seq; }
uint64_t ofts_bus_epoch(ofts_bus_t *self) { return self->epoch; }
uint64_t ofts_bus_published(ofts_bus_t *self) { return self->published; }
uint64_t ofts_bus_received(ofts_bus_t *self) { return self->received; }
uint64_t ofts_bus_gaps(ofts_bus_t *self) { return self->gaps; }
uint64_t ofts_bus_garbage(ofts_bus_t *self) { return self->garbage; }
uint64_t ofts_bus_dropped(ofts_bus_t *self) { return self->dropped; }
uint64_t ofts_bus_rejected(ofts_bus_t *self) { return self->rejected; }

const char *
ofts_topic(char *buf, size_t size, const char *kind, const char *symbol)
{
    if (symbol && *symbol)
        snprintf(buf, size, "%s.%s.", kind, symbol);
    else
        snprintf(buf, size, "%s.", kind);
    return buf;
}

void
ofts_bus_mac(const ofts_trust_mackey_t *key, const void *topic, size_t topic_len, const void *body, size_t size,
             uint8_t mac[OFTS_TRUST_MAC_SIZE])
{
    ofts_trust_mac_with(key, BUS_MAC_DOMAIN, topic, topic_len, body, size, mac);
}
