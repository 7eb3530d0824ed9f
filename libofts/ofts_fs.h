/*  ofts_fs - the little file-system help the services need: make the
    folder a journal, store or log lives in (a fresh checkout has none).  */
#ifndef OFTS_FS_H
#define OFTS_FS_H
#include <stddef.h>
#include <sys/types.h>

//  mkdir -p dir. 0, or -1 with errno set (an existing folder is fine).
int ofts_mkdir_p(const char *dir, mode_t mode);
//  mkdir -p of the folder that holds file (nothing for a bare file name).
int ofts_mkdir_parent(const char *file, mode_t mode);
//  One file per account next to the base name: ("var/risk.sqlite", "xfa-1")
//  -> "var/risk-xfa-1.sqlite" (a name without an extension gets "-xfa-1").
void ofts_path_with_tag(const char *base, const char *tag, char *out, size_t size);

#endif
