#include "ofts_curve.h"
#include <sys/stat.h>
#include "ofts_config.h"
#include "ofts_log.h"

#define MAX_MAPS 64
#define MAX_OPERATORS 8

typedef struct {
    char endpoint[256];
    char public_key[41];
} s_map_t;

struct _ofts_curve_t {
    zcert_t *own;
    zactor_t *auth;
    char cert_dir[512];
    s_map_t maps[MAX_MAPS];
    int nmaps;
    char operators[MAX_OPERATORS][41];  //  public keys that may command
    int noperators;
};

static ofts_curve_t *s_process = NULL;
void ofts_curve_set_process(ofts_curve_t *curve) { s_process = curve; }
ofts_curve_t *ofts_curve_process(void) { return s_process; }

ofts_curve_t *
ofts_curve_new(const char *cert_dir, const char *own_name, const char *authorized_dir, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.cert_secret", cert_dir, own_name);
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no such certificate (make them with `ofts keys %s`)", path, cert_dir);
        return NULL;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: secret key readable by others (chmod 600 it)", path);
        return NULL;
    }
    zcert_t *own = zcert_load(path);
    if (!own) {
        snprintf(err, errlen, "%s: not a certificate", path);
        return NULL;
    }
    ofts_curve_t *self = calloc(1, sizeof *self);
    self->own = own;
    snprintf(self->cert_dir, sizeof self->cert_dir, "%s", cert_dir);
    if (authorized_dir) {
        //  ZAP: every CURVE server in this process admits only known keys.
        self->auth = zactor_new(zauth, NULL);
        zstr_sendx(self->auth, "CURVE", authorized_dir, NULL);
        zsock_wait(self->auth);
    }
    return self;
}

void
ofts_curve_destroy(ofts_curve_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ofts_curve_t *self = *self_p;
    if (s_process == self)
        s_process = NULL;
    zactor_destroy(&self->auth);
    zcert_destroy(&self->own);
    free(self);
    *self_p = NULL;
}

//  The public key of cert_dir/<name>.cert into out (41 bytes); 0 or -1.
static int
s_public_key(ofts_curve_t *self, const char *name, char *out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.cert", self->cert_dir, name);
    zcert_t *cert = zcert_load(path);
    if (!cert)
        return -1;
    snprintf(out, 41, "%s", zcert_public_txt(cert));
    zcert_destroy(&cert);
    return 0;
}

int
ofts_curve_map(ofts_curve_t *self, const char *endpoint, const char *peer, char *err, size_t errlen)
{
    if (self->nmaps == MAX_MAPS)
        return -1;
    s_map_t *m = &self->maps[self->nmaps];
    if (s_public_key(self, peer, m->public_key) != 0) {
        snprintf(err, errlen, "%s/%s.cert: missing public certificate of %s", self->cert_dir, peer, peer);
        return -1;
    }
    snprintf(m->endpoint, sizeof m->endpoint, "%s", endpoint);
    self->nmaps++;
    return 0;
}

void
ofts_curve_apply_server(ofts_curve_t *self, zsock_t *sock)
{
    zcert_apply(self->own, sock);
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, "ofts");
}

int
ofts_curve_apply_client(ofts_curve_t *self, zsock_t *sock, const char *endpoint)
{
    for (int i = 0; i < self->nmaps; i++) {
        if (strcmp(self->maps[i].endpoint, endpoint) == 0) {
            zcert_apply(self->own, sock);
            zsock_set_curve_serverkey(sock, self->maps[i].public_key);
            return 0;
        }
    }
    log_error("curve: no server key known for %s", endpoint);
    return -1;
}

int
ofts_curve_add_operator(ofts_curve_t *self, const char *name, char *err, size_t errlen)
{
    if (self->noperators == MAX_OPERATORS || s_public_key(self, name, self->operators[self->noperators]) != 0) {
        snprintf(err, errlen, "%s/%s.cert: missing public certificate of operator %s", self->cert_dir, name, name);
        return -1;
    }
    self->noperators++;
    return 0;
}

