/*  What the recorder's end-to-end tests share: a config in a temp dir with
    the recorder's endpoint and section added to e2e_write_config's.      */
#ifndef REC_E2E_H
#define REC_E2E_H
#include "e2e_util.h"
#include "ofts_bus.h"

//  Config path (malloc'd); the recording goes to <dir>/rec. extra_json as
//  for e2e_write_config; recorder_json (may be NULL) merges over "recorder".
char *rec_e2e_config(const char *dir, const char *extra_json, const char *recorder_json);

//  count 1-lot GC trades on md.trade.GC., prices 2350.01 + i * 1e-9 from i = first.
void rec_e2e_publish_trades(ofts_bus_t *bus, int first, int count);

//  What a recording holds of rec_e2e_publish_trades' stream (md.trade.GC.):
//  its trades, the first and last topic_seq, holes between consecutive
//  ones; plus the recorder's starts and sys.warmup. messages.
typedef struct {
    uint64_t first_seq, last_seq, messages, holes, starts, warmups;
} rec_e2e_trades_t;

//  Every segment under rec_dir; damaged (may be NULL) gets rec_scan's count
//  of damaged records. Asserts (cmocka) every trade's header is readable.
rec_e2e_trades_t rec_e2e_read_trades(const char *rec_dir, uint64_t *damaged);

//  Sign bus with the secret the recorder of dir's config uses (created if
//  missing, as the services do): the recorder records only signed messages.
//  0 or -1.
int rec_e2e_sign(ofts_bus_t *bus, const char *dir);

#endif
