/*  hist_client - download from the Databento historical HTTP API
    (spec/databento.md §9): POST /v0/timeseries.get_range with the form
    fields of §9.2, HTTP Basic auth with the key as user name and an empty
    password, the DBN body (zstd by default) streamed into FILE.part and
    renamed to FILE once complete and decodable.

    Errors (§9.3): the Databento JSON message ({"detail": {"message": ..}} or
    {"detail": "..."}, raw text otherwise) goes into the result's error line.
    400/401/402/403/404/409/422: fail at once (the same request cannot
    succeed). 429: wait Retry-After (bounded by retry_max_s), retry. 5xx,
    connection drops, truncated bodies and time-outs: retry with exponential
    back-off up to max_retries; a truncated body is resumed with
    `Range: bytes=N-` when the server answers 206 + Content-Range, else
    restarted from zero (UNCONFIRMED whether Databento honours Range).
    The key is never logged, and is masked if a server ever echoes it.     */
#ifndef OFTS_HIST_CLIENT_H
#define OFTS_HIST_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ofts_config.h"

typedef struct {
    const char *base_url;       //  https://hist.databento.com (no trailing /v0)
    const char *api_key;
    const char *dataset;        //  GLBX.MDP3
    const char *symbols;        //  comma list
    const char *schema;         //  trades | mbp-1 | mbp-10 | ...
    const char *start;          //  ISO 8601 or UNIX ns (passed through)
    const char *end;            //  optional
    const char *stype_in;       //  default raw_symbol
    const char *stype_out;      //  default instrument_id
    const char *compression;    //  zstd (default) | none
    uint64_t limit;             //  0 = none
    const char *output;         //  destination path; FILE.part while downloading
    int timeout_s;              //  no byte for this long = time-out (100, as the clients)
    int connect_timeout_s;      //  10
    int max_retries;            //  5 (retries after the first attempt)
    int retry_min_ms;           //  1000: first back-off, doubling
    int retry_max_s;            //  60: cap for back-off and Retry-After
    bool progress;              //  progress line on stderr at most once a second
    bool verify;                //  decode the finished file before renaming (true)
    const char *user_agent;     //  ofts/0.1
} hist_request_t;

typedef struct {
    long http_status;           //  last HTTP status (0 = no response)
    int attempts;
    int resumed;                //  attempts that resumed with Range
    uint64_t bytes;             //  final file size
    uint64_t records;           //  records in the file (when verified)
    char request_id[128];       //  Databento request-id header of the last response
    char error[1024];           //  one line, empty on success
} hist_result_t;

void hist_request_defaults(hist_request_t *req);
//  Read the "historical" child of the gateway_md section (base_url
//  timeout_s connect_timeout_s max_retries retry_min_ms retry_max_s).
int hist_request_config_read(hist_request_t *req, ofts_cfgsec_t *gateway_md);

//  0 on success (output complete), -1 with res->error.
int hist_download(const hist_request_t *req, hist_result_t *res);

//  metadata.get_record_count / metadata.get_cost / metadata.get_billable_size
//  (method is that name): POST the request's dataset, symbols, schema, start,
//  end, stype_in; the answer is a bare JSON number (spec §9.4). Same retry
//  and error handling as hist_download. 0 or -1 with res->error.
int hist_metadata_number(const hist_request_t *req, const char *method, double *out, hist_result_t *res);

//  The readable message of a Databento error body (JSON rich/simple form or
//  raw text), into out. Exposed for tests.
void hist_error_message(const char *body, size_t len, char *out, size_t outlen);

#endif