bool
ofts_curve_is_operator(ofts_curve_t *self, const char *public_key)
{
    for (int i = 0; i < self->noperators; i++)
        if (strcmp(self->operators[i], public_key) == 0)
            return true;
    return false;
}

//  bus.curve.operators: names of the certificates that may command
//  (default: "ofts", the key `ofts cmd` uses). Every other admitted key
//  may read snapshots only.
static int
s_operators(ofts_curve_t *self, json_t *curve, char *err, size_t errlen)
{
    json_t *list = json_object_get(curve, "operators");
    if (!list) {
        if (ofts_curve_add_operator(self, "ofts", err, errlen) != 0)
            log_debug("curve: no ofts.cert in %s: nobody may command here", self->cert_dir);
        return 0;
    }
    size_t i;
    json_t *name;
    if (!json_is_array(list)) {
        snprintf(err, errlen, "bus.curve.operators: expected a list of certificate names");
        return -1;
    }
    json_array_foreach(list, i, name) {
        if (!json_is_string(name)) {
            snprintf(err, errlen, "bus.curve.operators: expected a list of certificate names");
            return -1;
        }
        if (ofts_curve_add_operator(self, json_string_value(name), err, errlen) != 0)
            return -1;
    }
    return 0;
}

int
ofts_curve_generate(const char *dir, const char *name)
{
    zcert_t *cert = zcert_new();
    zcert_set_meta(cert, "name", "%s", name);
    char path[1024], secret[1100];
    snprintf(path, sizeof path, "%s/%s.cert", dir, name);
    snprintf(secret, sizeof secret, "%s_secret", path);
    mode_t old = umask(077);
    int rc = zcert_save(cert, path);
    umask(old);
    //  Both 0600: the public half is not secret, but nobody else needs to
    //  read a key directory, and one rule is easier to check.
    chmod(path, 0600);
    chmod(secret, 0600);
    zcert_destroy(&cert);
    return rc;
}

int
ofts_curve_from_config(ofts_config_t *config, const char *own_name, ofts_curve_t **out, char *err, size_t errlen)
{
    *out = NULL;
    json_t *bus = json_object_get(ofts_config_root(config), "bus");
    json_t *curve = bus ? json_object_get(bus, "curve") : NULL;
    if (!curve || !json_is_true(json_object_get(curve, "enabled")))
        return 0;
    const char *cert_dir = json_string_value(json_object_get(curve, "cert_dir"));
    const char *auth_dir = json_string_value(json_object_get(curve, "authorized_dir"));
    const char *identity = json_string_value(json_object_get(curve, "identity"));
    if (!cert_dir) {
        snprintf(err, errlen, "%s: bus.curve.cert_dir: required when CURVE is enabled", ofts_config_path(config));
        return -1;
    }
    ofts_curve_t *self = ofts_curve_new(cert_dir, identity ? identity : own_name, auth_dir ? auth_dir : cert_dir,
                                        err, errlen);
    if (!self)
        return -1;
    if (s_operators(self, curve, err, errlen) != 0) {
        ofts_curve_destroy(&self);
        return -1;
    }
    const char *name;
    json_t *one;
    json_object_foreach(json_object_get(bus, "endpoints"), name, one) {
        //  "server" names the certificate behind the endpoint when it is not
        //  the service itself (a forwarder republishing it).
        const char *server = json_string_value(json_object_get(one, "server"));
        const char *kinds[] = { "pub", "ctl" };
        for (int k = 0; k < 2; k++) {
            const char *ep = json_string_value(json_object_get(one, kinds[k]));
            if (ep && ofts_curve_map(self, ep, server ? server : name, err, errlen) != 0) {
                ofts_curve_destroy(&self);
                return -1;
            }
        }
    }
    *out = self;
    return 0;
}
