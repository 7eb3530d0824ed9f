/*  ofts_fastpb - the hot bus bodies decoded without protobuf-c's generic
    unpack. Every subscriber's receive path unpacks every md message; for a
    10-level book protobuf-c's descriptor-driven unpack (eleven messages,
    each initialised, each field looked up) was a third of the web
    monitor's main thread (perf, bench-web, 2026-12-05).

    ofts_fastpb_envelope decodes an Envelope whose body is a Trade, a
    TopOfBook or a Depth into the same protobuf-c structs, allocated with
    the same allocator the same way (each message, each string, the levels
    array), so ofts__envelope__free_unpacked(env, alloc) frees it as one of
    protobuf-c's. Anything else or anything unusual - another body, an
    unknown field, a field twice, a wire type not the schema's, a string
    that is not plain ASCII, more than 64 levels, a truncated field -
    returns NULL: the caller then unpacks with protobuf-c, whose answer
    stands (garbage stays garbage).                                        */
#ifndef OFTS_FASTPB_H
#define OFTS_FASTPB_H
#include <stddef.h>
#include <stdint.h>
#include "ofts.pb-c.h"

Ofts__Envelope *ofts_fastpb_envelope(ProtobufCAllocator *alloc, size_t size, const uint8_t *data);

#endif
