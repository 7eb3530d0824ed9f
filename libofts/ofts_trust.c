/*  ofts_trust - see ofts_trust.h. The tables below are the whole policy:
    one place to read who owns what and which body each topic carries.    */
#include "ofts_trust.h"
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_log.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *prefix;
    const char *owner;                  //  NULL: sys.<kind>.<owner>.
    Ofts__Envelope__BodyCase body;
} s_rule_t;

static const s_rule_t s_rules[] = {
    { "md.trade.",      "gateway-md",    OFTS__ENVELOPE__BODY_TRADE },
    { "md.bbo.",        "gateway-md",    OFTS__ENVELOPE__BODY_BBO },
    { "md.book.",       "gateway-md",    OFTS__ENVELOPE__BODY_DEPTH },
    { "of.metrics.",    "analyzer",      OFTS__ENVELOPE__BODY_METRICS },
    { "of.signal.",     "analyzer",      OFTS__ENVELOPE__BODY_SIGNAL },
    { "risk.order.",    "risk",          OFTS__ENVELOPE__BODY_ORDER_REQUEST },
    { "risk.reject.",   "risk",          OFTS__ENVELOPE__BODY_RISK_REJECT },
    { "risk.account.",  "risk",          OFTS__ENVELOPE__BODY_ACCOUNT },
    //  risk's own instruction to gateway-order (flatten, kill): the only
    //  Command allowed on the bus. An operator's commands use the ctl path.
    { "risk.command.",  "risk",          OFTS__ENVELOPE__BODY_COMMAND },
    { "risk.position.", "risk",          OFTS__ENVELOPE__BODY_POSITION },
    { "exec.order.",    "gateway-order", OFTS__ENVELOPE__BODY_ORDER_UPDATE },
    { "exec.fill.",     "gateway-order", OFTS__ENVELOPE__BODY_FILL },
    { "exec.position.", "gateway-order", OFTS__ENVELOPE__BODY_POSITION },
    { "exec.account.",  "gateway-order", OFTS__ENVELOPE__BODY_ACCOUNT },     //  its own trading state
    { "sys.heartbeat.", NULL,            OFTS__ENVELOPE__BODY_HEARTBEAT },
    { "sys.sync.",      NULL,            OFTS__ENVELOPE__BODY_SYNC },        //  bus.lockstep replays
};

static const s_rule_t *
s_rule(const char *topic)
{
    for (size_t i = 0; i < sizeof s_rules / sizeof s_rules[0]; i++)
        if (strncmp(topic, s_rules[i].prefix, strlen(s_rules[i].prefix)) == 0)
            return &s_rules[i];
    return NULL;
}

const char *
ofts_trust_owner(const char *topic, char *buf, size_t size)
{
    const s_rule_t *rule = s_rule(topic);
    if (!rule)
        return NULL;
    if (rule->owner) {
        snprintf(buf, size, "%s", rule->owner);
        return buf;
    }
    //  sys.heartbeat.<svc>. / sys.sync.<svc>. : the owner is the one name
    //  between the dots.
    const char *name = topic + strlen(rule->prefix);
    const char *dot = strchr(name, '.');
    size_t len = dot ? (size_t) (dot - name) : 0;
    if (len == 0 || len >= size || dot[1] != '\0')
        return NULL;
    memcpy(buf, name, len);
    buf[len] = '\0';
    return buf;
}

const char *
ofts_trust_check(const char *publisher, const char *topic, const Ofts__Envelope *env)
{
    char owner[64];
    const s_rule_t *rule = s_rule(topic);
    if (!rule || !ofts_trust_owner(topic, owner, sizeof owner))
        return "topic has no owner";
    if (!publisher || strcmp(publisher, owner) != 0)
        return "topic not owned by this publisher";
    if (!env->header || !env->header->source || strcmp(env->header->source, owner) != 0)
        return "header source is not the topic's owner";
    if (env->body_case != rule->body)
        return "body type does not belong to the topic";
    if (rule->body == OFTS__ENVELOPE__BODY_HEARTBEAT
        && (!env->heartbeat || !env->heartbeat->service || strcmp(env->heartbeat->service, owner) != 0))
        return "heartbeat names another service";
    return NULL;
}

//  Create path with fresh random bytes, all or nothing: write a private
//  temp file, then link() it into place (fails if another process won).
static int
s_secret_create(const char *path, char *err, size_t errlen)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int) getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        return -1;
    }
    uint8_t key[OFTS_TRUST_KEY_SIZE];
    randombytes_buf(key, sizeof key);
    bool ok = write(fd, key, sizeof key) == (ssize_t) sizeof key && fsync(fd) == 0;
    close(fd);
    sodium_memzero(key, sizeof key);
    int rc = ok && (link(tmp, path) == 0 || errno == EEXIST) ? 0 : -1;
    if (rc != 0)
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    unlink(tmp);
    return rc;
}

