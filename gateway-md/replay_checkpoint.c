/*  replay_checkpoint - see replay_checkpoint.h.                          */
#include "replay_checkpoint.h"
#include "ofts_fs.h"
#include "ofts_log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _replay_checkpoint_t {
    char path[1024];
    uint64_t files_hash;
};

static uint64_t
s_fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

replay_checkpoint_t *
replay_checkpoint_new(const char *path, const char *const *files, int nfiles)
{
    if (!path || !*path)
        return NULL;
    replay_checkpoint_t *self = calloc(1, sizeof *self);
    snprintf(self->path, sizeof self->path, "%s", path);
    uint64_t h = 14695981039346656037ULL;
    for (int i = 0; i < nfiles; i++) {
        struct stat st;
        long long size = stat(files[i], &st) == 0 ? (long long) st.st_size : -1;
        h = s_fnv(h, files[i], strlen(files[i]) + 1);
        h = s_fnv(h, &size, sizeof size);
    }
    self->files_hash = h;
    if (ofts_mkdir_parent(path, 0755) != 0)
        log_warn("replay checkpoint: cannot create the folder of %s: %s", path, strerror(errno));
    return self;
}

void
replay_checkpoint_destroy(replay_checkpoint_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

uint64_t
replay_checkpoint_resume(replay_checkpoint_t *self)
{
    if (!self)
        return 0;
    FILE *f = fopen(self->path, "r");
    if (!f)
        return 0;
    unsigned long long hash = 0, records = 0;
    int got = fscanf(f, "ofts-gateway-md replay checkpoint 1 files %llx records %llu", &hash, &records);
    fclose(f);
    if (got != 2 || hash != self->files_hash) {
        log_info("replay checkpoint %s is for other files: starting from the top", self->path);
        return 0;
    }
    return records;
}

int
replay_checkpoint_save(replay_checkpoint_t *self, uint64_t records)
{
    if (!self)
        return 0;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", self->path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "ofts-gateway-md replay checkpoint 1 files %llx records %llu\n",
                      (unsigned long long) self->files_hash, (unsigned long long) records) < 0
        || fclose(f) != 0 || rename(tmp, self->path) != 0) {
        log_warn("replay checkpoint: cannot write %s: %s", self->path, strerror(errno));
        return -1;
    }
    return 0;
}

void
replay_checkpoint_done(replay_checkpoint_t *self)
{
    if (self && unlink(self->path) != 0 && errno != ENOENT)
        log_warn("replay checkpoint: cannot remove %s: %s", self->path, strerror(errno));
}
