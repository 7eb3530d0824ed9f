/*  libFuzzer target: arbitrary bytes from a "gateway" into the live text
    phase (fed in pieces whose sizes the input chooses), and into the
    historical error-body parser. Built with -DOFTS_FUZZ=ON.                 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "hist_client.h"
#include "live_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const schemas[] = { "trades", "mbp-1", "mbp-10" };
    live_proto_params_t p = { .dataset = "GLBX.MDP3", .api_key = "db-AAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        .client = "fuzz", .stype_in = "parent", .symbols = "GC.FUT,NQ.FUT", .schemas = schemas,
        .n_schemas = 3, .heartbeat_interval_s = 10 };
    live_proto_t *lp = live_proto_new(&p);
    size_t pos = 0;
    while (pos < size) {
        size_t chunk = 1 + data[pos] % 64;
        pos++;
        if (chunk > size - pos)
            chunk = size - pos;
        long used = live_proto_feed(lp, (const char *) data + pos, chunk);
        if (used < 0 || live_proto_state(lp) == LIVE_PROTO_STREAMING)
            break;
        size_t outlen;
        live_proto_output(lp, &outlen);
        live_proto_output_done(lp, outlen / 2 + 1);
        pos += chunk;
    }
    live_proto_destroy(&lp);
    char msg[256];
    hist_error_message((const char *) data, size, msg, sizeof msg);
    return 0;
}
