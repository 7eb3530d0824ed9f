/*  e2e_util - what end-to-end tests share: a temp dir with a config whose
    endpoints are ipc:// paths inside it (so parallel tests never collide),
    child processes with their stdout piped, line reads with deadlines, and
    cleanup that kills and reaps everything started.                      */
#ifndef OFTS_E2E_UTIL_H
#define OFTS_E2E_UTIL_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int out;                        //  read end of stdout (-1 if not piped)
    char buf[65536];
    size_t len;
} e2e_proc_t;

//  mkdtemp under /tmp; returns a malloc'd path.
char *e2e_tempdir(const char *tag);
void e2e_rmtree(const char *path);
//  The binary path $OFTS_BIN/name (static buffer per call site is not safe:
//  writes into buf).
const char *e2e_bin(const char *name, char *buf, size_t size);
//  Write a config with ipc endpoints in dir; `extra` (may be NULL) is a JSON
//  object merged over it (top-level sections replaced key by key).
//  Returns the config path (malloc'd).
char *e2e_write_config(const char *dir, const char *extra_json);

//  Start argv[0] (full path) with stdout piped when pipe_out; stderr goes to
//  dir/<name>.stderr when log_path is given, else inherited.
int e2e_spawn(e2e_proc_t *proc, char *const argv[], bool pipe_out, const char *log_path);
//  Next stdout line (NUL-terminated, without newline) into line; false on
//  deadline or EOF.
bool e2e_read_line(e2e_proc_t *proc, char *line, size_t size, int64_t deadline_ms);
//  SIGTERM, wait up to ms, then SIGKILL; reaps. Returns exit status or -1.
int e2e_stop(e2e_proc_t *proc, int sig, int wait_ms);
int64_t e2e_now_ms(void);
//  Write a simulated market of `minutes` to dir/name with ofts-sim; returns
//  the path (malloc'd) or NULL.
char *e2e_sim_file(const char *dir, const char *name, double minutes, unsigned seed);
//  The same with `ofts-sim --months`: GCZ6, GCG7, their spread, a roll half way.
char *e2e_sim_months_file(const char *dir, const char *name, double minutes, unsigned seed);
bool e2e_pid_alive(pid_t pid);
//  Run argv to the end (stderr to log_path, or inherited when NULL);
//  returns its exit code, or -1 when it did not exit normally.
int e2e_run(char *const argv[], const char *log_path);
//  Wait up to ms for proc to exit by itself (no signal); returns its wait
//  status, or -1 when it is still running at the deadline (left running).
int e2e_wait_exit(e2e_proc_t *proc, int wait_ms);
//  The pid of a direct child of parent whose argv[0] ends in /exe_name (or
//  is exe_name), 0 when there is none (scans /proc).
pid_t e2e_child_pid(pid_t parent, const char *exe_name);
//  SIGKILL every process still a child of this one (a test's cleanup on any
//  failure path: with PR_SET_CHILD_SUBREAPER that includes the services of
//  an `ofts up` that died) and reap them; returns how many were killed.
int e2e_kill_children(void);
//  Number of lines of path containing needle (-1 when path cannot be read).
int e2e_count_lines(const char *path, const char *needle);

#endif
