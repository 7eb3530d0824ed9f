/*  ofts_service - see ofts_service.h. Everything a service shell shares, so
    each main() is only its wiring.                                        */
#include "ofts_service.h"
#include "ofts_clock.h"
#include "ofts_curve.h"
#include "ofts_fs.h"
#include "ofts_lockstep.h"
#include "ofts_log.h"
#include "ofts_trust.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_EPS 16
#define MAX_TICKS 8
#define DIRECT_CLOCK_MS 10

typedef struct {
    char name[48];
    const char *pub;
    const char *ctl;
    bool connected;
} s_endpoint_t;

typedef struct {
    ofts_service_t *svc;
    ofts_service_tick_fn *fn;
    void *arg;
} s_tick_t;

//  One zloop reader per SUB socket: a publisher's own socket, or "" for
//  the anonymous one (explicit endpoints of tools).
//  A publisher read directly (ofts_bus_set_direct) has no SUB socket to
//  hang a zloop reader on: its socket is polled as a file descriptor,
//  which changes on every reconnect (fd: the one the loop polls now).
typedef struct {
    ofts_service_t *svc;
    char publisher[48];
    uint64_t mark;                  //  its last lockstep mark (sys.sync.<publisher>.)
    bool direct;
    int fd;
} s_reader_t;

struct _ofts_service_t {
    char name[48];
    ofts_config_t *config;
    ofts_bus_t *bus;
    zloop_t *loop;
    ofts_ctl_t *ctl;
    ofts_curve_t *curve;
    s_endpoint_t eps[MAX_EPS];
    size_t neps;
    int heartbeat_ms;
    int heartbeat_timeout_ms;
    bool check_only;
    bool stopping;
    s_reader_t readers[MAX_EPS + 1];
    size_t nreaders;
    const char *secret_file;
    bool no_pub;
    char state[128];
    ofts_service_msg_fn *msg_fn;
    void *msg_arg;
    ofts_service_ctl_fn *ctl_fn;
    void *ctl_arg;
    s_tick_t ticks[MAX_TICKS];
    size_t nticks;
    int argc;
    char **argv;
    bool lockstep_on;               //  bus.lockstep
    ofts_lockstep_t *lockstep;      //  set by ofts_service_lockstep()
    uint64_t relayed;               //  the last mark done here (relayed, or the origin's)
    bool relay;
    bool direct_timer;              //  the clock of the direct readers is set
    ofts_service_sync_fn *sync_fn;
    void *sync_arg;
};

static int s_exit_code = 0;
int ofts_service_exit_code(void) { return s_exit_code; }
bool ofts_service_interrupted(void) { return zsys_interrupted != 0; }

static const char *s_usage_own = NULL;

void
ofts_service_usage(const char *own_flags)
{
    s_usage_own = own_flags;
}

static void
s_usage(const char *name)
{
    printf("usage: ofts-%s [--config FILE] [--log-level debug|info|warn|error] [--check-config] [--help]%s\n"
           "  --config FILE     configuration, layered over %s\n"
           "                    (default: $OFTS_CONFIG or that file)\n"
           "  --log-level L     debug, info, warn or error (default: log.level)\n"
           "  --check-config    read the configuration as the service would, report, exit 0 or 2\n"
           "  --help            this text\n%s",
           name, s_usage_own ? " [options]" : "", ofts_config_defaults_path(), s_usage_own ? s_usage_own : "");
}

int
ofts_service_no_args(ofts_service_t *self)
{
    if (self->argc == 0)
        return 0;
    fprintf(stderr, "ofts-%s: unknown argument '%s' (see --help)\n", self->name, self->argv[0]);
    return -1;
}

//  True for tcp:// on a loopback address (127.x, localhost, [::1]) and for
//  ipc:// and inproc:// - endpoints nobody off this host can reach.
static bool
s_local_endpoint(const char *endpoint)
{
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return true;
    const char *host = endpoint + 6;
    return strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost:", 10) == 0 || strncmp(host, "[::1]:", 6) == 0;
}

