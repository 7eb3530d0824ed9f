/*  rec_seqs - what the recorder needs from an Envelope without unpacking
    it: the header fields (a few varints read straight from the protobuf
    wire bytes), and gap detection per (publisher, topic) on topic_seq, the
    same rule as ofts_bus (a new epoch is a restart, not a gap).           */
#ifndef REC_SEQS_H
#define REC_SEQS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char source[64];
    uint64_t seq, epoch, topic_seq;
    int64_t ts_event, ts_recv, ts_publish;
} rec_header_t;

//  false when the bytes hold no readable header.
bool rec_parse_header(const uint8_t *data, size_t size, rec_header_t *out);

typedef struct _rec_seqs_t rec_seqs_t;
rec_seqs_t *rec_seqs_new(void);
void rec_seqs_destroy(rec_seqs_t **self_p);
//  Messages missing before this one on (source, topic); *first_missing = the
//  first missing topic_seq when > 0.
uint64_t rec_seqs_check(rec_seqs_t *self, const char *topic, const rec_header_t *hdr, uint64_t *first_missing);
uint64_t rec_seqs_missing(rec_seqs_t *self);            //  total

#endif
