#include "ofts_curve.h"
#include <sys/stat.h>
#include "ofts_config.h"
#include "ofts_log.h"

#define MAX_MAPS 64

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

int
ofts_curve_map(ofts_curve_t *self, const char *endpoint, const char *peer, char *err, size_t errlen)
{
    if (self->nmaps == MAX_MAPS)
        return -1;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.cert", self->cert_dir, peer);
    zcert_t *cert = zcert_load(path);
    if (!cert) {
        snprintf(err, errlen, "%s: missing public certificate of %s", path, peer);
        return -1;
    }
    s_map_t *m = &self->maps[self->nmaps++];
    snprintf(m->endpoint, sizeof m->endpoint, "%s", endpoint);
    snprintf(m->public_key, sizeof m->public_key, "%s", zcert_public_txt(cert));
    zcert_destroy(&cert);
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
    chmod(path, 0644);
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
