/*  ofts-replay-bus - put a recording back on the bus, so a monitor, the web
    view or a new analyzer can be pointed at yesterday.

      ofts replay-bus [--speed N | --max] [--bind EP | --as-publishers]
                      [--topic PREFIX] [--from T] [--to T] [--wait-ms W]
                      [--config F] SEGMENT|DIR ...

    Messages go out exactly as recorded (topic frame + the recorded Envelope
    bytes, headers untouched, so subscribers see the original publishers,
    sequences and times), at the recorded pace (receive-time gaps), N times
    faster, or as fast as possible (--max).
    --bind EP (default tcp://127.0.0.1:47199): everything on one endpoint;
    point a tool at it (ofts monitor --endpoint EP).
    --as-publishers: bind each publisher's own endpoint from the config and
    send each message on its publisher's socket: with the live services
    stopped, anything started with that config sees the recorded session.
    Messages are signed exactly as the publishers sign them
    (ofts_bus_send_packed, with bus.secret_file of the config): the
    services accept a replay on their endpoints only signed. --unsigned
    sends without the MAC (anonymous readers do not need it). Under CURVE
    the services would need each publisher's secret key: not supported,
    use --bind and an anonymous reader.                                  */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ofts_bus.h"
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_log.h"
#include "ofts_trust.h"
#include "rec_scan.h"
#include "rec_seqs.h"
#include "rec_writer.h"

#define MAX_PUBS 16

typedef struct {
    char name[48];
    ofts_bus_t *bus;                //  NULL: this publisher's messages are skipped
} s_pub_t;

typedef struct {
    double speed;                   //  0 = as fast as possible
    int64_t first_ns, start_mono;
    s_pub_t pubs[MAX_PUBS];
    size_t npubs;
    bool per_publisher;
    ofts_config_t *config;
    const uint8_t *secret;          //  NULL: unsigned
    uint64_t sent, skipped;
} s_replay_t;

//  A publisher's bus, bound on endpoint, signing with the secret if any.
static ofts_bus_t *
s_bind(s_replay_t *self, const char *name, const char *endpoint)
{
    ofts_bus_t *bus = ofts_bus_new(name);
    ofts_bus_set_hwm(bus, 10000000);
    ofts_bus_set_secret(bus, self->secret);
    if (ofts_bus_bind(bus, endpoint) != 0) {
        fprintf(stderr, "replay-bus: cannot bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        ofts_bus_destroy(&bus);
        return NULL;
    }
    zsock_set_linger(ofts_bus_pub_sock(bus), 2000);
    return bus;
}

//  The bus for publisher `name`: its endpoint from the config, bound on first use.
static ofts_bus_t *
s_pub_for(s_replay_t *self, const char *name)
{
    if (!self->per_publisher)
        return self->pubs[0].bus;
    for (size_t i = 0; i < self->npubs; i++)
        if (strcmp(self->pubs[i].name, name) == 0)
            return self->pubs[i].bus;
    if (self->npubs == MAX_PUBS)
        return NULL;
    char path[128];
    snprintf(path, sizeof path, "bus.endpoints.%s", name);
    ofts_cfgsec_t *sec = ofts_config_section(self->config, path);
    const char *ep = ofts_cfgsec_string(sec, "pub", NULL);
    char err[256];
    ofts_bus_t *bus = ep ? s_bind(self, name, ep) : NULL;
    ofts_cfgsec_finish(&sec, err, sizeof err);
    s_pub_t *pub = &self->pubs[self->npubs++];
    snprintf(pub->name, sizeof pub->name, "%s", name);
    pub->bus = bus;
    if (!ep)
        fprintf(stderr, "replay-bus: no bus.endpoints.%s.pub: its messages are skipped\n", name);
    else if (bus)
        zclock_sleep(300);          //  let subscribers of this publisher connect
    return bus;
}

static void
s_pace(s_replay_t *self, int64_t recv_ns)
{
    if (self->speed <= 0)
        return;
    if (!self->first_ns) {
        self->first_ns = recv_ns;
        self->start_mono = ofts_clock_mono_ns();
        return;
    }
    int64_t due = self->start_mono + (int64_t) ((double) (recv_ns - self->first_ns) / self->speed);
    int64_t wait = due - ofts_clock_mono_ns();
    if (wait > 20000) {
        struct timespec ts = { wait / OFTS_NS_PER_SEC, wait % OFTS_NS_PER_SEC };
        nanosleep(&ts, NULL);
    }
}

static int
s_send(void *arg, const char *path, const rec_record_t *rec)
{
    (void) path;
    s_replay_t *self = arg;
    if (zsys_interrupted)
        return 1;
    rec_header_t hdr;
    if (!rec_parse_header(rec->payload, rec->payload_len, &hdr)) {
        self->skipped++;
        return 0;
    }
    ofts_bus_t *bus = s_pub_for(self, hdr.source);
    if (!bus) {
        self->skipped++;
        return 0;
    }
    s_pace(self, rec->recv_ns);
    if (ofts_bus_send_packed(bus, rec->topic, rec->topic_len, rec->payload, rec->payload_len) == 0)
        self->sent++;
    else
        self->skipped++;
    return 0;
}

//  The bus secret of config, as the services use it (bus.secret_file).
//  Publishing on the services' own endpoints needs it: 0, or -1 (said
//  why). On one --bind endpoint it is taken when there, and not missed.
static int
s_use_secret(s_replay_t *self, ofts_config_t *config)
{
    char err[512] = "no config";
    json_t *bus = config ? json_object_get(ofts_config_root(config), "bus") : NULL;
    if (json_is_true(json_object_get(json_object_get(bus, "curve"), "enabled")))
        snprintf(err, sizeof err, "CURVE is on: a replay cannot hold every publisher's secret key");
    else if (config && ofts_trust_operator_from_config(config, err, sizeof err) == 0) {
        self->secret = ofts_trust_process_secret();
        return 0;
    }
    if (!self->per_publisher) {
        fprintf(stderr, "replay-bus: sending unsigned (%s)\n", err);
        return 0;
    }
    fprintf(stderr, "replay-bus: cannot sign as the publishers: %s (--unsigned to send anyway: the services "
            "will drop it)\n", err);
    return -1;
}

static int
s_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts replay-bus [--speed N | --max] [--bind EP | --as-publishers] [--topic PREFIX]\n"
            "                       [--from T] [--to T] [--wait-ms W] [--config F] [--unsigned] SEGMENT|DIR ...\n");
    return code;
}

