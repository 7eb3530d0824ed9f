#include "ofts_config.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef OFTS_DEFAULT_CONFIG
#define OFTS_DEFAULT_CONFIG "config/default.json"
#endif

#define MAX_KEYS 256
#define MAX_CHILDREN 64

//  Top-level sections the system knows. A typo here must fail loudly: a
//  misspelled "risk" section would silently run with default risk limits.
static const char *s_sections[] = {
    "bus", "log", "up", "instruments", "gateway_md", "analyzer", "risk",
    "gateway_order", "monitor", "backtest", "demo", "recorder", "alerts", NULL
};

struct _ofts_config_t {
    char *path;
    json_t *root;
};

struct _ofts_cfgsec_t {
    ofts_config_t *config;
    json_t *obj;                    //  may be NULL: missing section
    char path[256];
    const char *used[MAX_KEYS];
    size_t nused;
    ofts_cfgsec_t *children[MAX_CHILDREN];
    size_t nchildren;
    char error[512];                //  first problem, empty when none
};

static ofts_config_t *
s_config_from_json(json_t *root, const char *name, char *err, size_t errlen)
{
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: top level must be a JSON object", name);
        json_decref(root);
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        bool known = false;
        for (int i = 0; s_sections[i]; i++)
            if (strcmp(key, s_sections[i]) == 0)
                known = true;
        if (!known) {
            snprintf(err, errlen, "%s: %s: unknown key", name, key);
            json_decref(root);
            return NULL;
        }
        if (!json_is_object(value)) {
            snprintf(err, errlen, "%s: %s: expected an object", name, key);
            json_decref(root);
            return NULL;
        }
    }
    ofts_config_t *self = calloc(1, sizeof *self);
    self->path = strdup(name);
    self->root = root;
    return self;
}

static json_t *
s_load_json(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!root)
        snprintf(err, errlen, "%s:%d:%d: bad JSON: %s", path, jerr.line, jerr.column, jerr.text);
    return root;
}

void
ofts_config_merge(json_t *base, json_t *over)
{
    const char *key;
    json_t *value;
    json_object_foreach(over, key, value) {
        json_t *mine = json_object_get(base, key);
        //  An endpoint set is one unit: a file that names endpoints names
        //  all it wants (a default publisher it did not list is not added).
        if (json_is_object(mine) && json_is_object(value) && strcmp(key, "endpoints") != 0)
            ofts_config_merge(mine, value);
        else
            json_object_set(base, key, value);
    }
}

const char *
ofts_config_defaults_path(void)
{
    const char *env = getenv("OFTS_DEFAULTS");
    return env && *env ? env : OFTS_DEFAULT_CONFIG;
}

ofts_config_t *
ofts_config_load(const char *path, char *err, size_t errlen)
{
    json_t *root = s_load_json(path, err, errlen);
    if (!root)
        return NULL;
    //  Layer the user's file over the defaults, so it holds only what it
    //  changes. Errors still name the user's file: the defaults are known
    //  good (a test checks them), so any problem is in what the user wrote.
    char real_user[4096], real_def[4096];
    const char *defaults = ofts_config_defaults_path();
    bool same = strcmp(defaults, "none") == 0
             || (realpath(path, real_user) && realpath(defaults, real_def) && strcmp(real_user, real_def) == 0);
    json_t *base = same || !json_is_object(root) ? NULL : s_load_json(defaults, err, errlen);
    if (base && json_is_object(base)) {
        ofts_config_merge(base, root);
        json_decref(root);
        root = base;
    }
    else
        json_decref(base);          //  no defaults here (an installed binary): the file alone
    err[0] = '\0';
    return s_config_from_json(root, path, err, errlen);
}

ofts_config_t *
ofts_config_parse(const char *text, const char *name, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: bad JSON: %s", name, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    return s_config_from_json(root, name, err, errlen);
}

void
ofts_config_destroy(ofts_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ofts_config_t *self = *self_p;
    json_decref(self->root);
    free(self->path);
    free(self);
    *self_p = NULL;
}

const char *ofts_config_path(ofts_config_t *self) { return self->path; }
json_t *ofts_config_root(ofts_config_t *self) { return self->root; }

const char *
ofts_config_default_path(void)
{
    const char *env = getenv("OFTS_CONFIG");
    return env && *env ? env : OFTS_DEFAULT_CONFIG;
}

static ofts_cfgsec_t *
s_section_new(ofts_config_t *config, json_t *obj, const char *path)
{
    ofts_cfgsec_t *self = calloc(1, sizeof *self);
    self->config = config;
    self->obj = obj;
    snprintf(self->path, sizeof self->path, "%s", path);
    return self;
}

