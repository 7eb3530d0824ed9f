/*  rec_e2e - see rec_e2e.h.                                              */
#include "rec_e2e.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ofts_trust.h"
#include "rec_scan.h"
#include "rec_seqs.h"
#include "rec_writer.h"

char *
rec_e2e_config(const char *dir, const char *extra_json, const char *recorder_json)
{
    char *path = e2e_write_config(dir, extra_json);
    json_t *root = json_load_file(path, 0, NULL);
    json_t *eps = json_object_get(json_object_get(root, "bus"), "endpoints");
    char pub[512], rec_dir[512];
    snprintf(pub, sizeof pub, "ipc://%s/recorder.pub", dir);
    snprintf(rec_dir, sizeof rec_dir, "%s/rec", dir);
    json_object_set_new(eps, "recorder", json_pack("{s:s}", "pub", pub));
    json_t *rec = json_pack("{s:s, s:s}", "dir", rec_dir, "fsync", "none");
    if (recorder_json) {
        json_t *more = json_loads(recorder_json, 0, NULL);
        json_object_update(rec, more);
        json_decref(more);
    }
    json_object_set_new(root, "recorder", rec);
    json_dump_file(root, path, JSON_INDENT(2));
    json_decref(root);
    return path;
}

void
rec_e2e_publish_trades(ofts_bus_t *bus, int first, int count)
{
    for (int i = first; i < first + count; i++) {
        Ofts__Trade t = OFTS__TRADE__INIT;
        t.symbol = "GC";
        t.contract = "GCZ6";
        t.price = 2350100000000 + i;
        t.size = 1;
        Ofts__Envelope env = OFTS__ENVELOPE__INIT;
        env.body_case = OFTS__ENVELOPE__BODY_TRADE;
        env.trade = &t;
        ofts_bus_publish(bus, "md.trade.GC.", &env);
    }
}

int
rec_e2e_sign(ofts_bus_t *bus, const char *dir)
{
    char path[600], err[512];
    uint8_t key[OFTS_TRUST_KEY_SIZE];
    snprintf(path, sizeof path, "%s/var", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/var/bus.secret", dir);
    if (ofts_trust_secret_load(path, key, err, sizeof err) != 0) {
        fprintf(stderr, "rec_e2e_sign: %s\n", err);
        return -1;
    }
    ofts_bus_set_secret(bus, key);
    sodium_memzero(key, sizeof key);
    return 0;
}

static int
s_collect(void *arg, const char *path, const rec_record_t *rec)
{
    (void) path;
    rec_e2e_trades_t *s = arg;
    if (rec->type == REC_START)
        s->starts++;
    if (rec->type == REC_MESSAGE && rec->topic_len == 11 && memcmp(rec->topic, "sys.warmup.", 11) == 0)
        s->warmups++;
    if (rec->type != REC_MESSAGE || rec->topic_len != 12 || memcmp(rec->topic, "md.trade.GC.", 12) != 0)
        return 0;
    rec_header_t h;
    assert_true(rec_parse_header(rec->payload, rec->payload_len, &h));
    if (s->messages && h.topic_seq != s->last_seq + 1)
        s->holes++;
    if (!s->messages)
        s->first_seq = h.topic_seq;
    s->last_seq = h.topic_seq;
    s->messages++;
    return 0;
}

rec_e2e_trades_t
rec_e2e_read_trades(const char *rec_dir, uint64_t *damaged)
{
    char *dirs[1] = { (char *) rec_dir };
    char **paths;
    size_t n = rec_expand(1, dirs, &paths);
    rec_e2e_trades_t seen = { 0 };
    rec_scan(paths, n, NULL, s_collect, &seen, damaged);
    rec_free_list(&paths, n);
    return seen;
}