//  Without CURVE, a control socket on the network would hand positions to
//  anyone on the LAN and carry commands in clear: refused. A bus endpoint
//  there is signed but readable: warned about, loudly.
static void
s_check_exposure(ofts_service_t *self, ofts_cfgsec_t *one, const s_endpoint_t *ep, bool curve_on)
{
    if (curve_on)
        return;
    if (ep->ctl && !s_local_endpoint(ep->ctl))
        ofts_cfgsec_fail(one, "ctl", "%s is reachable from the network without CURVE: enable bus.curve or "
                         "bind 127.0.0.1 (docs/security.md)", ep->ctl);
    if (ep->pub && !s_local_endpoint(ep->pub) && strcmp(ep->name, self->name) == 0)
        log_warn("bus.endpoints.%s.pub %s is reachable from the network without CURVE: anyone there can read "
                 "the bus (enable bus.curve, docs/security.md)", ep->name, ep->pub);
}

//  Reads the parts of the config every service shares: log and bus.
static int
s_read_shared_config(ofts_service_t *self)
{
    char err[512];
    ofts_cfgsec_t *log = ofts_config_section(self->config, "log");
    const char *level = ofts_cfgsec_string(log, "level", "info");
    int lvl = ofts_log_level_parse(level);
    if (lvl < 0)
        ofts_cfgsec_fail(log, "level", "expected debug, info, warn or error");
    else if (!getenv("OFTS_LOG_LEVEL"))
        ofts_log_set_level((ofts_log_level_t) lvl);
    if (ofts_cfgsec_finish(&log, err, sizeof err)) {
        fprintf(stderr, "ofts-%s: config error: %s\n", self->name, err);
        return -1;
    }
    ofts_cfgsec_t *bus = ofts_config_section(self->config, "bus");
    //  Bounded: czmq aborts on a negative HWM, 0 means "unbounded memory",
    //  and anything past INT_MAX would wrap in the casts.
    self->heartbeat_ms = (int) ofts_cfgsec_int_range(bus, "heartbeat_ms", 1000, 1, 60000);
    self->heartbeat_timeout_ms = (int) ofts_cfgsec_int_range(bus, "heartbeat_timeout_ms", 3500, 1, 600000);
    int hwm = (int) ofts_cfgsec_int_range(bus, "hwm", 200000, 1, 10000000);
    ofts_bus_set_hwm(self->bus, hwm);
    ofts_cfgsec_t *curve = ofts_cfgsec_section(bus, "curve");
    bool curve_on = ofts_cfgsec_bool(curve, "enabled", false);
    ofts_cfgsec_t *eps = ofts_cfgsec_section(bus, "endpoints");
    const char *names[MAX_EPS];
    size_t n = ofts_cfgsec_keys(eps, names, MAX_EPS);
    for (size_t i = 0; i < n; i++) {
        ofts_cfgsec_t *one = ofts_cfgsec_section(eps, names[i]);
        s_endpoint_t *ep = &self->eps[self->neps++];
        snprintf(ep->name, sizeof ep->name, "%s", names[i]);
        ep->pub = ofts_cfgsec_endpoint(one, "pub", NULL);
        ep->ctl = ofts_cfgsec_endpoint(one, "ctl", NULL);
        s_check_exposure(self, one, ep, curve_on);
        ofts_cfgsec_string(one, "server", NULL);    //  CURVE identity, see ofts_curve.c
    }
    //  These belong to the launcher and the tools, not to any one service;
    //  read them here too so --check-config validates the whole file.
    const char *cert_dir = ofts_cfgsec_string(curve, "cert_dir", NULL);
    ofts_cfgsec_string(curve, "authorized_dir", NULL);
    ofts_cfgsec_string(curve, "identity", NULL);
    ofts_cfgsec_json(curve, "operators");
    self->secret_file = ofts_cfgsec_string(bus, "secret_file", OFTS_TRUST_DEFAULT_SECRET);
    if (curve_on && !cert_dir)
        ofts_cfgsec_fail(curve, "cert_dir", "required when CURVE is enabled");
    ofts_cfgsec_json(bus, "forwarder");
    self->lockstep_on = ofts_cfgsec_bool(bus, "lockstep", false);
    if (ofts_cfgsec_finish(&bus, err, sizeof err)) {
        fprintf(stderr, "ofts-%s: config error: %s\n", self->name, err);
        return -1;
    }
    if (ofts_curve_from_config(self->config, self->name, &self->curve, err, sizeof err) != 0) {
        fprintf(stderr, "ofts-%s: config error: %s\n", self->name, err);
        return -1;
    }
    if (self->curve)
        ofts_curve_set_process(self->curve);
    return 0;
}

