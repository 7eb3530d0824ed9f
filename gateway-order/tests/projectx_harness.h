/*  projectx_harness - start ofts-mock-projectx for a test (fork/exec from
    $OFTS_BIN), read its port, drive its admin endpoints, always stop it.   */
#ifndef PROJECTX_HARNESS_H
#define PROJECTX_HARNESS_H
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include "projectx_client.h"

typedef struct {
    pid_t pid;
    int port, hub_port;
    char base_url[64];
    char hub_url[80];       //  http://127.0.0.1:HUBPORT/hubs/user
} mock_server_t;

//  Start the mock with extra argv (NULL-terminated list, may be NULL).
//  Returns 0, or -1 with a message on stderr. Waits for the port line with a
//  10 s deadline.
int mock_start(mock_server_t *mock, const char *const *args);
//  SIGTERM, then SIGKILL after 5 s; always reaps.
void mock_stop(mock_server_t *mock);
//  POST (body != NULL) or GET an admin path ("/mock/state"); returns the
//  parsed reply (caller decrefs) or NULL.
json_t *mock_admin(mock_server_t *mock, const char *path, const char *body);
//  How many orders (any status, incl. Suspended) carry exactly this tag.
int mock_tag_count(mock_server_t *mock, const char *tag);
//  A counter from /mock/state ("login", "validate", "place", ...).
long mock_counter(mock_server_t *mock, const char *name);
//  A client config for the mock's account: the defaults, the mock's URL
//  and these credentials (borrowed strings); callers tune the rest.
void mock_client_config(const mock_server_t *mock, projectx_config_t *cfg, const char *user,
                        const char *key, const char *account);

#endif
