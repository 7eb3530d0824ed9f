/*  instance_lock - one `ofts up` per state directory and per endpoint.

    A second `ofts up` on the same config used to start a second stack on
    the same ipc sockets and SQLite files; when it stopped, it took the
    first stack's sockets with it and the kill switch was lost. Now `ofts
    up` takes an flock for each resource its services will own before it
    touches anything: the folders of risk's journal and gateway-order's
    store, and each pub/ctl endpoint (tcp by address:port, ipc by absolute
    path).
    The lock files live in $OFTS_LOCK_DIR, else $XDG_RUNTIME_DIR/ofts, else
    /tmp/ofts-<uid>; each holds "pid N since T config C" for the message a
    second instance prints. flock is released by the kernel when the
    holder dies, so a crash never leaves a stale lock.                     */
#ifndef INSTANCE_LOCK_H
#define INSTANCE_LOCK_H
#include <stddef.h>

typedef struct _instance_lock_t instance_lock_t;

instance_lock_t *instance_lock_new(const char *config_path);
void instance_lock_destroy(instance_lock_t **self_p);
//  Lock one resource: kind "state" (a folder), or an endpoint
//  ("tcp://h:p", "ipc://path"; inproc and port 0 / * need no lock).
//  0 when held now, 1 when another instance holds it (held_by gets
//  "already running (pid N, since T) with config C: holds R"), -1 on error.
int instance_lock_state_dir(instance_lock_t *self, const char *file_in_dir, char *held_by, size_t size);
int instance_lock_endpoint(instance_lock_t *self, const char *endpoint, char *held_by, size_t size);

#endif