//  Without CURVE the bus secret proves who published (and who commands):
//  see ofts_trust.h. Under CURVE the pinned keys do that.
static int
s_load_secret(ofts_service_t *self)
{
    if (self->curve)
        return 0;
    char err[512];
    uint8_t key[OFTS_TRUST_KEY_SIZE];
    if (ofts_mkdir_parent(self->secret_file, 0700) != 0 && errno != EEXIST)
        log_warn("cannot create the folder of %s: %s", self->secret_file, strerror(errno));
    if (ofts_trust_secret_load(self->secret_file, key, err, sizeof err) != 0) {
        fprintf(stderr, "ofts-%s: bus secret error: %s\n", self->name, err);
        return -1;
    }
    ofts_bus_set_secret(self->bus, key);
    ofts_trust_set_process_secret(key);
    return 0;
}

ofts_service_t *
ofts_service_new(const char *name, int argc, char **argv)
{
    const char *config_path = NULL;
    const char *level = NULL;
    bool check = false;
    //  Hand-rolled scan: getopt would reorder argv and reject the service's
    //  own flags, which we want to pass through untouched.
    char **rest = calloc((size_t) argc + 1, sizeof *rest);
    int nrest = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            config_path = argv[i] + 9;
        else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc)
            level = argv[++i];
        else if (strcmp(argv[i], "--check-config") == 0)
            check = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_usage(name);
            free(rest);
            s_exit_code = 0;
            return NULL;
        }
        else
            rest[nrest++] = argv[i];
    }
    ofts_log_init(name, OFTS_LOG_INFO);
    //  Journals, stores, logs and secrets we create are ours alone.
    umask(077);
    char err[512];
    if (!config_path)
        config_path = ofts_config_default_path();
    ofts_config_t *config = ofts_config_load(config_path, err, sizeof err);
    if (!config) {
        fprintf(stderr, "ofts-%s: config error: %s\n", name, err);
        free(rest);
        s_exit_code = OFTS_EXIT_CONFIG;
        return NULL;
    }
    ofts_service_t *self = calloc(1, sizeof *self);
    snprintf(self->name, sizeof self->name, "%s", name);
    self->config = config;
    self->argc = nrest;
    self->argv = rest;
    self->check_only = check;
    self->bus = ofts_bus_new(name);
    snprintf(self->state, sizeof self->state, "starting");
    if (s_read_shared_config(self) != 0) {
        ofts_service_destroy(&self);
        s_exit_code = OFTS_EXIT_CONFIG;
        return NULL;
    }
    if (level) {
        int lvl = ofts_log_level_parse(level);
        if (lvl < 0) {
            fprintf(stderr, "ofts-%s: --log-level: expected debug, info, warn or error\n", name);
            ofts_service_destroy(&self);
            s_exit_code = OFTS_EXIT_CONFIG;
            return NULL;
        }
        ofts_log_set_level((ofts_log_level_t) lvl);
    }
    if (!check && s_load_secret(self) != 0) {
        ofts_service_destroy(&self);
        s_exit_code = OFTS_EXIT_CONFIG;
        return NULL;
    }
    //  czmq catches SIGINT/SIGTERM (a clean stop) once it is set up, which
    //  its first socket does - and a tool that reads its publishers directly
    //  and publishes nothing (the monitor) may never make one.
    zsys_init();
    self->loop = zloop_new();
    return self;
}

void
ofts_service_destroy(ofts_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ofts_service_t *self = *self_p;
    zloop_destroy(&self->loop);
    ofts_ctl_destroy(&self->ctl);
    ofts_bus_destroy(&self->bus);
    ofts_curve_destroy(&self->curve);
    ofts_config_destroy(&self->config);
    ofts_lockstep_destroy(&self->lockstep);
    free(self->argv);
    free(self);
    *self_p = NULL;
}

