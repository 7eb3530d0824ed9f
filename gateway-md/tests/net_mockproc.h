/*  net_mockproc - start a mock server binary from $OFTS_BIN as a child,
    read the port it prints as its first stdout line (with a deadline), and
    always stop and reap it.                                                 */
#ifndef OFTS_NET_MOCKPROC_H
#define OFTS_NET_MOCKPROC_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;
    int out_fd;
} mockproc_t;

//  argv[0] is the binary name inside $OFTS_BIN; NULL-terminated. 0 or -1.
int mockproc_start(mockproc_t *m, const char *const *argv, int timeout_ms);
//  SIGTERM, wait up to 2 s, then SIGKILL; always reaps. Safe to call twice.
void mockproc_stop(mockproc_t *m);
int64_t mockproc_now_ms(void);
//  A loopback port nobody listens on (bound, read, closed): connections to
//  it are refused. -1 on error.
int mockproc_closed_port(void);

//  Redirect this process's stderr into a temp file; stop returns what was
//  written (caller frees) and restores stderr.
int stderr_capture_start(void);
char *stderr_capture_stop(int saved);

#endif
