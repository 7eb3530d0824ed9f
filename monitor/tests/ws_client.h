/*  ws_client - a minimal blocking WebSocket client for tests (RFC 6455:
    text frames, masked as a client must; no extensions), and a plain HTTP
    GET. Small on purpose: the test checks the server, not a library.     */
#ifndef OFTS_WS_CLIENT_H
#define OFTS_WS_CLIENT_H
#include <stddef.h>

typedef struct _ws_client_t ws_client_t;

//  Connect to 127.0.0.1:port and upgrade at path (e.g. "/?token=x"). NULL
//  when the server refuses (status in *status when not NULL).
ws_client_t *ws_client_connect(int port, const char *path, int timeout_ms, int *status);
//  The same with extra request headers ("Origin: http://x\r\n"), or NULL.
ws_client_t *ws_client_connect_ex(int port, const char *path, const char *headers, int timeout_ms, int *status);
void ws_client_destroy(ws_client_t **self_p);
//  Next text message (malloc'd, NUL-terminated), NULL on timeout or close.
char *ws_client_recv(ws_client_t *self, int timeout_ms);
int ws_client_send(ws_client_t *self, const char *text);
//  Bytes allocated for the receive buffer (grows to the largest backlog).
size_t ws_client_buffer_size(ws_client_t *self);
//  GET path; returns the HTTP status (-1 on failure), body malloc'd in *body.
int http_get(int port, const char *path, char **body);
//  The port a monitor logged in log_path ("web: serving http://127.0.0.1:P/"),
//  waiting up to timeout_ms for the line; -1 when it did not come.
int ws_wait_logged_port(const char *log_path, int timeout_ms);

#endif