const char *ofts_service_name(ofts_service_t *self) { return self->name; }
ofts_config_t *ofts_service_config(ofts_service_t *self) { return self->config; }
ofts_bus_t *ofts_service_bus(ofts_service_t *self) { return self->bus; }
zloop_t *ofts_service_loop(ofts_service_t *self) { return self->loop; }
int ofts_service_argc(ofts_service_t *self) { return self->argc; }
char **ofts_service_argv(ofts_service_t *self) { return self->argv; }
bool ofts_service_check_only(ofts_service_t *self) { return self->check_only; }

int
ofts_service_config_done(ofts_service_t *self, ofts_cfgsec_t **sec_p)
{
    char err[512];
    if (ofts_cfgsec_finish(sec_p, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "ofts-%s: config error: %s\n", self->name, err);
    s_exit_code = OFTS_EXIT_CONFIG;
    return -1;
}

static s_endpoint_t *
s_find_ep(ofts_service_t *self, const char *service)
{
    for (size_t i = 0; i < self->neps; i++)
        if (strcmp(self->eps[i].name, service) == 0)
            return &self->eps[i];
    return NULL;
}

const char *
ofts_service_endpoint(ofts_service_t *self, const char *service, const char *kind)
{
    s_endpoint_t *ep = s_find_ep(self, service);
    if (!ep)
        return NULL;
    return strcmp(kind, "ctl") == 0 ? ep->ctl : ep->pub;
}

int
ofts_service_publish_mark(ofts_service_t *self, uint64_t mark)
{
    if (!self->lockstep_on)
        return 0;
    Ofts__SyncMark sm = OFTS__SYNC_MARK__INIT;
    sm.mark = mark;
    Ofts__Envelope env = OFTS__ENVELOPE__INIT;
    env.body_case = OFTS__ENVELOPE__BODY_SYNC;
    env.sync = &sm;
    char topic[128];
    return ofts_bus_publish(self->bus, ofts_topic(topic, sizeof topic, "sys.sync", self->name), &env);
}

static s_reader_t *
s_find_reader(ofts_service_t *self, const char *publisher)
{
    for (size_t i = 0; i < self->nreaders; i++)
        if (strcmp(self->readers[i].publisher, publisher) == 0)
            return &self->readers[i];
    return NULL;
}

//  A publisher's mark. The message handler has already seen everything
//  that publisher sent before it (same socket, in order), so relaying now
//  vouches for all of it.
static void
s_on_mark(ofts_service_t *self, const char *publisher, uint64_t mark)
{
    s_reader_t *reader = s_find_reader(self, publisher);
    if (reader && mark > reader->mark)
        reader->mark = mark;
    if (!ofts_lockstep_is_upstream(self->lockstep, publisher))
        return;
    uint64_t done = ofts_lockstep_on_mark(self->lockstep, publisher, mark);
    if (!done)
        return;
    //  on_sync still sees the mark before this one as ours: what it
    //  waits for belongs to that one.
    if (self->sync_fn)
        self->sync_fn(self, done, self->sync_arg);
    self->relayed = done;
    if (self->relay)
        ofts_service_publish_mark(self, done);
}

//  Receive one message of publisher's socket, waiting up to timeout_ms
//  (0: only what is queued), and hand it on. False when nothing is left.
static bool
s_take(ofts_service_t *self, const char *publisher, int timeout_ms)
{
    char topic[256];
    //  The handler only borrows the envelope: unpacked into the bus's arena.
    Ofts__Envelope *env = ofts_bus_recv_arena(self->bus, publisher, topic, sizeof topic, timeout_ms);
    if (!env)                       //  none, or garbage, rejected or below floor: go on if more
        return ofts_bus_pending(self->bus, publisher);
    if (self->lockstep && env->body_case == OFTS__ENVELOPE__BODY_SYNC)
        s_on_mark(self, publisher, env->sync->mark);
    else if (self->msg_fn)
        self->msg_fn(self, topic, env, self->msg_arg);
    ofts_bus_release(self->bus, &env);
    return true;
}

bool
ofts_service_lockstep_await(ofts_service_t *self, const char *publisher, uint64_t mark)
{
    s_reader_t *reader = self->lockstep ? s_find_reader(self, publisher) : NULL;
    if (!reader || reader->mark >= mark)
        return true;
    int64_t start = ofts_clock_mono_ns(), resent = start;
    while (reader->mark < mark && !self->stopping) {
        int64_t now = ofts_clock_mono_ns();
        if (now - start >= 10 * OFTS_NS_PER_SEC) {
            log_warn("lockstep: %s did not reach market time %" PRIu64 " in 10 s (at %" PRIu64
                     "); going on without it", publisher, mark, reader->mark);
            return false;
        }
        //  The one we wait for may be waiting for a mark of ours that was
        //  lost: say it again now and then (a repeat is harmless).
        if (now - resent >= 200 * OFTS_NS_PER_MS) {
            resent = now;
            if (self->relay && self->relayed)
                ofts_service_publish_mark(self, self->relayed);
        }
        s_take(self, publisher, 200);
    }
    return reader->mark >= mark;
}

uint64_t
ofts_service_lockstep_mark(ofts_service_t *self)
{
    return self->relayed;
}

//  Hand up to max queued messages of one publisher's socket to msg_fn.
//  Returns how many were read (accepted or not).
static int
s_drain(ofts_service_t *self, const char *publisher, int max)
{
    int n = 0;
    for (; n < max && !self->stopping; n++)
        if (!s_take(self, publisher, 0))
            break;
    return n;
}

static int
s_on_sub(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    s_reader_t *reader = arg;
    //  Bounded, so timers (heartbeats) still run while a fast replay floods us.
    s_drain(reader->svc, reader->publisher, 4096);
    return reader->svc->stopping ? -1 : 0;
}

static int s_on_direct(zloop_t *loop, zmq_pollitem_t *item, void *arg);

//  The loop polls a direct reader's socket as it is now (after a read
//  that reconnected, or closed it).
static void
s_watch_direct(s_reader_t *reader)
{
    int fd = ofts_bus_direct_fd(reader->svc->bus, reader->publisher);
    if (fd == reader->fd)
        return;
    zloop_t *loop = reader->svc->loop;
    if (reader->fd >= 0)
        zloop_poller_end(loop, &(zmq_pollitem_t) { .fd = reader->fd });
    reader->fd = fd;
    if (fd < 0)
        return;
    zmq_pollitem_t item = { .fd = fd, .events = ZMQ_POLLIN };
    zloop_poller(loop, &item, s_on_direct, reader);
    //  A hang-up is read (and the reader reconnects), not a reason for
    //  zloop to drop the poller.
    zloop_poller_set_tolerant(loop, &item);
}

static int
s_on_direct(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    s_reader_t *reader = arg;
    s_drain(reader->svc, reader->publisher, 4096);
    s_watch_direct(reader);
    return reader->svc->stopping ? -1 : 0;
}

//  The direct readers' clock: dials and handshakes advance on it (their
//  socket says nothing before), and what a bounded drain left buffered is
//  read (the socket may have nothing new to wake the loop with).
static int
s_on_direct_clock(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ofts_service_t *self = arg;
    for (size_t i = 0; i < self->nreaders; i++) {
        s_reader_t *reader = &self->readers[i];
        if (!reader->direct)
            continue;
        if (!ofts_bus_direct_connected(self->bus, reader->publisher) || ofts_bus_pending(self->bus, reader->publisher))
            s_drain(self, reader->publisher, 4096);
        s_watch_direct(reader);
    }
    return self->stopping ? -1 : 0;
}

void
ofts_service_drain(ofts_service_t *self)
{
    for (size_t i = 0; i < self->nreaders; i++) {
        s_drain(self, self->readers[i].publisher, 100000);
        if (self->readers[i].direct)
            s_watch_direct(&self->readers[i]);
    }
}

static void
s_ensure_reader(ofts_service_t *self, const char *publisher)
{
    for (size_t i = 0; i < self->nreaders; i++)
        if (strcmp(self->readers[i].publisher, publisher) == 0)
            return;
    if (self->nreaders == MAX_EPS + 1)
        return;
    s_reader_t *reader = &self->readers[self->nreaders++];
    reader->svc = self;
    reader->fd = -1;
    snprintf(reader->publisher, sizeof reader->publisher, "%s", publisher);
    if (ofts_bus_direct_fd(self->bus, publisher) == -2) {
        zloop_reader(self->loop, ofts_bus_sub_sock_for(self->bus, publisher), s_on_sub, reader);
        return;
    }
    reader->direct = true;
    if (!self->direct_timer) {
        zloop_timer(self->loop, DIRECT_CLOCK_MS, 0, s_on_direct_clock, self);
        self->direct_timer = true;
    }
}

int
ofts_service_listen_endpoint(ofts_service_t *self, const char *endpoint, const char *prefix)
{
    if (!ofts_endpoint_valid(endpoint)) {
        log_error("bad endpoint '%s'", endpoint);
        return -1;
    }
    if (ofts_bus_connect(self->bus, endpoint) != 0)
        return -1;
    ofts_bus_subscribe(self->bus, prefix);
    s_ensure_reader(self, "");
    return 0;
}

int
ofts_service_listen(ofts_service_t *self, const char *publisher, const char *prefix)
{
    s_endpoint_t *ep = s_find_ep(self, publisher);
    if (!ep || !ep->pub) {
        log_error("no bus.endpoints.%s.pub in %s", publisher, ofts_config_path(self->config));
        return -1;
    }
    if (!ep->connected) {
        if (ofts_bus_connect_to(self->bus, publisher, ep->pub) != 0)
            return -1;
        ep->connected = true;
    }
    ofts_bus_subscribe_to(self->bus, publisher, prefix);
    s_ensure_reader(self, publisher);
    return 0;
}

static int
s_listen_marks(ofts_service_t *self, const char *publisher)
{
    char prefix[96];
    return ofts_service_listen(self, publisher, ofts_topic(prefix, sizeof prefix, "sys.sync", publisher));
}

int
ofts_service_lockstep_watch(ofts_service_t *self, const char *publisher)
{
    return self->lockstep ? s_listen_marks(self, publisher) : 0;
}

int
ofts_service_lockstep(ofts_service_t *self, const char *const *upstreams, size_t n, bool relay)
{
    if (!self->lockstep_on || self->lockstep)
        return 0;
    self->lockstep = ofts_lockstep_new(upstreams, n);
    if (!self->lockstep)
        return -1;
    self->relay = relay;
    for (size_t i = 0; i < n; i++)
        if (s_listen_marks(self, upstreams[i]) != 0)
            return -1;
    log_info("lockstep replay: waiting for %s%s%s%s%s before %s", upstreams[0], n > 1 ? ", " : "",
             n > 1 ? upstreams[1] : "", n > 2 ? ", " : "", n > 2 ? upstreams[2] : "",
             relay ? "relaying each mark" : "publishing the next market time");
    return 0;
}

bool ofts_service_lockstep_enabled(ofts_service_t *self) { return self->lockstep_on; }

void
ofts_service_on_sync(ofts_service_t *self, ofts_service_sync_fn *fn, void *arg)
{
    self->sync_fn = fn;
    self->sync_arg = arg;
}

void
ofts_service_on_message(ofts_service_t *self, ofts_service_msg_fn *fn, void *arg)
{
    self->msg_fn = fn;
    self->msg_arg = arg;
}

static int
s_on_ctl(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    ofts_service_t *self = arg;
    Ofts__Envelope *req = ofts_ctl_recv(self->ctl);
    if (!req)
        return 0;
    if (self->ctl_fn)
        self->ctl_fn(self, req, self->ctl, self->ctl_arg);
    //  Always close the conversation, so a client never waits for nothing.
    if (!ofts_ctl_answered(self->ctl))
        ofts_ctl_reply_end(self->ctl, ofts_bus_seq(self->bus));
    ofts__envelope__free_unpacked(req, NULL);
    return self->stopping ? -1 : 0;
}

int
ofts_service_on_ctl(ofts_service_t *self, ofts_service_ctl_fn *fn, void *arg)
{
    s_endpoint_t *ep = s_find_ep(self, self->name);
    if (!ep || !ep->ctl) {
        log_error("no bus.endpoints.%s.ctl in %s", self->name, ofts_config_path(self->config));
        return -1;
    }
    self->ctl = ofts_ctl_new(ep->ctl);
    if (!self->ctl)
        return -1;
    ofts_ctl_set_epoch(self->ctl, ofts_bus_epoch(self->bus));
    self->ctl_fn = fn;
    self->ctl_arg = arg;
    zloop_reader(self->loop, ofts_ctl_sock(self->ctl), s_on_ctl, self);
    return 0;
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_tick_t *tick = arg;
    tick->fn(tick->svc, ofts_clock_now_ns(), tick->arg);
    return tick->svc->stopping ? -1 : 0;
}

void
ofts_service_on_tick(ofts_service_t *self, int interval_ms, ofts_service_tick_fn *fn, void *arg)
{
    if (self->nticks >= MAX_TICKS)
        return;
    s_tick_t *tick = &self->ticks[self->nticks++];
    tick->svc = self;
    tick->fn = fn;
    tick->arg = arg;
    zloop_timer(self->loop, (size_t) interval_ms, 0, s_on_tick, tick);
}

void
ofts_service_set_state(ofts_service_t *self, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(self->state, sizeof self->state, fmt, args);
    va_end(args);
}

int
ofts_service_publish(ofts_service_t *self, const char *topic, Ofts__Envelope *env)
{
    return ofts_bus_publish(self->bus, topic, env);
}

static int
s_on_heartbeat(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    ofts_service_t *self = arg;
    ofts_bus_heartbeat(self->bus, self->state);
    return self->stopping ? -1 : 0;
}

void ofts_service_no_pub(ofts_service_t *self) { self->no_pub = true; }
int ofts_service_heartbeat_timeout_ms(ofts_service_t *self) { return self->heartbeat_timeout_ms; }

size_t
ofts_service_peers(ofts_service_t *self, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < self->neps && n < max; i++)
        names[n++] = self->eps[i].name;
    return n;
}