int
ofts_trust_secret_load(const char *path, uint8_t key[OFTS_TRUST_KEY_SIZE], char *err, size_t errlen)
{
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium did not initialise");
        return -1;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        if (s_secret_create(path, err, errlen) != 0)
            return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = -1;
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077))
        snprintf(err, errlen, "%s: bus secret readable by others (chmod 600 it)", path);
    else if (st.st_uid != geteuid())
        snprintf(err, errlen, "%s: bus secret owned by another user", path);
    else if (read(fd, key, OFTS_TRUST_KEY_SIZE) != OFTS_TRUST_KEY_SIZE)
        snprintf(err, errlen, "%s: bus secret too short (delete it to make a new one)", path);
    else
        rc = 0;
    close(fd);
    return rc;
}

void
ofts_trust_mac(const uint8_t key[OFTS_TRUST_KEY_SIZE], const char *domain, const void *part1, size_t size1,
               const void *part2, size_t size2, uint8_t mac[OFTS_TRUST_MAC_SIZE])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, OFTS_TRUST_KEY_SIZE, OFTS_TRUST_MAC_SIZE);
    //  Lengths go in too, so (a, bc) and (ab, c) never share a MAC.
    uint64_t sizes[2] = { size1, size2 };
    crypto_generichash_update(&st, (const unsigned char *) domain, strlen(domain) + 1);
    crypto_generichash_update(&st, (const unsigned char *) sizes, sizeof sizes);
    if (size1)
        crypto_generichash_update(&st, part1, size1);
    if (size2)
        crypto_generichash_update(&st, part2, size2);
    crypto_generichash_final(&st, mac, OFTS_TRUST_MAC_SIZE);
}

bool
ofts_trust_mac_ok(const uint8_t key[OFTS_TRUST_KEY_SIZE], const char *domain, const void *part1, size_t size1,
                  const void *part2, size_t size2, const void *mac, size_t mac_size)
{
    if (mac_size != OFTS_TRUST_MAC_SIZE)
        return false;
    uint8_t want[OFTS_TRUST_MAC_SIZE];
    ofts_trust_mac(key, domain, part1, size1, part2, size2, want);
    return sodium_memcmp(want, mac, OFTS_TRUST_MAC_SIZE) == 0;
}

static uint8_t s_secret[OFTS_TRUST_KEY_SIZE];
static bool s_have_secret = false;

void
ofts_trust_set_process_secret(const uint8_t key[OFTS_TRUST_KEY_SIZE])
{
    s_have_secret = key != NULL;
    if (key)
        memcpy(s_secret, key, sizeof s_secret);
    else
        sodium_memzero(s_secret, sizeof s_secret);
}

const uint8_t *ofts_trust_process_secret(void) { return s_have_secret ? s_secret : NULL; }

int
ofts_trust_use_secret_file(const char *path)
{
    char err[512];
    uint8_t key[OFTS_TRUST_KEY_SIZE];
    if (ofts_trust_secret_load(path, key, err, sizeof err) != 0) {
        log_error("%s", err);
        return -1;
    }
    ofts_trust_set_process_secret(key);
    sodium_memzero(key, sizeof key);
    return 0;
}

int
ofts_trust_operator_from_config(ofts_config_t *config, char *err, size_t errlen)
{
    json_t *bus = json_object_get(ofts_config_root(config), "bus");
    const char *path = json_string_value(json_object_get(bus, "secret_file"));
    if (!path)
        path = OFTS_TRUST_DEFAULT_SECRET;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no bus secret (the operator credential): are the services running with "
                 "this config, from this folder?", path);
        return -1;
    }
    uint8_t key[OFTS_TRUST_KEY_SIZE];
    if (ofts_trust_secret_load(path, key, err, errlen) != 0)
        return -1;
    ofts_trust_set_process_secret(key);
    sodium_memzero(key, sizeof key);
    return 0;
}

#define LOG_SLOTS 16
#define LOG_EVERY_NS (10LL * 1000000000LL)

bool
ofts_trust_log_drop(const char *what, const char *detail, uint64_t total)
{
    static struct {
        const char *what;
        int64_t last_ns;
        uint64_t last_total;
    } slots[LOG_SLOTS];
    int64_t now = ofts_clock_mono_ns();
    size_t i = 0;
    while (i < LOG_SLOTS - 1 && slots[i].what && strcmp(slots[i].what, what) != 0)
        i++;
    if (slots[i].what && now - slots[i].last_ns < LOG_EVERY_NS)
        return false;
    log_warn("trust: dropped %s (%s); %llu dropped in all, %llu since the last such line", what, detail,
             (unsigned long long) total, (unsigned long long) (total - slots[i].last_total));
    slots[i].what = what;
    slots[i].last_ns = now;
    slots[i].last_total = total;
    return true;
}
