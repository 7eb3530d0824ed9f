/*  rec_scan - see rec_scan.h.                                            */
#include "rec_scan.h"
#include "rec_writer.h"
#include "ofts_clock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    uint64_t *damaged;
} s_damage_t;

static void
s_on_damage(void *arg, const char *path, uint64_t offset, uint64_t length, bool tail)
{
    s_damage_t *d = arg;
    if (d->damaged)
        *d->damaged += length;
    if (tail)
        fprintf(stderr, "record: %s: torn tail at offset %llu (%llu bytes): ignored\n", path,
                (unsigned long long) offset, (unsigned long long) length);
    else
        fprintf(stderr, "record: %s: damaged at offset %llu (%llu bytes skipped, resynced)\n", path,
                (unsigned long long) offset, (unsigned long long) length);
}

static bool
s_match(const rec_filter_t *f, const rec_record_t *rec, size_t plen)
{
    if (f->messages_only && rec->type != REC_MESSAGE)
        return false;
    if (f->from_ns && rec->recv_ns < f->from_ns)
        return false;
    if (plen && (rec->topic_len < plen || memcmp(rec->topic, f->prefix, plen) != 0))
        return false;
    return true;
}

int
rec_scan(char **paths, size_t n, const rec_filter_t *filter, rec_scan_fn *fn, void *arg, uint64_t *damaged_bytes)
{
    static const rec_filter_t none = { 0 };
    const rec_filter_t *f = filter ? filter : &none;
    size_t plen = f->prefix ? strlen(f->prefix) : 0;
    int failed = 0;
    s_damage_t d = { damaged_bytes };
    for (size_t i = 0; i < n; i++) {
        char err[1200];
        rec_reader_t *r = rec_reader_open(paths[i], err, sizeof err);
        if (!r) {
            fprintf(stderr, "record: %s\n", err);
            failed++;
            continue;
        }
        rec_reader_set_damage_fn(r, s_on_damage, &d);
        uint64_t start = f->from_ns ? rec_index_seek(paths[i], f->from_ns) : REC_HEADER_SIZE;
        bool any = true, indexed_any;
        uint64_t first;
        if (plen && rec_topics_lookup(paths[i], rec_reader_file_size(r), f->prefix, &indexed_any, &first)) {
            any = indexed_any;      //  a fresh topic index: skip what has none of the prefix
            if (any && first > start)
                start = first;
        }
        rec_reader_seek(r, start);
        rec_record_t rec;
        int stop = 0;
        while (any && !stop && rec_reader_next(r, &rec)) {
            if (f->to_ns && rec.recv_ns > f->to_ns)
                break;
            if (s_match(f, &rec, plen))
                stop = fn(arg, paths[i], &rec);
        }
        rec_reader_destroy(&r);
        if (stop)
            return -1;
    }
    return failed;
}

size_t
rec_expand(int argc, char **argv, char ***paths_out)
{
    char **all = NULL;
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        struct stat st;
        char **some = NULL;
        size_t k = 0;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            k = rec_list_segments(argv[i], &some);
        else {
            some = malloc(sizeof *some);
            some[0] = strdup(argv[i]);
            k = 1;
        }
        all = realloc(all, (n + k + 1) * sizeof *all);
        if (k)
            memcpy(all + n, some, k * sizeof *some);
        n += k;
        free(some);
    }
    *paths_out = all;
    return n;
}

bool
rec_parse_time(const char *text, int64_t *out)
{
    char *end;
    long long ns = strtoll(text, &end, 10);
    if (*text && !*end && strlen(text) > 10) {
        *out = ns;
        return true;
    }
    int y, mo, d, h = 0, mi = 0, consumed = 0;
    double s = 0;
    if (sscanf(text, "%d-%d-%d%n", &y, &mo, &d, &consumed) != 3)
        return false;
    const char *rest = text + consumed;
    if (*rest == 'T' || *rest == ' ') {
        int c2 = 0;
        if (sscanf(rest + 1, "%d:%d:%lf%n", &h, &mi, &s, &c2) < 2)
            return false;
        if (c2 == 0) {
            s = 0;
            sscanf(rest + 1, "%d:%d%n", &h, &mi, &c2);
        }
        rest += 1 + c2;
    }
    if (*rest && strcmp(rest, "Z") != 0)
        return false;
    int64_t secs = ofts_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
    *out = secs * OFTS_NS_PER_SEC + (int64_t) (s * 1e9 + 0.5);
    return true;
}
