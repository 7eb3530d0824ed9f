/*  ofts-record - read a recording.

      ofts record info [--json] [SEGMENT|DIR ...]
      ofts record dump [--topic PREFIX] [--from T] [--to T] [--json] [SEGMENT|DIR ...]

    Without paths it reads recorder.dir of --config (default var/recorder).
    T: ns since the epoch, 2026-12-04T15:30:00Z (fraction allowed) or a date.
    Damage (a bad CRC or frame) is reported on stderr with its offset; the
    records around it are still read.                                    */
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ofts_clock.h"
#include "ofts_config.h"
#include "ofts_msg.h"
#include "rec_scan.h"
#include "rec_writer.h"

typedef struct {
    bool json;
    uint64_t shown;
} s_dump_t;

static void
s_time(int64_t ns, char *buf, int size)
{
    ofts_clock_format(ns, buf, size);
}

//  A gap payload as text: "gateway-md missing 3 (topic_seq 10..12)".
static void
s_gap_text(const rec_record_t *rec, char *buf, size_t size, char *source, size_t ssize)
{
    if (rec->payload_len < REC_GAP_FIXED) {
        snprintf(buf, size, "(short gap record)");
        return;
    }
    uint64_t missing = rec_get64(rec->payload), first = rec_get64(rec->payload + 8);
    snprintf(source, ssize, "%.*s", (int) (rec->payload_len - REC_GAP_FIXED), rec->payload + REC_GAP_FIXED);
    snprintf(buf, size, "%s missing %llu (topic_seq %llu..%llu)", source, (unsigned long long) missing,
             (unsigned long long) first, (unsigned long long) (first + missing - 1));
}

static int
s_dump_one(void *arg, const char *path, const rec_record_t *rec)
{
    s_dump_t *self = arg;
    char when[64], topic[256];
    s_time(rec->recv_ns, when, sizeof when);
    snprintf(topic, sizeof topic, "%.*s", (int) rec->topic_len, rec->topic);
    Ofts__Envelope *env = rec->type == REC_MESSAGE ? ofts__envelope__unpack(NULL, rec->payload_len, rec->payload)
                                                   : NULL;
    char text[256] = "", source[64] = "";
    static const char *kinds[] = { "?", "message", "gap", "config", "start" };
    const char *kind = kinds[rec->type <= REC_START ? rec->type : 0];
    if (rec->type == REC_GAP)
        s_gap_text(rec, text, sizeof text, source, sizeof source);
    if (self->json) {
        json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s}", "recv_ns", (json_int_t) rec->recv_ns, "recv", when,
                              "segment", path, "offset", (json_int_t) rec->offset, "kind", kind, "topic", topic);
        if (env)
            json_object_set_new(o, "message", ofts_msg_to_json(env, topic));
        else if (rec->type == REC_MESSAGE)
            json_object_set_new(o, "undecodable_bytes", json_integer((json_int_t) rec->payload_len));
        if (rec->type == REC_GAP && rec->payload_len >= REC_GAP_FIXED) {
            json_object_set_new(o, "source", json_string(source));
            json_object_set_new(o, "missing", json_integer((json_int_t) rec_get64(rec->payload)));
            json_object_set_new(o, "first_missing_topic_seq", json_integer((json_int_t) rec_get64(rec->payload + 8)));
        }
        char *line = json_dumps(o, JSON_COMPACT);
        puts(line);
        free(line);
        json_decref(o);
    }
    else if (env) {
        char *line = ofts_msg_to_line(env, topic);
        printf("%s %s\n", when, line);
        free(line);
    }
    else if (rec->type == REC_MESSAGE)
        printf("%s %s undecodable (%zu bytes)\n", when, topic, rec->payload_len);
    else if (rec->type == REC_GAP)
        printf("%s %s GAP %s\n", when, topic, text);
    else
        printf("%s %s %s (%zu bytes)\n", when, topic, kind, rec->payload_len);
    if (env)
        ofts__envelope__free_unpacked(env, NULL);
    self->shown++;
    return 0;
}

//  --- info ----------------------------------------------------------------------

typedef struct {
    uint64_t records, by_type[5], missing;
    int64_t first_ns, last_ns;
    zhashx_t *topics;               //  topic -> count (uintptr)
} s_info_t;

static int
s_info_one(void *arg, const char *path, const rec_record_t *rec)
{
    (void) path;
    s_info_t *self = arg;
    if (!self->records)
        self->first_ns = rec->recv_ns;
    self->last_ns = rec->recv_ns;
    self->records++;
    self->by_type[rec->type <= REC_START ? rec->type : 0]++;
    if (rec->type == REC_GAP && rec->payload_len >= REC_GAP_FIXED)
        self->missing += rec_get64(rec->payload);
    if (rec->type == REC_MESSAGE) {
        char topic[256];
        snprintf(topic, sizeof topic, "%.*s", (int) rec->topic_len, rec->topic);
        uintptr_t count = (uintptr_t) zhashx_lookup(self->topics, topic);
        zhashx_update(self->topics, topic, (void *) (count + 1));
    }
    return 0;
}

