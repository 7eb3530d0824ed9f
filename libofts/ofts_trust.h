/*  ofts_trust - who may say what on the bus (DESIGN.md principle 9).

    Every topic has one owner: md.* gateway-md, of.* analyzer, risk.* risk,
    exec.* gateway-order, sys.heartbeat.<svc>. that service. A message is
    accepted only when it came in on the SUB socket connected to its owner's
    endpoint, its header names the owner as source, and its body is the one
    type its topic carries (an OrderRequest only on risk.order., a Command
    only on risk.command.). ofts_bus applies this to every socket that was
    connected for a named publisher; see docs/security.md. A NEW TOPIC MUST
    BE ADDED to the table in ofts_trust.c (and docs/security.md), or every
    subscriber drops it ("topic has no owner").

    Without CURVE a publisher also proves who it is with a MAC over each
    message, keyed by a per-installation secret in a 0600 file
    (bus.secret_file); the same secret signs operator commands on the
    control path. Under CURVE the pinned server key of each endpoint does
    that job and the ctl server admits commands only from operator keys.   */
#ifndef OFTS_TRUST_H
#define OFTS_TRUST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofts.pb-c.h"

#define OFTS_TRUST_KEY_SIZE 32
#define OFTS_TRUST_DEFAULT_SECRET "var/bus.secret"
#define OFTS_TRUST_MAC_SIZE 32
//  How far a signed command's clock may be from ours (replay window).
#define OFTS_TRUST_CMD_WINDOW_NS (60LL * 1000000000LL)

//  The service owning topic ("md.trade.GC." -> "gateway-md"), written into
//  buf; NULL when no service owns it.
const char *ofts_trust_owner(const char *topic, char *buf, size_t size);

//  NULL when `publisher` (the service whose endpoint the message came from)
//  may publish env on topic; otherwise a short static reason.
const char *ofts_trust_check(const char *publisher, const char *topic, const Ofts__Envelope *env);

//  Read the secret from path, creating it (32 random bytes, mode 0600,
//  atomically) when missing. Refuses a file readable by group or others.
//  0, or -1 with a one-line reason in err.
int ofts_trust_secret_load(const char *path, uint8_t key[OFTS_TRUST_KEY_SIZE], char *err, size_t errlen);

//  A MAC key made ready for many messages: keyed BLAKE2b's first block (the
//  padded key) compressed once, so a MAC costs only its own bytes. Holds
//  secret-equivalent state: keep it where the key is kept.
typedef struct {
    uint64_t h[8];
} ofts_trust_mackey_t;
void ofts_trust_mackey_init(ofts_trust_mackey_t *self, const uint8_t key[OFTS_TRUST_KEY_SIZE]);
//  The MAC below with a prepared key (byte for byte the same).
void ofts_trust_mac_with(const ofts_trust_mackey_t *key, const char *domain, const void *part1, size_t size1,
                         const void *part2, size_t size2, uint8_t mac[OFTS_TRUST_MAC_SIZE]);
bool ofts_trust_mac_with_ok(const ofts_trust_mackey_t *key, const char *domain, const void *part1, size_t size1,
                            const void *part2, size_t size2, const void *mac, size_t mac_size);

//  MAC over (domain, part1, part2) with key. Either part may be empty: keyed
//  BLAKE2b-256 of domain\0 || le64(size1) || le64(size2) || part1 || part2.
void ofts_trust_mac(const uint8_t key[OFTS_TRUST_KEY_SIZE], const char *domain, const void *part1, size_t size1,
                    const void *part2, size_t size2, uint8_t mac[OFTS_TRUST_MAC_SIZE]);
//  Constant-time check of a received MAC.
bool ofts_trust_mac_ok(const uint8_t key[OFTS_TRUST_KEY_SIZE], const char *domain, const void *part1,
                       size_t size1, const void *part2, size_t size2, const void *mac, size_t mac_size);

//  The process-wide secret (set by the service shell and `ofts cmd`); NULL
//  when none (CURVE mode, or a tool without one).
void ofts_trust_set_process_secret(const uint8_t key[OFTS_TRUST_KEY_SIZE]);
const uint8_t *ofts_trust_process_secret(void);
//  Load (or create) path and make it the process secret: what a test or a
//  tool that stands in for a service does. 0, or -1 (logged).
int ofts_trust_use_secret_file(const char *path);
//  What `ofts cmd` does without CURVE: use the services' bus secret
//  (bus.secret_file of config) as the operator credential. The file must
//  already exist (the services made it). 0, or -1 with err.
struct _ofts_config_t;
int ofts_trust_operator_from_config(struct _ofts_config_t *config, char *err, size_t errlen);

//  Rate-limited warning: at most one line per `what` every 10 s, with the
//  count of drops since the last line. Returns true when it logged.
bool ofts_trust_log_drop(const char *what, const char *detail, uint64_t total);

#endif