static void
s_fail(ofts_cfgsec_t *self, const char *key, const char *fmt, va_list args)
{
    if (self->error[0])
        return;                     //  keep the first problem: it is the cause
    char what[256];
    vsnprintf(what, sizeof what, fmt, args);
    snprintf(self->error, sizeof self->error, "%s: %s%s%s: %s", self->config->path,
             self->path, *self->path && key ? "." : "", key ? key : "", what);
}

void
ofts_cfgsec_fail(ofts_cfgsec_t *self, const char *key, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    s_fail(self, key, fmt, args);
    va_end(args);
}

ofts_cfgsec_t *
ofts_config_section(ofts_config_t *self, const char *path)
{
    json_t *obj = self->root;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part && obj; part = strtok_r(NULL, ".", &save))
        obj = json_object_get(obj, part);
    ofts_cfgsec_t *sec = s_section_new(self, obj, path);
    if (obj && !json_is_object(obj)) {
        ofts_cfgsec_fail(sec, NULL, "expected an object");
        sec->obj = NULL;
    }
    return sec;
}

static void
s_mark(ofts_cfgsec_t *self, const char *key)
{
    for (size_t i = 0; i < self->nused; i++)
        if (strcmp(self->used[i], key) == 0)
            return;
    if (self->nused < MAX_KEYS && self->obj) {
        //  Keep the key pointer from the JSON object so it outlives the caller's.
        void *iter = json_object_iter_at(self->obj, key);
        if (iter)
            self->used[self->nused++] = json_object_iter_key(iter);
    }
}

static json_t *
s_get(ofts_cfgsec_t *self, const char *key)
{
    json_t *value = self->obj ? json_object_get(self->obj, key) : NULL;
    if (value)
        s_mark(self, key);
    return value;
}

ofts_cfgsec_t *
ofts_cfgsec_section(ofts_cfgsec_t *self, const char *key)
{
    json_t *obj = s_get(self, key);
    char path[256];
    snprintf(path, sizeof path, "%s%s%s", self->path, *self->path ? "." : "", key);
    ofts_cfgsec_t *child = s_section_new(self->config, obj, path);
    if (obj && !json_is_object(obj)) {
        ofts_cfgsec_fail(self, key, "expected an object");
        child->obj = NULL;
    }
    if (self->nchildren < MAX_CHILDREN)
        self->children[self->nchildren++] = child;
    return child;
}

const char *ofts_cfgsec_path(ofts_cfgsec_t *self) { return self->path; }

bool
ofts_cfgsec_has(ofts_cfgsec_t *self, const char *key)
{
    return self->obj && json_object_get(self->obj, key) != NULL;
}

size_t
ofts_cfgsec_keys(ofts_cfgsec_t *self, const char **keys, size_t max)
{
    size_t n = 0;
    const char *key;
    json_t *value;
    if (!self->obj)
        return 0;
    json_object_foreach(self->obj, key, value) {
        (void) value;
        if (n < max)
            keys[n++] = key;
    }
    return n;
}

int64_t
ofts_cfgsec_int(ofts_cfgsec_t *self, const char *key, int64_t def)
{
    json_t *v = s_get(self, key);
    if (!v)
        return def;
    if (json_is_integer(v))
        return (int64_t) json_integer_value(v);
    ofts_cfgsec_fail(self, key, "expected an integer");
    return def;
}

double
ofts_cfgsec_double(ofts_cfgsec_t *self, const char *key, double def)
{
    json_t *v = s_get(self, key);
    if (!v)
        return def;
    if (json_is_number(v))
        return json_number_value(v);
    ofts_cfgsec_fail(self, key, "expected a number");
    return def;
}

bool
ofts_cfgsec_bool(ofts_cfgsec_t *self, const char *key, bool def)
{
    json_t *v = s_get(self, key);
    if (!v)
        return def;
    if (json_is_boolean(v))
        return json_is_true(v);
    ofts_cfgsec_fail(self, key, "expected true or false");
    return def;
}

const char *
ofts_cfgsec_string(ofts_cfgsec_t *self, const char *key, const char *def)
{
    json_t *v = s_get(self, key);
    if (!v)
        return def;
    if (json_is_string(v))
        return json_string_value(v);
    ofts_cfgsec_fail(self, key, "expected a string");
    return def;
}

