/*  ofts_service - the thin shell every ofts-* binary is: argument and config
    handling, logging, the bus, heartbeats, signals, and a zloop to hang
    readers and timers on. The service's logic stays in its core library.

    Common flags: --config FILE, --log-level LEVEL, --check-config (read the
    config the way the service would, report, exit 0 or 2), --help.
    Unknown --flags are left for the service in ofts_service_args().

    Typical main():
        ofts_service_t *svc = ofts_service_new("risk", argc, argv);
        if (!svc) return ofts_service_exit_code();
        ofts_cfgsec_t *sec = ofts_config_section(ofts_service_config(svc), "risk");
        ... read settings ...
        if (ofts_service_config_done(svc, &sec)) return ofts_service_fail(&svc);
        ofts_service_listen(svc, "analyzer", "of.signal.");
        ofts_service_on_message(svc, s_on_message, core);
        int rc = ofts_service_run(svc);
        ofts_service_destroy(&svc);                                          */
#ifndef OFTS_SERVICE_H
#define OFTS_SERVICE_H
#include "ofts_bus.h"
#include "ofts_config.h"
#include "ofts_ctl.h"

typedef struct _ofts_service_t ofts_service_t;

typedef void (ofts_service_msg_fn)(ofts_service_t *svc, const char *topic, Ofts__Envelope *env, void *arg);
typedef void (ofts_service_ctl_fn)(ofts_service_t *svc, Ofts__Envelope *request, ofts_ctl_t *ctl, void *arg);
typedef void (ofts_service_tick_fn)(ofts_service_t *svc, int64_t now_ns, void *arg);

//  NULL on error (message printed); then exit with ofts_service_exit_code().
//  Also NULL after --help (exit code 0).
ofts_service_t *ofts_service_new(const char *name, int argc, char **argv);
int ofts_service_exit_code(void);
//  The service's own flags for --help (lines "  --flag ARG   what"), set
//  before ofts_service_new; the shared flags are printed anyway.
void ofts_service_usage(const char *own_flags);
//  For services without flags of their own: -1 (and a line naming the
//  first one) when any argument is left over.
int ofts_service_no_args(ofts_service_t *self);
void ofts_service_destroy(ofts_service_t **self_p);

const char *ofts_service_name(ofts_service_t *self);
ofts_config_t *ofts_service_config(ofts_service_t *self);
ofts_bus_t *ofts_service_bus(ofts_service_t *self);
zloop_t *ofts_service_loop(ofts_service_t *self);
//  Arguments the shell did not consume (argv[0] excluded).
int ofts_service_argc(ofts_service_t *self);
char **ofts_service_argv(ofts_service_t *self);

//  Finish a config section: 0 when fine; otherwise prints the one-line error
//  and returns -1 (caller exits with OFTS_EXIT_CONFIG).
int ofts_service_config_done(ofts_service_t *self, ofts_cfgsec_t **sec_p);
//  True when run with --check-config: the caller returns 0 after reading config.
bool ofts_service_check_only(ofts_service_t *self);

//  Connect the SUB socket to `publisher`'s PUB endpoint (from config, once)
//  and subscribe to prefix. Returns 0 or -1 (bad config, logged).
int ofts_service_listen(ofts_service_t *self, const char *publisher, const char *prefix);
//  Same, for an explicit endpoint (tools given --endpoint).
int ofts_service_listen_endpoint(ofts_service_t *self, const char *endpoint, const char *prefix);
void ofts_service_on_message(ofts_service_t *self, ofts_service_msg_fn *fn, void *arg);
//  Hand everything already queued on the SUB sockets to the message handler
//  now (through the same ownership checks), e.g. before a reconcile.
void ofts_service_drain(ofts_service_t *self);
//  Bind bus.endpoints.<name>.ctl and hand each request to fn.
int ofts_service_on_ctl(ofts_service_t *self, ofts_service_ctl_fn *fn, void *arg);
//  Call fn every interval_ms with the wall clock.
void ofts_service_on_tick(ofts_service_t *self, int interval_ms, ofts_service_tick_fn *fn, void *arg);
//  Endpoint of another service from config (pub or ctl); NULL if none.
const char *ofts_service_endpoint(ofts_service_t *self, const char *service, const char *kind);

//  Free-text state carried by the heartbeat ("running", "replaying 41%").
void ofts_service_set_state(ofts_service_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
//  Publish through the service's bus.
int ofts_service_publish(ofts_service_t *self, const char *topic, Ofts__Envelope *env);

//  A read-only tool (ofts-monitor on a terminal): no PUB socket, no heartbeat.
void ofts_service_no_pub(ofts_service_t *self);
//  Milliseconds after which a silent heartbeat counts as lost (bus config).
int ofts_service_heartbeat_timeout_ms(ofts_service_t *self);
//  Names of the services in bus.endpoints (for tools that listen to all).
size_t ofts_service_peers(ofts_service_t *self, const char **names, size_t max);

//  Replay in lockstep (bus.lockstep; see ofts_lockstep.h). Without it these
//  do nothing. upstreams: the services whose marks this one waits for
//  (listened to on sys.sync.). relay: publish our own mark once every
//  upstream reached it (analyzer, risk, gateway-order); the origin
//  (gateway-md) passes false. on_sync is called with each completed mark
//  (before a relay publishes it).
typedef void (ofts_service_sync_fn)(ofts_service_t *svc, uint64_t mark, void *arg);
int ofts_service_lockstep(ofts_service_t *self, const char *const *upstreams, size_t n, bool relay);
bool ofts_service_lockstep_enabled(ofts_service_t *self);
void ofts_service_on_sync(ofts_service_t *self, ofts_service_sync_fn *fn, void *arg);
int ofts_service_publish_mark(ofts_service_t *self, uint64_t mark);
//  Also follow publisher's marks without waiting for them to relay (for
//  ofts_service_lockstep_await). Call after ofts_service_lockstep.
int ofts_service_lockstep_watch(ofts_service_t *self, const char *publisher);
//  Hand publisher's messages to the handler now, waiting for them (up to
//  10 s, then a warning), until its mark reaches mark: what it published
//  for that market time comes before what we do next. True at once
//  without lockstep.
bool ofts_service_lockstep_await(ofts_service_t *self, const char *publisher, uint64_t mark);
//  The last mark this service relayed (0: none, or no lockstep); inside
//  on_sync still the one before the mark it is called with.
uint64_t ofts_service_lockstep_mark(ofts_service_t *self);

//  Run until SIGINT/SIGTERM or ofts_service_stop(). 0 on a clean stop.
int ofts_service_run(ofts_service_t *self);
void ofts_service_stop(ofts_service_t *self);
bool ofts_service_interrupted(void);

#endif
