/*  libFuzzer target: arbitrary bytes into the DBN decoder, as a full stream
    and as a fragment, fed in pieces whose sizes the input chooses. Every
    decoded record is walked field by field and re-encoded, so the field
    tables and the encoder are exercised too. Built with -DOFTS_FUZZ=ON. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "dbn_decoder.h"
#include "ofts_log.h"

static void
s_visit(const dbn_field_value_t *f, int level, void *arg)
{
    uint64_t *sum = arg;
    *sum += f->u + (uint64_t) level + (f->s ? strlen(f->s) : 0);
}

static void
s_drain(dbn_decoder_t *dec)
{
    const dbn_record_t *rec;
    uint8_t out[DBN_MAX_RECORD_LEN];
    uint64_t sum = 0;
    while (dbn_decoder_next(dec, &rec) == 1) {
        dbn_record_fields(rec, s_visit, &sum);
        for (uint8_t v = 1; v <= DBN_VERSION_MAX; v++) {
            size_t n = dbn_record_encode(rec, v, v == 2, out, sizeof(out));
            if (n) {
                dbn_record_t back;
                dbn_record_decode(&back, out, n - (v == 2 ? 8 : 0), v);
            }
        }
        dbn_decoder_symbol(dec, rec->instrument_id);
    }
    (void) sum;
}

static void
s_feed(dbn_decoder_t *dec, const uint8_t *data, size_t size, uint8_t step_seed)
{
    //  Piece sizes 1..64 (or everything at once when step_seed is 0).
    size_t at = 0;
    while (at < size) {
        size_t step = step_seed ? (size_t) (step_seed % 64) + 1 : size;
        if (step > size - at)
            step = size - at;
        if (dbn_decoder_feed(dec, data + at, step) != 0)
            break;
        s_drain(dec);
        at += step;
        step_seed = (uint8_t) (step_seed * 31 + 7);
    }
    s_drain(dec);
    dbn_decoder_finish(dec);
    dbn_decoder_error(dec);
    dbn_decoder_metadata(dec);
}

//  Unknown rtypes are logged once per decoder: with a fresh decoder per
//  input that is most of the run time, so only errors are logged.
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    ofts_log_set_level(OFTS_LOG_ERROR);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dbn_decoder_t *dec = dbn_decoder_new();
    s_feed(dec, data, size, 0);
    dbn_decoder_destroy(&dec);
    if (size < 1)
        return 0;
    //  First byte picks the fragment version, ts_out and the piece sizes.
    uint8_t ctl = data[0];
    dec = dbn_decoder_new_fragment((uint8_t) (ctl % 3 + 1), (ctl & 4) != 0);
    s_feed(dec, data + 1, size - 1, ctl);
    dbn_decoder_destroy(&dec);
    return 0;
}