static void
s_info(char **paths, size_t n, bool json)
{
    for (size_t i = 0; i < n; i++) {
        s_info_t info = { .topics = zhashx_new() };
        uint64_t damaged = 0;
        char err[1200];
        rec_reader_t *r = rec_reader_open(paths[i], err, sizeof err);
        if (!r) {
            fprintf(stderr, "record: %s\n", err);
            zhashx_destroy(&info.topics);
            continue;
        }
        uint32_t day = rec_reader_day(r), segno = rec_reader_segment(r);
        uint64_t size = rec_reader_file_size(r);
        rec_reader_destroy(&r);
        rec_scan(&paths[i], 1, NULL, s_info_one, &info, &damaged);
        char t0[64] = "-", t1[64] = "-";
        if (info.records) {
            s_time(info.first_ns, t0, sizeof t0);
            s_time(info.last_ns, t1, sizeof t1);
        }
        zlistx_t *keys = zhashx_keys(info.topics);
        zlistx_set_comparator(keys, (zlistx_comparator_fn *) strcmp);
        zlistx_sort(keys);
        if (json) {
            json_t *topics = json_object();
            for (const char *k = zlistx_first(keys); k; k = zlistx_next(keys))
                json_object_set_new(topics, k, json_integer((json_int_t) (uintptr_t) zhashx_lookup(info.topics, k)));
            json_t *o = json_pack("{s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:o}",
                                  "segment", paths[i], "trading_day", (int) day, "number", (int) segno,
                                  "bytes", (json_int_t) size, "records", (json_int_t) info.records,
                                  "messages", (json_int_t) info.by_type[REC_MESSAGE],
                                  "gap_records", (json_int_t) info.by_type[REC_GAP],
                                  "missing", (json_int_t) info.missing, "damaged_bytes", (json_int_t) damaged,
                                  "first", t0, "last", t1, "starts", (json_int_t) info.by_type[REC_START],
                                  "topics", topics);
            char *line = json_dumps(o, JSON_COMPACT);
            puts(line);
            free(line);
            json_decref(o);
        }
        else {
            printf("%s: trading day %u, segment %u, %llu bytes, %llu records: %llu messages, %llu gaps "
                   "(%llu missing), %llu starts; %s .. %s%s\n",
                   paths[i], day, segno, (unsigned long long) size, (unsigned long long) info.records,
                   (unsigned long long) info.by_type[REC_MESSAGE], (unsigned long long) info.by_type[REC_GAP],
                   (unsigned long long) info.missing, (unsigned long long) info.by_type[REC_START], t0, t1,
                   damaged ? " DAMAGED" : "");
            if (info.records && info.last_ns > info.first_ns && size > REC_HEADER_SIZE)
                printf("  %.1f bytes per record on disk\n",
                       (double) (size - REC_HEADER_SIZE) / (double) info.records);
            for (const char *k = zlistx_first(keys); k; k = zlistx_next(keys))
                printf("  %-32s %llu\n", k, (unsigned long long) (uintptr_t) zhashx_lookup(info.topics, k));
        }
        zlistx_destroy(&keys);
        zhashx_destroy(&info.topics);
    }
}

static int
s_usage(int code)
{
    fprintf(code ? stderr : stdout,
            "usage: ofts record info [--json] [--config F] [SEGMENT|DIR ...]\n"
            "       ofts record dump [--topic PREFIX] [--from T] [--to T] [--json] [--config F] [SEGMENT|DIR ...]\n"
            "  T: ns since the epoch, 2026-12-04T15:30:00Z or 2026-12-04 (UTC)\n");
    return code;
}

//  recorder.dir of the config, when no path is given.
static size_t
s_default_paths(const char *config_path, char ***paths)
{
    char err[512];
    ofts_config_t *cfg = ofts_config_load(config_path, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "record: %s\n", err);
        *paths = NULL;
        return 0;
    }
    ofts_cfgsec_t *sec = ofts_config_section(cfg, "recorder");
    char *dir = strdup(ofts_cfgsec_string(sec, "dir", "var/recorder"));
    ofts_cfgsec_finish(&sec, err, sizeof err);   //  other recorder keys are not ours to check here
    ofts_config_destroy(&cfg);
    size_t n = rec_expand(1, &dir, paths);
    free(dir);
    return n;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return s_usage(2);
    const char *verb = argv[1];
    bool json = false;
    rec_filter_t filter = { 0 };
    const char *config_path = ofts_config_default_path();
    char **args = calloc((size_t) argc, sizeof *args);
    int nargs = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc)
            filter.prefix = argv[++i];
        else if ((strcmp(argv[i], "--from") == 0 || strcmp(argv[i], "--to") == 0) && i + 1 < argc) {
            int64_t *t = argv[i][2] == 'f' ? &filter.from_ns : &filter.to_ns;
            if (!rec_parse_time(argv[++i], t)) {
                fprintf(stderr, "record: cannot read time '%s'\n", argv[i]);
                free(args);
                return 2;
            }
        }
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
        else if (argv[i][0] == '-') {
            free(args);
            return s_usage(strcmp(argv[i], "--help") == 0 ? 0 : 2);
        }
        else
            args[nargs++] = argv[i];
    }
    char **paths;
    size_t n = nargs ? rec_expand(nargs, args, &paths) : s_default_paths(config_path, &paths);
    free(args);
    int rc = 0;
    if (!n) {
        fprintf(stderr, "record: no segments found\n");
        rc = 1;
    }
    else if (strcmp(verb, "info") == 0)
        s_info(paths, n, json);
    else if (strcmp(verb, "dump") == 0) {
        s_dump_t dump = { .json = json };
        rc = rec_scan(paths, n, &filter, s_dump_one, &dump, NULL) > 0 ? 1 : 0;
    }
    else
        rc = s_usage(2);
    rec_free_list(&paths, n);
    return rc;
}
