#include "instance_lock.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "ofts_fs.h"
#include "ofts_log.h"

#define MAX_LOCKS 32

struct _instance_lock_t {
    char dir[PATH_MAX];
    char config[PATH_MAX];
    int fds[MAX_LOCKS];
    char *held[MAX_LOCKS];          //  resource names, so one held twice is not a conflict
    int nfds;
};

instance_lock_t *
instance_lock_new(const char *config_path)
{
    instance_lock_t *self = calloc(1, sizeof *self);
    const char *env = getenv("OFTS_LOCK_DIR");
    const char *run = getenv("XDG_RUNTIME_DIR");
    if (env && *env)
        snprintf(self->dir, sizeof self->dir, "%s", env);
    else if (run && *run)
        snprintf(self->dir, sizeof self->dir, "%s/ofts", run);
    else
        snprintf(self->dir, sizeof self->dir, "/tmp/ofts-%u", (unsigned) getuid());
    snprintf(self->config, sizeof self->config, "%s", config_path);
    return self;
}

void
instance_lock_destroy(instance_lock_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    instance_lock_t *self = *self_p;
    for (int i = 0; i < self->nfds; i++) {
        close(self->fds[i]);        //  releases the flock
        free(self->held[i]);
    }
    free(self);
    *self_p = NULL;
}

//  An absolute form of path (which may not exist yet) against the cwd.
static void
s_absolute(const char *path, char *out, size_t size)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(out, size, "%s", path);
    else
        snprintf(out, size, "%s/%s", cwd, path);
}

//  Resource name -> a file name: '/' and ':' become '_'.
static void
s_lock_path(instance_lock_t *self, const char *resource, char *out, size_t size)
{
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s", resource);
    for (char *p = name; *p; p++)
        if (*p == '/' || *p == ':')
            *p = '_';
    snprintf(out, size, "%s/%.200s.lock", self->dir, name);
}

static int
s_lock(instance_lock_t *self, const char *resource, char *held_by, size_t size)
{
    for (int i = 0; i < self->nfds; i++)
        if (strcmp(self->held[i], resource) == 0)
            return 0;               //  risk's journal and the store share a folder
    if (self->nfds == MAX_LOCKS)
        return 0;
    if (ofts_mkdir_p(self->dir, 0700) != 0) {
        snprintf(held_by, size, "cannot create lock folder %s: %s", self->dir, strerror(errno));
        return -1;
    }
    char path[PATH_MAX + 256];
    s_lock_path(self, resource, path, sizeof path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(held_by, size, "cannot open lock %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char text[512] = "";
        ssize_t n = pread(fd, text, sizeof text - 1, 0);
        text[n > 0 ? n : 0] = '\0';
        close(fd);
        long pid = 0;
        char since[64] = "?", config[400] = "?";
        sscanf(text, "pid %ld since %63s config %399[^\n]", &pid, since, config);
        snprintf(held_by, size, "already running (pid %ld, since %s) with config %s: it holds %s", pid, since,
                 config, resource);
        return 1;
    }
    char stamp[64];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    char text[PATH_MAX + 128];
    int len = snprintf(text, sizeof text, "pid %ld since %s config %s\n", (long) getpid(), stamp, self->config);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t) len, 0) != len)
        log_warn("lock %s: cannot record our pid: %s", path, strerror(errno));
    self->held[self->nfds] = strdup(resource);
    self->fds[self->nfds++] = fd;
    return 0;
}

int
instance_lock_state_dir(instance_lock_t *self, const char *file_in_dir, char *held_by, size_t size)
{
    char abs[PATH_MAX], copy[PATH_MAX], resource[PATH_MAX + 8];
    s_absolute(file_in_dir, abs, sizeof abs);
    snprintf(copy, sizeof copy, "%s", abs);
    char real[PATH_MAX];
    const char *dir = dirname(copy);
    snprintf(resource, sizeof resource, "state%s", realpath(dir, real) ? real : dir);
    return s_lock(self, resource, held_by, size);
}

int
instance_lock_endpoint(instance_lock_t *self, const char *endpoint, char *held_by, size_t size)
{
    char resource[PATH_MAX + 16];
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        //  By address and port: two "hosts" on 127.0.0.2 and 127.0.0.3 may
        //  use the same port; an ephemeral port (0, *) needs no lock.
        const char *colon = strrchr(endpoint, ':');
        if (!colon || strcmp(colon + 1, "*") == 0 || strcmp(colon + 1, "0") == 0)
            return 0;
        snprintf(resource, sizeof resource, "tcp-%s", endpoint + 6);
    }
    else if (strncmp(endpoint, "ipc://", 6) == 0) {
        char abs[PATH_MAX];
        s_absolute(endpoint + 6, abs, sizeof abs);
        snprintf(resource, sizeof resource, "ipc%s", abs);
    }
    else
        return 0;
    return s_lock(self, resource, held_by, size);
}
