/*  ofts_curve - CURVE encryption and authentication of every bus socket.

    Each service has a certificate in cert_dir: <name>.cert (public) and
    <name>.cert_secret (secret, must be mode 0600 or stricter); `ofts keys
    DIR` makes them. A service's PUB and ctl sockets are CURVE servers with
    its own certificate; its SUB and ctl clients are CURVE clients that
    know each server's public key by endpoint. A ZAP handler (czmq zauth)
    admits only clients whose public certificate is in authorized_dir, so
    a peer without a known key gets nothing and can send nothing.

    One process-wide instance: ofts_bus and ofts_ctl consult it when set. */
#ifndef OFTS_CURVE_H
#define OFTS_CURVE_H
#include <czmq.h>
#include <stdbool.h>

typedef struct _ofts_curve_t ofts_curve_t;

ofts_curve_t *ofts_curve_new(const char *cert_dir, const char *own_name, const char *authorized_dir,
                             char *err, size_t errlen);
void ofts_curve_destroy(ofts_curve_t **self_p);
//  Record that `endpoint` is served by `peer` (loads peer's public cert).
int ofts_curve_map(ofts_curve_t *self, const char *endpoint, const char *peer, char *err, size_t errlen);
void ofts_curve_apply_server(ofts_curve_t *self, zsock_t *sock);
//  0, or -1 when no server key is known for the endpoint.
int ofts_curve_apply_client(ofts_curve_t *self, zsock_t *sock, const char *endpoint);

//  Operators: the keys allowed to send commands on a ctl socket.
int ofts_curve_add_operator(ofts_curve_t *self, const char *name, char *err, size_t errlen);
bool ofts_curve_is_operator(ofts_curve_t *self, const char *public_key);

void ofts_curve_set_process(ofts_curve_t *curve);
ofts_curve_t *ofts_curve_process(void);

//  From a loaded config: bus.curve {enabled, cert_dir, authorized_dir} and
//  every bus.endpoints entry mapped to its service. 0 with *out = NULL when
//  CURVE is not enabled; -1 with err on a problem.
struct _ofts_config_t;
int ofts_curve_from_config(struct _ofts_config_t *config, const char *own_name, ofts_curve_t **out,
                           char *err, size_t errlen);

//  Write <dir>/<name>.cert and <name>.cert_secret (0600). 0 or -1.
int ofts_curve_generate(const char *dir, const char *name);

#endif
