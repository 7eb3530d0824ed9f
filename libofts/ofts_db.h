/*  ofts_db - open a service's SQLite store, and refuse one that is not
    ours or not healthy, before anything is read from it or written to it.

    A store carries its owner in its header (PRAGMA application_id) and its
    schema version (PRAGMA user_version), and must pass PRAGMA
    integrity_check. Refused, with one line naming the file and the reason:
    - an existing zero-length file (a missing file is a new store; an empty
      one is damage: a crash or a full disk truncated it, and taking it as
      new would forget positions, ids and limits);
    - garbage or a bit-flipped page (not a database / integrity_check);
    - another application's database, or another ofts store;
    - a schema version this build does not read.
    A store is never dropped or recreated behind the operator's back.

    A store made by an ofts version before the stamp (application_id 0)
    is accepted when the caller's legacy test recognises it, and stamped. */
#ifndef OFTS_DB_H
#define OFTS_DB_H
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  application_id values ("ofGO", "ofRK" in ASCII).
#define OFTS_DB_APP_ORDER_STORE 0x6f66474f
#define OFTS_DB_APP_RISK_JOURNAL 0x6f66524b

typedef struct {
    int32_t app_id;
    int version;                        //  user_version this build reads and writes
    const char *kind;                   //  "gateway-order store", for messages
    //  An unstamped store of an earlier ofts version? (may be NULL)
    bool (*legacy)(sqlite3 *db);
} ofts_db_spec_t;

//  Open (creating it only when path does not exist), check, stamp a new
//  store. ":memory:" is a private in-memory store. NULL with the reason in
//  err (one line, naming path).
sqlite3 *ofts_db_open(const char *path, const ofts_db_spec_t *spec, char *err, size_t errlen);

//  Does the database have a table of this name?
bool ofts_db_has_table(sqlite3 *db, const char *name);

#endif
