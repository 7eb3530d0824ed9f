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
//  The same from start_iso on (`ofts-sim --start YYYY-MM-DDTHH:MM:SSZ`).
char *e2e_sim_file_at(const char *dir, const char *name, double minutes, unsigned seed, const char *start_iso);
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
//  The whole file as a string (malloc'd), NULL when it cannot be read.
char *e2e_read_file(const char *path);
//  Number of lines of path containing needle (-1 when path cannot be read).
int e2e_count_lines(const char *path, const char *needle);
//  Run argv to the end with what it writes in out: stderr, and stdout too
//  when with_stdout (else stdout is inherited); dir holds the capture file.
//  Returns its exit code, or -1 when it did not exit normally.
int e2e_capture(char *const argv[], const char *dir, bool with_stdout, char *out, size_t size);
//  Write extra_json as the test config of dir (e2e_write_config) and run
//  `BIN [SUB] --config CFG [FLAG]` (sub and flag may be NULL) to the end,
//  its output in out as e2e_capture. Returns its exit code.
int e2e_run_with_config(const char *dir, const char *extra_json, const char *bin, const char *sub, const char *flag,
                        bool with_stdout, char *out, size_t size);
//  A test group's temp dir: setup makes it (0, or -1), teardown removes it.
int e2e_dir_setup(char **dir, const char *tag);
int e2e_dir_teardown(char **dir);
//  A test group's temp dir with a simulated market in it (e2e_sim_file):
//  setup makes both (0, or -1), teardown removes the dir and frees both.
int e2e_sim_setup(char **dir, char **data, const char *tag, const char *name, double minutes, unsigned seed);
int e2e_sim_teardown(char **dir, char **data);
//  Headless Chromium's path into path (chromium, chromium-browser or
//  google-chrome on $PATH, /usr/bin, /usr/local/bin or /snap/bin); false
//  when there is none (the test then skips).
bool e2e_find_chromium(char *path, size_t size);
//  The DOM of file html after its scripts ran (`chromium --dump-dom`, which
//  waits for the load; a 5 s virtual time budget), saved as dir/<name>.dom
//  with the browser profile in dir/chromium; malloc'd, NULL on failure.
char *e2e_dump_dom(const char *chromium, const char *dir, const char *html, const char *name);
//  Newlines in text (a refusal is one line).
int e2e_lines(const char *text);
//  Write text to path, replacing it.
void e2e_write_text(const char *path, const char *text);
//  `ofts up --config cfg --until-exit gateway-md --grace-ms grace_ms --quiet`
//  (stderr to dir/up.stderr), waited for up to wait_ms; stopped (SIGINT)
//  when it has not finished by then. Returns its exit code, -1 when it did
//  not finish in time or did not exit normally.
int e2e_up_until_replayed(const char *dir, const char *cfg, int grace_ms, int wait_ms);
//  The first column of the first row of sql on the SQLite file db_path
//  (read-only), or -1 when it cannot be read.
int e2e_sql_int(const char *db_path, const char *sql);

#endif