int
main(int argc, char **argv)
{
    s_replay_t self = { .speed = 1 };
    rec_filter_t filter = { .messages_only = true };
    const char *bind = "tcp://127.0.0.1:47199", *config_path = ofts_config_default_path();
    int wait_ms = 1000, nargs = 0;
    bool sign = true;
    char **args = calloc((size_t) argc, sizeof *args);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--speed") == 0 && has)
            self.speed = atof(argv[++i]);
        else if (strcmp(a, "--max") == 0)
            self.speed = 0;
        else if (strcmp(a, "--bind") == 0 && has)
            bind = argv[++i];
        else if (strcmp(a, "--as-publishers") == 0)
            self.per_publisher = true;
        else if (strcmp(a, "--topic") == 0 && has)
            filter.prefix = argv[++i];
        else if ((strcmp(a, "--from") == 0 || strcmp(a, "--to") == 0) && has) {
            if (!rec_parse_time(argv[++i], a[2] == 'f' ? &filter.from_ns : &filter.to_ns)) {
                free(args);
                return s_usage(2);
            }
        }
        else if (strcmp(a, "--wait-ms") == 0 && has)
            wait_ms = atoi(argv[++i]);
        else if (strcmp(a, "--config") == 0 && has)
            config_path = argv[++i];
        else if (strcmp(a, "--unsigned") == 0)
            sign = false;
        else if (a[0] == '-') {
            free(args);
            return s_usage(strcmp(a, "--help") == 0 ? 0 : 2);
        }
        else
            args[nargs++] = argv[i];
    }
    if (!nargs || self.speed < 0) {
        free(args);
        return s_usage(2);
    }
    char **paths;
    size_t n = rec_expand(nargs, args, &paths);
    free(args);
    ofts_log_init("replay-bus", OFTS_LOG_WARN);
    int rc = 0;
    char err[512];
    self.config = ofts_config_load(config_path, err, sizeof err);
    if (self.per_publisher && !self.config) {
        fprintf(stderr, "replay-bus: %s\n", err);
        rc = 2;
    }
    else if (sign && s_use_secret(&self, self.config) != 0)
        rc = 2;
    else if (!self.per_publisher) {
        self.pubs[0].bus = s_bind(&self, "replay-bus", bind);
        self.npubs = 1;
        rc = self.pubs[0].bus ? 0 : 1;
    }
    if (rc == 0) {
        fprintf(stderr, "replay-bus: %zu segments %s, %s, %s\n", n,
                self.per_publisher ? "on each publisher's endpoint" : bind,
                self.speed > 0 ? "at recorded pace" : "as fast as possible", self.secret ? "signed" : "unsigned");
        zclock_sleep(wait_ms);      //  slow joiners
        if (rec_scan(paths, n, &filter, s_send, &self, NULL) > 0)
            rc = 1;
        fprintf(stderr, "replay-bus: sent %llu messages, skipped %llu\n", (unsigned long long) self.sent,
                (unsigned long long) self.skipped);
    }
    for (size_t i = 0; i < self.npubs; i++)
        ofts_bus_destroy(&self.pubs[i].bus);
    ofts_config_destroy(&self.config);
    rec_free_list(&paths, n);
    zsys_shutdown();
    return rc;
}