int
ofts_cfgsec_choice(ofts_cfgsec_t *self, const char *key, const char *def, const char *const choices[])
{
    const char *v = ofts_cfgsec_string(self, key, def);
    int n = 0, found = -1, fallback = 0;
    for (; choices[n]; n++) {
        if (strcmp(v, choices[n]) == 0)
            found = n;
        if (strcmp(def, choices[n]) == 0)
            fallback = n;
    }
    if (found >= 0)
        return found;
    char expected[256] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof expected; i++)
        len += (size_t) snprintf(expected + len, sizeof expected - len, "%s\"%s\"",
                                 i == 0 ? "" : i == n - 1 ? " or " : ", ", choices[i]);
    ofts_cfgsec_fail(self, key, "expected %s", expected);
    return fallback;
}

int64_t
ofts_cfgsec_int_range(ofts_cfgsec_t *self, const char *key, int64_t def, int64_t lo, int64_t hi)
{
    int64_t v = ofts_cfgsec_int(self, key, def);
    if (v < lo || v > hi) {
        ofts_cfgsec_fail(self, key, "must be between %lld and %lld", (long long) lo, (long long) hi);
        return def;
    }
    return v;
}

double
ofts_cfgsec_double_range(ofts_cfgsec_t *self, const char *key, double def, double lo, double hi)
{
    double v = ofts_cfgsec_double(self, key, def);
    if (!(v >= lo && v <= hi)) {
        ofts_cfgsec_fail(self, key, "must be between %g and %g", lo, hi);
        return def;
    }
    return v;
}

bool
ofts_endpoint_valid(const char *ep)
{
    if (!ep)
        return false;
    if (strncmp(ep, "ipc://", 6) == 0)
        return ep[6] != '\0';
    if (strncmp(ep, "inproc://", 9) == 0)
        return ep[9] != '\0';
    if (strncmp(ep, "tcp://", 6) != 0)
        return false;
    const char *host = ep + 6;
    const char *colon = strrchr(host, ':');
    if (!colon || colon == host)
        return false;
    const char *port = colon + 1;
    if (strcmp(port, "*") == 0)
        return true;
    if (!*port)
        return false;
    char *end;
    long n = strtol(port, &end, 10);
    return *end == '\0' && n > 0 && n < 65536;
}

const char *
ofts_cfgsec_endpoint(ofts_cfgsec_t *self, const char *key, const char *def)
{
    const char *ep = ofts_cfgsec_string(self, key, def);
    if (ep && !ofts_endpoint_valid(ep))
        ofts_cfgsec_fail(self, key, "bad endpoint '%s' (want tcp://host:port, ipc://path or inproc://name)", ep);
    return ep;
}

json_t *
ofts_cfgsec_json(ofts_cfgsec_t *self, const char *key)
{
    return s_get(self, key);
}

//  Depth-first: the first error found, in a child or in an unknown key.
static void
s_check(ofts_cfgsec_t *self, char *err, size_t errlen)
{
    for (size_t i = 0; i < self->nchildren; i++) {
        s_check(self->children[i], err, errlen);
        if (*err)
            return;
    }
    if (self->error[0]) {
        snprintf(err, errlen, "%s", self->error);
        return;
    }
    const char *key;
    json_t *value;
    if (!self->obj)
        return;
    json_object_foreach(self->obj, key, value) {
        (void) value;
        bool used = false;
        for (size_t i = 0; i < self->nused && !used; i++)
            used = strcmp(self->used[i], key) == 0;
        if (!used) {
            snprintf(err, errlen, "%s: %s%s%s: unknown key", self->config->path,
                     self->path, *self->path ? "." : "", key);
            return;
        }
    }
}

static void
s_section_destroy(ofts_cfgsec_t *self)
{
    for (size_t i = 0; i < self->nchildren; i++)
        s_section_destroy(self->children[i]);
    free(self);
}

int
ofts_cfgsec_finish(ofts_cfgsec_t **self_p, char *err, size_t errlen)
{
    if (!self_p || !*self_p)
        return 0;
    char buf[512] = "";
    s_check(*self_p, buf, sizeof buf);
    s_section_destroy(*self_p);
    *self_p = NULL;
    if (err && errlen)
        snprintf(err, errlen, "%s", buf);
    return buf[0] ? -1 : 0;
}

char *
ofts_config_secret(const char *name)
{
    const char *env = getenv(name);
    if (env && *env)
        return strdup(env);
    char fname[128];
    snprintf(fname, sizeof fname, "%s_FILE", name);
    const char *path = getenv(fname);
    if (!path || !*path)
        return NULL;
    struct stat st;
    if (stat(path, &st) != 0 || (st.st_mode & 077) != 0)
        return NULL;                //  group/world readable secrets are refused
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return n ? strdup(buf) : NULL;
}
