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

//  The owner of topic under rule, into buf (no snprintf: this runs for
//  every message a subscriber takes).
static const char *
s_owner(const s_rule_t *rule, const char *topic, char *buf, size_t size)
{
    const char *name = rule->owner;
    size_t len = name ? strlen(name) : 0;
    if (!name) {
        //  sys.heartbeat.<svc>. / sys.sync.<svc>. : the owner is the one
        //  name between the dots.
        name = topic + strlen(rule->prefix);
        const char *dot = strchr(name, '.');
        len = dot ? (size_t) (dot - name) : 0;
        if (len == 0 || dot[1] != '\0')
            return NULL;
    }
    if (len >= size)
        return NULL;
    memcpy(buf, name, len);
    buf[len] = '\0';
    return buf;
}

const char *
ofts_trust_owner(const char *topic, char *buf, size_t size)
{
    const s_rule_t *rule = s_rule(topic);
    return rule ? s_owner(rule, topic, buf, size) : NULL;
}

const char *
ofts_trust_check(const char *publisher, const char *topic, const Ofts__Envelope *env)
{
    char owner[64];
    const s_rule_t *rule = s_rule(topic);
    if (!rule || !s_owner(rule, topic, owner, sizeof owner))
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

//  --- the bus MAC: keyed BLAKE2b-256 (RFC 7693) -----------------------------
//  Our own few lines rather than crypto_generichash: libsodium offers no way
//  to keep a keyed state past the key block (it compresses lazily), so every
//  message paid for compressing the padded key again - one block of the two
//  or three a bus message takes. The result is byte for byte libsodium's
//  (libofts_trust checks both on fixed inputs and on every length).

static const uint64_t s_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

static const uint8_t s_sigma[12][16] = {
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
    { 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
    { 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
    { 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
    { 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
    { 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
    { 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
    { 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
    { 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
    { 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
    { 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
};

#define B2_BLOCK 128

static inline uint64_t s_rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

//  The 16 message words of a block. Little-endian hosts (every one we run
//  on) take them as they lie; the byte loop is for the others.
static inline void
s_load_block(uint64_t m[16], const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(m, p, 16 * sizeof *m);
#else
    for (int i = 0; i < 16; i++) {
        m[i] = 0;
        for (int j = 7; j >= 0; j--)
            m[i] = (m[i] << 8) | p[8 * i + j];
    }
#endif
}

#define B2_G(a, b, c, d, x, y)                                                                       \
    do {                                                                                              \
        a = a + b + (x);                                                                              \
        d = s_rotr(d ^ a, 32);                                                                        \
        c = c + d;                                                                                    \
        b = s_rotr(b ^ c, 24);                                                                        \
        a = a + b + (y);                                                                              \
        d = s_rotr(d ^ a, 16);                                                                        \
        c = c + d;                                                                                    \
        b = s_rotr(b ^ c, 63);                                                                        \
    } while (0)

//  One round spelled out with a constant r: the sigma lookups fold into
//  fixed word indices and the state stays in sixteen locals (registers).
//  A loop over r kept them in memory and cost 1.7-1.9x the time per block.
#define B2_ROUND(r)                                                                                   \
    do {                                                                                              \
        B2_G(v0, v4, v8, v12, m[s_sigma[r][0]], m[s_sigma[r][1]]);                                    \
        B2_G(v1, v5, v9, v13, m[s_sigma[r][2]], m[s_sigma[r][3]]);                                    \
        B2_G(v2, v6, v10, v14, m[s_sigma[r][4]], m[s_sigma[r][5]]);                                   \
        B2_G(v3, v7, v11, v15, m[s_sigma[r][6]], m[s_sigma[r][7]]);                                   \
        B2_G(v0, v5, v10, v15, m[s_sigma[r][8]], m[s_sigma[r][9]]);                                   \
        B2_G(v1, v6, v11, v12, m[s_sigma[r][10]], m[s_sigma[r][11]]);                                 \
        B2_G(v2, v7, v8, v13, m[s_sigma[r][12]], m[s_sigma[r][13]]);                                  \
        B2_G(v3, v4, v9, v14, m[s_sigma[r][14]], m[s_sigma[r][15]]);                                  \
    } while (0)

//  t: bytes hashed so far including this block (messages stay far below 2^64).
static void
s_compress(uint64_t h[8], const uint8_t block[B2_BLOCK], uint64_t t, bool last)
{
    uint64_t m[16];
    s_load_block(m, block);
    uint64_t v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3], v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7];
    uint64_t v8 = s_iv[0], v9 = s_iv[1], v10 = s_iv[2], v11 = s_iv[3];
    uint64_t v12 = s_iv[4] ^ t, v13 = s_iv[5], v14 = last ? ~s_iv[6] : s_iv[6], v15 = s_iv[7];
    B2_ROUND(0);
    B2_ROUND(1);
    B2_ROUND(2);
    B2_ROUND(3);
    B2_ROUND(4);
    B2_ROUND(5);
    B2_ROUND(6);
    B2_ROUND(7);
    B2_ROUND(8);
    B2_ROUND(9);
    B2_ROUND(10);
    B2_ROUND(11);
    h[0] ^= v0 ^ v8;
    h[1] ^= v1 ^ v9;
    h[2] ^= v2 ^ v10;
    h[3] ^= v3 ^ v11;
    h[4] ^= v4 ^ v12;
    h[5] ^= v5 ^ v13;
    h[6] ^= v6 ^ v14;
    h[7] ^= v7 ^ v15;
}

void
ofts_trust_mackey_init(ofts_trust_mackey_t *self, const uint8_t key[OFTS_TRUST_KEY_SIZE])
{
    uint8_t block[B2_BLOCK] = { 0 };
    memcpy(block, key, OFTS_TRUST_KEY_SIZE);
    memcpy(self->h, s_iv, sizeof self->h);
    //  Parameter block: digest length, key length, fanout 1, depth 1.
    self->h[0] ^= 0x01010000ULL ^ ((uint64_t) OFTS_TRUST_KEY_SIZE << 8) ^ OFTS_TRUST_MAC_SIZE;
    //  Never the last block: every MAC hashes at least the domain and sizes.
    s_compress(self->h, block, B2_BLOCK, false);
    sodium_memzero(block, sizeof block);
}

typedef struct {
    uint64_t h[8];
    uint64_t t;
    uint8_t buf[B2_BLOCK];
    size_t n;
} s_b2_t;

static void
s_b2_update(s_b2_t *s, const uint8_t *in, size_t len)
{
    while (len) {
        //  A full buffer is compressed only once more input comes: the last
        //  block must be compressed as the last one.
        if (s->n == B2_BLOCK) {
            s->t += B2_BLOCK;
            s_compress(s->h, s->buf, s->t, false);
            s->n = 0;
        }
        size_t take = B2_BLOCK - s->n < len ? B2_BLOCK - s->n : len;
        memcpy(s->buf + s->n, in, take);
        s->n += take;
        in += take;
        len -= take;
    }
}

void
ofts_trust_mac_with(const ofts_trust_mackey_t *key, const char *domain, const void *part1, size_t size1,
                    const void *part2, size_t size2, uint8_t mac[OFTS_TRUST_MAC_SIZE])
{
    s_b2_t s;
    memcpy(s.h, key->h, sizeof s.h);
    s.t = B2_BLOCK;
    s.n = 0;
    //  Lengths go in too, so (a, bc) and (ab, c) never share a MAC.
    uint8_t sizes[16];
    for (int i = 0; i < 8; i++) {
        sizes[i] = (uint8_t) ((uint64_t) size1 >> (8 * i));
        sizes[8 + i] = (uint8_t) ((uint64_t) size2 >> (8 * i));
    }
    s_b2_update(&s, (const uint8_t *) domain, strlen(domain) + 1);
    s_b2_update(&s, sizes, sizeof sizes);
    if (size1)
        s_b2_update(&s, part1, size1);
    if (size2)
        s_b2_update(&s, part2, size2);
    s.t += s.n;
    memset(s.buf + s.n, 0, B2_BLOCK - s.n);
    s_compress(s.h, s.buf, s.t, true);
    for (int i = 0; i < OFTS_TRUST_MAC_SIZE; i++)
        mac[i] = (uint8_t) (s.h[i / 8] >> (8 * (i % 8)));
    sodium_memzero(&s, sizeof s);
}

bool
ofts_trust_mac_with_ok(const ofts_trust_mackey_t *key, const char *domain, const void *part1, size_t size1,
                       const void *part2, size_t size2, const void *mac, size_t mac_size)
{
    if (mac_size != OFTS_TRUST_MAC_SIZE)
        return false;
    uint8_t want[OFTS_TRUST_MAC_SIZE];
    ofts_trust_mac_with(key, domain, part1, size1, part2, size2, want);
    //  Constant time like sodium_memcmp, a few times faster (it was a
    //  sixth of the MAC check's time on every received message).
    _Static_assert(OFTS_TRUST_MAC_SIZE == crypto_verify_32_BYTES, "MAC size is crypto_verify_32's");
    return crypto_verify_32(want, mac) == 0;
}

void
ofts_trust_mac(const uint8_t key[OFTS_TRUST_KEY_SIZE], const char *domain, const void *part1, size_t size1,
               const void *part2, size_t size2, uint8_t mac[OFTS_TRUST_MAC_SIZE])
{
    ofts_trust_mackey_t k;
    ofts_trust_mackey_init(&k, key);
    ofts_trust_mac_with(&k, domain, part1, size1, part2, size2, mac);
    sodium_memzero(&k, sizeof k);
}

bool
ofts_trust_mac_ok(const uint8_t key[OFTS_TRUST_KEY_SIZE], const char *domain, const void *part1, size_t size1,
                  const void *part2, size_t size2, const void *mac, size_t mac_size)
{
    ofts_trust_mackey_t k;
    ofts_trust_mackey_init(&k, key);
    bool ok = ofts_trust_mac_with_ok(&k, domain, part1, size1, part2, size2, mac, mac_size);
    sodium_memzero(&k, sizeof k);
    return ok;
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