int
ofts_service_run(ofts_service_t *self)
{
    s_endpoint_t *own = s_find_ep(self, self->name);
    if (self->no_pub) {
        zloop_start(self->loop);
        return 0;
    }
    if (!ofts_bus_pub_sock(self->bus)) {
        if (!own || !own->pub) {
            log_error("no bus.endpoints.%s.pub in %s", self->name, ofts_config_path(self->config));
            return OFTS_EXIT_CONFIG;
        }
        if (ofts_bus_bind(self->bus, own->pub) != 0)
            return OFTS_EXIT_IN_USE;
    }
    if (strcmp(self->state, "starting") == 0)
        ofts_service_set_state(self, "running");
    log_info("started pid %d, publishing on %s%s%s, config %s", (int) getpid(),
             own && own->pub ? own->pub : "(bound by caller)",
             own && own->ctl && self->ctl ? ", ctl " : "", own && own->ctl && self->ctl ? own->ctl : "",
             ofts_config_path(self->config));
    ofts_bus_heartbeat(self->bus, self->state);
    zloop_timer(self->loop, (size_t) self->heartbeat_ms, 0, s_on_heartbeat, self);
    zloop_start(self->loop);
    int rc = zsys_interrupted || self->stopping ? 0 : 1;
    log_info("stopping (%s): published %llu, received %llu, gaps %llu, garbage %llu",
             zsys_interrupted ? "signal" : "requested",
             (unsigned long long) ofts_bus_published(self->bus),
             (unsigned long long) ofts_bus_received(self->bus),
             (unsigned long long) ofts_bus_gaps(self->bus),
             (unsigned long long) ofts_bus_garbage(self->bus));
    return rc;
}

void
ofts_service_stop(ofts_service_t *self)
{
    self->stopping = true;
}
