/*  replay_checkpoint - where a replay got to, so a gateway-md restarted
    after a crash resumes there instead of replaying the file from the top
    (and sending the analyzer, risk and the paper broker the past again).

    A small text file (gateway_md.checkpoint): the files it is about (a
    hash of their paths and sizes) and how many records were published.
    Saved about once a second by rename (a kill -9 leaves the last one; the
    records after it are published again, never skipped). Removed when the
    replay finishes, so the next run starts from the top.                 */
#ifndef REPLAY_CHECKPOINT_H
#define REPLAY_CHECKPOINT_H
#include <stdint.h>

typedef struct _replay_checkpoint_t replay_checkpoint_t;

//  path "" or NULL: no checkpointing (NULL returned).
replay_checkpoint_t *replay_checkpoint_new(const char *path, const char *const *files, int nfiles);
void replay_checkpoint_destroy(replay_checkpoint_t **self_p);
//  Records already published by an earlier life for the same files (0: none).
uint64_t replay_checkpoint_resume(replay_checkpoint_t *self);
//  Record that `records` records are published. 0 or -1 (logged).
int replay_checkpoint_save(replay_checkpoint_t *self, uint64_t records);
//  The replay is complete: forget it.
void replay_checkpoint_done(replay_checkpoint_t *self);

#endif
