/*  ofts_config - the one JSON config file (jansson), read with checks.

    Every module reads its own section through an ofts_cfgsec_t, which remembers
    which keys were read. ofts_cfgsec_finish() then reports the first problem as
    one line naming the file and the dotted key:
        config/default.json: risk.cooldown_minute: unknown key
        config/default.json: risk.cooldown_minutes: expected an integer
    Services print that line and exit 2. Secrets never live here: they come
    from the environment (see ofts_config_secret).                             */
#ifndef OFTS_CONFIG_H
#define OFTS_CONFIG_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Exit codes a supervisor never restarts: 2 = the configuration is wrong
//  (also: an endpoint already taken, another instance running); 3 = an
//  error a restart cannot fix (missing replay file, gateway rejected the
//  key, missing secret). Any other non-zero code is restarted with backoff.
#define OFTS_EXIT_CONFIG 2
//  A service that cannot take its endpoint (another process holds it) exits
//  with the same code: the supervisor stops instead of restart-looping, and
//  nobody else gets to stand in for the service (docs/security.md).
#define OFTS_EXIT_IN_USE OFTS_EXIT_CONFIG
#define OFTS_EXIT_FATAL 3

typedef struct _ofts_config_t ofts_config_t;
typedef struct _ofts_cfgsec_t ofts_cfgsec_t;

//  Load and parse, layered over the defaults (config/default.json, or
//  $OFTS_DEFAULTS; "none" for no layering): objects merge key by key, anything else in the file
//  replaces the default, so a user file holds only what it changes. Unknown
//  sections are an error. On failure returns NULL and writes a one-line
//  message into err.
ofts_config_t *ofts_config_load(const char *path, char *err, size_t errlen);
//  The defaults every loaded file is layered over.
const char *ofts_config_defaults_path(void);
//  Merge `over` into `base`: objects recursively, other values replaced.
void ofts_config_merge(json_t *base, json_t *over);
//  Parse from a string (tests); `name` stands in for the file name in errors.
ofts_config_t *ofts_config_parse(const char *text, const char *name, char *err, size_t errlen);
void ofts_config_destroy(ofts_config_t **self_p);
const char *ofts_config_path(ofts_config_t *self);
json_t *ofts_config_root(ofts_config_t *self);
//  The path a program uses when not given --config: $OFTS_CONFIG, else the
//  source tree's config/default.json.
const char *ofts_config_default_path(void);

//  A section by dotted path ("risk", "bus.endpoints.risk"). A missing section
//  reads as empty (every key takes its default); a non-object is an error.
ofts_cfgsec_t *ofts_config_section(ofts_config_t *self, const char *path);
//  A child object of a section; owned by the parent, finished with it.
ofts_cfgsec_t *ofts_cfgsec_section(ofts_cfgsec_t *self, const char *key);
const char *ofts_cfgsec_path(ofts_cfgsec_t *self);
bool ofts_cfgsec_has(ofts_cfgsec_t *self, const char *key);
//  Keys of this section, in file order (for maps like per-symbol tables).
size_t ofts_cfgsec_keys(ofts_cfgsec_t *self, const char **keys, size_t max);

int64_t ofts_cfgsec_int(ofts_cfgsec_t *self, const char *key, int64_t def);
double ofts_cfgsec_double(ofts_cfgsec_t *self, const char *key, double def);
bool ofts_cfgsec_bool(ofts_cfgsec_t *self, const char *key, bool def);
//  Returned strings live as long as the config.
const char *ofts_cfgsec_string(ofts_cfgsec_t *self, const char *key, const char *def);
//  A value in [lo, hi]; out of range is a config error ("must be between lo
//  and hi") and the default is returned.
int64_t ofts_cfgsec_int_range(ofts_cfgsec_t *self, const char *key, int64_t def, int64_t lo, int64_t hi);
double ofts_cfgsec_double_range(ofts_cfgsec_t *self, const char *key, double def, double lo, double hi);
//  One of choices (NULL-terminated): its index. Anything else is a config
//  error ('expected "a", "b" or "c"') and def's index is returned (def must
//  be one of them).
int ofts_cfgsec_choice(ofts_cfgsec_t *self, const char *key, const char *def, const char *const choices[]);
//  A ZeroMQ endpoint: tcp://host:port, ipc://path or inproc://name.
const char *ofts_cfgsec_endpoint(ofts_cfgsec_t *self, const char *key, const char *def);
//  Raw JSON value (borrowed), marks the key as read; NULL when absent.
json_t *ofts_cfgsec_json(ofts_cfgsec_t *self, const char *key);
//  Record a module's own validation failure (range, enum ...) on a key.
void ofts_cfgsec_fail(ofts_cfgsec_t *self, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

//  Check for unknown keys (recursively through child sections), destroy the
//  section, and return 0, or -1 with the first problem in err.
int ofts_cfgsec_finish(ofts_cfgsec_t **self_p, char *err, size_t errlen);

//  True when text is a valid ZeroMQ endpoint we support.
bool ofts_endpoint_valid(const char *endpoint);

//  A secret from the environment variable `name`, else from the file named by
//  `name`_FILE if that file is mode 0600 or stricter; NULL when neither.
//  The caller frees the result. Never log it.
char *ofts_config_secret(const char *name);

#endif
