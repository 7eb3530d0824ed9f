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
    stopped, anything started with that config sees the recorded session. */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ofts_clock.h"
#include "ofts_config.h"
#include "rec_scan.h"
#include "rec_seqs.h"
#include "rec_writer.h"

#define MAX_PUBS 16

typedef struct {
    char name[48];
    zsock_t *sock;
} s_pub_t;

typedef struct {
    double speed;                   //  0 = as fast as possible
    int64_t first_ns, start_mono;
    s_pub_t pubs[MAX_PUBS];
    size_t npubs;
    bool per_publisher;
    ofts_config_t *config;
    uint64_t sent, skipped;
} s_replay_t;

static zsock_t *
s_bind(const char *endpoint)
{
    zsock_t *sock = zsock_new(ZMQ_PUB);
    zsock_set_sndhwm(sock, 10000000);
    zsock_set_linger(sock, 2000);
    if (zsock_bind(sock, "%s", endpoint) < 0) {
        fprintf(stderr, "replay-bus: cannot bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        zsock_destroy(&sock);
    }
    return sock;
}

//  The socket for publisher `name`: its endpoint from the config, bound on first use.
static zsock_t *
s_pub_for(s_replay_t *self, const char *name)
{
    if (!self->per_publisher)
        return self->pubs[0].sock;
    for (size_t i = 0; i < self->npubs; i++)
        if (strcmp(self->pubs[i].name, name) == 0)
            return self->pubs[i].sock;
    if (self->npubs == MAX_PUBS)
        return NULL;
    char path[128];
    snprintf(path, sizeof path, "bus.endpoints.%s", name);
    ofts_cfgsec_t *sec = ofts_config_section(self->config, path);
    const char *ep = ofts_cfgsec_string(sec, "pub", NULL);
    char err[256];
    zsock_t *sock = ep ? s_bind(ep) : NULL;
    ofts_cfgsec_finish(&sec, err, sizeof err);
    s_pub_t *pub = &self->pubs[self->npubs++];
    snprintf(pub->name, sizeof pub->name, "%s", name);
    pub->sock = sock;
    if (!ep)
        fprintf(stderr, "replay-bus: no bus.endpoints.%s.pub: its messages are skipped\n", name);
    else if (sock)
        zclock_sleep(300);          //  let subscribers of this publisher connect
    return sock;
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
    zsock_t *sock = s_pub_for(self, hdr.source);
    if (!sock) {
        self->skipped++;
        return 0;
    }
    s_pace(self, rec->recv_ns);
    void *handle = zsock_resolve(sock);
    zmq_send(handle, rec->topic, rec->topic_len, ZMQ_SNDMORE);
    zmq_send(handle, rec->payload, rec->payload_len, 0);
    self->sent++;
    return 0;
}

static int
s_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts replay-bus [--speed N | --max] [--bind EP | --as-publishers] [--topic PREFIX]\n"
            "                       [--from T] [--to T] [--wait-ms W] [--config F] SEGMENT|DIR ...\n");
    return code;
}

int
main(int argc, char **argv)
{
    s_replay_t self = { .speed = 1 };
    rec_filter_t filter = { .messages_only = true };
    const char *bind = "tcp://127.0.0.1:47199", *config_path = ofts_config_default_path();
    int wait_ms = 1000, nargs = 0;
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
    int rc = 0;
    char err[512];
    if (self.per_publisher && !(self.config = ofts_config_load(config_path, err, sizeof err))) {
        fprintf(stderr, "replay-bus: %s\n", err);
        rc = 2;
    }
    else if (!self.per_publisher) {
        self.pubs[0].sock = s_bind(bind);
        self.npubs = 1;
        rc = self.pubs[0].sock ? 0 : 1;
    }
    if (rc == 0) {
        fprintf(stderr, "replay-bus: %zu segments %s, %s\n", n,
                self.per_publisher ? "on each publisher's endpoint" : bind,
                self.speed > 0 ? "at recorded pace" : "as fast as possible");
        zclock_sleep(wait_ms);      //  slow joiners
        if (rec_scan(paths, n, &filter, s_send, &self, NULL) > 0)
            rc = 1;
        fprintf(stderr, "replay-bus: sent %llu messages, skipped %llu\n", (unsigned long long) self.sent,
                (unsigned long long) self.skipped);
    }
    for (size_t i = 0; i < self.npubs; i++)
        zsock_destroy(&self.pubs[i].sock);
    ofts_config_destroy(&self.config);
    rec_free_list(&paths, n);
    zsys_shutdown();
    return rc;
}
