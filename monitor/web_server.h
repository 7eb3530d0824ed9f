/*  web_server - the HTTP + WebSocket side of `ofts-monitor --web`, on
    libwebsockets in a thread of its own so a slow browser never stalls the
    bus. It serves the page's static files from one directory and pushes the
    JSON the monitor hands it: a browser first gets a snapshot, then every
    update numbered after it, in order. The monitor decides how often there
    is an update (the rate bound); the server only relays. A browser that
    falls further behind than the kept updates gets a fresh snapshot.

    Read-only unless `commands` is set: then a message {"cmd": "pause" |
    "resume" | "flatten" | "kill", "symbol": "", "token": T} with the right
    token runs `ofts cmd VERB [SYMBOL] --config F` (the same ctl path and
    operator credential as the command line) and answers {"type": "cmd",
    "ok": ...}. When a token is configured, every request (page, files and
    WebSocket) must carry it as ?token=T.                                   */
#ifndef OFTS_WEB_SERVER_H
#define OFTS_WEB_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _web_server_t web_server_t;
//  A message's text built in place for the clients (room for the WebSocket
//  frame header before it): handed to the server, it is sent to every
//  client as it is, never copied.
typedef struct _web_text_t web_text_t;

typedef struct {
    const char *host;               //  address to bind, e.g. "127.0.0.1"
    int port;                       //  0 = any free port (see web_server_port)
    const char *static_dir;         //  index.html and its files
    const char *token;              //  NULL or "" = none
    bool commands;                  //  accept pause/resume/flatten/kill
    const char *ofts_bin;           //  path of the `ofts` launcher (commands)
    const char *config_path;        //  passed to `ofts cmd --config`
} web_server_config_t;

web_server_t *web_server_new(const web_server_config_t *config);
void web_server_destroy(web_server_t **self_p);
int web_server_port(web_server_t *self);
//  True when a browser waits for a snapshot: the monitor then makes one.
bool web_server_wants_snapshot(web_server_t *self);
//  Hand over a message (copied once). A snapshot is consistent with update seq.
void web_server_push_snapshot(web_server_t *self, uint64_t seq, const char *text);
void web_server_push_update(web_server_t *self, uint64_t seq, const char *text);
//  The same, taking the text over (*text_p is NULL after).
void web_server_push_snapshot_text(web_server_t *self, uint64_t seq, web_text_t **text_p);
void web_server_push_update_text(web_server_t *self, uint64_t seq, web_text_t **text_p);

web_text_t *web_text_new(size_t hint);
//  Append size bytes (0, or -1 out of memory): json_dump_callback's signature.
int web_text_append(const char *data, size_t size, void *self);
const char *web_text_data(const web_text_t *self);
size_t web_text_len(const web_text_t *self);
void web_text_destroy(web_text_t **self_p);
size_t web_server_clients(web_server_t *self);
//  Bytes of update text kept for browsers behind (bounded, see web_server.c).
size_t web_server_ring_bytes(web_server_t *self);
//  Bytes of message text the server copied (at a push and for each client).
uint64_t web_server_copied_bytes(web_server_t *self);

#endif
