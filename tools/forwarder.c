/*  ofts-forwarder - one bus endpoint for a remote machine.

    Subscribes (XSUB) to the publishers named in bus.forwarder.publishers and
    republishes everything (XPUB) on bus.forwarder.bind. Subscriptions flow
    back upstream, so only what remote subscribers ask for crosses the
    network. Messages pass through untouched: topics, headers, sequence
    numbers and gap detection work end to end.

    With bus.curve enabled the XSUB side is a CURVE client of each publisher
    and the XPUB side a CURVE server with the forwarder's own certificate
    ("forwarder" unless bus.curve.identity says otherwise), behind the same
    ZAP allow-list. czmq's zproxy can only make CURVE *servers*, and our
    publishers bind, so the forwarder wires its two sockets itself and runs
    libzmq's zmq_proxy between them.

    Config:  "bus": { "forwarder": { "bind": "tcp://0.0.0.0:47200",
                                     "publishers": ["gateway-md", "analyzer"] } }
    A remote machine's config then points those services' "pub" at the
    forwarder's address.                                                    */
#include <czmq.h>
#include <stdio.h>
#include <string.h>
#include "ofts_config.h"
#include "ofts_curve.h"
#include "ofts_log.h"

static int
s_fail(const char *path, const char *what)
{
    fprintf(stderr, "ofts-forwarder: config error: %s: bus.forwarder.%s\n", path, what);
    return OFTS_EXIT_CONFIG;
}

int
main(int argc, char **argv)
{
    const char *path = ofts_config_default_path();
    bool check = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--check-config") == 0)
            check = true;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: ofts-forwarder [--config F] [--check-config] [--help]\n"
                   "  republishes bus.forwarder.publishers on bus.forwarder.bind (XSUB -> XPUB)\n"
                   "  --config F        configuration, layered over the defaults\n"
                   "  --check-config    check it and exit 0 or 2\n");
            return 0;
        }
        else {
            fprintf(stderr, "ofts-forwarder: unknown flag '%s'\nusage: ofts-forwarder [--config F] [--check-config] [--help]\n",
                    argv[i]);
            return 2;
        }
    }
    ofts_log_init("forwarder", OFTS_LOG_INFO);
    char err[512];
    ofts_config_t *cfg = ofts_config_load(path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "ofts-forwarder: config error: %s\n", err);
        return OFTS_EXIT_CONFIG;
    }
    json_t *bus = json_object_get(ofts_config_root(cfg), "bus");
    json_t *fw = bus ? json_object_get(bus, "forwarder") : NULL;
    const char *bind = fw ? json_string_value(json_object_get(fw, "bind")) : NULL;
    json_t *pubs = fw ? json_object_get(fw, "publishers") : NULL;
    int rc = 0;
    if (!bind || !ofts_endpoint_valid(bind))
        rc = s_fail(path, "bind: missing or bad endpoint");
    else if (!json_is_array(pubs) || json_array_size(pubs) == 0)
        rc = s_fail(path, "publishers: expected a list of service names");
    ofts_curve_t *curve = NULL;
    if (rc == 0 && ofts_curve_from_config(cfg, "forwarder", &curve, err, sizeof err) != 0) {
        fprintf(stderr, "ofts-forwarder: config error: %s\n", err);
        rc = OFTS_EXIT_CONFIG;
    }
    if (rc != 0 || check) {
        ofts_curve_destroy(&curve);
        ofts_config_destroy(&cfg);
        return rc;
    }
    ofts_curve_set_process(curve);
    zsock_t *front = zsock_new(ZMQ_XSUB);
    zsock_t *back = zsock_new(ZMQ_XPUB);
    zsock_set_sndhwm(back, 200000);
    zsock_set_rcvhwm(front, 200000);
    size_t i;
    json_t *name;
    json_array_foreach(pubs, i, name) {
        json_t *ep = json_object_get(json_object_get(json_object_get(bus, "endpoints"), json_string_value(name)), "pub");
        const char *endpoint = json_string_value(ep);
        if (!endpoint || (curve && ofts_curve_apply_client(curve, front, endpoint) != 0)
            || zsock_connect(front, "%s", endpoint) < 0) {
            rc = s_fail(path, "publishers: unknown service or endpoint");
            break;
        }
        log_info("forwarding %s (%s)", json_string_value(name), endpoint);
    }
    if (rc == 0) {
        if (curve)
            ofts_curve_apply_server(curve, back);
        if (zsock_bind(back, "%s", bind) < 0) {
            log_error("cannot bind %s: %s", bind, zmq_strerror(zmq_errno()));
            rc = 1;
        }
    }
    if (rc == 0) {
        log_info("started pid %d, republishing on %s%s", (int) getpid(), bind, curve ? " (CURVE)" : "");
        //  Returns when a signal interrupts it (czmq's handler has run).
        zmq_proxy(zsock_resolve(front), zsock_resolve(back), NULL);
        log_info("stopping (%s)", zsys_interrupted ? "signal" : "proxy ended");
    }
    zsock_destroy(&front);
    zsock_destroy(&back);
    ofts_curve_destroy(&curve);
    ofts_config_destroy(&cfg);
    return rc;
}
