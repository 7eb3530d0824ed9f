/*  rec_scan - walk the records of several segments in order, with the
    filters every reading tool shares (topic prefix, receive-time range),
    using the segments' indexes to skip what cannot match.               */
#ifndef REC_SCAN_H
#define REC_SCAN_H
#include <stdbool.h>
#include <stdint.h>
#include "rec_reader.h"

typedef struct {
    const char *prefix;                 //  NULL or "" = every topic
    int64_t from_ns, to_ns;             //  0 = open-ended
    bool messages_only;                 //  skip gap/config/start records
} rec_filter_t;

//  Return non-zero to stop the walk.
typedef int (rec_scan_fn)(void *arg, const char *path, const rec_record_t *rec);

//  Damage is reported on stderr (path, offset, length) and counted in
//  *damaged_bytes when given. Returns the number of segments that could not
//  be opened (reported too), or -1 when fn stopped the walk.
int rec_scan(char **paths, size_t n, const rec_filter_t *filter, rec_scan_fn *fn, void *arg,
             uint64_t *damaged_bytes);

//  Arguments -> segment paths: a folder gives its segments in name order,
//  a file is taken as it is. Returns the count; *paths_out malloc'd
//  (rec_free_list).
size_t rec_expand(int argc, char **argv, char ***paths_out);

//  "1733412345000000000" (ns), "2026-12-04T15:30:00Z", "2026-12-04T15:30:00.25Z"
//  or "2026-12-04" (UTC). false when unreadable.
bool rec_parse_time(const char *text, int64_t *out);

#endif
