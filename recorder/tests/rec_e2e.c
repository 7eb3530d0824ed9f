/*  rec_e2e - see rec_e2e.h.                                              */
#include "rec_e2e.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ofts_trust.h"

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
