#include "ofts_fs.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int
ofts_mkdir_p(const char *dir, mode_t mode)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s", dir) >= (int) sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, mode) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(path, mode) != 0 && errno != EEXIST ? -1 : 0;
}

int
ofts_mkdir_parent(const char *file, mode_t mode)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    return ofts_mkdir_p(dir, mode);
}

void
ofts_path_with_tag(const char *base, const char *tag, char *out, size_t size)
{
    const char *dot = strrchr(base, '.');
    const char *slash = strrchr(base, '/');
    if (!dot || (slash && dot < slash))
        dot = base + strlen(base);
    snprintf(out, size, "%.*s-%s%s", (int) (dot - base), base, tag, dot);
}
