/*  rec_format - the flight recorder's file format (docs/recorder.md is the
    reference for other tools). All integers little-endian.

    A recording is a folder of segments, one per trading day (17:00 CT) and
    size limit, named DDDDDDDD-NNNNNN.rec (trading day yyyymmdd, segment
    number rising across the folder: name order is time order), each with
    two derived side files: .idx (time index) and .topics (topic index).

    Segment header (64 bytes):
        0  8  magic "OFTSREC\0"      8  4  version (1)
        12 4  header size (64)      16 4  trading day yyyymmdd
        20 4  segment number        24 8  created (ns since epoch)
        32 4  CRC32C of bytes 0..31 36 28 zero
    Record (12-byte frame + body):
        0  4  sync 0x4352464F ("OFRC")
        4  4  body length N (<= REC_MAX_BODY)
        8  4  CRC32C of the N body bytes
        12 N  body: type u8, flags u8, topic length u16 T, receive time i64,
              topic (T bytes, no NUL), payload (N - 12 - T bytes)
    A record is valid when its sync, length and CRC are right; a file ends
    at its last valid record (anything after is a torn tail).             */
#ifndef REC_FORMAT_H
#define REC_FORMAT_H
#include <stddef.h>
#include <stdint.h>

#define REC_MAGIC "OFTSREC"             //  8 bytes with the NUL
#define REC_VERSION 1
#define REC_HEADER_SIZE 64
#define REC_SYNC 0x4352464Fu
#define REC_FRAME_SIZE 12
#define REC_BODY_FIXED 12               //  type, flags, topic length, receive time
#define REC_MAX_BODY (16u << 20)
#define REC_IDX_ENTRY 24                //  recv_ns i64, offset u64, record number u64

typedef enum {
    REC_MESSAGE = 1,                    //  payload: the Envelope bytes as received
    REC_GAP = 2,                        //  payload: gap_t below, then the source name
    REC_CONFIG = 3,                     //  payload: the recorder's config file (JSON)
    REC_START = 4,                      //  the recorder (re)started here; payload empty
} rec_type_t;

//  Gap payload: missing u64, first missing topic_seq u64, publisher epoch u64,
//  then the publisher's name (the rest of the payload).
#define REC_GAP_FIXED 24

uint32_t rec_crc32c(uint32_t crc, const void *data, size_t size);

static inline void
rec_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); p[2] = (uint8_t) (v >> 16); p[3] = (uint8_t) (v >> 24);
}

static inline void
rec_put64(uint8_t *p, uint64_t v)
{
    rec_put32(p, (uint32_t) v);
    rec_put32(p + 4, (uint32_t) (v >> 32));
}

static inline uint32_t
rec_get32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static inline uint64_t
rec_get64(const uint8_t *p)
{
    return (uint64_t) rec_get32(p) | (uint64_t) rec_get32(p + 4) << 32;
}

#endif
