/*  What the recorder's end-to-end tests share: a config in a temp dir with
    the recorder's endpoint and section added to e2e_write_config's.      */
#ifndef REC_E2E_H
#define REC_E2E_H
#include "e2e_util.h"

//  Config path (malloc'd); the recording goes to <dir>/rec. extra_json as
//  for e2e_write_config; recorder_json (may be NULL) merges over "recorder".
char *rec_e2e_config(const char *dir, const char *extra_json, const char *recorder_json);

#endif
